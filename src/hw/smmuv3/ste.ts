// Stream Table Entry decode and validity checks (smmuv3.md b.2, g.1). Only the fields the
// entry's Config uses are read or checked: Linux's hitless updates rely on the rest being
// ignored (g.1 last bullet).
//
// Spec facts (IHI 0070 5.2, 5.2.2 SteIllegal), each tested in test/hw/smmuv3/ste.test.ts:
// * Config 0b001-0b011 are "Reserved (behaves as 0b000)": abort, no event (as QEMU).
// * S1STALLD = 1 and S2S = 1 are ILLEGAL without stalls (IDR0.STALL_MODEL = 0b01); S2ENDI = 1
//   is C_BAD_STE here because tables are little-endian only (IDR0.TTENDIAN = 0b10).
// * S2HA / S2HD need IDR0.HTTU >= 1 / 2; S2FWB needs IDR3.FWB (never advertised): C_BAD_STE.
// * STRW = EL2 without IDR0.Hyp is IGNORED (behaves as NS-EL1); STRW = 0bx1 is ILLEGAL.
// * EATS is IGNORED when IDR0.ATS = 0; S1CDMax > IDR1.SSIDSIZE is ILLEGAL (ignored when
//   SSIDSIZE = 0, where substreams do not exist and S1CDMax reads as 0).
import * as R from '../../regs/generated/smmuv3.ts';
import { fld, fldAddr, fldn } from './fields.ts';
import type { Smmuv3Features } from './features.ts';

export interface S1Config {
  /** S1ContextPtr (an IPA when nested). */
  ctxPtr: bigint;
  /** S1Fmt: 0 linear, 1 two-level 4K leaves, 2 two-level 64K leaves. */
  fmt: number;
  /** log2 number of CDs (0: one CD, no substreams). */
  cdMax: number;
  /** S1DSS: 0 terminate, 1 bypass stage 1, 2 use CD 0, for traffic without a substream. */
  dss: number;
}

export interface S2Config {
  vmid: number;
  t0sz: number;
  sl0: number;
  granule: 4096 | 16384 | 65536;
  /** S2PS in bits (before the IDR5.OAS cap). */
  psBits: number;
  affd: boolean;
  ha: boolean;
  hd: boolean;
  /** S2R: record stage-2 faults. */
  record: boolean;
  ttb: bigint;
}

export type SteConfig =
  | { kind: 'bad' }
  | { kind: 'abort' }
  | { kind: 'bypass' }
  /** vmid: STE.S2VMID when stage 2 is implemented (it tags stage-1 entries too), else 0. */
  | { kind: 'translate'; s1: S1Config | null; s2: S2Config | null; vmid: number };

export const OAS_BITS = [32, 36, 40, 42, 44, 48, 52] as const;
const S2_GRANULES = [4096, 65536, 16384] as const; // S2TG / TG0 encoding

/** Decodes an STE (8 doublewords) for an SMMU implementing `f`. */
export function decodeSte(w: readonly bigint[], f: Smmuv3Features): SteConfig {
  if (fld(w, 'STE', 'V') === 0n) return { kind: 'bad' };
  const config = fldn(w, 'STE', 'CONFIG');
  if ((config & 4) === 0) return { kind: 'abort' }; // 0b000, and reserved 0b001-0b011 behave as it
  if (config === R.SMMU_STE_CONFIG_BYPASS) return { kind: 'bypass' };
  const s1on = (config & 1) !== 0;
  const s2on = (config & 2) !== 0;
  if ((s1on && !f.stage1) || (s2on && !f.stage2)) return { kind: 'bad' };

  let s1: S1Config | null = null;
  if (s1on) {
    const fmt = fldn(w, 'STE', 'S1FMT');
    const cdMax = f.ssidSize === 0 ? 0 : fldn(w, 'STE', 'S1CDMAX');
    if (cdMax > f.ssidSize) return { kind: 'bad' };
    // S1Fmt is used only with substreams (S1CDMax != 0).
    if (cdMax !== 0 && (fmt === 3 || (fmt !== 0 && !f.cd2l))) return { kind: 'bad' };
    const dss = fldn(w, 'STE', 'S1DSS');
    if (cdMax !== 0 && dss === 3) return { kind: 'bad' };
    if (fld(w, 'STE', 'S1STALLD') !== 0n) return { kind: 'bad' };
    if ((fldn(w, 'STE', 'STRW') & 1) !== 0) return { kind: 'bad' };
    s1 = { ctxPtr: fldAddr(w, 'STE', 'S1CONTEXTPTR'), fmt: cdMax !== 0 ? fmt : 0, cdMax, dss };
  }

  let s2: S2Config | null = null;
  if (s2on) {
    if (fld(w, 'STE', 'S2AA64') === 0n) return { kind: 'bad' };
    if (fld(w, 'STE', 'S2ENDI') !== 0n || fld(w, 'STE', 'S2S') !== 0n || fld(w, 'STE', 'S2FWB') !== 0n) return { kind: 'bad' };
    const tg = fldn(w, 'STE', 'S2TG');
    const granule = S2_GRANULES[tg];
    if (granule === undefined) return { kind: 'bad' };
    if ((granule === 4096 && !f.gran4k) || (granule === 16384 && !f.gran16k) || (granule === 65536 && !f.gran64k)) return { kind: 'bad' };
    const sl0 = fldn(w, 'STE', 'S2SL0');
    if (sl0 === 3) return { kind: 'bad' };
    const ps = fldn(w, 'STE', 'S2PS');
    const psBits = OAS_BITS[ps];
    if (psBits === undefined) return { kind: 'bad' };
    const ha = fld(w, 'STE', 'S2HA') !== 0n;
    const hd = fld(w, 'STE', 'S2HD') !== 0n;
    if ((ha && f.httu < 1) || (hd && f.httu < 2)) return { kind: 'bad' };
    const ttb = fldAddr(w, 'STE', 'S2TTB');
    // The table base must lie within the effective output size (QEMU: C_BAD_STE).
    const eff = Math.min(psBits, OAS_BITS[f.oas]!, granule === 65536 ? 52 : 48);
    if (ttb >> BigInt(eff) !== 0n) return { kind: 'bad' };
    s2 = {
      vmid: fldn(w, 'STE', 'S2VMID') & (f.vmid16 ? 0xffff : 0xff),
      t0sz: fldn(w, 'STE', 'S2T0SZ'),
      sl0,
      granule,
      psBits,
      affd: fld(w, 'STE', 'S2AFFD') !== 0n,
      ha,
      hd,
      record: fld(w, 'STE', 'S2R') !== 0n,
      ttb,
    };
  }
  const vmid = f.stage2 ? fldn(w, 'STE', 'S2VMID') & (f.vmid16 ? 0xffff : 0xff) : 0;
  return { kind: 'translate', s1, s2, vmid };
}

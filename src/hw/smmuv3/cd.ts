// Context Descriptor decode and validity checks (smmuv3.md b.4, g.2), producing the stage-1
// walk configuration. A CD that fails a check is C_BAD_CD.
//
// Choices (tested in test/hw/smmuv3/cd.test.ts):
// * A = 0 is C_BAD_CD: IDR0.TERM_MODEL = 1 means terminated transactions always abort (QEMU).
// * S = 1 is C_BAD_CD (no stall model); ENDI = 1 is C_BAD_CD (little-endian tables only).
// * HA needs IDR0.HTTU >= 1, HD needs HTTU = 2; AA64 = 0 (AArch32 tables) is C_BAD_CD.
// * For each region with EPDx = 0: TxSZ outside what the granule allows (16..39 for 4K/16K,
//   16..39 or 12.. with VAX for 64K; the walker's setup decides), a reserved or unadvertised TGx,
//   or TTBx at or beyond the effective IPS is C_BAD_CD. With EPDx = 1 those fields are ignored.
// * HAD0/HAD1 are honoured only when IDR3.HAD is advertised (otherwise hierarchical permissions apply).
import { fld, fldAddr, fldn } from './fields.ts';
import type { Smmuv3Features } from './features.ts';
import { OAS_BITS } from './ste.ts';
import type { VmsaS1Config } from '../../core/walk.ts';

export interface CdConfig {
  asid: number;
  /** CD.R: record stage-1 faults. */
  record: boolean;
  /** The stage-1 walk configuration. */
  walk: VmsaS1Config;
}

const TG0 = [4096, 65536, 16384] as const;
const TG1 = [undefined, 16384, 4096, 65536] as const;

/** Decodes a CD (8 doublewords); null means C_BAD_CD. */
export function decodeCd(w: readonly bigint[], f: Smmuv3Features): CdConfig | null {
  if (fld(w, 'CD', 'V') === 0n || fld(w, 'CD', 'AA64') === 0n) return null;
  if (fld(w, 'CD', 'A') === 0n || fld(w, 'CD', 'S') !== 0n || fld(w, 'CD', 'ENDI') !== 0n) return null;
  const ha = fld(w, 'CD', 'HA') !== 0n;
  const hd = fld(w, 'CD', 'HD') !== 0n;
  if ((ha && f.httu < 1) || (hd && f.httu < 2)) return null;
  const ipsBits = OAS_BITS[fldn(w, 'CD', 'IPS')];
  if (ipsBits === undefined) return null;
  const oasLimit = OAS_BITS[f.oas]!;
  const epd0 = fld(w, 'CD', 'EPD0') !== 0n;
  const epd1 = fld(w, 'CD', 'EPD1') !== 0n;
  const granuleOk = (g: number | undefined) => (g === 4096 && f.gran4k) || (g === 16384 && f.gran16k) || (g === 65536 && f.gran64k);
  const g0 = TG0[fldn(w, 'CD', 'TG0')];
  const g1 = TG1[fldn(w, 'CD', 'TG1')];
  const t0sz = fldn(w, 'CD', 'T0SZ');
  const t1sz = fldn(w, 'CD', 'T1SZ');
  const ttb0 = fldAddr(w, 'CD', 'TTB0');
  const ttb1 = fldAddr(w, 'CD', 'TTB1');
  const region = (g: number | undefined, tsz: number, ttb: bigint): boolean => {
    if (!granuleOk(g)) return false;
    const minT = g === 65536 && f.vax ? 12 : 16;
    if (tsz < minT || tsz > 39) return false;
    const eff = Math.min(ipsBits, oasLimit, g === 65536 ? 52 : 48);
    return ttb >> BigInt(eff) === 0n;
  };
  if (!epd0 && !region(g0, t0sz, ttb0)) return null;
  if (!epd1 && !region(g1, t1sz, ttb1)) return null;
  if (epd0 && epd1) {
    // Both regions disabled: legal; every access is a translation fault.
  }
  const walk: VmsaS1Config = {
    ttb0: Number(ttb0),
    ttb1: Number(ttb1),
    t0sz: epd0 ? 16 : t0sz,
    t1sz: epd1 ? 16 : t1sz,
    granule0: epd0 ? 4096 : (g0 as 4096 | 16384 | 65536),
    granule1: epd1 ? 4096 : (g1 as 4096 | 16384 | 65536),
    epd0,
    epd1,
    oas: ipsBits,
    oasLimit,
    ha,
    hd,
    affd: fld(w, 'CD', 'AFFD') !== 0n,
    tbi0: fld(w, 'CD', 'TBI0') !== 0n,
    tbi1: fld(w, 'CD', 'TBI1') !== 0n,
    hpd0: f.had && fld(w, 'CD', 'HAD0') !== 0n,
    hpd1: f.had && fld(w, 'CD', 'HAD1') !== 0n,
    wxn: fld(w, 'CD', 'WXN') !== 0n,
    va52: f.vax,
  };
  return { asid: fldn(w, 'CD', 'ASID') & (f.asid16 ? 0xffff : 0xff), record: fld(w, 'CD', 'R') !== 0n, walk };
}

// STE images and used bits (smmuv3.md b.2 "Linux make helpers", h.3 used bits; Linux's
// arm_smmu_make_{abort,bypass,cdtable,s2_domain}_ste and arm_smmu_get_ste_used).
import * as R from '../../../regs/generated/smmuv3.ts';
import type { S1Registers, S2Registers } from '../../../core/pgtable.ts';
import type { SmmuFeatures } from './features.ts';
import { getn, mask, set, setAddr, words } from './fields.ts';

export const STE_QWORDS = 8;
const S = 'STE';
/** CD-fetch / S2-walk cacheability and shareability Linux uses: write-back read-allocate, inner shareable. */
const STRTAB_STE_1_S1C_CACHE_WBRA = 1;
const ARM_SMMU_SH_ISH = 3;

export function makeAbortSte(): bigint[] {
  const t = words(STE_QWORDS);
  set(t, S, 'V', 1);
  return set(t, S, 'CONFIG', R.SMMU_STE_CONFIG_ABORT);
}

export function makeBypassSte(f: SmmuFeatures): bigint[] {
  const t = words(STE_QWORDS);
  set(t, S, 'V', 1);
  set(t, S, 'CONFIG', R.SMMU_STE_CONFIG_BYPASS);
  // Shareability "use incoming" only where the SMMU lets the STE override attributes.
  if (f.attrTypesOvr) set(t, S, 'SHCFG', R.SMMU_STE_SHCFG_INCOMING);
  return t;
}

export interface CdTableRef {
  /** Guest-physical address of the CD table. */
  dma: number;
  /** S1Fmt (0 linear) and S1CDMax (log2 CDs; 0 = one CD, no substreams). */
  s1fmt: number;
  s1cdmax: number;
}

/** arm_smmu_make_cdtable_ste: stage 1 through the master's CD table, `s1dss` for traffic without a PASID. */
export function makeCdtableSte(f: SmmuFeatures, cd: CdTableRef, s1dss: number, o: { atsEnabled?: boolean; stallEnabled?: boolean } = {}): bigint[] {
  const t = words(STE_QWORDS);
  set(t, S, 'V', 1);
  set(t, S, 'CONFIG', R.SMMU_STE_CONFIG_S1_TRANS);
  set(t, S, 'S1FMT', cd.s1fmt);
  setAddr(t, S, 'S1CONTEXTPTR', cd.dma);
  set(t, S, 'S1CDMAX', cd.s1cdmax);
  set(t, S, 'S1DSS', s1dss);
  set(t, S, 'S1CIR', STRTAB_STE_1_S1C_CACHE_WBRA);
  set(t, S, 'S1COR', STRTAB_STE_1_S1C_CACHE_WBRA);
  set(t, S, 'S1CSH', ARM_SMMU_SH_ISH);
  // Stalls supported but not used by this master: fault instead of stalling.
  if (f.stalls && !(o.stallEnabled ?? false)) set(t, S, 'S1STALLD', 1);
  set(t, S, 'EATS', o.atsEnabled ? R.SMMU_STE_EATS_FULL : R.SMMU_STE_EATS_ABORT);
  if (f.attrTypesOvr && s1dss === R.SMMU_STE_S1DSS_BYPASS) set(t, S, 'SHCFG', R.SMMU_STE_SHCFG_INCOMING);
  if (f.e2h) {
    set(t, S, 'STRW', R.SMMU_STE_STRW_EL2);
  } else {
    set(t, S, 'STRW', R.SMMU_STE_STRW_NSEL1);
    set(t, S, 'S2VMID', 0);
  }
  return t;
}

/** arm_smmu_make_s2_domain_ste: stage 2 only, VTCR fields from io-pgtable's S2 registers. */
export function makeS2DomainSte(f: SmmuFeatures, vmid: number, regs: S2Registers, o: { atsEnabled?: boolean } = {}): bigint[] {
  const t = words(STE_QWORDS);
  set(t, S, 'V', 1);
  set(t, S, 'CONFIG', R.SMMU_STE_CONFIG_S2_TRANS);
  set(t, S, 'EATS', o.atsEnabled ? R.SMMU_STE_EATS_FULL : R.SMMU_STE_EATS_ABORT);
  if (f.attrTypesOvr) set(t, S, 'SHCFG', R.SMMU_STE_SHCFG_INCOMING);
  const v = regs.vtcr;
  set(t, S, 'S2VMID', vmid);
  set(t, S, 'S2T0SZ', v.tsz);
  set(t, S, 'S2SL0', v.sl);
  set(t, S, 'S2IR0', v.irgn);
  set(t, S, 'S2OR0', v.orgn);
  set(t, S, 'S2SH0', v.sh);
  set(t, S, 'S2TG', v.tg);
  set(t, S, 'S2PS', v.ps);
  set(t, S, 'S2AA64', 1);
  set(t, S, 'S2PTW', 1);
  set(t, S, 'S2R', 1);
  return setAddr(t, S, 'S2TTB', regs.vttbr);
}

/** arm_smmu_get_ste_used. */
export function steUsed(ent: readonly bigint[]): bigint[] {
  const u = words(STE_QWORDS);
  u[0] = mask(S, 'V');
  if ((ent[0]! & u[0]) === 0n) return u;
  u[0] |= mask(S, 'CONFIG');
  const cfg = getn(ent, S, 'CONFIG');
  if ((cfg & 1) !== 0) {
    // Stage 1 translates.
    u[0] |= mask(S, 'S1FMT', 'S1CONTEXTPTR', 'S1CDMAX');
    u[1]! |= mask(S, 'S1DSS', 'S1CIR', 'S1COR', 'S1CSH', 'S1STALLD', 'STRW', 'EATS');
    u[2]! |= mask(S, 'S2VMID');
    // SHCFG applies to the stage-1-bypassed traffic (IHI 0070 13.5).
    if (getn(ent, S, 'S1DSS') === R.SMMU_STE_S1DSS_BYPASS) u[1]! |= mask(S, 'SHCFG');
  }
  if ((cfg & 2) !== 0) {
    // Stage 2 translates.
    u[1]! |= mask(S, 'S2FWB', 'EATS', 'SHCFG');
    u[2]! |= mask(S, 'S2VMID', 'S2T0SZ', 'S2SL0', 'S2IR0', 'S2OR0', 'S2SH0', 'S2TG', 'S2PS', 'S2AA64', 'S2ENDI', 'S2PTW', 'S2S', 'S2R');
    u[3]! |= mask(S, 'S2TTB');
  }
  if (cfg === R.SMMU_STE_CONFIG_BYPASS) u[1]! |= mask(S, 'SHCFG');
  return u;
}

// ---- context descriptors ----

export const CD_QWORDS = 8;

/** arm_smmu_make_s1_cd: TCR fields, TTB0 and MAIR from io-pgtable's stage-1 registers. */
export function makeS1Cd(f: SmmuFeatures, asid: number, regs: S1Registers, o: { stallEnabled?: boolean; dirty?: boolean } = {}): bigint[] {
  const t = words(CD_QWORDS);
  const c = regs.tcr;
  set(t, 'CD', 'T0SZ', c.tsz);
  set(t, 'CD', 'TG0', c.tg);
  set(t, 'CD', 'IR0', c.irgn);
  set(t, 'CD', 'OR0', c.orgn);
  set(t, 'CD', 'SH0', c.sh);
  set(t, 'CD', 'EPD1', 1); // TTB1 is never used
  set(t, 'CD', 'V', 1);
  set(t, 'CD', 'IPS', c.ips);
  set(t, 'CD', 'AA64', 1);
  if (o.stallEnabled) set(t, 'CD', 'S', 1);
  set(t, 'CD', 'R', 1);
  set(t, 'CD', 'A', 1);
  set(t, 'CD', 'ASET', 1);
  set(t, 'CD', 'ASID', asid);
  if (o.dirty && f.hd) {
    set(t, 'CD', 'HA', 1);
    set(t, 'CD', 'HD', 1);
  }
  setAddr(t, 'CD', 'TTB0', regs.ttbr);
  // The whole 64-bit MAIR goes into word 3.
  t[3] = BigInt.asUintN(64, regs.mair);
  return t;
}

/** arm_smmu_get_cd_used: V only when invalid; everything else when valid, minus the TTB0 walk fields when EPD0. */
export function cdUsed(ent: readonly bigint[]): bigint[] {
  const u = words(CD_QWORDS);
  u[0] = mask('CD', 'V');
  if ((ent[0]! & u[0]) === 0n) return u;
  u.fill(0xffff_ffff_ffff_ffffn);
  if (getn(ent, 'CD', 'EPD0') !== 0) {
    u[0] &= ~mask('CD', 'T0SZ', 'TG0', 'IR0', 'OR0', 'SH0');
    u[1] = u[1]! & ~mask('CD', 'TTB0');
  }
  return u;
}

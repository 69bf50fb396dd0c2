// VMSAv8-64 translation tables, stage 1 and stage 2, as the SMMUv3 (and an AArch64 CPU)
// walks them. Facts: shared/reference/smmuv3.md section (f); where that sheet is silent the
// Arm ARM pseudocode (AArch64.TranslationTableWalk / CheckPermission) is followed, and each
// such choice is named below.
//
// Parameters (CTX_P index, u32):
//   0 TG0   log2 granule of region 0 (TTB0, or VTTB for stage 2): 12, 14 or 16
//   1 T0SZ  region 0 input size = 64 - T0SZ
//   2 TG1   (stage 1) log2 granule of region 1 (TTB1)
//   3 T1SZ  (stage 1) region 1 input size = 64 - T1SZ
//   4 OAS   requested output size in bits (IPS / S2PS decoded): 32, 36, 40, 42, 44, 48, 52
//   5 OASLIM implementation limit in bits (SMMU IDR5.OAS); 52 means FEAT_LPA is implemented
//   6 SL0   (stage 2) start level code
//   7 FLAGS VF_* below
// Addresses (CTX_A index, f64): 0 TTB0 / VTTB, 1 TTB1. Low bits below the root table's size
// are ignored (the Arm ARM's CONSTRAINED UNPREDICTABLE choice "treated as zero").
//
// Effective output size per region = min(OAS, OASLIM, 48 unless 64K granule).
// 52-bit output (FEAT_LPA) exists only with the 64K granule: OA[51:48] sit in descriptor
// bits [15:12], for table and leaf addresses alike. FEAT_LPA2 (DS=1) is not modelled.
//
// Walk facts (Arm ARM ordering): input range / EPD -> translation fault at level 0; root
// address beyond the output size -> address size fault at level 0; per descriptor: invalid
// -> translation; 0b01 at level 3 or a block where the granule allows none -> translation;
// table or output address beyond the output size -> address size (at that level); then the
// access flag; then permissions. Hardware AF/dirty updates happen only on a walk without
// fault, so a permission fault never sets AF.
import {
  ACC_EXEC, ACC_PRIV, ACC_WRITE, A_AF, A_CONTIG, A_DBM, A_FWB, A_NG, A_NS, A_NSTABLE, A_SH_SHIFT, CFG_GRANULE,
  CFG_INPUT_SIZE, CFG_OK, CFG_OUTPUT_SIZE, CFG_START_LEVEL, CFG_UNSUPPORTED, CTX_A, CTX_FLAGS, CTX_NREG, CTX_P,
  CTX_REG, CTX_STAGE, D_FAULT, D_LEAF, D_TABLE, DEC, DEC_NEXT, DEC_TACC, DEC_UPDATE, DEC_WANT, F_TTB1, PERM_R,
  PERM_UNPRIV_SHIFT, PERM_W, PERM_X, REG_BASE, REG_BITS, REG_BYTES, REG_ENABLED, REG_ESHIFT, REG_FLAGS,
  REG_GSHIFT, REG_INBITS, REG_LEVEL, REG_OABITS, REG_SHIFT, REG_STEPS, RES_ATTRS, RES_FLAGS, RES_LEVEL, RES_OA,
  RES_PAGE_SHIFT, RES_PERM, RES_PERM_ALL, RES_REASON, RES_STATUS, R_ACCESS_FLAG, R_BASE_SIZE, R_BLOCK_LEVEL,
  R_INPUT_RANGE, R_INVALID, R_OUTPUT_SIZE, R_PERM_EXEC, R_PERM_READ, R_PERM_WRITE, R_REGION_DISABLED,
  R_RESERVED, R_TABLE_SIZE, ST_ACCESS, ST_ADDR_SIZE, ST_PERMISSION, ST_TRANSLATION, REG_X0, REG_X1, REG_X2,
} from '../walk/layout';
import { fastTable } from '../walk/fast';

export const VP_TG0: u32 = 0;
export const VP_T0SZ: u32 = 1;
export const VP_TG1: u32 = 2;
export const VP_T1SZ: u32 = 3;
export const VP_OAS: u32 = 4;
export const VP_OASLIM: u32 = 5;
export const VP_SL0: u32 = 6;
export const VP_FLAGS: u32 = 7;

export const VF_EPD0: u32 = 1 << 0; // S1: TTB0 region disabled
export const VF_EPD1: u32 = 1 << 1; // S1: TTB1 region disabled
export const VF_HA: u32 = 1 << 2; // hardware Access flag update
export const VF_HD: u32 = 1 << 3; // hardware dirty-state update (effective only with HA)
export const VF_AFFD: u32 = 1 << 4; // access flag faults disabled (SMMU CD.AFFD / STE.S2AFFD): AF treated as 1
export const VF_TBI0: u32 = 1 << 5; // S1: top byte ignored for the TTB0 region
export const VF_TBI1: u32 = 1 << 6; // S1: top byte ignored for the TTB1 region
export const VF_HPD0: u32 = 1 << 7; // S1: hierarchical permissions disabled for TTB0 (SMMU CD.HAD0)
export const VF_HPD1: u32 = 1 << 8; // S1: hierarchical permissions disabled for TTB1 (SMMU CD.HAD1)
export const VF_WXN: u32 = 1 << 9; // S1: writable implies execute-never
export const VF_FWB: u32 = 1 << 10; // S2: FEAT_S2FWB attribute encoding
export const VF_XNX: u32 = 1 << 11; // S2: FEAT_XNX, XN[1:0] distinguishes privileged/unprivileged execution
export const VF_VA52: u32 = 1 << 12; // S1: 52-bit input with the 64K granule (FEAT_LVA, SMMU IDR5.VAX): TxSZ down to 12
export const VF_DS: u32 = 1 << 13; // FEAT_LPA2 descriptors: not modelled (setup answers CFG_UNSUPPORTED)
// Derived (written by setup into CTX_FLAGS, never by the embedder):
const VF_LPA: u32 = 1 << 30; // OASLIM = 52

// Hierarchical attributes accumulated from stage-1 table descriptors (DEC_TACC).
const T_PXN: u32 = 1; // PXNTable (bit 59)
const T_XN: u32 = 2; // XNTable / UXNTable (bit 60)
const T_NO_EL0: u32 = 4; // APTable[0] (bit 61)
const T_NO_WRITE: u32 = 8; // APTable[1] (bit 62)
const T_NS: u32 = 16; // NSTable (bit 63)

const ADDR_47_0: u64 = 0x0000_ffff_ffff_ffff;

function validOas(bits: u32): bool {
  return bits == 32 || bits == 36 || bits == 40 || bits == 42 || bits == 44 || bits == 48 || bits == 52;
}

// Per-region values derived for the decoder (REG_X*):
//   X0: descriptor address bits that must be zero for the output size (address size fault)
//   X1: table address mask, bits [47:g]
//   X2: AUX_* bits below
const AUX_TACC: u32 = 0x1f; // which of bits 63:59 a table descriptor contributes to DEC_TACC
const AUX_HI4: u32 = 1 << 8; // OA[51:48] are held in descriptor bits [15:12] (64K, 52-bit output)
const AUX_S1: u32 = 1 << 9;
const AUX_BLOCK_SHIFT: u32 = 16; // bit 16 + level: a block descriptor is allowed at that level

/** Fills region `r`: levels start..3, the start level resolving `startBits` index bits. */
function geometry(r: usize, g: u32, inBits: u32, start: i32, startBits: u32, oaBits: u32, base: f64, hpd: bool, stage: u32, lpa: bool): void {
  const stride = g - 3;
  const steps = <u32>(4 - start);
  store<u32>(r + REG_GSHIFT, g);
  store<u32>(r + REG_ESHIFT, 3);
  store<u32>(r + REG_STEPS, steps);
  store<u32>(r + REG_INBITS, inBits);
  store<u32>(r + REG_ENABLED, 1);
  store<u32>(r + REG_FLAGS, hpd ? 1 : 0);
  store<u32>(r + REG_OABITS, oaBits);
  for (let s: u32 = 0; s < steps; s++) {
    const level = start + <i32>s;
    store<u8>(r + REG_SHIFT + s, <u8>(g + <u32>(3 - level) * stride));
    store<u8>(r + REG_BITS + s, <u8>(s == 0 ? startBits : stride));
    store<i8>(r + REG_LEVEL + s, <i8>level);
  }
  // Root table: 2^startBits entries of 8 bytes, aligned to its size.
  let b = <u64>base;
  b &= ~((<u64>1 << <u64>(startBits + 3)) - 1);
  store<u64>(r + REG_BASE, b);

  let bad: u64 = oaBits < 48 ? ADDR_47_0 & ~((<u64>1 << <u64>oaBits) - 1) : 0;
  if (g == 16 && lpa && oaBits < 52) bad |= 0xf000;
  store<u64>(r + REG_X0, bad);
  store<u64>(r + REG_X1, ADDR_47_0 & ~((<u64>1 << <u64>g) - 1));
  let aux: u32 = 0;
  // Stage 1 accumulates NSTable always, APTable/XNTable/PXNTable unless hierarchical permissions are disabled.
  if (stage == 1) aux |= AUX_S1 | T_NS | (hpd ? 0 : T_PXN | T_XN | T_NO_EL0 | T_NO_WRITE);
  if (g == 16 && oaBits == 52) aux |= AUX_HI4;
  // Blocks: 4K at levels 1-2, 16K at level 2, 64K at level 2 (and 1 with FEAT_LPA).
  const blocks: u32 = g == 12 ? 6 : g == 14 ? 4 : lpa ? 6 : 4;
  aux |= blocks << AUX_BLOCK_SHIFT;
  store<u64>(r + REG_X2, aux);
  // Plain table: 0b11 with no address bit beyond the output size (vmsaDecode's table branch;
  // the engine never applies it at level 3, where 0b11 is a page). Not for 52-bit output,
  // whose next-table address also takes bits [15:12].
  if ((aux & AUX_HI4) == 0) fastTable(r, 3 | bad, 3, ADDR_47_0 & ~((<u64>1 << <u64>g) - 1), 0, 59, aux & AUX_TACC, false);
}

function effectiveOas(c: usize, g: u32): u32 {
  let oa = load<u32>(c + CTX_P + VP_OAS * 4);
  const lim = load<u32>(c + CTX_P + VP_OASLIM * 4);
  if (lim < oa) oa = lim;
  const cap: u32 = g == 16 ? 52 : 48;
  return oa < cap ? oa : cap;
}

/** Setup for stage 1 (`stage` = 1) or stage 2; returns CFG_*. */
export function vmsaSetup(c: usize, stage: u32): u32 {
  store<u32>(c + CTX_STAGE, stage);
  const p = c + CTX_P;
  let flags = load<u32>(p + VP_FLAGS * 4);
  if (flags & VF_DS) return CFG_UNSUPPORTED;
  if (!validOas(load<u32>(p + VP_OAS * 4)) || !validOas(load<u32>(p + VP_OASLIM * 4))) return CFG_OUTPUT_SIZE;
  const lpa = load<u32>(p + VP_OASLIM * 4) == 52;
  if (lpa) flags |= VF_LPA;
  if ((flags & VF_HA) == 0) flags &= ~VF_HD;
  store<u32>(c + CTX_FLAGS, flags);

  if (stage == 2) {
    store<u32>(c + CTX_NREG, 1);
    const r = c + CTX_REG;
    const g = load<u32>(p + VP_TG0 * 4);
    if (g != 12 && g != 14 && g != 16) return CFG_GRANULE;
    const tsz = load<u32>(p + VP_T0SZ * 4);
    const minT: u32 = g == 16 && lpa ? 12 : 16;
    const maxT: u32 = g == 16 ? 47 : 48;
    if (tsz < minT || tsz > maxT) return CFG_INPUT_SIZE;
    const inBits = 64 - tsz;
    const sl0 = load<u32>(p + VP_SL0 * 4);
    if (sl0 > 2) return CFG_START_LEVEL;
    const start: i32 = g == 12 ? 2 - <i32>sl0 : 3 - <i32>sl0;
    if (g == 16 && start == 1 && !lpa) return CFG_START_LEVEL; // 64K level-1 tables need 52-bit PA
    const stride = g - 3;
    const startBits = <i32>inBits - <i32>(g + <u32>(3 - start) * stride);
    // Arm: the start table needs at least 2 entries and at most 16 concatenated tables.
    if (startBits < 1 || startBits > <i32>(stride + 4)) return CFG_START_LEVEL;
    geometry(r, g, inBits, start, <u32>startBits, effectiveOas(c, g), load<f64>(c + CTX_A), false, 2, lpa);
    return CFG_OK;
  }

  store<u32>(c + CTX_NREG, 2);
  for (let i: u32 = 0; i < 2; i++) {
    const r = c + CTX_REG + i * REG_BYTES;
    if (flags & (i == 0 ? VF_EPD0 : VF_EPD1)) {
      store<u32>(r + REG_ENABLED, 0);
      continue;
    }
    const g = load<u32>(p + (i == 0 ? VP_TG0 : VP_TG1) * 4);
    if (g != 12 && g != 14 && g != 16) return CFG_GRANULE;
    const tsz = load<u32>(p + (i == 0 ? VP_T0SZ : VP_T1SZ) * 4);
    const minT: u32 = g == 16 && (flags & VF_VA52) != 0 ? 12 : 16;
    const maxT: u32 = g == 16 ? 47 : 48;
    if (tsz < minT || tsz > maxT) return CFG_INPUT_SIZE;
    const inBits = 64 - tsz;
    const stride = g - 3;
    const levels = (inBits - g + stride - 1) / stride;
    const start = 4 - <i32>levels;
    const startBits = inBits - g - (levels - 1) * stride;
    const hpd = flags & (i == 0 ? VF_HPD0 : VF_HPD1);
    geometry(r, g, inBits, start, startBits, effectiveOas(c, g), load<f64>(c + CTX_A + i * 8), hpd != 0, 1, lpa);
  }
  return CFG_OK;
}

// @ts-ignore: decorator
@inline
function fault(res: usize, status: u32, reason: u32): u32 {
  store<u32>(res + RES_STATUS, status);
  store<u32>(res + RES_REASON, reason);
  return D_FAULT;
}

export function vmsaSelect(c: usize, va: u64, res: usize): usize {
  store<i32>(res + RES_LEVEL, 0);
  if (load<u32>(c + CTX_NREG) == 1) {
    const r = c + CTX_REG;
    if (va >> <u64>load<u32>(r + REG_INBITS) != 0) {
      store<u32>(res + RES_STATUS, ST_TRANSLATION);
      store<u32>(res + RES_REASON, R_INPUT_RANGE);
      return 0;
    }
    return regionBase(r, res);
  }
  // Stage 1: bit 55 picks which TBI applies; the top bit kept (55 or 63) picks the region;
  // every bit from there down to the region's input size must equal it.
  const flags = load<u32>(c + CTX_FLAGS);
  const tbi = (va >> 55) & 1 ? flags & VF_TBI1 : flags & VF_TBI0;
  const top: u64 = tbi != 0 ? 55 : 63;
  const sel = <u32>((va >> top) & 1);
  const r = c + CTX_REG + sel * REG_BYTES;
  if (sel) store<u32>(res + RES_FLAGS, F_TTB1);
  if (load<u32>(r + REG_ENABLED) == 0) {
    store<u32>(res + RES_STATUS, ST_TRANSLATION);
    store<u32>(res + RES_REASON, R_REGION_DISABLED);
    return 0;
  }
  const inBits = <u64>load<u32>(r + REG_INBITS);
  const width = top + 1 - inBits;
  const field = (va << (63 - top)) >> (63 - top + inBits);
  const want: u64 = sel ? (<u64>1 << width) - 1 : 0;
  if (field != want) {
    store<u32>(res + RES_STATUS, ST_TRANSLATION);
    store<u32>(res + RES_REASON, R_INPUT_RANGE);
    return 0;
  }
  return regionBase(r, res);
}

/** Checks the root table address against the output size (address size fault, level 0). */
// @ts-ignore: decorator
@inline
function regionBase(r: usize, res: usize): usize {
  const oaBits = load<u32>(r + REG_OABITS);
  if (load<u64>(r + REG_BASE) >> <u64>oaBits != 0) {
    store<u32>(res + RES_STATUS, ST_ADDR_SIZE);
    store<u32>(res + RES_REASON, R_BASE_SIZE);
    return 0;
  }
  return r;
}

export function vmsaDecode(c: usize, r: usize, step: u32, level: i32, d: u64, va: u64, acc: u32, res: usize): u32 {
  const aux = <u32>load<u64>(r + REG_X2);
  if ((d & 3) == 3 && level < 3) {
    // Table descriptor (the hot path: three of four descriptors of a 4-level walk).
    if ((d & load<u64>(r + REG_X0)) != 0) return fault(res, ST_ADDR_SIZE, R_TABLE_SIZE);
    let next = d & load<u64>(r + REG_X1);
    if (aux & AUX_HI4) next |= ((d >> 12) & 0xf) << 48;
    store<u64>(DEC + DEC_NEXT, next);
    store<u32>(DEC + DEC_TACC, load<u32>(DEC + DEC_TACC) | (<u32>(d >> 59) & aux & AUX_TACC));
    return D_TABLE;
  }
  if ((d & 1) == 0) return fault(res, ST_TRANSLATION, R_INVALID);
  if ((d & 2) == 0) {
    if (level == 3) return fault(res, ST_TRANSLATION, R_RESERVED);
    if ((aux & (1 << (AUX_BLOCK_SHIFT + <u32>level))) == 0) return fault(res, ST_TRANSLATION, R_BLOCK_LEVEL);
  }
  const flags = load<u32>(c + CTX_FLAGS);
  const s1 = (aux & AUX_S1) != 0;

  // Leaf (block or page).
  if ((d & load<u64>(r + REG_X0)) != 0) return fault(res, ST_ADDR_SIZE, R_OUTPUT_SIZE);
  const shift = <u64>load<u8>(r + REG_SHIFT + step);
  let oa = (d & ADDR_47_0 & ~((<u64>1 << shift) - 1)) | (va & ((<u64>1 << shift) - 1));
  if (aux & AUX_HI4) oa |= ((d >> 12) & 0xf) << 48;
  const write = (acc & ACC_WRITE) != 0;
  const hd = (flags & VF_HD) != 0;
  const dbm = (d >> 51) & 1;
  let nd = d;
  let perms: u32;
  let attrs: u32 = <u32>((d >> 8) & 3) << A_SH_SHIFT;
  if (dbm) attrs |= A_DBM;
  if ((d >> 52) & 1) attrs |= A_CONTIG;

  if (s1) {
    const t = load<u32>(DEC + DEC_TACC);
    let ap2 = ((d >> 7) & 1) != 0 || (t & T_NO_WRITE) != 0;
    const ap1 = ((d >> 6) & 1) != 0 && (t & T_NO_EL0) == 0;
    // Dirty state: a write to a writable-clean leaf makes it dirty instead of faulting
    // (APTable write protection still applies).
    if (write && hd && dbm != 0 && ((d >> 7) & 1) != 0 && (t & T_NO_WRITE) == 0) {
      ap2 = false;
      nd &= ~(<u64>1 << 7);
    }
    const xn = ((d >> 54) & 1) != 0 || (t & T_XN) != 0;
    const pxn = ((d >> 53) & 1) != 0 || (t & T_PXN) != 0;
    const wxn = (flags & VF_WXN) != 0;
    const privW = !ap2;
    const userR = ap1;
    const userW = ap1 && !ap2;
    const userX = userR && !xn && !(userW && wxn);
    const privX = !pxn && !(privW && wxn) && !userW; // never execute EL0-writable memory privileged
    perms = PERM_R | (privW ? PERM_W : 0) | (privX ? PERM_X : 0);
    perms |= ((userR ? PERM_R : 0) | (userW ? PERM_W : 0) | (userX ? PERM_X : 0)) << PERM_UNPRIV_SHIFT;
    attrs |= <u32>((d >> 2) & 7);
    if ((d >> 5) & 1) attrs |= A_NS;
    if ((d >> 11) & 1) attrs |= A_NG;
    if (t & T_NS) attrs |= A_NSTABLE;
  } else {
    const r2 = ((d >> 6) & 1) != 0;
    let w2 = ((d >> 7) & 1) != 0;
    if (write && hd && dbm != 0 && !w2) {
      w2 = true;
      nd |= <u64>1 << 7;
    }
    let pxn: bool;
    let uxn: bool;
    if (flags & VF_XNX) {
      const x = <u32>(d >> 53) & 3; // XN[1:0]: 0 both, 1 not privileged, 2 neither, 3 not unprivileged
      pxn = x == 1 || x == 2;
      uxn = x == 2 || x == 3;
    } else {
      pxn = uxn = ((d >> 54) & 1) != 0;
    }
    const rw = (r2 ? PERM_R : 0) | (w2 ? PERM_W : 0);
    perms = rw | (pxn ? 0 : PERM_X) | ((rw | (uxn ? 0 : PERM_X)) << PERM_UNPRIV_SHIFT);
    attrs |= <u32>((d >> 2) & 0xf);
    if (flags & VF_FWB) attrs |= A_FWB;
  }
  const perm = (acc & ACC_PRIV) != 0 ? perms & 7 : perms >> PERM_UNPRIV_SHIFT;
  store<f64>(res + RES_OA, <f64>oa);
  store<u32>(res + RES_PAGE_SHIFT, <u32>shift);
  store<u32>(res + RES_PERM_ALL, perms);
  store<u32>(res + RES_PERM, perm);

  // Access flag.
  if (((d >> 10) & 1) == 0) {
    if (flags & VF_HA) nd |= <u64>1 << 10;
    else if ((flags & VF_AFFD) == 0) {
      store<u32>(res + RES_ATTRS, attrs);
      return fault(res, ST_ACCESS, R_ACCESS_FLAG);
    }
  }
  // Permission: an instruction fetch needs X only; a write needs W; a read needs R.
  let reason: u32 = 0;
  if ((acc & ACC_EXEC) != 0 && (perm & PERM_X) == 0) reason = R_PERM_EXEC;
  else if (write && (perm & PERM_W) == 0) reason = R_PERM_WRITE;
  else if ((acc & (ACC_EXEC | ACC_WRITE)) == 0 && (perm & PERM_R) == 0) reason = R_PERM_READ;
  if (reason != 0) {
    if ((d >> 10) & 1) attrs |= A_AF;
    store<u32>(res + RES_ATTRS, attrs);
    return fault(res, ST_PERMISSION, reason);
  }
  if ((nd >> 10) & 1) attrs |= A_AF;
  store<u32>(res + RES_ATTRS, attrs);
  store<u32>(DEC + DEC_WANT, nd != d ? 1 : 0);
  store<u64>(DEC + DEC_UPDATE, nd);
  return D_LEAF;
}

// Intel VT-d first-stage page tables: x86-64 4-level and 5-level paging. Facts:
// shared/reference/vtd.md 3.4 (entry bits, fault per condition) and the x86-64 paging rules
// those bits come from (PS at PDPTE/PDE, PAT in bit 12 of large leaves, XD with NXE, U/S and
// R/W ANDed over the levels, supervisor write protection with WPE, SMEP).
//
// Parameters (CTX_P index, u32):
//   0 LEVELS 4 or 5 (PASID entry FSPM: 4-level / 5-level); else CFG_START_LEVEL
//   1 HAW    host address width in bits, 32..52: entry address bits at and above it are reserved
//   2 FLAGS  VFF_* below
// Addresses (CTX_A index, f64): 0 FSPTPTR (bits 11:0 ignored).
//
// A context is stage 1 (CTX_STAGE = 1): nested translation puts it over a VT-d second-stage
// context (CTX_NEXT), which then translates every table address and the output.
//
// Walk: input not canonical (bits 63:N-1 not all equal, N = 48 or 57) -> ST_TRANSLATION /
// R_INPUT_RANGE (FR 0x80). Per entry: P = 0 -> ST_TRANSLATION / R_INVALID (0x71); reserved
// bit -> ST_TRANSLATION / R_RESERVED (0x72); at the leaf, permissions over all levels in
// QEMU's order: U/S for a user request -> ST_PERMISSION / R_PERM_USER (0x81), then write ->
// R_PERM_WRITE (0x85), then execute -> R_PERM_EXEC (0x82). Memory errors are ST_EXT_ABORT
// (0x73 at the top level, 0x70 below); a failed A/D update is ST_EXT_ABORT / R_UPDATE_ABORT
// (0x91). Supervisor requests with SRE = 0 (0x5D) and execute requests with ERE = 0 (0x5C)
// are PASID-entry checks of the model, made before the walk.
// Reserved: address bits at and above HAW; PS in a PML5E/PML4E; PS in a PDPTE without
// FS1GP; bits 29:13 of a 1 GiB leaf and 20:13 of a 2 MiB leaf (bit 12 is their PAT); XD when
// NXE = 0. Bits 62:52 and 11:9 are ignored.
// Hardware A/D (VFF_AD, QEMU's behaviour): A is set in each table entry as the walk passes it,
// A in the leaf and D in a leaf written are set only when the access is permitted. The engine
// writes leaves back (through stage 2 with write permission when nested); a table entry's A is
// written here at the physical address the engine read it from.
import {
  ACC_EXEC, ACC_PRIV, ACC_WRITE, A_AF, A_DIRTY, A_NG, CFG_OK, CFG_OUTPUT_SIZE, CFG_START_LEVEL, CTX_A, CTX_FLAGS,
  CTX_NREG, CTX_P, CTX_REG, CTX_STAGE, D_FAULT, D_LEAF, D_TABLE, DEC, DEC_NEXT, DEC_TACC, DEC_UPDATE, DEC_WANT,
  PERM_R, PERM_UNPRIV_SHIFT, PERM_W, PERM_X, REG_BASE, REG_BITS, REG_ENABLED, REG_ESHIFT, REG_FLAGS, REG_GSHIFT,
  REG_INBITS, REG_LEVEL, REG_OABITS, REG_SHIFT, REG_STEPS, RES_ATTRS, RES_ENTRY_ADDR, RES_LEVEL, RES_OA,
  RES_PAGE_SHIFT, RES_PERM, RES_PERM_ALL, RES_REASON, RES_STATUS, R_INPUT_RANGE, R_INVALID, R_PERM_EXEC,
  R_PERM_USER, R_PERM_WRITE, R_RESERVED, R_UPDATE_ABORT, ST_EXT_ABORT, ST_PERMISSION, ST_TRANSLATION,
} from '../walk/layout';
import { fastTable } from '../walk/fast';
import {
  VTD_FS_PTE_A_MASK, VTD_FS_PTE_ADDR_MASK, VTD_FS_PTE_D_MASK, VTD_FS_PTE_G_MASK, VTD_FS_PTE_P_MASK,
  VTD_FS_PTE_PCD_MASK, VTD_FS_PTE_PS_MASK, VTD_FS_PTE_PWT_MASK, VTD_FS_PTE_RW_MASK, VTD_FS_PTE_US_MASK,
  VTD_FS_PTE_XD_MASK,
} from '../generated/vtd';
import { gpaWrite64 } from '../mem';

export const VFP_LEVELS: u32 = 0;
export const VFP_HAW: u32 = 1;
export const VFP_FLAGS: u32 = 2;

/** PASID entry NXE: XD (bit 63) is execute-disable; otherwise it is reserved. */
export const VFF_NXE: u32 = 1 << 0;
/** CAP.FS1GP: 1 GiB leaves (PS in a PDPTE). 2 MiB leaves are always supported. */
export const VFF_1G: u32 = 1 << 1;
/** Hardware sets A and D (QEMU does; Linux pre-sets them so it never needs to). */
export const VFF_AD: u32 = 1 << 2;
/** PASID entry WPE: supervisor writes honour R/W (like CR0.WP). */
export const VFF_WPE: u32 = 1 << 3;
/** PASID entry SMEP: supervisor execute of a user page faults. */
export const VFF_SMEP: u32 = 1 << 4;

// Accumulated over the levels (DEC_TACC).
const T_RO: u32 = 1; // some level had R/W = 0
const T_SUP: u32 = 2; // some level had U/S = 0
const T_XD: u32 = 4; // some level had XD = 1 (with NXE)

/** PAT of a 4 KiB leaf is bit 7; of a 2 MiB / 1 GiB leaf, bit 12. */
const PAT_LARGE: u64 = <u64>1 << 12;

export function vtdFsSetup(c: usize): u32 {
  store<u32>(c + CTX_STAGE, 1);
  store<u32>(c + CTX_NREG, 1);
  const p = c + CTX_P;
  const levels = load<u32>(p + VFP_LEVELS * 4);
  if (levels != 4 && levels != 5) return CFG_START_LEVEL;
  const haw = load<u32>(p + VFP_HAW * 4);
  if (haw < 32 || haw > 52) return CFG_OUTPUT_SIZE;
  store<u32>(c + CTX_FLAGS, load<u32>(p + VFP_FLAGS * 4));
  const r = c + CTX_REG;
  store<u32>(r + REG_GSHIFT, 12);
  store<u32>(r + REG_ESHIFT, 3);
  store<u32>(r + REG_STEPS, levels);
  store<u32>(r + REG_INBITS, 12 + 9 * levels);
  store<u32>(r + REG_ENABLED, 1);
  store<u32>(r + REG_FLAGS, 0);
  store<u32>(r + REG_OABITS, haw);
  for (let s: u32 = 0; s < levels; s++) {
    const level = levels - s;
    store<u8>(r + REG_SHIFT + s, <u8>(12 + 9 * (level - 1)));
    store<u8>(r + REG_BITS + s, 9);
    store<i8>(r + REG_LEVEL + s, <i8>level);
  }
  store<u64>(r + REG_BASE, (<u64>load<f64>(c + CTX_A)) & ~(<u64>0xfff));
  // Plain table (vtdFsDecode's non-leaf branch): P, R/W and U/S set, PS and XD clear, no
  // address bit at or above HAW, and A set when the hardware would otherwise set it: such an
  // entry restricts nothing, so it adds nothing to DEC_TACC.
  const flags = load<u32>(p + VFP_FLAGS * 4);
  const want = VTD_FS_PTE_P_MASK | VTD_FS_PTE_RW_MASK | VTD_FS_PTE_US_MASK | ((flags & VFF_AD) != 0 ? VTD_FS_PTE_A_MASK : 0);
  const rsv = (VTD_FS_PTE_ADDR_MASK & ~((<u64>1 << <u64>haw) - 1)) | VTD_FS_PTE_PS_MASK | VTD_FS_PTE_XD_MASK;
  fastTable(r, want | rsv, want, VTD_FS_PTE_ADDR_MASK, 0, 0, 0, false);
  return CFG_OK;
}

/** Canonical check: bits 63..N-1 are a sign extension of bit N-1. */
export function vtdFsSelect(c: usize, va: u64, res: usize): usize {
  const r = c + CTX_REG;
  const n = <u64>load<u32>(r + REG_INBITS);
  const top = <i64>va >> <i64>(n - 1); // 0 or -1 when canonical
  if (top != 0 && top != -1) {
    store<i32>(res + RES_LEVEL, <i32>load<u32>(r + REG_STEPS));
    store<u32>(res + RES_STATUS, ST_TRANSLATION);
    store<u32>(res + RES_REASON, R_INPUT_RANGE);
    return 0;
  }
  return r;
}

// @ts-ignore: decorator
@inline
function fault(res: usize, status: u32, reason: u32): u32 {
  store<u32>(res + RES_STATUS, status);
  store<u32>(res + RES_REASON, reason);
  return D_FAULT;
}

export function vtdFsDecode(c: usize, r: usize, step: u32, level: i32, d: u64, va: u64, acc: u32, res: usize): u32 {
  if ((d & VTD_FS_PTE_P_MASK) == 0) return fault(res, ST_TRANSLATION, R_INVALID);
  const flags = load<u32>(c + CTX_FLAGS);
  const haw = <u64>load<u32>(r + REG_OABITS);
  let rsv = VTD_FS_PTE_ADDR_MASK & ~((<u64>1 << haw) - 1);
  if ((flags & VFF_NXE) == 0) rsv |= VTD_FS_PTE_XD_MASK;
  const ps = (d & VTD_FS_PTE_PS_MASK) != 0 && level > 1;
  if (ps) {
    if (level > 3 || (level == 3 && (flags & VFF_1G) == 0)) return fault(res, ST_TRANSLATION, R_RESERVED);
    rsv |= ((<u64>1 << <u64>(12 + 9 * (level - 1))) - 1) & ~(PAT_LARGE | 0xfff);
  }
  if ((d & rsv) != 0) return fault(res, ST_TRANSLATION, R_RESERVED);

  let t = load<u32>(DEC + DEC_TACC);
  if ((d & VTD_FS_PTE_RW_MASK) == 0) t |= T_RO;
  if ((d & VTD_FS_PTE_US_MASK) == 0) t |= T_SUP;
  if ((d & VTD_FS_PTE_XD_MASK) != 0) t |= T_XD; // reserved (already faulted) without NXE
  store<u32>(DEC + DEC_TACC, t);
  const ad = (flags & VFF_AD) != 0;

  if (level > 1 && !ps) {
    if (ad && (d & VTD_FS_PTE_A_MASK) == 0) {
      if (!gpaWrite64(load<f64>(res + RES_ENTRY_ADDR), d | VTD_FS_PTE_A_MASK)) return fault(res, ST_EXT_ABORT, R_UPDATE_ABORT);
    }
    store<u64>(DEC + DEC_NEXT, d & VTD_FS_PTE_ADDR_MASK);
    return D_TABLE;
  }

  // Leaf: permissions at both privileges, from what every level allowed.
  const user = (t & T_SUP) == 0;
  const rw = (t & T_RO) == 0;
  const nx = (t & T_XD) != 0;
  const privW = rw || (flags & VFF_WPE) == 0;
  const privX = !nx && !(user && (flags & VFF_SMEP) != 0);
  const permsPriv = PERM_R | (privW ? PERM_W : 0) | (privX ? PERM_X : 0);
  const permsUser = user ? PERM_R | (rw ? PERM_W : 0) | (nx ? 0 : PERM_X) : 0;
  const priv = (acc & ACC_PRIV) != 0;
  const perm = priv ? permsPriv : permsUser;
  const shift = <u64>(12 + 9 * (level - 1));
  const oa = (d & VTD_FS_PTE_ADDR_MASK & ~((<u64>1 << shift) - 1)) | (va & ((<u64>1 << shift) - 1));
  const pat = level > 1 ? (d & PAT_LARGE) != 0 : (d & VTD_FS_PTE_PS_MASK) != 0;
  let attrs: u32 = ((d & VTD_FS_PTE_PWT_MASK) != 0 ? 1 : 0) | ((d & VTD_FS_PTE_PCD_MASK) != 0 ? 2 : 0) | (pat ? 4 : 0);
  if ((d & VTD_FS_PTE_G_MASK) == 0) attrs |= A_NG;
  store<f64>(res + RES_OA, <f64>oa);
  store<u32>(res + RES_PAGE_SHIFT, <u32>shift);
  store<u32>(res + RES_PERM, perm);
  store<u32>(res + RES_PERM_ALL, permsPriv | (permsUser << PERM_UNPRIV_SHIFT));

  const write = (acc & ACC_WRITE) != 0;
  let reason: u32 = 0;
  if (!priv && !user) reason = R_PERM_USER;
  else if (write && (perm & PERM_W) == 0) reason = R_PERM_WRITE;
  else if ((acc & ACC_EXEC) != 0 && (perm & PERM_X) == 0) reason = R_PERM_EXEC;
  if (reason != 0) {
    if ((d & VTD_FS_PTE_A_MASK) != 0) attrs |= A_AF;
    if ((d & VTD_FS_PTE_D_MASK) != 0) attrs |= A_DIRTY;
    store<u32>(res + RES_ATTRS, attrs);
    return fault(res, ST_PERMISSION, reason);
  }
  let nd = d;
  if (ad) {
    nd |= VTD_FS_PTE_A_MASK;
    if (write) nd |= VTD_FS_PTE_D_MASK;
  }
  if ((nd & VTD_FS_PTE_A_MASK) != 0) attrs |= A_AF;
  if ((nd & VTD_FS_PTE_D_MASK) != 0) attrs |= A_DIRTY;
  store<u32>(res + RES_ATTRS, attrs);
  store<u32>(DEC + DEC_WANT, nd != d ? 1 : 0);
  store<u64>(DEC + DEC_UPDATE, nd);
  return D_LEAF;
}

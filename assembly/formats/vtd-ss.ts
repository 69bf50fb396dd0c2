// Intel VT-d second-stage (second-level) page tables. Facts: shared/reference/vtd.md 3.1-3.3
// (entry format per level, walk order, reserved-bit masks) and section 5 (fault reasons).
//
// Parameters (CTX_P index, u32):
//   0 AW     address-width code of the context / PASID entry: 1 = 39-bit (3 levels),
//            2 = 48-bit (4 levels), 3 = 57-bit (5 levels); anything else is CFG_INPUT_SIZE
//            (AW 0, the 30-bit 2-level tables of old revisions, is not modelled)
//   1 HAW    host address width in bits (CAP.MGAW + 1 / QEMU aw-bits), 32..52: entry address
//            bits at and above it are reserved
//   2 MGAW   input limit in bits (CAP.MGAW + 1); 0 = the AGAW width. Inputs at or above
//            min(MGAW, AGAW width) fault before any table is read
//   3 FLAGS  VSF_* below
// Addresses (CTX_A index, f64): 0 SLPTPTR (bits 11:0 ignored).
//
// A context is stage 2 (CTX_STAGE = 2) so a first-stage context can nest over it.
//
// Walk (per level, QEMU's order in vtd_iova_to_slpte, vtd.md 3.3): there is no present bit,
// an entry with R = W = 0 is not present -> ST_TRANSLATION / R_INVALID; then the access is
// checked against this entry's R/W (X) -> ST_PERMISSION / R_PERM_*; then reserved bits of a
// present entry -> ST_TRANSLATION / R_RESERVED; then leaf or table. Permissions AND across
// levels (QEMU faults at the first level that denies). Result levels are VT-d levels: 1 = PTE,
// 2 = PDE, 3 = PDPE, 4 = PML4E, 5 = PML5E.
//
// Fault reason (FRCD.FR) a VT-d model records for each outcome (vtd.md 3.3, 5.1, 5.2):
//   R_INPUT_RANGE                 legacy 0x04 ADDR_BEYOND_MGAW   scalable 0x83
//   R_INVALID, read / write       legacy 0x06 READ / 0x05 WRITE  scalable 0x79 (SSL.2)
//   R_PERM_READ / R_PERM_WRITE    legacy 0x06 / 0x05             scalable 0x79
//   R_RESERVED                    legacy 0x0C PAGING_ENTRY_RSVD  scalable 0x7A
//   ST_EXT_ABORT at the top level legacy 0x03 CONTEXT_ENTRY_INV  scalable 0x7B
//   ST_EXT_ABORT below it         legacy 0x07 PAGING_ENTRY_INV   scalable 0x78
//   R_UPDATE_ABORT (A/D update)   scalable 0x7C is the no-snoop case; the model decides
// The interrupt-window check (0xFEE0_0000, FR 0x0E / 0x87) depends on the request (with or
// without PASID) and is the model's, not the table format's.
import {
  ACC_EXEC, ACC_WRITE, A_AF, A_DIRTY, A_SNP, CFG_INPUT_SIZE, CFG_OK, CFG_OUTPUT_SIZE, CTX_A, CTX_FLAGS, CTX_NREG,
  CTX_P, CTX_REG, CTX_STAGE, D_FAULT, D_LEAF, D_TABLE, DEC, DEC_NEXT, DEC_TACC, DEC_UPDATE, DEC_WANT, PERM_R,
  PERM_UNPRIV_SHIFT, PERM_W, PERM_X, REG_BASE, REG_BITS, REG_ENABLED, REG_ESHIFT, REG_FLAGS, REG_GSHIFT,
  REG_INBITS, REG_LEVEL, REG_OABITS, REG_SHIFT, REG_STEPS, RES_ATTRS, RES_ENTRY_ADDR, RES_LEVEL, RES_OA,
  RES_PAGE_SHIFT, RES_PERM, RES_PERM_ALL, RES_REASON, RES_STATUS, R_INPUT_RANGE, R_INVALID, R_PERM_EXEC,
  R_PERM_READ, R_PERM_WRITE, R_RESERVED, R_UPDATE_ABORT, ST_EXT_ABORT, ST_PERMISSION, ST_TRANSLATION,
} from '../walk/layout';
import { fastTable } from '../walk/fast';
import {
  VTD_SS_PTE_A_MASK, VTD_SS_PTE_ADDR_MASK, VTD_SS_PTE_D_MASK, VTD_SS_PTE_EMT_MASK, VTD_SS_PTE_EMT_SHIFT,
  VTD_SS_PTE_IPAT_MASK, VTD_SS_PTE_PS_MASK, VTD_SS_PTE_R_MASK, VTD_SS_PTE_SNP_MASK, VTD_SS_PTE_W_MASK,
  VTD_SS_PTE_X_MASK,
} from '../generated/vtd';
import { gpaWrite64 } from '../mem';

export const VSP_AW: u32 = 0;
export const VSP_HAW: u32 = 1;
export const VSP_MGAW: u32 = 2;
export const VSP_FLAGS: u32 = 3;

/** CAP.SLLPS bit 0: 2 MiB leaves (PS=1 in a PDE) are supported; otherwise PS there is reserved. */
export const VSF_2M: u32 = 1 << 0;
/** CAP.SLLPS bit 1: 1 GiB leaves (PS=1 in a PDPE). */
export const VSF_1G: u32 = 1 << 1;
/** SNP (bit 11) is a leaf attribute (ECAP.SC or scalable mode); otherwise it is reserved (QEMU). */
export const VSF_SNP: u32 = 1 << 2;
/** Bit 62 (old TM) is allowed in leaves (QEMU with device-iotlb + stale-tm); otherwise reserved. */
export const VSF_TM: u32 = 1 << 3;
/** Execute requests are checked against X (PASID entry SSEE); otherwise an execute is checked as a read. */
export const VSF_EXEC: u32 = 1 << 4;
/** Hardware sets A in every entry walked and D in a leaf written (PASID entry SSADE). */
export const VSF_AD: u32 = 1 << 5;

// Permissions some level above denied (DEC_TACC).
const T_NO_R: u32 = 1;
const T_NO_W: u32 = 2;
const T_NO_X: u32 = 4;

const BIT62: u64 = <u64>1 << 62;
const PRESENT: u64 = VTD_SS_PTE_R_MASK | VTD_SS_PTE_W_MASK;

export function vtdSsSetup(c: usize): u32 {
  store<u32>(c + CTX_STAGE, 2);
  store<u32>(c + CTX_NREG, 1);
  const p = c + CTX_P;
  const aw = load<u32>(p + VSP_AW * 4);
  if (aw < 1 || aw > 3) return CFG_INPUT_SIZE;
  const haw = load<u32>(p + VSP_HAW * 4);
  if (haw < 32 || haw > 52) return CFG_OUTPUT_SIZE;
  const width: u32 = 30 + 9 * aw;
  let mgaw = load<u32>(p + VSP_MGAW * 4);
  if (mgaw == 0 || mgaw > width) mgaw = width;
  const flags = load<u32>(p + VSP_FLAGS * 4);
  store<u32>(c + CTX_FLAGS, flags);
  const r = c + CTX_REG;
  const levels: u32 = aw + 2;
  store<u32>(r + REG_GSHIFT, 12);
  store<u32>(r + REG_ESHIFT, 3);
  store<u32>(r + REG_STEPS, levels);
  store<u32>(r + REG_INBITS, mgaw);
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
  // Plain table (vtdSsDecode's non-leaf branch): R and W set (Linux sets both), PS clear, no
  // reserved bit; X must be set when execute requests are checked (else a table without X
  // faults an execute), and A when SSADE would set it. An X of 0 still denies execute below.
  const exec = (flags & VSF_EXEC) != 0;
  const ad = (flags & VSF_AD) != 0;
  const want = PRESENT | (exec ? VTD_SS_PTE_X_MASK : 0) | (ad ? VTD_SS_PTE_A_MASK : 0);
  const rsv = (VTD_SS_PTE_ADDR_MASK & ~((<u64>1 << <u64>haw) - 1)) | BIT62 | VTD_SS_PTE_SNP_MASK | VTD_SS_PTE_PS_MASK;
  fastTable(r, want | rsv, want, VTD_SS_PTE_ADDR_MASK, ~(<u64>0), 0, T_NO_R | T_NO_W | T_NO_X, false);
  return CFG_OK;
}

export function vtdSsSelect(c: usize, va: u64, res: usize): usize {
  const r = c + CTX_REG;
  if (va >> <u64>load<u32>(r + REG_INBITS) != 0) {
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

export function vtdSsDecode(c: usize, r: usize, step: u32, level: i32, d: u64, va: u64, acc: u32, res: usize): u32 {
  if ((d & PRESENT) == 0) return fault(res, ST_TRANSLATION, R_INVALID);
  const flags = load<u32>(c + CTX_FLAGS);
  const write = (acc & ACC_WRITE) != 0;
  const exec = (acc & ACC_EXEC) != 0 && (flags & VSF_EXEC) != 0;

  // This level's permissions, folded into what the levels above allowed.
  let t = load<u32>(DEC + DEC_TACC);
  if ((d & VTD_SS_PTE_R_MASK) == 0) t |= T_NO_R;
  if ((d & VTD_SS_PTE_W_MASK) == 0) t |= T_NO_W;
  if ((d & VTD_SS_PTE_X_MASK) == 0) t |= T_NO_X;
  store<u32>(DEC + DEC_TACC, t);
  if (write) {
    if ((d & VTD_SS_PTE_W_MASK) == 0) return fault(res, ST_PERMISSION, R_PERM_WRITE);
  } else if ((d & VTD_SS_PTE_R_MASK) == 0) {
    return fault(res, ST_PERMISSION, R_PERM_READ);
  } else if (exec && (d & VTD_SS_PTE_X_MASK) == 0) {
    return fault(res, ST_PERMISSION, R_PERM_EXEC);
  }

  // Reserved bits of a present entry. Address bits at and above HAW (bits 61:52 and 63 are
  // ignored, not reserved); bit 62 unless TM is allowed in leaves; PS in PML4E/PML5E and
  // where SLLPS gives no large page; SNP outside leaves (and in leaves without snoop
  // control); the frame bits below a large page's size.
  const haw = <u64>load<u32>(r + REG_OABITS);
  let rsv = VTD_SS_PTE_ADDR_MASK & ~((<u64>1 << haw) - 1);
  const ps = (d & VTD_SS_PTE_PS_MASK) != 0;
  let leaf = level == 1;
  if (ps && level > 1) {
    const ok = (level == 2 && (flags & VSF_2M) != 0) || (level == 3 && (flags & VSF_1G) != 0);
    if (!ok) return fault(res, ST_TRANSLATION, R_RESERVED);
    leaf = true;
  }
  if (leaf) {
    if ((flags & VSF_TM) == 0) rsv |= BIT62;
    if ((flags & VSF_SNP) == 0) rsv |= VTD_SS_PTE_SNP_MASK;
    if (level > 1) rsv |= ((<u64>1 << <u64>(12 + 9 * (level - 1))) - 1) & ~(<u64>0xfff);
  } else {
    rsv |= BIT62 | VTD_SS_PTE_SNP_MASK;
  }
  if ((d & rsv) != 0) return fault(res, ST_TRANSLATION, R_RESERVED);

  const ad = (flags & VSF_AD) != 0;
  if (!leaf) {
    // SSADE: the accessed flag of a table entry is set as the walk passes it (the engine
    // writes back leaves only; a stage-2 context is never nested, so its entry address is
    // the physical address to update).
    if (ad && (d & VTD_SS_PTE_A_MASK) == 0) {
      if (!gpaWrite64(load<f64>(res + RES_ENTRY_ADDR), d | VTD_SS_PTE_A_MASK)) return fault(res, ST_EXT_ABORT, R_UPDATE_ABORT);
    }
    store<u64>(DEC + DEC_NEXT, d & VTD_SS_PTE_ADDR_MASK);
    return D_TABLE;
  }

  const shift = <u64>(12 + 9 * (level - 1));
  const oa = (d & VTD_SS_PTE_ADDR_MASK & ~((<u64>1 << shift) - 1)) | (va & ((<u64>1 << shift) - 1));
  let perms: u32 = 0;
  if ((t & T_NO_R) == 0) perms |= PERM_R;
  if ((t & T_NO_W) == 0) perms |= PERM_W;
  // Without SSEE an execute request is a read.
  if ((flags & VSF_EXEC) != 0 ? (t & (T_NO_X | T_NO_R)) == 0 : (t & T_NO_R) == 0) perms |= PERM_X;
  let nd = d;
  if (ad) {
    nd |= VTD_SS_PTE_A_MASK;
    if (write) nd |= VTD_SS_PTE_D_MASK;
  }
  let attrs = <u32>((d & (VTD_SS_PTE_EMT_MASK | VTD_SS_PTE_IPAT_MASK)) >> VTD_SS_PTE_EMT_SHIFT);
  if ((nd & VTD_SS_PTE_A_MASK) != 0) attrs |= A_AF;
  if ((nd & VTD_SS_PTE_D_MASK) != 0) attrs |= A_DIRTY;
  if ((d & VTD_SS_PTE_SNP_MASK) != 0) attrs |= A_SNP;
  store<f64>(res + RES_OA, <f64>oa);
  store<u32>(res + RES_PAGE_SHIFT, <u32>shift);
  store<u32>(res + RES_PERM, perms);
  store<u32>(res + RES_PERM_ALL, perms | (perms << PERM_UNPRIV_SHIFT));
  store<u32>(res + RES_ATTRS, attrs);
  store<u32>(DEC + DEC_WANT, nd != d ? 1 : 0);
  store<u64>(DEC + DEC_UPDATE, nd);
  return D_LEAF;
}

// Rockchip IOMMU page tables, v1 ("rockchip,iommu": RK3288, RK3399) and v2
// ("rockchip,rk3568-iommu": RK3568/RK3576/RK3588). Facts: shared/reference/soc-iommus.md 3.1-3.3,
// 3.5 (source: Linux rockchip-iommu.c):
//   * Two levels of 32-bit entries: a 4 KiB Directory Table of 1024 DTEs indexed by IOVA[31:22],
//     each pointing at a 4 KiB Page Table of 1024 PTEs indexed by IOVA[21:12]; 4 KiB pages over
//     a 32-bit IOVA (aperture 0..0xFFFFFFFF).
//   * v1 DTE: [31:12] PT address, [0] VALID. v1 PTE: [31:12] page address, [2] WRITABLE,
//     [1] READABLE, [0] VALID; bits 11:3 are cache attributes / reserved and do not translate.
//   * v2 packs a 40-bit PA into the same 32 bits: [31:12] PA[31:12], [11:8] PA[35:32],
//     [7:4] PA[39:36]; PTE bit 3 "security" (Linux leaves 0), DTE bit 3 reserved.
//   * Faults: the hardware raises PAGE_FAULT (INT bit 0) with PAGE_FAULT_ADDR and the direction
//     in STATUS bit 5; the register model maps every fault below onto it.
//
// Parameters (CTX_P index, u32): 0 VERSION 1 or 2, else CFG_UNSUPPORTED.
// Addresses (CTX_A index, f64): 0 Directory Table physical address (DTE_ADDR decoded by the
// register model; bits 11:0 ignored).
//
// Levels reported: 0 for the DTE, 1 for the PTE. Outcomes: IOVA >= 2^32 -> ST_TRANSLATION /
// R_INPUT_RANGE; DTE or PTE without VALID -> ST_TRANSLATION / R_INVALID; a write to a PTE
// without WRITABLE or a read of one without READABLE -> ST_PERMISSION / R_PERM_WRITE /
// R_PERM_READ (model choice: the sheet names the permission bits but not the fault kind; the
// register model reports a page fault either way). No execute permission: a fetch is a read.
import {
  ACC_WRITE, CFG_OK, CFG_UNSUPPORTED, CTX_A, CTX_NREG, CTX_P, CTX_REG, CTX_STAGE, D_FAULT, D_LEAF, D_TABLE, DEC,
  DEC_NEXT, DEC_UPDATE, DEC_WANT, PERM_R, PERM_UNPRIV_SHIFT, PERM_W, PERM_X, REG_BASE, REG_BITS, REG_ENABLED,
  REG_ESHIFT, REG_FLAGS, REG_GSHIFT, REG_INBITS, REG_LEVEL, REG_OABITS, REG_SHIFT, REG_STEPS, RES_ATTRS,
  RES_LEVEL, RES_OA, RES_PAGE_SHIFT, RES_PERM, RES_PERM_ALL, RES_REASON, RES_STATUS, R_INPUT_RANGE, R_INVALID,
  R_PERM_READ, R_PERM_WRITE, ST_PERMISSION, ST_TRANSLATION,
} from '../walk/layout';

export const RKP_VERSION: u32 = 0;

const VALID: u64 = 1;
const READABLE: u64 = 2;
const WRITABLE: u64 = 4;

export function rockchipSetup(c: usize): u32 {
  store<u32>(c + CTX_STAGE, 1);
  store<u32>(c + CTX_NREG, 1);
  const v = load<u32>(c + CTX_P + RKP_VERSION * 4);
  if (v != 1 && v != 2) return CFG_UNSUPPORTED;
  const r = c + CTX_REG;
  store<u32>(r + REG_GSHIFT, 12);
  store<u32>(r + REG_ESHIFT, 2);
  store<u32>(r + REG_STEPS, 2);
  store<u32>(r + REG_INBITS, 32);
  store<u32>(r + REG_ENABLED, 1);
  store<u32>(r + REG_FLAGS, v);
  store<u32>(r + REG_OABITS, v == 1 ? 32 : 40);
  store<u8>(r + REG_SHIFT, 22);
  store<u8>(r + REG_BITS, 10);
  store<i8>(r + REG_LEVEL, 0);
  store<u8>(r + REG_SHIFT + 1, 12);
  store<u8>(r + REG_BITS + 1, 10);
  store<i8>(r + REG_LEVEL + 1, 1);
  store<u64>(r + REG_BASE, (<u64>load<f64>(c + CTX_A)) & ~(<u64>0xfff));
  return CFG_OK;
}

export function rockchipSelect(c: usize, va: u64, res: usize): usize {
  if ((va >> 32) != 0) {
    store<i32>(res + RES_LEVEL, 0);
    store<u32>(res + RES_STATUS, ST_TRANSLATION);
    store<u32>(res + RES_REASON, R_INPUT_RANGE);
    return 0;
  }
  return c + CTX_REG;
}

// @ts-ignore: decorator
@inline
function fault(res: usize, status: u32, reason: u32): u32 {
  store<u32>(res + RES_STATUS, status);
  store<u32>(res + RES_REASON, reason);
  return D_FAULT;
}

export function rockchipDecode(c: usize, r: usize, step: u32, level: i32, d: u64, va: u64, acc: u32, res: usize): u32 {
  if ((d & VALID) == 0) return fault(res, ST_TRANSLATION, R_INVALID);
  let pa = d & 0xffff_f000;
  if (load<u32>(r + REG_FLAGS) == 2) pa |= ((d & 0xf00) << 24) | ((d & 0xf0) << 32);
  if (step == 0) {
    store<u64>(DEC + DEC_NEXT, pa);
    return D_TABLE;
  }
  let perms: u32 = 0;
  if ((d & READABLE) != 0) perms |= PERM_R | PERM_X;
  if ((d & WRITABLE) != 0) perms |= PERM_W;
  store<f64>(res + RES_OA, <f64>(pa | (va & 0xfff)));
  store<u32>(res + RES_PAGE_SHIFT, 12);
  store<u32>(res + RES_PERM, perms);
  store<u32>(res + RES_PERM_ALL, perms | (perms << PERM_UNPRIV_SHIFT));
  store<u32>(res + RES_ATTRS, 0);
  if ((acc & ACC_WRITE) != 0) {
    if ((d & WRITABLE) == 0) return fault(res, ST_PERMISSION, R_PERM_WRITE);
  } else if ((d & READABLE) == 0) {
    return fault(res, ST_PERMISSION, R_PERM_READ);
  }
  store<u32>(DEC + DEC_WANT, 0);
  store<u64>(DEC + DEC_UPDATE, d);
  return D_LEAF;
}

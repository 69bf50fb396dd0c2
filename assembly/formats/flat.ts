// Flat single-level tables of 32-bit entries, 4 KiB pages: MediaTek M4U v1 (one 4 MiB table
// covering 4 GiB, VALID at bit 1, PA[31:12]) and Tegra20 GART (8192 entries over a 32 MiB
// aperture, VALID at bit 31, PA[30:12]; the hardware keeps them behind an ADDR/DATA register
// pair, the model keeps them in memory for this walker). Facts: shared/reference/soc-iommus.md
// 4.2 and 5.1. Neither has permission bits: a valid entry grants read and write.
//
// Parameters (CTX_P index, u32):
//   0 VALID   bit number of the valid bit (1 MediaTek v1, 31 GART), 0..31
//   1 ADDRTOP one past the top PA bit of the entry (32 MediaTek v1, 31 GART), 13..32
//   2 INBITS  log2 of the aperture size (32: 4 GiB MediaTek v1; 25: 32 MiB GART), 12..32
// Addresses (CTX_A index, f64): 0 table base; 1 aperture base (aligned to the aperture size,
// else CFG_INPUT_SIZE). Index = (iova - aperture base) >> 12.
//
// Outcomes: iova outside the aperture -> ST_TRANSLATION / R_INPUT_RANGE (GART does not
// translate or block such DMA: the model passes it through; MediaTek v1 has no outside);
// entry without VALID -> ST_TRANSLATION / R_INVALID (MediaTek: translation fault; GART:
// MC_INTSTATUS INVALID_GART_PAGE). Output = entry PA bits | iova[11:0].
import {
  CFG_INPUT_SIZE, CFG_OK, CFG_OUTPUT_SIZE, CTX_A, CTX_NREG, CTX_P, CTX_REG, CTX_STAGE, D_FAULT, D_LEAF, DEC,
  DEC_UPDATE, DEC_WANT, PERM_R, PERM_UNPRIV_SHIFT, PERM_W, PERM_X, REG_BASE, REG_BITS, REG_ENABLED, REG_ESHIFT,
  REG_FLAGS, REG_GSHIFT, REG_INBITS, REG_LEVEL, REG_OABITS, REG_SHIFT, REG_STEPS, RES_ATTRS, RES_LEVEL, RES_OA,
  RES_PAGE_SHIFT, RES_PERM, RES_PERM_ALL, RES_REASON, RES_STATUS, R_INPUT_RANGE, R_INVALID, ST_TRANSLATION,
} from '../walk/layout';

export const FP_VALID: u32 = 0;
export const FP_ADDRTOP: u32 = 1;
export const FP_INBITS: u32 = 2;

// REG_FLAGS holds the valid bit; REG_OABITS the address top; the aperture base is kept in
// the second region slot's base (unused otherwise).
export function flatSetup(c: usize): u32 {
  store<u32>(c + CTX_STAGE, 1);
  store<u32>(c + CTX_NREG, 1);
  const p = c + CTX_P;
  const valid = load<u32>(p + FP_VALID * 4);
  const top = load<u32>(p + FP_ADDRTOP * 4);
  const inBits = load<u32>(p + FP_INBITS * 4);
  if (valid > 31 || top < 13 || top > 32) return CFG_OUTPUT_SIZE;
  if (inBits < 12 || inBits > 32) return CFG_INPUT_SIZE;
  const aperture = <u64>load<f64>(c + CTX_A + 8);
  if ((aperture & ((<u64>1 << <u64>inBits) - 1)) != 0) return CFG_INPUT_SIZE;
  const r = c + CTX_REG;
  store<u32>(r + REG_GSHIFT, 12);
  store<u32>(r + REG_ESHIFT, 2);
  store<u32>(r + REG_STEPS, 1);
  store<u32>(r + REG_INBITS, inBits);
  store<u32>(r + REG_ENABLED, 1);
  store<u32>(r + REG_FLAGS, valid);
  store<u32>(r + REG_OABITS, top);
  store<u8>(r + REG_SHIFT, 12);
  store<u8>(r + REG_BITS, <u8>(inBits - 12));
  store<i8>(r + REG_LEVEL, 0);
  store<u64>(r + REG_BASE, <u64>load<f64>(c + CTX_A));
  store<u64>(r + 64 + REG_BASE, aperture);
  return CFG_OK;
}

export function flatSelect(c: usize, va: u64, res: usize): usize {
  const r = c + CTX_REG;
  if ((va >> <u64>load<u32>(r + REG_INBITS)) != (load<u64>(r + 64 + REG_BASE) >> <u64>load<u32>(r + REG_INBITS))) {
    store<i32>(res + RES_LEVEL, 0);
    store<u32>(res + RES_STATUS, ST_TRANSLATION);
    store<u32>(res + RES_REASON, R_INPUT_RANGE);
    return 0;
  }
  return r;
}

export function flatDecode(c: usize, r: usize, step: u32, level: i32, d: u64, va: u64, acc: u32, res: usize): u32 {
  if (((d >> <u64>load<u32>(r + REG_FLAGS)) & 1) == 0) {
    store<u32>(res + RES_STATUS, ST_TRANSLATION);
    store<u32>(res + RES_REASON, R_INVALID);
    return D_FAULT;
  }
  const top = <u64>load<u32>(r + REG_OABITS);
  const pa = d & ((<u64>1 << top) - 1) & ~(<u64>0xfff);
  const perms: u32 = PERM_R | PERM_W | PERM_X;
  store<f64>(res + RES_OA, <f64>(pa | (va & 0xfff)));
  store<u32>(res + RES_PAGE_SHIFT, 12);
  store<u32>(res + RES_PERM, perms);
  store<u32>(res + RES_PERM_ALL, perms | (perms << PERM_UNPRIV_SHIFT));
  store<u32>(res + RES_ATTRS, 0);
  store<u32>(DEC + DEC_WANT, 0);
  store<u64>(DEC + DEC_UPDATE, d);
  return D_LEAF;
}

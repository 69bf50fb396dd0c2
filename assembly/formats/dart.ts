// Apple DART page tables: DART1 PTEs (t8020 M1, t8103 USB4) and DART2 PTEs (t6000, t8110).
// Facts (shared/reference/soc-iommus.md 2.3, 2.4, 2.6, 15; sources Linux io-pgtable-dart.c and
// apple-dart.c, m1n1 dart8020.py/dart8110.py):
//   * Tables are one DART page (16 KiB: 2048 x 8-byte entries, 11 index bits; 4 KiB: 512
//     entries, 9 bits). Each TTBR points at a top table; below it 2 tables (t8020, t8110 without
//     TCR.FOUR_LEVEL: "3-level") or 3 (t8110 with FOUR_LEVEL: "4-level").
//   * t8020-family SIDs have 4 TTBRs selected by the IOVA bits above the tables (16 KiB:
//     IOVA[37:36]; 4 KiB: IOVA[31:30]); t8110 has one. TTBR VALID clear -> ERROR NO_TTBR.
//   * DART1 entry: VALID 0, SP_DIS 1, NO_WRITE 7, NO_READ 8, PA[35:12] in place (Linux mask;
//     m1n1's 39:14 disagrees, 15 -- only above 64 GiB), SUBPAGE_END 51:40, SUBPAGE_START 63:52.
//   * DART2 entry: VALID 0, NO_CACHE 1, NO_WRITE 2, NO_READ 3, bits 37:10 = PA[41:14],
//     SUBPAGE_END/START as DART1.
//   * Table entries encode the address exactly like a leaf plus VALID; other bits ignored
//     (u-boot and m1n1 set bit 1 on tables, hardware accepts both).
//   * Errors: invalid entry per level (t8020 NO_PMD / NO_PTE; t8110 NO_PGD / NO_PMD / NO_PTE),
//     WRITE_FAULT, READ_FAULT, and (m1n1, t8020 ERROR bit 7) SUBPAGE_PROT.
//
// Parameters (CTX_P index, u32):
//   0 PTE     1 = DART1, 2 = DART2; else CFG_UNSUPPORTED
//   1 PAGE    log2 DART page (PARAMS1[27:24]): 12 or 14; else CFG_GRANULE
//   2 TABLES  tables below the TTBR: 2, or 3 (t8110 FOUR_LEVEL); else CFG_START_LEVEL
//   3 TTBRS   TTBRs per SID: 1 (t8110) or 4 (t8020 family); else CFG_INPUT_SIZE
//   4 IAS     input address bits (t8020: 32; t8110: PARAMS3 VA_WIDTH), PAGE+1..64; else
//             CFG_INPUT_SIZE. Addresses at or above 2^min(IAS, what the TTBRs and tables
//             cover) fault R_INPUT_RANGE (model choice: the sheet does not say what hardware
//             does with them; Linux never issues them, its aperture ends at 2^ias - 1).
//   5 VALID   bit i = TTBR i has VALID set
// Addresses (CTX_A index, f64): TTBR i's top-table physical address (the register model
// decodes t8020 PA >> 12 / t8110 PA >> 14).
//
// Levels reported count from the TTBR: 0 TTBR, 1 top table of a 4-level walk (PGD), 2 PMD,
// 3 PTE, so a t8110 invalid entry's level is its ERROR code bit (NO_TTBR 0 .. NO_PTE 3).
// Outcomes: TTBR invalid -> ST_TRANSLATION / R_REGION_DISABLED, level 0; entry without VALID
// -> ST_TRANSLATION / R_INVALID; NO_WRITE on a write / NO_READ on a read -> ST_PERMISSION /
// R_PERM_WRITE / R_PERM_READ; page offset outside the subpage window -> ST_PERMISSION /
// R_SUBPAGE. DART2 has no SP_DIS bit, so its window always applies (Linux writes the whole
// page, 0..0xFFF). Window unit: 4-byte words (the sheet's unit; for 4 KiB pages words past
// 0x3FF never occur). Order of checks (model choice): read/write permission, then subpage.
// There is no execute permission: a fetch is a read. Output = PA with the page offset bits
// replaced by the IOVA's.
import {
  ACC_WRITE, CFG_GRANULE, CFG_INPUT_SIZE, CFG_OK, CFG_START_LEVEL, CFG_UNSUPPORTED, CTX_A, CTX_FLAGS, CTX_NREG,
  CTX_P, CTX_REG, CTX_STAGE, D_FAULT, D_LEAF, D_TABLE, DEC, DEC_NEXT, DEC_UPDATE, DEC_WANT, PERM_R,
  PERM_UNPRIV_SHIFT, PERM_W, PERM_X, REG_BASE, REG_BITS, REG_ENABLED, REG_ESHIFT, REG_FLAGS, REG_GSHIFT,
  REG_INBITS, REG_LEVEL, REG_OABITS, REG_SHIFT, REG_STEPS, REG_X0, RES_ATTRS, RES_LEVEL, RES_OA, RES_PAGE_SHIFT,
  RES_PERM, RES_PERM_ALL, RES_REASON, RES_STATUS, R_INPUT_RANGE, R_INVALID, R_PERM_READ, R_PERM_WRITE,
  R_REGION_DISABLED, R_SUBPAGE, ST_PERMISSION, ST_TRANSLATION,
} from '../walk/layout';

export const DP_PTE: u32 = 0;
export const DP_PAGE: u32 = 1;
export const DP_TABLES: u32 = 2;
export const DP_TTBRS: u32 = 3;
export const DP_IAS: u32 = 4;
export const DP_VALID: u32 = 5;

export const DART1: u32 = 1;
export const DART2: u32 = 2;

const SP_DIS1: u64 = 1 << 1;

// Region: REG_FLAGS = PTE kind (DART1/DART2); REG_X0 = TTBR index shift (the bits the tables
// cover) in the low word, TTBR index mask (0 or 3) in the high word. CTX_FLAGS = VALID mask.
export function dartSetup(c: usize): u32 {
  store<u32>(c + CTX_STAGE, 1);
  store<u32>(c + CTX_NREG, 1);
  const p = c + CTX_P;
  const kind = load<u32>(p + DP_PTE * 4);
  if (kind != DART1 && kind != DART2) return CFG_UNSUPPORTED;
  const page = load<u32>(p + DP_PAGE * 4);
  if (page != 12 && page != 14) return CFG_GRANULE;
  const tables = load<u32>(p + DP_TABLES * 4);
  if (tables != 2 && tables != 3) return CFG_START_LEVEL;
  const ttbrs = load<u32>(p + DP_TTBRS * 4);
  if (ttbrs != 1 && ttbrs != 4) return CFG_INPUT_SIZE;
  const ias = load<u32>(p + DP_IAS * 4);
  if (ias <= page || ias > 64) return CFG_INPUT_SIZE;
  const bpl = page - 3;
  const tblTop = page + bpl * tables;
  const cover = tblTop + (ttbrs == 4 ? 2 : 0);
  store<u32>(c + CTX_FLAGS, load<u32>(p + DP_VALID * 4) & 0xf);
  const r = c + CTX_REG;
  store<u32>(r + REG_GSHIFT, page);
  store<u32>(r + REG_ESHIFT, 3);
  store<u32>(r + REG_STEPS, tables);
  store<u32>(r + REG_INBITS, ias < cover ? ias : cover);
  store<u32>(r + REG_ENABLED, 1);
  store<u32>(r + REG_FLAGS, kind);
  store<u32>(r + REG_OABITS, kind == DART1 ? 36 : 42);
  for (let s: u32 = 0; s < tables; s++) {
    const below = tables - 1 - s;
    store<u8>(r + REG_SHIFT + s, <u8>(page + bpl * below));
    store<u8>(r + REG_BITS + s, <u8>bpl);
    store<i8>(r + REG_LEVEL + s, <i8>(3 - below));
  }
  store<u64>(r + REG_X0, <u64>tblTop | (<u64>(ttbrs - 1) << 32));
  store<u64>(r + REG_BASE, 0);
  return CFG_OK;
}

/**
 * Range check, then TTBR selection. The TTBRs are registers, not a table in memory, so the
 * engine cannot index them: select copies the chosen TTBR's address into the region's root
 * (a per-walk store into the context, deterministic, and no walk of this context can be
 * in progress underneath: nesting only ever walks a different, stage-2 context).
 */
export function dartSelect(c: usize, va: u64, res: usize): usize {
  const r = c + CTX_REG;
  const inBits = <u64>load<u32>(r + REG_INBITS);
  store<i32>(res + RES_LEVEL, 0);
  if (inBits < 64 && (va >> inBits) != 0) {
    store<u32>(res + RES_STATUS, ST_TRANSLATION);
    store<u32>(res + RES_REASON, R_INPUT_RANGE);
    return 0;
  }
  const x = load<u64>(r + REG_X0);
  const i = <u32>((va >> (x & 63)) & (x >> 32));
  if (((load<u32>(c + CTX_FLAGS) >> i) & 1) == 0) {
    store<u32>(res + RES_STATUS, ST_TRANSLATION);
    store<u32>(res + RES_REASON, R_REGION_DISABLED);
    return 0;
  }
  store<u64>(r + REG_BASE, <u64>load<f64>(c + CTX_A + (<usize>i << 3)));
  return r;
}

// @ts-ignore: decorator
@inline
function fault(res: usize, status: u32, reason: u32): u32 {
  store<u32>(res + RES_STATUS, status);
  store<u32>(res + RES_REASON, reason);
  return D_FAULT;
}

export function dartDecode(c: usize, r: usize, step: u32, level: i32, d: u64, va: u64, acc: u32, res: usize): u32 {
  if ((d & 1) == 0) return fault(res, ST_TRANSLATION, R_INVALID);
  const dart1 = load<u32>(r + REG_FLAGS) == DART1;
  const pa: u64 = dart1 ? d & 0xf_ffff_f000 : ((d >> 10) & 0xfff_ffff) << 14;
  if (step + 1 < load<u32>(r + REG_STEPS)) {
    store<u64>(DEC + DEC_NEXT, pa);
    return D_TABLE;
  }
  const page = <u64>load<u32>(r + REG_GSHIFT);
  const mask = (<u64>1 << page) - 1;
  const noRead = dart1 ? (d >> 8) & 1 : (d >> 3) & 1;
  const noWrite = dart1 ? (d >> 7) & 1 : (d >> 2) & 1;
  let perms: u32 = 0;
  if (noRead == 0) perms |= PERM_R | PERM_X;
  if (noWrite == 0) perms |= PERM_W;
  store<f64>(res + RES_OA, <f64>((pa & ~mask) | (va & mask)));
  store<u32>(res + RES_PAGE_SHIFT, <u32>page);
  store<u32>(res + RES_PERM, perms);
  store<u32>(res + RES_PERM_ALL, perms | (perms << PERM_UNPRIV_SHIFT));
  store<u32>(res + RES_ATTRS, 0);
  if ((acc & ACC_WRITE) != 0) {
    if (noWrite != 0) return fault(res, ST_PERMISSION, R_PERM_WRITE);
  } else if (noRead != 0) {
    return fault(res, ST_PERMISSION, R_PERM_READ);
  }
  if (!dart1 || (d & SP_DIS1) == 0) {
    const word = (va & mask) >> 2;
    if (word < ((d >> 52) & 0xfff) || word > ((d >> 40) & 0xfff)) return fault(res, ST_PERMISSION, R_SUBPAGE);
  }
  store<u32>(DEC + DEC_WANT, 0);
  store<u64>(DEC + DEC_UPDATE, d);
  return D_LEAF;
}

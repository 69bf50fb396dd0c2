// IBM POWER TCE tables (PHB3 IODA2 / PHB4-PHB5 IODA3 translated TVEs, and Linux PowerNV
// multi-level tables). Facts: shared/reference/power-tce.md A1, A3, A4, B3, B8.
//
// Parameters (CTX_P index, u32):
//   0 PAGE   TCE page shift: 12, 16, 21, 24, 28 or 30 (TVE IO_PSIZE + 11); else CFG_GRANULE.
//            Which of them a PHB generation accepts (PHB3: 12/16/24/28, PHB4/5: 12/16/21/30)
//            is the PHB model's check, not the format's.
//   1 LEVELS 1..5 (TVE NUM_LEVELS + 1); else CFG_START_LEVEL
//   2 LBITS  log2 entries per level table, the same at every level (TVE TCE_TABLE_SIZE + 8,
//            so 9 for a 4 KiB level); 9..(64 - PAGE) / LEVELS, else CFG_INPUT_SIZE
//   3 FLAGS  TF_* below
// Addresses (CTX_A index, f64): 0 top-level table (TVE TABLE_ADDR << 12; bits 11:0 ignored).
//
// Walk (QEMU pnv_phb3/pnv_phb4 translate_tve, B8): the index of each level is the next LBITS
// of the PCI address above the previous level's, starting at PAGE + LBITS * (LEVELS - 1);
// address bits above the indexed range are ignored (no window-size check: the sPAPR/PHB model
// bounds its windows). Entries are big-endian in memory (PHB hardware, A0) unless TF_LE.
// Non-leaf entry with R = W = 0 -> ST_TRANSLATION / R_INVALID ("invalid indirect TCE");
// next table = entry & ~0xfff. Leaf with R = W = 0 -> ST_TRANSLATION / R_INVALID; leaf
// lacking the needed permission (write needs W, read needs R) -> ST_PERMISSION /
// R_PERM_WRITE or R_PERM_READ. Output = (TCE & ~(page - 1)) | (address & (page - 1)): the
// permission bits and any bits below the page size drop out.
// Levels are reported as the number of table levels still below: the leaf level is 0.
//
// Deviation: the engine adds the index to the table base where the PHB ORs it in; the two
// differ only for a table not aligned to its own size, which Linux never builds (it
// allocates naturally aligned power-of-two levels). The top-level base is taken as given.
import {
  ACC_WRITE, CFG_GRANULE, CFG_INPUT_SIZE, CFG_OK, CFG_START_LEVEL, CTX_A, CTX_FLAGS, CTX_NREG, CTX_P, CTX_REG,
  CTX_STAGE, D_FAULT, D_LEAF, D_TABLE, DEC, DEC_NEXT, DEC_UPDATE, DEC_WANT, PERM_R, PERM_UNPRIV_SHIFT, PERM_W,
  PERM_X, REG_BASE, REG_BITS, REG_ENABLED, REG_ESHIFT, REG_FLAGS, REG_GSHIFT, REG_INBITS, REG_LEVEL, REG_OABITS,
  REG_SHIFT, REG_STEPS, RES_ATTRS, RES_OA, RES_PAGE_SHIFT, RES_PERM, RES_PERM_ALL, RES_REASON, RES_STATUS,
  R_INVALID, R_PERM_READ, R_PERM_WRITE, ST_PERMISSION, ST_TRANSLATION,
} from '../walk/layout';
import { fastTable } from '../walk/fast';

export const TP_PAGE: u32 = 0;
export const TP_LEVELS: u32 = 1;
export const TP_LBITS: u32 = 2;
export const TP_FLAGS: u32 = 3;

/** Entries are little-endian (a table the embedder keeps in host order, e.g. an sPAPR model). */
export const TF_LE: u32 = 1 << 0;

const TCE_READ: u64 = 1;
const TCE_WRITE: u64 = 2;

export function tceSetup(c: usize): u32 {
  store<u32>(c + CTX_STAGE, 1);
  store<u32>(c + CTX_NREG, 1);
  const p = c + CTX_P;
  const page = load<u32>(p + TP_PAGE * 4);
  if (page != 12 && page != 16 && page != 21 && page != 24 && page != 28 && page != 30) return CFG_GRANULE;
  const levels = load<u32>(p + TP_LEVELS * 4);
  if (levels < 1 || levels > 5) return CFG_START_LEVEL;
  const lbits = load<u32>(p + TP_LBITS * 4);
  if (lbits < 9 || page + lbits * levels > 64) return CFG_INPUT_SIZE;
  store<u32>(c + CTX_FLAGS, load<u32>(p + TP_FLAGS * 4));
  const r = c + CTX_REG;
  store<u32>(r + REG_GSHIFT, page);
  store<u32>(r + REG_ESHIFT, 3);
  store<u32>(r + REG_STEPS, levels);
  store<u32>(r + REG_INBITS, page + lbits * levels);
  store<u32>(r + REG_ENABLED, 1);
  store<u32>(r + REG_FLAGS, 0);
  store<u32>(r + REG_OABITS, 64);
  for (let s: u32 = 0; s < levels; s++) {
    const below = levels - 1 - s;
    store<u8>(r + REG_SHIFT + s, <u8>(page + lbits * below));
    store<u8>(r + REG_BITS + s, <u8>lbits);
    store<i8>(r + REG_LEVEL + s, <i8>below);
  }
  store<u64>(r + REG_BASE, (<u64>load<f64>(c + CTX_A)) & ~(<u64>0xfff));
  // Plain indirect TCE (tceDecode's non-leaf branch): R and W both set, as Linux builds them.
  fastTable(r, TCE_READ | TCE_WRITE, TCE_READ | TCE_WRITE, ~(<u64>0xfff), 0, 0, 0, (load<u32>(c + CTX_FLAGS) & TF_LE) == 0);
  return CFG_OK;
}

/** Every input address has a region: bits above the indexed range alias. */
export function tceSelect(c: usize, va: u64, res: usize): usize {
  return c + CTX_REG;
}

// @ts-ignore: decorator
@inline
function fault(res: usize, status: u32, reason: u32): u32 {
  store<u32>(res + RES_STATUS, status);
  store<u32>(res + RES_REASON, reason);
  return D_FAULT;
}

export function tceDecode(c: usize, r: usize, step: u32, level: i32, d: u64, va: u64, acc: u32, res: usize): u32 {
  const e = (load<u32>(c + CTX_FLAGS) & TF_LE) != 0 ? d : bswap<u64>(d);
  if ((e & (TCE_READ | TCE_WRITE)) == 0) return fault(res, ST_TRANSLATION, R_INVALID);
  if (level > 0) {
    store<u64>(DEC + DEC_NEXT, e & ~(<u64>0xfff));
    return D_TABLE;
  }
  const page = <u64>load<u32>(r + REG_GSHIFT);
  const mask = (<u64>1 << page) - 1;
  // No execute permission exists: an instruction fetch is a read.
  let perms: u32 = 0;
  if (e & TCE_READ) perms |= PERM_R | PERM_X;
  if (e & TCE_WRITE) perms |= PERM_W;
  store<f64>(res + RES_OA, <f64>((e & ~mask) | (va & mask)));
  store<u32>(res + RES_PAGE_SHIFT, <u32>page);
  store<u32>(res + RES_PERM, perms);
  store<u32>(res + RES_PERM_ALL, perms | (perms << PERM_UNPRIV_SHIFT));
  store<u32>(res + RES_ATTRS, 0);
  if ((acc & ACC_WRITE) != 0) {
    if ((e & TCE_WRITE) == 0) return fault(res, ST_PERMISSION, R_PERM_WRITE);
  } else if ((e & TCE_READ) == 0) {
    return fault(res, ST_PERMISSION, R_PERM_READ);
  }
  store<u32>(DEC + DEC_WANT, 0);
  store<u64>(DEC + DEC_UPDATE, d);
  return D_LEAF;
}

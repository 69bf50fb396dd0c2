// Apple DART page tables written as Linux's drivers/iommu/io-pgtable-dart.c writes them
// (the version with up to 3 tables below the TTBR; facts in shared/reference/soc-iommus.md 2.6):
//   * Geometry (computed by the facade, as dart_alloc_pgtable): bits_per_level = page_shift - 3;
//     "levels" counts the TTBR level too; index of level L = (iova >> (L * bpl + 3)) & (2^bpl - 1),
//     the leaf level being L = 1 and the TTBR selector L = levels; 2^tbl_bits TTBRs, each with a
//     top table of one granule allocated at creation.
//   * map_pages: pgsize must be the (single) page size (WARN, -EINVAL); paddr >> oas must be 0
//     (WARN, -ERANGE); prot needs READ or WRITE (-EINVAL, no WARN); a TTBR selector >= 2^tbl_bits
//     is -ENOMEM; a zero intermediate entry gets a new one-granule table (-ENOMEM when none),
//     installed as (address encoded like a leaf | VALID); any non-zero entry is followed.
//     Leaves: at most up to the end of the leaf table (min_t(int, pgcount, ...)); any of them
//     already VALID -> WARN, -EEXIST and nothing written; else prot | SUBPAGE_START 0 |
//     SUBPAGE_END 0xfff | VALID | address. Bytes mapped = entries * pgsize.
//   * unmap_pages: wrong pgsize or pgcount 0 -> WARN, 0; no leaf table -> WARN, 0; clears
//     leaves until the end of the leaf table or the first zero entry (WARN); add_page per leaf
//     unless the gather is queued. Returns entries * pgsize (never -ENOENT). Tables stay.
//   * iova_to_phys: any non-zero entry counts as present at every level (VALID is not
//     tested): address | (iova & (pgsize - 1)), else 0.
//   * free: every top table and, below it, every table a non-zero entry points at.
import {
  EFAULT, EEXIST, EINVAL, ENOMEM, ERANGE, IOMMU_CACHE, IOMMU_READ, IOMMU_WRITE, SK_DART, TLB_ADD_PAGE, allocTable,
  claimSoc, faulted, freeTable, pI, rd64, releaseSoc, setLastMapped, setPI, setXU, tlb, warn, wr64, xU,
} from './soc-common';
import {
  DART1_NO_READ, DART1_NO_WRITE, DART1_PADDR_MASK, DART1_SP_DIS, DART2_NO_CACHE, DART2_NO_READ, DART2_NO_WRITE,
  DART2_PADDR_MASK, DART2_PADDR_SHIFT, DART_PTE_VALID as PTE_VALID, DART_SUBPAGE_END_SHIFT as SUBPAGE_END_SHIFT,
  DART_SUBPAGE_START_SHIFT as SUBPAGE_START_SHIFT,
} from './soc-pte-bits';


/** io_pgtable_fmt APPLE_DART (DART1 PTEs) / APPLE_DART2. */
export const DART_FMT1: i32 = 1;
export const DART_FMT2: i32 = 2;

// Record slots.
const P_FMT: usize = 0;
const P_PGSHIFT: usize = 1;
const P_BPL: usize = 2;
const P_LEVELS: usize = 3; // includes the TTBR level
const P_TBLBITS: usize = 4;
const P_OAS: usize = 5;
// X0..X3: pgd[i]

@inline function dart1(): bool {
  return pI(P_FMT) == DART_FMT1;
}
export function paddrToIopte(pa: u64): u64 {
  return dart1() ? pa & DART1_PADDR_MASK : (pa >> DART2_PADDR_SHIFT) & DART2_PADDR_MASK;
}
export function ioptetoPaddr(pte: u64): u64 {
  return dart1() ? pte & DART1_PADDR_MASK : (pte & DART2_PADDR_MASK) << DART2_PADDR_SHIFT;
}
@inline function granule(): u64 {
  return <u64>8 << <u64>pI(P_BPL);
}
@inline function index(iova: u64, level: i32): u64 {
  const bpl = <u64>pI(P_BPL);
  return (iova >> (<u64>level * bpl + 3)) & ((<u64>1 << bpl) - 1);
}

function protToPte(prot: u32): u64 {
  let pte: u64 = 0;
  if (dart1()) {
    pte |= DART1_SP_DIS;
    if ((prot & IOMMU_WRITE) == 0) pte |= DART1_NO_WRITE;
    if ((prot & IOMMU_READ) == 0) pte |= DART1_NO_READ;
  } else {
    if ((prot & IOMMU_WRITE) == 0) pte |= DART2_NO_WRITE;
    if ((prot & IOMMU_READ) == 0) pte |= DART2_NO_READ;
    if ((prot & IOMMU_CACHE) == 0) pte |= DART2_NO_CACHE;
  }
  return pte;
}

/** apple_dart_alloc_pgtable after the geometry checks: 0, -ENOMEM (a top table), -EFAULT. */
export function dartCreate(s: i32, hook: i32, fmt: i32, pgShift: i32, levels: i32, tblBits: i32, oas: i32, fl: u32): i32 {
  if ((fmt != DART_FMT1 && fmt != DART_FMT2) || (pgShift != 12 && pgShift != 14)) return -EINVAL;
  if (levels < 3 || levels > 4 || tblBits < 0 || tblBits > 2 || oas < 1 || oas > 52) return -EINVAL;
  const c = claimSoc(s, SK_DART, hook, fl);
  if (c != 0) return c;
  setPI(P_FMT, fmt);
  setPI(P_PGSHIFT, pgShift);
  setPI(P_BPL, pgShift - 3);
  setPI(P_LEVELS, levels);
  setPI(P_TBLBITS, tblBits);
  setPI(P_OAS, oas);
  const n = 1 << tblBits;
  for (let i = 0; i < n; i++) {
    const t = allocTable(<u32>granule());
    if (t < 0 || faulted) {
      const f = faulted;
      while (--i >= 0) freeTable(xU(<usize>i), <u32>granule());
      releaseSoc();
      return f ? -EFAULT : -ENOMEM;
    }
    setXU(<usize>i, <u64>t);
  }
  return 0;
}

/** dart_map_pages: 0 or a negative errno; bytes mapped via setLastMapped. */
export function dartMap(iova: u64, paddr: u64, pgsize: u64, pgcount: u64, prot: u32): i32 {
  setLastMapped(0);
  if (pgsize != (<u64>1 << <u64>pI(P_PGSHIFT))) {
    warn();
    return -EINVAL;
  }
  if ((paddr >> <u64>pI(P_OAS)) != 0) {
    warn();
    return -ERANGE;
  }
  if ((prot & (IOMMU_READ | IOMMU_WRITE)) == 0) return -EINVAL;
  let level = pI(P_LEVELS);
  const tbl = index(iova, level);
  if (tbl >= (<u64>1 << <u64>pI(P_TBLBITS))) return -ENOMEM;
  let table = xU(<usize>tbl);
  while (--level > 1) {
    const ptep = table + (index(iova, level) << 3);
    let pte = rd64(ptep);
    if (faulted) return -EFAULT;
    if (pte == 0) {
      const t = allocTable(<u32>granule());
      if (t < 0) return -ENOMEM;
      pte = paddrToIopte(<u64>t) | PTE_VALID;
      wr64(ptep, pte);
      if (faulted) return -EFAULT;
    }
    table = ioptetoPaddr(pte);
  }
  const pteProt = protToPte(prot);
  const idx = index(iova, 1);
  const maxEntries = <i32>((granule() >> 3) - idx);
  const pc = <i32>pgcount; // min_t(int, pgcount, max_entries)
  const num = pc < maxEntries ? pc : maxEntries;
  const ptep = table + (idx << 3);
  for (let i = 0; i < num; i++) {
    const old = rd64(ptep + (<u64>i << 3));
    if (faulted) return -EFAULT;
    if ((old & PTE_VALID) != 0) {
      warn(); // "We require an unmap first"
      return -EEXIST;
    }
  }
  const base = pteProt | ((<u64>0) << SUBPAGE_START_SHIFT) | ((<u64>0xfff) << SUBPAGE_END_SHIFT) | PTE_VALID;
  for (let i = 0; i < num; i++) {
    wr64(ptep + (<u64>i << 3), base | paddrToIopte(paddr + <u64>i * pgsize));
  }
  if (faulted) return -EFAULT;
  setLastMapped(<u64>(<i64>num) * pgsize);
  return 0;
}

/** dart_get_last: the leaf table for `iova`, 0 when there is none. */
function getLast(iova: u64): u64 {
  let level = pI(P_LEVELS);
  const tbl = index(iova, level);
  if (tbl >= (<u64>1 << <u64>pI(P_TBLBITS))) return 0;
  let table = xU(<usize>tbl);
  while (--level > 1) {
    const pte = rd64(table + (index(iova, level) << 3));
    if (faulted || pte == 0) return 0;
    table = ioptetoPaddr(pte);
  }
  return table;
}

/** dart_unmap_pages: bytes unmapped. `queued`: iommu_iotlb_gather_queued (no add_page). */
export function dartUnmap(iova: u64, pgsize: u64, pgcount: u64, queued: bool): u64 {
  if (pgsize != (<u64>1 << <u64>pI(P_PGSHIFT)) || pgcount == 0) {
    warn();
    return 0;
  }
  const table = getLast(iova);
  if (table == 0) {
    if (!faulted) warn();
    return 0;
  }
  const idx = index(iova, 1);
  const maxEntries = <i32>((granule() >> 3) - idx);
  const pc = <i32>pgcount;
  const num = pc < maxEntries ? pc : maxEntries;
  let ptep = table + (idx << 3);
  let i = 0;
  while (i < num) {
    const pte = rd64(ptep);
    if (faulted) return 0;
    if (pte == 0) {
      warn();
      break;
    }
    wr64(ptep, 0);
    if (!queued) tlb(TLB_ADD_PAGE, iova + <u64>i * pgsize, pgsize, pgsize);
    ptep += 8;
    i++;
  }
  return <u64>i * pgsize;
}

/** dart_iova_to_phys: -1 only when a table access aborted. */
export function dartIovaToPhys(iova: u64): i64 {
  const table = getLast(iova);
  if (faulted) return -1;
  if (table == 0) return 0;
  const pte = rd64(table + (index(iova, 1) << 3));
  if (faulted) return -1;
  if (pte == 0) return 0;
  return <i64>(ioptetoPaddr(pte) | (iova & ((<u64>1 << <u64>pI(P_PGSHIFT)) - 1)));
}

function freeTables(table: u64, level: i32): void {
  if (level > 1) {
    const n = granule() >> 3;
    for (let i: u64 = 0; i < n; i++) {
      const pte = rd64(table + (i << 3));
      if (faulted) return;
      if (pte != 0) freeTables(ioptetoPaddr(pte), level - 1);
    }
  }
  freeTable(table, <u32>granule());
}

/** apple_dart_free_pgtable, then the handle is released. */
export function dartDestroy(): i32 {
  const n = 1 << pI(P_TBLBITS);
  for (let i = 0; i < n; i++) {
    const t = xU(<usize>i);
    if (t == 0) break;
    freeTables(t, pI(P_LEVELS) - 1);
  }
  releaseSoc();
  return faulted ? -EFAULT : 0;
}

/** TTBR i's top table (0 when the geometry has fewer TTBRs). */
export function dartTtbr(i: i32): f64 {
  if (i < 0 || i >= (1 << pI(P_TBLBITS))) return 0;
  return <f64>xU(<usize>i);
}

// Flat single-level tables: MediaTek M4U generation 1 (drivers/iommu/mtk_iommu_v1.c) and the
// Tegra20 GART (drivers/iommu/tegra-gart.c, the v5.10-era driver before its removal). Facts:
// shared/reference/soc-iommus.md 4.2, 5.1, 5.2 and 14 item 10.
//
// MediaTek M4U v1: one 4 MiB table of 2^20 u32 entries (allocated with the domain, zeroed),
// entry = PA[31:12] | NONSEC (bit 3) | VALID (bit 1), i.e. PA | 0xA; prot is ignored; index =
// iova >> 12 with no bounds check.
//   * map: for each 4 KiB page, a non-zero entry stops the loop; *mapped = pages written * 4 KiB,
//     then a range flush of [iova, iova + mapped); -EEXIST when it stopped early (the partial
//     mapping stays), else 0.
//   * unmap: zeroes pgcount entries unconditionally, range flush, returns pgcount * 4 KiB.
//   * iova_to_phys: entry & ~0xfff: no validity test and no in-page offset.
//   The driver is 32-bit (MT2701/MT7623, unsigned long / phys_addr_t / dma_addr_t 32 bits): iova
//   and the PA written are taken modulo 2^32 here. Model guard (Linux would write past its 4 MiB
//   table): a range that runs past entry 2^20 - 1 is refused with -EINVAL before any write
//   (unmap: 0).
//
// Tegra GART: 32-bit entries VALID (bit 31) | PA, one per 4 KiB page of the aperture; the
// hardware keeps them behind GART_ENTRY_ADDR / GART_ENTRY_DATA, the model keeps them in a table
// in memory that the flat walker reads (index = (iova - aperture base) >> 12).
//   * map: bytes must be exactly 4 KiB and [iova, iova + 4 KiB) inside the aperture, else
//     -EINVAL; with gart_debug an entry that is already VALID is refused with -EINVAL ("Page
//     entry is in-use"; kernels before the 2018 rework returned -EBUSY here: we follow the
//     last driver); the entry written is VALID | pa (no masking, 32-bit).
//   * unmap: an invalid range returns 0; with gart_debug an entry that is not VALID returns 0
//     ("Page entry is invalid"); else the entry becomes 0 and bytes is returned.
//   * iova_to_phys: an iova outside the aperture returns -EINVAL converted to the 32-bit
//     phys_addr_t of Tegra20 (0xFFFFFFEA); else entry & GART_PAGE_MASK (bits 30:12): no
//     validity test, no in-page offset.
import {
  EEXIST, EFAULT, EINVAL, ENOMEM, SK_GART, SK_MTK, TLB_FLUSH_RANGE, allocTable, claimSoc, faulted, freeTable, pI, rd32,
  releaseSoc, setLastMapped, setPI, setXU, tlb, wr32, xU,
} from './soc-common';
import { GART_PAGE_MASK, GART_VALID, MTK_DESC_NONSEC, MTK_DESC_VALID } from './soc-pte-bits';

const MTK_PAGE: u64 = 4096;
const MTK_ENTRIES: u64 = 1 << 20;
const MTK_PGT_SIZE: u32 = 4 << 20;
const GART_PAGE: u64 = 4096;

/** Table flag (GART): the gart_debug module parameter. */
export const GF_DEBUG: u32 = 1 << 8;

const X_TABLE: usize = 0;
const X_APERTURE: usize = 1; // GART
const X_APSIZE: usize = 2; // GART aperture bytes
const P_GFLAGS: usize = 0;

/** The 4 MiB table of mtk_iommu_v1_domain_finalise. */
export function mtkCreate(s: i32, hook: i32, fl: u32): i32 {
  const c = claimSoc(s, SK_MTK, hook, fl);
  if (c != 0) return c;
  const t = allocTable(MTK_PGT_SIZE);
  if (t < 0 || faulted) {
    const f = faulted;
    releaseSoc();
    return f ? -EFAULT : -ENOMEM;
  }
  setXU(X_TABLE, <u64>t);
  return 0;
}

/** mtk_iommu_v1_map (pgsize is always the 4 KiB page). 0 / -EEXIST / the model's -EINVAL; mapped via setLastMapped. */
export function mtkMap(iova64: u64, paddr: u64, pgcount: u64): i32 {
  setLastMapped(0);
  const iova = <u64>(<u32>iova64);
  const first = iova >> 12;
  if (pgcount > MTK_ENTRIES - first) return -EINVAL;
  const tbl = xU(X_TABLE) + (first << 2);
  let pabase = <u32>paddr;
  let i: u64 = 0;
  for (; i < pgcount; i++) {
    const e = rd32(tbl + (i << 2));
    if (faulted) return -EFAULT;
    if (e != 0) break;
    wr32(tbl + (i << 2), pabase | MTK_DESC_VALID | MTK_DESC_NONSEC);
    pabase += <u32>MTK_PAGE;
  }
  if (faulted) return -EFAULT;
  const mapped = i * MTK_PAGE;
  setLastMapped(mapped);
  tlb(TLB_FLUSH_RANGE, iova, mapped, MTK_PAGE);
  return i == pgcount ? 0 : -EEXIST;
}

/** mtk_iommu_v1_unmap: pgcount * 4 KiB (0 for the model's out-of-table range). */
export function mtkUnmap(iova64: u64, pgcount: u64): u64 {
  const iova = <u64>(<u32>iova64);
  const first = iova >> 12;
  if (pgcount > MTK_ENTRIES - first) return 0;
  const tbl = xU(X_TABLE) + (first << 2);
  for (let i: u64 = 0; i < pgcount; i++) wr32(tbl + (i << 2), 0);
  if (faulted) return 0;
  const size = pgcount * MTK_PAGE;
  tlb(TLB_FLUSH_RANGE, iova, size, MTK_PAGE);
  return size;
}

/** mtk_iommu_v1_iova_to_phys: -1 only when the table access aborted. */
export function mtkIovaToPhys(iova64: u64): i64 {
  const e = rd32(xU(X_TABLE) + ((<u64>(<u32>iova64) >> 12) << 2));
  if (faulted) return -1;
  return <i64>(e & ~(<u32>MTK_PAGE - 1));
}

/** A GART over [aperture, aperture + size); the entry table (size / 1024 bytes) is allocated here. */
export function gartCreate(s: i32, hook: i32, aperture: u64, size: u64, fl: u32): i32 {
  if (size < GART_PAGE || (size & (size - 1)) != 0 || (aperture & (size - 1)) != 0 || size > (<u64>1 << 32)) return -EINVAL;
  const c = claimSoc(s, SK_GART, hook, fl & 0xff);
  if (c != 0) return c;
  setPI(P_GFLAGS, <i32>fl);
  const bytes = <u32>((size / GART_PAGE) << 2);
  const t = allocTable(bytes < 64 ? 64 : bytes);
  if (t < 0 || faulted) {
    const f = faulted;
    releaseSoc();
    return f ? -EFAULT : -ENOMEM;
  }
  setXU(X_TABLE, <u64>t);
  setXU(X_APERTURE, aperture);
  setXU(X_APSIZE, size);
  return 0;
}

/** gart_iova_range_invalid. */
@inline function gartRangeInvalid(iova: u64, bytes: u64): bool {
  const base = xU(X_APERTURE);
  return iova < base || bytes != GART_PAGE || iova + bytes > base + xU(X_APSIZE);
}
@inline function gartEntry(iova: u64): u64 {
  return xU(X_TABLE) + (((iova - xU(X_APERTURE)) >> 12) << 2);
}
@inline function gartDebug(): bool {
  return (<u32>pI(P_GFLAGS) & GF_DEBUG) != 0;
}

/** gart_iommu_map: 0 or -EINVAL; bytes mapped via setLastMapped. */
export function gartMap(iova: u64, pa: u64, bytes: u64): i32 {
  setLastMapped(0);
  if (gartRangeInvalid(iova, bytes)) return -EINVAL;
  const at = gartEntry(iova);
  if (gartDebug()) {
    const e = rd32(at);
    if (faulted) return -EFAULT;
    if ((e & GART_VALID) != 0) return -EINVAL; // "Page entry is in-use"
  }
  wr32(at, GART_VALID | <u32>pa);
  if (faulted) return -EFAULT;
  setLastMapped(bytes);
  return 0;
}

/** gart_iommu_unmap: bytes or 0. */
export function gartUnmap(iova: u64, bytes: u64): u64 {
  if (gartRangeInvalid(iova, bytes)) return 0;
  const at = gartEntry(iova);
  if (gartDebug()) {
    const e = rd32(at);
    if (faulted) return 0;
    if ((e & GART_VALID) == 0) return 0; // "Page entry is invalid"
  }
  wr32(at, 0);
  return faulted ? 0 : bytes;
}

/** gart_iommu_iova_to_phys: -1 only when the table access aborted. */
export function gartIovaToPhys(iova: u64): i64 {
  if (gartRangeInvalid(iova, GART_PAGE)) return <i64>(<u32>(-EINVAL)); // (phys_addr_t)-EINVAL, 32-bit
  const e = rd32(gartEntry(iova));
  if (faulted) return -1;
  return <i64>(e & GART_PAGE_MASK);
}

/** Frees the table (MTK: mtk_iommu_v1_domain_free; GART: the model's in-memory table). */
export function flatDestroy(isGart: bool): i32 {
  const size: u32 = isGart ? <u32>((xU(X_APSIZE) / GART_PAGE) << 2) : MTK_PGT_SIZE;
  freeTable(xU(X_TABLE), size < 64 ? 64 : size);
  releaseSoc();
  return faulted ? -EFAULT : 0;
}

export function flatTable(): f64 {
  return <f64>xU(X_TABLE);
}

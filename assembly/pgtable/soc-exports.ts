// Exports of the POWER TCE and SoC IOMMU page-table writers (tce.ts, dart.ts, rockchip.ts,
// flat.ts). Numbers only: addresses, indices and counts are f64 (exact integers below 2^53).
// Handles `s` index the record block handed over with soc_records (soc_record_size() bytes each); `hook` is the embedder's handle that
// the pgt_alloc / pgt_free / pgt_tlb imports route by (shared with the LPAE writer).
// Folded results, one boundary crossing per call:
//   soc_map:   >= 0 bytes mapped (Linux ret 0), < 0 the negative errno; soc_last_mapped() then
//              gives Linux's *mapped (MediaTek v1 leaves a partial mapping behind -EEXIST)
//   soc_unmap: >= 0 bytes unmapped (these drivers never return (size_t)-ENOENT)
//   soc_iova_to_phys: the address Linux returns (0 when unmapped)
//   soc_tce_*: 0 or a negative errno; TCE values (get / xchg's old entry) at soc_out_ptr()
// -EFAULT (-14): a table access hit memory nobody backs; -EBADF (-9): not a live table of
// that kind. Neither is a Linux return value.
import {
  EBADF, EFAULT, EINVAL, SK_DART, SK_GART, SK_MTK, SK_RK, SK_TCE, SREC, faulted, kind, lastMapped, outSlot,
  selectSoc, setSocFlags, setSocRecords, socLive, socWarnings,
} from './soc-common';
import { tceBuild, tceCreate, tceDestroy, tceFree, tceGet, tceInfo, tceXchg } from './tce';
import { dartCreate, dartDestroy, dartIovaToPhys, dartMap, dartTtbr, dartUnmap } from './dart';
import { rkCreate, rkDestroy, rkDt, rkIovaToPhys, rkMap, rkUnmap } from './rockchip';
import { flatDestroy, flatTable, gartCreate, gartIovaToPhys, gartMap, gartUnmap, mtkCreate, mtkIovaToPhys, mtkMap, mtkUnmap } from './flat';

/** Bytes per table record: the embedder reserves capacity * soc_record_size() bytes for soc_records. */
export function soc_record_size(): i32 {
  return <i32>SREC;
}
/** Hands over the record block (linear offset, zeroed or copied from the previous block, `capacity` records). */
export function soc_records(ptr: usize, capacity: i32): void {
  setSocRecords(ptr, capacity);
}

// ---- creation ----
export function soc_tce_create(
  s: i32,
  hook: i32,
  busOffset: f64,
  pageShift: i32,
  windowSize: f64,
  levels: i32,
  kernelPageShift: i32,
  flags: u32,
): i32 {
  if (pageShift < 0 || kernelPageShift < 0 || levels < 0) return -EINVAL;
  return tceCreate(s, hook, <u64>busOffset, <u32>pageShift, <u64>windowSize, <u32>levels, <u32>kernelPageShift, flags);
}
export function soc_dart_create(s: i32, hook: i32, fmt: i32, pgShift: i32, levels: i32, tblBits: i32, oas: i32, flags: u32): i32 {
  return dartCreate(s, hook, fmt, pgShift, levels, tblBits, oas, flags);
}
export function soc_rk_create(s: i32, hook: i32, version: i32, flags: u32): i32 {
  return rkCreate(s, hook, version, flags);
}
export function soc_mtk_create(s: i32, hook: i32, flags: u32): i32 {
  return mtkCreate(s, hook, flags);
}
export function soc_gart_create(s: i32, hook: i32, aperture: f64, size: f64, flags: u32): i32 {
  return gartCreate(s, hook, <u64>aperture, <u64>size, flags);
}

/** Frees every table of `s` (as the format's free function) and releases the handle. */
export function soc_destroy(s: i32): i32 {
  if (!selectSoc(s, 0)) return -EBADF;
  const k = kind();
  if (k == SK_TCE) return tceDestroy();
  if (k == SK_DART) return dartDestroy();
  if (k == SK_RK) return rkDestroy();
  return flatDestroy(k == SK_GART);
}

/** Root table(s): TCE it_base, DART TTBR `i`'s table, Rockchip DT, MTK / GART table. */
export function soc_root(s: i32, i: i32): f64 {
  if (!selectSoc(s, 0)) return -<f64>EBADF;
  const k = kind();
  if (k == SK_TCE) return tceInfo(0);
  if (k == SK_DART) return dartTtbr(i);
  if (k == SK_RK) return rkDt();
  return flatTable();
}
export function soc_live(s: i32): i32 {
  return selectSoc(s, 0) ? socLive() : -EBADF;
}
export function soc_warnings(s: i32): i32 {
  return selectSoc(s, 0) ? socWarnings() : -EBADF;
}
/** Bit 0: report TLB maintenance through pgt_tlb. */
export function soc_set_flags(s: i32, flags: u32): i32 {
  if (!selectSoc(s, 0)) return -EBADF;
  setSocFlags(flags);
  return 0;
}
export function soc_last_mapped(): f64 {
  return <f64>lastMapped;
}
export function soc_out_ptr(): usize {
  return outSlot;
}

// ---- map / unmap / iova_to_phys (DART, Rockchip, MediaTek v1, GART) ----
@inline function folded(ret: i32): f64 {
  if (faulted) return -<f64>EFAULT;
  return ret == 0 ? <f64>lastMapped : <f64>ret;
}

/**
 * map: DART map_pages(iova, paddr, pgsize, pgcount, prot); Rockchip map(iova, paddr, pgsize,
 * prot) (pgcount unused); MediaTek v1 map_pages(iova, paddr, 4K, pgcount) (pgsize and prot
 * unused, as the driver); GART map(iova, paddr, pgsize).
 */
export function soc_map(s: i32, iova: f64, paddr: f64, pgsize: f64, pgcount: f64, prot: u32): f64 {
  if (!selectSoc(s, 0)) return -<f64>EBADF;
  const k = kind();
  if (k == SK_DART) return folded(dartMap(<u64>iova, <u64>paddr, <u64>pgsize, <u64>pgcount, prot));
  if (k == SK_RK) return folded(rkMap(<u64>iova, <u64>paddr, <u64>pgsize, prot));
  if (k == SK_MTK) return folded(mtkMap(<u64>iova, <u64>paddr, <u64>pgcount));
  if (k == SK_GART) return folded(gartMap(<u64>iova, <u64>paddr, <u64>pgsize));
  return -<f64>EBADF;
}

/** unmap; flags bit 0: the DART gather is queued (no add_page callbacks). */
export function soc_unmap(s: i32, iova: f64, pgsize: f64, pgcount: f64, flags: u32): f64 {
  if (!selectSoc(s, 0)) return -<f64>EBADF;
  const k = kind();
  let r: u64 = 0;
  if (k == SK_DART) r = dartUnmap(<u64>iova, <u64>pgsize, <u64>pgcount, (flags & 1) != 0);
  else if (k == SK_RK) r = rkUnmap(<u64>iova, <u64>pgsize);
  else if (k == SK_MTK) r = mtkUnmap(<u64>iova, <u64>pgcount);
  else if (k == SK_GART) r = gartUnmap(<u64>iova, <u64>pgsize);
  else return -<f64>EBADF;
  return faulted ? -<f64>EFAULT : <f64>r;
}

export function soc_iova_to_phys(s: i32, iova: f64): f64 {
  if (!selectSoc(s, 0)) return -<f64>EBADF;
  const k = kind();
  let pa: i64 = 0;
  if (k == SK_DART) pa = dartIovaToPhys(<u64>iova);
  else if (k == SK_RK) pa = rkIovaToPhys(<u64>iova);
  else if (k == SK_MTK) pa = mtkIovaToPhys(<u64>iova);
  else if (k == SK_GART) pa = gartIovaToPhys(<u64>iova);
  else return -<f64>EBADF;
  return pa < 0 ? -<f64>EFAULT : <f64>pa;
}

// ---- POWER TCE table ops ----
@inline function tceRet(r: i32): i32 {
  return faulted ? -EFAULT : r;
}
/** pnv_tce_build(tbl, index, npages, pa, direction) (pSeries tables: the pSeries build). */
export function soc_tce_build(s: i32, index: f64, npages: f64, pa: f64, direction: i32): i32 {
  if (!selectSoc(s, SK_TCE)) return -EBADF;
  return tceRet(tceBuild(<u64>index, <u64>npages, <u64>pa, direction));
}
/** pnv_tce_xchg(tbl, index, &hpa, &direction, alloc): the old TCE at soc_out_ptr(). */
export function soc_tce_xchg(s: i32, index: f64, hpa: f64, direction: i32, alloc: i32): i32 {
  if (!selectSoc(s, SK_TCE)) return -EBADF;
  return tceRet(tceXchg(<u64>index, <u64>hpa, direction, alloc != 0));
}
export function soc_tce_free(s: i32, index: f64, npages: f64): i32 {
  if (!selectSoc(s, SK_TCE)) return -EBADF;
  return tceRet(tceFree(<u64>index, <u64>npages));
}
/** pnv_tce_get: the TCE at soc_out_ptr(). */
export function soc_tce_get(s: i32, index: f64): i32 {
  if (!selectSoc(s, SK_TCE)) return -EBADF;
  return tceRet(tceGet(<u64>index));
}
/** 0 base, 1 it_offset, 2 it_size, 3 it_level_size, 4 indirect levels, 5 level_shift, 6 page shift, 7 flags. */
export function soc_tce_info(s: i32, key: i32): f64 {
  if (!selectSoc(s, SK_TCE)) return -<f64>EBADF;
  return tceInfo(key);
}

// Exports of the VT-d second-stage page-table writer (see vtd.ts). Numbers only: addresses
// are f64 (exact integers below 2^53) on the fast entry points and lo/hi u32 halves on the
// `_w` (wide) ones. Results folded into one f64 so a call crosses the boundary once:
//   pgt_vtd_map:   >= 0 bytes mapped (ret 0), < 0 the negative errno; the bytes installed
//                  before an error (Linux's *mapped) are in pgt_vtd_mapped()
//   pgt_vtd_unmap: bytes unmapped
//   pgt_vtd_iova_to_phys: the output address, 0 when unmapped, -ERANGE beyond the aperture
// -EFAULT (-14) means a table access hit memory nobody backs, -EBADF (-9) that the handle is
// not a live VT-d table; neither is a Linux return value.
import {
  select,
  create,
  destroy,
  mapPages,
  mappedOut,
  unmapPages,
  iovaToPhys,
  isFaulted,
  live,
  warnings,
  hasMappings,
  cacheFlushes,
  setFeatures,
  features,
  pgd,
  setRecords,
  REC_SIZE,
  EFAULT,
} from './vtd';

const EBADF: i32 = 9;

@inline function wide(lo: u32, hi: u32): u64 {
  return (<u64>hi << 32) | <u64>lo;
}

export function pgt_vtd_record_size(): i32 {
  return <i32>REC_SIZE;
}

export function pgt_vtd_records(ptr: usize, capacity: i32): void {
  setRecords(ptr, capacity);
}

/** Creates table `h`: top level 2..4, VA and OA bits, page-size bitmap, FEAT_* bits. 0 or -errno. */
export function pgt_vtd_create(h: i32, top: i32, vasz: i32, oasz: i32, pgsizeBitmap: f64, feat: u32): i32 {
  return create(h, top, vasz, oasz, <u64>pgsizeBitmap, feat);
}

export function pgt_vtd_destroy(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return destroy();
}

@inline function mapResult(ret: i32): f64 {
  if (isFaulted()) return -<f64>EFAULT;
  return ret == 0 ? <f64>mappedOut : <f64>ret;
}

export function pgt_vtd_map(h: i32, iova: f64, paddr: f64, pgsize: f64, pgcount: f64, prot: u32): f64 {
  if (!select(h)) return -<f64>EBADF;
  return mapResult(mapPages(<u64>iova, <u64>paddr, <u64>pgsize, <u64>pgcount, prot));
}

export function pgt_vtd_map_w(
  h: i32,
  iovaLo: u32,
  iovaHi: u32,
  paddrLo: u32,
  paddrHi: u32,
  pgsize: f64,
  pgcount: f64,
  prot: u32,
): f64 {
  if (!select(h)) return -<f64>EBADF;
  return mapResult(mapPages(wide(iovaLo, iovaHi), wide(paddrLo, paddrHi), <u64>pgsize, <u64>pgcount, prot));
}

/** Bytes installed by the last map call on any table, also when it returned an error. */
export function pgt_vtd_mapped(): f64 {
  return <f64>mappedOut;
}

export function pgt_vtd_unmap(h: i32, iova: f64, pgsize: f64, pgcount: f64): f64 {
  if (!select(h)) return -<f64>EBADF;
  const n = unmapPages(<u64>iova, <u64>pgsize, <u64>pgcount);
  return isFaulted() ? -<f64>EFAULT : <f64>n;
}

export function pgt_vtd_unmap_w(h: i32, iovaLo: u32, iovaHi: u32, pgsize: f64, pgcount: f64): f64 {
  if (!select(h)) return -<f64>EBADF;
  const n = unmapPages(wide(iovaLo, iovaHi), <u64>pgsize, <u64>pgcount);
  return isFaulted() ? -<f64>EFAULT : <f64>n;
}

export function pgt_vtd_iova_to_phys(h: i32, iova: f64): f64 {
  if (!select(h)) return -<f64>EBADF;
  return <f64>iovaToPhys(<u64>iova);
}

export function pgt_vtd_iova_to_phys_w(h: i32, iovaLo: u32, iovaHi: u32): f64 {
  if (!select(h)) return -<f64>EBADF;
  return <f64>iovaToPhys(wide(iovaLo, iovaHi));
}

export function pgt_vtd_pgd(h: i32): f64 {
  if (!select(h)) return -<f64>EBADF;
  return <f64>pgd();
}

export function pgt_vtd_live(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return live();
}

export function pgt_vtd_warnings(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return warnings();
}

export function pgt_vtd_has_mappings(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return hasMappings();
}

export function pgt_vtd_cache_flushes(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return cacheFlushes();
}

export function pgt_vtd_features(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return <i32>features();
}

export function pgt_vtd_set_features(h: i32, feat: u32): i32 {
  if (!select(h)) return -EBADF;
  setFeatures(feat);
  return 0;
}

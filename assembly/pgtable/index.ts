// Exports of the page-table writer (see lpae.ts). Numbers only: addresses are f64 (exact
// integers below 2^53) on the fast entry points and lo/hi u32 halves on the `_w` (wide) ones,
// which take any 64-bit value. Results that Linux returns as (ret, mapped) or size_t are
// folded into one f64 so a call crosses the JS/WASM boundary once:
//   pgt_map:   >= 0 bytes mapped (ret 0), < 0 the negative errno (mapped 0)
//   pgt_unmap: >= 0 bytes unmapped, -ENOENT for Linux's (size_t)-ENOENT
// -EFAULT (-14) from any entry point means a table access hit memory nobody backs, and
// -EBADF (-9) that the handle is not a live table; neither is a Linux return value.
import {
  select,
  create,
  destroy,
  mapPages,
  mappedOut,
  unmapPages,
  iovaToPhys,
  walk,
  walkPtesPtr,
  isFaulted,
  live,
  warnings,
  warnOnces,
  setFlags,
  pgd,
  setRecords,
  REC_SIZE,
  EFAULT,
  ENOENT,
} from './lpae';

const EBADF: i32 = 9;
const SIZE_ENOENT: u64 = <u64>(-ENOENT);

@inline function wide(lo: u32, hi: u32): u64 {
  return (<u64>hi << 32) | <u64>lo;
}

/** Bytes per table record: the embedder reserves capacity * pgt_record_size() bytes for pgt_records. */
export function pgt_record_size(): i32 {
  return <i32>REC_SIZE;
}

/** Hands over the record block (linear offset, zeroed or copied from the previous block, `capacity` records). */
export function pgt_records(ptr: usize, capacity: i32): void {
  setRecords(ptr, capacity);
}

/** Creates table `h` (below the record capacity); 0 or a negative errno (-ENOMEM when the root cannot be allocated). */
export function pgt_create(
  h: i32,
  fmt: i32,
  quirks: u32,
  ias: i32,
  oas: i32,
  pgsizeBitmap: f64,
  bitsPerLevel: i32,
  startLevel: i32,
  pgdBits: i32,
  flags: u32,
): i32 {
  return create(h, fmt, quirks, ias, oas, <u64>pgsizeBitmap, bitsPerLevel, startLevel, pgdBits, flags);
}

/** Frees every table of `h` (children first, root last) and releases the handle. */
export function pgt_destroy(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return destroy();
}

@inline function mapResult(ret: i32): f64 {
  if (isFaulted()) return -<f64>EFAULT;
  return ret == 0 ? <f64>mappedOut : <f64>ret;
}

export function pgt_map(h: i32, iova: f64, paddr: f64, pgsize: f64, pgcount: f64, prot: u32): f64 {
  if (!select(h)) return -<f64>EBADF;
  return mapResult(mapPages(<u64>iova, <u64>paddr, <u64>pgsize, <u64>pgcount, prot));
}

export function pgt_map_w(
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

@inline function unmapResult(size: u64): f64 {
  if (isFaulted()) return -<f64>EFAULT;
  return size == SIZE_ENOENT ? -<f64>ENOENT : <f64>size;
}

/** flags bit 0: the iotlb gather is queued (no add_page callbacks). */
export function pgt_unmap(h: i32, iova: f64, pgsize: f64, pgcount: f64, flags: u32): f64 {
  if (!select(h)) return -<f64>EBADF;
  return unmapResult(unmapPages(<u64>iova, <u64>pgsize, <u64>pgcount, (flags & 1) != 0));
}

export function pgt_unmap_w(h: i32, iovaLo: u32, iovaHi: u32, pgsize: f64, pgcount: f64, flags: u32): f64 {
  if (!select(h)) return -<f64>EBADF;
  return unmapResult(unmapPages(wide(iovaLo, iovaHi), <u64>pgsize, <u64>pgcount, (flags & 1) != 0));
}

/** The output address for `iova` (0 when unmapped, as Linux); negative: -EBADF / -EFAULT. */
export function pgt_iova_to_phys(h: i32, iova: f64): f64 {
  if (!select(h)) return -<f64>EBADF;
  const pa = iovaToPhys(<u64>iova);
  return pa < 0 ? -<f64>EFAULT : <f64>pa;
}

export function pgt_iova_to_phys_w(h: i32, iovaLo: u32, iovaHi: u32): f64 {
  if (!select(h)) return -<f64>EBADF;
  const pa = iovaToPhys(wide(iovaLo, iovaHi));
  return pa < 0 ? -<f64>EFAULT : <f64>pa;
}

/** pgtable_walk: 0 or -EINVAL; the entries read, by absolute level 0..3, at pgt_walk_ptes(). */
export function pgt_walk(h: i32, iovaLo: u32, iovaHi: u32): i32 {
  if (!select(h)) return -EBADF;
  return walk(wide(iovaLo, iovaHi));
}

/** Linear-memory address of the 4 u64 entries recorded by the last pgt_walk. */
export function pgt_walk_ptes(): usize {
  return walkPtesPtr();
}

/** Root table address (TTBR / VTTBR). */
export function pgt_pgd(h: i32): f64 {
  if (!select(h)) return -<f64>EBADF;
  return <f64>pgd();
}

/** Table allocations alive (root included). */
export function pgt_live(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return live();
}

/** WARN/WARN_ON hits so far (WARN_ONCE sites counted apart, in pgt_warn_once). */
export function pgt_warnings(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return warnings();
}

export function pgt_warn_once(h: i32): i32 {
  if (!select(h)) return -EBADF;
  return warnOnces();
}

/** Sets the table's flags (bit 0: report TLB maintenance through pgt_tlb). */
export function pgt_set_flags(h: i32, flags: u32): i32 {
  if (!select(h)) return -EBADF;
  setFlags(flags);
  return 0;
}

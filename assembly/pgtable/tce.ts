// POWER TCE tables written as Linux writes them.
//
// PowerNV (arch/powerpc/platforms/powernv/pci-ioda-tce.c; facts in shared/reference/power-tce.md
// A1-A4):
//   * pnv_pci_ioda2_table_alloc_pages: 1..5 levels (else -EINVAL), window a power of two (else
//     -EINVAL); entries_shift = log2(window) - page_shift; per-level bits = ceil(entries_shift /
//     levels); level_shift = max(bits + 3, PAGE_SHIFT) bytes per level table; refused with
//     -EINVAL when (level_shift - 3) * levels + page_shift >= 55. Only the top level is
//     allocated at creation (-ENOMEM when that fails); it_size = 2^max(entries_shift + 3,
//     PAGE_SHIFT) / 8 entries; it_offset = bus_offset >> page_shift.
//   * pnv_tce: the index is split top-down, s = log2(it_level_size) bits per level; a zero
//     indirect entry is a level not yet present: with "alloc" a zeroed level of 2^level_shift
//     bytes is allocated and installed as (address | R | W); without it the lookup fails.
//   * pnv_tce_build: proto = iommu_direction_to_tce_perm(dir) (BIDIRECTIONAL R|W, TO_DEVICE R,
//     FROM_DEVICE W, NONE 0), and W forces R; TCE i = proto | ((pa >> shift) + i) << shift,
//     stored big-endian at index - it_offset + i, allocating missing levels.
//   * pnv_tce_xchg: BUG_ON an hpa that is not page aligned; DMA_NONE on a missing level: hpa
//     = 0, return 0, nothing allocated; otherwise the slot is looked up with the caller's
//     "alloc" (-ENOMEM when it is missing or cannot be allocated); W forces R; the old TCE
//     comes back (the facade derives hpa = old & ~(R|W) and iommu_tce_direction(old)).
//   * pnv_tce_free: clears each TCE; when a level is missing "i |= it_level_size - 1" skips
//     ahead. The OR applies to the loop counter i, not to the table index, so a range that
//     does not start on a level boundary skips by a different amount than a level: upstream
//     behaviour, reproduced as is.
//   * pnv_tce_get: the TCE (host order), 0 when its level is missing.
//   * pnv_pci_ioda2_table_free_pages: recursive, following indirect entries with R or W set;
//     every level freed with size it_level_size * 8 (a one-level table: it_size * 8).
//
// pSeries (arch/powerpc/platforms/pseries/iommu.c tce_build_pSeries / tce_buildmulti_pSeriesLP
// and QEMU hw/ppc/spapr_iommu.c, which keeps the guest's TCEs in a host-order array): flag
// TCF_PSERIES. One level only, little-endian (TCF_LE forced), R always set and W unless
// DMA_TO_DEVICE (so DMA_NONE is R|W, as the pSeries code computes); free stores 0.
// xchg is PowerNV-only here (-EOPNOTSUPP on a pSeries table: not modelled).
//
// Model guards (not Linux return values; Linux relies on its callers, iommu_tce_check_ioba and
// the IOMMU allocator, to stay inside the window): a range outside [it_offset, it_offset +
// it_size) is refused with -EINVAL before anything is written, since pnv_tce would otherwise
// index past the table. pnv_tce_build dereferences the NULL that pnv_tce returns when a level
// cannot be allocated (an oops); here that is -ENOMEM, with the TCEs before it left written.
// BUG_ON(hpa unaligned) in xchg is -EINVAL plus a WARN count here.
import {
  EINVAL, ENOMEM, EOPNOTSUPP, SK_TCE, allocTable, claimSoc, faulted, freeTable, outSlot, pI, rd64, releaseSoc,
  setPI, setXU, warn, wr64, xU, EFAULT,
} from './soc-common';
import { TCE_PCI_READ, TCE_PCI_WRITE } from './soc-pte-bits';


// enum dma_data_direction (include/linux/dma-direction.h)
export const DMA_BIDIRECTIONAL: i32 = 0;
export const DMA_TO_DEVICE: i32 = 1;
export const DMA_FROM_DEVICE: i32 = 2;
export const DMA_NONE: i32 = 3;

/** Flags of a TCE table. */
export const TCF_LE: u32 = 1 << 8;
export const TCF_PSERIES: u32 = 1 << 9;

// Record slots.
const P_SHIFT: usize = 0; // it_page_shift
const P_INDIRECT: usize = 1; // it_indirect_levels
const P_LSHIFT: usize = 2; // level_shift (log2 bytes of one level table)
const P_TFLAGS: usize = 3; // TCF_*
const X_BASE: usize = 0; // it_base (guest-physical)
const X_OFFSET: usize = 1; // it_offset
const X_SIZE: usize = 2; // it_size (entries)

const POWERNV_IOMMU_MAX_LEVELS: u32 = 5;

@inline function isLE(): bool {
  return (<u32>pI(P_TFLAGS) & TCF_LE) != 0;
}
@inline function ld(gpa: u64): u64 {
  const v = rd64(gpa);
  return isLE() ? v : bswap<u64>(v);
}
@inline function st(gpa: u64, v: u64): void {
  wr64(gpa, isLE() ? v : bswap<u64>(v));
}

/** iommu_direction_to_tce_perm. */
export function directionToPerm(dir: i32): u64 {
  if (dir == DMA_BIDIRECTIONAL) return TCE_PCI_READ | TCE_PCI_WRITE;
  if (dir == DMA_FROM_DEVICE) return TCE_PCI_WRITE;
  if (dir == DMA_TO_DEVICE) return TCE_PCI_READ;
  return 0;
}

@inline function ilog2(v: u64): u32 {
  return 63 - <u32>clz<u64>(v);
}

/**
 * pnv_pci_ioda2_table_alloc_pages for table `s` (without the VFIO userspace copy): 0, -EINVAL
 * or -ENOMEM. `kernelPageShift` is Linux's PAGE_SHIFT (12 or 16).
 */
export function tceCreate(
  s: i32,
  hook: i32,
  busOffset: u64,
  pageShift: u32,
  windowSize: u64,
  levels: u32,
  kernelPageShift: u32,
  fl: u32,
): i32 {
  if (levels == 0 || levels > POWERNV_IOMMU_MAX_LEVELS) return -EINVAL;
  if (windowSize == 0 || (windowSize & (windowSize - 1)) != 0) return -EINVAL;
  const windowShift = ilog2(windowSize);
  // Model guard: a window smaller than one TCE page underflows entries_shift (unsigned) upstream.
  if (windowShift < pageShift || pageShift > 40) return -EINVAL;
  if ((fl & TCF_PSERIES) != 0) {
    if (levels != 1) return -EINVAL;
    fl |= TCF_LE;
  }
  let entriesShift = windowShift - pageShift;
  const tableShift = entriesShift + 3 > kernelPageShift ? entriesShift + 3 : kernelPageShift;
  entriesShift = (entriesShift + levels - 1) / levels;
  let levelShift = entriesShift + 3;
  if (levelShift < kernelPageShift) levelShift = kernelPageShift;
  if ((levelShift - 3) * levels + pageShift >= 55) return -EINVAL;
  if (levelShift > 31) return -ENOMEM; // no allocation that large through the u32 import
  const c = claimSoc(s, SK_TCE, hook, fl & 0xff);
  if (c != 0) return c;
  setPI(P_SHIFT, <i32>pageShift);
  setPI(P_INDIRECT, <i32>(levels - 1));
  setPI(P_LSHIFT, <i32>levelShift);
  setPI(P_TFLAGS, <i32>fl);
  const base = allocTable(<u32>1 << levelShift);
  if (base < 0 || faulted) {
    releaseSoc();
    return base < 0 ? -ENOMEM : -EFAULT;
  }
  setXU(X_BASE, <u64>base);
  setXU(X_OFFSET, busOffset >> pageShift);
  setXU(X_SIZE, (<u64>1 << <u64>tableShift) >> 3);
  return 0;
}

/**
 * pnv_tce: the guest-physical address of the TCE for table index `idx`, allocating missing
 * levels when `alloc`; 0 when a level is missing (or cannot be allocated).
 */
function tceSlot(idx: u64, alloc: bool): u64 {
  let tmp = xU(X_BASE);
  let level = pI(P_INDIRECT);
  const shift = <u64>(pI(P_LSHIFT) - 3);
  const levelSize: u64 = <u64>1 << shift;
  let mask: u64 = (levelSize - 1) << (<u64>level * shift);
  while (level > 0) {
    const n = (idx & mask) >> (<u64>level * shift);
    const at = tmp + (n << 3);
    let tce = ld(at);
    if (faulted) return 0;
    if (tce == 0) {
      if (!alloc) return 0;
      const t = allocTable(<u32>1 << <u32>pI(P_LSHIFT));
      if (t < 0) return 0;
      tce = <u64>t | TCE_PCI_READ | TCE_PCI_WRITE;
      st(at, tce);
      if (faulted) return 0;
    }
    tmp = tce & ~(TCE_PCI_READ | TCE_PCI_WRITE);
    idx &= ~mask;
    mask >>= shift;
    level--;
  }
  return tmp + (idx << 3);
}

/** The model guard: [index, index + n) inside the window. */
function inWindow(index: u64, n: u64): bool {
  const off = xU(X_OFFSET);
  if (index < off) return false;
  const rel = index - off;
  const size = xU(X_SIZE);
  return rel <= size && n <= size - rel;
}

/** pnv_tce_build (PowerNV) or the pSeries build: 0, -EINVAL (model guard) or -ENOMEM. */
export function tceBuild(index: u64, npages: u64, pa: u64, dir: i32): i32 {
  if (!inWindow(index, npages)) return -EINVAL;
  const shift = <u64>pI(P_SHIFT);
  let proto: u64;
  if ((<u32>pI(P_TFLAGS) & TCF_PSERIES) != 0) {
    proto = TCE_PCI_READ;
    if (dir != DMA_TO_DEVICE) proto |= TCE_PCI_WRITE;
  } else {
    proto = directionToPerm(dir);
    if ((proto & TCE_PCI_WRITE) != 0) proto |= TCE_PCI_READ;
  }
  const rpn = pa >> shift;
  const idx0 = index - xU(X_OFFSET);
  for (let i: u64 = 0; i < npages; i++) {
    const slot = tceSlot(idx0 + i, true);
    if (faulted) return -EFAULT;
    if (slot == 0) return -ENOMEM;
    st(slot, proto | ((rpn + i) << shift));
    if (faulted) return -EFAULT;
  }
  return 0;
}

/**
 * pnv_tce_xchg: 0 / -ENOMEM (and the model's -EINVAL); the previous TCE in outSlot (0 when
 * DMA_NONE met a missing level).
 */
export function tceXchg(index: u64, hpa: u64, dir: i32, alloc: bool): i32 {
  store<u64>(outSlot, 0);
  if ((<u32>pI(P_TFLAGS) & TCF_PSERIES) != 0) return -EOPNOTSUPP;
  const shift = <u64>pI(P_SHIFT);
  if ((hpa & ((<u64>1 << shift) - 1)) != 0) {
    warn(); // BUG_ON(*hpa & ~IOMMU_PAGE_MASK(tbl))
    return -EINVAL;
  }
  if (!inWindow(index, 1)) return -EINVAL;
  const idx = index - xU(X_OFFSET);
  let newtce = hpa | directionToPerm(dir);
  let slot: u64 = 0;
  if (dir == DMA_NONE) {
    slot = tceSlot(idx, false);
    if (faulted) return -EFAULT;
    if (slot == 0) return 0;
  }
  if (slot == 0) {
    slot = tceSlot(idx, alloc);
    if (faulted) return -EFAULT;
    if (slot == 0) return -ENOMEM;
  }
  if ((newtce & TCE_PCI_WRITE) != 0) newtce |= TCE_PCI_READ;
  const old = ld(slot);
  st(slot, newtce);
  if (faulted) return -EFAULT;
  store<u64>(outSlot, old);
  return 0;
}

/** pnv_tce_free: 0, or the model's -EINVAL. */
export function tceFree(index: u64, npages: u64): i32 {
  if (!inWindow(index, npages)) return -EINVAL;
  const idx0 = index - xU(X_OFFSET);
  const levelSize: u64 = <u64>1 << <u64>(pI(P_LSHIFT) - 3);
  const pseries = (<u32>pI(P_TFLAGS) & TCF_PSERIES) != 0;
  for (let i: u64 = 0; i < npages; i++) {
    const slot = tceSlot(idx0 + i, false);
    if (faulted) return -EFAULT;
    if (slot != 0) {
      st(slot, 0);
      if (faulted) return -EFAULT;
    } else if (!pseries) {
      i |= levelSize - 1; // "Skip the rest of the level" (on the loop counter, as upstream)
    }
  }
  return 0;
}

/** pnv_tce_get: 0 (value in outSlot; 0 for a missing level) or the model's -EINVAL. */
export function tceGet(index: u64): i32 {
  store<u64>(outSlot, 0);
  if (!inWindow(index, 1)) return -EINVAL;
  const slot = tceSlot(index - xU(X_OFFSET), false);
  if (faulted) return -EFAULT;
  if (slot == 0) return 0;
  const v = ld(slot);
  if (faulted) return -EFAULT;
  store<u64>(outSlot, v);
  return 0;
}

/** pnv_pci_ioda2_table_do_free_pages. `size` is in entries. */
function doFree(addr: u64, size: u64, levels: i32): void {
  if (levels > 0) {
    for (let i: u64 = 0; i < size; i++) {
      const hpa = ld(addr + (i << 3));
      if (faulted) return;
      if ((hpa & (TCE_PCI_READ | TCE_PCI_WRITE)) == 0) continue;
      doFree(hpa & ~(TCE_PCI_READ | TCE_PCI_WRITE), size, levels - 1);
    }
  }
  freeTable(addr, <u32>(size << 3));
}

/** pnv_pci_ioda2_table_free_pages, then the handle is released. */
export function tceDestroy(): i32 {
  const indirect = pI(P_INDIRECT);
  const size: u64 = indirect != 0 ? <u64>1 << <u64>(pI(P_LSHIFT) - 3) : xU(X_SIZE);
  doFree(xU(X_BASE), size, indirect);
  releaseSoc();
  return faulted ? -EFAULT : 0;
}

/** Table facts for the facade: 0 base, 1 it_offset, 2 it_size, 3 it_level_size, 4 indirect levels, 5 level_shift, 6 page shift, 7 flags. */
export function tceInfo(key: i32): f64 {
  if (key == 0) return <f64>xU(X_BASE);
  if (key == 1) return <f64>xU(X_OFFSET);
  if (key == 2) return <f64>xU(X_SIZE);
  if (key == 3) return <f64>(<u64>1 << <u64>(pI(P_LSHIFT) - 3));
  if (key == 4) return <f64>pI(P_INDIRECT);
  if (key == 5) return <f64>pI(P_LSHIFT);
  if (key == 6) return <f64>pI(P_SHIFT);
  if (key == 7) return <f64>pI(P_TFLAGS);
  return -1;
}

// The IOVA allocator of dma-iommu (drivers/iommu/iova.c, as dma-iommu uses it): ranges in units
// of the IOMMU granule, allocated top-down below a limit, size-aligned (the length is a power of
// two granules, aligned to itself - alloc_iova(..., size_aligned = true)). Freed ranges become
// reusable at once; the flush queue (dma-iommu.ts) delays the free in lazy mode.

export class IovaDomain {
  /** Allocated ranges [start, end) in granule units, kept sorted by start. */
  private readonly ranges: { start: number; end: number }[] = [];

  /**
   * @param granule IOVA granule in bytes (the domain's smallest page size)
   * @param startPfn lowest allocatable unit (dma-iommu: the aperture start, at least 1: IOVA 0 is never handed out)
   */
  constructor(readonly granule: number, readonly startPfn = 1) {}

  /**
   * alloc_iova: `size` granules (rounded up to a power of two and aligned to it), the highest
   * free range ending at or below `limitPfn` (inclusive). Returns the first unit, or -1.
   */
  alloc(size: number, limitPfn: number): number {
    let len = 1;
    while (len < size) len *= 2;
    // Walk the gaps from the top down.
    let hi = limitPfn + 1; // exclusive end of the current gap
    for (let i = this.ranges.length - 1; i >= -1; i--) {
      const lo = i >= 0 ? this.ranges[i]!.end : this.startPfn; // inclusive start of the gap
      const top = Math.min(hi, limitPfn + 1);
      if (top - lo >= len) {
        const start = Math.floor((top - len) / len) * len;
        if (start >= lo && start >= this.startPfn) {
          this.ranges.splice(i + 1, 0, { start, end: start + len });
          return start;
        }
      }
      if (i >= 0) hi = this.ranges[i]!.start;
    }
    return -1;
  }

  /** free_iova: releases the range starting at `pfn`; false when nothing starts there. */
  free(pfn: number): boolean {
    const i = this.ranges.findIndex((r) => r.start === pfn);
    if (i < 0) return false;
    this.ranges.splice(i, 1);
    return true;
  }

  /** The allocated range containing `pfn`, or null. */
  find(pfn: number): { start: number; end: number } | null {
    return this.ranges.find((r) => pfn >= r.start && pfn < r.end) ?? null;
  }

  get allocated(): number {
    return this.ranges.length;
  }
}

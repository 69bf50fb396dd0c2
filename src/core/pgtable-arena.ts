// A table-page allocator for the page-table writer that reproduces the recording allocator of
// the Linux io-pgtable-arm vectors, so replayed tables land at the recorded physical addresses:
// a request is rounded up to 4 KiB * 2^k (the smallest power-of-two number of pages covering
// it), aligned to its own size; a freed block of the same size is reused last-freed-first,
// otherwise the block comes from a bump pointer; blocks are never split or merged.
// (The writer clears every table it receives, so the arena need not zero memory.)
import type { TableAllocator } from './pgtable.ts';

export class PageArena implements TableAllocator {
  private bump: number;
  private readonly freeLists: number[][] = [];
  private readonly blockOrder = new Map<number, number>();

  /**
   * @param base  guest-physical address of the first block (page aligned)
   * @param limit first address past the arena (allocations beyond it fail: out of memory)
   * @param pageSize the arena's page (4 KiB by default)
   */
  constructor(
    readonly base = 0x40000000,
    readonly limit = Number.MAX_SAFE_INTEGER,
    readonly pageSize = 4096,
  ) {
    if (!Number.isSafeInteger(base) || base < 0 || base % pageSize !== 0) {
      throw new RangeError(`PageArena: base must be a page-aligned address, got ${base}`);
    }
    this.bump = base;
  }

  /** The block size (bytes) a request of `size` bytes occupies. */
  blockBytes(size: number): number {
    let bytes = this.pageSize;
    while (bytes < size) bytes *= 2;
    return bytes;
  }

  alloc(size: number): number {
    const bytes = this.blockBytes(size);
    const order = Math.log2(bytes / this.pageSize);
    const reuse = this.freeLists[order];
    if (reuse !== undefined && reuse.length > 0) {
      const gpa = reuse.pop()!;
      this.blockOrder.set(gpa, order);
      return gpa;
    }
    const gpa = Math.ceil(this.bump / bytes) * bytes;
    if (gpa + bytes > this.limit) return -1;
    this.bump = gpa + bytes;
    this.blockOrder.set(gpa, order);
    return gpa;
  }

  free(gpa: number, _size: number): void {
    const order = this.blockOrder.get(gpa);
    if (order === undefined) throw new Error(`PageArena: free of 0x${gpa.toString(16)}, which is not an allocated block`);
    this.blockOrder.delete(gpa);
    (this.freeLists[order] ??= []).push(gpa);
  }

  /** Bytes of the live block at `gpa` (undefined when none starts there). */
  allocatedBytes(gpa: number): number | undefined {
    const order = this.blockOrder.get(gpa);
    return order === undefined ? undefined : this.pageSize * 2 ** order;
  }

  /** Number of live blocks. */
  get live(): number {
    return this.blockOrder.size;
  }
}

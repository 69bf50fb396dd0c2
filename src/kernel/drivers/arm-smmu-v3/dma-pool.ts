// The driver's coherent DMA memory (Linux: dmam_alloc_coherent / the page allocator for the
// io-pgtable tables): a range of guest RAM handed to the driver at probe, carved into naturally
// aligned power-of-two blocks (queues and tables must be aligned to their size). Blocks come
// back zeroed, as dma_alloc_coherent's do; the memory is written through the system
// AddressSpace like any other guest-memory access of the driver.
import type { AddressSpace } from '../../../bridge/address-space.ts';
import { MemTx } from '../../../bridge/types.ts';
import { PageArena } from '../../../core/pgtable-arena.ts';
import type { TableAllocator } from '../../../core/pgtable.ts';

export class DmaPool implements TableAllocator {
  private readonly arena: PageArena;
  constructor(private readonly memory: AddressSpace, readonly base: number, readonly size: number) {
    this.arena = new PageArena(base, base + size);
  }
  /** A zeroed block of at least `size` bytes aligned to its (power-of-two) size, or -1. */
  alloc(size: number): number {
    const pa = this.arena.alloc(size);
    if (pa < 0) return -1;
    const bytes = this.arena.blockBytes(size);
    if (this.memory.fill(pa, bytes, 0) !== MemTx.OK) throw new Error(`arm-smmu-v3: DMA pool memory at 0x${pa.toString(16)} is not RAM`);
    return pa;
  }
  free(pa: number, _size: number): void {
    this.arena.free(pa, _size);
  }
  get live(): number {
    return this.arena.live;
  }
}

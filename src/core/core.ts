// Typed facade over build/core.wasm: synchronous instantiation from the embedded bytes,
// numbers across the boundary, and a memory view that is refreshed when linear memory grows.
//
// We instantiate directly (no @assemblyscript/loader): the module is built with asc's raw
// bindings contract (one `env.abort` import, plain numeric exports), so a thin typed wrapper
// is all that is needed and calls go straight to the wasm exports.
import { CORE_WASM_BASE64 } from './generated/core-wasm.ts';
import { pgtableImports } from './pgtable-imports.ts';

/** The raw exports of core.wasm, as numbers. */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  ram_alloc(size: number): number;
  ram_map(gpa: number, size: number, offset: number): number;
  ram_unmap_all(): void;
  ram_translate(gpa: number, len: number): number;
  ram_read64_lo(gpa: number): number;
  ram_hi(): number;
  mem_read64_lo(gpa: number): number;
  mem_read64_hi(): number;
  mem_aborted(): number;
  // Page-table writer (assembly/pgtable; facade in pgtable.ts).
  pgt_record_size(): number;
  pgt_records(ptr: number, capacity: number): void;
  pgt_create(h: number, fmt: number, quirks: number, ias: number, oas: number, pgsizeBitmap: number, bitsPerLevel: number, startLevel: number, pgdBits: number, flags: number): number;
  pgt_destroy(h: number): number;
  pgt_map(h: number, iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number;
  pgt_map_w(h: number, iovaLo: number, iovaHi: number, paddrLo: number, paddrHi: number, pgsize: number, pgcount: number, prot: number): number;
  pgt_unmap(h: number, iova: number, pgsize: number, pgcount: number, flags: number): number;
  pgt_unmap_w(h: number, iovaLo: number, iovaHi: number, pgsize: number, pgcount: number, flags: number): number;
  pgt_iova_to_phys(h: number, iova: number): number;
  pgt_iova_to_phys_w(h: number, iovaLo: number, iovaHi: number): number;
  pgt_walk(h: number, iovaLo: number, iovaHi: number): number;
  pgt_walk_ptes(): number;
  pgt_pgd(h: number): number;
  pgt_live(h: number): number;
  pgt_warnings(h: number): number;
  pgt_warn_once(h: number): number;
  pgt_set_flags(h: number, flags: number): number;
  // Tagged IOTLB (assembly/iotlb; facade in iotlb.ts). Addresses are f64 (exact below 2^53 and for
  // any 4 KiB-aligned 64-bit address); iotlb_lookup64 takes a BigInt iova.
  iotlb_create(sets: number, ways: number, flags: number): number;
  iotlb_lookup(h: number, kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: number): number;
  iotlb_lookup64(h: number, kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: bigint): number;
  iotlb_lookup_table(h: number, kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: number): number;
  iotlb_lookup_batch(h: number, kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, inPtr: number, outPtr: number, permPtr: number, n: number, wide: number): number;
  iotlb_insert(h: number, kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: number, pa: number, shift: number, perm: number, attr: number, attr2: number, level: number, granule: number, flags: number): number;
  iotlb_invalidate(h: number, kindMask: number, flags: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, start4k: number, end4k: number, ttl: number, tgShift: number): number;
  iotlb_result_ptr(h: number): number;
  iotlb_entries_ptr(h: number): number;
  iotlb_capacity(h: number): number;
  iotlb_slots(h: number): number;
  iotlb_bytes(h: number): number;
  iotlb_reset_stats(h: number): void;
  // Walk engine (assembly/walk; facade in walk.ts, layout in walk-abi.ts).
  walk_ctx_ptr(slot: number): number;
  walk_ctx_clear(slot: number): void;
  walk_setup(slot: number): number;
  walk_result_ptr(): number;
  walk_va(slot: number, va: number, acc: number): number;
  walk_va64(slot: number, lo: number, hi: number, acc: number): number;
  walk_batch(slot: number, n: number): number;
  walk_batch_in_ptr(): number;
  walk_batch_out_ptr(): number;
  walk_fast_enable(on: number): void;
  walk_abi(key: number): number;
  // Combined IOTLB + walk translate (assembly/xlate; facade in translate.ts, layout in xlate-abi.ts).
  xlate_bind(b: number, tlb: number, kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, slot: number, flags: number): number;
  xlate_unbind(b: number): void;
  xlate_va(b: number, iova: number, acc: number): number;
  xlate_va64(b: number, lo: number, hi: number, acc: number): number;
  xlate_result_ptr(): number;
  xlate_result_bytes(): number;
  xlate_batch_in_ptr(): number;
  xlate_batch_out_ptr(): number;
  xlate_batch(b: number, n: number): number;
  xlate_abi(key: number): number;
  // VT-d second-stage page-table writer (assembly/pgtable/vtd.ts; facade in pgtable-vtd.ts).
  pgt_vtd_record_size(): number;
  pgt_vtd_records(ptr: number, capacity: number): void;
  pgt_vtd_create(h: number, top: number, vasz: number, oasz: number, pgsizeBitmap: number, feat: number): number;
  pgt_vtd_destroy(h: number): number;
  pgt_vtd_map(h: number, iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number;
  pgt_vtd_map_w(h: number, iovaLo: number, iovaHi: number, paddrLo: number, paddrHi: number, pgsize: number, pgcount: number, prot: number): number;
  pgt_vtd_mapped(): number;
  pgt_vtd_unmap(h: number, iova: number, pgsize: number, pgcount: number): number;
  pgt_vtd_unmap_w(h: number, iovaLo: number, iovaHi: number, pgsize: number, pgcount: number): number;
  pgt_vtd_iova_to_phys(h: number, iova: number): number;
  pgt_vtd_iova_to_phys_w(h: number, iovaLo: number, iovaHi: number): number;
  pgt_vtd_pgd(h: number): number;
  pgt_vtd_live(h: number): number;
  pgt_vtd_warnings(h: number): number;
  pgt_vtd_has_mappings(h: number): number;
  pgt_vtd_cache_flushes(h: number): number;
  pgt_vtd_features(h: number): number;
  pgt_vtd_set_features(h: number, feat: number): number;
  // POWER TCE and SoC IOMMU page-table writers (assembly/pgtable/soc-exports.ts; facades in
  // pgtable-tce.ts and pgtable-soc.ts).
  soc_record_size(): number;
  soc_records(ptr: number, capacity: number): void;
  soc_tce_create(s: number, hook: number, busOffset: number, pageShift: number, windowSize: number, levels: number, kernelPageShift: number, flags: number): number;
  soc_dart_create(s: number, hook: number, fmt: number, pgShift: number, levels: number, tblBits: number, oas: number, flags: number): number;
  soc_rk_create(s: number, hook: number, version: number, flags: number): number;
  soc_mtk_create(s: number, hook: number, flags: number): number;
  soc_gart_create(s: number, hook: number, aperture: number, size: number, flags: number): number;
  soc_destroy(s: number): number;
  soc_root(s: number, i: number): number;
  soc_live(s: number): number;
  soc_warnings(s: number): number;
  soc_set_flags(s: number, flags: number): number;
  soc_last_mapped(): number;
  soc_out_ptr(): number;
  soc_map(s: number, iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number;
  soc_unmap(s: number, iova: number, pgsize: number, pgcount: number, flags: number): number;
  soc_iova_to_phys(s: number, iova: number): number;
  soc_tce_build(s: number, index: number, npages: number, pa: number, direction: number): number;
  soc_tce_xchg(s: number, index: number, hpa: number, direction: number, alloc: number): number;
  soc_tce_free(s: number, index: number, npages: number): number;
  soc_tce_get(s: number, index: number): number;
  soc_tce_info(s: number, key: number): number;
}

/**
 * Memory outside the core's own RAM, reached when a page table (or a hardware-updated
 * entry) lies there: e.g. embedder-owned RAM (CallbackRam). Return false for an address
 * nothing backs: the walk then reports an external abort.
 */
export interface ExternalMemory {
  read(gpa: number, dst: Uint8Array): boolean;
  write(gpa: number, src: Uint8Array): boolean;
}

let compiled: WebAssembly.Module | null = null;

function module(): WebAssembly.Module {
  if (compiled === null) compiled = new WebAssembly.Module(Buffer.from(CORE_WASM_BASE64, 'base64'));
  return compiled;
}

/** One instance of the core: its own linear memory, so several machines can coexist. */
export class Core {
  readonly exports: CoreExports;
  private buffer: ArrayBuffer;
  private u8: Uint8Array;

  /** Where table reads outside the core's RAM go; none means they abort. */
  external: ExternalMemory | null = null;

  constructor() {
    const instance = new WebAssembly.Instance(module(), {
      env: {
        ext_read: (gpa: number, out: number, len: number): number => {
          const ext = this.external;
          if (ext === null) return 1;
          return ext.read(gpa, this.bytes().subarray(out, out + len)) ? 0 : 1;
        },
        ext_write: (gpa: number, src: number, len: number): number => {
          const ext = this.external;
          if (ext === null) return 1;
          return ext.write(gpa, this.bytes().slice(src, src + len)) ? 0 : 1;
        },
        ...pgtableImports(this),
        abort(_msg: number, _file: number, line: number, col: number): never {
          throw new Error(`core.wasm aborted at ${line}:${col} (an internal invariant of the translation core failed)`);
        },
      },
    });
    this.exports = instance.exports as unknown as CoreExports;
    this.buffer = this.exports.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
  }

  /** A byte view of all of linear memory, current even after the memory grew. */
  bytes(): Uint8Array {
    if (this.exports.memory.buffer !== this.buffer) {
      this.buffer = this.exports.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
    }
    return this.u8;
  }

  /** Reserves `size` zeroed bytes of linear memory (64 KiB granular); returns the offset. */
  alloc(size: number): number {
    if (!Number.isInteger(size) || size <= 0 || size > 0xffff0000) {
      throw new RangeError(`Core.alloc: size must be an integer in 1..0xffff0000, got ${size}`);
    }
    const off = this.exports.ram_alloc(size) >>> 0;
    if (off === 0) throw new RangeError(`Core.alloc: linear memory cannot grow by ${size} bytes (the wasm32 limit is 4 GiB)`);
    return off;
  }
}

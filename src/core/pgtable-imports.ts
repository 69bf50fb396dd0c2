// The wasm imports of the page-table writer (assembly/pgtable): table-page allocation, freeing
// and TLB maintenance callbacks, routed per core instance to the page table that asked, plus
// the per-core block of table records the writer keeps its state in.

/** What one page table supplies to the writer's imports. */
export interface PgtableHooks {
  /** Guest-physical address of a table of `size` bytes, or a negative number when out of memory. */
  alloc(size: number): number;
  free(gpa: number, size: number): void;
  /** kind 1: flush_walk(iova, size, granule); kind 2: add_page(iova, granule). */
  tlb(kind: number, iovaLo: number, iovaHi: number, size: number, granule: number): void;
}

/** Per-core state of the writer: hooks by handle, the record block, free handles. */
export interface PgtableRegistry {
  hooks: Array<PgtableHooks | null>;
  recordsPtr: number;
  capacity: number;
}

const registries = new WeakMap<object, PgtableRegistry>();

export function pgtableRegistry(core: object): PgtableRegistry {
  let r = registries.get(core);
  if (r === undefined) {
    r = { hooks: [], recordsPtr: 0, capacity: 0 };
    registries.set(core, r);
  }
  return r;
}

/** The `env` imports core.wasm needs for the page-table writer, bound to one core instance. */
export function pgtableImports(core: object): Record<string, (...args: number[]) => number | void> {
  const reg = pgtableRegistry(core);
  return {
    pgt_alloc: (h: number, size: number): number => {
      const hk = reg.hooks[h];
      return hk ? hk.alloc(size) : -1;
    },
    pgt_free: (h: number, gpa: number, size: number): void => {
      reg.hooks[h]?.free(gpa, size);
    },
    pgt_tlb: (h: number, kind: number, lo: number, hi: number, size: number, granule: number): void => {
      reg.hooks[h]?.tlb(kind, lo >>> 0, hi >>> 0, size, granule);
    },
  };
}

// Page-table writer (io-pgtable-arm in core.wasm): 4K pages mapped and unmapped per second
// (target >= 10 M pages/s), one page per call and 512 pages per call (one leaf table), against
// an in-run reference: a minimal pure-TypeScript 4-level writer over the same guest RAM that
// does only the essential work (walk, allocate, write the descriptor; no Linux checks).
import { Core } from '../src/core/core.ts';
import { WasmRam } from '../src/bridge/guest-ram.ts';
import { LpaePageTable, IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE } from '../src/core/pgtable.ts';
import { PageArena } from '../src/core/pgtable-arena.ts';
import { report, type BenchResult } from './harness.ts';

const PAGES = 1 << 18; // 1 GiB of IOVA in 4K pages per round
const ROUNDS = 7;
const BASE = 0x40000000;
const RAM = 64 << 20;

/** The reference: a bare 4-level, 4K-granule stage-1 writer in TypeScript (descriptors as two 32-bit halves). */
class TsWriter {
  private next: number;
  readonly root: number;
  constructor(
    private readonly mem: Uint32Array,
    private readonly base: number,
  ) {
    this.next = base;
    this.root = this.alloc();
  }
  private alloc(): number {
    const gpa = this.next;
    this.next += 4096;
    this.mem.fill(0, (gpa - this.base) >>> 2, (gpa - this.base + 4096) >>> 2);
    return gpa;
  }
  map(iova: number, paddr: number, attrs: number): void {
    let table = this.root;
    for (let lvl = 0; lvl < 3; lvl++) {
      const shift = 39 - 9 * lvl;
      const idx = Math.floor(iova / 2 ** shift) % 512;
      const w = ((table - this.base) >>> 2) + idx * 2;
      let lo = this.mem[w]!;
      if (lo === 0) {
        const t = this.alloc();
        lo = (t | 3) >>> 0;
        this.mem[w] = lo;
        this.mem[w + 1] = Math.floor(t / 2 ** 32);
      }
      table = (lo & ~0xfff) >>> 0;
    }
    const w = ((table - this.base) >>> 2) + (Math.floor(iova / 4096) % 512) * 2;
    this.mem[w] = ((paddr % 2 ** 32) | attrs | 3) >>> 0;
    this.mem[w + 1] = Math.floor(paddr / 2 ** 32);
  }
  unmap(iova: number): void {
    let table = this.root;
    for (let lvl = 0; lvl < 3; lvl++) {
      const idx = Math.floor(iova / 2 ** (39 - 9 * lvl)) % 512;
      const lo = this.mem[((table - this.base) >>> 2) + idx * 2]!;
      if (lo === 0) return;
      table = (lo & ~0xfff) >>> 0;
    }
    const w = ((table - this.base) >>> 2) + (Math.floor(iova / 4096) % 512) * 2;
    this.mem[w] = 0;
    this.mem[w + 1] = 0;
  }
}

function rounds(name: string, pages: number, body: () => void, reset: () => void): BenchResult {
  body();
  reset();
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    body();
    const dt = Number(process.hrtime.bigint() - t0);
    reset();
    if (dt < best) best = dt;
  }
  const nsPerOp = best / pages;
  return { name, opsPerSec: 1e9 / nsPerOp, nsPerOp };
}

export function runPgtableBench(): BenchResult[] {
  const core = new Core();
  const ram = new WasmRam(core, RAM, 'tables');
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const words = new Uint32Array(core.bytes().buffer, ram.coreOffset, RAM >>> 2);
  const prot = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE;
  const iova0 = 0x1_0000_0000;
  const pa0 = 0x8000_0000;

  // Reference (half the RAM), then the writer (the other half).
  const ts = new TsWriter(words.subarray(0, RAM >>> 3), BASE);
  const ref = rounds(
    'TS reference writer, 1 page per call (reference)',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i++) ts.map(iova0 + i * 4096, pa0 + i * 4096, 0xf40);
    },
    () => {
      for (let i = 0; i < PAGES; i++) ts.unmap(iova0 + i * 4096);
    },
  );

  const arena = new PageArena(BASE + RAM / 2, BASE + RAM);
  const pt = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 }, arena);
  const unmapAll = (): void => {
    for (let i = 0; i < PAGES; i += 512) pt.unmap(iova0 + i * 4096, 4096, 512);
  };
  const one = rounds(
    'map_pages 4K, 1 page per call',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i++) pt.map(iova0 + i * 4096, pa0 + i * 4096, 4096, 1, prot);
    },
    unmapAll,
  );
  const batch = rounds(
    'map_pages 4K, 512 pages per call',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i += 512) pt.map(iova0 + i * 4096, pa0 + i * 4096, 4096, 512, prot);
    },
    unmapAll,
  );
  const mapAll = (): void => {
    for (let i = 0; i < PAGES; i += 512) pt.map(iova0 + i * 4096, pa0 + i * 4096, 4096, 512, prot);
  };
  mapAll();
  const unmapOne = rounds(
    'unmap_pages 4K, 1 page per call',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i++) pt.unmap(iova0 + i * 4096, 4096, 1);
    },
    mapAll,
  );
  const lookups = rounds(
    'iova_to_phys (4-level walk)',
    PAGES,
    () => {
      let acc = 0;
      for (let i = 0; i < PAGES; i++) acc += pt.iovaToPhys(iova0 + i * 4096 + 8);
      if (acc === 0.5) console.log(acc);
    },
    () => {},
  );
  const results = [ref, one, batch, unmapOne, lookups];
  report(results, ref);
  pt.destroy();
  return results;
}

// TCE and SoC page-table writers in core.wasm: pages mapped per second, one page per call and a
// whole leaf table per call, against an in-run reference that does only the essential work in
// TypeScript over the same guest RAM (index, write the big-endian TCE / the DART leaf; no Linux
// checks, no lazily allocated levels).
// Standalone: `node --import tsx bench/pgtable-soc.bench.ts` (not yet wired into bench/run.ts,
// which another branch is editing).
import { Core } from '../src/core/core.ts';
import { WasmRam } from '../src/bridge/guest-ram.ts';
import { IOMMU_READ, IOMMU_WRITE } from '../src/core/pgtable.ts';
import { PageArena } from '../src/core/pgtable-arena.ts';
import { DartPageTable, RockchipPageTable } from '../src/core/pgtable-soc.ts';
import { DMA_BIDIRECTIONAL, TceTable } from '../src/core/pgtable-tce.ts';
import { report, type BenchResult } from './harness.ts';

const PAGES = 1 << 17;
const ROUNDS = 7;
const BASE = 0x40000000;
const RAM = 64 << 20;

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

export function runSocPgtableBench(): BenchResult[] {
  const core = new Core();
  const ram = new WasmRam(core, RAM, 'tables');
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const arena = new PageArena(BASE + RAM / 2, BASE + RAM);

  // Reference: one flat level of big-endian TCEs written from TypeScript.
  const view = new DataView(core.bytes().buffer, ram.coreOffset, RAM / 2);
  const ref = rounds(
    'TS reference: big-endian TCE store (reference)',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i++) view.setBigUint64(i * 8, BigInt(0x8000_0000 + i * 4096) | 3n, false);
    },
    () => {
      for (let i = 0; i < PAGES; i++) view.setBigUint64(i * 8, 0n, false);
    },
  );

  const tce = new TceTable(core, { pageShift: 12, windowSize: 2 ** 31, levels: 2, kernelPageShift: 12 }, arena);
  const tceOne = rounds(
    'pnv_tce_build, 1 page per call (2 levels)',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i++) tce.build(i, 1, 0x8000_0000 + i * 4096, DMA_BIDIRECTIONAL);
    },
    () => tce.free(0, PAGES),
  );
  const tceBatch = rounds(
    'pnv_tce_build, 512 pages per call',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i += 512) tce.build(i, 512, 0x8000_0000 + i * 4096, DMA_BIDIRECTIONAL);
    },
    () => tce.free(0, PAGES),
  );
  tce.destroy();

  const dart = new DartPageTable(core, { fmt: 'DART2', ias: 36, oas: 42, pgsizeBitmap: 0x4000 }, arena);
  const dartReset = (): void => {
    for (let i = 0; i < PAGES; i += 2048) dart.unmap(i * 0x4000, 0x4000, 2048, { queued: true });
  };
  const dartOne = rounds(
    'DART map_pages 16K, 1 page per call',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i++) dart.map(i * 0x4000, 0x8000_0000 + i * 0x4000, 0x4000, 1, IOMMU_READ | IOMMU_WRITE);
    },
    dartReset,
  );
  const dartBatch = rounds(
    'DART map_pages 16K, 2048 pages per call',
    PAGES,
    () => {
      for (let i = 0; i < PAGES; i += 2048) dart.map(i * 0x4000, 0x8000_0000 + i * 0x4000, 0x4000, 2048, IOMMU_READ | IOMMU_WRITE);
    },
    dartReset,
  );
  dart.destroy();

  const rk = new RockchipPageTable(core, 2, arena);
  const rkPages = 1 << 16;
  const rkOne = rounds(
    'Rockchip map 4K, 1 page per call',
    rkPages,
    () => {
      for (let i = 0; i < rkPages; i++) rk.map(i * 4096, 0x8000_0000 + i * 4096, 4096, IOMMU_READ | IOMMU_WRITE);
    },
    () => {
      for (let i = 0; i < rkPages; i += 1024) rk.unmap(i * 4096, 0x400000);
    },
  );
  rk.destroy();

  const results = [ref, tceOne, tceBatch, dartOne, dartBatch, rkOne];
  report(results, ref);
  return results;
}

if (process.argv[1]?.endsWith('/pgtable-soc.bench.ts')) runSocPgtableBench();

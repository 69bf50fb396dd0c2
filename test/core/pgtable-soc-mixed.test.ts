// Several writers on one core: LPAE, TCE and SoC tables share the allocator/TLB import routing
// and each keeps its own records; the record block grows past its first capacity without
// losing live tables; destroyed handles are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LpaePageTable, IOMMU_READ as R, IOMMU_WRITE as W } from '../../src/core/pgtable.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';
import { DartPageTable, RockchipPageTable } from '../../src/core/pgtable-soc.ts';
import { DMA_TO_DEVICE, TceTable } from '../../src/core/pgtable-tce.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';

const K4 = 0x1000;
const K16 = 0x4000;

test('LPAE, TCE, DART and Rockchip tables on one core allocate from their own allocators and stay independent', () => {
  const t = new TestRam(8 << 20);
  const arenas = [0, 1, 2, 3].map((i) => new PageArena(RAM_BASE + i * (2 << 20), RAM_BASE + (i + 1) * (2 << 20)));
  const lpae = new LpaePageTable(t.core, { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 }, arenas[0]!);
  const tce = new TceTable(t.core, { pageShift: 12, windowSize: 2 ** 30, levels: 2, kernelPageShift: 12 }, arenas[1]!);
  const dart = new DartPageTable(t.core, { fmt: 'DART2', ias: 32, oas: 42, pgsizeBitmap: K16 }, arenas[2]!);
  const rk = new RockchipPageTable(t.core, 1, arenas[3]!);
  assert.is(lpae.map(0x1000, 0x9000_0000, K4, 1, R), K4);
  assert.is(tce.build(1, 1, 0x9100_0000, DMA_TO_DEVICE), 0);
  assert.is(dart.map(K16, 0x9200_0000, K16, 1, R | W), K16);
  assert.is(rk.map(0x1000, 0x9300_0000, K4, R), K4);
  assert.equal(arenas.map((a) => a.live), [4, 2, 2, 2]);
  assert.equal([lpae.iovaToPhys(0x1234), tce.iovaToPhys(0x1234), dart.iovaToPhys(0x4234), rk.iovaToPhys(0x1234)], [
    0x9000_0234, 0x9100_0234, 0x9200_0234, 0x9300_0234,
  ]);
  dart.destroy();
  assert.throws(() => dart.map(0, 0, K16, 1, R), /destroyed/);
  // A new table may reuse the handle; the others are untouched.
  const rk2 = new RockchipPageTable(t.core, 2, arenas[2]!);
  assert.is(rk2.map(0x2000, 0x9400_0000, K4, W), K4);
  assert.equal([lpae.iovaToPhys(0x1234), tce.get(1), rk.iovaToPhys(0x1234)], [0x9000_0234, 0x9100_0001n, 0x9300_0234]);
  for (const x of [lpae, tce, rk, rk2]) x.destroy();
  assert.equal(arenas.map((a) => a.live), [0, 0, 0, 0]);
});

test('more tables than the first record block holds: the block grows and earlier tables keep working', () => {
  const t = new TestRam(2 << 20);
  const arena = new PageArena(RAM_BASE, RAM_BASE + (2 << 20));
  const tables = Array.from({ length: 100 }, (_, i) => {
    const pt = new RockchipPageTable(t.core, 1, arena);
    assert.is(pt.map(i * K4, 0x1000_0000 + i * K4, K4, R), K4);
    return pt;
  });
  tables.forEach((pt, i) => assert.is(pt.iovaToPhys(i * K4 + 5), 0x1000_0000 + i * K4 + 5, `table ${i}`));
  assert.is(arena.live, 200);
  for (const pt of tables) pt.destroy();
  assert.is(arena.live, 0);
});

test.run();

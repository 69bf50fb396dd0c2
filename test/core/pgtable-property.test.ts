// Property: across random map/unmap sequences, translations change exactly as the writer's
// return values and TLB callbacks say (Linux's contract with IOMMU drivers): a map adds what
// it reports as mapped, an unmap removes what it reports as unmapped, a flush_walk removes the
// range it names, nothing else moves. Also: a map into an empty range maps up to the end of
// one table, and live table allocations always equal the allocator's live blocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Core } from '../../src/core/core.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import { LpaePageTable, IOMMU_READ, IOMMU_WRITE, type LpaeFormat } from '../../src/core/pgtable.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';

const K4 = 0x1000;
const M2 = 0x200000;
const WINDOW = 8 << 20; // 2048 pages, 4 level-2 entries
const PAGES = WINDOW / K4;

type Op = { kind: 'map'; big: boolean; index: number; count: number; pa: number; prot: number } | { kind: 'unmap'; big: boolean; index: number; count: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    big: fc.boolean(),
    index: fc.nat(2047),
    count: fc.integer({ min: 1, max: 600 }),
    pa: fc.nat(511),
    prot: fc.nat(63),
  }),
  fc.record({ kind: fc.constant('unmap' as const), big: fc.boolean(), index: fc.nat(2047), count: fc.nat(600) }),
);

function run(fmt: LpaeFormat, ops: Op[]): void {
  const core = new Core();
  const ram = new WasmRam(core, 4 << 20);
  core.exports.ram_map(0x40000000, ram.size, ram.coreOffset);
  const arena = new PageArena(0x40000000, 0x40000000 + ram.size);
  const flushed: Array<[number, number]> = [];
  const pt = new LpaePageTable(core, { fmt, ias: 40, oas: 40, pgsizeBitmap: 0x40201000 }, arena, {
    flushWalk: (iova, size) => void flushed.push([Number(iova), size]),
    addPage: () => {},
  });
  const model = new Map<number, number>(); // page index -> output page address
  const del = (from: number, bytes: number) => {
    for (let p = from / K4; p < (from + bytes) / K4; p++) model.delete(p);
  };
  for (const [n, op] of ops.entries()) {
    const pgsize = op.big ? M2 : K4;
    const index = op.big ? op.index % (WINDOW / M2) : op.index;
    const iova = index * pgsize;
    const count = op.big ? Math.min(op.count, 3) : op.count;
    flushed.length = 0;
    const where = `op ${n} ${op.kind} iova 0x${iova.toString(16)} pgsize 0x${pgsize.toString(16)} x${count}`;
    if (op.kind === 'map') {
      const pa = op.pa * pgsize;
      const empty = [...Array(Math.min(count, PAGES) * (pgsize / K4)).keys()].every((i) => !model.has(iova / K4 + i));
      const r = pt.map(iova, pa, pgsize, count, op.prot);
      for (const [f, s] of flushed) del(f, s);
      if (r >= 0) for (let i = 0; i < r / K4; i++) model.set(iova / K4 + i, pa + i * K4);
      if (empty && op.prot & (IOMMU_READ | IOMMU_WRITE)) {
        const toTableEnd = 512 - (index % 512);
        assert.is(r, Math.min(count, toTableEnd) * pgsize, `${where}: a map into an empty range`);
      }
    } else {
      const r = pt.unmap(iova, pgsize, count);
      for (const [f, s] of flushed) del(f, s);
      if (r > 0) del(iova, r);
    }
    for (let p = 0; p < PAGES; p++) {
      const want = model.has(p) ? model.get(p)! + 0x123 : 0;
      const got = pt.iovaToPhys(p * K4 + 0x123);
      if (got !== want) assert.unreachable(`${where}: page 0x${(p * K4).toString(16)} translates to 0x${got.toString(16)}, the returns and callbacks say 0x${want.toString(16)}`);
    }
    assert.is(pt.liveTables(), arena.live, `${where}: live tables`);
  }
  pt.destroy();
  assert.is(arena.live, 0);
}

test('stage 1: translations change only as map/unmap returns and flush_walk callbacks say', () => {
  fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => run('ARM_64_LPAE_S1', ops)), { numRuns: 40, seed: 0x5eed });
});

test('stage 2 (concatenated root): the same contract', () => {
  fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => run('ARM_64_LPAE_S2', ops)), { numRuns: 25, seed: 0xbeef });
});

test.run();

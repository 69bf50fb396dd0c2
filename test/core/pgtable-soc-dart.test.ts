// The Apple DART writer against Linux's io-pgtable-dart.c as summarised in
// shared/reference/soc-iommus.md 2.6: geometry and refusals, DART1 / DART2 PTE encodings, every
// map_pages / unmap_pages return value, the iova_to_phys "non-zero is present" quirk, table
// lifetimes, and agreement of the written tables with the WASM and reference DART walkers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';
import { EEXIST, EINVAL, ENOMEM, ERANGE, IOMMU_CACHE, IOMMU_READ as R, IOMMU_WRITE as W, PgtableConfigError } from '../../src/core/pgtable.ts';
import { DartPageTable, dartGeometry, type DartTableConfig, type SocTlbEvent } from '../../src/core/pgtable-soc.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { refDartWalk } from './ref/dart.ts';

const K4 = 0x1000;
const K16 = 0x4000;
const T8020: DartTableConfig = { fmt: 'DART1', ias: 32, oas: 36, pgsizeBitmap: K16 };
const T6000: DartTableConfig = { fmt: 'DART2', ias: 32, oas: 42, pgsizeBitmap: K16 };
const DART1_4K: DartTableConfig = { fmt: 'DART1', ias: 32, oas: 36, pgsizeBitmap: K4 };
const T602X: DartTableConfig = { fmt: 'DART2', ias: 42, oas: 42, pgsizeBitmap: K16 };

function mk(cfg: DartTableConfig, opts: { failAfter?: number; ram?: number } = {}) {
  const size = opts.ram ?? 4 << 20;
  const t = new TestRam(size);
  const arena = new PageArena(RAM_BASE, RAM_BASE + size);
  let n = 0;
  const allocator = {
    alloc: (s: number) => (opts.failAfter !== undefined && n++ >= opts.failAfter ? -1 : arena.alloc(s)),
    free: (g: number, s: number) => arena.free(g, s),
  };
  const tlb: SocTlbEvent[] = [];
  const pt = new DartPageTable(t.core, cfg, allocator, (e) => tlb.push(e));
  return { t, pt, arena, tlb };
}

/** The leaf entry address for `iova` in a 16 KiB, 2-table geometry (top index iova[35:25], leaf iova[24:14]). */
function leafAt16k(t: TestRam, pt: DartPageTable, iova: number, dart2: boolean): number {
  const top = t.get(pt.ttbrs[0]! + Math.floor(iova / 2 ** 25) % 2048 * 8);
  const table = dart2 ? Number(((top >> 10n) & 0xfff_ffffn) << 14n) : Number(top & 0xf_ffff_f000n);
  return table + (Math.floor(iova / K16) % 2048) * 8;
}

// ---- geometry (dart_alloc_pgtable / apple_dart_alloc_pgtable) ----

test('2.6: geometries: t8020/t6000 16K ias 32 -> TTBR + 2 tables, 1 TTBR; DART1 4K ias 32 -> 4 TTBRs; t602x ias 42 -> 4 levels', () => {
  const g = (c: DartTableConfig) => {
    const x = dartGeometry(c);
    return [x.levels, x.tblBits, x.nTtbrs, x.bitsPerLevel];
  };
  assert.equal(g(T8020), [3, 0, 1, 11]);
  assert.equal(g(DART1_4K), [3, 2, 4, 9]);
  assert.equal(g({ ...T6000, ias: 36 }), [3, 0, 1, 11]);
  assert.equal(g(T602X), [4, 0, 1, 11]);
});

test('2.6: Linux refuses a non-coherent walk, oas other than 36/42, ias > oas, other page sizes, too deep a table', () => {
  const refused = (e: unknown) => e instanceof PgtableConfigError;
  assert.throws(() => dartGeometry({ ...T8020, coherentWalk: false }), refused);
  assert.throws(() => dartGeometry({ ...T8020, oas: 40 }), refused);
  assert.throws(() => dartGeometry({ ...T8020, ias: 37 }), refused);
  assert.throws(() => dartGeometry({ ...T8020, pgsizeBitmap: 0x10000 }), refused);
  assert.throws(() => dartGeometry({ ...T8020, pgsizeBitmap: K4 | K16 }), refused);
  // 4K pages, ias 42: 30 VA bits need 4 tables of 9 bits below the TTBR.
  assert.throws(() => dartGeometry({ fmt: 'DART2', ias: 42, oas: 42, pgsizeBitmap: K4 }), refused);
  assert.not.throws(() => dartGeometry(T602X));
});

test('one top table of one granule per TTBR at creation', () => {
  let { pt, arena } = mk(DART1_4K);
  assert.equal([pt.ttbrs.length, arena.live, pt.liveTables()], [4, 4, 4]);
  ({ pt, arena } = mk(T8020));
  assert.equal([pt.ttbrs.length, arena.live, arena.allocatedBytes(pt.ttbrs[0]!)], [1, 1, K16]);
});

// ---- PTE encodings ----

test('2.6 DART1 leaf: PA[35:12] in place, SP_DIS, NO_WRITE / NO_READ from prot, SUBPAGE_END 0xFFF, VALID; table entry = address | VALID', () => {
  const { t, pt } = mk(T8020);
  assert.is(pt.map(0x0200_4000, 0x8_1234_4000, K16, 1, R | W), K16);
  const top = t.get(pt.ttbrs[0]! + 1 * 8);
  assert.is(top & 0xfffn, 1n, 'table entry: VALID only below the address');
  assert.is(top & ~0xf_ffff_f000n & ~1n, 0n);
  const leaf = leafAt16k(t, pt, 0x0200_4000, false);
  assert.is(t.get(leaf), 0x8_1234_4000n | (0xfffn << 40n) | 2n | 1n);
  assert.is(pt.map(0x0200_8000, 0x8_1234_8000, K16, 1, R), K16);
  assert.is(t.get(leaf + 8), 0x8_1234_8000n | (0xfffn << 40n) | (1n << 7n) | 2n | 1n, 'read-only: NO_WRITE (bit 7)');
  assert.is(pt.map(0x0200_c000, 0x8_1234_c000, K16, 1, W | IOMMU_CACHE), K16);
  assert.is(t.get(leaf + 16), 0x8_1234_c000n | (0xfffn << 40n) | (1n << 8n) | 2n | 1n, 'write-only: NO_READ (bit 8); CACHE means nothing to DART1');
});

test('2.6 DART2 leaf: bits 37:10 = PA[41:14], NO_READ 3, NO_WRITE 2, NO_CACHE 1 (set without IOMMU_CACHE), SUBPAGE_END 0xFFF', () => {
  const { t, pt } = mk(T6000);
  const pa = 0x2a5_1234_4000; // a 42-bit PA
  assert.is(pt.map(0x4000, pa, K16, 1, R | W | IOMMU_CACHE), K16);
  const leaf = leafAt16k(t, pt, 0x4000, true);
  assert.is(t.get(leaf), (BigInt(pa) >> 4n) | (0xfffn << 40n) | 1n);
  assert.is(pt.map(0x8000, pa, K16, 1, R), K16);
  assert.is(t.get(leaf + 8), (BigInt(pa) >> 4n) | (0xfffn << 40n) | (1n << 2n) | (1n << 1n) | 1n);
  const top = t.get(pt.ttbrs[0]!);
  assert.is(top & 0x3ffn, 1n, 'table entry: VALID only');
});

// ---- map return values ----

test('map_pages: bytes mapped stop at the end of the leaf table (min(pgcount, entries left))', () => {
  const { pt } = mk(T8020);
  // Leaf index 2046 of 2048: two entries left.
  assert.is(pt.map(2046 * K16, 0x1000_0000, K16, 5, R), 2 * K16);
  assert.is(pt.map(2048 * K16, 0x1000_0000, K16, 3, R), 3 * K16, 'next leaf table');
});

test('map_pages errors: wrong pgsize -EINVAL (WARN), paddr >= 2^oas -ERANGE (WARN), no READ/WRITE -EINVAL (no WARN)', () => {
  const { pt } = mk(T8020);
  assert.is(pt.map(0, 0x1000_0000, K4, 1, R), -EINVAL);
  assert.is(pt.warnings(), 1);
  assert.is(pt.map(0, 2 ** 36, K16, 1, R), -ERANGE);
  assert.is(pt.warnings(), 2);
  assert.is(pt.map(0, 0x1000_0000, K16, 1, IOMMU_CACHE), -EINVAL);
  assert.is(pt.warnings(), 2);
  assert.is(pt.liveTables(), 1, 'nothing allocated by refused maps');
});

test('map_pages: a VALID leaf in the range is -EEXIST with a WARN and nothing of the call is written', () => {
  const { t, pt } = mk(T8020);
  assert.is(pt.map(3 * K16, 0x1000_0000, K16, 1, R), K16);
  assert.is(pt.map(1 * K16, 0x2000_0000, K16, 4, R), -EEXIST);
  assert.is(pt.warnings(), 1);
  const leaf = leafAt16k(t, pt, 0, false);
  assert.equal([t.get(leaf + 8), t.get(leaf + 16), t.get(leaf + 32)], [0n, 0n, 0n]);
  // A non-zero entry without VALID is no obstacle to map.
  t.set(leaf + 8, 0x5000_0000n);
  assert.is(pt.map(1 * K16, 0x2000_0000, K16, 1, R), K16);
});

test('map_pages: a TTBR index beyond n_ttbrs is -ENOMEM; a failed table allocation is -ENOMEM', () => {
  let { pt } = mk(T8020);
  assert.is(pt.map(2 ** 36, 0x1000_0000, K16, 1, R), -ENOMEM, 'iova[37:36] selects TTBR 1 of 1');
  ({ pt } = mk(T8020, { failAfter: 1 }));
  assert.is(pt.map(0, 0x1000_0000, K16, 1, R), -ENOMEM);
  assert.is(pt.liveTables(), 1);
});

// ---- unmap ----

test('unmap_pages: clears leaves, add_page per page unless queued; stops at a hole with a WARN; tables stay', () => {
  const { t, pt, tlb } = mk(T8020);
  assert.is(pt.map(0, 0x1000_0000, K16, 2, R | W), 2 * K16);
  assert.is(pt.liveTables(), 2);
  tlb.length = 0;
  assert.is(pt.unmap(0, K16, 4), 2 * K16);
  assert.is(pt.warnings(), 1, 'WARN_ON(!pte) at the hole');
  assert.equal(tlb, [
    { kind: 'addPage', iova: 0, size: K16 },
    { kind: 'addPage', iova: K16, size: K16 },
  ]);
  assert.is(t.get(leafAt16k(t, pt, 0, false)), 0n);
  assert.is(pt.liveTables(), 2, 'leaf tables are only freed with the domain');
  pt.map(0, 0x1000_0000, K16, 1, R);
  tlb.length = 0;
  assert.is(pt.unmap(0, K16, 1, { queued: true }), K16);
  assert.equal(tlb, []);
});

test('unmap_pages returns 0: wrong pgsize, pgcount 0, no leaf table (each a WARN), a hole at the start; never -ENOENT', () => {
  const { pt } = mk(T8020);
  pt.map(0, 0x1000_0000, K16, 1, R);
  assert.is(pt.unmap(0, K4, 1), 0);
  assert.is(pt.unmap(0, K16, 0), 0);
  assert.is(pt.unmap(2 ** 26, K16, 1), 0, 'no leaf table there');
  assert.is(pt.warnings(), 3);
  assert.is(pt.unmap(K16, K16, 1), 0, 'hole');
  assert.is(pt.warnings(), 4);
  assert.is(pt.unmap(2 ** 36, K16, 1), 0, 'TTBR index out of range');
});

// ---- iova_to_phys ----

test('iova_to_phys: address | page offset; 0 when unmapped; any non-zero entry counts as present (VALID not tested)', () => {
  const { t, pt } = mk(T6000);
  pt.map(0x4000, 0x3_0000_0000, K16, 1, R);
  assert.is(pt.iovaToPhys(0x5234), 0x3_0000_1234);
  assert.is(pt.iovaToPhys(0x8000), 0);
  assert.is(pt.iovaToPhys(0x0400_0000), 0, 'no leaf table');
  // An entry with an address but VALID clear: Linux reports it, the hardware (walker) faults.
  const leaf = leafAt16k(t, pt, 0x8000, true);
  t.set(leaf, BigInt(0x3_0001_0000) >> 4n);
  assert.is(pt.iovaToPhys(0x8010), 0x3_0001_0010);
  const w = new Walker(t.core);
  assert.is(w.configureDart(pt.walkerConfig()), A.CFG_OK);
  assert.is(w.walk(0x8010, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INVALID);
});

// ---- lifetime ----

test('free: every table reachable through non-zero entries, then the top tables', () => {
  const { pt, arena } = mk(DART1_4K);
  pt.map(0, 0x1000_0000, K4, 1, R);
  pt.map(3 * 2 ** 30 + 5 * 2 ** 21, 0x1000_0000, K4, 1, R);
  assert.is(arena.live, 6);
  pt.destroy();
  assert.is(arena.live, 0);
});

// ---- writer / walker agreement ----

const walkerOf = new WeakMap<DartPageTable, Walker>();
function walkBoth(t: TestRam, pt: DartPageTable, iova: number, acc: 'read' | 'write', mem = t.refCopy()) {
  const cfg = pt.walkerConfig();
  let w = walkerOf.get(pt);
  if (w === undefined) {
    w = new Walker(t.core);
    assert.is(w.configureDart(cfg), A.CFG_OK);
    walkerOf.set(pt, w);
  }
  const st = w.walk(iova, acc);
  const r = refDartWalk(
    mem,
    { pte: cfg.pte, pageShift: cfg.pageShift as 12 | 14, tables: cfg.tables as 2 | 3, ttbrs: cfg.ttbrs.length as 1 | 4, ias: cfg.ias, ttbr: cfg.ttbrs.map((x) => (x === null ? null : BigInt(x))) },
    BigInt(iova),
    acc === 'write',
  );
  assert.is(r.status, st, `reference walker at 0x${iova.toString(16)} ${acc}`);
  return { st, oa: w.outputAddress, reason: w.reason, refOa: Number(r.oa) };
}

test('walker agreement: R|W, R-only and W-only leaves in every geometry read back with their permissions', () => {
  for (const [name, cfg, iova] of [
    ['t8020', T8020, 0x0123_4000],
    ['t6000', T6000, 0xfedc_c000],
    ['DART1 4K, TTBR 3', DART1_4K, 0xc123_4000],
    ['t602x 4-level', T602X, 0x1f_0123_4000],
  ] as const) {
    const { t, pt } = mk(cfg);
    const pg = cfg.pgsizeBitmap;
    assert.is(pt.map(iova, 0x9_8765_0000 - (0x9_8765_0000 % pg), pg, 1, R | W), pg, name);
    assert.is(pt.map(iova + pg, 0x1_0000_0000, pg, 1, R), pg, name);
    assert.is(pt.map(iova + 2 * pg, 0x1_0010_0000, pg, 1, W), pg, name);
    const pa0 = 0x9_8765_0000 - (0x9_8765_0000 % pg);
    let r = walkBoth(t, pt, iova + 0x123, 'write');
    assert.equal([r.st, r.oa, r.refOa], [A.ST_OK, pa0 + 0x123, pa0 + 0x123], name);
    r = walkBoth(t, pt, iova + pg + 8, 'read');
    assert.equal([r.st, r.oa], [A.ST_OK, 0x1_0000_0008], name);
    r = walkBoth(t, pt, iova + pg + 8, 'write');
    assert.equal([r.st, r.reason], [A.ST_PERMISSION, A.R_PERM_WRITE], name);
    r = walkBoth(t, pt, iova + 2 * pg, 'read');
    assert.equal([r.st, r.reason], [A.ST_PERMISSION, A.R_PERM_READ], name);
    r = walkBoth(t, pt, iova + 2 * pg, 'write');
    assert.equal([r.st, r.oa], [A.ST_OK, 0x1_0010_0000], name);
    assert.is(walkBoth(t, pt, iova + 3 * pg, 'read').st, A.ST_TRANSLATION, name);
    assert.is(pt.iovaToPhys(iova + 0x123), pa0 + 0x123, name);
  }
});

test('property: random map/unmap runs agree with a page model, iova_to_phys and both walkers (DART1 and DART2)', () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(
        fc.record({
          map: fc.boolean(),
          page: fc.integer({ min: 0, max: 3 * 2048 }),
          n: fc.integer({ min: 1, max: 8 }),
          pa: fc.integer({ min: 1, max: 0xfffff }),
          prot: fc.constantFrom(R, W, R | W, R | W | IOMMU_CACHE),
        }),
        { maxLength: 10 },
      ),
      (dart2, ops) => {
        const { t, pt } = mk(dart2 ? T6000 : T8020, { ram: 8 << 20 });
        const model = new Map<number, { pa: number; prot: number }>();
        for (const o of ops) {
          const left = 2048 - (o.page % 2048);
          const num = Math.min(o.n, left);
          if (o.map) {
            const clash = Array.from({ length: num }, (_, i) => model.has(o.page + i)).some(Boolean);
            const r = pt.map(o.page * K16, o.pa * K16, K16, o.n, o.prot);
            assert.is(r, clash ? -EEXIST : num * K16);
            if (!clash) for (let i = 0; i < num; i++) model.set(o.page + i, { pa: (o.pa + i) * K16, prot: o.prot });
          } else {
            let run = 0;
            while (run < num && model.has(o.page + run)) run++;
            assert.is(pt.unmap(o.page * K16, K16, o.n), run * K16);
            for (let i = 0; i < run; i++) model.delete(o.page + i);
          }
        }
        const mem = t.refCopy();
        for (const p of new Set([...model.keys(), 0, 2047, 2048, 6143])) {
          const m = model.get(p);
          const iova = p * K16 + 0x44;
          assert.is(pt.iovaToPhys(iova), m ? m.pa + 0x44 : 0);
          for (const acc of ['read', 'write'] as const) {
            const r = walkBoth(t, pt, iova, acc, mem);
            const ok = m !== undefined && ((acc === 'read' && (m.prot & R) !== 0) || (acc === 'write' && (m.prot & W) !== 0));
            assert.is(r.st, m === undefined ? A.ST_TRANSLATION : ok ? A.ST_OK : A.ST_PERMISSION, `page ${p} ${acc}`);
            if (ok) assert.is(r.oa, m!.pa + 0x44);
          }
        }
      },
    ),
    { numRuns: 40 },
  );
});

test.run();

// The POWER TCE writer against Linux PowerNV (arch/powerpc/platforms/powernv/pci-ioda-tce.c,
// as summarised in shared/reference/power-tce.md A1-A6) and the pSeries variant: table geometry
// and its refusals, lazily allocated levels, direction -> R/W, big-endian TCEs in memory, xchg /
// free / get semantics including upstream's quirks, freeing, and agreement of the written tables
// with the WASM walker and the TypeScript reference walker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';
import { EINVAL, ENOMEM, IOMMU_READ, IOMMU_WRITE } from '../../src/core/pgtable.ts';
import { SocPgtableError } from '../../src/core/pgtable-soc.ts';
import {
  TceTable,
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_NONE,
  DMA_TO_DEVICE,
  TCE_BYPASS_BASE,
  SpaprPagingDomain,
  iommuTceDirection,
  pnvIoda2GetTableSize,
  protToDirection,
  type TceTableConfig,
} from '../../src/core/pgtable-tce.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { refTceWalk, swap64 } from './ref/tce.ts';

const K4 = 0x1000;
const K64 = 0x10000;
const G1 = 2 ** 30;

function mk(cfg: TceTableConfig, ramSize = 8 << 20, opts: { failAfter?: number } = {}) {
  const t = new TestRam(ramSize);
  const arena = new PageArena(RAM_BASE, RAM_BASE + ramSize);
  const allocs: number[] = [];
  const frees: Array<[number, number]> = [];
  const allocator = {
    alloc: (n: number) => {
      if (opts.failAfter !== undefined && allocs.length >= opts.failAfter) return -1;
      allocs.push(n);
      return arena.alloc(n);
    },
    free: (g: number, n: number) => {
      frees.push([g, n]);
      arena.free(g, n);
    },
  };
  const tbl = new TceTable(t.core, cfg, allocator);
  return { t, tbl, arena, allocs, frees };
}

function refuse(cfg: TceTableConfig, opts: { failAfter?: number } = {}): number {
  try {
    mk(cfg, 8 << 20, opts);
  } catch (e) {
    if (e instanceof SocPgtableError) return e.errno;
    throw e;
  }
  return 0;
}

/** A 1 GiB window of 4 KiB TCEs in 2 levels of 512 entries (4 KiB kernel pages). */
const TWO_LEVEL: TceTableConfig = { pageShift: 12, windowSize: G1, levels: 2, kernelPageShift: 12 };

// ---- geometry (pnv_pci_ioda2_table_alloc_pages, A4 / A6) ----

test('A6: 2 GiB window, 4 KiB TCEs, 1 level, 64 KiB kernel: one 4 MiB level of 2^19 entries (TVE TCE_TABLE_SIZE 11)', () => {
  const { tbl, allocs } = mk({ pageShift: 12, windowSize: 2 * G1, levels: 1, kernelPageShift: 16 });
  assert.equal([tbl.levelShift, tbl.levelSize, tbl.itSize, tbl.indirectLevels, tbl.itOffset], [22, 2 ** 19, 2 ** 19, 0, 0]);
  assert.is(tbl.levelShift - 11, 11);
  assert.equal(allocs, [4 << 20]);
  assert.is(tbl.liveTables(), 1);
});

test('A6: 64 GiB window, 64 KiB TCEs, 2 levels, 64 KiB kernel: levels of 8192 entries (10 bits rounded up to one 64 KiB page); only the top is allocated', () => {
  const { tbl, allocs } = mk({ pageShift: 16, windowSize: 64 * G1, levels: 2, kernelPageShift: 16 });
  assert.equal([tbl.levelShift, tbl.levelSize, tbl.indirectLevels], [16, 8192, 1]);
  // it_size = 2^max(entries_shift + 3, PAGE_SHIFT) / 8 with entries_shift = 36 - 16 = 20.
  assert.is(tbl.itSize, 2 ** 20);
  assert.equal(allocs, [K64]);
});

test('A4: bits per level = ceil(entries_shift / levels), level at least one kernel page', () => {
  // entries_shift 19 over 3 levels: ceil = 7 bits -> 2^10 bytes -> raised to a 4 KiB page.
  let { tbl } = mk({ pageShift: 12, windowSize: 2 * G1, levels: 3, kernelPageShift: 12 });
  assert.equal([tbl.levelShift, tbl.levelSize, tbl.itSize], [12, 512, 2 ** 19]);
  // entries_shift 18 over 2 levels: 9 bits each.
  ({ tbl } = mk(TWO_LEVEL));
  assert.equal([tbl.levelShift, tbl.levelSize, tbl.itSize], [12, 512, 2 ** 18]);
  // entries_shift 21 over 2 levels: 11 bits -> 16 KiB levels.
  ({ tbl } = mk({ pageShift: 12, windowSize: 8 * G1, levels: 2, kernelPageShift: 12 }));
  assert.equal([tbl.levelShift, tbl.levelSize], [14, 2048]);
});

test('A4: a window smaller than a kernel page of TCEs still gets it_size = 2^max(entries_shift + 3, PAGE_SHIFT) / 8', () => {
  // 256 KiB of 4 KiB pages = 64 TCEs, but the table is one 4 KiB (or 64 KiB) page of entries.
  let { tbl } = mk({ pageShift: 12, windowSize: 256 * 1024, levels: 1, kernelPageShift: 12 });
  assert.equal([tbl.itSize, tbl.levelShift], [512, 12]);
  assert.is(tbl.build(511, 1, 0x1000, DMA_TO_DEVICE), 0, 'it_size, not the window, bounds the table');
  ({ tbl } = mk({ pageShift: 12, windowSize: 256 * 1024, levels: 1, kernelPageShift: 16 }));
  assert.equal([tbl.itSize, tbl.levelShift], [8192, 16]);
});

test('A4: refusals: levels 0 or > 5 and non-power-of-two windows are -EINVAL; no top level is -ENOMEM', () => {
  assert.is(refuse({ ...TWO_LEVEL, levels: 0 }), -EINVAL);
  assert.is(refuse({ ...TWO_LEVEL, levels: 6 }), -EINVAL);
  assert.is(refuse({ ...TWO_LEVEL, windowSize: 3 * G1 }), -EINVAL);
  assert.is(refuse(TWO_LEVEL, { failAfter: 0 }), -ENOMEM);
});

test('A4: (level_shift - 3) * levels + page_shift >= 55 is -EINVAL: 5 levels never fit, 4 levels of 4 KiB do', () => {
  // 4 KiB kernel: at least 9 bits per level, 9 * 5 + 12 = 57.
  assert.is(refuse({ pageShift: 12, windowSize: G1, levels: 5, kernelPageShift: 12 }), -EINVAL);
  // 9 * 4 + 12 = 48.
  assert.is(refuse({ pageShift: 12, windowSize: G1, levels: 4, kernelPageShift: 12 }), 0);
  // 64 KiB kernel: at least 13 bits per level, 13 * 4 + 16 = 68; 13 * 3 + 12 = 51 fits.
  assert.is(refuse({ pageShift: 16, windowSize: 64 * G1, levels: 4, kernelPageShift: 16 }), -EINVAL);
  assert.is(refuse({ pageShift: 12, windowSize: 64 * G1, levels: 3, kernelPageShift: 16 }), 0);
});

test('A5: pnv_pci_ioda2_get_table_size: worst case of every level, times two (hardware table + userspace copy); 0 for bad input', () => {
  // 2 GiB / 4 KiB / 1 level / 64 KiB kernel: one 4 MiB level.
  assert.is(pnvIoda2GetTableSize(12, 2 * G1, 1, 16), 2 * (4 << 20));
  // 64 GiB / 64 KiB / 2 levels / 64 KiB kernel: 8 MiB of leaves, then max(8 MiB / 64 KiB * 8, 64 KiB) = 64 KiB.
  assert.is(pnvIoda2GetTableSize(16, 64 * G1, 2, 16), 2 * ((8 << 20) + K64));
  // A tiny window still counts at least 4 KiB.
  assert.is(pnvIoda2GetTableSize(12, 64 * K4, 1, 12), 2 * K4);
  assert.equal([pnvIoda2GetTableSize(12, G1, 0), pnvIoda2GetTableSize(12, G1, 6), pnvIoda2GetTableSize(12, 3 * G1, 1)], [0, 0, 0]);
});

// ---- build ----

test('A2: pnv_tce_build: TO_DEVICE -> R, FROM_DEVICE -> R|W (W forces R), BIDIRECTIONAL -> R|W, DMA_NONE -> no bits', () => {
  const { tbl } = mk(TWO_LEVEL);
  const pa = 0x1_2345_6000;
  for (const [i, dir, bits] of [[0, DMA_TO_DEVICE, 1n], [1, DMA_FROM_DEVICE, 3n], [2, DMA_BIDIRECTIONAL, 3n], [3, DMA_NONE, 0n]] as const) {
    assert.is(tbl.build(i, 1, pa, dir), 0);
    assert.is(tbl.get(i), BigInt(pa) | bits, `direction ${dir}`);
  }
});

test('A1: TCE i = ((pa >> shift) + i) << shift | perms: consecutive pages, low bits of pa dropped', () => {
  const { tbl } = mk({ pageShift: 16, windowSize: 64 * G1, levels: 2, kernelPageShift: 16 });
  assert.is(tbl.build(5, 3, 0x7_0000_1234, DMA_BIDIRECTIONAL), 0);
  assert.equal([tbl.get(5), tbl.get(6), tbl.get(7)], [0x7_0000_0003n, 0x7_0001_0003n, 0x7_0002_0003n]);
  assert.is(tbl.get(8), 0n);
});

test('A0/A3: TCEs and indirect entries are big-endian in memory; the indirect entry is level address | R | W', () => {
  const { t, tbl, allocs } = mk(TWO_LEVEL);
  const index = 3 * 512 + 7; // top slot 3, leaf slot 7
  assert.is(tbl.build(index, 1, 0x8000_0000, DMA_TO_DEVICE), 0);
  assert.equal(allocs, [K4, K4]);
  const top = t.get(tbl.base + 3 * 8);
  assert.is(top & 0xffn, 0n, 'little-endian reading of a big-endian entry: the low byte is the address top byte');
  const indirect = swap64(top);
  assert.is(indirect & 3n, 3n);
  const leafTable = Number(indirect & ~0xfffn);
  assert.is(leafTable, RAM_BASE + K4, 'the level allocated second');
  assert.is(t.get(leafTable + 7 * 8), swap64(0x8000_0000n | 1n));
});

test('A3: lower levels are allocated on first use and reused afterwards; get and free never allocate', () => {
  const { tbl } = mk(TWO_LEVEL);
  assert.is(tbl.liveTables(), 1);
  assert.is(tbl.get(600), 0n, 'a missing level reads as 0');
  assert.is(tbl.free(600, 1), 0);
  assert.is(tbl.liveTables(), 1);
  assert.is(tbl.build(512, 2, 0x9000_0000, DMA_TO_DEVICE), 0);
  assert.is(tbl.liveTables(), 2);
  assert.is(tbl.build(1023, 1, 0x9000_0000, DMA_TO_DEVICE), 0);
  assert.is(tbl.liveTables(), 2, 'same level');
  assert.is(tbl.build(1024, 1, 0x9000_0000, DMA_TO_DEVICE), 0);
  assert.is(tbl.liveTables(), 3, 'next level');
  assert.is(tbl.free(512, 1024), 0);
  assert.is(tbl.liveTables(), 3, 'levels are never freed while the table lives');
});

test('build across a level boundary allocates the next level; -ENOMEM when it cannot, earlier TCEs stay', () => {
  const { tbl } = mk(TWO_LEVEL, 8 << 20, { failAfter: 2 });
  assert.is(tbl.build(510, 4, 0xa000_0000, DMA_BIDIRECTIONAL), -ENOMEM);
  assert.equal([tbl.get(510), tbl.get(511), tbl.get(512)], [0xa000_0003n, 0xa000_1003n, 0n]);
});

test('model guard: a range outside [it_offset, it_offset + it_size) is -EINVAL and writes nothing', () => {
  const { tbl } = mk(TWO_LEVEL);
  assert.is(tbl.build(2 ** 18 - 1, 2, 0x1000, DMA_TO_DEVICE), -EINVAL);
  assert.is(tbl.get(2 ** 18 - 1), 0n);
  assert.is(tbl.liveTables(), 1);
  const w1 = mk({ ...TWO_LEVEL, busOffset: TCE_BYPASS_BASE }).tbl;
  assert.is(w1.itOffset, 2 ** 47, 'it_offset = bus_offset >> page_shift');
  assert.is(w1.build(0, 1, 0x1000, DMA_TO_DEVICE), -EINVAL);
});

// ---- xchg ----

test('pnv_tce_xchg: returns the old address and iommu_tce_direction(old); W forces R in the new TCE', () => {
  const { tbl } = mk(TWO_LEVEL);
  assert.is(tbl.build(9, 1, 0x5000_0000, DMA_TO_DEVICE), 0);
  let r = tbl.xchg(9, 0x6000_0000, DMA_FROM_DEVICE);
  assert.equal(r, { ret: 0, hpa: 0x5000_0000n, direction: DMA_TO_DEVICE });
  assert.is(tbl.get(9), 0x6000_0003n);
  r = tbl.xchg(9, 0, DMA_NONE);
  assert.equal(r, { ret: 0, hpa: 0x6000_0000n, direction: DMA_BIDIRECTIONAL });
  assert.is(tbl.get(9), 0n);
  assert.is(iommuTceDirection(2n), DMA_FROM_DEVICE);
});

test('pnv_tce_xchg on a missing level: DMA_NONE -> hpa 0, ret 0, nothing allocated; alloc=false -> -ENOMEM; alloc=true allocates', () => {
  const { tbl } = mk(TWO_LEVEL);
  assert.equal(tbl.xchg(700, 0, DMA_NONE), { ret: 0, hpa: 0n, direction: DMA_NONE });
  assert.is(tbl.liveTables(), 1);
  assert.is(tbl.xchg(700, 0x7000_0000, DMA_TO_DEVICE, false).ret, -ENOMEM);
  assert.is(tbl.liveTables(), 1);
  assert.equal(tbl.xchg(700, 0x7000_0000, DMA_TO_DEVICE, true), { ret: 0, hpa: 0n, direction: DMA_NONE });
  assert.is(tbl.liveTables(), 2);
  assert.is(tbl.get(700), 0x7000_0001n);
});

test('pnv_tce_xchg: an hpa that is not page aligned is a BUG_ON (model: -EINVAL, one warning, nothing written)', () => {
  const { tbl } = mk(TWO_LEVEL);
  assert.is(tbl.xchg(1, 0x7000_0800, DMA_TO_DEVICE).ret, -EINVAL);
  assert.is(tbl.warnings(), 1);
  assert.is(tbl.get(1), 0n);
});

// ---- free ----

test('pnv_tce_free clears TCEs; a missing level skips ahead by OR-ing level_size - 1 into the loop counter (upstream quirk)', () => {
  const { tbl } = mk(TWO_LEVEL);
  // Level 0 (entries 0..511) missing, level 1 (512..1023) present.
  assert.is(tbl.build(512, 512, 0xb000_0000, DMA_TO_DEVICE), 0);
  // From index 500: i = 0 misses, i |= 511 -> 511, next i = 512 -> index 1012. Entries 512..1011 are skipped.
  assert.is(tbl.free(500, 600), 0);
  assert.is(tbl.get(512), 0xb000_0001n);
  assert.is(tbl.get(1011), BigInt(0xb000_0000 + 499 * K4) | 1n);
  assert.equal([tbl.get(1012), tbl.get(1023)], [0n, 0n]);
  // A level-aligned start clears everything present.
  assert.is(tbl.free(0, 1024), 0);
  assert.is(tbl.get(512), 0n);
});

// ---- destroy ----

test('pnv_pci_ioda2_table_free_pages frees every level (entries with R or W), each with its level size', () => {
  const { tbl, arena, frees } = mk(TWO_LEVEL);
  tbl.build(0, 1, 0x1000, DMA_TO_DEVICE);
  tbl.build(5 * 512, 1, 0x1000, DMA_TO_DEVICE);
  assert.is(arena.live, 3);
  tbl.destroy();
  assert.is(arena.live, 0);
  assert.equal(frees.map(([, n]) => n), [K4, K4, K4]);
  assert.is(frees[2]![0], tbl.base, 'the top level last');
});

test('table free follows only indirect entries with R or W set (a level whose entry lost both is not freed)', () => {
  const { t, tbl, arena, frees } = mk(TWO_LEVEL);
  tbl.build(0, 1, 0x1000, DMA_TO_DEVICE);
  tbl.build(512, 1, 0x1000, DMA_TO_DEVICE);
  const level1 = swap64(t.get(tbl.base + 8)) & ~3n;
  t.set(tbl.base + 8, swap64(level1)); // same address, R = W = 0
  tbl.destroy();
  assert.is(arena.live, 1);
  assert.ok(!frees.some(([g]) => g === Number(level1)));
});

// ---- pSeries ----

test('pSeries: one level only; TCEs little-endian (host order); R always, W unless TO_DEVICE (DMA_NONE gives R|W)', () => {
  assert.is(refuse({ ...TWO_LEVEL, variant: 'pseries' }), -EINVAL);
  const { t, tbl } = mk({ pageShift: 12, windowSize: G1, levels: 1, kernelPageShift: 12, variant: 'pseries' });
  for (const [i, dir, bits] of [[0, DMA_TO_DEVICE, 1n], [1, DMA_FROM_DEVICE, 3n], [2, DMA_BIDIRECTIONAL, 3n], [3, DMA_NONE, 3n]] as const) {
    assert.is(tbl.build(i, 1, 0xc000_0000, dir), 0);
    assert.is(t.get(tbl.base + i * 8), 0xc000_0000n | bits, `direction ${dir}: stored as is`);
  }
  assert.is(tbl.free(0, 2), 0);
  assert.equal([t.get(tbl.base), t.get(tbl.base + 8)], [0n, 0n]);
  assert.is(tbl.walkerConfig().littleEndian, true);
});

// ---- writer / walker agreement ----

function walkers(t: TestRam, tbl: TceTable) {
  const w = new Walker(t.core);
  const cfg = tbl.walkerConfig();
  assert.is(w.configureTce(cfg), A.CFG_OK);
  const ref = { table: BigInt(cfg.table), pageShift: cfg.pageShift, levels: cfg.levels, levelBits: cfg.levelBits, littleEndian: !!cfg.littleEndian };
  return { w, ref };
}

test('walker agreement: TO_DEVICE reads only, FROM_DEVICE reads and writes, DMA_NONE and unbuilt levels fault', () => {
  const { t, tbl } = mk(TWO_LEVEL);
  tbl.build(1, 1, 0x2000_0000, DMA_TO_DEVICE);
  tbl.build(2, 1, 0x2100_0000, DMA_FROM_DEVICE);
  tbl.build(3, 1, 0x2200_0000, DMA_NONE);
  const { w, ref } = walkers(t, tbl);
  const mem = t.refCopy();
  const cases: Array<[number, 'read' | 'write', number, number]> = [
    [0x1abc, 'read', A.ST_OK, 0x2000_0abc],
    [0x1abc, 'write', A.ST_PERMISSION, 0x2000_0abc],
    [0x2abc, 'read', A.ST_OK, 0x2100_0abc],
    [0x2abc, 'write', A.ST_OK, 0x2100_0abc],
    [0x3abc, 'read', A.ST_TRANSLATION, -1],
    [0x40_0000, 'read', A.ST_TRANSLATION, -1], // top slot 2: no level
  ];
  for (const [addr, acc, st, oa] of cases) {
    assert.is(w.walk(addr, acc), st, `${acc} ${addr.toString(16)}`);
    const r = refTceWalk(mem, ref, BigInt(addr), acc === 'write');
    assert.is(r.status, st, `ref ${acc} ${addr.toString(16)}`);
    if (oa >= 0) assert.equal([w.outputAddress, Number(r.oa)], [oa, oa]);
  }
  assert.is(w.walk(0x1abc, 'write'), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_WRITE);
});

test('walker agreement: window 1 at 1<<59 (it_offset 2^47) is reached by bus addresses with bit 59 set', () => {
  const { t, tbl } = mk({ ...TWO_LEVEL, busOffset: TCE_BYPASS_BASE });
  assert.is(tbl.build(2 ** 47 + 515, 1, 0x3000_0000, DMA_BIDIRECTIONAL), 0);
  const { w } = walkers(t, tbl);
  assert.is(w.walk((1n << 59n) + 515n * 4096n + 0x10n, 'write'), A.ST_OK);
  assert.is(w.outputAddress, 0x3000_0010);
});

test('property: random builds / xchgs / frees agree with a model of the TCEs, get(), the WASM walker and the reference walker', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          op: fc.constantFrom('build', 'free', 'xchg'),
          index: fc.integer({ min: 0, max: 4095 }),
          n: fc.integer({ min: 1, max: 40 }),
          page: fc.integer({ min: 1, max: 0xfffff }),
          dir: fc.constantFrom(DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_NONE),
        }),
        { maxLength: 12 },
      ),
      (ops) => {
        const { t, tbl } = mk(TWO_LEVEL);
        const model = new Map<number, bigint>();
        const levels = new Set<number>();
        const perm = (d: number) => (d === DMA_TO_DEVICE ? 1n : d === DMA_NONE ? 0n : 3n);
        for (const o of ops) {
          const n = Math.min(o.n, 2 ** 18 - o.index);
          if (o.op === 'build') {
            assert.is(tbl.build(o.index, n, o.page * K4, o.dir), 0);
            for (let i = 0; i < n; i++) {
              model.set(o.index + i, (BigInt(o.page + i) << 12n) | perm(o.dir));
              levels.add((o.index + i) >> 9);
            }
          } else if (o.op === 'xchg') {
            if (o.dir === DMA_NONE && !levels.has(o.index >> 9)) {
              assert.equal(tbl.xchg(o.index, 0, DMA_NONE), { ret: 0, hpa: 0n, direction: DMA_NONE });
              continue;
            }
            const old = model.get(o.index) ?? 0n;
            const r = tbl.xchg(o.index, o.page * K4, o.dir);
            assert.equal([r.ret, r.hpa, r.direction], [0, old & ~3n, iommuTceDirection(old)]);
            model.set(o.index, (BigInt(o.page) << 12n) | perm(o.dir));
            levels.add(o.index >> 9);
          } else {
            assert.is(tbl.free(o.index, n), 0);
            // The upstream skip on a missing level, on the loop counter.
            for (let i = 0; i < n; i++) {
              if (levels.has((o.index + i) >> 9)) model.set(o.index + i, 0n);
              else i |= 511;
            }
          }
        }
        const { w, ref } = walkers(t, tbl);
        const mem = t.refCopy();
        const probe = new Set<number>([...model.keys(), 0, 511, 512, 4095, 40000]);
        for (const idx of probe) {
          const v = model.get(idx) ?? 0n;
          assert.is(tbl.get(idx), v, `get ${idx}`);
          const addr = idx * K4 + 0x123;
          for (const acc of ['read', 'write'] as const) {
            const want = (v & 3n) === 0n ? A.ST_TRANSLATION : acc === 'write' && (v & 2n) === 0n ? A.ST_PERMISSION : A.ST_OK;
            assert.is(w.walk(addr, acc), want, `walk ${idx} ${acc}`);
            assert.is(refTceWalk(mem, ref, BigInt(addr), acc === 'write').status, want, `ref ${idx} ${acc}`);
            if (want === A.ST_OK) assert.is(w.outputAddress, Number(v & ~0xfffn) + 0x123);
          }
        }
      },
    ),
    { numRuns: 60 },
  );
});

// ---- the sPAPR paging domain the kernel layer would use (model choice, see pgtable-tce.ts) ----

test('sPAPR paging domain: prot -> direction as VFIO MAP_DMA (READ TO_DEVICE, WRITE FROM_DEVICE); bytes mapped / unmapped', () => {
  assert.equal([protToDirection(IOMMU_READ), protToDirection(IOMMU_WRITE), protToDirection(IOMMU_READ | IOMMU_WRITE), protToDirection(0)], [
    DMA_TO_DEVICE,
    DMA_FROM_DEVICE,
    DMA_BIDIRECTIONAL,
    DMA_NONE,
  ]);
  const { tbl } = mk(TWO_LEVEL);
  assert.is(tbl.mapPages(0x10000, 0x4000_0000, K4, 4, IOMMU_READ), 4 * K4);
  assert.is(tbl.get(0x10), 0x4000_0001n);
  assert.is(tbl.mapPages(0x20000, 0x4100_0000, K4, 1, IOMMU_WRITE), K4);
  assert.is(tbl.get(0x20), 0x4100_0003n, 'PowerNV: write-only becomes R|W');
  assert.is(tbl.iovaToPhys(0x10123), 0x4000_0123);
  assert.is(tbl.mapPages(0x10000, 0x4000_0000, K4, 1, 0), -EINVAL);
  assert.is(tbl.mapPages(0x10000, 0x4000_0000, K64, 1, IOMMU_READ), -EINVAL);
  assert.is(tbl.mapPages(G1 - K4, 0x4000_0000, K4, 2, IOMMU_READ), -EINVAL, 'past the window');
  assert.is(tbl.unmapPages(0x10000, K4, 4), 4 * K4);
  assert.is(tbl.iovaToPhys(0x10123), 0);
});

test('sPAPR paging domain over two windows (E2: one domain, windows only constrain the ranges): each request lands in its window', () => {
  const t = new TestRam(8 << 20);
  const arena = new PageArena(RAM_BASE, RAM_BASE + (8 << 20));
  const w0 = new TceTable(t.core, { pageShift: 12, windowSize: 2 * G1, levels: 2, kernelPageShift: 12 }, arena);
  const w1 = new TceTable(t.core, { busOffset: TCE_BYPASS_BASE, pageShift: 16, windowSize: 64 * G1, levels: 2, kernelPageShift: 16 }, arena);
  const dom = new SpaprPagingDomain([w0, w1]);
  assert.is(dom.pgsizeBitmap, K4 | K64);
  assert.is(dom.mapPages(0x7000, 0x5000_0000, K4, 1, IOMMU_READ | IOMMU_WRITE), K4);
  assert.is(w0.get(7), 0x5000_0003n);
  const hi = TCE_BYPASS_BASE + 3 * K64;
  assert.is(dom.mapPages(hi, 0x6000_0000, K64, 2, IOMMU_READ), 2 * K64);
  assert.is(w1.get(2 ** 43 + 3), 0x6000_0001n, 'entry 2^59 / 64 KiB + 3 of window 1');
  assert.is(dom.iovaToPhys(hi + K64 + 0x480), 0x6001_0480, 'doubles hold bus addresses near 2^59 in steps of 128');
  assert.is(dom.mapPages(2 * G1, 0x5000_0000, K4, 1, IOMMU_READ), -EINVAL, 'between the windows');
  assert.is(dom.mapPages(2 * G1 - K4, 0x5000_0000, K4, 2, IOMMU_READ), -EINVAL, 'across the end of window 0');
  assert.is(dom.mapPages(hi, 0x6000_0000, K4, 1, IOMMU_READ), -EINVAL, 'window 1 has 64 KiB TCEs');
  assert.is(dom.unmapPages(hi, K64, 2), 2 * K64);
  assert.is(dom.iovaToPhys(hi), 0);
  assert.is(dom.unmapPages(2 * G1, K4, 1), 0);
  const { w } = walkers(t, w0);
  assert.is(w.walk(0x7abc, 'write'), A.ST_OK);
  assert.is(w.outputAddress, 0x5000_0abc);
});

test.run();

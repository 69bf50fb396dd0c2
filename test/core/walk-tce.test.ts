// POWER TCE tables through the WASM walk engine: power-tce.md A1/A3/A6/B3/B8 facts (geometry
// per TVE, big-endian entries, non-leaf R|W rule, leaf permissions, aliasing above the indexed
// range) and a differential property test against test/core/ref/tce.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { configureRaw } from './ref/vtd-ctx.ts';
import { refTceWalk, swap64, type RefTce } from './ref/tce.ts';

const R = 1n;
const W = 2n;

function tce(t: TestRam, cfg: { page: number; levels: number; lbits: number; le?: boolean }, table = RAM_BASE) {
  const w = new Walker(t.core);
  const err = configureRaw(w, A.FMT_TCE, [cfg.page, cfg.levels, cfg.lbits, cfg.le ? A.TF_LE : 0], [table]);
  return { w, err };
}
/** Stores a TCE big-endian, as the PHB reads it. */
const putBE = (t: TestRam, pa: number, v: bigint) => t.set(pa, swap64(v));

test('A6: 2 GiB window, 4 KiB TCEs, one level of 2^19 entries (TCE_TABLE_SIZE 11): index = addr[30:12]', () => {
  const t = new TestRam(8 << 20);
  const addr = 0x7654_3abc;
  const slot = RAM_BASE + ((addr >>> 12) & 0x7ffff) * 8;
  putBE(t, slot, 0x12_3456_7000n | R | W);
  const { w, err } = tce(t, { page: 12, levels: 1, lbits: 11 + 8 });
  assert.is(err, A.CFG_OK);
  assert.is(w.walk(addr, 'write'), A.ST_OK);
  const r = w.result();
  assert.equal([r.outputAddress, r.pageShift, r.level, r.entryAddress], [0x12_3456_7abc, 12, 0, slot]);
  assert.is(r.perm & 3, A.PERM_R | A.PERM_W);
});

test('A6: 64 GiB window, 64 KiB TCEs, 2 levels of 8192 entries: top = addr[41:29], leaf = addr[28:16]', () => {
  const t = new TestRam(1 << 20);
  const top = RAM_BASE;
  const leafTbl = RAM_BASE + 0x10000; // 64 KiB level, naturally aligned
  const addr = 0x9_8765_4321;
  const topIdx = Number((BigInt(addr) >> 29n) & 0x1fffn);
  const leafIdx = Number((BigInt(addr) >> 16n) & 0x1fffn);
  putBE(t, top + topIdx * 8, BigInt(leafTbl) | R | W);
  putBE(t, leafTbl + leafIdx * 8, 0x55_0000_0000n | R);
  const { w } = tce(t, { page: 16, levels: 2, lbits: 5 + 8 });
  assert.is(w.walk(addr, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x55_0000_0000 + (addr % 65536), 16, 0]);
  assert.is(w.result().entryAddress, leafTbl + leafIdx * 8);
});

test('every TCE page shift (12/16/21/24/28/30): output = TCE with the low page bits cleared | offset', () => {
  for (const page of [12, 16, 21, 24, 28, 30]) {
    const t = new TestRam(1 << 16);
    const addr = 0x3_0000_0000 + 0x1234_5678;
    const slot = RAM_BASE + Number((BigInt(addr) >> BigInt(page)) & 0x1ffn) * 8;
    // Junk below the page size (bits 2..page-1) is not part of the address.
    putBE(t, slot, (0x40_0000_0000n) | 0xff0n | R);
    const { w, err } = tce(t, { page, levels: 1, lbits: 9 });
    assert.is(err, A.CFG_OK);
    assert.is(w.walk(addr, 'read'), A.ST_OK, `page ${page}`);
    assert.equal([w.outputAddress, w.pageShift], [0x40_0000_0000 + (addr % 2 ** page), page], `page ${page}`);
  }
});

test('entries are big-endian: the same bytes read little-endian are a different TCE', () => {
  const t = new TestRam(1 << 16);
  t.set(RAM_BASE, 0x8000_0000n | R | W); // little-endian image
  let { w } = tce(t, { page: 12, levels: 1, lbits: 9 });
  assert.is(w.walk(0, 'read'), A.ST_TRANSLATION, 'as big-endian its low byte (bits 1:0) is 0');
  ({ w } = tce(t, { page: 12, levels: 1, lbits: 9, le: true }));
  assert.is(w.walk(0, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x8000_0000);
});

test('5 levels: each level takes the next LBITS above the previous one', () => {
  const t = new TestRam(1 << 20);
  const addr = 0x0123_4567_89ab_c; // 12 + 5 * 9 = 57 indexed bits
  let base = RAM_BASE;
  for (let lev = 4; lev >= 0; lev--) {
    const index = Number((BigInt(addr) >> BigInt(12 + 9 * lev)) & 0x1ffn);
    const next = RAM_BASE + (5 - lev) * 0x1000;
    putBE(t, base + index * 8, lev > 0 ? BigInt(next) | R | W : 0x7_0000_0000n | W);
    base = next;
  }
  const { w } = tce(t, { page: 12, levels: 5, lbits: 9 });
  assert.is(w.walk(addr, 'write'), A.ST_OK);
  assert.equal([w.outputAddress, w.level], [0x7_0000_0000 + (addr % 4096), 0]);
});

test('A3: a non-leaf entry needs R or W (either alone will do); R = W = 0 is an invalid indirect TCE', () => {
  const t = new TestRam(1 << 16);
  const leaf = RAM_BASE + 0x1000;
  putBE(t, leaf, 0x9000_0000n | R | W);
  for (const [bits, ok] of [[R, true], [W, true], [0n, false], [4n | 8n, false]] as const) {
    putBE(t, RAM_BASE, BigInt(leaf) | bits);
    const { w } = tce(t, { page: 12, levels: 2, lbits: 9 });
    assert.is(w.walk(0, 'read'), ok ? A.ST_OK : A.ST_TRANSLATION, `indirect bits ${bits}`);
    if (!ok) assert.equal([w.reason, w.level], [A.R_INVALID, 1]);
  }
  // The next base is entry & ~0xfff: the low bits of an indirect entry are not address.
  putBE(t, RAM_BASE, BigInt(leaf) | 0xffcn | R);
  const { w } = tce(t, { page: 12, levels: 2, lbits: 9 });
  assert.is(w.walk(0, 'read'), A.ST_OK);
});

test('leaf permissions: a read needs R, a write needs W; R = W = 0 faults every access', () => {
  const t = new TestRam(1 << 16);
  const { w } = tce(t, { page: 12, levels: 1, lbits: 9 });
  putBE(t, RAM_BASE, 0x9000_0000n | R);
  assert.is(w.walk(0, 'read'), A.ST_OK);
  assert.is(w.walk(0, 'write'), A.ST_PERMISSION);
  assert.equal([w.reason, w.outputAddress], [A.R_PERM_WRITE, 0x9000_0000]);
  putBE(t, RAM_BASE, 0x9000_0000n | W);
  assert.is(w.walk(0, 'write'), A.ST_OK);
  assert.is(w.walk(0, 'read'), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_READ);
  putBE(t, RAM_BASE, 0x9000_0000n);
  for (const acc of ['read', 'write'] as const) {
    assert.is(w.walk(0, acc), A.ST_TRANSLATION);
    assert.is(w.reason, A.R_INVALID);
  }
});

test('B8: address bits above the indexed range are ignored (bit 59 of TVE#1 aliases onto the table)', () => {
  const t = new TestRam(1 << 16);
  putBE(t, RAM_BASE + 5 * 8, 0xa000_0000n | R);
  const { w } = tce(t, { page: 12, levels: 1, lbits: 9 });
  assert.is(w.walk((1n << 59n) | 0x5123n, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0xa000_0123);
  assert.is(w.walk(0x20_0000_5123, 'read'), A.ST_OK);
});

test('a table nobody backs is an external abort at that level', () => {
  const t = new TestRam(1 << 16);
  putBE(t, RAM_BASE, 0x10_0000_0000n | R | W);
  const { w } = tce(t, { page: 12, levels: 2, lbits: 9 });
  assert.is(w.walk(0, 'read'), A.ST_EXT_ABORT);
  assert.equal([w.reason, w.level], [A.R_WALK_ABORT, 0]);
});

test('configuration: page shifts, 1..5 levels and the indexed width are validated', () => {
  const t = new TestRam(1 << 16);
  assert.is(tce(t, { page: 13, levels: 1, lbits: 9 }).err, A.CFG_GRANULE);
  assert.is(tce(t, { page: 12, levels: 0, lbits: 9 }).err, A.CFG_START_LEVEL);
  assert.is(tce(t, { page: 12, levels: 6, lbits: 9 }).err, A.CFG_START_LEVEL);
  assert.is(tce(t, { page: 12, levels: 1, lbits: 8 }).err, A.CFG_INPUT_SIZE);
  assert.is(tce(t, { page: 30, levels: 5, lbits: 7 + 8 }).err, A.CFG_INPUT_SIZE);
  assert.is(tce(t, { page: 24, levels: 5, lbits: 8 }).err, A.CFG_INPUT_SIZE);
  assert.is(tce(t, { page: 24, levels: 4, lbits: 10 }).err, A.CFG_OK);
});

test('property: the WASM walk and the reference agree on random TCE trees', () => {
  const NT = 16;
  const T = (n: number) => RAM_BASE + n * 0x1000;
  const seen = new Set<string>();
  const entryArb = fc.record({
    kind: fc.integer({ min: 0, max: 9 }), // 0 empty, 1..7 pointer into our tables, 8 far away, 9 junk
    next: fc.nat(NT - 1),
    perm: fc.constantFrom(3n, 3n, 1n, 2n, 0n),
    hi: fc.bigInt({ min: 0n, max: (1n << 50n) - 1n }),
  });
  fc.assert(
    fc.property(
      fc.record({ page: fc.constantFrom(12, 16, 21, 24, 28, 30), levels: fc.integer({ min: 1, max: 5 }), le: fc.boolean() }),
      fc.array(entryArb, { minLength: 32, maxLength: 32 }),
      fc.array(fc.tuple(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean()), { minLength: 8, maxLength: 8 }),
      (cfg0, entries, walks) => {
        const t = new TestRam(NT * 4096);
        const lbits = 9;
        // At most 64 indexed bits (larger geometries are a configuration error, tested above).
        const cfg = { ...cfg0, levels: Math.min(cfg0.levels, Math.floor((64 - cfg0.page) / lbits)) };
        const put = (pa: number, v: bigint) => t.set(pa, cfg.le ? v : swap64(v));
        walks.forEach(([addr], i) => {
          let tbl = 0;
          for (let lev = cfg.levels - 1; lev >= 0; lev--) {
            const e = entries[(i * 7 + lev) % entries.length]!;
            const index = Number((addr >> BigInt(cfg.page + lbits * lev)) & 0x1ffn);
            let v: bigint;
            if (e.kind === 0) v = 0n;
            else if (e.kind <= 7 && lev > 0) v = BigInt(T(e.next)) | e.perm;
            else if (e.kind === 8) v = (e.hi << 12n) | e.perm;
            else v = e.hi | e.perm;
            put(T(tbl) + index * 8, v);
            if (e.kind >= 1 && e.kind <= 7) tbl = e.next;
          }
        });
        const ref = t.refCopy();
        const c: RefTce = { table: BigInt(T(0)), pageShift: cfg.page, levels: cfg.levels, levelBits: lbits, littleEndian: cfg.le };
        const { w, err } = tce(t, { ...cfg, lbits });
        assert.is(err, A.CFG_OK);
        for (const [addr, write] of walks) {
          const want = refTceWalk(ref, c, addr, write);
          const st = w.walk(addr, write ? 'write' : 'read');
          const ctx = `addr ${addr.toString(16)} ${write ? 'W' : 'R'}`;
          seen.add(`${st}/${w.reason}`);
          assert.equal([st, w.reason, w.level], [want.status, want.reason, want.level], ctx);
          // Entry addresses are f64 in the result record: exact below 2^53.
          if (want.entryAddr < 1n << 53n) assert.is(BigInt(w.result().entryAddress), want.entryAddr, ctx);
          if (st === A.ST_OK || st === A.ST_PERMISSION) {
            // Output addresses are f64 in the result record: compare what it can hold exactly.
            if (want.oa < 1n << 53n) assert.is(BigInt(w.outputAddress), want.oa, ctx);
            assert.is(w.perm & 3, want.perm & 3, ctx);
          }
        }
      },
    ),
    { numRuns: 300, seed: 0x7ce },
  );
  for (const k of [`${A.ST_OK}/0`, `${A.ST_TRANSLATION}/${A.R_INVALID}`, `${A.ST_PERMISSION}/${A.R_PERM_READ}`,
    `${A.ST_PERMISSION}/${A.R_PERM_WRITE}`, `${A.ST_EXT_ABORT}/${A.R_WALK_ABORT}`]) {
    assert.ok(seen.has(k), `outcome ${k} never generated (seen ${[...seen].join(' ')})`);
  }
});

test.run();

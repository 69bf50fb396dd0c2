// Apple DART page tables through the WASM walk engine: soc-iommus.md 2.3/2.4/2.6/15 facts
// (IOVA splits per variant, DART1 and DART2 PTE encodings, TTBR selection and VALID, subpage
// windows, the faults DART raises) and a differential property test against test/core/ref/dart.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { configureRaw } from './ref/vtd-ctx.ts';
import { refDartWalk, type RefDart } from './ref/dart.ts';

const K16 = 0x4000;
const VALID = 1n;
// DART1 bits (Linux io-pgtable-dart / m1n1 dart8020.py).
const SP_DIS = 1n << 1n;
const NO_WRITE1 = 1n << 7n;
const NO_READ1 = 1n << 8n;
// DART2 bits.
const NO_CACHE2 = 1n << 1n;
const NO_WRITE2 = 1n << 2n;
const NO_READ2 = 1n << 3n;
const subpage = (start: number, end: number) => (BigInt(start) << 52n) | (BigInt(end) << 40n);
/** What Linux writes into every leaf: whole-page window (0..0xFFF). */
const WHOLE = subpage(0, 0xfff);

const pa1 = (pa: number | bigint) => BigInt(pa) & 0xf_ffff_f000n;
const pa2 = (pa: number | bigint) => (BigInt(pa) >> 14n) << 10n;

function dart(t: TestRam, c: RefDart): Walker {
  const w = new Walker(t.core);
  const valid = c.ttbr.reduce((m, a, i) => (a === null ? m : m | (1 << i)), 0);
  const addrs = [0, 1, 2, 3].map((i) => Number(c.ttbr[i] ?? 0n));
  assert.is(configureRaw(w, A.FMT_DART, [c.pte, c.pageShift, c.tables, c.ttbrs, c.ias, valid], addrs), A.CFG_OK);
  return w;
}
const T8020: RefDart = { pte: 1, pageShift: 14, tables: 2, ttbrs: 4, ias: 32, ttbr: [BigInt(RAM_BASE), null, null, null] };

test('t8020 (DART1, 16 KiB, ias 32): IOVA[31:25] top index, [24:14] leaf index; Linux leaf PA|SP_DIS|VALID', () => {
  const t = new TestRam(1 << 20);
  const top = RAM_BASE;
  const leaf = RAM_BASE + K16;
  const iova = 0xfedc_ba98;
  const ti = iova >>> 25; // 127: only 0..127 reachable with ias 32
  const li = (iova >>> 14) & 0x7ff;
  t.set(top + ti * 8, pa1(leaf) | VALID);
  t.set(leaf + li * 8, pa1(0x8_1234_4000) | WHOLE | SP_DIS | VALID);
  const w = dart(t, T8020);
  for (const acc of ['read', 'write'] as const) {
    assert.is(w.walk(iova, acc), A.ST_OK);
    const r = w.result();
    assert.equal([r.outputAddress, r.pageShift, r.level, r.entryAddress], [0x8_1234_4000 + (iova & 0x3fff), 14, 3, leaf + li * 8]);
    assert.is(r.perm & 3, A.PERM_R | A.PERM_W);
  }
});

test('DART1 NO_READ (bit 8) and NO_WRITE (bit 7): READ_FAULT / WRITE_FAULT on the leaf', () => {
  const t = new TestRam(1 << 16);
  t.set(RAM_BASE, pa1(RAM_BASE + K16) | VALID);
  const w = dart(t, T8020);
  t.set(RAM_BASE + K16, pa1(0x9000_0000) | WHOLE | SP_DIS | NO_READ1 | VALID);
  assert.is(w.walk(0x100, 'read'), A.ST_PERMISSION);
  assert.equal([w.reason, w.level], [A.R_PERM_READ, 3]);
  assert.is(w.walk(0x100, 'write'), A.ST_OK, 'write-only mapping');
  assert.is(w.perm & 3, A.PERM_W);
  t.set(RAM_BASE + K16, pa1(0x9000_0000) | WHOLE | SP_DIS | NO_WRITE1 | VALID);
  assert.is(w.walk(0x100, 'write'), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_WRITE);
  assert.is(w.walk(0x100, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x9000_0100);
});

test('DART1 faults: TTBR without VALID (NO_TTBR, level 0), invalid top entry (NO_PMD, 2), invalid leaf (NO_PTE, 3)', () => {
  const t = new TestRam(1 << 16);
  const w = dart(t, { ...T8020, ttbr: [null, BigInt(RAM_BASE), null, null] });
  assert.is(w.walk(0x4000, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_REGION_DISABLED, 0]);
  const w2 = dart(t, T8020);
  t.set(RAM_BASE, pa1(RAM_BASE + K16)); // VALID clear
  assert.is(w2.walk(0x4000, 'read'), A.ST_TRANSLATION);
  assert.equal([w2.reason, w2.level, w2.result().entryAddress], [A.R_INVALID, 2, RAM_BASE]);
  t.set(RAM_BASE, pa1(RAM_BASE + K16) | VALID);
  t.set(RAM_BASE + K16 + 8, pa1(0x9000_0000) | WHOLE | SP_DIS); // leaf VALID clear
  assert.is(w2.walk(0x4000, 'write'), A.ST_TRANSLATION);
  assert.equal([w2.reason, w2.level, w2.result().entryAddress], [A.R_INVALID, 3, RAM_BASE + K16 + 8]);
  assert.is(w2.walk(0x1_0000_0000, 'read'), A.ST_TRANSLATION, 'ias 32: nothing above 4 GiB');
  assert.is(w2.reason, A.R_INPUT_RANGE);
});

test('DART1 with 4 KiB pages, ias 32: [31:30] TTBR index, [29:21] top index, [20:12] leaf index', () => {
  const t = new TestRam(1 << 16);
  const ttbr: (bigint | null)[] = [0, 1, 2, 3].map((i) => BigInt(RAM_BASE + i * 0x1000));
  const w = dart(t, { pte: 1, pageShift: 12, tables: 2, ttbrs: 4, ias: 32, ttbr });
  const iova = 0xb456_7abc; // TTBR 2, top 0x1a2, leaf 0x167
  const leaf = RAM_BASE + 0x8000;
  t.set(RAM_BASE + 2 * 0x1000 + 0x1a2 * 8, pa1(leaf) | VALID);
  t.set(leaf + 0x167 * 8, pa1(0x7_7777_7000) | WHOLE | SP_DIS | VALID);
  assert.is(w.walk(iova, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift], [0x7_7777_7abc, 12]);
  assert.is(w.walk(iova & 0x3fff_ffff, 'read'), A.ST_TRANSLATION, 'TTBR 0 has no such entry');
  assert.is(w.result().entryAddress, RAM_BASE + 0x1a2 * 8);
});

test('DART1 address field is PA[35:12] (Linux mask): entry bits 39:36 do not reach the output or the next table', () => {
  const t = new TestRam(1 << 16);
  t.set(RAM_BASE, pa1(RAM_BASE + K16) | (0xfn << 36n) | VALID);
  t.set(RAM_BASE + K16, 0xf_8765_4000n | (0xan << 36n) | WHOLE | SP_DIS | VALID);
  const w = dart(t, T8020);
  assert.is(w.walk(0x10, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0xf_8765_4010);
});

test('table entries: only VALID and the address count (u-boot writes 0b11, m1n1 sets SP_PROT_DIS)', () => {
  const t = new TestRam(1 << 16);
  t.set(RAM_BASE, pa1(RAM_BASE + K16) | NO_READ1 | NO_WRITE1 | subpage(5, 6) | 3n);
  t.set(RAM_BASE + K16, pa1(0x9000_0000) | WHOLE | SP_DIS | VALID);
  const w = dart(t, T8020);
  assert.is(w.walk(0x20, 'write'), A.ST_OK);
});

test('DART1 subpage protection: without SP_DIS only words SUBPAGE_START..END (4-byte units) are accessible', () => {
  const t = new TestRam(1 << 16);
  t.set(RAM_BASE, pa1(RAM_BASE + K16) | VALID);
  const w = dart(t, T8020);
  t.set(RAM_BASE + K16, pa1(0x9000_0000) | subpage(0x10, 0x1f) | VALID); // bytes 0x40..0x7f
  for (const [off, ok] of [[0x3f, false], [0x40, true], [0x7f, true], [0x80, false], [0x3ffc, false]] as const) {
    assert.is(w.walk(off, 'read'), ok ? A.ST_OK : A.ST_PERMISSION, `offset ${off.toString(16)}`);
    if (!ok) assert.is(w.reason, A.R_SUBPAGE);
  }
  t.set(RAM_BASE + K16, pa1(0x9000_0000) | subpage(0x10, 0x1f) | SP_DIS | VALID);
  assert.is(w.walk(0x3ffc, 'read'), A.ST_OK, 'SP_DIS turns the window off');
  t.set(RAM_BASE + K16, pa1(0x9000_0000) | SP_DIS | VALID);
  assert.is(w.walk(0x3ffc, 'read'), A.ST_OK, 'even an empty window');
  t.set(RAM_BASE + K16, pa1(0x9000_0000) | VALID);
  assert.is(w.walk(0, 'read'), A.ST_OK, 'window 0..0: word 0 only');
  assert.is(w.walk(4, 'read'), A.ST_PERMISSION);
});

const T8110: RefDart = { pte: 2, pageShift: 14, tables: 2, ttbrs: 1, ias: 36, ttbr: [BigInt(RAM_BASE), null, null, null] };

test('t8110 (DART2, ias 36): IOVA [35:25] top, [24:14] leaf; PTE bits 37:10 = PA[41:14]; NO_READ 3, NO_WRITE 2', () => {
  const t = new TestRam(1 << 16);
  const iova = 0xf_edcb_a987;
  const ti = Number(BigInt(iova) >> 25n);
  const li = (iova >>> 14) & 0x7ff;
  const leaf = RAM_BASE + K16;
  t.set(RAM_BASE + ti * 8, pa2(leaf) | VALID);
  const oa = 0x3ff_ffff_c000; // bit 41: a 42-bit output
  t.set(leaf + li * 8, pa2(oa) | WHOLE | NO_CACHE2 | VALID);
  const w = dart(t, T8110);
  assert.is(w.walk(iova, 'write'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [oa + (iova & 0x3fff), 14, 3]);
  t.set(leaf + li * 8, pa2(oa) | WHOLE | NO_READ2 | VALID);
  assert.is(w.walk(iova, 'read'), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_READ);
  assert.is(w.walk(iova, 'write'), A.ST_OK);
  t.set(leaf + li * 8, pa2(oa) | WHOLE | NO_WRITE2 | VALID);
  assert.is(w.walk(iova, 'write'), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_WRITE);
  assert.is(w.walk(iova, 'read'), A.ST_OK);
  assert.is(w.walk(0x10_0000_0000, 'read'), A.ST_TRANSLATION, 'ias 36');
  assert.is(w.reason, A.R_INPUT_RANGE);
});

test('DART2 has no SP_DIS: bit 1 is NO_CACHE and the subpage window always applies', () => {
  const t = new TestRam(1 << 16);
  t.set(RAM_BASE, pa2(RAM_BASE + K16) | VALID);
  const w = dart(t, T8110);
  t.set(RAM_BASE + K16, pa2(0x8000_0000) | subpage(0, 0x7ff) | NO_CACHE2 | VALID); // first 8 KiB
  assert.is(w.walk(0x1ffc, 'read'), A.ST_OK);
  assert.is(w.walk(0x2000, 'read'), A.ST_PERMISSION);
  assert.is(w.reason, A.R_SUBPAGE);
});

test('t8110 FOUR_LEVEL (ias 42): [46:36] L0 index (NO_PGD level 1), [35:25] (NO_PMD 2), [24:14] (NO_PTE 3)', () => {
  const t = new TestRam(1 << 17);
  const [l0, l1, l2] = [RAM_BASE, RAM_BASE + K16, RAM_BASE + 2 * K16];
  const iova = 0x2a5_1234_5678; // < 2^42
  const i0 = Number(BigInt(iova) >> 36n);
  const i1 = Number((BigInt(iova) >> 25n) & 0x7ffn);
  const i2 = (iova >>> 14) & 0x7ff;
  const w = dart(t, { ...T8110, tables: 3, ias: 42 });
  assert.is(w.walk(iova, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level, w.result().entryAddress], [A.R_INVALID, 1, l0 + i0 * 8]);
  t.set(l0 + i0 * 8, pa2(l1) | VALID);
  assert.is(w.walk(iova, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_INVALID, 2]);
  t.set(l1 + i1 * 8, pa2(l2) | VALID);
  assert.is(w.walk(iova, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_INVALID, 3]);
  t.set(l2 + i2 * 8, pa2(0x1_0000_0000) | WHOLE | VALID);
  assert.is(w.walk(iova, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x1_0000_0000 + (iova & 0x3fff));
  assert.is(w.walk(2 ** 42, 'read'), A.ST_TRANSLATION, 'bits above ias');
  assert.is(w.reason, A.R_INPUT_RANGE);
});

test('configuration: PTE kind, page size, depth, TTBR count and ias are checked', () => {
  const t = new TestRam(1 << 16);
  const w = new Walker(t.core);
  const cfg = (p: number[]) => configureRaw(w, A.FMT_DART, p, [RAM_BASE]);
  assert.is(cfg([1, 14, 2, 4, 32, 1]), A.CFG_OK);
  assert.is(cfg([3, 14, 2, 4, 32, 1]), A.CFG_UNSUPPORTED);
  assert.is(cfg([1, 16, 2, 4, 32, 1]), A.CFG_GRANULE, 'only 4 KiB and 16 KiB DART pages');
  assert.is(cfg([2, 14, 4, 1, 42, 1]), A.CFG_START_LEVEL, 'at most 4 levels with the TTBR');
  assert.is(cfg([2, 14, 2, 2, 36, 1]), A.CFG_INPUT_SIZE);
  assert.is(cfg([2, 14, 2, 1, 14, 1]), A.CFG_INPUT_SIZE);
  assert.is(cfg([2, 14, 2, 1, 65, 1]), A.CFG_INPUT_SIZE);
  assert.is(w.walk(0, 'read'), A.ST_BAD_CONFIG);
});

test('property: the WASM walk and the reference agree on random DART tables', () => {
  const NT = 8;
  fc.assert(
    fc.property(
      fc.record({
        pte: fc.constantFrom(1 as const, 2 as const),
        pageShift: fc.constantFrom(12 as const, 14 as const),
        tables: fc.constantFrom(2 as const, 3 as const),
        ttbrs: fc.constantFrom(1 as const, 4 as const),
        ias: fc.oneof(fc.constantFrom(32, 36, 42, 47), fc.integer({ min: 15, max: 64 })),
        ttbr: fc.array(fc.option(fc.nat(NT), { nil: null }), { minLength: 4, maxLength: 4 }),
      }),
      fc.array(
        fc.record({ table: fc.nat(NT - 1), slot: fc.nat(1), ptr: fc.boolean(), to: fc.nat(NT + 1), bits: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), whole: fc.nat(3) }),
        { minLength: 16, maxLength: 48 },
      ),
      fc.array(fc.record({ idx: fc.tuple(fc.nat(1), fc.nat(1), fc.nat(1), fc.nat(3)), off: fc.nat(0x3fff), rnd: fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }), pick: fc.nat(3), write: fc.boolean() }), { minLength: 12, maxLength: 12 }),
      (k, fill, probes) => {
        const page = 1 << k.pageShift;
        const t = new TestRam(NT * page);
        const enc = (pa: number) => (k.pte === 1 ? pa1(pa) : pa2(pa));
        for (const f of fill) {
          // Table pointers keep random junk in the non-address bits; 'to' past NT leaves RAM (abort).
          // Leaves are VALID three times in four, and mostly carry Linux's whole-page window.
          const leaf = f.whole === 0 ? f.bits : (f.bits & ~(0xffffffn << 40n)) | WHOLE | (f.whole > 1 ? VALID : 0n);
          const v = f.ptr ? enc(RAM_BASE + f.to * page) | (f.bits & 0xfff0_0000_0000_03fen) | (f.whole > 0 ? VALID : 0n) : leaf;
          t.set(RAM_BASE + f.table * page + f.slot * 8, v);
        }
        const ref = t.refCopy();
        const c: RefDart = { ...k, ttbr: k.ttbr.map((x) => (x === null ? null : BigInt(RAM_BASE + x * page))) };
        const w = dart(t, c);
        const bpl = BigInt(k.pageShift - 3);
        const tblTop = BigInt(k.pageShift) + bpl * BigInt(k.tables);
        for (const p of probes) {
          let iova: bigint;
          // Mostly addresses inside ias whose table indices hit the filled slots 0..1; some anywhere.
          const inside = (1n << BigInt(Math.min(k.ias, 64))) - 1n;
          if (p.pick === 0) iova = p.rnd;
          else {
            iova = (BigInt(k.ttbrs === 4 ? p.idx[3]! : 0) << tblTop) | BigInt(p.off & (page - 1));
            for (let l = 0; l < k.tables; l++) iova |= BigInt(p.idx[l]!) << (BigInt(k.pageShift) + bpl * BigInt(l));
            if (p.pick === 1) iova &= inside;
          }
          const want = refDartWalk(ref, c, iova, p.write);
          const st = w.walk(Number(iova), p.write ? 'write' : 'read');
          const r = w.result();
          const at = `${JSON.stringify(k)} ${iova.toString(16)}`;
          assert.equal([st, w.reason, w.level], [want.status, want.reason, want.level], at);
          assert.is(r.entryAddress, Number(want.entryAddr), at);
          if (st === A.ST_OK || st === A.ST_PERMISSION) {
            assert.is(BigInt(r.outputAddress), want.oa, at);
            assert.is(r.perm & 3, want.perm & 3, at);
          }
        }
      },
    ),
    { numRuns: 300, seed: 0xda27 },
  );
});

test.run();

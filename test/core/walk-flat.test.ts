// Flat 32-bit tables through the WASM walk engine: MediaTek M4U v1 (soc-iommus.md 4.2) and
// Tegra20 GART (5.1) facts, and a differential property test against test/core/ref/flat.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { configureRaw } from './ref/vtd-ctx.ts';
import { refFlatWalk } from './ref/flat.ts';

const GART_APERTURE = 0x5800_0000;

function put32(t: TestRam, pa: number, v: number): void {
  const q = t.get(pa & ~7);
  const sh = BigInt((pa & 4) * 8);
  t.set(pa & ~7, (q & ~(0xffff_ffffn << sh)) | (BigInt(v >>> 0) << sh));
}
const mtk = (t: TestRam) => {
  const w = new Walker(t.core);
  assert.is(configureRaw(w, A.FMT_FLAT, [1, 32, 32], [RAM_BASE, 0]), A.CFG_OK);
  return w;
};
const gart = (t: TestRam) => {
  const w = new Walker(t.core);
  assert.is(configureRaw(w, A.FMT_FLAT, [31, 31, 25], [RAM_BASE, GART_APERTURE]), A.CFG_OK);
  return w;
};

test('MediaTek v1: one 4 MiB table of u32 covers 4 GiB; index = iova >> 12; valid is bit 1; PA is bits 31:12', () => {
  const t = new TestRam(4 << 20);
  const iova = 0xfedc_b123;
  put32(t, RAM_BASE + (iova >>> 12) * 4, 0x9abc_d000 | 0xa); // Linux writes PA | 0xA
  const w = mtk(t);
  assert.is(w.walk(iova, 'write'), A.ST_OK);
  const r = w.result();
  assert.equal([r.outputAddress, r.pageShift, r.entryAddress], [0x9abc_d123, 12, RAM_BASE + (iova >>> 12) * 4]);
  assert.is(r.perm & 3, 3, 'no permission bits: prot is ignored');
  put32(t, RAM_BASE + (iova >>> 12) * 4, 0x9abc_d000 | 0x1); // bit 0 is not the valid bit
  assert.is(w.walk(iova, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INVALID);
  assert.is(w.walk(0x1_0000_0000, 'read'), A.ST_TRANSLATION, 'nothing exists above 4 GiB');
  assert.is(w.reason, A.R_INPUT_RANGE);
});

test('Tegra GART: 8192 entries over the 32 MiB aperture at 0x58000000; valid is bit 31; PA bits 30:12', () => {
  const t = new TestRam(1 << 16);
  const w = gart(t);
  const iova = GART_APERTURE + 0x12_3456;
  put32(t, RAM_BASE + 0x123 * 4, 0x8000_0000 | 0x7654_3000);
  assert.is(w.walk(iova, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x7654_3456 & 0x7fff_ffff);
  put32(t, RAM_BASE + 0x123 * 4, 0x7654_3000);
  assert.is(w.walk(iova, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INVALID);
  for (const outside of [GART_APERTURE - 1, GART_APERTURE + 0x200_0000]) {
    assert.is(w.walk(outside, 'read'), A.ST_TRANSLATION);
    assert.is(w.reason, A.R_INPUT_RANGE, 'outside the aperture: the model passes DMA through untranslated');
  }
});

test('configuration: an aperture not aligned to its size, or bad bit positions, are invalid', () => {
  const t = new TestRam(1 << 16);
  const w = new Walker(t.core);
  assert.is(configureRaw(w, A.FMT_FLAT, [31, 31, 25], [RAM_BASE, GART_APERTURE + 0x1000]), A.CFG_INPUT_SIZE);
  assert.is(configureRaw(w, A.FMT_FLAT, [32, 31, 25], [RAM_BASE, 0]), A.CFG_OUTPUT_SIZE);
  assert.is(configureRaw(w, A.FMT_FLAT, [1, 33, 25], [RAM_BASE, 0]), A.CFG_OUTPUT_SIZE);
  assert.is(configureRaw(w, A.FMT_FLAT, [1, 32, 33], [RAM_BASE, 0]), A.CFG_INPUT_SIZE);
});

test('property: the WASM walk and the reference agree on random flat tables', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('mtk', 'gart'),
      fc.array(fc.tuple(fc.nat(8191), fc.integer({ min: 0, max: 0xffff_ffff })), { minLength: 1, maxLength: 64 }),
      fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: 16, maxLength: 16 }),
      (kind, fill, probes) => {
        const t = new TestRam(1 << 15); // 8192 entries; MediaTek indices above that abort
        for (const [i, v] of fill) put32(t, RAM_BASE + i * 4, v);
        const ref = t.refCopy();
        const w = kind === 'mtk' ? mtk(t) : gart(t);
        const c = kind === 'mtk'
          ? { table: BigInt(RAM_BASE), aperture: 0n, apertureBits: 32, validBit: 1, addrTop: 32 }
          : { table: BigInt(RAM_BASE), aperture: BigInt(GART_APERTURE), apertureBits: 25, validBit: 31, addrTop: 31 };
        const addrs = probes.map((p, i) => (i % 2 === 0 ? p : (kind === 'mtk' ? p % (1 << 25) : GART_APERTURE + (p % (1 << 25)))));
        for (const a of addrs) {
          const want = refFlatWalk(ref, c, BigInt(a));
          const st = w.walk(a, 'read');
          assert.equal([st, w.reason], [want.status, want.reason], `${kind} ${a.toString(16)}`);
          if (st === A.ST_OK) assert.is(BigInt(w.outputAddress), want.oa);
          if (want.entryAddr >= 0n) assert.is(BigInt(w.result().entryAddress), want.entryAddr);
        }
      },
    ),
    { numRuns: 300, seed: 0xf1a7 },
  );
});

test.run();

// Rockchip IOMMU v1/v2 page tables through the WASM walk engine: soc-iommus.md 3.2/3.3 facts
// (IOVA split, DTE/PTE encodings, v2's packed PA[39:32], READABLE/WRITABLE, invalid entries,
// the 32-bit aperture) and a differential property test against test/core/ref/rockchip.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { configureRaw } from './ref/vtd-ctx.ts';
import { refRockchipWalk, rkEncodeV2 } from './ref/rockchip.ts';

const VALID = 1;
const READABLE = 2;
const WRITABLE = 4;

/** Stores a 32-bit little-endian entry (arithmetic, not bitwise: v2 tables live above 4 GiB). */
function put32(t: TestRam, pa: number, v: number): void {
  const q8 = pa - (pa % 8);
  const sh = BigInt((pa % 8) * 8);
  t.set(q8, (t.get(q8) & ~(0xffff_ffffn << sh)) | (BigInt(v >>> 0) << sh));
}
function rk(t: TestRam, version: number, dt = RAM_BASE): Walker {
  const w = new Walker(t.core);
  assert.is(configureRaw(w, A.FMT_ROCKCHIP, [version], [dt]), A.CFG_OK);
  return w;
}
const enc2 = (pa: number) => Number(rkEncodeV2(BigInt(pa)));

test('v1: IOVA[31:22] indexes the 1024-entry DT, [21:12] the 1024-entry PT; Linux PTE = PA | W | R | VALID', () => {
  const t = new TestRam(1 << 16);
  const pt = RAM_BASE + 0x1000;
  const iova = 0xcafe_b123; // DTE 0x32b, PTE 0x3eb
  put32(t, RAM_BASE + 0x32b * 4, pt | VALID);
  put32(t, pt + 0x3eb * 4, 0x8765_4000 | WRITABLE | READABLE | VALID);
  const w = rk(t, 1);
  for (const acc of ['read', 'write'] as const) {
    assert.is(w.walk(iova, acc), A.ST_OK);
    const r = w.result();
    assert.equal([r.outputAddress, r.pageShift, r.level, r.entryAddress], [0x8765_4123, 12, 1, pt + 0x3eb * 4]);
    assert.is(r.perm & 3, A.PERM_R | A.PERM_W);
  }
});

test('v1 permissions: READABLE (bit 1) and WRITABLE (bit 2) are checked per access; bits 8:3 are cache attributes', () => {
  const t = new TestRam(1 << 16);
  put32(t, RAM_BASE, (RAM_BASE + 0x1000) | VALID);
  const w = rk(t, 1);
  put32(t, RAM_BASE + 0x1000, 0x1000_0000 | 0x1f8 | READABLE | VALID); // all attribute bits set, read-only
  assert.is(w.walk(0x7, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.perm & 3], [0x1000_0007, A.PERM_R]);
  assert.is(w.walk(0x7, 'write'), A.ST_PERMISSION);
  assert.equal([w.reason, w.level], [A.R_PERM_WRITE, 1]);
  put32(t, RAM_BASE + 0x1000, 0x1000_0000 | WRITABLE | VALID);
  assert.is(w.walk(0x7, 'write'), A.ST_OK);
  assert.is(w.walk(0x7, 'read'), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_READ);
});

test('faults: DTE without VALID (level 0), PTE without VALID (level 1; Linux unmap clears only VALID), IOVA >= 4 GiB', () => {
  const t = new TestRam(1 << 16);
  const w = rk(t, 1);
  const iova = 0x0040_3000; // DTE 1, PTE 3
  put32(t, RAM_BASE + 4, (RAM_BASE + 0x2000) | 0xffe); // reserved bits set, VALID clear
  assert.is(w.walk(iova, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level, w.result().entryAddress], [A.R_INVALID, 0, RAM_BASE + 4]);
  put32(t, RAM_BASE + 4, (RAM_BASE + 0x2000) | 0xffe | VALID); // DTE bits 11:1 reserved: ignored
  put32(t, RAM_BASE + 0x2000 + 12, 0x5555_5000 | WRITABLE | READABLE); // unmapped
  assert.is(w.walk(iova, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level, w.result().entryAddress], [A.R_INVALID, 1, RAM_BASE + 0x2000 + 12]);
  put32(t, RAM_BASE + 0x2000 + 12, 0x5555_5000 | WRITABLE | READABLE | VALID);
  assert.is(w.walk(iova + 0xabc, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x5555_5abc);
  assert.is(w.walk(0x1_0040_3000, 'read'), A.ST_TRANSLATION, 'aperture is 0..0xFFFFFFFF');
  assert.is(w.reason, A.R_INPUT_RANGE);
});

test('v1 entries carry PA[31:12] only: bits 11:4 are not address bits (v2 would read them as PA[39:32])', () => {
  const t = new TestRam(1 << 16);
  put32(t, RAM_BASE, (RAM_BASE + 0x1000) | VALID);
  put32(t, RAM_BASE + 0x1000, 0xabcd_e000 | 0xff0 | READABLE | VALID);
  assert.is(rk(t, 1).walk(0x10, 'read'), A.ST_OK);
  assert.is(rk(t, 1).outputAddress, 0xabcd_e010);
});

test('v2: DTE and PTE pack PA[35:32] in bits 11:8 and PA[39:36] in bits 7:4 (tables anywhere in 40 bits)', () => {
  const t = new TestRam(1 << 16);
  const high = new TestRam(1 << 16, 0x9a_4000_0000, t.core); // a page table above 4 GiB
  const iova = 0x1234_5678; // DTE 0x48, PTE 0x345
  put32(t, RAM_BASE + 0x48 * 4, enc2(0x9a_4000_1000) | VALID);
  const oa = 0xf7_8901_2000; // PA[39:36] = 0xf, PA[35:32] = 7
  put32(high, 0x9a_4000_1000 + 0x345 * 4, enc2(oa) | 8 | READABLE | VALID); // bit 3 "security": no effect
  const w = rk(t, 2);
  assert.is(w.walk(iova, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.level, w.result().entryAddress], [oa + 0x678, 1, 0x9a_4000_1000 + 0x345 * 4]);
  assert.is(w.walk(iova, 'write'), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_WRITE);
});

test('configuration: only versions 1 and 2 exist; the DT address drops bits 11:0', () => {
  const t = new TestRam(1 << 16);
  const w = new Walker(t.core);
  assert.is(configureRaw(w, A.FMT_ROCKCHIP, [3], [RAM_BASE]), A.CFG_UNSUPPORTED);
  assert.is(w.walk(0, 'read'), A.ST_BAD_CONFIG);
  assert.is(configureRaw(w, A.FMT_ROCKCHIP, [0], [RAM_BASE]), A.CFG_UNSUPPORTED);
  put32(t, RAM_BASE + 8, (RAM_BASE + 0x1000) | VALID);
  put32(t, RAM_BASE + 0x1000, 0x2000_0000 | READABLE | VALID);
  const w2 = rk(t, 1, RAM_BASE + 0xabc);
  assert.is(w2.walk(0x0080_0000, 'read'), A.ST_OK);
  assert.is(w2.outputAddress, 0x2000_0000);
});

test('property: the WASM walk and the reference agree on random Rockchip tables', () => {
  const NP = 6; // page-sized tables in RAM: the DT, then PTs
  fc.assert(
    fc.property(
      fc.constantFrom(1 as const, 2 as const),
      fc.array(
        fc.record({ table: fc.oneof(fc.constant(0), fc.nat(NP - 1)), slot: fc.nat(3), ptr: fc.boolean(), to: fc.nat(NP), bits: fc.nat(0xffff_ffff), valid: fc.nat(3) }),
        { minLength: 8, maxLength: 40 },
      ),
      fc.array(fc.record({ dte: fc.nat(3), pte: fc.nat(3), off: fc.nat(0xfff), rnd: fc.nat(0xffff_ffff), hi: fc.nat(3), write: fc.boolean() }), { minLength: 12, maxLength: 12 }),
      (version, fill, probes) => {
        const t = new TestRam(NP * 0x1000);
        const enc = (pa: number) => (version === 1 ? pa : enc2(pa));
        for (const f of fill) {
          // Pointers to PTs (one past RAM aborts) keep random low bits; VALID three times in four.
          const v = f.ptr ? (enc(RAM_BASE + f.to * 0x1000) | (f.bits & (version === 1 ? 0xffe : 0x00e))) : f.bits & ~1;
          put32(t, RAM_BASE + f.table * 0x1000 + f.slot * 4, (v | (f.valid > 0 ? VALID : 0)) >>> 0);
        }
        const ref = t.refCopy();
        const w = rk(t, version);
        for (const p of probes) {
          // Mostly hit the filled slots (DTE 0..3, PTE 0..3); sometimes any 32-bit IOVA, or above 4 GiB.
          const iova = p.hi === 0 ? p.rnd : p.hi === 1 ? p.rnd + 2 ** 32 : p.dte * 2 ** 22 + p.pte * 0x1000 + p.off;
          const want = refRockchipWalk(ref, version, BigInt(RAM_BASE), BigInt(iova), p.write);
          const st = w.walk(iova, p.write ? 'write' : 'read');
          const at = `v${version} ${iova.toString(16)}`;
          assert.equal([st, w.reason, w.level], [want.status, want.reason, want.level], at);
          assert.is(w.result().entryAddress, Number(want.entryAddr), at);
          if (st === A.ST_OK || st === A.ST_PERMISSION) {
            assert.is(BigInt(w.outputAddress), want.oa, at);
            assert.is(w.perm & 3, want.perm & 3, at);
          }
        }
      },
    ),
    { numRuns: 300, seed: 0x3ee8 },
  );
});

test.run();

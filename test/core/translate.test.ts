// The combined translate (assembly/xlate, src/core/translate.ts): IOTLB lookup, walk on a miss,
// insert. Hardware-visible caching rules: successes are cached and then used as they are (a
// PTE change is invisible until invalidated), faults are never cached, invalidation makes the
// next access walk again; permission refusals on a hit either walk again (default) or fault
// from the entry (QEMU SMMUv3's choice); DBM dirty-state updates still happen for a page cached
// by a read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Walker } from '../../src/core/walk.ts';
import { Iotlb, IotlbKind } from '../../src/core/iotlb.ts';
import { Translator } from '../../src/core/translate.ts';
import * as A from '../../src/core/walk-abi.ts';
import * as X from '../../src/core/xlate-abi.ts';
import { RAM_BASE, TestRam, block, idx, page, table } from './ref/tables.ts';

const L0 = RAM_BASE;
const L1 = RAM_BASE + 0x1000;
const L2 = RAM_BASE + 0x2000;
const L3 = RAM_BASE + 0x3000;
const R = A.ACC_PRIV; // privileged read
const W = A.ACC_PRIV | A.ACC_WRITE;
const PA = 0x8_0000_0000;

/** A stage-1 4K table mapping iova 0..2 MiB: page i -> PA + i * 4K (read/write, AF set). */
function setup(opts: { ha?: boolean; hd?: boolean; permFromTlb?: boolean; tlb?: boolean } = {}) {
  const t = new TestRam(1 << 20);
  t.set(L0 + idx(0, 0) * 8, table(L1));
  t.set(L1 + idx(0, 1) * 8, table(L2));
  t.set(L2 + idx(0, 2) * 8, table(L3));
  for (let i = 0; i < 512; i++) t.set(L3 + i * 8, page(PA + i * 0x1000));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: L0, t0sz: 16, ha: opts.ha, hd: opts.hd }), A.CFG_OK);
  const tlb = opts.tlb === false ? null : new Iotlb(t.core, { entries: 256, ways: 4 });
  const tr = new Translator(t.core, { walker: w, tlb, kind: IotlbKind.SMMU_S1, vmid: 1, asid: 7, globalFromNg: true, permFromTlb: opts.permFromTlb });
  return { t, w, tlb, tr };
}

test('a miss walks and caches; the next access to the page is an IOTLB hit with the same answer', () => {
  const { tr, tlb } = setup();
  assert.is(tr.translate(0x5123, R), PA + 0x5123);
  assert.equal(tr.outcome().source, 'walk');
  assert.is(tr.translate(0x5ff8, W), PA + 0x5ff8);
  const o = tr.outcome();
  assert.is(o.source, 'tlb');
  assert.is(o.pageShift, 12);
  assert.is(o.level, 3);
  assert.is(o.permAll & 7, A.PERM_R | A.PERM_W | A.PERM_X);
  const s = tlb!.stats();
  assert.is(s.misses, 1);
  assert.is(s.hits, 1);
  assert.is(s.inserts, 1);
});

test('a cached translation stays in use after the PTE changes, until the TLBI for it', () => {
  const { t, tr, tlb } = setup();
  assert.is(tr.translate(0x7000, R), PA + 0x7000);
  t.set(L3 + 7 * 8, page(0x9_0000_0000)); // remapped without invalidation
  assert.is(tr.translate(0x7010, R), PA + 0x7010, 'stale, as on hardware');
  t.set(L3 + 7 * 8, 0n); // unmapped without invalidation
  assert.is(tr.translate(0x7020, R), PA + 0x7020, 'still stale');
  tlb!.tlbiNhVa(1, 7, 0x7000);
  assert.is(tr.translate(0x7020, R), -A.ST_TRANSLATION, 'the walk now sees the invalid PTE');
  const o = tr.outcome();
  assert.is(o.source, 'walk');
  assert.is(o.reason, A.R_INVALID);
  assert.is(o.level, 3);
});

test('faults are never cached: fixing the PTE makes the next access succeed without an invalidation', () => {
  const { t, tr, tlb } = setup();
  t.set(L3 + 9 * 8, page(PA + 0x9000, { af: false }));
  assert.is(tr.translate(0x9000, R), -A.ST_ACCESS);
  t.set(L3 + 9 * 8, 0n);
  assert.is(tr.translate(0x9000, R), -A.ST_TRANSLATION);
  t.set(L3 + 9 * 8, page(PA + 0x9000));
  assert.is(tr.translate(0x9000, R), PA + 0x9000);
  assert.is(tlb!.stats().inserts, 1);
});

test('a hit that refuses the access walks again by default: the fault record comes from the tables', () => {
  const { t, tr } = setup();
  t.set(L3 + 3 * 8, page(PA + 0x3000, { ap: 2 })); // read-only
  assert.is(tr.translate(0x3000, R), PA + 0x3000);
  assert.is(tr.translate(0x3000, W), -A.ST_PERMISSION);
  const o = tr.outcome();
  assert.is(o.source, 'walk');
  assert.is(o.reason, A.R_PERM_WRITE);
  assert.is(o.level, 3);
  // Made writable without invalidation: the re-walk sees it (a TLB may drop entries at any time).
  t.set(L3 + 3 * 8, page(PA + 0x3000));
  assert.is(tr.translate(0x3000, W), PA + 0x3000);
});

test('permFromTlb (QEMU SMMUv3): a refused hit faults from the cached entry, even if the table now allows it', () => {
  const { t, tr } = setup({ permFromTlb: true });
  t.set(L3 + 3 * 8, page(PA + 0x3000, { ap: 2 }));
  assert.is(tr.translate(0x3000, R), PA + 0x3000);
  t.set(L3 + 3 * 8, page(PA + 0x3000));
  assert.is(tr.translate(0x3004, W), -A.ST_PERMISSION);
  const o = tr.outcome();
  assert.is(o.source, 'tlb');
  assert.is(o.reason, A.R_PERM_WRITE);
  assert.is(o.stage, 1);
  // Unprivileged read of a privileged-only page (AP[1] = 0): refused from the entry too.
  assert.is(tr.translate(0x3000, 0), -A.ST_PERMISSION);
  assert.is(tr.outcome().reason, A.R_PERM_READ);
});

test('dirty-state: a page cached by a read is made dirty by the first write (the walk runs for it)', () => {
  const { t, tr } = setup({ ha: true, hd: true });
  t.set(L3 + 4 * 8, page(PA + 0x4000, { ap: 2, dbm: true })); // writable-clean
  assert.is(tr.translate(0x4000, R), PA + 0x4000);
  assert.is(tr.translate(0x4008, W), PA + 0x4008);
  assert.is(tr.outcome().source, 'walk');
  assert.is((t.get(L3 + 4 * 8) >> 7n) & 1n, 0n, 'AP[2] cleared: the page is dirty');
  assert.is(tr.translate(0x4010, W), PA + 0x4010);
  assert.is(tr.outcome().source, 'tlb', 'the dirty entry now allows writes from the IOTLB');
});

test('block mappings are cached as one entry of the block size', () => {
  const { t, tr, tlb } = setup();
  t.set(L2 + 1 * 8, block(0xc0_0000_0000 + 0x20_0000 * 0)); // iova 2 MiB..4 MiB
  assert.is(tr.translate(0x20_0000 + 0x1234, R), 0xc0_0000_1234);
  assert.is(tr.translate(0x3f_fff0, R), 0xc0_001f_fff0);
  assert.is(tr.outcome().source, 'tlb');
  assert.is(tr.outcome().pageShift, 21);
  assert.is(tlb!.stats().inserts, 1);
});

test('global entries (nG = 0) answer another ASID of the same VMID; nG = 1 entries do not', () => {
  const { t, w, tlb, tr } = setup();
  t.set(L3 + 1 * 8, page(PA + 0x1000, { ng: true }));
  assert.is(tr.translate(0x0000, R), PA); // nG = 0: global
  assert.is(tr.translate(0x1000, R), PA + 0x1000); // nG = 1
  const other = new Translator(w.core, { walker: w, tlb, kind: IotlbKind.SMMU_S1, vmid: 1, asid: 8, globalFromNg: true });
  t.set(L3, 0n);
  t.set(L3 + 8, 0n);
  assert.is(other.translate(0x0000, R), PA, 'the global entry is found from ASID 8');
  assert.is(other.outcome().source, 'tlb');
  assert.is(other.translate(0x1000, R), -A.ST_TRANSLATION, 'the ASID 7 entry is not');
  other.dispose();
});

test('rebind: a new ASID misses the old entries', () => {
  const { tr } = setup();
  tr.translate(0x2000, R);
  tr.rebind({ asid: 9 });
  tr.translate(0x2000, R);
  assert.is(tr.outcome().source, 'tlb', 'nG = 0 pages are global');
  tr.rebind({ globalFromNg: false, asid: 10 });
  tr.translate(0x2000, R);
  assert.is(tr.outcome().source, 'tlb', 'the global entry cached before still answers');
  tr.translate(0x6000, R);
  tr.rebind({ asid: 11 });
  tr.translate(0x6000, R);
  assert.is(tr.outcome().source, 'walk', 'cached as non-global under ASID 10');
});

test('without an IOTLB every access walks (and sees table changes at once)', () => {
  const { t, tr } = setup({ tlb: false });
  assert.is(tr.translate(0x8000, R), PA + 0x8000);
  t.set(L3 + 8 * 8, page(0x9_0000_0000));
  assert.is(tr.translate(0x8000, R), 0x9_0000_0000);
  assert.is(tr.outcome().source, 'walk');
});

test('nested: the entry keeps both stages permissions; a stage-2 refusal reports stage 2', () => {
  const t = new TestRam(1 << 20);
  const S2 = RAM_BASE + 0x8000; // stage-2 root (level 1 with SL0 = 1, T0SZ = 25)
  const s2 = new Walker(t.core);
  // Stage 2: 1 GiB block IPA 0x4000_0000 -> PA 0x4000_0000 (read/write) and 1 GiB IPA 0x8000_0000 -> read-only.
  t.set(S2 + 1 * 8, block(0x4000_0000, { stage: 2, s2ap: 3 }));
  t.set(S2 + 2 * 8, block(0x8000_0000, { stage: 2, s2ap: 1 }));
  assert.is(s2.configureS2({ vttb: S2, t0sz: 25, sl0: 1, granule: 4096 }), A.CFG_OK);
  t.set(L0 + idx(0, 0) * 8, table(L1));
  t.set(L1 + idx(0, 1) * 8, table(L2));
  t.set(L2 + idx(0, 2) * 8, table(L3));
  t.set(L3, page(0x8000_0000)); // stage-1 output in the read-only stage-2 block
  const s1 = new Walker(t.core);
  s1.configureS1({ ttb0: L0, t0sz: 16 });
  assert.is(s1.nest(s2), A.CFG_OK);
  const tlb = new Iotlb(t.core);
  const tr = new Translator(t.core, { walker: s1, tlb, kind: IotlbKind.SMMU_NESTED, vmid: 3, asid: 1, permFromTlb: true });
  assert.is(tr.translate(0x10, R), 0x8000_0010);
  assert.is(tr.translate(0x20, W), -A.ST_PERMISSION);
  assert.is(tr.outcome().source, 'tlb');
  assert.is(tr.outcome().stage, 2, 'stage 1 allows the write; stage 2 refuses it');
  tr.rebind({ permFromTlb: false });
  assert.is(tr.translate(0x20, W), -A.ST_PERMISSION);
  assert.is(tr.outcome().source, 'walk');
  assert.is(tr.outcome().stage, 2);
});

test('VT-d second stage and TCE through the same translate', () => {
  const t = new TestRam(1 << 20);
  const root = RAM_BASE;
  t.set(root, BigInt(root + 0x1000) | 3n);
  t.set(root + 0x1000, BigInt(root + 0x2000) | 3n);
  t.set(root + 0x2000, BigInt(root + 0x3000) | 3n);
  t.set(root + 0x3000 + 5 * 8, 0x7_0000_5000n | 1n); // read-only page 5
  const w = new Walker(t.core);
  assert.is(w.configureVtdSs({ root, aw: 2 }), A.CFG_OK);
  const tlb = new Iotlb(t.core);
  const vtd = new Translator(t.core, { walker: w, tlb, kind: IotlbKind.VTD_SS, did: 4 });
  assert.is(vtd.translate(0x5abc, 0), 0x7_0000_5abc);
  assert.is(vtd.translate(0x5abc, A.ACC_WRITE), -A.ST_PERMISSION);
  assert.is(vtd.outcome().reason, A.R_PERM_WRITE);
  assert.is(tlb.iotlbDomain(4), 1, 'the read cached one entry under DID 4');

  // TCE, big-endian entries, one level of 512 x 4 KiB pages.
  const tceTable = RAM_BASE + 0x10000;
  const dv = new DataView(t.bytes().buffer, t.bytes().byteOffset + 0x10000, 0x1000);
  dv.setBigUint64(3 * 8, 0x2_0000_3000n | 3n, false);
  const wt = new Walker(t.core);
  assert.is(wt.configureTce({ table: tceTable, pageShift: 12, levels: 1, levelBits: 9 }), A.CFG_OK);
  const tce = new Translator(t.core, { walker: wt, tlb, kind: IotlbKind.TCE, liobn: 0x8000_0001 });
  assert.is(tce.translate(0x3004, A.ACC_WRITE), 0x2_0000_3004);
  assert.is(tce.translate(0x3008, 0), 0x2_0000_3008);
  assert.is(tce.outcome().source, 'tlb');
  assert.is(tce.translate(0x4000, 0), -A.ST_TRANSLATION);
});

test('batch: the same answers as one call at a time, and same-page accesses count as hits', () => {
  const a = setup();
  const b = setup();
  const iovas = new Float64Array(3000);
  const acc = new Uint32Array(3000);
  let seed = 99;
  for (let i = 0; i < iovas.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    // Runs of accesses in one page, some outside the mapped 2 MiB, some writes.
    iovas[i] = (i % 7 === 0 ? 0x40_0000 : 0) + (Math.floor(i / 5) % 600) * 0x1000 + (seed % 4096);
    acc[i] = seed % 3 === 0 ? W : R;
  }
  a.t.set(L3 + 10 * 8, page(PA + 0xa000, { ap: 2 }));
  b.t.set(L3 + 10 * 8, page(PA + 0xa000, { ap: 2 }));
  const out = new Float64Array(iovas.length);
  const st = new Uint32Array(iovas.length);
  const info = new Uint32Array(iovas.length);
  const ok = a.tr.translateBatch(iovas, acc, out, st, info);
  let okOne = 0;
  for (let i = 0; i < iovas.length; i++) {
    const r = b.tr.translate(iovas[i]!, acc[i]!);
    if (r >= 0) {
      okOne++;
      assert.is(st[i], A.ST_OK, `status ${i}`);
      assert.is(out[i], r, `pa ${i}`);
      assert.is(info[i]! >>> 8, 12);
    } else assert.is(st[i], -r, `status ${i}`);
  }
  assert.is(ok, okOne);
  const sa = a.tlb!.stats();
  const sb = b.tlb!.stats();
  assert.equal([sa.hits, sa.misses, sa.inserts], [sb.hits, sb.misses, sb.inserts], 'same IOTLB traffic');
});

test('zero-copy batch views', () => {
  const { tr } = setup();
  const v = tr.batchViews();
  for (let i = 0; i < 4; i++) {
    v.input[i * 2] = i * 0x1000 + 8;
    v.inputWords[i * 4 + 2] = R;
  }
  assert.is(tr.runBatch(4), 4);
  for (let i = 0; i < 4; i++) {
    assert.is(v.output[i * 2], PA + i * 0x1000 + 8);
    assert.is(v.outputWords[i * 4 + 2], A.ST_OK);
  }
});

test('misuse: clear errors; unbound or disposed bindings', () => {
  const { t, w, tr } = setup();
  assert.throws(() => new Translator(t.core, { walker: w, tlb: new Iotlb(t.core) }), /needs an IotlbKind/);
  assert.throws(() => tr.rebind({ asid: -1 }), /asid must be an integer/);
  assert.throws(() => tr.runBatch(X.XBATCH_MAX + 1), /runBatch: n must be/);
  assert.throws(() => tr.translateBatch(new Float64Array(4), R, new Float64Array(2), new Uint32Array(4)), /at least as long/);
  const other = new TestRam(1 << 16);
  assert.throws(() => new Translator(other.core, { walker: w, tlb: null }), /another core/);
  // An unbound index answers ST_BAD_CONFIG, never a trap.
  assert.is(t.core.exports.xlate_va(X.MAX_BIND - 1, 0x1000, R), -A.ST_BAD_CONFIG);
  assert.is(t.core.exports.xlate_va(X.MAX_BIND, 0x1000, R), -A.ST_BAD_CONFIG);
  assert.is(t.core.exports.xlate_va(0, -5, R), -A.ST_BAD_CONFIG);
  const idx0 = tr.index;
  tr.dispose();
  assert.is(t.core.exports.xlate_va(idx0, 0x1000, R), -A.ST_BAD_CONFIG);
  assert.throws(() => tr.runBatch(1), /after dispose/);
});

test('64-bit iovas: translateBig walks the TTB1 half', () => {
  const t = new TestRam(1 << 20);
  t.set(L0 + idx(0xffff_8000_0000_0000n, 0) * 8, table(L1));
  t.set(L1 + idx(0xffff_8000_0000_0000n, 1) * 8, table(L2));
  t.set(L2 + idx(0xffff_8000_0000_0000n, 2) * 8, table(L3));
  t.set(L3, page(PA));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: L0, ttb1: L0, t0sz: 16, t1sz: 16, epd0: true }), A.CFG_OK);
  const tr = new Translator(t.core, { walker: w, tlb: new Iotlb(t.core), kind: IotlbKind.SMMU_S1 });
  assert.is(tr.translateBig(0xffff_8000_0000_0123n, R), A.ST_OK);
  assert.is(tr.outputAddress, PA + 0x123);
  assert.is(tr.translateBig(0xffff_8000_0000_0456n, R), A.ST_OK);
  assert.ok(tr.fromTlb);
});

test('the TypeScript mirror matches the module (xlate_abi)', () => {
  const { t } = setup();
  X.XLATE_ABI_KEYS.forEach((v, k) => assert.is(t.core.exports.xlate_abi(k), v, `key ${k}`));
  assert.is(t.core.exports.xlate_result_bytes(), X.XR_BYTES);
});

test.run();

// The IOTLB behaves like a hardware TLB: a model looks up first and walks only on a miss, so a
// page-table change without an invalidation keeps translating through the cached entry until
// the right invalidation removes it. Also: any cached page size is found, global entries serve
// every ASID of their VMID, the walk cache, 64-bit addresses, and results read after linear
// memory grew.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Core } from '../../src/core/core.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import { Iotlb, IotlbKind as K } from '../../src/core/iotlb.ts';

const KB4 = 0x1000;
const RAM = 0x4000_0000;

/**
 * A toy IOMMU model over a flat one-level table in guest RAM (entry i = output page | 1 for
 * input page i), using the IOTLB the way real models must: lookup, walk on a miss, insert.
 */
class ToyModel {
  readonly core = new Core();
  readonly ram = new WasmRam(this.core, 1 << 20);
  readonly tlb = new Iotlb(this.core);
  walks = 0;
  constructor() {
    this.core.exports.ram_map(RAM, this.ram.size, this.ram.coreOffset);
  }
  setPte(page: number, out: number, valid = true): void {
    new DataView(this.ram.view().buffer, this.ram.view().byteOffset).setBigUint64(page * 8, BigInt(out) | (valid ? 1n : 0n), true);
  }
  translate(asid: number, iova: number): number {
    if (this.tlb.lookup(K.SMMU_S1, 1, asid, 0, 0, 0, iova)) return this.tlb.pa;
    this.walks++;
    const page = Math.floor(iova / KB4);
    const pte = new DataView(this.ram.view().buffer, this.ram.view().byteOffset).getBigUint64(page * 8, true);
    if ((pte & 1n) === 0n) return -1; // translation fault: nothing is cached
    const out = Number(pte & ~0xfffn);
    this.tlb.insert({ kind: K.SMMU_S1, vmid: 1, asid }, { iova, pa: out + (iova % KB4), pageShift: 12, perm: 3, level: 3 });
    return out + (iova % KB4);
  }
}

test('a PTE changed without invalidation keeps translating to the old page until TLBI_NH_VA', () => {
  const m = new ToyModel();
  m.setPte(5, 0x1234_5000);
  assert.is(m.translate(1, 5 * KB4 + 0x10), 0x1234_5010);
  assert.is(m.walks, 1);
  m.setPte(5, 0x6666_6000); // remap, no invalidation
  for (let i = 0; i < 3; i++) assert.is(m.translate(1, 5 * KB4 + 0x20), 0x1234_5020, 'stale translation observed');
  assert.is(m.walks, 1);
  m.tlb.tlbiNhVa(1, 2, 5 * KB4); // wrong ASID: no effect on ASID 1's entry
  assert.is(m.translate(1, 5 * KB4), 0x1234_5000);
  m.tlb.tlbiNhVa(1, 1, 5 * KB4);
  assert.is(m.translate(1, 5 * KB4 + 0x30), 0x6666_6030, 'after the invalidation the new PTE is walked');
  assert.is(m.walks, 2);
});

test('an unmapped PTE still translates while cached; after invalidation it faults', () => {
  const m = new ToyModel();
  m.setPte(7, 0x2000_0000);
  assert.is(m.translate(3, 7 * KB4), 0x2000_0000);
  m.setPte(7, 0, false);
  assert.is(m.translate(3, 7 * KB4 + 4), 0x2000_0004);
  m.tlb.tlbiNhAsid(1, 3);
  assert.is(m.translate(3, 7 * KB4), -1);
});

test('the micro-TLB never outlives a change: invalidation, in-place update and eviction are seen at once', () => {
  const t = new Iotlb(new Core(), { entries: 4, ways: 4 });
  const ins = (page: number, pa: number) => t.insert({ kind: K.VTD_SS, did: 9 }, { iova: page * KB4, pa, pageShift: 12, perm: 1 });
  const look = (page: number) => (t.lookup(K.VTD_SS, 0, 0, 9, 0, 0, page * KB4) ? t.pa : -1);
  ins(1, 0x10_0000);
  for (let i = 0; i < 5; i++) assert.is(look(1), 0x10_0000);
  ins(1, 0x20_0000); // same key: updated in place
  assert.is(look(1), 0x20_0000);
  t.iotlbPage(9, KB4, 0);
  assert.is(look(1), -1);
  ins(1, 0x30_0000);
  assert.is(look(1), 0x30_0000);
  for (let p = 2; p <= 5; p++) ins(p, p << 20); // four more: page 1 is evicted
  assert.is(look(1), -1);
  assert.is(look(5), 5 << 20);
  // A smaller page inserted (into a free way) inside a block that answered before takes over at once.
  const u = new Iotlb(new Core());
  u.insert({ kind: K.VTD_SS, did: 9 }, { iova: 0x20_0000, pa: 0x4000_0000, pageShift: 21, perm: 1 });
  assert.is(u.lookup(K.VTD_SS, 0, 0, 9, 0, 0, 0x20_1000), 1);
  assert.is(u.pa, 0x4000_1000);
  u.insert({ kind: K.VTD_SS, did: 9 }, { iova: 0x20_1000, pa: 0x77_7000, pageShift: 12, perm: 1 });
  assert.is(u.lookup(K.VTD_SS, 0, 0, 9, 0, 0, 0x20_1000), 1);
  assert.is(u.pa, 0x77_7000);
  assert.is(u.stats().evictions, 0);
});

test('a lookup finds an entry of any cached page size covering the iova; the smallest wins where they overlap', () => {
  const t = new Iotlb(new Core());
  const tag = { kind: K.SMMU_S2, vmid: 4 };
  t.insert(tag, { iova: 0x4000_0000, pa: 0x1_0000_0000, pageShift: 30, perm: 1, level: 1 }); // 1 GiB
  t.insert(tag, { iova: 0x4020_0000, pa: 0x2_0020_0000, pageShift: 21, perm: 2, level: 2 }); // 2 MiB inside it (conflict)
  t.insert(tag, { iova: 0x8000_0000, pa: 0x3_0000_0000, pageShift: 16, perm: 3, level: 3 }); // 64 KiB
  const at = (iova: number) => (t.lookup(K.SMMU_S2, 4, 0, 0, 0, 0, iova) ? [t.pa, t.pageShift, t.level] : []);
  assert.equal(at(0x4000_1234), [0x1_0000_1234, 30, 1]);
  assert.equal(at(0x4030_0000), [0x2_0030_0000, 21, 2], 'the 2 MiB entry shadows the 1 GiB block it overlaps');
  assert.equal(at(0x7fff_ffff), [0x1_3fff_ffff, 30, 1]);
  assert.equal(at(0x8000_ffff), [0x3_0000_ffff, 16, 3]);
  assert.equal(at(0x8001_0000), []);
  assert.equal(at(0x3fff_ffff), []);
  assert.is(t.lookup(K.SMMU_S2, 5, 0, 0, 0, 0, 0x4000_0000), 0, 'another VMID');
  assert.is(t.lookup(K.SMMU_S1, 4, 0, 0, 0, 0, 0x4000_0000), 0, 'another kind');
});

test('a global entry serves every ASID of its VMID, a non-global one only its own', () => {
  const t = new Iotlb(new Core());
  t.insert({ kind: K.SMMU_S1, vmid: 1, asid: 5 }, { iova: 0x1000, pa: 0x9000, pageShift: 12, perm: 1, global: true });
  t.insert({ kind: K.SMMU_S1, vmid: 1, asid: 5 }, { iova: 0x2000, pa: 0xa000, pageShift: 12, perm: 1 });
  assert.is(t.lookup(K.SMMU_S1, 1, 77, 0, 0, 0, 0x1008), 1);
  assert.ok(t.global);
  assert.is(t.pa, 0x9008);
  assert.is(t.lookup(K.SMMU_S1, 2, 77, 0, 0, 0, 0x1008), 0, 'not another VMID');
  assert.is(t.lookup(K.SMMU_S1, 1, 77, 0, 0, 0, 0x2008), 0);
  assert.is(t.lookup(K.SMMU_S1, 1, 5, 0, 0, 0, 0x2008), 1);
  assert.not.ok(t.global);
  // VT-d first stage: global across PASIDs of the DID.
  t.insert({ kind: K.VTD_FS, did: 3, pasid: 10 }, { iova: 0x5000, pa: 0x7000, pageShift: 12, perm: 1, global: true });
  assert.is(t.lookup(K.VTD_FS, 0, 0, 3, 11, 0, 0x5000), 1);
  assert.is(t.lookup(K.VTD_FS, 0, 0, 4, 10, 0, 0x5000), 0);
});

test('walk cache: the deepest cached table covering the iova; leaf and table lookups never see each other', () => {
  const t = new Iotlb(new Core());
  const tag = { kind: K.SMMU_S1, vmid: 1, asid: 2 };
  t.insert(tag, { iova: 0x4000_0000, pa: 0x10_0000, pageShift: 30, perm: 0, level: 2, table: true }); // L1 entry -> L2 table
  t.insert(tag, { iova: 0x4060_0000, pa: 0x20_0000, pageShift: 21, perm: 0, level: 3, table: true }); // L2 entry -> L3 table
  assert.is(t.lookupTable(K.SMMU_S1, 1, 2, 0, 0, 0, 0x4061_2345), 1);
  assert.equal([t.pa, t.level, t.pageShift, t.table], [0x20_0000, 3, 21, true]);
  assert.is(t.lookupTable(K.SMMU_S1, 1, 2, 0, 0, 0, 0x4080_0000), 1);
  assert.equal([t.pa, t.level, t.pageShift], [0x10_0000, 2, 30]);
  assert.is(t.lookup(K.SMMU_S1, 1, 2, 0, 0, 0, 0x4061_2345), 0, 'no leaf cached');
  t.insert(tag, { iova: 0x4061_2000, pa: 0x77_7000, pageShift: 12, perm: 3, level: 3 });
  assert.is(t.lookup(K.SMMU_S1, 1, 2, 0, 0, 0, 0x4061_2345), 1);
  assert.is(t.pa, 0x77_7345);
  t.tlbiNhVa(1, 2, 0x4061_2000, { leaf: true });
  assert.is(t.lookup(K.SMMU_S1, 1, 2, 0, 0, 0, 0x4061_2345), 0);
  assert.is(t.lookupTable(K.SMMU_S1, 1, 2, 0, 0, 0, 0x4061_2345), 1, 'LEAF=1 kept the walk cache');
});

test('64-bit addresses: TTB1-style VAs, exact through bigint insert, lookupBig and invalidation', () => {
  const t = new Iotlb(new Core());
  const va = 0xffff_8000_1234_5000n;
  t.insert({ kind: K.SMMU_S1, vmid: 0, asid: 1 }, { iova: va + 0x678n, pa: 0xf_8765_4678n, pageShift: 12, perm: 1 });
  assert.is(t.lookupBig(K.SMMU_S1, 0, 1, 0, 0, 0, va + 0xabcn), 1);
  assert.is(t.paBig, 0xf_8765_4abcn);
  assert.is(t.pa, 0xf_8765_4abc);
  assert.is(t.lookupBig(K.SMMU_S1, 0, 1, 0, 0, 0, va + 0x1000n), 0);
  const [e] = t.entries();
  assert.is(e!.iova, va);
  assert.is(e!.pa, 0xf_8765_4000n);
  assert.is(t.tlbiNhVa(0, 1, va + 0x1000n), 0);
  assert.is(t.tlbiNhVa(0, 1, va), 1);
  // The last page of the 64-bit space.
  t.insert({ kind: K.SMMU_S1, asid: 1 }, { iova: 0xffff_ffff_ffff_f000n, pa: 0x1000, pageShift: 12, perm: 1 });
  assert.is(t.lookupBig(K.SMMU_S1, 0, 1, 0, 0, 0, 0xffff_ffff_ffff_ffffn), 1);
  assert.is(t.pa, 0x1fff);
  assert.is(t.tlbiNhVaa(0, 0xffff_ffff_ffff_f000n, { tg: 1, num: 31, scale: 31 }), 1, 'a range running past 2^64');
});

test('result fields: permissions, attributes, level, granule, page size, kind, slot', () => {
  const t = new Iotlb(new Core());
  const slot = t.insert({ kind: K.TCE, liobn: 0x8000_0001 }, { iova: 0x1_0000, pa: 0x2_0000, pageShift: 16, perm: 2, attr: 0xdead_beef, attr2: 0x1234_5678, level: 4, granuleShift: 16 });
  assert.is(t.lookup(K.TCE, 0, 0, 0, 0, 0x8000_0001, 0x1_fffe), 1);
  assert.equal(t.result(), { pa: 0x2_fffen, perm: 2, attr: 0xdead_beef, attr2: 0x1234_5678, level: 4, granuleShift: 16, pageShift: 16, global: false, table: false, kind: K.TCE, slot });
});

test('results stay readable after linear memory grows (views are re-created)', () => {
  const core = new Core();
  const t = new Iotlb(core);
  t.insert({ kind: K.SOC, asid: 1 }, { iova: 0x4000, pa: 0x8000, pageShift: 14, perm: 3 });
  assert.is(t.lookup(K.SOC, 0, 1, 0, 0, 0, 0x4001), 1);
  assert.is(t.pa, 0x8001);
  core.alloc(1 << 20); // grows memory: every earlier view is detached
  new Iotlb(core); // and again, from inside the module
  assert.is(t.lookup(K.SOC, 0, 1, 0, 0, 0, 0x7ffe), 1);
  assert.is(t.pa, 0xbffe);
  assert.is(t.perm, 3);
  assert.is(t.paBig, 0xbffen);
  t.batchIova[0] = 0x4002;
  core.alloc(1 << 16);
  t.batchIova[1] = 0x4003;
  assert.is(t.lookupBatch(K.SOC, 0, 1, 0, 0, 0, 2), 2);
  assert.equal(Array.from(t.batchPa.subarray(0, 2)), [0x8002, 0x8003]);
});

test('batched lookups give exactly what single lookups give (f64 and u64 buffers)', () => {
  const t = new Iotlb(new Core(), { entries: 256, ways: 4, batchCapacity: 4096 });
  const tag = { kind: K.VTD_FS, did: 2, pasid: 9 };
  // Mixed page sizes with overlap, so the same-page shortcut must respect smallest-page-first.
  t.insert(tag, { iova: 0, pa: 0x100_0000, pageShift: 21, perm: 1 });
  t.insert(tag, { iova: 0x3000, pa: 0x555_5000, pageShift: 12, perm: 2 });
  for (let p = 0; p < 40; p++) t.insert(tag, { iova: 0x40_0000 + p * KB4, pa: 0x900_0000 + p * 0x3000, pageShift: 12, perm: 3 });
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const n = 4096;
  const iovas: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.3) iovas.push(Math.floor(rnd() * 0x8000)); // the block and the 4K page inside it
    else if (r < 0.9) iovas.push(0x40_0000 + Math.floor(rnd() * 48 * KB4)); // mostly cached pages
    else iovas.push(iovas[iovas.length - 1] ?? 0); // repeats
  }
  const expected = iovas.map((v) => (t.lookup(tag.kind, 0, 0, 2, 9, 0, v) ? [t.pa, t.perm] : [-1, -1]));
  t.batchIova.set(iovas);
  const hits = t.lookupBatch(tag.kind, 0, 0, 2, 9, 0, n);
  assert.is(hits, expected.filter((e) => e[0]! >= 0).length);
  assert.equal(Array.from(t.batchPa), expected.map((e) => e[0]));
  assert.equal(Array.from(t.batchPerm), expected.map((e) => e[1]));
  t.batchIova64.set(iovas.map(BigInt));
  assert.is(t.lookupBatch(tag.kind, 0, 0, 2, 9, 0, n, true), hits);
  assert.equal(
    Array.from(t.batchPa64),
    expected.map((e) => (e[0]! >= 0 ? BigInt(e[0]!) : 2n ** 64n - 1n)),
  );
});

test.run();

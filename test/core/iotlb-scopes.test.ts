// Exact scope of every invalidation the IOTLB implements: for each command, what must go and,
// as importantly, what must stay (global entries, other ASIDs/VMIDs/DIDs/PASIDs/PEs, other
// translation types, walk-cache entries under LEAF/IH, entries just outside a range).
// Facts: smmuv3.md c.1 (scopes), c.2 (range = (NUM+1) x 2^SCALE pages of the TG granule),
// f.5 (nested scoping); vtd.md 4.2/4.3 (IOTLB and PASID-based IOTLB descriptors, AM, IH);
// power-tce.md B5 (TCE kill ALL / PE / ONE with page size).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Core } from '../../src/core/core.ts';
import { Iotlb, IotlbKind as K, smmuTlbiRange, vtdAmRange, type IotlbInsert, type IotlbOptions, type IotlbTag } from '../../src/core/iotlb.ts';

interface Named {
  name: string;
  tag: IotlbTag;
  e: IotlbInsert;
}

const KB4 = 0x1000;

function keyOf(tag: Required<IotlbTag>, iova: bigint, shift: number, global: boolean, table: boolean): string {
  return [tag.kind, tag.vmid, tag.asid, tag.did, tag.pasid, tag.liobn, iova, shift, global, table].join(':');
}

/** A TLB holding `entries`, and the names of what is left in it. */
function setup(entries: Named[], opts: IotlbOptions = {}) {
  const t = new Iotlb(new Core(), { entries: 4096, ways: 8, ...opts });
  const names = new Map<string, string>();
  for (const n of entries) {
    t.insert(n.tag, n.e);
    const tag = { vmid: 0, asid: 0, did: 0, pasid: 0, liobn: 0, ...n.tag };
    const base = BigInt(n.e.iova) & ~((1n << BigInt(n.e.pageShift)) - 1n);
    names.set(keyOf(tag, base, n.e.pageShift, !!n.e.global && !n.e.table, !!n.e.table), n.name);
  }
  assert.is(t.stats().valid, entries.length, 'every entry of the population is cached');
  const left = () =>
    t
      .entries()
      .map((x) => names.get(keyOf(x, x.iova, x.pageShift, x.global, x.table)) ?? `?${x.kind}@${x.iova}`)
      .sort();
  const all = entries.map((n) => n.name).sort();
  /** Asserts exactly `gone` were removed (and the call reported that many). */
  const expectGone = (removed: number, gone: string[], msg?: string) => {
    assert.equal(left(), all.filter((n) => !gone.includes(n)), msg);
    assert.is(removed, gone.length, `${msg ?? ''} removed count`);
  };
  return { t, left, expectGone };
}

// ---------------------------------------------------------------- SMMUv3

const leaf = (iova: number | bigint, shift: number, level: number, extra: Partial<IotlbInsert> = {}): IotlbInsert => ({
  iova,
  pa: 0x8000_0000,
  pageShift: shift,
  perm: 3,
  level,
  granuleShift: 12,
  ...extra,
});

const SMMU: Named[] = [
  { name: 's1.v1.a5.4k', tag: { kind: K.SMMU_S1, vmid: 1, asid: 5 }, e: leaf(0x1000_0000, 12, 3) },
  { name: 's1.v1.a5.2m', tag: { kind: K.SMMU_S1, vmid: 1, asid: 5 }, e: leaf(0x4000_0000, 21, 2) },
  { name: 's1.v1.a5.64k', tag: { kind: K.SMMU_S1, vmid: 1, asid: 5 }, e: leaf(0x3000_0000, 16, 3) }, // contiguous 16 x 4K
  { name: 's1.v1.a5.table', tag: { kind: K.SMMU_S1, vmid: 1, asid: 5 }, e: { iova: 0x1000_0000, pa: 0x9000_0000, pageShift: 21, perm: 0, level: 3, table: true } },
  { name: 's1.v1.a6.4k', tag: { kind: K.SMMU_S1, vmid: 1, asid: 6 }, e: leaf(0x1000_0000, 12, 3) },
  { name: 's1.v1.global', tag: { kind: K.SMMU_S1, vmid: 1, asid: 5 }, e: leaf(0x2000_0000, 12, 3, { global: true }) },
  { name: 's1.v2.a5.4k', tag: { kind: K.SMMU_S1, vmid: 2, asid: 5 }, e: leaf(0x1000_0000, 12, 3) },
  { name: 'nested.v1.a5', tag: { kind: K.SMMU_NESTED, vmid: 1, asid: 5 }, e: leaf(0x1000_0000, 12, 3) },
  { name: 's2.v1.4k', tag: { kind: K.SMMU_S2, vmid: 1 }, e: leaf(0x1000_0000, 12, 3) },
  { name: 's2.v1.2m', tag: { kind: K.SMMU_S2, vmid: 1 }, e: leaf(0x4000_0000, 21, 2) },
  { name: 's2.v2.4k', tag: { kind: K.SMMU_S2, vmid: 2 }, e: leaf(0x1000_0000, 12, 3) },
  { name: 'el2.a5', tag: { kind: K.SMMU_EL2, asid: 5 }, e: leaf(0x1000_0000, 12, 3) },
  { name: 'el2.global', tag: { kind: K.SMMU_EL2, asid: 5 }, e: leaf(0x2000_0000, 12, 3, { global: true }) },
];
const S1V1 = ['s1.v1.a5.4k', 's1.v1.a5.2m', 's1.v1.a5.64k', 's1.v1.a5.table', 's1.v1.a6.4k', 's1.v1.global', 'nested.v1.a5'];

test('TLBI_NH_ALL: every stage-1 and nested entry of the VMID, global or not; stage 2, other VMIDs, EL2 stay', () => {
  const { t, expectGone } = setup(SMMU);
  expectGone(t.tlbiNhAll(1), S1V1);
});

test('TLBI_NH_ASID: entries of (ASID, VMID) only; global entries survive (nG=0)', () => {
  const { t, expectGone } = setup(SMMU);
  expectGone(t.tlbiNhAsid(1, 5), ['s1.v1.a5.4k', 's1.v1.a5.2m', 's1.v1.a5.64k', 's1.v1.a5.table', 'nested.v1.a5']);
});

test('TLBI_NH_VA: the ASID\'s entries covering the VA (with the walk cache unless LEAF), other ASIDs and VMIDs stay', () => {
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x1000_0abc), ['s1.v1.a5.4k', 's1.v1.a5.table', 'nested.v1.a5']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x1000_0000, { leaf: true }), ['s1.v1.a5.4k', 'nested.v1.a5'], 'LEAF=1 keeps the walk-cache entry');
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x1001_0000), ['s1.v1.a5.table'], 'an address in the table span but not in the 4K page');
});

test('TLBI_NH_VA removes a global entry for the VA whatever ASID it names', () => {
  const { t, expectGone } = setup(SMMU);
  expectGone(t.tlbiNhVa(1, 0x77, 0x2000_0000), ['s1.v1.global']);
});

test('an address anywhere in a cached 2 MiB block or 64 KiB contiguous range removes the whole entry', () => {
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x401f_f000), ['s1.v1.a5.2m']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x3000_f000), ['s1.v1.a5.64k']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x4020_0000), [], 'the first page after the block');
});

test('TLBI_NH_VAA: every ASID of the VMID, global included', () => {
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVaa(1, 0x1000_0000), ['s1.v1.a5.4k', 's1.v1.a5.table', 's1.v1.a6.4k', 'nested.v1.a5']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVaa(1, 0x2000_0000), ['s1.v1.global']);
});

test('range TLBI: (NUM+1) x 2^SCALE granules from ADDR; an entry just past the end stays, one overlapping goes', () => {
  // [0x0fffe000, +2 pages) ends exactly where the 4K page at 0x10000000 starts.
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVaa(1, 0x0fff_e000, { tg: 1, num: 1, scale: 0 }), []);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVaa(1, 0x0fff_e000, { tg: 1, num: 2, scale: 0 }), ['s1.v1.a5.4k', 's1.v1.a5.table', 's1.v1.a6.4k', 'nested.v1.a5']);
  // 256 pages (SCALE 8) end at the 2 MiB block; 512 (SCALE 9) reach into it.
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x3ff0_0000, { tg: 1, num: 0, scale: 8 }), []);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x3ff0_0000, { tg: 1, num: 0, scale: 9 }), ['s1.v1.a5.2m']);
  // NUM and SCALE together: (3+1) x 2^2 = 16 pages of 4K from 0x3000_0000 = the 64K range.
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x2fff_0000, { tg: 1, num: 3, scale: 2 }), []);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x2fff_1000, { tg: 1, num: 3, scale: 2 }), ['s1.v1.a5.64k']);
});

test('range TLBI: the TG granule scales the range and ADDR bits below it are ignored', () => {
  assert.equal(smmuTlbiRange(0x3001_2000, 3, 0, 0), { start: 0x3001_0000n, size: 0x1_0000n });
  assert.equal(smmuTlbiRange(0x3001_2000, 2, 1, 1), { start: 0x3001_0000n, size: 4n * 0x4000n });
  assert.equal(smmuTlbiRange(0x3001_2000, 0, 31, 31), { start: 0x3001_2000n, size: 0x1000n }, 'TG=0: single address, NUM/SCALE ignored');
  assert.equal(smmuTlbiRange(0, 3, 31, 31), { start: 0n, size: 32n << 47n }, 'the largest range: 32 x 2^31 x 64 KiB');
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x3001_2000, { tg: 3, num: 0, scale: 0 }), [], '64K granule at 0x30010000: past the 64K entry');
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x300f_f000, { tg: 3, num: 0, scale: 0 }), []);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x3000_f000, { tg: 3, num: 0, scale: 0 }), ['s1.v1.a5.64k'], 'aligned down to 0x30000000');
});

test('TTL hint: ignored by default (QEMU); a strict-hints TLB keeps leaf entries of another level or granule', () => {
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x4000_0000, { tg: 1, ttl: 3 }), ['s1.v1.a5.2m'], 'TTL ignored');
  s = setup(SMMU, { strictHints: true });
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x4000_0000, { tg: 1, ttl: 3 }), [], 'the block is level 2, TTL says 3');
  s = setup(SMMU, { strictHints: true });
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x4000_0000, { tg: 1, ttl: 2 }), ['s1.v1.a5.2m']);
  s = setup(SMMU, { strictHints: true });
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x4000_0000, { tg: 3, ttl: 2 }), [], 'granule 64K does not match the 4K-granule block');
  s = setup(SMMU, { strictHints: true });
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x4000_0000, { tg: 0, ttl: 3 }), ['s1.v1.a5.2m'], 'TTL without TG is no hint');
  s = setup(SMMU, { strictHints: true });
  s.expectGone(s.t.tlbiNhVa(1, 5, 0x1000_0000, { tg: 1, ttl: 1 }), ['s1.v1.a5.table'], 'the walk cache is not filtered by TTL');
});

test('TLBI_S2_IPA: stage-2 entries of the VMID for the IPA; combined nested entries stay (QEMU, gem5)', () => {
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiS2Ipa(1, 0x1000_0000), ['s2.v1.4k']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiS2Ipa(1, 0x0, { tg: 1, num: 31, scale: 31 }), ['s2.v1.4k', 's2.v1.2m'], 'a range over everything still only stage 2');
});

test('TLBI_S12_VMALL and TLBI_NSNH_ALL', () => {
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiS12Vmall(1), [...S1V1, 's2.v1.4k', 's2.v1.2m']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiNsnhAll(), SMMU.filter((n) => !n.name.startsWith('el2')).map((n) => n.name));
});

test('TLBI_EL2_*: only EL2 entries; EL2_ASID keeps global ones, EL2_VA removes them', () => {
  let s = setup(SMMU);
  s.expectGone(s.t.tlbiEl2All(), ['el2.a5', 'el2.global']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiEl2Asid(5), ['el2.a5']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiEl2Va(9, 0x2000_0000), ['el2.global']);
  s = setup(SMMU);
  s.expectGone(s.t.tlbiEl2Vaa(0x1000_0000), ['el2.a5']);
});

// ---------------------------------------------------------------- VT-d

const VTD: Named[] = [
  { name: 'ss.d1', tag: { kind: K.VTD_SS, did: 1 }, e: leaf(0x1000_0000, 12, 1) },
  { name: 'ss.d1.2m', tag: { kind: K.VTD_SS, did: 1 }, e: leaf(0x4000_0000, 21, 2) },
  { name: 'ss.d1.table', tag: { kind: K.VTD_SS, did: 1 }, e: { iova: 0x1000_0000, pa: 0x9000_0000, pageShift: 21, perm: 0, level: 1, table: true } },
  { name: 'pt.d1.p7', tag: { kind: K.VTD_PT, did: 1, pasid: 7 }, e: leaf(0x1000_0000, 12, 0) },
  { name: 'fs.d1.p7', tag: { kind: K.VTD_FS, did: 1, pasid: 7 }, e: leaf(0x1000_0000, 12, 1) },
  { name: 'fs.d1.p7.far', tag: { kind: K.VTD_FS, did: 1, pasid: 7 }, e: leaf(0x7000_0000, 12, 1) },
  { name: 'fs.d1.p7.table', tag: { kind: K.VTD_FS, did: 1, pasid: 7 }, e: { iova: 0x1000_0000, pa: 0x9100_0000, pageShift: 21, perm: 0, level: 1, table: true } },
  { name: 'fs.d1.p8', tag: { kind: K.VTD_FS, did: 1, pasid: 8 }, e: leaf(0x1000_0000, 12, 1) },
  { name: 'fs.d1.global', tag: { kind: K.VTD_FS, did: 1, pasid: 7 }, e: leaf(0x2000_0000, 12, 1, { global: true }) },
  { name: 'nested.d1.p7', tag: { kind: K.VTD_NESTED, did: 1, pasid: 7 }, e: leaf(0x1000_0000, 12, 1) },
  { name: 'ss.d2', tag: { kind: K.VTD_SS, did: 2 }, e: leaf(0x1000_0000, 12, 1) },
  { name: 'fs.d2.p7', tag: { kind: K.VTD_FS, did: 2, pasid: 7 }, e: leaf(0x1000_0000, 12, 1) },
];
const D1 = VTD.filter((n) => n.tag.did === 1).map((n) => n.name);
const FS_D1 = ['fs.d1.p7', 'fs.d1.p7.far', 'fs.d1.p7.table', 'fs.d1.p8', 'fs.d1.global', 'nested.d1.p7'];

test('VT-d IOTLB invalidate: global removes every VT-d entry, domain-selective every entry of the DID', () => {
  let s = setup([...VTD, ...SMMU.slice(0, 1)]);
  s.expectGone(s.t.iotlbGlobal(), VTD.map((n) => n.name), 'SMMU entries are not VT-d entries');
  s = setup(VTD);
  s.expectGone(s.t.iotlbDomain(1), D1);
});

test('VT-d page-selective IOTLB: second-stage and pass-through of the DID in range, and all first-stage/nested of the DID', () => {
  let s = setup(VTD);
  s.expectGone(s.t.iotlbPage(1, 0x1000_0000, 0), ['ss.d1', 'ss.d1.table', 'pt.d1.p7', ...FS_D1]);
  s = setup(VTD);
  s.expectGone(s.t.iotlbPage(1, 0x1000_0000, 0, true), ['ss.d1', 'pt.d1.p7', 'fs.d1.p7', 'fs.d1.p7.far', 'fs.d1.p8', 'fs.d1.global', 'nested.d1.p7'], 'IH=1 keeps walk-cache entries');
});

test('VT-d AM: 2^AM pages with ADDR aligned down to that size; boundaries exact', () => {
  assert.equal(vtdAmRange(0x4012_3000, 9), { start: 0x4000_0000n, size: 0x20_0000n });
  assert.equal(vtdAmRange(0x4012_3000, 0), { start: 0x4012_3000n, size: 0x1000n });
  const ssOnly = VTD.filter((n) => n.tag.kind === K.VTD_SS);
  let s = setup(ssOnly);
  s.expectGone(s.t.iotlbPage(1, 0x4012_3000, 9), ['ss.d1.2m']);
  s = setup(ssOnly);
  s.expectGone(s.t.iotlbPage(1, 0x3ff0_0000, 8), [], '[0x3ff00000, 0x40000000) stops short of the block');
  s = setup(ssOnly);
  s.expectGone(s.t.iotlbPage(1, 0x3ff0_0000, 9), [], 'aligned down to 0x3fe00000: still short of the block');
  s = setup(ssOnly);
  s.expectGone(s.t.iotlbPage(1, 0x401f_f000, 0), ['ss.d1.2m'], 'the last 4K page of the block');
  s = setup(ssOnly);
  s.expectGone(s.t.iotlbPage(1, 0x0fff_f000, 1), [], 'AM=1 at an odd page: aligned down to 0x0fffe000, so it ends at 0x10000000');
  s = setup(ssOnly);
  s.expectGone(s.t.iotlbPage(1, 0x1000_1000, 1), ['ss.d1', 'ss.d1.table'], 'AM=1 at 0x10001000: aligned down to 0x10000000');
});

test('PASID-based IOTLB, non-globals within PASID: first-stage, nested and pass-through of (DID, PASID); globals and second stage stay', () => {
  const { t, expectGone } = setup(VTD);
  expectGone(t.piotlbPasid(1, 7), ['pt.d1.p7', 'fs.d1.p7', 'fs.d1.p7.far', 'fs.d1.p7.table', 'nested.d1.p7']);
});

test('PASID-based IOTLB, page-selective within PASID: first-stage/nested of (DID, PASID) in range, global ones of the DID too; never SS or PT', () => {
  let s = setup(VTD);
  s.expectGone(s.t.piotlbPage(1, 7, 0x1000_0000, 0), ['fs.d1.p7', 'fs.d1.p7.table', 'nested.d1.p7']);
  s = setup(VTD);
  s.expectGone(s.t.piotlbPage(1, 7, 0x1000_0000, 0, true), ['fs.d1.p7', 'nested.d1.p7'], 'IH=1');
  s = setup(VTD);
  s.expectGone(s.t.piotlbPage(1, 8, 0x2000_0000, 0), ['fs.d1.global'], 'a global entry goes for any PASID of its DID');
  s = setup(VTD);
  s.expectGone(s.t.piotlbPage(2, 8, 0x2000_0000, 0), [], 'but not for another DID');
});

// ---------------------------------------------------------------- POWER TCE

const W1 = 2n ** 59n; // TVE#1: PCI address bit 59
const TCE: Named[] = [
  { name: 'pe3.w0.4k', tag: { kind: K.TCE, liobn: 3 }, e: leaf(0x0, 12, 1) },
  { name: 'pe3.w0.64k', tag: { kind: K.TCE, liobn: 3 }, e: leaf(0x1_0000, 16, 1) },
  { name: 'pe3.w1.2m', tag: { kind: K.TCE, liobn: 3 }, e: leaf(W1, 21, 1) },
  { name: 'pe4.w0.4k', tag: { kind: K.TCE, liobn: 4 }, e: leaf(0x0, 12, 1) },
];

test('TCE kill ALL / PE / ONE', () => {
  let s = setup(TCE);
  s.expectGone(s.t.tceKillAll(), TCE.map((n) => n.name));
  s = setup(TCE);
  s.expectGone(s.t.tceKillPe(3), ['pe3.w0.4k', 'pe3.w0.64k', 'pe3.w1.2m'], 'both windows of the PE');
  s = setup(TCE);
  s.expectGone(s.t.tceKillOne(3, 0x1_f000, 12), ['pe3.w0.64k'], 'a 4K kill inside a 64K TCE');
  s = setup(TCE);
  s.expectGone(s.t.tceKillOne(3, W1 + 0x1f_f000n, 21), ['pe3.w1.2m'], 'window 1 (bit 59), 2M page size');
  s = setup(TCE);
  s.expectGone(s.t.tceKillOne(3, 0x2_0000, 16), [], 'the next 64K page');
  s = setup(TCE);
  s.expectGone(s.t.tceInvalidatePages(4, 0, 1), ['pe4.w0.4k'], 'sPAPR H_PUT_TCE of one page');
  s = setup(TCE);
  s.expectGone(s.t.tceInvalidatePages(3, 0, 16), ['pe3.w0.4k'], 'H_STUFF_TCE of 16 4K pages stops at 64K');
});

// ---------------------------------------------------------------- SoC and generic

const SOC: Named[] = [
  { name: 'sid1', tag: { kind: K.SOC, asid: 1 }, e: leaf(0x1000_0000, 14, 2) },
  { name: 'sid1.far', tag: { kind: K.SOC, asid: 1 }, e: leaf(0x1040_0000, 12, 2) },
  { name: 'sid2', tag: { kind: K.SOC, asid: 2 }, e: leaf(0x1000_0000, 14, 2) },
];

test('SoC flushes: all, per SID/ASID, by range (with or without ASID)', () => {
  let s = setup(SOC);
  s.expectGone(s.t.socFlushAll(), ['sid1', 'sid1.far', 'sid2']);
  s = setup(SOC);
  s.expectGone(s.t.socFlushAsid(1), ['sid1', 'sid1.far']);
  s = setup(SOC);
  s.expectGone(s.t.socFlushRange(0x1000_3000, 0x1000), ['sid1', 'sid2'], 'Rockchip zap of one 4K line inside a 16K DART page');
  s = setup(SOC);
  s.expectGone(s.t.socFlushRange(0x1000_0000, 0x40_0000, 2), ['sid2'], 'Tegra section flush with ASID match');
});

test('huge pages: 1 GiB, 1 TiB and 4 TiB entries are found from any address inside and removed by any overlapping range', () => {
  const big: Named[] = [
    { name: '1g', tag: { kind: K.SMMU_S2, vmid: 1 }, e: leaf(0x4000_0000, 30, 1) },
    { name: '1t', tag: { kind: K.SMMU_S2, vmid: 1 }, e: leaf(2 ** 40, 40, 0) },
    { name: '4t', tag: { kind: K.SMMU_S2, vmid: 1 }, e: leaf(2 ** 44, 42, 1, { granuleShift: 16 }) },
  ];
  const s = setup(big);
  assert.is(s.t.lookup(K.SMMU_S2, 1, 0, 0, 0, 0, 0x7fff_ffff), 1);
  assert.is(s.t.pageShift, 30);
  assert.is(s.t.pa, 0x8000_0000 + 0x3fff_ffff);
  assert.is(s.t.lookup(K.SMMU_S2, 1, 0, 0, 0, 0, 2 ** 41 - 1), 1);
  assert.is(s.t.pageShift, 40);
  assert.is(s.t.lookup(K.SMMU_S2, 1, 0, 0, 0, 0, 2 ** 44 + 2 ** 42 - 4096), 1);
  assert.is(s.t.pageShift, 42);
  s.expectGone(s.t.tlbiS2Ipa(1, 2 ** 40 - 0x1000, { tg: 1, num: 0, scale: 0 }), [], 'the page below the 1T block');
  s.expectGone(s.t.tlbiS2Ipa(1, 2 ** 41 - 0x1000), ['1t'], 'its last page');
});

test('generic invalidate(): any combination of identifiers, kinds, range and flags', () => {
  let s = setup(SMMU);
  s.expectGone(s.t.invalidate({ kinds: [K.SMMU_S1], asid: 6 }), ['s1.v1.a6.4k', 's1.v1.global'], 'no keepGlobal: globals go with an ASID scope');
  s = setup(SMMU);
  s.expectGone(s.t.invalidate({ kinds: [K.SMMU_S1, K.SMMU_S2], start: 0x4000_0000, size: 1 }), ['s1.v1.a5.2m', 's2.v1.2m']);
  s = setup(SMMU);
  s.expectGone(s.t.invalidateAll(), SMMU.map((n) => n.name));
  assert.is(s.t.stats().valid, 0);
  assert.throws(() => s.t.invalidate({ kinds: [K.SMMU_S1], start: 0 }), /start and size go together/);
  assert.throws(() => s.t.tlbiNhAsid(1, 0x10000), /ASID must be an integer in 0\.\.0xffff/);
  assert.throws(() => s.t.iotlbPage(1, 0, 53), /AM must be an integer in 0\.\.0x34/);
});

test('probing and scanning agree: a small range probes sets, a large one scans, same result', () => {
  // 300 pages cached; invalidate 40 of them by range in a 256-set TLB (40 probes) and in an
  // 8-set TLB (more pages in range than sets, so it scans every entry).
  for (const geometry of [{ entries: 2048, ways: 8 }, { entries: 512, ways: 64 }]) {
    const population: Named[] = [];
    for (let i = 0; i < 300; i++) population.push({ name: `p${i}`, tag: { kind: K.SMMU_S1, vmid: 3, asid: i % 3 }, e: leaf(0x5000_0000 + i * KB4, 12, 3) });
    const s = setup(population, geometry);
    const gone = population.filter((_, i) => i >= 100 && i < 140).map((n) => n.name);
    s.expectGone(s.t.tlbiNhVaa(3, 0x5000_0000 + 100 * KB4, { tg: 1, num: 4, scale: 3 }), gone, JSON.stringify(geometry));
  }
});

test.run();

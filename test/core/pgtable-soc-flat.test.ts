// The flat-table writers: MediaTek M4U v1 (mtk_iommu_v1.c) and Tegra20 GART (tegra-gart.c), as
// summarised in shared/reference/soc-iommus.md 4.2, 5.1, 5.2 and 14 item 10: entry encodings,
// map refusing occupied / valid entries with the driver's errno and partial progress, unmap,
// iova_to_phys dropping the in-page offset (and GART's (phys_addr_t)-EINVAL), and agreement
// with the WASM and reference flat walkers (which, unlike iova_to_phys, add the offset).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';
import { EEXIST, EINVAL } from '../../src/core/pgtable.ts';
import { GartPageTable, MtkV1PageTable, type SocTlbEvent } from '../../src/core/pgtable-soc.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { refFlatWalk } from './ref/flat.ts';

const K4 = 0x1000;
const M4 = 4 << 20;
const GART_BASE = 0x5800_0000;
const GART_SIZE = 32 << 20;

function ram(size: number) {
  const t = new TestRam(size);
  const arena = new PageArena(RAM_BASE, RAM_BASE + size);
  const allocs: number[] = [];
  const allocator = { alloc: (n: number) => (allocs.push(n), arena.alloc(n)), free: (g: number, n: number) => arena.free(g, n) };
  const rd32 = (pa: number) => Number((t.get(pa - (pa % 8)) >> BigInt((pa % 8) * 8)) & 0xffff_ffffn);
  const wr32 = (pa: number, v: number) => {
    const q = t.get(pa - (pa % 8));
    const sh = BigInt((pa % 8) * 8);
    t.set(pa - (pa % 8), (q & ~(0xffff_ffffn << sh)) | (BigInt(v >>> 0) << sh));
  };
  return { t, arena, allocs, allocator, rd32, wr32 };
}

function mtk() {
  const r = ram(8 << 20);
  const tlb: SocTlbEvent[] = [];
  const pt = new MtkV1PageTable(r.t.core, r.allocator, (e) => tlb.push(e));
  return { ...r, pt, tlb, entry: (iova: number) => pt.table + Math.floor(iova / K4) * 4 };
}

function gart(debug = false) {
  const r = ram(1 << 20);
  const pt = new GartPageTable(r.t.core, { aperture: GART_BASE, size: GART_SIZE, debug }, r.allocator);
  return { ...r, pt, entry: (iova: number) => pt.table + ((iova - GART_BASE) / K4) * 4 };
}

// ---- MediaTek M4U v1 ----

test('4.2: one flat table of exactly 4 MiB (2^20 u32 entries) for the whole 4 GiB', () => {
  const { allocs, pt, arena } = mtk();
  assert.equal(allocs, [M4]);
  assert.is(arena.allocatedBytes(pt.table), M4);
  assert.is(pt.liveTables(), 1);
});

test('4.2: entry = PA | NONSEC (bit 3) | VALID (bit 1) = PA | 0xA; prot ignored; range flush of what was mapped', () => {
  const { pt, rd32, entry, tlb } = mtk();
  assert.equal(pt.mapPages(0x0012_3000, 0x8000_0000, 3), { ret: 0, mapped: 3 * K4 });
  assert.equal([rd32(entry(0x0012_3000)), rd32(entry(0x0012_4000)), rd32(entry(0x0012_5000))], [0x8000_000a, 0x8000_100a, 0x8000_200a]);
  assert.equal(tlb, [{ kind: 'flushRange', iova: 0x0012_3000, size: 3 * K4 }]);
  assert.equal(pt.mapPages(0x0020_0000, 0x9000_0000, 1), { ret: 0, mapped: K4 });
});

test('4.2: map refuses any non-zero entry with -EEXIST; the pages before it stay mapped and are reported as mapped', () => {
  const { pt, rd32, wr32, entry, tlb } = mtk();
  wr32(entry(0x2000), 0x5); // non-zero, VALID (bit 1) clear: still refused
  assert.equal(pt.mapPages(0, 0x7000_0000, 4), { ret: -EEXIST, mapped: 2 * K4 });
  assert.equal([rd32(entry(0)), rd32(entry(0x1000)), rd32(entry(0x2000)), rd32(entry(0x3000))], [0x7000_000a, 0x7000_100a, 0x5, 0]);
  assert.equal(tlb.at(-1), { kind: 'flushRange', iova: 0, size: 2 * K4 });
});

test('4.2: unmap zeroes pgcount entries whatever they held and returns pgcount * 4 KiB', () => {
  const { pt, rd32, entry, tlb } = mtk();
  pt.mapPages(0x5000, 0x1000_0000, 1);
  assert.is(pt.unmap(0x4000, 3), 3 * K4);
  assert.is(rd32(entry(0x5000)), 0);
  assert.equal(tlb.at(-1), { kind: 'flushRange', iova: 0x4000, size: 3 * K4 });
  assert.is(pt.unmap(0x4000, 3), 3 * K4, 'empty entries count too');
});

test('14.10: MediaTek v1 iova_to_phys drops the in-page offset and tests no valid bit', () => {
  const { pt, wr32, entry } = mtk();
  pt.mapPages(0x0000_5000, 0x6543_2000, 1);
  assert.is(pt.iovaToPhys(0x5abc), 0x6543_2000);
  assert.is(pt.iovaToPhys(0x6abc), 0);
  wr32(entry(0x7000), 0x1234_5000); // no VALID bit
  assert.is(pt.iovaToPhys(0x7000), 0x1234_5000);
});

test('MediaTek v1 is a 32-bit driver: iova and PA are taken modulo 2^32; model guard past the last entry', () => {
  const { pt, rd32, entry } = mtk();
  assert.equal(pt.mapPages(0x1_0000_9000, 0x2_4000_0000, 1), { ret: 0, mapped: K4 });
  assert.is(rd32(entry(0x9000)), 0x4000_000a);
  assert.equal(pt.mapPages(0xffff_f000, 0x1000, 2), { ret: -EINVAL, mapped: 0 });
  assert.is(rd32(entry(0xffff_f000)), 0, 'nothing written');
  assert.is(pt.unmap(0xffff_f000, 2), 0);
});

test('MediaTek v1 walker agreement: mapped pages translate read and write (no permission bits), offset added by the hardware', () => {
  const { t, pt } = mtk();
  pt.mapPages(0xfff0_0000, 0x3000_0000, 2);
  pt.mapPages(0x4000, 0x3100_0000, 1);
  pt.unmap(0x4000, 1);
  const w = new Walker(t.core);
  const cfg = pt.walkerConfig();
  assert.is(w.configureFlat(cfg), A.CFG_OK);
  const mem = t.refCopy();
  const ref = { table: BigInt(cfg.table), aperture: 0n, apertureBits: cfg.inBits, validBit: cfg.validBit, addrTop: cfg.addrTop };
  for (const [iova, st, oa] of [
    [0xfff0_0123, A.ST_OK, 0x3000_0123],
    [0xfff0_1fff, A.ST_OK, 0x3000_1fff],
    [0x4000, A.ST_TRANSLATION, -1],
  ] as const) {
    for (const acc of ['read', 'write'] as const) assert.is(w.walk(iova, acc), st, `${acc} 0x${iova.toString(16)}`);
    const r = refFlatWalk(mem, ref, BigInt(iova));
    assert.is(r.status, st);
    if (oa >= 0) {
      assert.equal([w.outputAddress, Number(r.oa)], [oa, oa]);
      assert.is(pt.iovaToPhys(iova), oa - (oa % K4), 'iova_to_phys: no offset');
    }
  }
  pt.destroy();
});

// ---- Tegra GART ----

test('5.1: the model keeps 8192 entries (32 MiB aperture / 4 KiB) in a 32 KiB table', () => {
  const { allocs, pt, arena } = gart();
  assert.equal(allocs, [32 * 1024]);
  assert.is(pt.liveTables(), 1);
  pt.destroy();
  assert.is(arena.live, 0);
});

test('5.2 map: exactly 4 KiB inside the aperture -> entry VALID (bit 31) | PA; anything else -EINVAL', () => {
  const { pt, rd32, entry } = gart();
  assert.is(pt.map(GART_BASE + 0x5000, 0x1234_5000, K4), K4);
  assert.is(rd32(entry(GART_BASE + 0x5000)), 0x9234_5000);
  assert.is(pt.map(GART_BASE - K4, 0x1000, K4), -EINVAL, 'below the aperture');
  assert.is(pt.map(GART_BASE + GART_SIZE, 0x1000, K4), -EINVAL, 'past the end');
  assert.is(pt.map(GART_BASE, 0x1000, 2 * K4), -EINVAL, 'bytes != 4 KiB');
  assert.is(pt.map(GART_BASE + GART_SIZE - K4, 0x1000, K4), K4, 'last page');
});

test('5.2 map over a VALID entry: overwritten normally; refused with -EINVAL only with gart_debug', () => {
  let { pt, rd32, entry } = gart();
  pt.map(GART_BASE, 0x1000_0000, K4);
  assert.is(pt.map(GART_BASE, 0x2000_0000, K4), K4);
  assert.is(rd32(entry(GART_BASE)), 0xa000_0000);
  ({ pt, rd32, entry } = gart(true));
  pt.map(GART_BASE, 0x1000_0000, K4);
  assert.is(pt.map(GART_BASE, 0x2000_0000, K4), -EINVAL);
  assert.is(rd32(entry(GART_BASE)), 0x9000_0000);
});

test('5.2 unmap: entry 0 and bytes returned; out of range 0; with gart_debug an invalid entry returns 0', () => {
  let { pt, rd32, entry } = gart();
  pt.map(GART_BASE + K4, 0x1000_0000, K4);
  assert.is(pt.unmap(GART_BASE + K4, K4), K4);
  assert.is(rd32(entry(GART_BASE + K4)), 0);
  assert.is(pt.unmap(GART_BASE + K4, K4), K4, 'without gart_debug an empty entry unmaps too');
  assert.is(pt.unmap(GART_BASE - K4, K4), 0);
  assert.is(pt.unmap(GART_BASE, 2 * K4), 0);
  ({ pt } = gart(true));
  assert.is(pt.unmap(GART_BASE, K4), 0);
});

test('14.10: GART iova_to_phys: entry bits 30:12 without the offset; outside the aperture (u32)-EINVAL', () => {
  const { pt, wr32, entry } = gart();
  pt.map(GART_BASE + 0x3000, 0x4567_8000, K4);
  assert.is(pt.iovaToPhys(GART_BASE + 0x3abc), 0x4567_8000);
  assert.is(pt.iovaToPhys(GART_BASE + 0x4000), 0);
  assert.is(pt.iovaToPhys(0x1000), 0xffff_ffea);
  wr32(entry(GART_BASE + 0x4000), 0x0765_4000); // VALID clear: no validity test either
  assert.is(pt.iovaToPhys(GART_BASE + 0x4000), 0x0765_4000);
});

test('GART walker agreement: VALID entries translate (offset added), others fault, outside the aperture is out of range', () => {
  const { t, pt } = gart();
  pt.map(GART_BASE + 0x10_0000, 0x2222_2000, K4);
  pt.map(GART_BASE + 0x10_1000, 0x3333_3000, K4);
  pt.unmap(GART_BASE + 0x10_1000, K4);
  const w = new Walker(t.core);
  const cfg = pt.walkerConfig();
  assert.is(w.configureFlat(cfg), A.CFG_OK);
  const mem = t.refCopy();
  const ref = { table: BigInt(cfg.table), aperture: BigInt(cfg.aperture), apertureBits: cfg.inBits, validBit: cfg.validBit, addrTop: cfg.addrTop };
  for (const [iova, st, oa] of [
    [GART_BASE + 0x10_0abc, A.ST_OK, 0x2222_2abc],
    [GART_BASE + 0x10_1abc, A.ST_TRANSLATION, -1],
    [GART_BASE + GART_SIZE, A.ST_TRANSLATION, -1],
  ] as const) {
    assert.is(w.walk(iova, 'write'), st);
    const r = refFlatWalk(mem, ref, BigInt(iova));
    assert.is(r.status, st);
    if (oa >= 0) assert.equal([w.outputAddress, Number(r.oa), pt.iovaToPhys(iova)], [oa, oa, oa - (oa % K4)]);
  }
  assert.is(w.walk(GART_BASE + GART_SIZE, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INPUT_RANGE);
});

test.run();

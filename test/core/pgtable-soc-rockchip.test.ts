// The Rockchip writer against Linux's rockchip-iommu.c as summarised in
// shared/reference/soc-iommus.md 3.2-3.4 and 14 (items 5, 6): DTE/PTE encodings (v1, and v2's
// PA[39:32] packed into bits 11:4), lazily allocated page tables, refusing to map over a VALID
// PTE (-EADDRINUSE with unwind), unmap clearing only VALID, the ZAP_ONE_LINE pattern,
// iova_to_phys, freeing, and agreement with the WASM and reference Rockchip walkers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';
import { EINVAL, ENOMEM, IOMMU_READ as R, IOMMU_WRITE as W } from '../../src/core/pgtable.ts';
import { EADDRINUSE, RockchipPageTable, SocPgtableError, type SocTlbEvent } from '../../src/core/pgtable-soc.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { refRockchipWalk } from './ref/rockchip.ts';

const K4 = 0x1000;
const M4 = 0x400000;

function mk(version: 1 | 2, opts: { base?: number; failAfter?: number } = {}) {
  const base = opts.base ?? RAM_BASE;
  const size = 1 << 20;
  const t = new TestRam(size, base);
  const arena = new PageArena(base, base + size);
  let n = 0;
  const allocator = {
    alloc: (s: number) => (opts.failAfter !== undefined && n++ >= opts.failAfter ? -1 : arena.alloc(s)),
    free: (g: number, s: number) => arena.free(g, s),
  };
  const tlb: SocTlbEvent[] = [];
  const pt = new RockchipPageTable(t.core, version, allocator, (e) => tlb.push(e));
  const rd32 = (pa: number) => Number((t.get(pa - (pa % 8)) >> BigInt((pa % 8) * 8)) & 0xffff_ffffn);
  const pteAt = (iova: number) => {
    const dte = rd32(pt.dt + Math.floor(iova / M4) % 1024 * 4);
    return ptAddr(version, dte) + (Math.floor(iova / K4) % 1024) * 4;
  };
  return { t, pt, arena, tlb, rd32, pteAt };
}

/** Hand decode of an entry's address: v1 [31:12]; v2 adds bits 11:8 -> PA[35:32], 7:4 -> PA[39:36]. */
function ptAddr(version: 1 | 2, e: number): number {
  const lo = e & 0xfffff000;
  if (version === 1) return lo >>> 0;
  return (lo >>> 0) + ((e >>> 8) & 0xf) * 2 ** 32 + ((e >>> 4) & 0xf) * 2 ** 36;
}

test('3.2: the DT is one 4 KiB table at creation; a PT is allocated on first map in its 4 MiB and kept', () => {
  const { pt, arena, rd32 } = mk(1);
  assert.equal([arena.live, arena.allocatedBytes(pt.dt)], [1, K4]);
  assert.is(pt.map(0x0040_3000, 0x1234_5000, K4, R | W), K4);
  assert.is(arena.live, 2);
  const dte = rd32(pt.dt + 1 * 4);
  assert.is(dte, (RAM_BASE + K4) | 1, 'v1 DTE = PT address | VALID');
  assert.is(pt.map(0x0040_4000, 0x1234_6000, K4, R), K4);
  assert.is(pt.unmap(0x0040_3000, K4), K4);
  assert.is(pt.unmap(0x0040_4000, K4), K4);
  assert.is(arena.live, 2, 'DTEs are never cleared while the domain lives');
});

test('3.2: v1 PTE = PA[31:12] | WRITABLE (2) | READABLE (1) | VALID (0); no prot check (prot 0 is a VALID PTE without access)', () => {
  const { pt, rd32, pteAt } = mk(1);
  pt.map(0x1000, 0x8765_4000, K4, R | W);
  pt.map(0x2000, 0x8765_5000, K4, R);
  pt.map(0x3000, 0x8765_6000, K4, W);
  pt.map(0x4000, 0x8765_7000, K4, 0);
  assert.equal([rd32(pteAt(0x1000)), rd32(pteAt(0x2000)), rd32(pteAt(0x3000)), rd32(pteAt(0x4000))], [
    0x8765_4007, 0x8765_5003, 0x8765_6005, 0x8765_7001,
  ]);
});

test('3.3: v2 packs PA[35:32] into bits 11:8 and PA[39:36] into bits 7:4, in PTEs and DTEs', () => {
  // RAM (and so the PT) at 0xA3_0000_0000: PA[39:36] = 0xA, PA[35:32] = 0x3.
  const base = 0xa3_0000_0000;
  const { pt, rd32, pteAt } = mk(2, { base });
  assert.is(pt.map(0x5000, 0xab_1234_5000, K4, R | W), K4);
  assert.is(rd32(pt.dt), (0x0000_1000 | (0x3 << 8) | (0xa << 4) | 1) >>> 0, 'DTE of the PT at 0xA3_0000_1000');
  assert.is(rd32(pteAt(0x5000)), (0x1234_5000 | (0xb << 8) | (0xa << 4) | 7) >>> 0);
  assert.is(pt.iovaToPhys(0x5abc), 0xab_1234_5abc);
});

test('v1 tables must lie below 4 GiB (32-bit DMA mask); v2 may use 40 bits', () => {
  const high = 0x1_4000_0000;
  try {
    mk(1, { base: high });
    assert.unreachable('v1 with tables above 4 GiB');
  } catch (e) {
    assert.ok(e instanceof SocPgtableError);
    assert.is((e as SocPgtableError).errno, -ENOMEM);
  }
  const { pt } = mk(2, { base: high });
  assert.is(pt.map(0, 0x1000, K4, R), K4);
});

test('3.4 map: every size of the bitmap (4 KiB .. 4 MiB) maps size / 4 KiB PTEs; zaps only the first and last page', () => {
  const { pt, tlb } = mk(1);
  assert.is(pt.map(0x0080_0000, 0x2000_0000, M4, R), M4);
  assert.is(pt.iovaToPhys(0x0080_0000 + M4 - 1), 0x2000_0000 + M4 - 1);
  assert.equal(tlb, [
    { kind: 'zapLine', iova: 0x0080_0000, size: K4 },
    { kind: 'zapLine', iova: 0x0080_0000 + M4 - K4, size: K4 },
  ]);
  tlb.length = 0;
  assert.is(pt.map(0x10_0000, 0x3000_0000, K4, R), K4);
  assert.equal(tlb, [{ kind: 'zapLine', iova: 0x10_0000, size: K4 }], 'a single page is zapped once');
  tlb.length = 0;
  assert.is(pt.map(0x20_0000, 0x3000_0000, 2 * K4, R), 2 * K4);
  assert.equal(tlb, [
    { kind: 'zapLine', iova: 0x20_0000, size: K4 },
    { kind: 'zapLine', iova: 0x20_1000, size: K4 },
  ]);
});

test('a DTE counts only with VALID set: a stale address without VALID gets a fresh PT on map and translates to 0 before', () => {
  const { pt, rd32, t, arena } = mk(1);
  const stale = 0x7777_7000;
  t.set(pt.dt, BigInt(stale)); // DTE 0 = address, VALID clear
  assert.is(pt.iovaToPhys(0x1000), 0);
  assert.is(pt.unmap(0x1000, K4), 0);
  assert.is(pt.map(0x1000, 0x2000_0000, K4, R), K4);
  assert.is(rd32(pt.dt), (RAM_BASE + K4) | 1, 'a new PT replaced the stale address');
  assert.is(arena.live, 2);
});

test('model guard: sizes outside 0x007ff000 or misaligned to themselves are -EINVAL (iommu_map never passes them)', () => {
  const { pt, arena } = mk(1);
  assert.is(pt.map(0, 0, 2 * M4, R), -EINVAL);
  assert.is(pt.map(K4, 0, 2 * K4, R), -EINVAL);
  assert.is(pt.map(0, K4, 2 * K4, R), -EINVAL);
  assert.is(pt.map(0, 0, 3 * K4, R), -EINVAL);
  assert.is(arena.live, 1);
});

test('3.4 map over a VALID PTE: -EADDRINUSE; the PTEs this call wrote lose VALID again (address bits stay), the old one is untouched', () => {
  const { pt, rd32, pteAt } = mk(1);
  assert.is(pt.map(0x12000, 0x5000_0000, K4, R | W), K4);
  assert.is(pt.map(0x10000, 0x6000_0000, 0x4000, R | W), -EADDRINUSE);
  assert.equal([rd32(pteAt(0x10000)), rd32(pteAt(0x11000))], [0x6000_0006, 0x6000_1006]);
  assert.is(rd32(pteAt(0x12000)), 0x5000_0007);
  assert.is(rd32(pteAt(0x13000)), 0);
  // A PTE whose VALID was cleared is free to map again.
  assert.is(pt.map(0x10000, 0x7000_0000, K4, R), K4);
});

test('3.4 unmap: clears only VALID, stops at the first PTE that is not VALID, zaps each unmapped page; no DTE -> 0', () => {
  const { pt, rd32, pteAt, tlb } = mk(1);
  pt.map(0x20000, 0x4000_0000, 0x2000, R | W);
  tlb.length = 0;
  assert.is(pt.unmap(0x20000, 0x4000), 0x2000);
  assert.equal([rd32(pteAt(0x20000)), rd32(pteAt(0x21000))], [0x4000_0006, 0x4000_1006]);
  assert.equal(tlb, [
    { kind: 'zapLine', iova: 0x20000, size: K4 },
    { kind: 'zapLine', iova: 0x21000, size: K4 },
  ]);
  assert.is(pt.unmap(0x20000, K4), 0, 'already invalid');
  assert.is(pt.unmap(0x4000_0000, K4), 0, 'no PT in that 4 MiB');
});

test('iova_to_phys: page address + offset when DTE and PTE are VALID, else 0 (stale address bits do not count); IOVA bits above 31 are dropped', () => {
  const { pt } = mk(1);
  pt.map(0x7000, 0x9000_0000, K4, R);
  assert.is(pt.iovaToPhys(0x7123), 0x9000_0123);
  assert.is(pt.iovaToPhys(0x1_0000_7123), 0x9000_0123, '(u32) index as the driver computes it');
  pt.unmap(0x7000, K4);
  assert.is(pt.iovaToPhys(0x7123), 0);
  assert.is(pt.iovaToPhys(0x8000_0000), 0);
});

test('a failed PT allocation is -ENOMEM and leaves the DTE invalid', () => {
  const { pt, rd32 } = mk(1, { failAfter: 1 });
  assert.is(pt.map(0, 0x1000, K4, R), -ENOMEM);
  assert.is(rd32(pt.dt), 0);
});

test('domain free: every PT with a VALID DTE, then the DT', () => {
  const { pt, arena } = mk(2);
  pt.map(0, 0x1000, K4, R);
  pt.map(0xffc0_0000, 0x1000, K4, R);
  assert.is(arena.live, 3);
  pt.destroy();
  assert.is(arena.live, 0);
});

test('walker agreement (v1 and v2): the written tables translate with the mapped permissions in both walkers', () => {
  for (const version of [1, 2] as const) {
    const { t, pt } = mk(version, { base: version === 2 ? 0x55_0000_0000 : RAM_BASE });
    const hi = version === 2 ? 0x7f_0000_0000 : 0;
    pt.map(0x0100_0000, hi + 0x1000_0000, 0x2000, R | W);
    pt.map(0x0100_2000, hi + 0x2000_0000, K4, R);
    pt.map(0x0100_3000, hi + 0x3000_0000, K4, W);
    pt.map(0x0100_4000, hi + 0x4000_0000, K4, R | W);
    pt.unmap(0x0100_4000, K4);
    const w = new Walker(t.core);
    assert.is(w.configureRockchip(pt.walkerConfig()), A.CFG_OK);
    const mem = t.refCopy();
    const cases: Array<[number, 'read' | 'write', number, number]> = [
      [0x0100_1abc, 'write', A.ST_OK, hi + 0x1000_1abc],
      [0x0100_2abc, 'read', A.ST_OK, hi + 0x2000_0abc],
      [0x0100_2abc, 'write', A.ST_PERMISSION, -1],
      [0x0100_3abc, 'read', A.ST_PERMISSION, -1],
      [0x0100_3abc, 'write', A.ST_OK, hi + 0x3000_0abc],
      [0x0100_4abc, 'read', A.ST_TRANSLATION, -1],
      [0x0200_0000, 'read', A.ST_TRANSLATION, -1],
    ];
    for (const [iova, acc, st, oa] of cases) {
      const tag = `v${version} ${acc} 0x${iova.toString(16)}`;
      assert.is(w.walk(iova, acc), st, tag);
      const r = refRockchipWalk(mem, version, BigInt(pt.dt), BigInt(iova), acc === 'write');
      assert.is(r.status, st, `ref ${tag}`);
      if (oa >= 0) {
        assert.equal([w.outputAddress, Number(r.oa), pt.iovaToPhys(iova)], [oa, oa, oa], tag);
      }
    }
  }
});

test.run();

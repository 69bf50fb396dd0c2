// map_pages / unmap_pages / iova_to_phys of the LPAE writer, one Linux behaviour per test
// (drivers/iommu/io-pgtable-arm.c as documented in the io-pgtable vectors' README and the
// Arm descriptor formats): descriptors, return values, TLB callbacks and table lifetimes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Core } from '../../src/core/core.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import {
  LpaePageTable,
  IOMMU_READ as R,
  IOMMU_WRITE as W,
  IOMMU_CACHE,
  IOMMU_NOEXEC,
  IOMMU_MMIO,
  IOMMU_PRIV,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_NO_WARN,
  EEXIST,
  EINVAL,
  ERANGE,
  ENOENT,
  ENOMEM,
  type LpaeConfig,
  type TableAllocator,
} from '../../src/core/pgtable.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';

const BASE = 0x40000000;
const K4 = 0x1000;
const M2 = 0x200000;
const G1 = 0x40000000;

function mk(cfg: Partial<LpaeConfig> = {}, opts: { ram?: number; allocator?: TableAllocator } = {}) {
  const core = new Core();
  const ram = new WasmRam(core, opts.ram ?? 8 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const arena = new PageArena(BASE, BASE + ram.size);
  const tlb: string[] = [];
  const pt = new LpaePageTable(
    core,
    { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000, quirks: IO_PGTABLE_QUIRK_NO_WARN, ...cfg },
    opts.allocator ?? arena,
    {
      flushWalk: (iova, size, granule) => void tlb.push(`flush_walk ${iova.toString(16)} ${size.toString(16)} ${granule.toString(16)}`),
      addPage: (iova, granule) => void tlb.push(`add_page ${iova.toString(16)} ${granule.toString(16)}`),
    },
  );
  return { core, ram, arena, pt, tlb };
}

test('a 4K page is a level-3 descriptor 0b11 with AF, nG, AP[1], SH and the output address', () => {
  const { pt } = mk();
  assert.is(pt.map(0x1234_5678_9000, 0x8_7654_3000, K4, 1, R | W), K4);
  const { ret, ptes } = pt.walk(0x1234_5678_9000);
  assert.is(ret, 0);
  // AF(10) | nG(11) | AP_UNPRIV(6) | SH=OS(9:8=0b10) | page(0b11)
  assert.is(ptes[3], 0x8_7654_3000n | (1n << 10n) | (1n << 11n) | (1n << 6n) | (2n << 8n) | 3n);
  assert.is(ptes[0] & 3n, 3n); // table descriptors on the way
  assert.is(pt.iovaToPhys(0x1234_5678_9abc), 0x8_7654_3abc);
});

test('stage-1 permissions and attributes: read-only, PRIV, CACHE (AttrIndx 1, inner shareable), MMIO wins AttrIndx, NOEXEC', () => {
  const { pt } = mk();
  const pte = (prot: number, i: number) => {
    assert.is(pt.map(i * K4, 0x100000 + i * K4, K4, 1, prot), K4);
    return pt.walk(i * K4).ptes[3];
  };
  const ro = pte(R, 1);
  assert.is((ro >> 7n) & 1n, 1n); // AP[2] read-only
  assert.is((pte(W, 2) >> 7n) & 1n, 0n); // write alone is read/write
  assert.is((pte(R | IOMMU_PRIV, 3) >> 6n) & 1n, 0n); // no EL0 access
  const cached = pte(R | IOMMU_CACHE, 4);
  assert.equal([(cached >> 2n) & 7n, (cached >> 8n) & 3n], [1n, 3n]);
  const mmio = pte(R | IOMMU_CACHE | IOMMU_MMIO, 5);
  assert.equal([(mmio >> 2n) & 7n, (mmio >> 8n) & 3n], [2n, 3n]);
  assert.is(pte(R | IOMMU_NOEXEC, 6) & (3n << 53n), 3n << 53n);
});

test('stage-2 descriptors: S2AP read/write bits, MemAttr device / write-back / non-cacheable, no nG', () => {
  const { pt } = mk({ fmt: 'ARM_64_LPAE_S2' });
  const pte = (prot: number, i: number) => {
    pt.map(i * K4, i * K4, K4, 1, prot);
    return pt.walk(i * K4).ptes[3];
  };
  assert.is((pte(R, 1) >> 6n) & 3n, 1n);
  assert.is((pte(W, 2) >> 6n) & 3n, 2n);
  assert.is((pte(R | IOMMU_MMIO, 3) >> 2n) & 0xfn, 0x1n);
  assert.is((pte(R | IOMMU_CACHE, 4) >> 2n) & 0xfn, 0xfn);
  assert.is((pte(R | W, 5) >> 2n) & 0xfn, 0x5n);
  assert.is((pte(R | W | IOMMU_PRIV, 6) >> 11n) & 1n, 0n);
});

test('2M and 1G maps at aligned addresses are blocks (0b01) at levels 2 and 1', () => {
  const { pt } = mk();
  assert.is(pt.map(0x4000_0000_0000 + 3 * M2, 0x8000_0000, M2, 1, R | W), M2);
  const b = pt.walk(0x4000_0000_0000 + 3 * M2 + 0x1234);
  assert.equal([b.ret, Number(b.ptes[2] & 3n), b.ptes[3]], [0, 1, 0n]);
  assert.is(pt.iovaToPhys(0x4000_0000_0000 + 3 * M2 + 0x1234), 0x8000_1234);
  assert.is(pt.map(0x5000_0000_0000, 0x1_0000_0000, G1, 2, R), 2 * G1);
  const g = pt.walk(0x5000_4000_0000);
  assert.equal([Number(g.ptes[1] & 3n), g.ptes[2]], [1, 0n]);
  assert.is(pt.iovaToPhys(0x5000_7fff_ffff), 0x1_7fff_ffff);
});

test('map and unmap stop at the end of one table: the caller loops, as the iommu core does', () => {
  const { pt } = mk();
  assert.is(pt.map(510 * K4, 0x100000, K4, 8, R), 2 * K4); // indices 510, 511 only
  assert.is(pt.iovaToPhys(512 * K4), 0);
  assert.is(pt.map(512 * K4, 0x102000, K4, 6, R), 6 * K4);
  assert.is(pt.unmap(510 * K4, K4, 8), 2 * K4);
  assert.is(pt.unmap(512 * K4, K4, 6), 6 * K4);
});

test('leaf over leaf is -EEXIST and changes nothing; so is a page inside a block', () => {
  const { pt } = mk();
  pt.map(0x10000, 0x20000, K4, 4, R);
  const before = pt.walk(0x12000).ptes[3];
  assert.is(pt.map(0x12000, 0x90000, K4, 1, R | W), -EEXIST);
  assert.is(pt.walk(0x12000).ptes[3], before);
  // A later entry exists: the whole call fails and writes nothing.
  assert.is(pt.map(0xe000, 0x90000, K4, 4, R), -EEXIST);
  assert.is(pt.iovaToPhys(0xe000), 0);
  pt.map(0x800000, 0x800000, M2, 1, R);
  assert.is(pt.map(0x801000, 0x123000, K4, 1, R), -EEXIST);
});

test('a block over a table frees the table and everything under it (flush_walk), then writes the block', () => {
  const { pt, arena, tlb } = mk();
  pt.map(0x600000 + 5 * K4, 0x9000, K4, 1, R);
  const live = pt.liveTables(); // root + L1 + L2 + L3
  assert.is(live, 4);
  assert.is(pt.map(0x600000, 0xa00000, M2, 1, R | W), M2);
  assert.equal(tlb, ['flush_walk 600000 200000 1000']);
  assert.is(pt.liveTables(), 3);
  assert.is(arena.live, 3);
  assert.is(pt.iovaToPhys(0x600000 + 5 * K4), 0xa00000 + 5 * K4);
});

test('unmap: bytes removed with one add_page per entry; a hole gives -ENOENT ((size_t)-2)', () => {
  const { pt, tlb } = mk();
  pt.map(0x100000, 0x200000, K4, 3, R);
  assert.is(pt.unmap(0x100000, K4, 3), 3 * K4);
  assert.equal(tlb, ['add_page 100000 1000', 'add_page 101000 1000', 'add_page 102000 1000']);
  assert.is(pt.iovaToPhys(0x101000), 0);
  assert.is(pt.unmap(0x100000, K4, 1), -ENOENT);
  assert.is(pt.unmap(0x7000_0000_0000, K4, 1), -ENOENT); // nothing at level 0 either
  // A hole after the first entry ends the run without an error.
  pt.map(0x300000, 0x200000, K4, 2, R);
  assert.is(pt.unmap(0x300000, K4, 5), 2 * K4);
});

test('unmapping part of a block returns 0 and leaves the block (no splitting; WARN_ONCE)', () => {
  const { pt } = mk();
  pt.map(0x800000, 0x800000, M2, 1, R);
  assert.is(pt.unmap(0x801000, K4, 1), 0);
  assert.is(pt.iovaToPhys(0x801000), 0x801000);
  assert.equal(pt.warnings(), { warn: 0, warnOnce: 1 });
});

test('unmap with a larger page size over a table removes the table (flush_walk, then add_page)', () => {
  const { pt, tlb, arena } = mk();
  pt.map(0x400000 + K4, 0x1000, K4, 2, R);
  assert.is(arena.live, 4);
  assert.is(pt.unmap(0x400000, M2, 1), M2);
  assert.equal(tlb, ['flush_walk 400000 200000 1000', 'add_page 400000 200000']);
  assert.is(arena.live, 3);
  assert.is(pt.iovaToPhys(0x400000 + K4), 0);
});

test('tables emptied by unmapping their pages stay allocated until replaced or freed', () => {
  const { pt } = mk();
  pt.map(0x200000, 0, K4, 512, R);
  assert.is(pt.liveTables(), 4);
  assert.is(pt.unmap(0x200000, K4, 512), M2);
  assert.is(pt.liveTables(), 4);
});

test('range and argument checks: -ERANGE, -EINVAL, and unmap returning 0', () => {
  const { pt } = mk({ ias: 40, oas: 40 });
  assert.is(pt.map(2 ** 40, 0, K4, 1, R), -ERANGE);
  assert.is(pt.map(0, 2 ** 40, K4, 1, R), -ERANGE);
  assert.is(pt.map(0, 0, 0x10000, 1, R), -EINVAL); // 64K is not in a 4K-granule bitmap
  assert.is(pt.map(0, 0, 0, 1, R), -EINVAL);
  assert.is(pt.map(0, 0, K4, 1, IOMMU_CACHE | IOMMU_NOEXEC), -EINVAL); // neither READ nor WRITE
  assert.is(pt.liveTables(), 1); // nothing was allocated by refused calls
  pt.map(0, 0, K4, 1, R);
  assert.is(pt.unmap(0, K4, 0), 0);
  assert.is(pt.unmap(2 ** 40, K4, 1), 0);
  assert.is(pt.unmap(0, 0x3000, 1), 0);
  assert.is(pt.iovaToPhys(0), 0);
  assert.is(pt.unmap(0, K4, 1), K4);
});

test('iova_to_phys does not range-check: address bits at or above ias alias the in-range address', () => {
  const { pt } = mk({ ias: 32, oas: 32 });
  pt.map(0x1234_5000, 0x8765_4000, K4, 1, R);
  assert.is(pt.iovaToPhys(0x1_1234_5678), 0x8765_4678);
  assert.is(pt.iovaToPhys(0xf000_0000_1234_5678n), 0x8765_4678);
  assert.is(pt.map(0x1_1234_6000, 0, K4, 1, R), -ERANGE); // map does check
});

test('TTBR1 quirk: addresses with every bit above ias set are in range (full 64-bit iova as bigint)', () => {
  const { pt, tlb } = mk({ quirks: IO_PGTABLE_QUIRK_ARM_TTBR1 | IO_PGTABLE_QUIRK_NO_WARN });
  const iova = 0xffff_ffff_ffe0_0000n;
  assert.equal(pt.mapPages(iova, 0x4_0000_0000n, M2, 1, R | W), { ret: 0, mapped: M2 });
  assert.is(pt.iovaToPhys(iova + 0x1234n), 0x4_0000_1234);
  assert.equal(pt.mapPages(0x1000n, 0x1000n, K4, 1, R), { ret: -ERANGE, mapped: 0 });
  assert.is(pt.unmapPages(iova, M2, 1), M2);
  assert.equal(tlb, ['add_page ffffffffffe00000 200000']);
});

test('addresses beyond 2^53: mapPages/unmapPages take bigints; the number forms refuse unsafe integers', () => {
  const { pt } = mk();
  assert.throws(() => pt.map(2 ** 53 + 2, 0, K4, 1, R), /safe integer or a bigint/);
  assert.equal(pt.mapPages(0x1_0000_0000_0000n, 0n, K4, 1, R), { ret: -ERANGE, mapped: 0 });
  assert.throws(() => pt.mapPages(-1n, 0n, K4, 1, R), /64 bits/);
});

test('64K granule with a 52-bit output: PA[51:48] are packed into descriptor bits 15:12', () => {
  const { pt } = mk({ pgsizeBitmap: 0x10000 | 0x20000000, ias: 52, oas: 52 });
  const pa = 0xa_1234_5678_0000; // bits 51:48 = 0xa
  assert.is(pt.map(0x9_0000_0000_0000, pa, 0x10000, 1, R), 0x10000);
  const { ptes } = pt.walk(0x9_0000_0000_0000);
  assert.is((ptes[3] >> 12n) & 0xfn, 0xan);
  assert.is(ptes[3] & 0xffff_ffff_0000n, 0x1234_5678_0000n);
  assert.is(pt.iovaToPhys(0x9_0000_0000_fedc), pa + 0xfedc);
  assert.is(pt.map(0x9_0000_2000_0000, 0xb_0000_2000_0000, 0x20000000, 1, R), 0x20000000); // 512M block at level 2
  assert.is(pt.iovaToPhys(0x9_0000_3fff_ffff), 0xb_0000_3fff_ffff);
});

test('16K granule: 16K pages and 32M blocks', () => {
  const { pt } = mk({ pgsizeBitmap: 0x4000 | 0x2000000 });
  assert.is(pt.map(0x8000_0000, 0x4000_0000, 0x2000000, 1, R), 0x2000000);
  assert.is(pt.map(0x9000_4000, 0x1_0000_0000, 0x4000, 3, R), 0xc000);
  assert.is(pt.iovaToPhys(0x8000_0000 + 0x1ff_ffff), 0x4000_0000 + 0x1ff_ffff);
  assert.is(pt.iovaToPhys(0x9000_4000 + 0x8123), 0x1_0000_8123);
  assert.is(pt.walk(0x9000_4000).ptes[3] & 3n, 3n);
});

test('stage 2 with a concatenated root: index bits above one table reach the second root page; runs stop at its end', () => {
  const { pt } = mk({ fmt: 'ARM_64_LPAE_S2', ias: 40, oas: 40 });
  assert.is(pt.config.pgdBytes, 8192);
  assert.is(pt.map(0x80_0000_0000, 0x1000_0000, G1, 1, R), G1); // root index 512: second page
  const { ptes } = pt.walk(0x80_0000_0000);
  assert.is(ptes[1], 0x1000_0000n | (1n << 10n) | (2n << 8n) | (0x5n << 2n) | (1n << 6n) | 1n);
  assert.is(pt.readPte(pt.pgd + 512 * 8), ptes[1]);
  // Root index 511 with two 1G blocks: only one fits before the root page boundary.
  assert.is(pt.map(0x7f_c000_0000, 0, G1, 2, R), G1);
});

test('-ENOMEM when the allocator is out of memory; tables allocated on the way stay', () => {
  const core = new Core();
  const ram = new WasmRam(core, 1 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const arena = new PageArena(BASE, BASE + 3 * K4); // root + 2 tables
  const pt = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 }, arena);
  assert.is(pt.map(0, 0, K4, 1, R), -ENOMEM);
  assert.is(pt.liveTables(), 3);
  assert.is(pt.map(G1, 0, G1, 1, R), G1); // a 1G block next to the level-2 table needs no new table
  assert.throws(
    () => new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 }, arena),
    /no 4096 bytes for the root/,
  );
});

test('the allocator is asked for max(size, 64) bytes; a misaligned table is refused with a clear error', () => {
  const core = new Core();
  const ram = new WasmRam(core, 1 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const asked: number[] = [];
  let next = BASE;
  const alloc: TableAllocator = {
    alloc: (size) => {
      asked.push(size);
      const a = next;
      next += 4096;
      return a;
    },
    free: () => {},
  };
  const pt = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S2', ias: 32, oas: 32, pgsizeBitmap: 0x40201000 }, alloc);
  assert.equal(asked, [64]); // a 32-byte stage-2 root
  pt.map(0, 0, K4, 1, R);
  assert.equal(asked, [64, 4096, 4096]);
  next = BASE + 0x100800;
  assert.throws(() => pt.map(0x4000_0000, 0, K4, 1, R), /aligned to its size/);
});

test('a table in memory nobody backs is an embedder error: the operation throws', () => {
  const core = new Core();
  const ram = new WasmRam(core, 1 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  let next = BASE;
  const pt = new LpaePageTable(
    core,
    { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 },
    { alloc: () => ((next += 4096), next - 4096), free: () => {} },
  );
  next = 0x9000_0000; // outside RAM, no external memory
  assert.throws(() => pt.map(0, 0, K4, 1, R), /nobody backs/);
});

test('tables in embedder memory (core.external) work like tables in core RAM', () => {
  const core = new Core();
  const mem = new Uint8Array(1 << 20);
  const EXT = 0x2_0000_0000;
  core.external = {
    read: (gpa, dst) => gpa >= EXT && gpa + dst.length <= EXT + mem.length && (dst.set(mem.subarray(gpa - EXT, gpa - EXT + dst.length)), true),
    write: (gpa, src) => gpa >= EXT && gpa + src.length <= EXT + mem.length && (mem.set(src, gpa - EXT), true),
  };
  const pt = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 }, new PageArena(EXT, EXT + mem.length));
  assert.is(pt.map(0x1234_0000, 0x5678_0000, K4, 16, R | W), 16 * K4);
  assert.is(pt.iovaToPhys(0x1234_f123), 0x5678_f123);
  assert.is(pt.pgd, EXT);
  assert.ok(mem.some((b) => b !== 0));
  assert.is(pt.unmap(0x1234_0000, K4, 16), 16 * K4);
});

test('a queued gather gets no add_page callbacks; flush_walk still comes', () => {
  const { pt, tlb } = mk();
  pt.map(0, 0, K4, 4, R);
  assert.is(pt.unmapPages(0, K4, 4, { queued: true }), 4 * K4);
  assert.equal(tlb, []);
  pt.map(K4, 0, K4, 1, R);
  assert.is(pt.unmapPages(0, M2, 1, { queued: true }), M2);
  assert.equal(tlb, ['flush_walk 0 200000 1000']);
});

test('destroy frees every table children-first in index order, root last', () => {
  const core = new Core();
  const ram = new WasmRam(core, 1 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const arena = new PageArena(BASE, BASE + ram.size);
  const freed: string[] = [];
  const pt = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S1', ias: 39, oas: 40, pgsizeBitmap: 0x40201000 }, {
    alloc: (s) => arena.alloc(s),
    free: (gpa, s) => {
      freed.push(`${(gpa - BASE) / K4}:${s}`);
      arena.free(gpa, s);
    },
  });
  pt.map(0, 0, K4, 1, R); // L2 at page 1, L3 at page 2
  pt.map(G1, 0, K4, 1, R); // L2 at page 3, L3 at page 4
  pt.destroy();
  assert.equal(freed, ['2:4096', '1:4096', '4:4096', '3:4096', '0:4096']);
  assert.is(arena.live, 0);
  assert.throws(() => pt.map(0, 0, K4, 1, R), /destroyed/);
});

test('many tables in one core: independent, handles reused, state kept when the record block grows', () => {
  const core = new Core();
  const ram = new WasmRam(core, 8 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const arena = new PageArena(BASE, BASE + ram.size);
  const cfg: LpaeConfig = { fmt: 'ARM_64_LPAE_S1', ias: 32, oas: 32, pgsizeBitmap: 0x40201000 };
  const first = new LpaePageTable(core, cfg, arena);
  first.map(0x1000, 0x5000, K4, 1, R);
  const many = Array.from({ length: 1100 }, () => new LpaePageTable(core, cfg, arena));
  assert.is(first.iovaToPhys(0x1234), 0x5234);
  assert.is(many[1099]!.map(0x1000, 0x7000, K4, 1, R), K4);
  assert.is(many[1099]!.iovaToPhys(0x1234), 0x7234);
  assert.is(first.iovaToPhys(0x1234), 0x5234);
  const h = many[5]!.handle;
  many[5]!.destroy();
  assert.is(new LpaePageTable(core, cfg, arena).handle, h);
});

test('tables used alternately keep their own geometry; a reused handle takes the new table\'s configuration', () => {
  const core = new Core();
  const ram = new WasmRam(core, 1 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const arena = new PageArena(BASE, BASE + ram.size);
  const s1 = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 }, arena);
  const s2 = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S2', ias: 40, oas: 40, pgsizeBitmap: 0x40201000 }, arena);
  for (let i = 0; i < 4; i++) {
    assert.is(s1.map(i * K4, 0x10000 + i * K4, K4, 1, R), K4);
    assert.is(s2.map(i * K4, 0x20000 + i * K4, K4, 1, R), K4);
  }
  assert.equal([s1.iovaToPhys(0x3008), s2.iovaToPhys(0x3008)], [0x13008, 0x23008]);
  assert.is(s1.walk(0x3000).ptes[3] & (1n << 11n), 1n << 11n); // stage-1 nG
  assert.is(s2.walk(0x3000).ptes[3] & (1n << 11n), 0n);
  const h = s1.handle;
  s1.destroy();
  const again = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S2', ias: 32, oas: 32, pgsizeBitmap: 0x40201000 }, arena);
  assert.is(again.handle, h);
  assert.is(again.map(0xffff_f000, 0x5000, K4, 1, R), K4);
  assert.is(again.map(0x1_0000_0000, 0x5000, K4, 1, R), -ERANGE); // ias 32 now
  assert.is(again.walk(0xffff_f000).ptes[1] & 3n, 3n); // 3 levels from level 1
  assert.is(again.iovaToPhys(0xffff_f123), 0x5123);
  assert.is(s2.iovaToPhys(0x3008), 0x23008);
});

test('callbacks may use another table of the same core (the writer resumes on its own table)', () => {
  const core = new Core();
  const ram = new WasmRam(core, 1 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const arena = new PageArena(BASE, BASE + ram.size);
  const other = new LpaePageTable(core, { fmt: 'ARM_64_LPAE_S2', ias: 32, oas: 32, pgsizeBitmap: 0x40201000 }, arena);
  other.map(0x5000, 0x9000, K4, 1, R);
  const seen: number[] = [];
  const pt = new LpaePageTable(
    core,
    { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 },
    // root, then levels 1-3: each allocation looks up the other table
    { alloc: (s) => (seen.push(other.iovaToPhys(0x5123)), arena.alloc(s)), free: (g, s) => (seen.push(other.map(0x6000, 0, K4, 1, R)), arena.free(g, s)) },
    { flushWalk: () => void seen.push(other.unmap(0x6000, K4, 1)), addPage: () => void seen.push(other.iovaToPhys(0x5000)) },
  );
  assert.is(pt.map(0x7000_0000_0000, 0x1000, K4, 2, R | W), 2 * K4);
  assert.is(pt.iovaToPhys(0x7000_0000_1004), 0x2004);
  assert.is(pt.map(0x7000_0000_0000, 0x4000_0000, M2, 1, R), M2); // frees the level-3 table: flush_walk, free
  assert.is(pt.unmap(0x7000_0000_0000, M2, 1), M2);
  assert.equal(seen, [0x9123, 0x9123, 0x9123, 0x9123, -ENOENT, K4, 0x9000]); // flush_walk comes before the free
  assert.is(pt.iovaToPhys(0x7000_0000_1004), 0);
  assert.is(pt.liveTables(), 3);
});

test('Mali LPAE: leaves are 0b01 at every level, no AF, outer shareable even when cacheable', () => {
  const { pt } = mk({ fmt: 'ARM_MALI_LPAE', ias: 48, oas: 40, quirks: 0 });
  assert.is(pt.map(0x1000, 0x2000, K4, 1, R | W | IOMMU_CACHE), K4);
  const pte = pt.walk(0x1000).ptes[3];
  assert.equal([pte & 3n, (pte >> 10n) & 1n, (pte >> 8n) & 3n, (pte >> 6n) & 3n, (pte >> 2n) & 7n], [1n, 0n, 2n, 3n, 1n]);
  assert.is(pt.iovaToPhys(0x1abc), 0x2abc);
});

test('ARM_32_LPAE_S1 maps like stage 1 within its 32-bit input', () => {
  const { pt } = mk({ fmt: 'ARM_32_LPAE_S1', ias: 32, oas: 40 });
  assert.is(pt.map(0xffe0_0000, 0xff_ffe0_0000, M2, 1, R), M2);
  assert.is(pt.iovaToPhys(0xffff_ffff), 0xff_ffff_ffff);
});

test.run();

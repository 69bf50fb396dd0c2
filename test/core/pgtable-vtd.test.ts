// The VT-d second-stage writer against the facts of Linux's generic page table (vtdss format,
// drivers/iommu/generic_pt/iommu_pt.h + fmt/vtdss.h) and of the VT-d spec's second-stage
// entry format (shared/reference/vtd.md 3.1-3.2); every table written is also walked by the
// WASM walk engine and the pure-TS reference walker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Core } from '../../src/core/core.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';
import { IOMMU_READ as R, IOMMU_WRITE as W, IOMMU_CACHE, IOMMU_NOEXEC, EINVAL, ERANGE, ENOMEM, PgtableConfigError, type TableAllocator } from '../../src/core/pgtable.ts';
import { VtdSsPageTable, vtdSsGeometry, ENXIO, EOVERFLOW, EADDRINUSE, type VtdSsWriterConfig } from '../../src/core/pgtable-vtd.ts';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { RefMemory } from './ref/vmsav8.ts';
import { refVtdSsWalk } from './ref/vtd-ss.ts';

const BASE = 0x40000000;
const K4 = 0x1000;
const M2 = 0x200000;
const G1 = 0x40000000;
// Entry bits from the VT-d spec (second-stage entries): R 0, W 1, PS 7, SNP 11, address 51:12.
const PTE_R = 1n;
const PTE_W = 2n;
const PTE_PS = 1n << 7n;
const PTE_SNP = 1n << 11n;
const ADDR = 0x000f_ffff_ffff_f000n;

function mk(cfg: Partial<VtdSsWriterConfig> = {}, opts: { ram?: number; allocator?: TableAllocator } = {}) {
  const core = new Core();
  const ram = new WasmRam(core, opts.ram ?? 16 << 20);
  core.exports.ram_map(BASE, ram.size, ram.coreOffset);
  const arena = new PageArena(BASE, BASE + ram.size);
  const pt = new VtdSsPageTable(core, { addressWidth: 48, pages2M: true, pages1G: true, ...cfg }, opts.allocator ?? arena);
  const walker = new Walker(core);
  assert.is(walker.configureVtdSs(pt.walkerConfig()), A.CFG_OK);
  return { core, ram, arena, pt, walker };
}

/** The entry the writer left for `iova` at generic_pt level `level` (0 = PTE), read by hand from the tables. */
function entryAt(pt: VtdSsPageTable, iova: number, level: number): bigint {
  let table = pt.root;
  for (let l = pt.geometry.topLevel; ; l--) {
    const idx = Number((BigInt(iova) >> BigInt(12 + 9 * l)) & 511n);
    const e = pt.readPte(table + idx * 8);
    if (l === level) return e;
    if (e === 0n) return 0n;
    table = Number(e & ADDR);
  }
}

function walk(w: Walker, iova: number, access: 'read' | 'write' = 'read') {
  w.walk(iova, access);
  return w.result();
}

test('geometry: AGAW 39/48/57 gives 3/4/5 levels and context AW 1/2/3; page sizes follow CAP.SLLPS', () => {
  assert.equal([39, 48, 57].map((a) => [vtdSsGeometry({ addressWidth: a }).levels, vtdSsGeometry({ addressWidth: a }).aw]), [[3, 1], [4, 2], [5, 3]]);
  assert.is(vtdSsGeometry({ addressWidth: 48 }).pgsizeBitmap, K4);
  assert.is(vtdSsGeometry({ addressWidth: 48, pages2M: true }).pgsizeBitmap, K4 | M2);
  assert.is(vtdSsGeometry({ addressWidth: 48, pages2M: true, pages1G: true }).pgsizeBitmap, K4 + M2 + G1);
  // MGAW narrower than the AGAW narrows the domain (4-level AGAW, 39-bit MGAW: a 3-level table).
  assert.equal([vtdSsGeometry({ addressWidth: 48, mgaw: 39 }).levels, vtdSsGeometry({ addressWidth: 48, mgaw: 39 }).vaBits], [3, 39]);
  // vtdss refuses input widths of 30 bits or less (-EOPNOTSUPP); Linux never enforces snooping without ECAP.SC.
  assert.throws(() => vtdSsGeometry({ addressWidth: 48, mgaw: 30 }), (e: unknown) => e instanceof PgtableConfigError);
  assert.throws(() => vtdSsGeometry({ addressWidth: 48, forceSnooping: true }), (e: unknown) => e instanceof PgtableConfigError);
  assert.throws(() => vtdSsGeometry({ addressWidth: 40 }), (e: unknown) => e instanceof RangeError);
});

test('a 4K mapping: leaf = address | R | W without PS, tables R|W; walker and reference walker agree', () => {
  const { pt, walker, ram } = mk();
  const iova = 0x0123_4567_8000;
  assert.is(pt.map(iova, 0x8_7654_3000, K4, 1, R | W), K4);
  assert.is(entryAt(pt, iova, 0), 0x8_7654_3000n | PTE_R | PTE_W);
  for (let l = 3; l >= 1; l--) assert.is(entryAt(pt, iova, l) & 0xfffn, PTE_R | PTE_W, `table entry at level ${l}`);
  assert.is(pt.liveTables(), 4); // top + PDPT + PD + PT
  assert.is(pt.iovaToPhys(iova + 0xabc), 0x8_7654_3abc);
  const r = walk(walker, iova + 0xabc, 'write');
  assert.ok(r.ok);
  assert.equal([r.outputAddress, r.pageShift, r.perm & 3], [0x8_7654_3abc, 12, A.PERM_R | A.PERM_W]);
  const mem = new RefMemory().add(BASE, ram.view());
  const ref = refVtdSsWalk(mem, { root: BigInt(pt.root), aw: 2, haw: 48, mgaw: 0, sllps2m: true, sllps1g: true, snp: false, tm: false, exec: false, ad: false }, BigInt(iova + 0xabc), true, false);
  assert.equal([ref.status, ref.oa, ref.pageShift], [A.ST_OK, BigInt(0x8_7654_3abc), 12]);
});

test('prot: READ -> R only, WRITE -> W only, no R|W -> -EINVAL with a WARN; IOMMU_CACHE/NOEXEC add nothing', () => {
  const { pt, walker } = mk();
  assert.is(pt.map(0x1000, 0x100000, K4, 1, R), K4);
  assert.is(entryAt(pt, 0x1000, 0) & 0xfffn, PTE_R);
  assert.is(pt.map(0x2000, 0x101000, K4, 1, W), K4);
  assert.is(entryAt(pt, 0x2000, 0) & 0xfffn, PTE_W);
  assert.is(pt.map(0x3000, 0x102000, K4, 1, R | W | IOMMU_CACHE | IOMMU_NOEXEC), K4);
  assert.is(entryAt(pt, 0x3000, 0) & 0xfffn, PTE_R | PTE_W);
  assert.is(pt.warnings(), 0);
  assert.is(pt.map(0x4000, 0x103000, K4, 1, IOMMU_CACHE), -EINVAL);
  assert.is(pt.warnings(), 1);
  assert.is(pt.iovaToPhys(0x4000), 0);
  // A read-only page faults a write, a write-only page faults a read.
  assert.not.ok(walk(walker, 0x1000, 'write').ok);
  assert.ok(walk(walker, 0x1000, 'read').ok);
  assert.not.ok(walk(walker, 0x2000, 'read').ok);
});

test('snooping: SNP in leaves only once coherency is enforced (needs ECAP.SC and no mapping yet)', () => {
  const noSc = mk();
  assert.is(noSc.pt.enforceCacheCoherency(), false);
  const late = mk({ snoopControl: true });
  assert.is(late.pt.map(0, 0x100000, K4, 1, R), K4);
  assert.is(late.pt.enforceCacheCoherency(), false); // the domain already has mappings
  const { pt, walker } = mk({ snoopControl: true });
  assert.is(pt.enforceCacheCoherency(), true);
  assert.is(pt.map(0x1000, 0x100000, K4, 1, R | W), K4);
  assert.is(pt.map(M2, 0x400000, M2, 1, R), M2);
  assert.is(entryAt(pt, 0x1000, 0) & 0xfffn, PTE_SNP | PTE_R | PTE_W);
  assert.is(entryAt(pt, M2, 1) & 0xfffn, PTE_SNP | PTE_PS | PTE_R);
  assert.is(entryAt(pt, 0x1000, 1) & PTE_SNP, 0n); // tables never carry SNP (reserved there)
  assert.ok(walk(walker, 0x1000).ok); // the walker with snoop control accepts SNP
  const forced = mk({ snoopControl: true, forceSnooping: true });
  assert.is(forced.pt.map(0, 0x100000, K4, 1, R), K4);
  assert.is(entryAt(forced.pt, 0, 0) & PTE_SNP, PTE_SNP);
});

test('superpages: 2M and 1G leaves carry PS; 512 x 4K at 2M-aligned iova and paddr becomes one 2M leaf', () => {
  const { pt, walker } = mk();
  assert.is(pt.map(G1, 2 * G1, G1, 1, R | W), G1);
  assert.is(entryAt(pt, G1, 2), BigInt(2 * G1) | PTE_PS | PTE_R | PTE_W);
  let r = walk(walker, G1 + 0x12345678);
  assert.equal([r.ok, r.outputAddress, r.pageShift], [true, 2 * G1 + 0x12345678, 30]);
  assert.is(pt.map(4 * M2, 8 * M2, K4, 512, R), M2);
  assert.is(entryAt(pt, 4 * M2, 1), BigInt(8 * M2) | PTE_PS | PTE_R);
  r = walk(walker, 4 * M2 + 0x1234);
  assert.equal([r.ok, r.outputAddress, r.pageShift], [true, 8 * M2 + 0x1234, 21]);
  // paddr not 2M aligned: 4K leaves under a new table.
  assert.is(pt.map(6 * M2, 8 * M2 + K4, K4, 512, R), M2);
  assert.is(entryAt(pt, 6 * M2, 1) & PTE_PS, 0n);
  assert.is(entryAt(pt, 6 * M2 + 511 * K4, 0), BigInt(8 * M2 + 512 * K4) | PTE_R);
  assert.is(walk(walker, 6 * M2 + 5 * K4).pageShift, 12);
});

test('the leaf size is chosen once for the whole range (pt_compute_best_pgsize): 513 x 4K aligned installs two 2M leaves', () => {
  const { pt } = mk();
  // len = 2M + 4K: the largest power of two <= len is 2M and iova/paddr are 2M aligned, so
  // every slot is a 2M leaf and the last one covers past the requested length (upstream maps,
  // and reports, the whole leaf).
  assert.is(pt.map(0, 4 * M2, K4, 513, R), 2 * M2);
  assert.equal([pt.iovaToPhys(M2 + 0x3000), entryAt(pt, M2, 1) & PTE_PS], [5 * M2 + 0x3000, PTE_PS]);
  // 3 x 4K: the largest power of two <= 12K is 8K, so 4K leaves.
  assert.is(pt.map(G1, 0, K4, 3, R), 3 * K4);
  assert.is(entryAt(pt, G1 + 2 * K4, 0), BigInt(2 * K4) | PTE_R);
});

test('superpages only as CAP.SLLPS allows: without 2M support a 2M request is 512 PTEs', () => {
  const { pt, walker } = mk({ pages2M: false, pages1G: false });
  assert.is(pt.map(M2, 2 * M2, M2, 1, R | W), M2);
  assert.is(entryAt(pt, M2, 1) & PTE_PS, 0n);
  const ptes = pt.tables().find((t) => t.level === 0)!;
  assert.is(ptes.entries.length, 512);
  assert.is(walk(walker, M2 + 0x1234).pageShift, 12);
  // pgsize is not checked against the bitmap: an 8K "page" is two 4K leaves.
  assert.is(pt.map(0x10000, 0x20000, 0x2000, 1, R), 0x2000);
  assert.equal([pt.iovaToPhys(0x10000), pt.iovaToPhys(0x11000)], [0x20000, 0x21000]);
});

test('map errors: -ENXIO misaligned, -EINVAL empty, -EOVERFLOW wrap, -ERANGE beyond the aperture or the OA width', () => {
  const { pt } = mk();
  assert.is(pt.map(0x1800, 0x100000, K4, 1, R), -ENXIO);
  assert.is(pt.map(0x1000, 0x100800, K4, 1, R), -ENXIO);
  assert.is(pt.map(0x1800, 0x100000, K4, 2, R), -ENXIO);
  assert.is(pt.map(0x1000, 0x100000, K4, 0, R), -EINVAL);
  assert.is(pt.map(0x1000, 0x100000, 0, 1, R), -EINVAL);
  assert.equal(pt.mapPages(2n ** 64n - 0x1000n, 0, K4, 2, R), { ret: -EOVERFLOW, mapped: 0 });
  assert.is(pt.map(2 ** 48, 0x100000, K4, 1, R), -ERANGE);
  assert.is(pt.map(2 ** 48 - K4, 0x100000, K4, 2, R), -ERANGE); // the last byte leaves the 48-bit aperture
  assert.is(pt.map(2 ** 48 - K4, 0x100000, K4, 1, R), K4); // the last page is fine
  assert.equal(pt.mapPages(0x1000, 2n ** 52n, K4, 1, R), { ret: -ERANGE, mapped: 0 });
  const narrow = mk({ oas: 40 });
  assert.is(narrow.pt.map(0, 2 ** 40, K4, 1, R), -ERANGE);
  assert.is(narrow.pt.map(0, 2 ** 40 - K4, K4, 1, R), K4);
  const nest = mk({ nestParent: true });
  assert.is(nest.pt.map(0, 0x100000, K4, 1, R), -EINVAL); // read-only refused on a nesting parent
  assert.is(nest.pt.map(0, 0x100000, K4, 1, W), K4);
});

test('mapping over present translations: -EADDRINUSE; what was installed before stays and is counted', () => {
  const { pt, arena } = mk();
  assert.is(pt.map(0x2000, 0x100000, K4, 1, R), K4);
  assert.is(pt.map(0x2000, 0x200000, K4, 1, R), -EADDRINUSE);
  assert.is(pt.iovaToPhys(0x2000), 0x100000); // untouched
  assert.equal(pt.mapPages(0, 0x300000, K4, 3, R | W), { ret: -EADDRINUSE, mapped: 2 * K4 });
  assert.equal([pt.iovaToPhys(0), pt.iovaToPhys(0x1000)], [0x300000, 0x301000]);
  // A 4K page inside a 2M leaf, and a 2M leaf over a table that still maps something.
  assert.is(pt.map(M2, 0x400000, M2, 1, R), M2);
  assert.is(pt.map(M2 + K4, 0x100000, K4, 1, R), -EADDRINUSE);
  assert.is(pt.map(0, 0x400000, M2, 1, R), -EADDRINUSE);
  // 2M over a PTE table left empty by unmap: the table is freed and the leaf installed.
  assert.is(pt.unmap(0, K4, 3), 3 * K4);
  const live = pt.liveTables();
  const blocks = arena.live;
  assert.is(pt.map(0, 0x600000, M2, 1, R), M2);
  assert.is(pt.liveTables(), live - 1);
  assert.is(arena.live, blocks - 1);
  assert.is(entryAt(pt, 0, 1), 0x600000n | PTE_PS | PTE_R);
});

test('-ENOMEM when the allocator is exhausted; the pages installed before are reported in mapped', () => {
  const arena = new PageArena(BASE, BASE + 5 * K4); // top + 3 tables + 1 more
  const { pt } = mk({}, { allocator: arena });
  assert.is(pt.map(0, 0x100000, K4, 1, R), K4); // 4 tables
  assert.is(pt.map(M2 - 2 * K4, 0x100000, K4, 4, R) > 0, true); // fifth table: crosses into 2M..4M
  assert.equal(pt.mapPages(2 * M2 - K4, 0x800000, K4, 2, R), { ret: -ENOMEM, mapped: K4 });
  assert.is(pt.iovaToPhys(2 * M2 - K4), 0x800000);
  assert.is(pt.iovaToPhys(2 * M2), 0);
  const full = new PageArena(BASE, BASE + K4);
  const small = mk({}, { allocator: full });
  assert.is(small.pt.map(0, 0x100000, K4, 1, R), -ENOMEM);
  assert.throws(() => mk({}, { allocator: new PageArena(BASE, BASE) }), /no 4096 bytes/);
});

test('unmap returns: exact ranges, a whole large leaf when starting at it, 0 inside it, 0 at a hole, the bytes before a hole', () => {
  const { pt, walker } = mk();
  assert.is(pt.map(0, 0x100000, K4, 4, R), 4 * K4);
  assert.is(pt.unmap(0, K4, 2), 2 * K4);
  assert.equal([pt.iovaToPhys(0), pt.iovaToPhys(K4), pt.iovaToPhys(2 * K4)], [0, 0, 0x102000]);
  assert.is(pt.unmap(0, K4, 1), 0); // a hole at the start
  assert.is(pt.unmap(2 * K4, K4, 8), 2 * K4); // stops at the hole after the two pages
  assert.is(pt.map(M2, 0x400000, M2, 1, R), M2);
  assert.is(pt.unmap(M2 + K4, K4, 1), 0); // inside the leaf: nothing removed
  assert.is(pt.iovaToPhys(M2 + K4), 0x401000);
  assert.is(pt.unmap(M2, K4, 1), M2); // at its start: the whole leaf, more than asked
  assert.is(pt.iovaToPhys(M2 + K4), 0);
  assert.not.ok(walk(walker, M2).ok);
  assert.is(pt.map(G1, 0, G1, 1, R), G1);
  assert.is(pt.unmap(G1, M2, 1), G1);
  // bad ranges unmap nothing
  assert.is(pt.map(0, 0x100000, K4, 1, R), K4);
  assert.is(pt.unmap(0, K4, 0), 0);
  assert.is(pt.unmap(0, 0, 1), 0);
  assert.is(pt.unmap(2 ** 48 - K4, K4, 2), 0);
  assert.is(pt.unmap(2n ** 64n - 0x1000n, K4, 2), 0);
  assert.is(pt.iovaToPhys(0), 0x100000);
});

test('table pages: freed when the unmap covers their whole span, kept otherwise (even empty); destroy frees all', () => {
  const { pt, arena } = mk();
  assert.is(pt.map(2 * M2, 0x100000 + K4, K4, 512, R), M2); // 4K leaves (paddr not 2M aligned)
  assert.is(pt.liveTables(), 4);
  assert.is(pt.unmap(2 * M2, K4, 511), 511 * K4);
  assert.is(pt.liveTables(), 4); // partial: the PTE table stays
  assert.is(pt.unmap(2 * M2 + 511 * K4, K4, 1), K4);
  assert.is(pt.liveTables(), 4); // now empty but never covered by one unmap: kept
  assert.is(pt.tables().find((t) => t.level === 0)!.entries.length, 0);
  assert.is(pt.map(4 * M2, 0x100000 + K4, K4, 512, R), M2);
  assert.is(pt.liveTables(), 5);
  assert.is(pt.unmap(4 * M2, M2, 1), M2); // covers the table's whole span
  assert.is(pt.liveTables(), 4);
  assert.is(entryAt(pt, 4 * M2, 1), 0n);
  // The span check is per table: 2M..6M covers the 4M..6M table but the 2M..4M one hits a hole first.
  assert.is(pt.map(4 * M2, 0x100000 + K4, K4, 512, R), M2);
  assert.is(pt.unmap(0, G1, 1), 0); // a hole at 0 stops everything
  assert.is(pt.liveTables(), 5);
  pt.destroy();
  assert.is(arena.live, 0);
});

test('iova_to_phys: offsets inside leaves of each size, 0 unmapped, -ERANGE beyond the aperture', () => {
  const { pt } = mk();
  assert.is(pt.map(3 * G1, G1, G1, 1, R), G1);
  assert.is(pt.map(M2, 0x600000, M2, 1, R), M2);
  assert.is(pt.map(0x5000, 0x7000, K4, 1, R), K4);
  assert.equal([pt.iovaToPhys(3 * G1 + 0x3456789), pt.iovaToPhys(M2 + 0x1fffff), pt.iovaToPhys(0x5fff)], [G1 + 0x3456789, 0x7fffff, 0x7fff]);
  assert.equal([pt.iovaToPhys(0x6000), pt.iovaToPhys(4 * G1), pt.iovaToPhys(2 ** 47)], [0, 0, 0]);
  assert.is(pt.iovaToPhys(2 ** 48), -ERANGE);
});

test('3-level (39-bit) and 5-level (57-bit) tables: aperture, levels and the walker agree', () => {
  const three = mk({ addressWidth: 39 });
  assert.is(three.pt.map(2 ** 39, 0, K4, 1, R), -ERANGE);
  assert.is(three.pt.map(2 ** 39 - K4, 0x100000, K4, 1, R), K4);
  assert.is(three.pt.liveTables(), 3);
  let r = walk(three.walker, 2 ** 39 - K4 + 8);
  assert.equal([r.ok, r.outputAddress], [true, 0x100008]);
  const five = mk({ addressWidth: 57 });
  const hi = 2n ** 56n + 0x1234_5000n;
  assert.equal(five.pt.mapPages(hi, 0x200000, K4, 1, R | W), { ret: 0, mapped: K4 });
  assert.is(five.pt.liveTables(), 5);
  assert.is(five.pt.iovaToPhys(hi + 0x10n), 0x200010);
  five.walker.walk(hi + 0x10n, 'write');
  r = five.walker.result();
  assert.equal([r.ok, r.outputAddress, r.pageShift], [true, 0x200010, 12]);
  assert.is(five.pt.unmap(hi, K4, 1), K4);
  assert.is(five.pt.iovaToPhys(hi), 0);
});

test('a unit without coherent page walks asks for cache flushes after table writes; a coherent one never', () => {
  const inc = mk({ coherent: false });
  assert.is(inc.pt.map(0, 0x100000, K4, 1, R), K4);
  assert.ok(inc.pt.cacheFlushes() > 0);
  const coh = mk();
  assert.is(coh.pt.map(0, 0x100000, K4, 1, R), K4);
  assert.is(coh.pt.cacheFlushes(), 0);
});

test.run();

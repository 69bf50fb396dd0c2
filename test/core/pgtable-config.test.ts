// Configuration of the LPAE writer as Linux's io-pgtable-arm does it: restricted
// ias/oas/pgsize_bitmap, levels and root size (stage-2 concatenation per Arm DDI0487 R_DXBSH /
// R_SRKBC), register values (TCR/MAIR, VTCR, Mali TRANSTAB), and the configurations Linux
// refuses. Numbers come from the Arm architecture and the vectors' README, not from our code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  lpaeGeometry,
  lpaeRegisters,
  PgtableConfigError,
  IOMMU_READ,
  IOMMU_WRITE,
  IOMMU_CACHE,
  IOMMU_NOEXEC,
  IOMMU_MMIO,
  IOMMU_PRIV,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
  IO_PGTABLE_QUIRK_ARM_HD,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IO_PGTABLE_QUIRK_NO_WARN,
  type LpaeConfig,
} from '../../src/core/pgtable.ts';

const SZ_4K_2M_1G = 0x40201000;
const SZ_16K_32M = 0x4000 | 0x2000000;
const SZ_64K_512M = 0x10000 | 0x20000000;
const geo = (c: Partial<LpaeConfig>) => lpaeGeometry({ fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: SZ_4K_2M_1G, ...c });
const refused = (c: Partial<LpaeConfig>, re: RegExp) =>
  assert.throws(() => geo(c), (e: unknown) => e instanceof PgtableConfigError && re.test((e as Error).message));

test('Linux prot flags and quirk bits have their include/linux values', () => {
  assert.equal([IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE, IOMMU_NOEXEC, IOMMU_MMIO, IOMMU_PRIV], [1, 2, 4, 8, 16, 32]);
  assert.equal(
    [IO_PGTABLE_QUIRK_ARM_NS, IO_PGTABLE_QUIRK_ARM_TTBR1, IO_PGTABLE_QUIRK_ARM_OUTER_WBWA, IO_PGTABLE_QUIRK_ARM_HD, IO_PGTABLE_QUIRK_ARM_S2FWB, IO_PGTABLE_QUIRK_NO_WARN],
    [0x1, 0x20, 0x40, 0x80, 0x100, 0x200],
  );
});

test('4K granule: 48-bit input starts at level 0, 39-bit at level 1, 32-bit at level 1 with a 32-byte root', () => {
  const g48 = geo({});
  assert.equal([g48.granule, g48.bitsPerLevel, g48.startLevel, g48.levels, g48.pgdBits, g48.pgdBytes, g48.ptesPerTable], [4096, 9, 0, 4, 9, 4096, 512]);
  const g39 = geo({ ias: 39 });
  assert.equal([g39.startLevel, g39.pgdBits, g39.pgdBytes], [1, 9, 4096]);
  const g32 = geo({ ias: 32, oas: 32 });
  assert.equal([g32.startLevel, g32.pgdBits, g32.pgdBytes], [1, 2, 32]);
});

test('page sizes are restricted to the granule\'s leaf sizes and ias/oas to 48 bits (52 with 64K)', () => {
  const g = geo({ pgsizeBitmap: 0x40201000 | 0x4000 | 0x10000 | 0x800, ias: 52, oas: 52 });
  assert.is(g.pgsizeBitmap, SZ_4K_2M_1G);
  assert.equal([g.ias, g.oas], [48, 48]);
  const g64 = geo({ pgsizeBitmap: SZ_64K_512M + 2 ** 42, ias: 52, oas: 52 });
  assert.is(g64.pgsizeBitmap, SZ_64K_512M + 2 ** 42); // 4 TB level-1 blocks only with a 52-bit OA
  assert.equal([g64.ias, g64.oas, g64.startLevel, g64.pgdBits, g64.bitsPerLevel], [52, 52, 1, 10, 13]);
  assert.is(geo({ pgsizeBitmap: SZ_64K_512M + 2 ** 42, oas: 48 }).pgsizeBitmap, SZ_64K_512M);
});

test('the host page size picks the granule when the bitmap offers several', () => {
  const all = 0x1000 | 0x4000 | 0x10000;
  assert.is(geo({ pgsizeBitmap: all }).granule, 4096);
  assert.is(geo({ pgsizeBitmap: all, hostPageSize: 16384 }).granule, 16384);
  assert.is(geo({ pgsizeBitmap: all, hostPageSize: 65536 }).granule, 65536);
  // None equals PAGE_SIZE and none is smaller: the smallest larger one.
  assert.is(geo({ pgsizeBitmap: 0x4000 | 0x10000 }).granule, 16384);
});

test('16K granule: 48-bit stage 1 starts at level 0 with a 2-entry root', () => {
  const g = geo({ pgsizeBitmap: SZ_16K_32M });
  assert.equal([g.granule, g.bitsPerLevel, g.startLevel, g.pgdBits, g.pgdBytes], [16384, 11, 0, 1, 16]);
});

test('stage 2 concatenates the root where the architecture requires it', () => {
  const s2 = (c: Partial<LpaeConfig>) => geo({ fmt: 'ARM_64_LPAE_S2', ...c });
  // R_DXBSH: 16K, 48-bit input: level 1 with 2 concatenated tables.
  const a = s2({ pgsizeBitmap: SZ_16K_32M });
  assert.equal([a.startLevel, a.pgdBytes], [1, 2 * 16384]);
  // R_SRKBC: 4K with a 40-bit PA: level 1, 2 tables; 42-bit: 8 tables.
  const b = s2({ ias: 40, oas: 40 });
  assert.equal([b.startLevel, b.pgdBits, b.pgdBytes, b.levels], [1, 10, 8192, 3]);
  const c = s2({ ias: 42, oas: 42 });
  assert.equal([c.startLevel, c.pgdBytes], [1, 8 * 4096]);
  // 16K with a 40-bit PA: level 2, 16 tables.
  const d = s2({ pgsizeBitmap: SZ_16K_32M, ias: 40, oas: 40 });
  assert.equal([d.startLevel, d.pgdBytes], [2, 16 * 16384]);
  // No concatenation for a 48-bit PA with 4K.
  const e = s2({});
  assert.equal([e.startLevel, e.pgdBytes], [0, 4096]);
  // 4K, 48-bit input, 40-bit PA: 512 tables would be needed, more than 16: refused.
  assert.throws(() => s2({ ias: 48, oas: 40 }), /more than 16/);
});

test('stage-1 registers: TCR fields, composed TCR, sign-extended MAIR, TTBR = root', () => {
  const r = lpaeRegisters(geo({}), 0x40000000);
  assert.is(r.kind, 's1');
  if (r.kind !== 's1') return;
  assert.equal(r.tcr, { ips: 5, tg: 0, sh: 3, orgn: 1, irgn: 1, tsz: 16 });
  assert.is(r.tcrComposed, 0x500003510n);
  assert.is(r.mair, 0xfffffffff404ff44n);
  assert.is(r.ttbr, 0x40000000n);
  const ips = (oas: number) => {
    const x = lpaeRegisters(geo({ oas, ias: 32 }), 0);
    return x.kind === 's1' ? x.tcr.ips : -1;
  };
  assert.equal([32, 36, 40, 42, 44, 48].map(ips), [0, 1, 2, 3, 4, 5]);
});

test('stage-1 TG: TG0 encodings, and TG1 encodings with the TTBR1 quirk', () => {
  const tg = (bitmap: number, quirks = 0) => {
    const r = lpaeRegisters(geo({ pgsizeBitmap: bitmap, quirks }), 0);
    return r.kind === 's1' ? r.tcr.tg : -1;
  };
  assert.equal([tg(SZ_4K_2M_1G), tg(SZ_64K_512M), tg(SZ_16K_32M)], [0, 1, 2]);
  const t1 = IO_PGTABLE_QUIRK_ARM_TTBR1;
  assert.equal([tg(SZ_16K_32M, t1), tg(SZ_4K_2M_1G, t1), tg(SZ_64K_512M, t1)], [1, 2, 3]);
});

test('non-coherent walks: outer-shareable, non-cacheable; OUTER_WBWA makes the outer write-back', () => {
  const nc = lpaeRegisters(geo({ coherentWalk: false }), 0);
  assert.ok(nc.kind === 's1' && nc.tcr.sh === 2 && nc.tcr.irgn === 0 && nc.tcr.orgn === 0);
  const wb = lpaeRegisters(geo({ coherentWalk: false, quirks: IO_PGTABLE_QUIRK_ARM_OUTER_WBWA }), 0);
  assert.ok(wb.kind === 's1' && wb.tcr.sh === 2 && wb.tcr.irgn === 0 && wb.tcr.orgn === 1);
  refused({ quirks: IO_PGTABLE_QUIRK_ARM_OUTER_WBWA }, /OUTER_WBWA with a coherent walk/);
});

test('stage-2 registers: VTCR fields with SL0 = ~(start+1) & 3 for 4K, composed VTCR_EL2', () => {
  const r = lpaeRegisters(geo({ fmt: 'ARM_64_LPAE_S2', ias: 40, oas: 40 }), 0x40000000);
  assert.is(r.kind, 's2');
  if (r.kind !== 's2') return;
  assert.equal(r.vtcr, { ps: 2, tg: 0, sh: 3, orgn: 1, irgn: 1, sl: 1, tsz: 24 });
  assert.is(r.vtcrComposed, 0x23558n);
  assert.is(r.vttbr, 0x40000000n);
  const r48 = lpaeRegisters(geo({ fmt: 'ARM_64_LPAE_S2' }), 0);
  assert.ok(r48.kind === 's2' && r48.vtcr.sl === 2); // level 0 start
  const r16 = lpaeRegisters(geo({ fmt: 'ARM_64_LPAE_S2', pgsizeBitmap: SZ_16K_32M }), 0);
  assert.ok(r16.kind === 's2' && r16.vtcr.sl === 2 && r16.vtcr.tg === 2); // 16K: SL0 = ~1 & 3, level 1
});

test('Mali LPAE: always a 4-level table, TRANSTAB and MEMATTR as Linux builds them', () => {
  const g = lpaeGeometry({ fmt: 'ARM_MALI_LPAE', ias: 39, oas: 40, pgsizeBitmap: SZ_4K_2M_1G }); // 3 levels would do
  assert.equal([g.startLevel, g.pgdBits, g.pgdBytes], [0, 0, 8]);
  const r = lpaeRegisters(g, 0x80000000);
  assert.ok(r.kind === 'mali');
  if (r.kind !== 'mali') return;
  assert.is(r.transtab, 0x80000000n | 0x3n | 0x4n | 0x10n);
  assert.is(r.memattr, 0x888d88n);
  assert.throws(() => lpaeGeometry({ fmt: 'ARM_MALI_LPAE', ias: 48, oas: 48, pgsizeBitmap: SZ_4K_2M_1G }), /oas <= 40/);
});

test('configurations Linux refuses', () => {
  refused({ oas: 39, ias: 32 }, /oas 39 has no IPS encoding/);
  refused({ pgsizeBitmap: 0x200000 }, /no 4K, 16K or 64K granule/);
  refused({ fmt: 'ARM_64_LPAE_S2', quirks: IO_PGTABLE_QUIRK_ARM_NS }, /stage-2 quirks/);
  refused({ quirks: IO_PGTABLE_QUIRK_ARM_S2FWB }, /stage-1 quirks/);
  refused({ fmt: 'ARM_32_LPAE_S1', ias: 40, oas: 40 }, /ias <= 32/);
  refused({ ias: 12, oas: 32 }, /leaves no bits/);
  assert.throws(() => geo({ fmt: 'ARM_V7S' as never }), /unknown LPAE format/);
  assert.throws(() => geo({ pgsizeBitmap: -1 }), /pgsizeBitmap/);
  const ok = geo({ fmt: 'ARM_32_LPAE_S1', ias: 32, oas: 40, pgsizeBitmap: 0x40201000 | 0x10000 });
  assert.is(ok.pgsizeBitmap, SZ_4K_2M_1G);
});

test.run();

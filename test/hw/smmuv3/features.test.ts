// SMMUv3 features of the 'full' preset: hardware access-flag and dirty-state updates (CD.HA/HD,
// IDR0.HTTU = 2), MSIs for the event queue and GERROR, range invalidation (IDR3.RIL), CD.HA
// refused by the QEMU 7.2 preset (HTTU = 0), and snapshot/restore.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/smmuv3.ts';
import { CDTAB, RAM_BASE, STRTAB, buildS1, cmdSync, cmdTlbiNhVa, linuxCd, rawCmd, s1Ste, smmuFixture, ste } from './fixture.ts';

const SID = 2;
const PA = RAM_BASE + 0x70_0000;

function leafOf(t: ReturnType<typeof smmuFixture>, ttb: number, iova: number): number {
  let a = ttb;
  for (let l = 0; l < 3; l++) a = Number(t.get64(a + (Math.floor(iova / 2 ** (39 - 9 * l)) % 512) * 8) & 0xffff_ffff_f000n);
  return a + (Math.floor(iova / 4096) % 512) * 8;
}

test('HTTU: with CD.HA the SMMU sets AF in the leaf; with CD.HD a write makes a writable-clean (DBM) page dirty', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  const ttb = buildS1(t.put64, [{ iova: 0x1000, pa: PA, af: false }, { iova: 0x2000, pa: PA + 0x1000, ap: 3 }]);
  const dbmLeaf = leafOf(t, ttb, 0x2000);
  t.put64(dbmLeaf, t.get64(dbmLeaf) | (1n << 51n)); // DBM: writable-clean (AP[2] = 1)
  t.putWords(CDTAB, linuxCd(ttb, 1, { HA: 1, HD: 1 }));
  t.putWords(STRTAB + SID * 64, s1Ste(CDTAB));
  assert.ok(t.dma(SID, 0x1000).ok);
  assert.is((t.get64(leafOf(t, ttb, 0x1000)) >> 10n) & 1n, 1n, 'AF set by hardware');
  assert.ok(t.dma(SID, 0x2000, true).ok);
  assert.is((t.get64(dbmLeaf) >> 7n) & 1n, 0n, 'AP[2] cleared: dirty');
  assert.equal(t.events(), []);
});

test('the QEMU 7.2 preset (HTTU = 0) refuses CD.HA = 1 with C_BAD_CD', () => {
  const t = smmuFixture();
  t.bringUp();
  t.putWords(CDTAB, linuxCd(buildS1(t.put64, [{ iova: 0x1000, pa: PA }]), 1, { HA: 1 }));
  t.putWords(STRTAB + SID * 64, s1Ste(CDTAB));
  const r = t.dma(SID, 0x1000);
  assert.ok(!r.ok && r.fault === 'C_BAD_CD');
});

test('MSIs (full preset): an event writes EVENTQ_IRQ_CFG1 at EVENTQ_IRQ_CFG0; a command error writes GERROR_IRQ_CFG1 at GERROR_IRQ_CFG0', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  const evMsi = RAM_BASE + 0x6000;
  const gerMsi = RAM_BASE + 0x6008;
  t.w64(R.SMMU_EVENTQ_IRQ_CFG0, BigInt(evMsi));
  t.w32(R.SMMU_EVENTQ_IRQ_CFG1, 0xe1);
  t.w64(R.SMMU_GERROR_IRQ_CFG0, BigInt(gerMsi));
  t.w32(R.SMMU_GERROR_IRQ_CFG1, 0x9e);
  t.pulses.length = 0;
  t.putWords(STRTAB + SID * 64, ste({ V: 1, CONFIG: R.SMMU_STE_CONFIG_NESTED })); // S2AA64 = 0: C_BAD_STE
  assert.ok(!t.dma(SID, 0).ok);
  assert.is(t.get64(evMsi) & 0xffff_ffffn, 0xe1n);
  t.submit(rawCmd(0x7f));
  assert.is(t.get64(gerMsi) & 0xffff_ffffn, 0x9en);
  assert.equal(t.pulses, [], 'no wired interrupt when MSIs are configured');
});

test('range TLBI (IDR3.RIL): TG = 4K, NUM = 1, SCALE = 1 invalidates 4 pages from ADDR, not the fifth', () => {
  const t = smmuFixture();
  t.bringUp();
  const maps = [0, 1, 2, 3, 4].map((i) => ({ iova: 0x10_0000 + i * 0x1000, pa: PA + i * 0x1000 }));
  const ttb = buildS1(t.put64, maps);
  t.putWords(CDTAB, linuxCd(ttb, 1));
  t.putWords(STRTAB + SID * 64, s1Ste(CDTAB));
  for (const m of maps) assert.ok(t.dma(SID, m.iova).ok);
  for (const m of maps) t.put64(leafOf(t, ttb, m.iova), 0n);
  t.submit(cmdTlbiNhVa(1, 0x10_0000, { TG: 1, NUM: 1, SCALE: 1 }), cmdSync());
  assert.equal(maps.map((m) => t.dma(SID, m.iova).ok), [false, false, false, false, true]);
});

test('snapshot/restore: registers and IOTLB survive; the configuration is fetched again', () => {
  const t = smmuFixture();
  t.bringUp();
  const ttb = buildS1(t.put64, [{ iova: 0x1000, pa: PA }]);
  t.putWords(CDTAB, linuxCd(ttb, 1));
  t.putWords(STRTAB + SID * 64, s1Ste(CDTAB));
  assert.ok(t.dma(SID, 0x1000).ok);
  const snap = JSON.parse(JSON.stringify(t.smmu.snapshot()));
  t.put64(leafOf(t, ttb, 0x1000), 0n); // unmapped without TLBI: the IOTLB still answers
  t.smmu.reset();
  assert.is(t.r32(R.SMMU_CR0), 0);
  t.smmu.restore(snap);
  assert.is(t.r32(R.SMMU_CR0ACK), 0xd);
  const r = t.dma(SID, 0x1000);
  assert.ok(r.ok && r.pa === PA, 'the restored IOTLB entry answers');
  assert.throws(() => t.smmu.restore({ ...snap, version: 2 }), /expected an smmuv3 snapshot of version 1/);
});

test.run();

// SMMUv3 stage 2 and nesting with the 'full' preset (smmuv3.md f.3, f.5, d.1): S2-only streams
// translate IPA -> PA with S2AP permissions and S2R recording; nested streams translate every
// stage-1 table address and the CD address through stage 2, and a stage-2 fault while fetching
// a stage-1 table is reported with S2 = 1 and CLASS = TT, with the table's IPA.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/smmuv3.ts';
import { fld, fldn } from '../../../src/hw/smmuv3/fields.ts';
import { CDTAB, PGT, RAM_BASE, STRTAB, buildS1, cmdCfgiSte, cmdSync, linuxCd, smmuFixture, ste } from './fixture.ts';

const S2ROOT = RAM_BASE + 0x60_0000; // level-1 table (T0SZ 25, SL0 1: 39-bit IPA, start level 1)
const S2L2 = S2ROOT + 0x1000;
const VMID = 9;

/** Stage 2 maps IPA [0x4000_0000, +1 GiB) 1:1 with 2 MiB blocks (read/write), except IPA 0x4080_0000 read-only. */
function s2Tables(put64: (pa: number, v: bigint) => void, opts: { hole?: number } = {}) {
  put64(S2ROOT + 1 * 8, BigInt(S2L2) | 3n); // IPA 1 GiB..2 GiB
  for (let i = 0; i < 512; i++) {
    const ipa = 0x4000_0000 + i * 0x20_0000;
    if (opts.hole === ipa) continue;
    const s2ap = ipa === 0x4080_0000 ? 1n : 3n;
    put64(S2L2 + i * 8, BigInt(ipa) | 1n | (0xfn << 2n) | (s2ap << 6n) | (3n << 8n) | (1n << 10n));
  }
}
function s2Ste(config: number, extra: Record<string, bigint | number> = {}) {
  return ste({ V: 1, CONFIG: config, S2VMID: VMID, S2T0SZ: 25, S2SL0: 1, S2TG: 0, S2PS: 5, S2AA64: 1, S2R: 1, S2TTB: BigInt(S2ROOT) >> 4n, ...extra });
}

test('stage 2 only: IPA -> PA through 2 MiB blocks; S2AP read-only refuses writes with F_PERMISSION, S2 = 1, IPA recorded', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  s2Tables(t.put64);
  t.putWords(STRTAB + 4 * 64, s2Ste(R.SMMU_STE_CONFIG_S2_TRANS));
  const r = t.dma(4, 0x4012_3456);
  assert.ok(r.ok && r.pa === 0x4012_3456 && r.pageSize === 0x20_0000);
  assert.ok(t.dma(4, 0x4080_0010).ok);
  assert.ok(!t.dma(4, 0x4080_0010, true).ok);
  const e = t.events()[0]!;
  assert.is(fldn(e, 'EVT_FAULT', 'EVENTID'), R.SMMU_EVENT_F_PERMISSION);
  assert.is(fldn(e, 'EVT_FAULT', 'S2'), 1);
  assert.is(fldn(e, 'EVT_FAULT', 'CLASS'), R.SMMU_EVT_FAULT_CLASS_IN);
  assert.is(fld(e, 'EVT_FAULT', 'IPA') << 12n, 0x4080_0000n);
  // S2R = 0: the fault is not recorded.
  t.putWords(STRTAB + 4 * 64, s2Ste(R.SMMU_STE_CONFIG_S2_TRANS, { S2R: 0 }));
  t.submit(cmdCfgiSte(4), cmdSync());
  assert.ok(!t.dma(4, 0x4080_0020, true).ok);
  assert.is(t.events().length, 1);
});

test('stage 2 checks: S2TG = 3, S2SL0 = 3, S2AA64 = 0, S2S = 1, S2TTB beyond S2PS are C_BAD_STE', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  const bad: Record<string, number | bigint>[] = [{ S2TG: 3 }, { S2SL0: 3 }, { S2AA64: 0 }, { S2S: 1 }, { S2PS: 0, S2TTB: (1n << 33n) >> 4n }];
  bad.forEach((x, i) => t.putWords(STRTAB + (10 + i) * 64, s2Ste(R.SMMU_STE_CONFIG_S2_TRANS, x)));
  bad.forEach((_x, i) => assert.ok(!t.dma(10 + i, 0x4000_0000).ok));
  assert.equal(t.events().map((e) => fldn(e, 'EVT', 'EVENTID')), bad.map(() => R.SMMU_EVENT_C_BAD_STE));
});

test('nested: CD and stage-1 tables are IPAs; the output goes through stage 2', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  s2Tables(t.put64);
  const ttb = buildS1(t.put64, [{ iova: 0x1000, pa: 0x4070_0000 }]);
  t.putWords(CDTAB, linuxCd(ttb, 5));
  t.putWords(STRTAB + 6 * 64, s2Ste(R.SMMU_STE_CONFIG_NESTED, { S1CONTEXTPTR: BigInt(CDTAB) >> 6n }));
  const r = t.dma(6, 0x1234);
  assert.ok(r.ok && r.pa === 0x4070_0234, JSON.stringify(r));
});

test('nested: a stage-2 fault on a stage-1 table fetch is S2 = 1, CLASS = TT with the table IPA', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  s2Tables(t.put64, { hole: PGT & ~0x1f_ffff }); // stage 2 does not map the stage-1 tables
  const ttb = buildS1(t.put64, [{ iova: 0x1000, pa: 0x4070_0000 }]);
  t.putWords(CDTAB, linuxCd(ttb, 5));
  t.putWords(STRTAB + 6 * 64, s2Ste(R.SMMU_STE_CONFIG_NESTED, { S1CONTEXTPTR: BigInt(CDTAB) >> 6n }));
  const r = t.dma(6, 0x1234);
  assert.ok(!r.ok && r.fault === 'F_TRANSLATION');
  const e = t.events()[0]!;
  assert.is(fldn(e, 'EVT_FAULT', 'S2'), 1);
  assert.is(fldn(e, 'EVT_FAULT', 'CLASS'), R.SMMU_EVT_FAULT_CLASS_TT);
  assert.is(fld(e, 'EVT_FAULT', 'IPA') << 12n, BigInt(ttb), 'the IPA of the stage-1 root table');
  assert.is(fld(e, 'EVT_FAULT', 'INPUT_ADDR'), 0x1234n);
});

test('nested: a stage-2 fault fetching the CD is S2 = 1, CLASS = CD', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  s2Tables(t.put64, { hole: CDTAB & ~0x1f_ffff });
  t.putWords(STRTAB + 6 * 64, s2Ste(R.SMMU_STE_CONFIG_NESTED, { S1CONTEXTPTR: BigInt(CDTAB) >> 6n }));
  assert.ok(!t.dma(6, 0x1234).ok);
  const e = t.events()[0]!;
  assert.is(fldn(e, 'EVT_FAULT', 'EVENTID'), R.SMMU_EVENT_F_TRANSLATION);
  assert.is(fldn(e, 'EVT_FAULT', 'S2'), 1);
  assert.is(fldn(e, 'EVT_FAULT', 'CLASS'), R.SMMU_EVT_FAULT_CLASS_CD);
});

test.run();

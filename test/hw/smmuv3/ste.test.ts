// STE, L1STD and L1CD rules from the SMMUv3 specification (IHI 0070 5.1-5.3, 5.2.2), checked
// through translations: which configurations abort silently, which are C_BAD_STE, which make
// the StreamID invalid (C_BAD_STREAMID) and which fields are ignored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/smmuv3.ts';
import { fldn } from '../../../src/hw/smmuv3/fields.ts';
import { CDTAB, RAM_BASE, STRTAB, buildS1, cmdSync, linuxCd, rawCmd, s1Ste, smmuFixture, ste } from './fixture.ts';

const ids = (t: ReturnType<typeof smmuFixture>) => t.events().map((e) => [fldn(e, 'EVT', 'EVENTID'), fldn(e, 'EVT', 'SID')]);

test('Config 0b001-0b011 are reserved and behave as 0b000: abort without an event (5.2)', () => {
  const t = smmuFixture();
  t.bringUp();
  for (const c of [1, 2, 3]) t.putWords(STRTAB + c * 64, ste({ V: 1, CONFIG: c }));
  for (const c of [1, 2, 3]) {
    const r = t.dma(c, 0x1000);
    assert.ok(!r.ok && r.fault === 'STE_ABORT');
  }
  assert.equal(t.events(), []);
});

test('S1STALLD = 1 without stalls is C_BAD_STE; STRW = EL2 without Hyp is ignored; STRW = 0b01 is ILLEGAL; EATS ignored without ATS', () => {
  const t = smmuFixture();
  t.bringUp();
  t.putWords(CDTAB, linuxCd(buildS1(t.put64, [{ iova: 0x1000, pa: RAM_BASE + 0x70_0000 }]), 1));
  t.putWords(STRTAB + 1 * 64, s1Ste(CDTAB, { S1STALLD: 1 }));
  t.putWords(STRTAB + 2 * 64, s1Ste(CDTAB, { STRW: 2 }));
  t.putWords(STRTAB + 3 * 64, s1Ste(CDTAB, { STRW: 1 }));
  t.putWords(STRTAB + 4 * 64, s1Ste(CDTAB, { EATS: 1 }));
  assert.ok(!t.dma(1, 0x1000).ok);
  assert.ok(t.dma(2, 0x1000).ok, 'STRW = EL2 behaves as NS-EL1');
  assert.ok(!t.dma(3, 0x1000).ok);
  assert.ok(t.dma(4, 0x1000).ok, 'EATS is ignored when IDR0.ATS = 0');
  assert.equal(ids(t), [[R.SMMU_EVENT_C_BAD_STE, 1], [R.SMMU_EVENT_C_BAD_STE, 3]]);
});

test('2-level stream table: SPAN 0, SPAN > SPLIT + 1 and an index beyond 2^(SPAN-1) are C_BAD_STREAMID (5.1)', () => {
  const t = smmuFixture();
  t.bringUp();
  // 2-level, SPLIT 4 (16 STEs per L2 table), LOG2SIZE 8.
  t.w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK);
  t.w32(R.SMMU_STRTAB_BASE_CFG, (1 << R.SMMU_STRTAB_BASE_CFG_FMT_SHIFT) | (4 << R.SMMU_STRTAB_BASE_CFG_SPLIT_SHIFT) | 8);
  t.w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK | R.SMMU_CR0_SMMUEN_MASK);
  const L2 = RAM_BASE + 0x18_0000;
  t.put64(STRTAB + 0 * 8, BigInt(L2) | 5n); // SPAN = SPLIT + 1: 16 STEs
  t.put64(STRTAB + 1 * 8, BigInt(L2) | 3n); // SPAN 3: 4 STEs
  t.put64(STRTAB + 2 * 8, 0n); // SPAN 0: no table
  t.put64(STRTAB + 3 * 8, BigInt(L2) | 6n); // SPAN > SPLIT + 1
  for (let i = 0; i < 16; i++) t.putWords(L2 + i * 64, ste({ V: 1, CONFIG: R.SMMU_STE_CONFIG_BYPASS }));
  assert.ok(t.dma(0x0f, 0x1234).ok, 'SID 0x0f: L1[0], index 15 < 16');
  assert.ok(t.dma(0x13, 0x1234).ok, 'SID 0x13: L1[1], index 3 < 4');
  assert.ok(!t.dma(0x14, 0x1234).ok, 'SID 0x14: index 4 beyond SPAN 3');
  assert.ok(!t.dma(0x20, 0x1234).ok, 'SID 0x20: SPAN 0');
  assert.ok(!t.dma(0x30, 0x1234).ok, 'SID 0x30: SPAN 6 > SPLIT + 1');
  assert.equal(ids(t), [[R.SMMU_EVENT_C_BAD_STREAMID, 0x14], [R.SMMU_EVENT_C_BAD_STREAMID, 0x20], [R.SMMU_EVENT_C_BAD_STREAMID, 0x30]]);
  // Without CR2.RECINVSID nothing is recorded.
  t.w32(R.SMMU_CR2, 0);
  assert.ok(!t.dma(0x21, 0x1234).ok);
  assert.is(t.events().length, 3);
});

test('substreams (full preset): S1CDMax > SSIDSIZE is C_BAD_STE; an L1CD with V = 0 is C_BAD_SUBSTREAMID; PASID 5 uses CD 5', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  const ttb = buildS1(t.put64, [{ iova: 0x1000, pa: RAM_BASE + 0x70_0000 }]);
  // 2-level CD table (S1Fmt 1: 64 CDs per 4 KiB leaf), 256 substreams; L1CD[0] valid, L1CD[1] not.
  const LEAF = RAM_BASE + 0x23_0000;
  t.put64(CDTAB, BigInt(LEAF) | 1n);
  t.put64(CDTAB + 8, 0n);
  t.putWords(LEAF + 5 * 64, linuxCd(ttb, 7));
  t.putWords(STRTAB + 1 * 64, s1Ste(CDTAB, { S1FMT: 1, S1CDMAX: 8, S1DSS: 0 }));
  t.putWords(STRTAB + 2 * 64, s1Ste(CDTAB, { S1CDMAX: 21 }));
  const ok = t.dma(1, 0x1000, false, 5);
  assert.ok(ok.ok && ok.pa === RAM_BASE + 0x70_0000);
  const l1 = t.dma(1, 0x1000, false, 64 + 3);
  assert.ok(!l1.ok && l1.fault === 'C_BAD_SUBSTREAMID');
  const nossid = t.dma(1, 0x1000);
  assert.ok(!nossid.ok && nossid.fault === 'F_STREAM_DISABLED', 'S1DSS = 0: traffic without a PASID terminates');
  assert.ok(!t.dma(2, 0x1000).ok);
  assert.equal(ids(t), [[R.SMMU_EVENT_C_BAD_SUBSTREAMID, 1], [R.SMMU_EVENT_F_STREAM_DISABLED, 1], [R.SMMU_EVENT_C_BAD_STE, 2]]);
});

test('CMD_RESUME and CMD_STALL_TERM are CERROR_ILL without stalls (4.7.1, 4.7.2)', () => {
  for (const op of [R.SMMU_CMD_OP_RESUME, R.SMMU_CMD_OP_STALL_TERM]) {
    const t = smmuFixture();
    t.bringUp();
    t.submit(rawCmd(op), cmdSync());
    assert.is((t.r32(R.SMMU_CMDQ_CONS) & R.SMMU_CMDQ_CONS_ERR_MASK) >>> R.SMMU_CMDQ_CONS_ERR_SHIFT, 1);
  }
});

test.run();

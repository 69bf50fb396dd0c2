// SMMUv3 event queue (smmuv3.md d.2, e.3): records at PROD, PROD advances with its wrap bit,
// nothing is written with EVENTQEN = 0, a full queue loses the record and toggles
// EVENTQ_PROD.OVFLG once per overflow condition (until software copies it into
// EVENTQ_CONS.OVACKFLG). QEMU raises GERROR.EVENTQ_ABT_ERR on a full queue instead: a QEMU
// deviation we do not copy (checked below: GERROR stays 0).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/smmuv3.ts';
import { CDTAB, STRTAB, buildS1, linuxCd, s1Ste, smmuFixture } from './fixture.ts';
import { fldn } from '../../../src/hw/smmuv3/fields.ts';

const SID = 3;
function setup() {
  const t = smmuFixture();
  t.bringUp({ evtqLog2: 2 }); // 4 entries
  t.putWords(CDTAB, linuxCd(buildS1(t.put64, [{ iova: 0x1000, pa: 0x4070_0000 }]), 1));
  t.putWords(STRTAB + SID * 64, s1Ste(CDTAB));
  return t;
}

test('records fill the queue with the wrap bit; the fifth record is lost and OVFLG toggles once', () => {
  const t = setup();
  for (let i = 0; i < 4; i++) assert.ok(!t.dma(SID, 0x10_0000 + i * 0x1000).ok);
  assert.is(t.r32(R.SMMU_EVENTQ_PROD), 4, 'index 0 with the wrap bit (bit 2) set: full');
  assert.ok(!t.dma(SID, 0x20_0000).ok);
  assert.is(t.r32(R.SMMU_EVENTQ_PROD), (4 | R.SMMU_EVENTQ_PROD_OVFLG_MASK) >>> 0, 'lost: OVFLG toggled');
  assert.ok(!t.dma(SID, 0x30_0000).ok);
  assert.is(t.r32(R.SMMU_EVENTQ_PROD), (4 | R.SMMU_EVENTQ_PROD_OVFLG_MASK) >>> 0, 'no second toggle before the ack');
  assert.is(t.r32(R.SMMU_GERROR), 0, 'no EVENTQ_ABT_ERR (QEMU deviation not copied)');
  // Software consumes two and acknowledges the overflow.
  t.w32(R.SMMU_EVENTQ_CONS, (2 | R.SMMU_EVENTQ_CONS_OVACKFLG_MASK) >>> 0);
  assert.ok(!t.dma(SID, 0x40_0000).ok);
  assert.is(t.r32(R.SMMU_EVENTQ_PROD), (5 | R.SMMU_EVENTQ_PROD_OVFLG_MASK) >>> 0, 'written at index 0 of the wrapped queue; OVFLG kept');
  const rec = t.getWords(0x4021_0000, 4);
  assert.is(fldn(rec, 'EVT_FAULT', 'EVENTID'), R.SMMU_EVENT_F_TRANSLATION);
  assert.is(rec[2], 0x40_0000n, 'the record at slot 0 is the latest one');
});

test('with EVENTQEN = 0 faults are not recorded (the transaction still faults)', () => {
  const t = setup();
  t.w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_SMMUEN_MASK);
  assert.ok(!t.dma(SID, 0x10_0000).ok);
  assert.is(t.r32(R.SMMU_EVENTQ_PROD), 0);
});

test('an event queue in unbacked memory: GERROR.EVENTQ_ABT_ERR', () => {
  const t = setup();
  t.w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_SMMUEN_MASK);
  t.w64(R.SMMU_EVENTQ_BASE, 0x7_0000_0000n | 2n);
  t.w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK | R.SMMU_CR0_SMMUEN_MASK);
  assert.ok(!t.dma(SID, 0x10_0000).ok);
  assert.is(t.r32(R.SMMU_GERROR), R.SMMU_GERROR_EVENTQ_ABT_ERR_MASK);
  assert.is(t.r32(R.SMMU_EVENTQ_PROD), 0);
});

test.run();

// SMMUv3 PRI queue (smmuv3.md d.3; IDR0.PRI in the 'full' preset): page requests are written
// as 16-byte entries at PRIQ_PROD when CR0.PRIQEN = 1, a full queue loses the request and
// toggles PRIQ_PROD.OVFLG once, the PRIQ interrupt fires per entry; the QEMU 7.2 preset has no
// PRI queue registers at all (RAZ/WI).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/smmuv3.ts';
import { fld, fldn } from '../../../src/hw/smmuv3/fields.ts';
import { LINES, RAM_BASE, smmuFixture } from './fixture.ts';

const PRIQ = RAM_BASE + 0x28_0000;

test('page requests land in the PRI queue with every field; PRIQ IRQ per entry; overflow toggles OVFLG once', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  t.w64(R.SMMU_PRIQ_BASE, BigInt(PRIQ) | 1n); // 2 entries
  t.w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK | R.SMMU_CR0_PRIQEN_MASK | R.SMMU_CR0_SMMUEN_MASK);
  t.w32(R.SMMU_IRQ_CTRL, R.SMMU_IRQ_CTRL_PRIQ_IRQEN_MASK);
  t.pulses.length = 0;
  assert.ok(t.smmu.pageRequest({ sid: 0x21, ssid: 5, addr: 0x12345000, read: true, write: true, prgi: 0x1ab, last: true }));
  const e = t.getWords(PRIQ, 2);
  assert.is(fldn(e, 'PRIQ_ENT', 'SID'), 0x21);
  assert.is(fldn(e, 'PRIQ_ENT', 'SSV'), 1);
  assert.is(fldn(e, 'PRIQ_ENT', 'SSID'), 5);
  assert.is(fldn(e, 'PRIQ_ENT', 'READ') + fldn(e, 'PRIQ_ENT', 'WRITE') + fldn(e, 'PRIQ_ENT', 'LAST'), 3);
  assert.is(fldn(e, 'PRIQ_ENT', 'EXEC') + fldn(e, 'PRIQ_ENT', 'PRIV'), 0);
  assert.is(fldn(e, 'PRIQ_ENT', 'PRGI'), 0x1ab);
  assert.is(fld(e, 'PRIQ_ENT', 'ADDR') << 12n, 0x12345000n);
  assert.equal(t.pulses, [{ line: LINES.priq, level: true }, { line: LINES.priq, level: false }]);
  assert.ok(t.smmu.pageRequest({ sid: 1, addr: 0, prgi: 1 }));
  assert.is(t.r32(R.SMMU_PRIQ_PROD), 2, 'full: index 0, wrap 1');
  assert.ok(!t.smmu.pageRequest({ sid: 1, addr: 0, prgi: 2 }));
  assert.ok(!t.smmu.pageRequest({ sid: 1, addr: 0, prgi: 3 }));
  assert.is(t.r32(R.SMMU_PRIQ_PROD), (2 | R.SMMU_PRIQ_PROD_OVFLG_MASK) >>> 0, 'OVFLG toggled once');
});

test('no PRI queue without PRIQEN, and none at all in the QEMU 7.2 preset', () => {
  const t = smmuFixture({ preset: 'full' });
  t.bringUp();
  assert.ok(!t.smmu.pageRequest({ sid: 1, addr: 0, prgi: 0 }), 'PRIQEN = 0');
  const q = smmuFixture();
  q.w64(R.SMMU_PRIQ_BASE, 0x1234_5000n);
  assert.is(q.r64(R.SMMU_PRIQ_BASE), 0n, 'RAZ/WI without IDR0.PRI');
  assert.ok(!q.smmu.pageRequest({ sid: 1, addr: 0, prgi: 0 }));
});

test.run();

// SMMUv3 registers: reset values (QEMU 7.2's IDs by default, smmuv3.md a.4), the CR0/CR0ACK and
// IRQ_CTRL/IRQ_CTRLACK handshakes, the GBPA update protocol, GERROR read-only, 32/64-bit
// access only, page 1 queue pointers, and Linux's bring-up (h.2) reaching SMMUEN with no GERROR.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/smmuv3.ts';
import { SMMU_BASE, smmuFixture } from './fixture.ts';

test('reset: QEMU 7.2 ID registers, queue LOG2SIZE 19, GBPA 0x1000, everything else 0', () => {
  const t = smmuFixture();
  assert.is(t.r32(R.SMMU_IDR0), 0x0d40101a);
  assert.is(t.r32(R.SMMU_IDR1), 0x02730010);
  assert.is(t.r32(R.SMMU_IDR3), 0x1404);
  assert.is(t.r32(R.SMMU_IDR5), 0x74);
  assert.is(t.r32(R.SMMU_AIDR), 1);
  assert.is(t.r32(R.SMMU_IDR2), 0);
  assert.is(t.r64(R.SMMU_CMDQ_BASE), 19n, 'CMDQ_BASE.LOG2SIZE resets to 19');
  assert.is(t.r64(R.SMMU_EVENTQ_BASE), 19n);
  assert.is(t.r32(R.SMMU_GBPA), 0x1000, 'SHCFG = use incoming, ABORT = 0 (QEMU 7.2 has no GBPA and reads 0: a QEMU deviation)');
  for (const r of [R.SMMU_CR0, R.SMMU_CR0ACK, R.SMMU_GERROR, R.SMMU_GERRORN, R.SMMU_IRQ_CTRL, R.SMMU_CMDQ_PROD, R.SMMU_CMDQ_CONS, R.SMMU_EVENTQ_PROD, R.SMMU_EVENTQ_CONS]) {
    assert.is(t.r32(r), 0, `0x${r.toString(16)}`);
  }
});

test("'full' preset: both stages, HTTU, MSI, ATS, PRI, CD2L, SSIDSIZE 20, 52-bit OAS, VAX", () => {
  const t = smmuFixture({ preset: 'full' });
  const idr0 = t.r32(R.SMMU_IDR0);
  assert.is(idr0 & 3, 3, 'S1P and S2P');
  assert.is((idr0 >>> R.SMMU_IDR0_HTTU_SHIFT) & 3, 2);
  assert.ok(idr0 & R.SMMU_IDR0_MSI_MASK && idr0 & R.SMMU_IDR0_ATS_MASK && idr0 & R.SMMU_IDR0_PRI_MASK && idr0 & R.SMMU_IDR0_CD2L_MASK);
  assert.is((t.r32(R.SMMU_IDR1) >>> R.SMMU_IDR1_SSIDSIZE_SHIFT) & 0x1f, 20);
  assert.is(t.r32(R.SMMU_IDR5) & 7, 6);
  assert.ok(t.r32(R.SMMU_IDR3) & R.SMMU_IDR3_XNX_MASK, 'XNX with stage 2');
  assert.throws(() => smmuFixture({ preset: 'nope' }), /unknown preset 'nope'/);
  assert.throws(() => smmuFixture({ features: { cmdqs: 6 } }), /cmdqs must be an integer in 7..19/);
});

test('CR0ACK and IRQ_CTRLACK follow each write exactly; the ack registers are read-only', () => {
  const t = smmuFixture();
  for (const v of [0x8, 0xc, 0xd, 0x0]) {
    t.w32(R.SMMU_CR0, v);
    assert.is(t.r32(R.SMMU_CR0ACK), v);
  }
  t.w32(R.SMMU_CR0ACK, 0xff);
  assert.is(t.r32(R.SMMU_CR0ACK), 0);
  // PRIQEN and ATSCHK are RES0 without PRI / ATS (IHI 0070 6.3.9): neither stored nor acknowledged.
  t.w32(R.SMMU_CR0, 0x1f);
  assert.is(t.r32(R.SMMU_CR0), 0xd);
  assert.is(t.r32(R.SMMU_CR0ACK), 0xd);
  const full = smmuFixture({ preset: 'full' });
  full.w32(R.SMMU_CR0, 0x1f);
  assert.is(full.r32(R.SMMU_CR0ACK), 0x1f, 'with PRI and ATS every enable is acknowledged');
  t.w32(R.SMMU_IRQ_CTRL, 5);
  assert.is(t.r32(R.SMMU_IRQ_CTRLACK), 5);
  t.w32(R.SMMU_IRQ_CTRL, 0);
  assert.is(t.r32(R.SMMU_IRQ_CTRLACK), 0);
});

test('GBPA: a write with UPDATE takes effect and UPDATE reads 0; a write without UPDATE changes nothing', () => {
  const t = smmuFixture();
  t.w32(R.SMMU_GBPA, R.SMMU_GBPA_ABORT_MASK);
  assert.is(t.r32(R.SMMU_GBPA), 0x1000, 'ignored without UPDATE');
  t.w32(R.SMMU_GBPA, (R.SMMU_GBPA_UPDATE_MASK | R.SMMU_GBPA_ABORT_MASK) >>> 0);
  assert.is(t.r32(R.SMMU_GBPA), R.SMMU_GBPA_ABORT_MASK);
  // With SMMUEN = 0 and ABORT = 1 every transaction terminates, and nothing is recorded.
  const r = t.dma(0x10, 0x1000);
  assert.is(r.ok, false);
  t.w32(R.SMMU_GBPA, R.SMMU_GBPA_UPDATE_MASK >>> 0);
  const b = t.dma(0x10, 0x1234);
  assert.ok(b.ok && b.pa === 0x1234, 'bypass when SMMUEN = 0 and ABORT = 0');
});

test('GERROR is read-only for software; only 32- and 64-bit accesses are decoded', () => {
  const t = smmuFixture();
  t.w32(R.SMMU_GERROR, 0x1fd);
  assert.is(t.r32(R.SMMU_GERROR), 0);
  t.memory.write(SMMU_BASE + R.SMMU_CR0, 1, 0x8);
  assert.is(t.r32(R.SMMU_CR0), 0, 'a byte write is not decoded');
  t.w32(R.SMMU_CR0, 0x8);
  assert.is(t.memory.read(SMMU_BASE + R.SMMU_CR0, 2), 0, 'a 16-bit read is not decoded (reads 0)');
  t.w64(R.SMMU_STRTAB_BASE, 0x4000_1234_5640n);
  assert.is(t.r32(R.SMMU_STRTAB_BASE), 0x1234_5640);
  assert.is(t.r32(R.SMMU_STRTAB_BASE + 4), 0x4000, '64-bit registers as two halves');
});

test('event queue pointers live in page 1 (0x100A8 / 0x100AC)', () => {
  const t = smmuFixture();
  assert.is(R.SMMU_EVENTQ_PROD, 0x100a8);
  assert.is(R.SMMU_EVENTQ_CONS, 0x100ac);
  t.w32(R.SMMU_EVENTQ_CONS, 5);
  assert.is(t.r32(R.SMMU_EVENTQ_CONS), 5);
});

test("Linux's bring-up sequence (h.2) reaches SMMUEN with no GERROR and consumes every command", () => {
  const t = smmuFixture();
  t.bringUp();
  assert.is(t.r32(R.SMMU_CR0ACK), 0xd);
  assert.is(t.r32(R.SMMU_GERROR), 0);
  assert.is(t.r32(R.SMMU_CMDQ_CONS), t.r32(R.SMMU_CMDQ_PROD), 'CFGI_ALL, SYNC, TLBI_NSNH_ALL, SYNC consumed');
  assert.is(t.r32(R.SMMU_CMDQ_PROD), 4);
  assert.is(t.r32(R.SMMU_IRQ_CTRLACK), 5);
});

test.run();

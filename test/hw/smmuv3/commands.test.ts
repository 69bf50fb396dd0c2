// SMMUv3 command queue (smmuv3.md c.1-c.3, e.1, e.2): processed whenever CMDQEN = 1 (also with
// SMMUEN = 0), CONS advances past each completed command, an illegal command stops the queue
// on itself with CMDQ_CONS.ERR and GERROR.CMDQ_ERR toggled until GERRORN acknowledges it;
// a fetch abort is CERROR_ABT; CMD_SYNC signals completion (wired IRQ, or an MSI write).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/smmuv3.ts';
import { CMDQ, LINES, RAM_BASE, cmdCfgiAll, cmdSync, cmdTlbiNsnhAll, rawCmd, smmuFixture } from './fixture.ts';

const ERR = (cons: number) => (cons & R.SMMU_CMDQ_CONS_ERR_MASK) >>> R.SMMU_CMDQ_CONS_ERR_SHIFT;

test('commands run with CMDQEN = 1 even when SMMUEN = 0; nothing runs with CMDQEN = 0', () => {
  const t = smmuFixture();
  t.bringUp({ enable: false });
  assert.is(t.r32(R.SMMU_CMDQ_CONS), 4);
  t.w32(R.SMMU_CR0, 0);
  t.submit(cmdSync());
  assert.is(t.r32(R.SMMU_CMDQ_CONS), 4, 'queue disabled: nothing consumed');
  t.w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK);
  assert.is(t.r32(R.SMMU_CMDQ_CONS), 5, 'enabling the queue consumes what is pending');
});

test('an unknown opcode is CERROR_ILL: CONS stays on it, GERROR.CMDQ_ERR toggles, GERROR IRQ; GERRORN ack resumes', () => {
  const t = smmuFixture();
  t.bringUp();
  t.pulses.length = 0;
  t.submit(cmdSync(), rawCmd(0x7f), cmdSync());
  const cons = t.r32(R.SMMU_CMDQ_CONS);
  assert.is(cons & 0xfffff, 5, 'stopped at the bad command (index 5)');
  assert.is(ERR(cons), 1, 'CERROR_ILL');
  assert.is(t.r32(R.SMMU_GERROR), R.SMMU_GERROR_CMDQ_ERR_MASK);
  assert.equal(t.pulses, [{ line: LINES.gerror, level: true }, { line: LINES.gerror, level: false }]);
  t.submit(cmdSync());
  assert.is(t.r32(R.SMMU_CMDQ_CONS) & 0xfffff, 5, 'frozen while the error is active');
  // Linux: overwrite the bad slot with a CMD_SYNC, then ack by writing GERROR into GERRORN.
  t.putWords(CMDQ + 5 * 16, cmdSync());
  t.w32(R.SMMU_GERRORN, t.r32(R.SMMU_GERROR));
  assert.is(t.r32(R.SMMU_CMDQ_CONS) & 0xfffff, 8, 'resumed and drained');
  assert.is(t.r32(R.SMMU_GERROR) ^ t.r32(R.SMMU_GERRORN), 0);
});

test('a second error while one is active does not toggle GERROR again (toggle protocol)', () => {
  const t = smmuFixture();
  t.bringUp();
  t.submit(rawCmd(0x7f));
  assert.is(t.r32(R.SMMU_GERROR), 1);
  t.smmu.raiseGerror(R.SMMU_GERROR_CMDQ_ERR_MASK);
  assert.is(t.r32(R.SMMU_GERROR), 1, 'still 1: the error is already active');
  // Acknowledging without repairing the command: the queue retries it and fails again, so
  // GERROR toggles back and the error is active once more.
  t.w32(R.SMMU_GERRORN, 1);
  assert.is(t.r32(R.SMMU_GERROR), 0);
  assert.is(t.r32(R.SMMU_GERROR) ^ t.r32(R.SMMU_GERRORN), R.SMMU_GERROR_CMDQ_ERR_MASK);
  assert.is(ERR(t.r32(R.SMMU_CMDQ_CONS)), 1);
});

test('illegal by feature: TLBI_S12_VMALL / TLBI_S2_IPA without stage 2, TLBI_EL2_ALL without HYP, SSEC = 1 on CFGI', () => {
  for (const c of [rawCmd(R.SMMU_CMD_OP_TLBI_S12_VMALL), rawCmd(R.SMMU_CMD_OP_TLBI_S2_IPA), rawCmd(R.SMMU_CMD_OP_TLBI_EL2_ALL), rawCmd(R.SMMU_CMD_OP_ATC_INV), [BigInt(R.SMMU_CMD_OP_CFGI_STE) | (1n << 10n), 0n]]) {
    const t = smmuFixture();
    t.bringUp();
    t.submit(c);
    assert.is(ERR(t.r32(R.SMMU_CMDQ_CONS)), 1, `opcode 0x${(c[0]! & 0xffn).toString(16)}`);
  }
  const full = smmuFixture({ preset: 'full' });
  full.bringUp();
  full.submit(rawCmd(R.SMMU_CMD_OP_TLBI_S12_VMALL), rawCmd(R.SMMU_CMD_OP_TLBI_S2_IPA), rawCmd(R.SMMU_CMD_OP_ATC_INV), cmdSync());
  assert.is(ERR(full.r32(R.SMMU_CMDQ_CONS)), 0, 'legal with stage 2 and ATS');
  assert.is(full.r32(R.SMMU_CMDQ_CONS) & 0xfffff, 8);
});

test('a command fetch from unbacked memory is CERROR_ABT', () => {
  const t = smmuFixture();
  t.bringUp();
  t.w32(R.SMMU_CR0, 0);
  t.w64(R.SMMU_CMDQ_BASE, 0x7_0000_0000n | 8n);
  t.w32(R.SMMU_CMDQ_PROD, 0);
  t.w32(R.SMMU_CMDQ_CONS, 0);
  t.w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK);
  t.w32(R.SMMU_CMDQ_PROD, 1);
  assert.is(ERR(t.r32(R.SMMU_CMDQ_CONS)), 2);
  assert.is(t.r32(R.SMMU_CMDQ_CONS) & 0xfffff, 0);
});

test('CMD_SYNC CS=IRQ pulses the wired cmdq-sync line (no MSI); with MSI it writes MSIDATA at MSIADDR', () => {
  const t = smmuFixture();
  t.bringUp();
  t.pulses.length = 0;
  t.submit(cmdSync(R.SMMU_CMD_SYNC_CS_IRQ, 0, 0));
  assert.equal(t.pulses, [{ line: LINES.cmdqSync, level: true }, { line: LINES.cmdqSync, level: false }]);
  const m = smmuFixture({ preset: 'full' });
  m.bringUp();
  m.pulses.length = 0;
  const slot = RAM_BASE + 0x5000;
  m.put64(slot, 0xffff_ffffn);
  m.submit(cmdSync(R.SMMU_CMD_SYNC_CS_IRQ, slot, 0x1234_5678));
  assert.is(m.get64(slot), 0x1234_5678n, '32-bit MSI write of MSIDATA');
  assert.equal(m.pulses, []);
  // Linux's MSI polling: the CMD_SYNC writes 0 to its own queue slot.
  const idx = m.r32(R.SMMU_CMDQ_PROD) & 0xff;
  m.submit(cmdSync(R.SMMU_CMD_SYNC_CS_IRQ, CMDQ + idx * 16, 0));
  assert.is(m.get64(CMDQ + idx * 16) & 0xffff_ffffn, 0n);
});

test('CMD_CFGI_ALL and TLBI_NSNH_ALL (Linux reset sequence) complete without error', () => {
  const t = smmuFixture();
  t.bringUp();
  t.submit(cmdCfgiAll(), cmdTlbiNsnhAll(), cmdSync());
  assert.is(ERR(t.r32(R.SMMU_CMDQ_CONS)), 0);
  assert.is(t.r32(R.SMMU_CMDQ_CONS), t.r32(R.SMMU_CMDQ_PROD));
});

test.run();

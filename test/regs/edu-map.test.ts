// Generated edu constants checked against QEMU's docs/specs/edu.rst and hw/misc/edu.c
// (expected values are those sources', not copied from regmaps/edu.json).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as G from '../../src/regs/generated/edu.ts';
import { RegisterFile } from '../../src/regs/register-file.ts';

test('BAR0 register offsets and widths', () => {
  const regs: [number, number, string][] = [
    [G.EDU_ID, 0x00, 'ID'], [G.EDU_LIVENESS, 0x04, 'LIVENESS'], [G.EDU_FACTORIAL, 0x08, 'FACTORIAL'],
    [G.EDU_STATUS, 0x20, 'STATUS'], [G.EDU_IRQ_STATUS, 0x24, 'IRQ_STATUS'], [G.EDU_IRQ_RAISE, 0x60, 'IRQ_RAISE'],
    [G.EDU_IRQ_ACK, 0x64, 'IRQ_ACK'], [G.EDU_DMA_SRC, 0x80, 'DMA_SRC'], [G.EDU_DMA_DST, 0x88, 'DMA_DST'],
    [G.EDU_DMA_CNT, 0x90, 'DMA_CNT'], [G.EDU_DMA_CMD, 0x98, 'DMA_CMD'],
  ];
  for (const [got, want, name] of regs) {
    assert.is(got, want, name);
    const width = G.edu.registers.find((r) => r.name === name)!.width;
    assert.is(width, want >= 0x80 ? 64 : 32, `${name}: the DMA registers are 64-bit (dma_addr_t)`);
  }
  assert.is(G.edu.size, 1 << 20, 'BAR0 is 1 MiB');
});

test('identification 0xRRrr00ed: version 1.0', () => {
  assert.is(G.EDU_ID_RESET, 0x010000ed);
  assert.is((G.EDU_ID_RESET & G.EDU_ID_MAJOR_MASK) >>> G.EDU_ID_MAJOR_SHIFT, 1);
  assert.is((G.EDU_ID_RESET & G.EDU_ID_MINOR_MASK) >>> G.EDU_ID_MINOR_SHIFT, 0);
  assert.is(G.EDU_ID_RESET & G.EDU_ID_MAGIC_MASK, 0xed);
});

test('status, interrupt and DMA command bits', () => {
  assert.is(G.EDU_STATUS_COMPUTING_MASK, 0x01);
  assert.is(G.EDU_STATUS_IRQFACT_MASK, 0x80);
  assert.is(G.EDU_IRQ_FACTORIAL, 0x00000001);
  assert.is(G.EDU_IRQ_DMA, 0x00000100);
  assert.is(G.EDU_DMA_CMD_RUN_MASK, 0x1n);
  assert.is(G.EDU_DMA_CMD_DIRECTION_MASK, 0x2n);
  assert.is(G.EDU_DMA_CMD_IRQ_MASK, 0x4n);
  assert.equal([G.EDU_DMA_CMD_DIRECTION_FROM_RAM, G.EDU_DMA_CMD_DIRECTION_TO_RAM], [0, 1], '0: RAM to EDU, 1: EDU to RAM');
  assert.equal([G.EDU_DMA_BUFFER_START, G.EDU_DMA_BUFFER_SIZE], [0x40000, 4096]);
});

test('PCI identity 1234:11e8 rev 0x10', () => {
  assert.equal([G.EDU_PCI_ID_VENDOR, G.EDU_PCI_ID_DEVICE, G.EDU_PCI_ID_REVISION], [0x1234, 0x11e8, 0x10]);
});

test('as a RegisterFile: ID is read-only, STATUS.COMPUTING cannot be written', () => {
  const rf = new RegisterFile(G.edu);
  assert.is(rf.read(G.EDU_ID, 4), 0x010000ed);
  rf.write(G.EDU_ID, 4, 0);
  assert.is(rf.read(G.EDU_ID, 4), 0x010000ed);
  rf.write(G.EDU_STATUS, 4, 0x81);
  assert.is(rf.read(G.EDU_STATUS, 4), 0x80);
  rf.write64(G.EDU_DMA_CMD, 0xdead_0007n);
  assert.is(rf.read64(G.EDU_DMA_CMD), 0xdead_0007n, 'QEMU keeps every bit of the command');
});

test.run();

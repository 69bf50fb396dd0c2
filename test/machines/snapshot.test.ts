// A machine snapshot carries every device's state across a JSON round trip: the restored
// machine answers the same reads and finishes a DMA that was in flight.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMachine } from '../../src/platform/machines/index.ts';
import type { Q35Machine } from '../../src/platform/machines/q35.ts';

const BAR = 0xfe000000;
const cfgAddr = (devfn: number, reg: number) => (0x80000000 | (devfn << 8) | reg) >>> 0;

function q35(): Q35Machine {
  return createMachine({ machine: 'q35', devices: [{ driver: 'edu', props: { addr: '04.0' } }] }) as Q35Machine;
}

test('q35 + edu: BAR, ECAM, edu registers, raised INTx and a pending DMA survive snapshot/restore', () => {
  const a = q35();
  const io = a.io;
  io.write(0xcf8, 4, cfgAddr(0x20, 0x10));
  io.write(0xcfc, 4, BAR);
  io.write(0xcf8, 4, cfgAddr(0x20, 0x04));
  io.write(0xcfc, 2, 0x6); // memory + bus master
  io.write(0xcf8, 4, cfgAddr(0, 0x60));
  io.write(0xcfc, 4, 0xb0000001); // PCIEXBAR enable
  a.memory.write(BAR + 0x04, 4, 0x0f0f0f0f);
  a.memory.write(BAR + 0x60, 4, 0x2); // raise interrupt
  a.ramView().set([1, 2, 3, 4], 0x5000);
  a.memory.write64(BAR + 0x80, 0x5000n);
  a.memory.write64(BAR + 0x88, 0x40000n);
  a.memory.write64(BAR + 0x90, 4n);
  a.memory.write64(BAR + 0x98, 1n); // DMA RAM -> device, due 100 ms from now
  a.clockStep(40_000_000);

  const snap = JSON.parse(JSON.stringify(a.snapshot()));
  const b = q35();
  b.ramView().set(a.ramView().subarray(0, 0x10000)); // RAM is the embedder's to carry
  b.restore(snap);

  assert.is(b.clock.now(), 40_000_000);
  assert.is(b.memory.read(BAR + 0x04, 4), 0xf0f0f0f0); // liveness register, inverted
  assert.is(b.memory.read(BAR + 0x24, 4), 0x2);
  assert.is(b.irqs.level(20), true); // edu at 00:04.0 INTA -> IOAPIC 20
  assert.is(b.memory.read(0xb0000000 + (0x20 << 12), 4), 0x11e81234); // ECAM still on
  b.clockStep(59_999_999);
  assert.is(b.memory.read(BAR + 0x98, 4) & 1, 1); // not yet
  b.clockStep(1);
  assert.is(b.memory.read(BAR + 0x98, 4) & 1, 0); // DMA done at exactly 100 ms
  // Move the 4 bytes back out to RAM to prove they reached the device buffer.
  b.memory.write64(BAR + 0x80, 0x40000n);
  b.memory.write64(BAR + 0x88, 0x6000n);
  b.memory.write64(BAR + 0x98, 3n);
  b.clockStep(100_000_000);
  assert.equal([...b.ramView().subarray(0x6000, 0x6004)], [1, 2, 3, 4]);
});

test('restore refuses a snapshot of another machine type or version', () => {
  const v = createMachine({ machine: 'virt' });
  const q = q35();
  assert.throws(() => q.restore(v.snapshot()), /snapshot is of type "machine\.virt"/);
  assert.throws(() => q.restore({ ...q.snapshot(), version: 99 }), /version 99 is not supported/);
});

test.run();

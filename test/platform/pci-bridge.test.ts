// Bridges: type 1 header layout and masks (PCI-to-PCI Bridge spec 1.2, QEMU's bridge masks),
// routing of config cycles by secondary/subordinate bus numbers, bus-master forwarding,
// INTx swizzling and secondary bus reset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PciFunction } from '../../src/platform/pci/function.ts';
import { addPciBridge, addPcieToPciBridge, addRootPort, addSwitch } from '../../src/platform/pci/topology.ts';
import { cfgRead, cfgWrite, ecamRead, platform } from './fixture.ts';

const ep = (name: string, extra: object = {}) =>
  new PciFunction({ name, vendorId: 0x1af4, deviceId: 0x1041, classCode: 0x020000, interruptPin: 1, pcie: { type: 0 }, ...extra });

/** Root port at 00:1c.0 -> switch (up 01:00.0, down 02:00.0 / 02:01.0) -> endpoints on buses 3 and 4. */
function tree() {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  const sw = addSwitch(rp.secondary, 0, 2);
  const a = sw.downstream[0]!.secondary.addFunction(ep('a'), 0);
  const b = sw.downstream[1]!.secondary.addFunction(ep('b'), 0);
  return { p, rp, sw, a, b };
}

function number(p: ReturnType<typeof platform>, t: ReturnType<typeof tree>) {
  cfgWrite(p, 0, t.rp.devfn, 0x18, 4, 0x00040100); // pri 0, sec 1, sub 4
  cfgWrite(p, 1, 0, 0x18, 4, 0x00040201); // upstream port: pri 1, sec 2, sub 4
  cfgWrite(p, 2, 0x00, 0x18, 4, 0x00030302); // downstream 0: sec 3
  cfgWrite(p, 2, 0x08, 0x18, 4, 0x00040402); // downstream 1: sec 4
}

test('PCIe root port type 1 header as QEMU 7.2 pcie-root-port', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  const d = rp.devfn;
  assert.is(cfgRead(p, 0, d, 0, 4), 0x000c1b36);
  assert.is(cfgRead(p, 0, d, 8, 4) >>> 8, 0x060400);
  assert.is(cfgRead(p, 0, d, 0x0e, 1), 0x01);
  // Windows start closed; secondary status 0 on PCIe.
  assert.is(cfgRead(p, 0, d, 0x1c, 4), 0x000000f0);
  assert.is(cfgRead(p, 0, d, 0x24, 4), 0x0001fff1);
  // Bus numbers and secondary latency timer: RW.
  cfgWrite(p, 0, d, 0x18, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, d, 0x18, 4), 0xffffffff);
  // I/O base/limit: 16-bit decode (type nibble 0), address nibble RW.
  cfgWrite(p, 0, d, 0x1c, 2, 0xffff);
  assert.is(cfgRead(p, 0, d, 0x1c, 4), 0x0000f0f0);
  cfgWrite(p, 0, d, 0x20, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, d, 0x20, 4), 0xfff0fff0);
  cfgWrite(p, 0, d, 0x24, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, d, 0x24, 4), 0xfff1fff1, 'prefetchable window 64-bit capable');
  cfgWrite(p, 0, d, 0x28, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, d, 0x28, 4), 0xffffffff);
  cfgWrite(p, 0, d, 0x3c, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, d, 0x3c, 4), 0x005f01ff, 'bridge control 0x005f writable on PCIe');
  cfgWrite(p, 0, d, 4, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, d, 4, 4), 0x00100507);
});

test('conventional PCI bridge header as QEMU 7.2 pci-bridge', () => {
  const p = platform();
  const br = addPciBridge(p.host.rootBus, '1e.0');
  const d = br.devfn;
  assert.is(cfgRead(p, 0, d, 0, 4), 0x00011b36);
  assert.is(cfgRead(p, 0, d, 0x1c, 4), 0x00a00000, 'windows reset to 0; secondary status 66 MHz | fast back-to-back');
  assert.is(cfgRead(p, 0, d, 0x20, 4), 0);
  assert.is(cfgRead(p, 0, d, 0x24, 4), 0x00010001);
  cfgWrite(p, 0, d, 0x3c, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, d, 0x3c, 4), 0x0bff01ff);
  // Secondary status error bits are RW1C.
  br.cfg.set16(0x1e, 0x20a0);
  cfgWrite(p, 0, d, 0x1e, 2, 0x2000);
  assert.is(cfgRead(p, 0, d, 0x1e, 2), 0x00a0);
});

test('config cycles follow secondary/subordinate bus numbers through root port and switch', () => {
  const t = tree();
  const { p } = t;
  // Before firmware numbers the buses nothing below the root port answers.
  assert.is(cfgRead(p, 1, 0, 0, 4), 0xffffffff);
  assert.is(cfgRead(p, 3, 0, 0, 4), 0xffffffff);
  number(p, t);
  assert.is(cfgRead(p, 1, 0, 0, 4), 0x8232104c, 'switch upstream port');
  assert.is(cfgRead(p, 2, 0x08, 0, 4), 0x8233104c, 'switch downstream port 1');
  assert.is(cfgRead(p, 3, 0, 0, 4), 0x10411af4);
  assert.is(ecamRead(p, 4, 0, 0, 4), 0x10411af4);
  assert.is(t.a.bdf, '03:00.0');
  assert.is(t.b.bdf, '04:00.0');
  assert.is(cfgRead(p, 5, 0, 0, 4), 0xffffffff, 'bus 5 is outside every range');
  // Renumbering moves the device: subordinate 3 on the root port cuts off bus 4.
  cfgWrite(p, 0, t.rp.devfn, 0x1a, 1, 3);
  assert.is(cfgRead(p, 4, 0, 0, 4), 0xffffffff);
  assert.is(cfgRead(p, 3, 0, 0, 4), 0x10411af4);
});

test('secondary bus reset hides the bus and resets the devices below on 0 -> 1', () => {
  const t = tree();
  const { p } = t;
  number(p, t);
  cfgWrite(p, 3, 0, 0x3c, 1, 0x0b);
  cfgWrite(p, 0, t.rp.devfn, 0x3e, 2, 0x0040);
  assert.is(cfgRead(p, 3, 0, 0, 4), 0xffffffff);
  cfgWrite(p, 0, t.rp.devfn, 0x3e, 2, 0x0000);
  assert.is(t.a.cfg.get8(0x3c), 0x00, 'interrupt line back to its reset value');
  assert.is(cfgRead(p, 1, 0, 0x19, 1), 0x00, 'the switch was reset too: its buses are unnumbered');
});

test('a PCIe link has only device 0', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  assert.throws(() => rp.secondary.addFunction(ep('x'), 0x08), /only device 0 exists/);
  // A PCIe-to-PCI bridge's conventional bus has 32 device slots.
  const br = addPcieToPciBridge(rp.secondary, 0);
  br.secondary.addFunction(new PciFunction({ name: 'pci', vendorId: 1, deviceId: 2, classCode: 0 }), 0x38);
});

test('DMA from below a bridge needs Bus Master Enable on every bridge on the way up', () => {
  const t = tree();
  const { p } = t;
  number(p, t);
  cfgWrite(p, 3, 0, 4, 2, 0x0004);
  assert.is(t.a.dmaPort.busMaster, false);
  cfgWrite(p, 0, t.rp.devfn, 4, 2, 0x0004);
  cfgWrite(p, 1, 0, 4, 2, 0x0004);
  assert.is(t.a.dmaPort.busMaster, false, 'downstream port still off');
  cfgWrite(p, 2, 0, 4, 2, 0x0004);
  assert.is(t.a.dmaPort.busMaster, true);
  t.a.dmaPort.write(0x2000, new Uint8Array([0xaa]));
  assert.is(p.ramBytes[0x2000], 0xaa);
  cfgWrite(p, 1, 0, 4, 2, 0);
  assert.is(t.a.dmaPort.busMaster, false);
});

test('INTx is swizzled at each bridge: INTA of device D becomes INT((D + A) mod 4) above it', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0'); // device 0x1c
  cfgWrite(p, 0, rp.devfn, 0x18, 4, 0x00020100);
  const br = addPcieToPciBridge(rp.secondary, 0);
  cfgWrite(p, 1, 0, 0x18, 4, 0x00020201);
  const dev = br.secondary.addFunction(new PciFunction({ name: 'pci', vendorId: 1, deviceId: 2, classCode: 0, interruptPin: 2 }), '03.0');
  // INTB (1) at device 3 -> INT(3+1)%4 = INTA on bus 1 -> device 0: INTA -> root device 0x1c: 16 + ((0x1c + 0) & 7) = 20.
  dev.setIntx(true);
  assert.is(p.ioapic.level(20), true);
  assert.is(cfgRead(p, 2, dev.devfn, 6, 2) & 0x0008, 0x0008, 'Interrupt Status');
  // INTx Disable: the line drops, the status bit stays.
  cfgWrite(p, 2, dev.devfn, 4, 2, 0x0400);
  assert.is(p.ioapic.level(20), false);
  assert.is(cfgRead(p, 2, dev.devfn, 6, 2) & 0x0008, 0x0008);
  cfgWrite(p, 2, dev.devfn, 4, 2, 0);
  assert.is(p.ioapic.level(20), true);
  dev.setIntx(false);
  assert.is(p.ioapic.level(20), false);
});

test('shared INTx lines are wired-OR', () => {
  const p = platform();
  const f1 = p.host.rootBus.addFunction(new PciFunction({ name: 'f1', vendorId: 1, deviceId: 2, classCode: 0, interruptPin: 1 }), '04.0');
  const f2 = p.host.rootBus.addFunction(new PciFunction({ name: 'f2', vendorId: 1, deviceId: 2, classCode: 0, interruptPin: 1 }), '0c.0');
  f1.setIntx(true);
  f2.setIntx(true);
  assert.is(p.ioapic.level(20), true);
  f1.setIntx(false);
  assert.is(p.ioapic.level(20), true, 'f2 still drives the line');
  f2.setIntx(false);
  assert.is(p.ioapic.level(20), false);
  assert.throws(() => new PciFunction({ name: 'n', vendorId: 1, deviceId: 2, classCode: 0 }).setIntx(true), /without an interrupt pin/);
});

test('adding below an unplugged bridge is an API error', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  p.host.rootBus.removeFunction(rp);
  assert.throws(() => rp.secondary.addFunction(ep('x'), 0), /not plugged into a host/);
});

test.run();

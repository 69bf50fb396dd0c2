// BAR sizing and decoding. Sizing read-backs follow the PCI spec (address bits writable,
// type bits RO) and were checked on QEMU 7.2 for edu (0xfff00000 for its 1 MiB BAR0).
// Decoding follows QEMU's pci_bar_address rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MmioHandler } from '../../src/bridge/types.ts';
import { EduDevice } from '../../src/platform/devices/edu.ts';
import { PciFunction } from '../../src/platform/pci/function.ts';
import { addPcieToPciBridge, addRootPort } from '../../src/platform/pci/topology.ts';
import { assignResources } from '../../src/platform/pci/assign.ts';
import { cfgRead, cfgWrite, platform } from './fixture.ts';

const probe = (tag: number): MmioHandler => ({ read: () => tag, write: () => {} });

function multiBar() {
  const p = platform();
  const fn = p.host.rootBus.addFunction(new PciFunction({
    name: 'bars', vendorId: 0x1af4, deviceId: 0x1000, classCode: 0x020000,
    bars: [
      { index: 0, kind: 'io', size: 32, handler: probe(0x10) },
      { index: 1, kind: 'mem32', size: 0x1000, handler: probe(0x11) },
      { index: 2, kind: 'mem64', size: 0x4000, prefetchable: true, handler: probe(0x12) },
      { index: 4, kind: 'mem64', size: 2 ** 33, handler: probe(0x14) },
    ],
  }), '05.0');
  return { p, fn, d: fn.devfn };
}

function size(p: ReturnType<typeof platform>, devfn: number, reg: number): number {
  cfgWrite(p, 0, devfn, reg, 4, 0xffffffff);
  return cfgRead(p, 0, devfn, reg, 4);
}

test('sizing: all-ones reads back ~(size-1) with the type bits', () => {
  const { p, d } = multiBar();
  assert.is(cfgRead(p, 0, d, 0x10, 4), 0x00000001, 'I/O BAR type bit');
  assert.is(cfgRead(p, 0, d, 0x18, 4), 0x0000000c, '64-bit prefetchable type bits');
  assert.is(size(p, d, 0x10), 0xffffffe1);
  assert.is(size(p, d, 0x14), 0xfffff000);
  assert.is(size(p, d, 0x18), 0xffffc00c);
  assert.is(size(p, d, 0x1c), 0xffffffff, 'upper half of a small 64-bit BAR: all address bits');
  assert.is(size(p, d, 0x20), 0x00000004);
  assert.is(size(p, d, 0x24), 0xfffffffe, '8 GiB BAR: bit 32 is a size bit');
  const e = p.host.rootBus.addFunction(new EduDevice({ clock: p.clock }), '04.0');
  assert.is(size(p, e.devfn, 0x10), 0xfff00000);
});

test('a BAR decodes only while Memory Space is enabled, and moves when reprogrammed', () => {
  const p = platform();
  const edu = p.host.rootBus.addFunction(new EduDevice({ clock: p.clock }), '04.0');
  cfgWrite(p, 0, 0x20, 0x10, 4, 0xfe000000);
  assert.is(p.memory.read(0xfe000000, 4), 0, 'memory decode off: a hole');
  cfgWrite(p, 0, 0x20, 4, 2, 0x0002);
  assert.is(p.memory.read(0xfe000000, 4), 0x010000ed);
  assert.is(edu.barAddress(0), 0xfe000000);
  cfgWrite(p, 0, 0x20, 0x10, 4, 0xfd000000);
  assert.is(p.memory.read(0xfe000000, 4), 0);
  assert.is(p.memory.read(0xfd000000, 4), 0x010000ed);
  cfgWrite(p, 0, 0x20, 4, 2, 0x0000);
  assert.is(p.memory.read(0xfd000000, 4), 0);
  assert.is(edu.barAddress(0), -1);
});

test('an unassigned (all-ones) or zero BAR is not decoded even with Memory Space on', () => {
  const p = platform();
  const edu = p.host.rootBus.addFunction(new EduDevice({ clock: p.clock }), '04.0');
  cfgWrite(p, 0, 0x20, 4, 2, 0x0002);
  assert.is(edu.barAddress(0), -1, 'BAR at 0 (pc/q35 do not allow address 0)');
  cfgWrite(p, 0, 0x20, 0x10, 4, 0xffffffff);
  assert.is(edu.barAddress(0), -1, '0xfff00000 + 1 MiB reaches 4 GiB - 1: unmapped for a 32-bit BAR');
  cfgWrite(p, 0, 0x20, 0x10, 4, 0xffe00000);
  assert.is(edu.barAddress(0), 0xffe00000);
});

test('64-bit BARs decode above 4 GiB; I/O BARs follow I/O Space enable', () => {
  const { p, fn, d } = multiBar();
  cfgWrite(p, 0, d, 0x18, 4, 0x00004000);
  cfgWrite(p, 0, d, 0x1c, 4, 0x00000001);
  cfgWrite(p, 0, d, 0x10, 4, 0x0000c000);
  cfgWrite(p, 0, d, 4, 2, 0x0002);
  assert.is(fn.barAddress(2), 0x100004000);
  assert.is(p.memory.read(0x100004000, 4), 0x12);
  assert.is(fn.barAddress(0), -1);
  cfgWrite(p, 0, d, 4, 2, 0x0003);
  assert.is(p.io.read(0xc000, 4), 0x10);
  assert.is(fn.barAddress(0), 0xc000);
  // All-ones in both halves is far beyond any physical address: not decoded.
  cfgWrite(p, 0, d, 0x18, 4, 0xffffffff);
  cfgWrite(p, 0, d, 0x1c, 4, 0xffffffff);
  assert.is(fn.barAddress(2), -1);
});

test('a BAR behind a bridge decodes only inside the bridge window with the bridge memory enabled', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  cfgWrite(p, 0, rp.devfn, 0x18, 4, 0x00010100);
  const edu = rp.secondary.addFunction(new EduDevice({ clock: p.clock }), 0);
  cfgWrite(p, 1, 0, 0x10, 4, 0xfe000000);
  cfgWrite(p, 1, 0, 4, 2, 0x0002);
  assert.is(edu.barAddress(0), -1, 'window closed');
  cfgWrite(p, 0, rp.devfn, 0x20, 2, 0xfe00); // memory base 0xfe000000
  cfgWrite(p, 0, rp.devfn, 0x22, 2, 0xfe00); // memory limit 0xfe0fffff
  assert.is(edu.barAddress(0), -1, 'bridge memory space disabled');
  cfgWrite(p, 0, rp.devfn, 4, 2, 0x0002);
  assert.is(edu.barAddress(0), 0xfe000000);
  assert.is(p.memory.read(0xfe000000, 4), 0x010000ed);
  cfgWrite(p, 0, rp.devfn, 0x22, 2, 0xfd00);
  assert.is(edu.barAddress(0), -1, 'window limit below the BAR');
});

test('assignResources numbers buses and places BARs inside windows, as firmware would', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  const br = addPcieToPciBridge(rp.secondary, 0);
  const edu1 = p.host.rootBus.addFunction(new EduDevice({ name: 'edu1', clock: p.clock }), '04.0');
  const edu2 = br.secondary.addFunction(new EduDevice({ name: 'edu2', clock: p.clock }), '02.0');
  const a = assignResources(p.host, { mmio32: { base: 0xc0000000, size: 0x10000000 }, io: { base: 0x1000, size: 0xf000 } });
  assert.is(rp.secondaryBusNumber, 1);
  assert.is(br.secondaryBusNumber, 2);
  assert.is(rp.subordinateBusNumber, 2);
  assert.is(edu2.bdf, '02:02.0');
  assert.is(a.length, 2);
  for (const e of [edu1, edu2]) {
    const addr = e.barAddress(0);
    assert.ok(addr >= 0xc0000000 && addr % 0x100000 === 0, `${e.name} BAR at ${addr.toString(16)}`);
    assert.is(p.memory.read(addr, 4), 0x010000ed);
  }
});

test('malformed BAR specs are API errors', () => {
  const mk = (bars: any) => () => new PciFunction({ name: 'x', vendorId: 1, deviceId: 2, classCode: 0, bars });
  assert.throws(mk([{ index: 5, kind: 'mem64', size: 4096, handler: probe(0) }]), /does not fit in the 6 BAR slots/);
  assert.throws(mk([{ index: 0, kind: 'mem32', size: 3000, handler: probe(0) }]), /power of two/);
  assert.throws(mk([{ index: 0, kind: 'mem32', size: 8, handler: probe(0) }]), /power of two between 16/);
  assert.throws(mk([{ index: 0, kind: 'mem64', size: 4096, handler: probe(0) }, { index: 1, kind: 'mem32', size: 4096, handler: probe(0) }]), /overlaps another BAR/);
});

test.run();

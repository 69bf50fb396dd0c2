// Configuration access through CF8/CFC and ECAM, and RO/RW/RW1C semantics. Expected values
// were read from QEMU 7.2 (qemu-system-x86_64 -machine q35 -device edu,addr=04.0, qtest).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EduDevice } from '../../src/platform/devices/edu.ts';
import { PciFunction } from '../../src/platform/pci/function.ts';
import { EcamWindow } from '../../src/platform/pci/config-access.ts';
import { addRootPort } from '../../src/platform/pci/topology.ts';
import { PCI_ACS_RR, PCI_ACS_SV, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT, PCI_STATUS_SIG_TARGET_ABORT, PCI_STATUS_DETECTED_PARITY } from '../../src/platform/pci/regs.ts';
import { cfgRead, cfgWrite, ecamRead, ecamWrite, platform } from './fixture.ts';

const EDU = 0x20; // 00:04.0

function withEdu() {
  const p = platform();
  const edu = p.host.rootBus.addFunction(new EduDevice({ clock: p.clock }), '04.0');
  return { p, edu };
}

test('CF8/CFC dword reads give the edu header as QEMU 7.2 does', () => {
  const { p } = withEdu();
  const got = [0x00, 0x04, 0x08, 0x0c, 0x10, 0x2c, 0x34, 0x3c, 0x40].map((r) => cfgRead(p, 0, EDU, r, 4));
  assert.equal(got, [0x11e81234, 0x00100000, 0x00ff0010, 0, 0, 0x11001af4, 0x40, 0x0100, 0x00800005]);
  // The q35 host bridge at 00:00.0.
  assert.is(cfgRead(p, 0, 0, 0, 4), 0x29c08086);
  assert.is(cfgRead(p, 0, 0, 8, 4), 0x06000000);
});

test('CF8/CFC byte and word accesses, aligned and not', () => {
  const { p } = withEdu();
  p.io.write(0xcf8, 4, 0x80002000);
  assert.equal([0xcfc, 0xcfd, 0xcfe, 0xcff].map((a) => p.io.read(a, 1)), [0x34, 0x12, 0xe8, 0x11]);
  assert.is(p.io.read(0xcfc, 2), 0x1234);
  assert.is(p.io.read(0xcfe, 2), 0x11e8);
  assert.is(p.io.read(0xcfd, 2), 0xe812);
  // A dword at 0xcfd runs off the data port: the last byte is an empty port (all-ones).
  assert.is(p.io.read(0xcfd, 4), 0xff11e812);
});

test('CONFIG_ADDRESS keeps all 32 bits, reads back at any size, and only dword writes update it', () => {
  const { p } = withEdu();
  p.io.write(0xcf8, 4, 0x80002003);
  assert.is(p.io.read(0xcf8, 4), 0x80002003);
  assert.is(p.io.read(0xcf8, 1), 0x03);
  assert.is(p.io.read(0xcf8, 2), 0x2003);
  assert.is(p.io.read(0xcfa, 1), 0x03);
  assert.is(p.io.read(0xcfa, 2), 0x2003);
  // The low two bits are ORed into the register number: a dword read starts at byte 3.
  assert.is(p.io.read(0xcfc, 4), 0x10000011);
  p.io.write(0xcf8, 1, 0x04);
  p.io.write(0xcf8, 2, 0x0008);
  assert.is(p.io.read(0xcf8, 4), 0x80002003);
  assert.equal(p.ports.snapshot(), { type: 'pci-config-ports', version: 1, state: { configAddress: 0x80002003 } });
});

test('with the enable bit clear, data reads are all-ones and writes are dropped; bits 30:24 are ignored', () => {
  const { p, edu } = withEdu();
  p.io.write(0xcf8, 4, 0x00002000);
  assert.is(p.io.read(0xcfc, 4), 0xffffffff);
  assert.is(p.io.read(0xcfe, 2), 0xffff);
  assert.is(p.io.read(0xcfd, 1), 0xff);
  p.io.write(0xcf8, 4, 0x0000203c);
  p.io.write(0xcfc, 1, 0x0b);
  assert.is(edu.cfg.get8(0x3c), 0);
  p.io.write(0xcf8, 4, 0x7f002000);
  assert.is(p.io.read(0xcfc, 4), 0xffffffff);
  p.io.write(0xcf8, 4, 0x8f002000);
  assert.is(p.io.read(0xcfc, 4), 0x11e81234);
});

test('absent functions and absent buses read all-ones; writes to them go nowhere', () => {
  const { p } = withEdu();
  assert.is(cfgRead(p, 0, 0x08, 0, 4), 0xffffffff); // 00:01.0
  assert.is(cfgRead(p, 0, 0x21, 0, 2), 0xffff); // 00:04.1
  assert.is(cfgRead(p, 7, 0, 0, 4), 0xffffffff);
  cfgWrite(p, 0, 0x08, 4, 2, 0xffff);
  assert.ok(p.events.some((e) => e.kind === 'pci-config-unclaimed'));
  assert.is(ecamRead(p, 0, 0x08, 0, 4), 0xffffffff);
});

test('ECAM reaches the same functions, and the extended space only on PCIe functions', () => {
  const { p } = withEdu();
  assert.is(ecamRead(p, 0, EDU, 0, 4), 0x11e81234);
  assert.is(ecamRead(p, 0, EDU, 2, 2), 0x11e8);
  assert.is(ecamRead(p, 0, EDU, 3, 1), 0x11);
  // Unaligned word: split into two bytes, as QEMU's memory core does.
  assert.is(ecamRead(p, 0, EDU, 1, 2), 0xe812);
  // edu is conventional PCI: offsets from 0x100 are beyond its config space.
  assert.is(ecamRead(p, 0, EDU, 0x100, 4), 0xffffffff);
  ecamWrite(p, 0, EDU, 0x3c, 1, 0x0b);
  assert.is(cfgRead(p, 0, EDU, 0x3c, 1), 0x0b);
  const rp = addRootPort(p.host.rootBus, 0x08, { acs: { capabilities: PCI_ACS_SV | PCI_ACS_RR } });
  assert.is(rp.cfg.size, 4096);
  assert.is(ecamRead(p, 0, 0x08, 0x100, 4), 0x0001000d);
  // CF8/CFC cannot reach above 0xff: the register field is 8 bits, so 0x100 wraps to 0x00.
  assert.is(cfgRead(p, 0, 0x08, 0x100 & 0xff, 4), 0x000c1b36);
});

test('an ECAM window with a base bus decodes bus = baseBus + (offset >> 20)', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  cfgWrite(p, 0, rp.devfn, 0x18, 4, 0x00050500); // primary 0, secondary 5, subordinate 5
  rp.secondary.addFunction(new PciFunction({ name: 'ep', vendorId: 0x1af4, deviceId: 0x1041, classCode: 0x020000, pcie: { type: 0 } }), 0);
  const w = new EcamWindow(p.host, { baseBus: 5, buses: 1 });
  assert.is(w.size, 1 << 20);
  assert.is(w.handler.read(0, 4), 0x10411af4);
  assert.is(w.handler.read(1 << 15, 4), 0xffffffff, 'device 1 on a PCIe link does not exist');
  assert.throws(() => new EcamWindow(p.host, { baseBus: 255, buses: 2 }), /buses must be 1\.\.1/);
});

test('RO, RW and RW1C bits behave as QEMU 7.2 (edu)', () => {
  const { p, edu } = withEdu();
  // Vendor/device ID are read-only.
  cfgWrite(p, 0, EDU, 0, 4, 0);
  assert.is(cfgRead(p, 0, EDU, 0, 4), 0x11e81234);
  // Command: IO | MEM | MASTER | SERR | INTX_DISABLE writable (0x0507), status untouched.
  cfgWrite(p, 0, EDU, 4, 2, 0xffff);
  assert.is(cfgRead(p, 0, EDU, 4, 4), 0x00100507);
  cfgWrite(p, 0, EDU, 4, 4, 0);
  assert.is(cfgRead(p, 0, EDU, 4, 4), 0x00100000);
  // Class/revision RO; cache line RW, latency timer and BIST RO.
  cfgWrite(p, 0, EDU, 8, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, EDU, 8, 4), 0x00ff0010);
  cfgWrite(p, 0, EDU, 0x0c, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, EDU, 0x0c, 4), 0x000000ff);
  // Unimplemented BAR1 and expansion ROM read 0.
  cfgWrite(p, 0, EDU, 0x14, 4, 0xffffffff);
  cfgWrite(p, 0, EDU, 0x30, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, EDU, 0x14, 4), 0);
  assert.is(cfgRead(p, 0, EDU, 0x30, 4), 0);
  // Interrupt line RW, pin RO, min_gnt/max_lat RO.
  cfgWrite(p, 0, EDU, 0x3c, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, EDU, 0x3c, 4), 0x000001ff);
  // MSI: control takes only Enable and Multiple Message Enable (clamped to capable = 1 vector).
  cfgWrite(p, 0, EDU, 0x40, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, EDU, 0x40, 4), 0x00810005);
  cfgWrite(p, 0, EDU, 0x44, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, EDU, 0x44, 4), 0xfffffffc);
  cfgWrite(p, 0, EDU, 0x48, 4, 0xffffffff);
  assert.is(cfgRead(p, 0, EDU, 0x48, 4), 0xffffffff);
  cfgWrite(p, 0, EDU, 0x40, 4, 0);
  assert.is(cfgRead(p, 0, EDU, 0x40, 4), 0x00800005);
  // QEMU leaves the device-specific area writable on edu.
  cfgWrite(p, 0, EDU, 0x80, 4, 0x12345678);
  assert.is(cfgRead(p, 0, EDU, 0x80, 4), 0x12345678);
  // Status error bits are RW1C: only the bits written as 1 clear.
  edu.cfg.set16(PCI_STATUS, edu.cfg.get16(PCI_STATUS) | PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_DETECTED_PARITY);
  cfgWrite(p, 0, EDU, 6, 2, PCI_STATUS_REC_MASTER_ABORT);
  assert.is(cfgRead(p, 0, EDU, 6, 2), 0x0010 | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_DETECTED_PARITY);
  cfgWrite(p, 0, EDU, 6, 2, 0xffff);
  assert.is(cfgRead(p, 0, EDU, 6, 2), 0x0010, 'capability-list bit is RO, errors cleared');
});

test('a plain function keeps unimplemented bytes read-only zero', () => {
  const p = platform();
  p.host.rootBus.addFunction(new PciFunction({ name: 'nic', vendorId: 0x8086, deviceId: 0x10d3, classCode: 0x020000 }), 0x18);
  cfgWrite(p, 0, 0x18, 0x80, 4, 0x12345678);
  assert.is(cfgRead(p, 0, 0x18, 0x80, 4), 0);
  assert.is(cfgRead(p, 0, 0x18, 6, 2), 0, 'no capabilities: status bit 4 clear');
});

test('header type bit 7 marks multi-function devices', () => {
  const p = platform();
  const mk = (n: string) => new PciFunction({ name: n, vendorId: 0x8086, deviceId: 0x1234, classCode: 0x020000 });
  const f0 = p.host.rootBus.addFunction(mk('f0'), '03.0');
  assert.is(cfgRead(p, 0, 0x18, 0x0e, 1), 0x00);
  p.host.rootBus.addFunction(mk('f1'), '03.1');
  assert.is(cfgRead(p, 0, 0x18, 0x0e, 1), 0x80);
  assert.is(cfgRead(p, 0, 0x19, 0x0e, 1), 0x80);
  assert.ok(f0.multiFunction);
  // The bit is RO.
  cfgWrite(p, 0, 0x18, 0x0c, 4, 0);
  assert.is(cfgRead(p, 0, 0x18, 0x0e, 1), 0x80);
  // Bridges report header type 1 (with bit 7 when multi-function).
  const rp = addRootPort(p.host.rootBus, '1c.0');
  assert.is(cfgRead(p, 0, rp.devfn, 0x0e, 1), 0x01);
  assert.throws(() => p.host.rootBus.addFunction(mk('dup'), '03.0'), /taken by f0/);
  assert.throws(() => p.host.rootBus.addFunction(mk('bad'), '20.0'), /device must be 00\.\.1f/);
});

test('config space snapshot round-trips through the host', () => {
  const { p, edu } = withEdu();
  cfgWrite(p, 0, EDU, 0x3c, 1, 0x0b);
  cfgWrite(p, 0, EDU, 0x10, 4, 0xfe000000);
  cfgWrite(p, 0, EDU, 4, 2, 0x0006);
  const snap = JSON.parse(JSON.stringify(p.host.snapshot()));
  cfgWrite(p, 0, EDU, 4, 2, 0);
  cfgWrite(p, 0, EDU, 0x3c, 1, 0);
  assert.is(edu.barAddress(0), -1);
  p.host.restore(snap);
  assert.is(cfgRead(p, 0, EDU, 0x3c, 1), 0x0b);
  assert.is(edu.barAddress(0), 0xfe000000);
  assert.is(p.memory.read(0xfe000000, 4), 0x010000ed);
  assert.throws(() => p.host.restore({ type: 'pci-host', version: 2, state: {} }), /version 2 is not supported/);
});

test.run();

// edu registers and interrupts. Expected values come from QEMU 7.2 (qtest against
// -machine q35 -device edu,addr=04.0, BAR0 at 0xfe000000) and hw/misc/edu.c.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EduDevice } from '../../src/platform/devices/edu.ts';
import { cfgRead, cfgWrite, platform } from './fixture.ts';

const BAR = 0xfe000000;
const D = 0x20; // 00:04.0

function eduPlatform(opts: { dmaMask?: bigint } = {}) {
  const p = platform();
  const edu = p.host.rootBus.addFunction(new EduDevice({ clock: p.clock, trace: p.trace, ...opts }), '04.0');
  cfgWrite(p, 0, D, 0x10, 4, BAR);
  cfgWrite(p, 0, D, 4, 2, 0x0006); // memory + bus master
  return { p, edu, m: p.memory };
}

test('identification, liveness and the access-size rules', () => {
  const { m } = eduPlatform();
  assert.is(m.read(BAR, 4), 0x010000ed);
  assert.is(m.read64(BAR), 0xffffffffffffffffn, '8-byte reads below 0x80 are refused by edu: all-ones');
  assert.is(m.read(BAR, 2), 0, '2-byte access rejected by the memory core: 0');
  assert.is(m.read(BAR, 1), 0);
  assert.is(m.read(BAR + 2, 4), 0, 'misaligned pieces are too small: 0');
  assert.is(m.read(BAR + 0x0c, 4), 0xffffffff, 'no register there');
  assert.is(m.read(BAR + 0xa0, 4), 0xffffffff);
  assert.is(m.read64(BAR + 0xa0), 0xffffffffffffffffn);
  m.write(BAR + 4, 4, 0x12345678);
  assert.is(m.read(BAR + 4, 4), 0xedcba987);
  m.write(BAR + 4, 2, 0);
  assert.is(m.read(BAR + 4, 4), 0xedcba987, '2-byte writes are dropped');
});

test('an 8-byte write at 0x04 is split into two 4-byte writes (liveness, then factorial)', () => {
  const { m } = eduPlatform();
  m.write64(BAR + 4, 1n);
  assert.is(m.read(BAR + 4, 4), 0xfffffffe);
  assert.is(m.read(BAR + 8, 4), 1, '0! = 1 was started by the high half');
});

test('factorial: n! modulo 2^32, status COMPUTING clear once done', () => {
  const { m } = eduPlatform();
  m.write(BAR + 8, 4, 5);
  assert.is(m.read(BAR + 0x20, 4) & 1, 0);
  assert.is(m.read(BAR + 8, 4), 120);
  m.write(BAR + 8, 4, 13);
  assert.is(m.read(BAR + 8, 4), 0x7328cc00);
  m.write(BAR + 8, 4, 33);
  assert.is(m.read(BAR + 8, 4), 0x80000000);
  m.write(BAR + 8, 4, 0xffffffff);
  assert.is(m.read(BAR + 8, 4), 0);
});

test('status: only bit 7 is writable', () => {
  const { m } = eduPlatform();
  m.write(BAR + 0x20, 4, 0xffffffff);
  assert.is(m.read(BAR + 0x20, 4), 0x80);
  m.write(BAR + 0x20, 4, 0x7e);
  assert.is(m.read(BAR + 0x20, 4), 0);
});

test('interrupt raise/acknowledge drive INTx (pin A) as a level', () => {
  const { p, m, edu } = eduPlatform();
  const line = 16 + ((4 + 0) & 7);
  assert.is(cfgRead(p, 0, D, 0x3d, 1), 1);
  m.write(BAR + 0x60, 4, 0);
  assert.is(m.read(BAR + 0x24, 4), 0);
  assert.is(p.ioapic.level(line), false, 'raising nothing keeps the line low');
  m.write(BAR + 0x60, 4, 0x30);
  assert.is(m.read(BAR + 0x24, 4), 0x30);
  assert.is(p.ioapic.level(line), true);
  assert.is(cfgRead(p, 0, D, 4, 4), 0x00180006, 'status: Interrupt Status + capability list');
  m.write(BAR + 0x64, 4, 0x10);
  assert.is(m.read(BAR + 0x24, 4), 0x20);
  assert.is(p.ioapic.level(line), true);
  m.write(BAR + 0x64, 4, 0x20);
  assert.is(p.ioapic.level(line), false);
  assert.is(cfgRead(p, 0, D, 4, 4), 0x00100006);
  assert.is(edu.interruptStatus, 0);
});

test('factorial interrupt when bit 7 of status is set', () => {
  const { p, m } = eduPlatform();
  m.write(BAR + 0x20, 4, 0x80);
  m.write(BAR + 8, 4, 4);
  assert.is(m.read(BAR + 0x24, 4), 0x1);
  assert.is(p.ioapic.level(20), true);
  assert.is(m.read(BAR + 8, 4), 24);
});

test('MSI: a memory write of the message data, needing bus mastering, once per raise', () => {
  const { p, m } = eduPlatform();
  cfgWrite(p, 0, D, 0x44, 4, 0x1000);
  cfgWrite(p, 0, D, 0x4c, 2, 0x4321);
  cfgWrite(p, 0, D, 0x40, 4, 0x00010000); // MSI enable
  const at = () => p.ramBytes[0x1000]! | (p.ramBytes[0x1001]! << 8) | (p.ramBytes[0x1002]! << 16) | (p.ramBytes[0x1003]! << 24);
  cfgWrite(p, 0, D, 4, 2, 0x0002); // bus master off
  m.write(BAR + 0x60, 4, 1);
  assert.is(at(), 0, 'no bus mastering: the message is not sent');
  cfgWrite(p, 0, D, 4, 2, 0x0006);
  m.write(BAR + 0x60, 4, 1);
  assert.is(at(), 0x4321);
  assert.is(p.ioapic.level(20), false, 'INTx stays quiet with MSI enabled');
  assert.is(cfgRead(p, 0, D, 6, 2), 0x0010);
  p.ramBytes.fill(0, 0x1000, 0x1004);
  m.write(BAR + 0x60, 4, 0);
  assert.is(at(), 0x4321, 'raising 0 while status is non-zero sends another message');
  p.ramBytes.fill(0, 0x1000, 0x1004);
  m.write(BAR + 0x64, 4, 1);
  m.write(BAR + 0x60, 4, 0);
  assert.is(at(), 0, 'status 0: nothing to send');
});

test('MSI into the interrupt window reaches the platform with the requester ID', () => {
  const { p, m } = eduPlatform();
  const got: Array<[number, number, number]> = [];
  p.msi.listen((a, d, r) => got.push([a, d, r!.requesterId]));
  cfgWrite(p, 0, D, 0x44, 4, 0xfee00000);
  cfgWrite(p, 0, D, 0x48, 4, 0);
  cfgWrite(p, 0, D, 0x4c, 2, 0x0041);
  cfgWrite(p, 0, D, 0x40, 4, 0x00010000);
  m.write(BAR + 0x60, 4, 0x100);
  assert.equal(got, [[0xfee00000, 0x41, 0x0020]]);
});

test('enabling MSI deasserts a pending INTx', () => {
  const { p, m } = eduPlatform();
  m.write(BAR + 0x60, 4, 1);
  assert.is(p.ioapic.level(20), true);
  cfgWrite(p, 0, D, 0x40, 4, 0x00010000);
  assert.is(p.ioapic.level(20), false);
});

test('register state survives a snapshot round trip', () => {
  const { p, m, edu } = eduPlatform();
  m.write(BAR + 4, 4, 0x1111);
  m.write(BAR + 8, 4, 6);
  m.write(BAR + 0x60, 4, 0x8);
  const snap = JSON.parse(JSON.stringify(edu.snapshot()));
  m.write(BAR + 4, 4, 0);
  m.write(BAR + 0x64, 4, 0xffffffff);
  edu.restore(snap);
  assert.is(m.read(BAR + 4, 4), ~0x1111 >>> 0);
  assert.is(m.read(BAR + 8, 4), 720);
  assert.is(m.read(BAR + 0x24, 4), 0x8);
  assert.is(p.ioapic.level(20), true);
  assert.throws(() => edu.restore({ type: 'pci-function', version: 1, state: {} }), /snapshot is of type "pci-function"/);
});

test.run();

// 8- and 16-bit registers and layout variants in RegisterFile, on the PCI header (facts:
// PCI Local Bus 3.0 section 6.2, PCI-to-PCI Bridge 1.2 chapter 3, Linux pci_regs.h).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../src/regs/generated/pci.ts';
import * as M from '../../src/regs/generated/pci_msi.ts';
import { RegisterFile } from '../../src/regs/register-file.ts';

const header = (opts = {}) => new RegisterFile(P.pci, opts);

test('byte and word registers answer 1-, 2- and 4-byte accesses at their offsets', () => {
  const rf = header({ resets: { VENDOR_ID: 0x1234, DEVICE_ID: 0x11e8, REVISION_ID: 0x10, CLASS_DEVICE: 0x0604 } });
  assert.is(rf.read(0x00, 4), 0x11e81234, 'dword 0: device ID above vendor ID');
  assert.is(rf.read(0x02, 2), 0x11e8);
  assert.is(rf.read(0x01, 1), 0x12);
  assert.is(rf.read(0x08, 4), 0x06040010, 'dword 8: class code above the revision (PCI_CLASS_REVISION)');
  assert.is(rf.get('REVISION_ID'), 0x10);
  assert.is(rf.get('CLASS_DEVICE'), 0x0604);
});

test('a dword write to COMMAND/STATUS keeps each register its own semantics', () => {
  const rf = header();
  rf.setField('STATUS', 'REC_MASTER_ABORT', 1);
  rf.setField('STATUS', 'CAP_LIST', 1);
  // Write COMMAND = MEMORY | MASTER | SPECIAL and a 1 to STATUS.REC_MASTER_ABORT (bit 13 of the upper word).
  rf.write(P.PCI_COMMAND, 4, ((P.PCI_STATUS_REC_MASTER_ABORT_MASK << 16) | 0x0e) >>> 0);
  assert.is(rf.get('COMMAND'), 0x06, 'SPECIAL is hardwired to 0');
  assert.is(rf.get('STATUS'), P.PCI_STATUS_CAP_LIST_MASK, 'the RW1C bit cleared, CAP_LIST kept');
  // A byte write to COMMAND leaves STATUS alone even if its byte lane would carry ones.
  rf.setField('STATUS', 'SIG_SYSTEM_ERROR', 1);
  rf.write(P.PCI_COMMAND, 2, 0x0000);
  assert.is(rf.get('COMMAND'), 0);
  assert.is(rf.getField('STATUS', 'SIG_SYSTEM_ERROR'), 1);
});

test('hooks of byte registers see their own values and only their own writes', () => {
  const rf = header({ variant: 'TYPE1' });
  const seen: string[] = [];
  rf.onWrite('SECONDARY_BUS', (v, old) => seen.push(`sec ${old}->${v}`));
  rf.onWrite('SUBORDINATE_BUS', (v, old) => seen.push(`sub ${old}->${v}`));
  rf.write(P.PCI_PRIMARY_BUS, 1, 0);
  assert.equal(seen, [], 'a write to PRIMARY_BUS alone fires neither');
  rf.write(P.PCI_PRIMARY_BUS, 4, 0x00050100);
  assert.equal(seen, ['sec 0->1', 'sub 0->5']);
  rf.onRead('SUBORDINATE_BUS', () => 0xff);
  assert.is(rf.read(P.PCI_PRIMARY_BUS, 4), 0x00ff0100, 'the hook replaces only its byte');
  assert.is(rf.read(P.PCI_SUBORDINATE_BUS, 1), 0xff);
  rf.onRead('SUBORDINATE_BUS', null);
  assert.is(rf.read(P.PCI_SUBORDINATE_BUS, 1), 0x05);
});

test('variants: type 0 has six BARs, type 1 has bus numbers at 0x18', () => {
  const t0 = header();
  assert.is(t0.variant, 'TYPE0');
  assert.ok(t0.has('BASE_ADDRESS_5') && !t0.has('PRIMARY_BUS'));
  t0.write(0x18, 4, 0xfebf0000);
  assert.is(t0.get('BASE_ADDRESS_2'), 0xfebf0000);

  const t1 = header({ variant: 'TYPE1' });
  assert.ok(t1.has('PRIMARY_BUS') && !t1.has('BASE_ADDRESS_2'));
  t1.write(0x18, 4, 0x00020100);
  assert.equal([t1.get('PRIMARY_BUS'), t1.get('SECONDARY_BUS'), t1.get('SUBORDINATE_BUS')], [0, 1, 2]);
  assert.throws(() => t1.get('BASE_ADDRESS_2'), /belongs to variant TYPE0; this instance models TYPE1/);
  assert.throws(() => header({ variant: 'TYPE2' }), /no variant "TYPE2" \(variants: TYPE0, TYPE1\)/);
});

test('MSI layouts: DATA sits at 0x08 or 0x0c', () => {
  const m64 = new RegisterFile(M.pci_msi);
  const m32 = new RegisterFile(M.pci_msi, { variant: 'ADDR32' });
  m64.write(0x0c, 2, 0x4041);
  m32.write(0x08, 2, 0x4041);
  assert.equal([m64.get('DATA_64'), m32.get('DATA_32')], [0x4041, 0x4041]);
  assert.is(m64.read(0x0c, 4), 0x4041, 'bytes 0x0e-0x0f hold no register');
});

test('byte registers in dumps, state and snapshots', () => {
  const rf = header({ resets: { HEADER_TYPE: 0x80 } });
  rf.set('INTERRUPT_LINE', 0x0b);
  assert.match(rf.dump({ zeros: false }), /0x00e HEADER_TYPE\s+0x80\s+MFD=1/);
  const st = rf.state();
  assert.is(st['INTERRUPT_LINE'], '0x0b');
  const other = header();
  other.loadState(st);
  assert.is(other.read(P.PCI_INTERRUPT_LINE, 1), 0x0b);
  assert.is(other.read(P.PCI_HEADER_TYPE, 1), 0x80);
  assert.throws(() => rf.set('INTERRUPT_LINE', 0x100), /does not fit in 8 bits/);
});

test.run();

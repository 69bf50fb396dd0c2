// PCIe capability types, the ACS extended capability layout (PCIe Base spec 7.7.8, Linux
// pci_regs.h), and DMA aliasing with Linux's pci_for_each_dma_alias rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TranslateRequest } from '../../src/bridge/types.ts';
import { Access } from '../../src/bridge/types.ts';
import { PciFunction } from '../../src/platform/pci/function.ts';
import { dmaAliases, forEachDmaAlias, wireRequesterId } from '../../src/platform/pci/dma-alias.ts';
import { addPciBridge, addPcieToPciBridge, addRootPort, addSwitch } from '../../src/platform/pci/topology.ts';
import { PCI_ACS_CR, PCI_ACS_EC, PCI_ACS_RR, PCI_ACS_SV, PCI_ACS_UF } from '../../src/platform/pci/regs.ts';
import { cfgWrite, ecamRead, ecamWrite, platform } from './fixture.ts';

const conv = (name: string, extra: object = {}) => new PciFunction({ name, vendorId: 0x8086, deviceId: 0x100e, classCode: 0x020000, ...extra });

test('the PCIe capability reports the device/port type in Flags bits 7:4', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0', { slot: 3 });
  cfgWrite(p, 0, rp.devfn, 0x18, 4, 0x00050100);
  const sw = addSwitch(rp.secondary, 0, 1);
  cfgWrite(p, 1, 0, 0x18, 4, 0x00050201);
  const pb = addPcieToPciBridge(p.host.rootBus, '1d.0');
  const rciep = p.host.rootBus.addFunction(new PciFunction({ name: 'rciep', vendorId: 1, deviceId: 2, classCode: 0, pcie: { type: 9 } }), '02.0');
  const flags = (f: PciFunction) => ecamRead(p, f.busNumber, f.devfn, f.pcieCap + 2, 2);
  assert.is(rp.pcieCap, 0x40);
  assert.is(ecamRead(p, 0, rp.devfn, 0x40, 1), 0x10, 'capability ID 0x10');
  assert.is(flags(rp), 0x0142, 'v2, root port (4), slot implemented');
  assert.is(flags(sw.upstream), 0x0052);
  assert.is(flags(sw.downstream[0]!), 0x0162);
  assert.is(flags(pb), 0x0072);
  assert.is(flags(rciep), 0x0092);
  assert.is(rp.pcieType, 4);
  assert.is(conv('c').pcieType, -1);
});

test('ACS capability: header at 0x100, capability RO, control writable only where implemented', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0', { acs: { capabilities: PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF } });
  const d = rp.devfn;
  assert.is(ecamRead(p, 0, d, 0x100, 4), 0x0001000d, 'ID 0x000d, version 1, last in the list');
  assert.is(ecamRead(p, 0, d, 0x104, 2), 0x001d);
  assert.is(ecamRead(p, 0, d, 0x106, 2), 0x0000, 'firmware left ACS off');
  ecamWrite(p, 0, d, 0x104, 2, 0xffff);
  assert.is(ecamRead(p, 0, d, 0x104, 2), 0x001d, 'ACS Capability is RO');
  ecamWrite(p, 0, d, 0x106, 2, 0xffff);
  assert.is(ecamRead(p, 0, d, 0x106, 2), 0x001d, 'TB/EC/DT not implemented: hardwired 0');
  // Egress control: vector size in capability bits 15:8, the vector follows the control register.
  const sw = addSwitch(p.host.rootBus, '05.0', 1, { downstreamAcs: { capabilities: PCI_ACS_SV | PCI_ACS_EC, egressBits: 8 } });
  const dp = sw.downstream[0]!;
  cfgWrite(p, 0, sw.upstream.devfn, 0x18, 4, 0x00010100);
  assert.is(ecamRead(p, 1, dp.devfn, 0x104, 2), 0x0821);
  ecamWrite(p, 1, dp.devfn, 0x108, 4, 0xffffffff);
  assert.is(ecamRead(p, 1, dp.devfn, 0x108, 4), 0x000000ff, '8-bit egress vector');
  assert.throws(() => addRootPort(p.host.rootBus, '1e.0', { acs: { capabilities: 0x80 } }), /mask of the PCI_ACS_\* bits/);
});

/** Root port 00:1c.0 (bus 1) -> PCIe-to-PCI bridge 01:00.0 (bus 2) -> conventional devices. */
function legacyTree() {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  cfgWrite(p, 0, rp.devfn, 0x18, 4, 0x00030100);
  const br = addPcieToPciBridge(rp.secondary, 0);
  cfgWrite(p, 1, 0, 0x18, 4, 0x00030201);
  return { p, rp, br };
}

test('devices behind a PCIe-to-PCI bridge alias to (secondary bus, 00.0)', () => {
  const { br } = legacyTree();
  const dev = br.secondary.addFunction(conv('nic'), '05.0');
  const al = dmaAliases(dev);
  assert.equal(al.map((a) => a.rid), [0x0228, 0x0200]);
  assert.is(al[1]!.owner, br, 'the alias belongs to the bridge');
  assert.is(wireRequesterId(dev), 0x0200);
  assert.is(dev.dmaPort.requester.requesterId, 0x0200, 'the IOMMU sees the bridge-owned ID');
  // The bridge itself (a PCIe function below a root port) has only its own RID.
  assert.equal(dmaAliases(br).map((a) => a.rid), [0x0100]);
});

test('a conventional bridge aliases to its own RID; nested bridges yield every alias', () => {
  const { p, br } = legacyTree();
  const pb = addPciBridge(br.secondary, '01.0');
  cfgWrite(p, 2, pb.devfn, 0x18, 4, 0x00030302);
  const dev = pb.secondary.addFunction(conv('old'), '02.0');
  assert.equal(dmaAliases(dev).map((a) => a.rid), [0x0310, 0x0208, 0x0200]);
  assert.is(wireRequesterId(dev), 0x0200);
  // Stop at the first alias when the callback says so.
  const seen: number[] = [];
  assert.is(forEachDmaAlias(dev, (_o, rid) => { seen.push(rid); return rid === 0x0208; }), true);
  assert.equal(seen, [0x0310, 0x0208]);
});

test('bridge quirk flags: PCIE_BRIDGE_ALIAS, NO_ALIAS and XLATE_ROOT', () => {
  const p = platform();
  const rp = addRootPort(p.host.rootBus, '1c.0');
  cfgWrite(p, 0, rp.devfn, 0x18, 4, 0x00020100);
  const noAlias = addPcieToPciBridge(rp.secondary, 0, { noAlias: true });
  cfgWrite(p, 1, 0, 0x18, 4, 0x00020201);
  const d1 = noAlias.secondary.addFunction(conv('vga'), 0);
  assert.equal(dmaAliases(d1).map((a) => a.rid), [0x0200]);
  assert.is(wireRequesterId(d1), 0x0200);

  const p2 = platform();
  const asm = addPciBridge(p2.host.rootBus, '1e.0', { pcieBridgeAlias: true });
  cfgWrite(p2, 0, asm.devfn, 0x18, 4, 0x00010100);
  const d2 = asm.secondary.addFunction(conv('x'), '03.0');
  assert.equal(dmaAliases(d2).map((a) => a.rid), [0x0118, 0x0100]);

  const p3 = platform();
  const root = addRootPort(p3.host.rootBus, '1c.0', { xlateRoot: true });
  cfgWrite(p3, 0, root.devfn, 0x18, 4, 0x00020100);
  const inner = addPcieToPciBridge(root.secondary, 0);
  cfgWrite(p3, 1, 0, 0x18, 4, 0x00020201);
  const d3 = inner.secondary.addFunction(conv('y'), '01.0');
  assert.equal(dmaAliases(d3).map((a) => a.rid), [0x0208, 0x0200], 'aliases below the translation root only');
});

test('quirk DMA aliases (dma_alias_mask) on the same bus, in devfn order', () => {
  const p = platform();
  const sata = p.host.rootBus.addFunction(conv('sata', { dmaAliases: [0x31, 0x31, 0x29], dmaSourceDevfn: 0x29 }), '05.0');
  p.host.rootBus.addFunction(conv('sata.1'), '05.1');
  assert.equal(dmaAliases(sata).map((a) => a.rid), [0x0028, 0x0029, 0x0031]);
  assert.is(wireRequesterId(sata), 0x0029, 'this quirk device emits its function-1 ID');
  assert.throws(() => conv('bad', { dmaAliases: [1], dmaSourceDevfn: 2 }), /must be one of its dmaAliases/);
});

test('an IOMMU in front of the DMA port is asked with the wire requester ID', () => {
  const { p, br } = legacyTree();
  const dev = br.secondary.addFunction(conv('nic'), '05.0');
  cfgWrite(p, 2, dev.devfn, 4, 2, 0x0004);
  cfgWrite(p, 1, 0, 4, 2, 0x0004);
  cfgWrite(p, 0, 0xe0, 4, 2, 0x0004);
  const asked: TranslateRequest[] = [];
  dev.dmaPort.setTranslator({ translate: (r) => (asked.push(r), { ok: true, pa: r.iova + 0x1000, perm: 3, pageSize: 4096 }) });
  dev.dmaPort.write(0x10, new Uint8Array([7]));
  assert.is(asked[0]!.requester.requesterId, 0x0200);
  assert.is(asked[0]!.access, Access.WRITE);
  assert.is(p.ramBytes[0x1010], 7);
});

test.run();

// pci_device_group on real topologies discovered through configuration space (iommu-core.md c1
// "Consequences" table, c2, c3): ACS on root and downstream ports, PCIe-to-PCI bridges, multi-
// function endpoints with and without ACS, DMA-alias quirks, and group IDs / references (c6).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addPcieToPciBridge, addRootPort, addSwitch } from '../../src/platform/pci/topology.ts';
import { PCI_ACS_CR, PCI_ACS_RR, PCI_ACS_SV, PCI_ACS_UF } from '../../src/platform/pci/regs.ts';
import { conv, ep, kernel } from './fixture.ts';
import { platformDevices } from './mock-iommu.ts';
import { IommuCore } from '../../src/kernel/iommu/core.ts';
import { MockIommu } from './mock-iommu.ts';

const ACS = { capabilities: PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF };

test('endpoint below a root port with ACS: the endpoint alone; the root port in its own group', () => {
  const k = kernel((p) => {
    const rp = addRootPort(p.host.rootBus, '1c.0', { acs: ACS });
    rp.secondary.addFunction(ep('nic'), 0);
  });
  assert.equal(k.groups(), [['0000:00:00.0'], ['0000:00:1c.0'], ['0000:01:00.0']]);
});

test('root port without ACS, two functions below it: one group {root port, 01:00.0, 01:00.1}', () => {
  const k = kernel((p) => {
    const rp = addRootPort(p.host.rootBus, '1c.0');
    rp.secondary.addFunction(ep('f0', { multiFunction: true }), 0);
    rp.secondary.addFunction(ep('f1', { multiFunction: true }), 1);
  });
  assert.equal(k.groups(), [['0000:00:00.0'], ['0000:00:1c.0', '0000:01:00.0', '0000:01:00.1']]);
});

test('ACS must be enabled, not only implemented: with the kernel not enabling it the endpoint joins the port', () => {
  const k = kernel((p) => {
    const rp = addRootPort(p.host.rootBus, '1c.0', { acs: ACS });
    rp.secondary.addFunction(ep('nic'), 0);
  }, { scan: { enableAcs: false } });
  assert.equal(k.groups(), [['0000:00:00.0'], ['0000:00:1c.0', '0000:01:00.0']]);
});

test('multifunction endpoint on the root bus: f0 and f2 without ACS share a group, f6 with ACS is alone', () => {
  const k = kernel((p) => {
    p.host.rootBus.addFunction(ep('f0', { multiFunction: true }), '05.0');
    p.host.rootBus.addFunction(ep('f2', { multiFunction: true }), '05.2');
    p.host.rootBus.addFunction(ep('f6', { multiFunction: true, acs: ACS }), '05.6');
  });
  assert.equal(k.groups(), [['0000:00:00.0'], ['0000:00:05.0', '0000:00:05.2'], ['0000:00:05.6']]);
});

test('conventional PCI devices behind a PCIe-to-PCI bridge: bridge and devices in one group', () => {
  const k = kernel((p) => {
    const rp = addRootPort(p.host.rootBus, '1c.0', { acs: ACS });
    const br = addPcieToPciBridge(rp.secondary, 0);
    br.secondary.addFunction(conv('a'), '01.0');
    br.secondary.addFunction(conv('b'), '02.0');
  });
  assert.equal(k.groups(), [['0000:00:00.0'], ['0000:00:1c.0'], ['0000:01:00.0', '0000:02:01.0', '0000:02:02.0']]);
});

test('switch with ACS on its downstream ports: each endpoint alone', () => {
  const k = kernel((p) => {
    const rp = addRootPort(p.host.rootBus, '1c.0', { acs: ACS });
    const sw = addSwitch(rp.secondary, 0, 2, { downstreamAcs: ACS });
    sw.downstream[0]!.secondary.addFunction(ep('A'), 0);
    sw.downstream[1]!.secondary.addFunction(ep('B'), 0);
  });
  const g = k.groups();
  assert.ok(g.some((x) => x.length === 1 && x[0] === '0000:03:00.0'), JSON.stringify(g));
  assert.ok(g.some((x) => x.length === 1 && x[0] === '0000:04:00.0'), JSON.stringify(g));
});

test('switch whose downstream ports lack ACS: {DSP1, A} and {DSP2, B}, not one group (current upstream algorithm)', () => {
  const k = kernel((p) => {
    const rp = addRootPort(p.host.rootBus, '1c.0', { acs: ACS });
    const sw = addSwitch(rp.secondary, 0, 2);
    sw.downstream[0]!.secondary.addFunction(ep('A'), 0);
    sw.downstream[1]!.secondary.addFunction(ep('B'), 0);
  });
  // Bus numbers: rp -> 1, upstream port 01:00.0 -> 2, DSP 02:00.0 -> 3 (A at 03:00.0), DSP 02:01.0 -> 4 (B at 04:00.0).
  const g = k.groups();
  assert.ok(g.some((x) => JSON.stringify(x) === JSON.stringify(['0000:02:00.0', '0000:03:00.0'])), JSON.stringify(g));
  assert.ok(g.some((x) => JSON.stringify(x) === JSON.stringify(['0000:02:01.0', '0000:04:00.0'])), JSON.stringify(g));
});

test('a DMA-alias quirk (function-1 alias) puts both functions of the slot in one group even with ACS', () => {
  const k = kernel((p) => {
    p.host.rootBus.addFunction(ep('sata0', { multiFunction: true, acs: ACS, vendorId: 0x1b4b, deviceId: 0x9123 }), '06.0');
    p.host.rootBus.addFunction(ep('sata1', { multiFunction: true, acs: ACS, vendorId: 0x1b4b, deviceId: 0x9124 }), '06.1');
  }, { scan: { quirks: [{ vendor: 0x1b4b, device: 0x9123, functions: [1] }] } });
  assert.equal(k.groups(), [['0000:00:00.0'], ['0000:00:06.0', '0000:00:06.1']]);
});

test('group IDs are the lowest free numbers and come back when a group dies; references (c6)', () => {
  const core = new IommuCore();
  const mock = new MockIommu(core, { grouping: 'generic' });
  core.iommuDeviceRegister(mock.iommuDev);
  const [a, b, c] = platformDevices('a', 'b', 'c');
  core.busIommuProbe([a!, b!, c!]);
  assert.equal([a, b, c].map((d) => d!.iommu!.group!.id), [0, 1, 2]);
  const gb = core.iommuGroupGet(b!)!;
  assert.is(gb.refs, 2, 'the device and our reference');
  core.iommuReleaseDevice(b!);
  assert.is(b!.iommu, null);
  const d = platformDevices('d')[0]!;
  core.iommuProbeDevice(d);
  assert.is(d.iommu!.group!.id, 3, 'ID 1 is still held by our reference');
  core.iommuGroupPut(gb);
  core.iommuGroupPut(null);
  const e = platformDevices('e')[0]!;
  core.iommuProbeDevice(e);
  assert.is(e.iommu!.group!.id, 1, 'the freed ID is reused');
});

test('generic_single_device_group: every device of one IOMMU instance shares a group', () => {
  const core = new IommuCore();
  const mock = new MockIommu(core, { grouping: 'single' });
  core.iommuDeviceRegister(mock.iommuDev);
  const devs = platformDevices('x', 'y');
  core.busIommuProbe(devs);
  assert.is(devs[0]!.iommu!.group, devs[1]!.iommu!.group);
  assert.is(devs[0]!.iommu!.group!.devices.length, 2);
});

test.run();

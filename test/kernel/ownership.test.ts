// DMA ownership (iommu-core.md d1-d5): kernel drivers using the DMA API versus a user-space
// owner, group and device claims with cookies and counts, every errno in its order, the
// driver core's driver_managed_dma, and the RESV_DIRECT rule; reserved regions (f) and
// capabilities / MSI isolation (g).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addRootPort } from '../../src/platform/pci/topology.ts';
import { KernelError } from '../../src/kernel/errors.ts';
import type { KDriver } from '../../src/kernel/device.ts';
import {
  IOMMU_CAP_CACHE_COHERENCY, IOMMU_CAP_NOEXEC, IOMMU_DOMAIN_BLOCKED, IOMMU_READ, IOMMU_RESV_DIRECT, IOMMU_RESV_DIRECT_RELAXABLE,
  IOMMU_RESV_MSI, IOMMU_RESV_RESERVED, IOMMU_WRITE,
} from '../../src/kernel/iommu/types.ts';
import { ep, kernel } from './fixture.ts';
import type { MockOptions } from './mock-iommu.ts';

const err = (errno: string) => (e: unknown) => e instanceof KernelError && e.errno === errno;
const e1000e: KDriver = { name: 'e1000e', driverManagedDma: false };
const vfio: KDriver = { name: 'vfio-pci', driverManagedDma: true };
const A = '0000:01:00.0';
const B = '0000:01:00.1';

function groupAB(mock: MockOptions = {}) {
  const k = kernel((p) => {
    const rp = addRootPort(p.host.rootBus, '1c.0');
    rp.secondary.addFunction(ep('A', { multiFunction: true }), 0);
    rp.secondary.addFunction(ep('B', { multiFunction: true }), 1);
  }, { mock });
  return { ...k, a: k.dev(A), b: k.dev(B), g: k.dev(A).iommu!.group! };
}

test('d3: A bound to a DMA-API driver: owner_cnt 1; VFIO group claim and a device claim of B are -EPERM', () => {
  const { core, a, b, g } = groupAB();
  core.bindDriver(a, e1000e);
  assert.is(g.ownerCnt, 1);
  assert.is(g.owner, null);
  assert.throws(() => core.iommuGroupClaimDmaOwner(g, 'vfio-group'), err('EPERM'));
  assert.throws(() => core.iommuDeviceClaimDmaOwner(b, 'iommufd'), err('EPERM'));
  assert.ok(core.iommuGroupDmaOwnerClaimed(g), 'not viable for VFIO');
  core.unbindDriver(a);
  assert.is(g.ownerCnt, 0);
});

test('d3: vfio-pci (driver_managed_dma) on both: no owner_cnt; the group claim succeeds and switches to blocking', () => {
  const { core, mock, a, b, g } = groupAB();
  core.bindDriver(a, vfio);
  core.bindDriver(b, vfio);
  assert.is(g.ownerCnt, 0);
  core.iommuGroupClaimDmaOwner(g, 'vfio-group');
  assert.is(g.domain, g.blockingDomain);
  assert.is(g.blockingDomain!.type, IOMMU_DOMAIN_BLOCKED);
  assert.is(mock.attached.get(a), mock.blockedDomain!);
  assert.throws(() => core.iommuGroupClaimDmaOwner(g, 'someone'), err('EPERM'), 'already owned');
  assert.throws(() => core.iommuGroupClaimDmaOwner(g, null), err('EINVAL'), 'NULL owner first');
  core.iommuGroupReleaseDmaOwner(g);
  assert.is(g.domain, g.defaultDomain);
  assert.is(g.ownerCnt, 0);
});

test('d3: iommufd binds A then B with one cookie (owner_cnt 2); another cookie -EPERM; release order', () => {
  const { core, a, b, g } = groupAB();
  const X = { ctx: 'X' };
  core.iommuDeviceClaimDmaOwner(a, X);
  assert.is(g.ownerCnt, 1);
  assert.is(g.domain, g.blockingDomain);
  core.iommuDeviceClaimDmaOwner(b, X);
  assert.is(g.ownerCnt, 2);
  assert.throws(() => core.iommuDeviceClaimDmaOwner(a, { ctx: 'Y' }), err('EPERM'));
  assert.throws(() => core.iommuDeviceClaimDmaOwner(a, null), err('EINVAL'));
  core.iommuDeviceReleaseDmaOwner(a);
  assert.is(g.ownerCnt, 1);
  assert.is(g.domain, g.blockingDomain, 'still blocking');
  core.iommuDeviceReleaseDmaOwner(b);
  assert.is(g.ownerCnt, 0);
  assert.is(g.owner, null);
  assert.is(g.domain, g.defaultDomain, 'default domain re-attached');
});

test('d3: an owned group refuses a DMA-API driver (-EBUSY); a driver_managed_dma driver probes fine', () => {
  const { core, a, b, g } = groupAB();
  core.iommuDeviceClaimDmaOwner(a, 'X');
  assert.throws(() => core.bindDriver(b, e1000e), err('EBUSY'));
  assert.is(b.driver, null);
  core.bindDriver(b, vfio);
  assert.is(g.ownerCnt, 1, 'vfio-pci does not touch owner_cnt');
});

test('d3: a kernel user attached an UNMANAGED domain without claiming; a claim is then -EBUSY', () => {
  const { core, a, g } = groupAB();
  const dom = core.iommuPagingDomainAlloc(a);
  core.iommuAttachGroup(dom, g);
  assert.throws(() => core.iommuGroupClaimDmaOwner(g, 'vfio'), err('EBUSY'));
  assert.is(g.domain, dom, 'unchanged');
});

test('d2: a PASID attachment blocks ownership changes (-EBUSY)', () => {
  const { core, a, g } = groupAB();
  g.pasids.set(5, core.iommuPagingDomainAlloc(a));
  assert.throws(() => core.iommuGroupClaimDmaOwner(g, 'vfio'), err('EBUSY'));
});

test('d5: a RESV_DIRECT device gets its range 1:1 in the DMA default domain and its group can never be claimed (-EINVAL)', () => {
  const { core, mock, a, b, g } = groupAB({
    resv: new Map([[A, [{ start: 0xe000_0000, length: 0x3000, prot: IOMMU_READ | IOMMU_WRITE, type: IOMMU_RESV_DIRECT }]]]),
  });
  assert.ok(a.iommu!.requireDirect);
  assert.not.ok(b.iommu!.requireDirect);
  assert.is(core.iommuIovaToPhys(g.defaultDomain!, 0xe000_2abc), 0xe000_2abc, 'mapped 1:1');
  assert.throws(() => core.iommuGroupClaimDmaOwner(g, 'vfio'), err('EINVAL'));
  assert.throws(() => core.iommuDeviceClaimDmaOwner(b, 'iommufd'), err('EINVAL'), 'B shares the group');
  assert.is(g.domain, g.defaultDomain, 'the group stays on its default domain');
  assert.is(g.ownerCnt, 0);
  assert.ok(core.dmesg.some((l) => l.includes('1:1 IOMMU mapping')));
  // Attaching a user UNMANAGED domain directly is not blocked by the rule.
  const dom = core.iommuPagingDomainAlloc(a);
  core.iommuAttachGroup(dom, g);
  assert.is(mock.attached.get(a), dom);
});

test('d5: DIRECT_RELAXABLE maps 1:1 but does not set require_direct: the group can be claimed', () => {
  const { core, a, g } = groupAB({
    resv: new Map([[A, [{ start: 0xe000_0000, length: 0x1000, prot: IOMMU_READ, type: IOMMU_RESV_DIRECT_RELAXABLE }]]]),
  });
  assert.not.ok(a.iommu!.requireDirect);
  assert.is(core.iommuIovaToPhys(g.defaultDomain!, 0xe000_0010), 0xe000_0010);
  core.iommuGroupClaimDmaOwner(g, 'vfio');
  assert.is(g.domain, g.blockingDomain);
});

test('f: group reserved regions: union sorted by start, same-type overlaps merged, sysfs text', () => {
  const { core, g } = groupAB({
    resv: new Map([
      [A, [{ start: 0xfee0_0000, length: 0x10_0000, prot: 0, type: IOMMU_RESV_MSI }, { start: 0x1000, length: 0x2000, prot: 0, type: IOMMU_RESV_RESERVED }]],
      [B, [{ start: 0x2000, length: 0x2000, prot: 0, type: IOMMU_RESV_RESERVED }, { start: 0x2000, length: 0x1000, prot: 3, type: IOMMU_RESV_DIRECT_RELAXABLE }]],
    ]),
  });
  assert.is(core.reservedRegionsText(g), [
    '0x0000000000001000 0x0000000000003fff reserved',
    '0x0000000000002000 0x0000000000002fff direct-relaxable',
    '0x00000000fee00000 0x00000000feefffff msi',
    '',
  ].join('\n'));
});

test('g: device_iommu_capable asks the driver; no IOMMU or no op -> false; isolated MSI is an AND over the group', () => {
  const { core, a, b, g } = groupAB({ caps: new Set([IOMMU_CAP_CACHE_COHERENCY]) });
  assert.ok(core.deviceIommuCapable(a, IOMMU_CAP_CACHE_COHERENCY));
  assert.not.ok(core.deviceIommuCapable(a, IOMMU_CAP_NOEXEC));
  const host = b; // any device
  assert.not.ok(core.iommuGroupHasIsolatedMsi(g), 'no isolating IRQ domain by default');
  void host;
  const k2 = kernel((p) => p.host.rootBus.addFunction(ep('x'), '03.0'), { core: { isolatedMsi: () => true } });
  assert.ok(k2.core.iommuGroupHasIsolatedMsi(k2.dev('0000:00:03.0').iommu!.group!));
  assert.not.ok(k2.core.deviceIommuCapable(k2.dev('0000:00:03.0'), IOMMU_CAP_CACHE_COHERENCY), 'the mock reports nothing by default');
});

test.run();

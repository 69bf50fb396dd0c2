// Default domains (iommu-core.md b2, b3), attach semantics and failure handling (e1, e2), and
// iommu_map / iommu_unmap rules (b6), against the mock driver.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addRootPort } from '../../src/platform/pci/topology.ts';
import { IommuCore, iommuPgsize } from '../../src/kernel/iommu/core.ts';
import { KernelError } from '../../src/kernel/errors.ts';
import {
  IOMMU_CAP_DEFERRED_FLUSH, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, IOMMU_DOMAIN_IDENTITY, IOMMU_READ, IOMMU_WRITE,
} from '../../src/kernel/iommu/types.ts';
import { ep, kernel } from './fixture.ts';
import { MockIommu, SZ_1G, SZ_2M, SZ_4K, platformDevices, type MockPriv } from './mock-iommu.ts';

const err = (errno: string) => (e: unknown) => e instanceof KernelError && e.errno === errno;

function twoFn(mock = {}, core = {}) {
  return kernel((p) => {
    const rp = addRootPort(p.host.rootBus, '1c.0'); // no ACS: one group with both functions
    rp.secondary.addFunction(ep('f0', { multiFunction: true }), 0);
    rp.secondary.addFunction(ep('f1', { multiFunction: true }), 1);
  }, { mock, core });
}

test('default domain: the global default (strict DMA) unless a driver wishes; IDENTITY wins a conflict', () => {
  const k = twoFn();
  const g = k.dev('0000:01:00.0').iommu!.group!;
  assert.is(k.core.groupTypeText(g), 'DMA');
  assert.is(g.domain, g.defaultDomain);
  const pt = twoFn({}, { defaultDomainType: IOMMU_DOMAIN_IDENTITY });
  assert.is(pt.core.groupTypeText(pt.dev('0000:01:00.0').iommu!.group!), 'identity');
  const wish = twoFn({ wish: new Map([['0000:01:00.0', IOMMU_DOMAIN_DMA], ['0000:01:00.1', IOMMU_DOMAIN_IDENTITY]]) });
  assert.is(wish.core.groupTypeText(wish.dev('0000:01:00.0').iommu!.group!), 'identity');
  assert.ok(wish.core.dmesg.some((l) => l.includes('conflicting')));
});

test('lazy (DMA-FQ) default without DEFERRED_FLUSH silently becomes strict DMA; with it, DMA-FQ', () => {
  const k = twoFn({}, { defaultDomainType: IOMMU_DOMAIN_DMA_FQ });
  assert.is(k.core.groupTypeText(k.dev('0000:01:00.0').iommu!.group!), 'DMA');
  const fq = twoFn({ caps: new Set([IOMMU_CAP_DEFERRED_FLUSH]) }, { defaultDomainType: IOMMU_DOMAIN_DMA_FQ });
  assert.is(fq.core.groupTypeText(fq.dev('0000:01:00.0').iommu!.group!), 'DMA-FQ');
});

test('untrusted devices: the group gets DMA even under passthrough; an IDENTITY wish makes setup fail (-EINVAL), the devices stay unprobed', () => {
  const core = new IommuCore({ defaultDomainType: IOMMU_DOMAIN_IDENTITY });
  const mock = new MockIommu(core, { grouping: 'generic' });
  core.iommuDeviceRegister(mock.iommuDev);
  const [a] = platformDevices('tbt');
  a!.untrusted = true;
  core.busIommuProbe([a!]);
  assert.is(core.groupTypeText(a!.iommu!.group!), 'DMA');
  const core2 = new IommuCore();
  const mock2 = new MockIommu(core2, { grouping: 'generic', wish: new Map([['tbt2', IOMMU_DOMAIN_IDENTITY]]) });
  core2.iommuDeviceRegister(mock2.iommuDev);
  const [b] = platformDevices('tbt2');
  b!.untrusted = true;
  core2.busIommuProbe([b!]);
  assert.is(b!.iommu?.group ?? null, null, 'not in any group: probe failed');
  assert.ok(core2.dmesg.some((l) => l.includes('EINVAL')));
});

test('a static PLATFORM default domain (POWER-style driver) becomes every group default; no paging domains', () => {
  const core = new IommuCore();
  const mock = new MockIommu(core, { grouping: 'generic', platform: true, paging: false, identity: false });
  core.iommuDeviceRegister(mock.iommuDev);
  const [d] = platformDevices('phb-dev');
  core.busIommuProbe([d!]);
  assert.is(d!.iommu!.group!.defaultDomain, mock.defaultDomain!);
  assert.throws(() => core.iommuPagingDomainAlloc(d!), err('EOPNOTSUPP'));
  core.iommuGroupClaimDmaOwner(d!.iommu!.group!, 'vfio');
  assert.is(d!.iommu!.group!.domain, mock.blockedDomain!, 'claim switches to the static blocked domain');
  core.iommuGroupReleaseDmaOwner(d!.iommu!.group!);
  assert.is(mock.attached.get(d!), mock.defaultDomain!, 'release hands DMA back to the platform domain');
});

test('iommu_attach_device: singleton groups only (-EINVAL otherwise); iommu_attach_group for the whole group', () => {
  const k = twoFn();
  const d0 = k.dev('0000:01:00.0');
  const dom = k.core.iommuPagingDomainAlloc(d0);
  assert.throws(() => k.core.iommuAttachDevice(dom, d0), err('EINVAL'));
  const g = d0.iommu!.group!;
  k.core.iommuAttachGroup(dom, g);
  assert.is(g.domain, dom);
  for (const d of g.devices) assert.is(k.mock.attached.get(d), dom);
  // Someone else's domain is attached: another attach is -EBUSY.
  const other = k.core.iommuPagingDomainAlloc(d0);
  assert.throws(() => k.core.iommuAttachGroup(other, g), err('EBUSY'));
  k.core.iommuDetachGroup(dom, g);
  assert.is(g.domain, g.defaultDomain, 'detach returns to the default domain');
  k.core.iommuGroupReplaceDomain(g, other);
  assert.is(g.domain, other);
  assert.throws(() => k.core.iommuGroupReplaceDomain(g, null), err('EINVAL'));
});

test('a domain from another driver is -EINVAL', () => {
  const k = twoFn();
  const foreignCore = new IommuCore();
  const foreign = new MockIommu(foreignCore, { name: 'other' });
  const dom = foreignCore.iommuPagingDomainAlloc(platformDevices('x').map((d) => (foreignCore.iommuDeviceRegister(foreign.iommuDev), foreignCore.iommuProbeDevice(d), d))[0]!);
  assert.throws(() => k.core.iommuAttachGroup(dom, k.dev('0000:01:00.0').iommu!.group!), err('EINVAL'));
});

test('attach failure on the second device: the first is reverted to the previous domain, group.domain unchanged, errno returned', () => {
  const k = twoFn({ failAttach: new Map() });
  k.mock.o.failAttach!.set('0000:01:00.1', 28); // ENOSPC, after the probe
  const d0 = k.dev('0000:01:00.0');
  const g = d0.iommu!.group!;
  const before = g.domain;
  const dom = k.core.iommuPagingDomainAlloc(d0);
  assert.throws(() => k.core.iommuAttachGroup(dom, g), err('ENOSPC'));
  assert.is(g.domain, before);
  assert.is(k.mock.attached.get(d0), before, 'device 0 put back on the previous domain');
});

test('must-succeed attach (default domain at probe) parks a failing device on the blocking domain', () => {
  const core = new IommuCore();
  const mock = new MockIommu(core, { grouping: 'single', failAttach: new Map() });
  core.iommuDeviceRegister(mock.iommuDev);
  const [a, b] = platformDevices('a', 'b');
  core.busIommuProbe([a!, b!]);
  const g = a!.iommu!.group!;
  core.iommuGroupClaimDmaOwner(g, 'owner'); // creates the blocking domain
  mock.o.failAttach!.set('b', 16);
  core.iommuGroupReleaseDmaOwner(g); // back to default: must succeed
  assert.is(g.domain, g.defaultDomain, 'the group is on its default domain');
  assert.is(mock.attached.get(a!), g.defaultDomain!);
  assert.is(mock.attached.get(b!), mock.blockedDomain!, 'b parked on blocking, never half-attached');
});

test('iommu_map: EINVAL for a non-paging domain and for misalignment; the page-size choice of b6 (4K then 2M)', () => {
  const k = twoFn();
  const d0 = k.dev('0000:01:00.0');
  const g = d0.iommu!.group!;
  const ident = k.mock.identityDomain!;
  assert.throws(() => k.core.iommuMap(ident, 0, 0, SZ_4K, IOMMU_READ), err('EINVAL'));
  const dom = k.core.iommuPagingDomainAlloc(d0);
  assert.throws(() => k.core.iommuMap(dom, 0x800, 0x1000, SZ_4K, IOMMU_READ), err('EINVAL'));
  assert.throws(() => k.core.iommuMap(dom, 0x1000, 0x1000, 0x1800, IOMMU_READ), err('EINVAL'));
  k.mock.log.length = 0;
  k.core.iommuMap(dom, 0x1ff000, 0x401ff000, 0x201000, IOMMU_READ | IOMMU_WRITE);
  assert.equal(k.mock.log, [`map ${dom.name} 0x1ff000 1x0x1000`, `map ${dom.name} 0x200000 1x0x200000`]);
  assert.is(k.core.iommuIovaToPhys(dom, 0x2abcde), 0x402abcde);
  void g;
});

test('iommu_map partial failure unmaps what this call mapped and returns the driver error', () => {
  const k = twoFn();
  const dom = k.core.iommuPagingDomainAlloc(k.dev('0000:01:00.0'));
  k.core.iommuMap(dom, 0x5000, 0x9_0000_5000, SZ_4K, IOMMU_READ);
  assert.throws(() => k.core.iommuMap(dom, 0x3000, 0x9_0000_3000, 0x4000, IOMMU_READ), err('EEXIST'));
  assert.is(k.core.iommuIovaToPhys(dom, 0x3000), 0, 'the pages mapped before the failure are gone');
  assert.is(k.core.iommuIovaToPhys(dom, 0x5000), 0x9_0000_5000, 'the earlier mapping stays');
});

test('iommu_unmap: bytes unmapped; 0 for unaligned arguments or a non-paging domain; stops at the first hole; syncs once', () => {
  const k = twoFn();
  const dom = k.core.iommuPagingDomainAlloc(k.dev('0000:01:00.0'));
  k.core.iommuMap(dom, 0x10000, 0x10000, 0x3000, IOMMU_READ);
  assert.is(k.core.iommuUnmap(dom, 0x10800, 0x1000), 0);
  assert.is(k.core.iommuUnmap(k.mock.identityDomain!, 0x10000, 0x1000), 0);
  const syncs = (dom.priv as MockPriv).syncs;
  assert.is(k.core.iommuUnmap(dom, 0x10000, 0x5000), 0x3000, 'stops at the hole after 3 pages');
  assert.is((dom.priv as MockPriv).syncs, syncs + 1);
  assert.is(k.core.iommuIovaToPhys(k.mock.identityDomain!, 0x1234), 0x1234, 'identity domain: iova');
  assert.is(k.core.iommuIovaToPhys(k.mock.blockedDomain!, 0x1234), 0, 'blocked domain: 0');
});

test('iommu_pgsize: largest size fitting size and alignment; count up to the next larger boundary', () => {
  const bm = SZ_4K | SZ_2M | SZ_1G;
  assert.equal(iommuPgsize(bm, 0x1ff000, 0x401ff000, 0x201000), { pgsize: SZ_4K, count: 1 });
  assert.equal(iommuPgsize(bm, 0x200000, 0x40200000, 0x200000), { pgsize: SZ_2M, count: 1 });
  assert.equal(iommuPgsize(bm, 0x1000, 0x1000, 0x400000), { pgsize: SZ_4K, count: 511 }, '4K pages up to the 2M boundary');
  assert.equal(iommuPgsize(bm, 0x1000, 0x2000, 0x400000), { pgsize: SZ_4K, count: 1024 }, 'misaligned pa: 2M never usable');
});

test('sysfs type: unknown string -EINVAL, owned group -EPERM, DMA -> DMA-FQ in place, identity re-setup', () => {
  const k = twoFn({ caps: new Set([IOMMU_CAP_DEFERRED_FLUSH]) });
  const g = k.dev('0000:01:00.0').iommu!.group!;
  assert.throws(() => k.core.setGroupType(g, 'bogus'), err('EINVAL'));
  const dom = g.defaultDomain;
  k.core.setGroupType(g, 'DMA-FQ');
  assert.is(g.defaultDomain, dom, 'same domain, lazy flushing');
  assert.is(k.core.groupTypeText(g), 'DMA-FQ');
  k.core.iommuGroupClaimDmaOwner(g, 'vfio');
  assert.throws(() => k.core.setGroupType(g, 'identity'), err('EPERM'));
  k.core.iommuGroupReleaseDmaOwner(g);
  k.core.setGroupType(g, 'identity');
  assert.is(k.core.groupTypeText(g), 'identity');
  assert.is(k.mock.attached.get(k.dev('0000:01:00.1')), k.mock.identityDomain!);
});

test.run();

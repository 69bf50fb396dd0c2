// VFIO type1 on the kernel layer (iommu-core.md h1-h4, g1-g3): group viability and ownership,
// the per-device checks at SET_CONTAINER (cache coherency; the project's USER_DMA_SAFE opt-in),
// MSI isolation at attach, RESV_DIRECT groups refused, MAP_DMA / UNMAP_DMA errnos and the v1/v2
// unmap rules, usable IOVA ranges minus reserved regions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IommuCore } from '../../src/kernel/iommu/core.ts';
import { KernelError } from '../../src/kernel/errors.ts';
import {
  IOMMU_CAP_CACHE_COHERENCY, IOMMU_CAP_USER_DMA_SAFE, IOMMU_RESV_DIRECT, IOMMU_RESV_MSI, IOMMU_READ, type IommuCap,
} from '../../src/kernel/iommu/types.ts';
import {
  VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_UNMAP_FLAG_ALL, VFIO_GROUP_FLAGS_CONTAINER_SET, VFIO_GROUP_FLAGS_VIABLE,
  VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, Vfio,
} from '../../src/vfio/type1.ts';
import { MockIommu, platformDevices, type MockOptions } from '../kernel/mock-iommu.ts';

const err = (errno: string) => (e: unknown) => e instanceof KernelError && e.errno === errno;
const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const SAFE = new Set<IommuCap>([IOMMU_CAP_CACHE_COHERENCY, IOMMU_CAP_USER_DMA_SAFE]);

function setup(mock: MockOptions = {}, opts: { isolated?: boolean; vfio?: ConstructorParameters<typeof Vfio>[1] } = {}) {
  const core = new IommuCore({ isolatedMsi: () => opts.isolated ?? true });
  const m = new MockIommu(core, { grouping: 'generic', caps: SAFE, ...mock });
  core.iommuDeviceRegister(m.iommuDev);
  const [dev] = platformDevices('gpu');
  core.busIommuProbe([dev!]);
  const vfio = new Vfio(core, opts.vfio);
  return { core, m, dev: dev!, vfio, group: dev!.iommu!.group! };
}

test('flow: open group (viable), set container (blocking domain), SET_IOMMU (paging domain), MAP/UNMAP', () => {
  const { core, m, dev, vfio, group } = setup();
  const g = vfio.openGroup(group);
  assert.is(g.status(), VFIO_GROUP_FLAGS_VIABLE);
  assert.throws(() => vfio.openGroup(group), err('EBUSY'));
  const c = vfio.openContainer();
  assert.throws(() => c.setIommu(VFIO_TYPE1v2_IOMMU), err('EINVAL'), 'no group yet');
  g.setContainer(c);
  assert.is(g.status(), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
  assert.is(group.domain, group.blockingDomain, 'ownership claimed: blocked');
  c.setIommu(VFIO_TYPE1v2_IOMMU);
  assert.throws(() => c.setIommu(VFIO_TYPE1v2_IOMMU), err('EINVAL'), 'backend already set');
  const dom = group.domain!;
  assert.is(m.attached.get(dev), dom);
  c.mapDma({ flags: RW, vaddr: 0x10_0000, iova: 0x1000, size: 0x2000 });
  assert.is(core.iommuIovaToPhys(dom, 0x2010), 0x10_1010);
  assert.is(c.unmapDma({ flags: 0, iova: 0x1000, size: 0x2000 }), 0x2000);
  g.unsetContainer();
  assert.is(group.domain, group.defaultDomain, 'ownership released');
});

test('SET_CONTAINER refusals: not viable (-EPERM), not cache coherent (-EINVAL), not USER_DMA_SAFE (-EPERM), RESV_DIRECT (-EINVAL)', () => {
  const a = setup();
  a.core.bindDriver(a.dev, { name: 'nvidia', driverManagedDma: false });
  const ga = a.vfio.openGroup(a.group);
  assert.is(ga.status(), 0, 'not viable');
  assert.throws(() => ga.setContainer(a.vfio.openContainer()), err('EPERM'));
  const b = setup({ caps: new Set([IOMMU_CAP_USER_DMA_SAFE]) });
  assert.throws(() => b.vfio.openGroup(b.group).setContainer(b.vfio.openContainer()), err('EINVAL'));
  const c = setup({ caps: new Set([IOMMU_CAP_CACHE_COHERENCY]) });
  assert.throws(() => c.vfio.openGroup(c.group).setContainer(c.vfio.openContainer()), err('EPERM'));
  const linux = setup({ caps: new Set([IOMMU_CAP_CACHE_COHERENCY]) }, { vfio: { requireUserDmaSafe: false } });
  linux.vfio.openGroup(linux.group).setContainer(linux.vfio.openContainer());
  const d = setup({ resv: new Map([['gpu', [{ start: 0xe000_0000, length: 0x1000, prot: IOMMU_READ, type: IOMMU_RESV_DIRECT }]]]) });
  assert.throws(() => d.vfio.openGroup(d.group).setContainer(d.vfio.openContainer()), err('EINVAL'));
  assert.is(d.group.domain, d.group.defaultDomain);
});

test('MSI isolation: without it SET_IOMMU is -EPERM unless allow_unsafe_interrupts; the claim is kept only on success', () => {
  const a = setup({}, { isolated: false });
  const g = a.vfio.openGroup(a.group);
  const c = a.vfio.openContainer();
  g.setContainer(c);
  assert.throws(() => c.setIommu(VFIO_TYPE1v2_IOMMU), err('EPERM'));
  const b = setup({}, { isolated: false, vfio: { allowUnsafeInterrupts: true } });
  const gb = b.vfio.openGroup(b.group);
  const cb = b.vfio.openContainer();
  gb.setContainer(cb);
  cb.setIommu(VFIO_TYPE1v2_IOMMU);
  assert.is.not(b.group.domain, b.group.blockingDomain);
});

test('MAP_DMA checks in order: flags, alignment, overlap (-EEXIST), entry limit (-ENOSPC), usable ranges minus reserved regions', () => {
  const { vfio, group } = setup({ resv: new Map([['gpu', [{ start: 0xfee0_0000, length: 0x10_0000, prot: 0, type: IOMMU_RESV_MSI }]]]) }, { vfio: { dmaEntryLimit: 2 } });
  const g = vfio.openGroup(group);
  const c = vfio.openContainer();
  g.setContainer(c);
  c.setIommu(VFIO_TYPE1v2_IOMMU);
  assert.throws(() => c.mapDma({ flags: 0, vaddr: 0, iova: 0x1000, size: 0x1000 }), err('EINVAL'));
  assert.throws(() => c.mapDma({ flags: RW, vaddr: 0, iova: 0x1800, size: 0x1000 }), err('EINVAL'));
  assert.throws(() => c.mapDma({ flags: RW, vaddr: 0, iova: 0x1000, size: 0 }), err('EINVAL'));
  c.mapDma({ flags: RW, vaddr: 0, iova: 0x1000, size: 0x2000 });
  assert.throws(() => c.mapDma({ flags: RW, vaddr: 0, iova: 0x2000, size: 0x1000 }), err('EEXIST'));
  assert.throws(() => c.mapDma({ flags: RW, vaddr: 0, iova: 0xfee0_0000, size: 0x1000 }), err('EINVAL'), 'inside the MSI window');
  c.mapDma({ flags: RW, vaddr: 0, iova: 0x10000, size: 0x1000 });
  assert.throws(() => c.mapDma({ flags: RW, vaddr: 0, iova: 0x20000, size: 0x1000 }), err('ENOSPC'));
  const info = c.getInfo();
  assert.ok(info.ranges.length === 2 && info.ranges[0]!.end === 0xfedf_ffff && info.ranges[1]!.start === 0xfef0_0000, JSON.stringify(info.ranges));
});

test('UNMAP_DMA: v2 refuses to cut a mapping (-EINVAL); v1 stops at a mapping starting before iova (0) and removes whole mappings that start inside', () => {
  const v2 = setup();
  const g2 = v2.vfio.openGroup(v2.group);
  const c2 = v2.vfio.openContainer();
  g2.setContainer(c2);
  c2.setIommu(VFIO_TYPE1v2_IOMMU);
  c2.mapDma({ flags: RW, vaddr: 0, iova: 0x10000, size: 0x4000 });
  assert.throws(() => c2.unmapDma({ flags: 0, iova: 0x11000, size: 0x1000 }), err('EINVAL'));
  assert.throws(() => c2.unmapDma({ flags: 0, iova: 0x10000, size: 0x1000 }), err('EINVAL'));
  assert.is(c2.unmapDma({ flags: 0, iova: 0x20000, size: 0x1000 }), 0, 'nothing inside: size 0');
  assert.is(c2.unmapDma({ flags: VFIO_DMA_UNMAP_FLAG_ALL, iova: 0, size: 0 }), 0x4000);
  const v1 = setup();
  const g1 = v1.vfio.openGroup(v1.group);
  const c1 = v1.vfio.openContainer();
  g1.setContainer(c1);
  c1.setIommu(VFIO_TYPE1_IOMMU);
  c1.mapDma({ flags: RW, vaddr: 0, iova: 0x10000, size: 0x4000 });
  assert.is(c1.unmapDma({ flags: 0, iova: 0x11000, size: 0x1000 }), 0, 'starts before iova: untouched, 0');
  assert.is(c1.unmapDma({ flags: 0, iova: 0x10000, size: 0x1000 }), 0x4000, 'larger than asked: the whole mapping');
});

test.run();

// The DMA API over the default domain (dma-iommu): IOVAs allocated top-down below the DMA mask,
// size-aligned; prot from the direction; identity domains map 1:1; an owned (blocked) device
// cannot map; strict unmap invalidates before returning while lazy (DMA_FQ) unmap queues the
// IOVA until a flush-queue flush (and only then reuses it); scatterlists map contiguously.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IommuCore } from '../../src/kernel/iommu/core.ts';
import { IOMMU_CACHE, IOMMU_CAP_DEFERRED_FLUSH, IOMMU_DOMAIN_DMA_FQ, IOMMU_DOMAIN_IDENTITY, IOMMU_READ, IOMMU_WRITE } from '../../src/kernel/iommu/types.ts';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE, DmaApi, IOVA_FQ_SIZE, dmaInfoToProt, type SgEntry } from '../../src/kernel/dma/dma-iommu.ts';
import { IovaDomain } from '../../src/kernel/dma/iova.ts';
import { MockIommu, platformDevices, type MockPriv } from './mock-iommu.ts';

function setup(type?: number, caps: string[] = []) {
  const core = new IommuCore(type === undefined ? {} : { defaultDomainType: type });
  const mock = new MockIommu(core, { grouping: 'generic', caps: new Set(caps as never[]) });
  core.iommuDeviceRegister(mock.iommuDev);
  const [dev] = platformDevices('nic');
  core.busIommuProbe([dev!]);
  const dma = new DmaApi(core);
  return { core, mock, dev: dev!, dma, dom: dev!.iommu!.group!.defaultDomain! };
}

test('dma_map_single: top-down below the 32-bit default mask, offset kept, prot from the direction', () => {
  const { core, dma, dev, dom } = setup();
  const a = dma.dmaMapSingle(dev, 0x1_2345_6789, 0x100, DMA_TO_DEVICE);
  assert.is(a, 0xffff_f789, 'the highest 4K IOVA below 4 GiB, with the page offset');
  assert.is(core.iommuIovaToPhys(dom, a), 0x1_2345_6789);
  const leaf = [...(dom.priv as MockPriv).leaves.values()][0]!;
  assert.is(leaf.prot, IOMMU_CACHE | IOMMU_READ, 'to-device: read only (+ CACHE for a coherent device)');
  dma.dmaSetMask(dev, 40);
  const b = dma.dmaMapSingle(dev, 0x5000, 0x1000, DMA_FROM_DEVICE);
  assert.is(b, 2 ** 40 - 0x1000, 'a 40-bit mask allocates from the top of 40 bits');
  assert.equal([dmaInfoToProt(DMA_BIDIRECTIONAL, false), dmaInfoToProt(DMA_FROM_DEVICE, false)], [IOMMU_READ | IOMMU_WRITE, IOMMU_WRITE]);
});

test('IOVA allocation is size-aligned: 3 pages take an aligned 4-page range; freed ranges are reused', () => {
  const iovad = new IovaDomain(4096);
  const a = iovad.alloc(3, 0xfffff);
  assert.is(a, 0xffffc, '4 granules aligned to 4, ending at the limit');
  const b = iovad.alloc(1, 0xfffff);
  assert.is(b, 0xffffb);
  assert.ok(iovad.free(a));
  assert.is(iovad.alloc(2, 0xfffff), 0xffffe, 'the highest fitting aligned range again');
  assert.is(iovad.alloc(1 << 30, 0xfffff), -1, 'too large: no space');
});

test('identity default domain: dma addresses are physical; an owned device (blocking) cannot map', () => {
  const id = setup(IOMMU_DOMAIN_IDENTITY);
  assert.is(id.dma.dmaMapSingle(id.dev, 0x1234_5678, 8, DMA_TO_DEVICE), 0x1234_5678);
  const { core, dma, dev } = setup();
  core.iommuGroupClaimDmaOwner(dev.iommu!.group!, 'vfio');
  assert.is(dma.dmaMapSingle(dev, 0x1000, 8, DMA_TO_DEVICE), DMA_MAPPING_ERROR);
});

test('strict (DMA): unmap syncs the IOTLB before returning and the IOVA is reused at once', () => {
  const { dma, dev, dom } = setup();
  const a = dma.dmaMapSingle(dev, 0x10000, 0x1000, DMA_BIDIRECTIONAL);
  const syncs = (dom.priv as MockPriv).syncs;
  dma.dmaUnmapSingle(dev, a, 0x1000, DMA_BIDIRECTIONAL);
  assert.is((dom.priv as MockPriv).syncs, syncs + 1);
  assert.is(dma.dmaMapSingle(dev, 0x20000, 0x1000, DMA_BIDIRECTIONAL), a, 'same IOVA again');
});

test('lazy (DMA_FQ): unmap queues without a sync; the IOVA is not reused until the flush queue is flushed; a full queue flushes', () => {
  const { dma, dev, dom } = setup(IOMMU_DOMAIN_DMA_FQ, [IOMMU_CAP_DEFERRED_FLUSH]);
  assert.is(dom.type, IOMMU_DOMAIN_DMA_FQ);
  const p = dom.priv as MockPriv;
  const a = dma.dmaMapSingle(dev, 0x10000, 0x1000, DMA_BIDIRECTIONAL);
  dma.dmaUnmapSingle(dev, a, 0x1000, DMA_BIDIRECTIONAL);
  assert.is(p.syncs, 0, 'no IOTLB sync on unmap');
  assert.is(dma.queued(dom), 1);
  const b = dma.dmaMapSingle(dev, 0x20000, 0x1000, DMA_BIDIRECTIONAL);
  assert.is.not(b, a, 'the queued IOVA is not handed out again');
  dma.flushQueue(dom);
  assert.is(p.flushAll, 1, 'one flush_iotlb_all for the whole queue');
  assert.is(dma.queued(dom), 0);
  assert.is(dma.dmaMapSingle(dev, 0x30000, 0x1000, DMA_BIDIRECTIONAL), a, 'reused after the flush');
  for (let i = 0; i < IOVA_FQ_SIZE; i++) {
    const x = dma.dmaMapSingle(dev, 0x100000 + i * 0x1000, 0x1000, DMA_TO_DEVICE);
    dma.dmaUnmapSingle(dev, x, 0x1000, DMA_TO_DEVICE);
  }
  assert.is(p.flushAll, 2, 'the 256th queued unmap flushed the queue');
});

test('dma_map_sg: segments concatenated in one IOVA range, each keeping its page offset; unmap_sg removes them', () => {
  const { core, dma, dev, dom } = setup();
  const sg: SgEntry[] = [{ phys: 0x10_0800, length: 0x1000 }, { phys: 0x20_0000, length: 0x100 }];
  assert.is(dma.dmaMapSg(dev, sg, DMA_TO_DEVICE), 2);
  const a0 = sg[0]!.dmaAddress!;
  const a1 = sg[1]!.dmaAddress!;
  assert.is(a0 % 0x1000, 0x800);
  assert.is(a1, a0 - 0x800 + 0x2000, 'the second segment follows the first (2 pages) in IOVA space');
  assert.is(core.iommuIovaToPhys(dom, a1 + 0x10), 0x20_0010);
  dma.dmaUnmapSg(dev, sg, DMA_TO_DEVICE);
  assert.is(core.iommuIovaToPhys(dom, a0), 0);
});

test.run();

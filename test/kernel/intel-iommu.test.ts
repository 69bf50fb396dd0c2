// The intel-iommu kernel driver (src/kernel/drivers/intel-iommu) on q35 + the VT-d model + edu:
// bring-up through MMIO only (vtd.md 7.1), default DMA domain and edu DMA through it, ownership
// proven from hardware state (the context entry read from guest memory through RTADDR, and a
// fault recorded by the unit), release restores translation, caching mode's not-present ->
// present flush (7.2), fault decoding as dmar_fault prints it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMachine } from '../../src/platform/machines/index.ts';
import type { Q35Machine } from '../../src/platform/machines/q35.ts';
import { parseQtestCommandLine } from '../../src/qtest/cmdline.ts';
import { IommuCore } from '../../src/kernel/iommu/core.ts';
import { portAccess } from '../../src/kernel/pci/config.ts';
import { pciScan, pciSetMaster } from '../../src/kernel/pci/scan.ts';
import { intelIommuProbe } from '../../src/kernel/drivers/intel-iommu/dmar.ts';
import { DmaApi, DMA_BIDIRECTIONAL } from '../../src/kernel/dma/dma-iommu.ts';
import { IOMMU_CAP_CACHE_COHERENCY, IOMMU_CAP_USER_DMA_SAFE, IOMMU_DOMAIN_DMA, IOMMU_READ, IOMMU_RESV_MSI, IOMMU_WRITE } from '../../src/kernel/iommu/types.ts';
import { EDU_REG } from '../../src/platform/devices/edu.ts';
import * as V from '../../src/regs/generated/vtd.ts';

const VTD = 0xfed90000;
const BAR = 0xfe000000;
const POOL = { memBase: 0x0600_0000, memSize: 0x0100_0000 };

function boot(props = '') {
  const m = createMachine(parseQtestCommandLine(`-machine q35 -device intel-iommu${props} -device edu,addr=04.0`.split(' ')).config) as Q35Machine;
  const cfg = portAccess(m.io!);
  const scan = pciScan(cfg);
  const core = new IommuCore({ byRid: (bus, devfn) => scan.byRid.get((bus << 8) | devfn) });
  const drv = intelIommuProbe(core, m.core, m.memory, { base: VTD, ...POOL });
  core.busIommuProbe(scan.devices);
  drv.enableTranslation();
  const edu = scan.devices.find((d) => d.pci!.vendor === 0x1234)!;
  cfg.write(0, edu.pci!.devfn, 0x10, 4, BAR);
  pciSetMaster(edu);
  const ram = m.ramView();
  const dma = (src: number, dst: number, cnt: number, toRam: boolean) => {
    m.memory.write(BAR + EDU_REG.DMA_SRC, 4, src);
    m.memory.write(BAR + EDU_REG.DMA_DST, 4, dst);
    m.memory.write(BAR + EDU_REG.DMA_CNT, 4, cnt);
    m.memory.write(BAR + EDU_REG.DMA_CMD, 4, toRam ? 3 : 1);
    m.clockStep(100_000_000);
  };
  /** edu's context entry as the hardware finds it: RTADDR register -> root entry -> context entry. */
  const contextEntry = (): bigint[] => {
    const rta = Number(m.memory.read64(VTD + V.VTD_RTADDR) & V.VTD_RTADDR_RTA_MASK);
    const root = m.memory.read64(rta + 0 * 16);
    if ((root & V.VTD_ROOT_ENTRY_P_MASK) === 0n) return [0n, 0n];
    const ce = Number(root & V.VTD_ROOT_ENTRY_CTP_MASK) + edu.pci!.devfn * 16;
    return [m.memory.read64(ce), m.memory.read64(ce + 8)];
  };
  return { m, core, drv, edu, ram, dma, contextEntry };
}

test('bring-up through MMIO: root table latched, QI on, translation on, no fault; edu gets a DMA default domain', () => {
  const { m, core, edu, contextEntry } = boot();
  const gsts = m.memory.read(VTD + V.VTD_GSTS, 4);
  assert.ok(gsts & V.VTD_GSTS_TES_MASK && gsts & V.VTD_GSTS_RTPS_MASK && gsts & V.VTD_GSTS_QIES_MASK, gsts.toString(16));
  assert.is(m.memory.read(VTD + V.VTD_FSTS, 4), 0);
  assert.is(m.memory.read64(VTD + V.VTD_IQH), m.memory.read64(VTD + V.VTD_IQT), 'every queued invalidation consumed');
  const g = edu.iommu!.group!;
  assert.is(g.defaultDomain!.type, IOMMU_DOMAIN_DMA);
  const [lo, hi] = contextEntry();
  assert.is(lo & V.VTD_CONTEXT_ENTRY_P_MASK, V.VTD_CONTEXT_ENTRY_P_MASK);
  assert.is(Number((hi & V.VTD_CONTEXT_ENTRY_DID_MASK) >> BigInt(V.VTD_CONTEXT_ENTRY_DID_SHIFT)) >= 2, true, 'DIDs 0 and 1 are reserved');
  assert.ok(core.deviceIommuCapable(edu, IOMMU_CAP_CACHE_COHERENCY) && core.deviceIommuCapable(edu, IOMMU_CAP_USER_DMA_SAFE));
  assert.ok(core.iommuGetResvRegions(edu).some((r) => r.type === IOMMU_RESV_MSI && r.start === 0xfee0_0000));
});

test('DMA API on the default domain: edu DMA through VT-d moves the data; strict unmap makes the same IOVA fault, decoded as dmar_fault does', () => {
  const { core, drv, edu, ram, dma } = boot();
  const api = new DmaApi(core);
  api.dmaSetMask(edu, 28); // edu's DMA mask (QEMU's default dma_mask): its driver declares it
  ram.set([1, 2, 3, 4, 5, 6, 7, 8], 0x30_0000);
  const iova = api.dmaMapSingle(edu, 0x30_0000, 8, DMA_BIDIRECTIONAL);
  assert.ok(iova > 0 && iova !== 0x30_0000, `an IOVA, not the physical address: 0x${iova.toString(16)}`);
  dma(iova, 0x40000, 8, false);
  dma(0x40000, iova + 0, 8, true); // round trip through the device buffer
  const out = api.dmaMapSingle(edu, 0x31_0000, 8, DMA_BIDIRECTIONAL);
  dma(0x40000, out, 8, true);
  assert.equal([...ram.subarray(0x31_0000, 0x31_0008)], [1, 2, 3, 4, 5, 6, 7, 8]);
  api.dmaUnmapSingle(edu, out, 8, DMA_BIDIRECTIONAL);
  ram.fill(0, 0x31_0000, 0x31_0008);
  dma(0x40000, out, 8, true);
  assert.equal([...ram.subarray(0x31_0000, 0x31_0008)], new Array(8).fill(0), 'the IOTLB was invalidated: the write faulted');
  const f = drv.handleFaults();
  assert.is(f.length, 1);
  assert.ok(f[0]!.write);
  assert.is(f[0]!.sid, edu.pci!.devfn);
  assert.match(f[0]!.text, /^DMAR: \[DMA Write NO_PASID\] Request device \[00:04\.0\] fault addr 0x[0-9a-f]+ \[fault reason 0x05\] PTE Write access is not set$/);
});

test('ownership in hardware: a claim clears the context entry (not present) and DMA faults with reason 0x02; release restores it', () => {
  const { m, core, drv, edu, ram, dma, contextEntry } = boot();
  const g = edu.iommu!.group!;
  const dom = core.iommuPagingDomainAlloc(edu);
  core.iommuGroupClaimDmaOwner(g, 'vfio');
  assert.is(contextEntry()[0]! & V.VTD_CONTEXT_ENTRY_P_MASK, 0n, 'blocked: context entry not present');
  ram.fill(0x5a, 0x32_0000, 0x32_0010);
  dma(0x32_0000, 0x40000, 16, false);
  const f = drv.handleFaults();
  assert.is(f.length, 1);
  assert.is(f[0]!.reason, 0x2, 'context entry not present');
  // A user paging domain on the owned group.
  core.iommuAttachGroup(dom, g);
  core.iommuMap(dom, 0x1000, 0x32_0000, 0x1000, IOMMU_READ | IOMMU_WRITE);
  const [lo] = contextEntry();
  assert.is(lo & V.VTD_CONTEXT_ENTRY_P_MASK, V.VTD_CONTEXT_ENTRY_P_MASK);
  dma(0x1000, 0x40000, 16, false);
  dma(0x40000, 0x1800, 16, true);
  assert.equal([...ram.subarray(0x32_0800, 0x32_0810)], new Array(16).fill(0x5a));
  core.iommuDetachGroup(dom, g);
  core.iommuGroupReleaseDmaOwner(g);
  assert.is(g.domain, g.defaultDomain);
  assert.is(Number((contextEntry()[1]! & V.VTD_CONTEXT_ENTRY_DID_MASK) >> BigInt(V.VTD_CONTEXT_ENTRY_DID_SHIFT)), (g.defaultDomain!.priv as { did: number }).did, 'the default domain DID is back');
  assert.is(m.memory.read(VTD + V.VTD_FSTS, 4) & V.VTD_FSTS_PPF_MASK, 0);
});

test('caching mode: not-present entries may be cached, so the driver flushes after mapping (iotlb_sync_map), and DMA to a just-mapped page works', () => {
  const { core, drv, edu, ram, dma } = boot(',caching-mode=on');
  const g = edu.iommu!.group!;
  const dom = core.iommuPagingDomainAlloc(edu);
  core.iommuAttachGroup(dom, g);
  ram.set([9, 9, 9, 9], 0x33_0000);
  dma(0x5000, 0x40000, 4, false); // unmapped: faults, and the unit may cache "not present"
  assert.is(drv.handleFaults().length, 1);
  core.iommuMap(dom, 0x5000, 0x33_0000, 0x1000, IOMMU_READ | IOMMU_WRITE);
  core.iommuMap(dom, 0x6000, 0x33_1000, 0x1000, IOMMU_READ | IOMMU_WRITE);
  dma(0x5000, 0x40000, 4, false);
  dma(0x40000, 0x6000, 4, true);
  assert.equal([...ram.subarray(0x33_1000, 0x33_1004)], [9, 9, 9, 9]);
  assert.is(drv.handleFaults().length, 0);
});

test.run();

// The kernel layer on the real arm-smmu-v3 driver and SMMUv3 model (virt + edu): iommu_map +
// iommu_unmap of 4 KiB pages and 2 MiB blocks per second on an UNMANAGED domain (the unmap
// includes the driver's iotlb_sync: a TLBI command + CMD_SYNC through the command queue), and
// DMA-API dma_map_single + dma_unmap_single per second with strict (DMA) and deferred (DMA_FQ)
// invalidation. Reference measured in the same run: the page-table writer alone (io-pgtable-arm
// map + unmap, no core, no driver, no invalidation), to show what the layers on top cost.
import { createMachine } from '../src/platform/machines/index.ts';
import { VIRT_HIGH_PCIE_ECAM, VIRT_SMMU_BASE, type VirtMachine } from '../src/platform/machines/virt.ts';
import { IommuCore } from '../src/kernel/iommu/core.ts';
import { ecamAccess } from '../src/kernel/pci/config.ts';
import { pciScan } from '../src/kernel/pci/scan.ts';
import { armSmmuV3Probe } from '../src/kernel/drivers/arm-smmu-v3/index.ts';
import { POOL } from '../test/kernel/arm-smmu-v3-fixture.ts';
import { IOMMU_CAP_DEFERRED_FLUSH, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, IOMMU_READ, IOMMU_WRITE } from '../src/kernel/iommu/types.ts';
import { DMA_BIDIRECTIONAL, DmaApi } from '../src/kernel/dma/dma-iommu.ts';
import { LpaePageTable } from '../src/core/pgtable.ts';
import { PageArena } from '../src/core/pgtable-arena.ts';
import { measure, report, type BenchResult } from './harness.ts';

const N = 1 << 13;
const SZ_4K = 0x1000;
const SZ_2M = 0x20_0000;
const PA = 0x4100_0000;

export function runKernelBench(): BenchResult[] {
  // The kernel on virt + SMMUv3, the driver given the machine's memory directly (no recorder).
  const m = createMachine({ machine: 'virt', machineProps: { iommu: 'smmuv3' }, devices: [{ driver: 'edu', props: {} }] }) as VirtMachine;
  const scan = pciScan(ecamAccess(m.memory, VIRT_HIGH_PCIE_ECAM.base));
  const core = new IommuCore({ byRid: (bus, devfn) => scan.byRid.get((bus << 8) | devfn) });
  armSmmuV3Probe(core, m.memory, VIRT_SMMU_BASE, { ...POOL, wasm: m.core });
  core.busIommuProbe(scan.devices);
  const v = { m, core, edu: scan.devices.find((d) => d.pci!.vendor === 0x1234)! };
  const dom = v.core.iommuPagingDomainAlloc(v.edu);
  v.core.iommuAttachGroup(dom, v.edu.iommu!.group!);
  const rw = IOMMU_READ | IOMMU_WRITE;

  const pt = new LpaePageTable(v.m.core, { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 48, pgsizeBitmap: 0x40201000 }, new PageArena(0x4500_0000, 0x4600_0000));
  const ref = measure('writer alone: map+unmap 4K (reference)', N, () => {
    for (let i = 0; i < N; i++) pt.map(i * SZ_4K, PA, SZ_4K, 1, rw);
    for (let i = 0; i < N; i++) pt.unmap(i * SZ_4K, SZ_4K, 1);
  });
  const map4k = measure('iommu_map+iommu_unmap 4K (arm-smmu-v3)', N, () => {
    for (let i = 0; i < N; i++) v.core.iommuMap(dom, i * SZ_4K, PA, SZ_4K, rw);
    for (let i = 0; i < N; i++) v.core.iommuUnmap(dom, i * SZ_4K, SZ_4K);
  });
  const M = 256;
  const map2m = measure('iommu_map+iommu_unmap 2M block (arm-smmu-v3)', M, () => {
    for (let i = 0; i < M; i++) v.core.iommuMap(dom, 0x40_0000_0000 + i * SZ_2M, 0x4000_0000, SZ_2M, rw);
    for (let i = 0; i < M; i++) v.core.iommuUnmap(dom, 0x40_0000_0000 + i * SZ_2M, SZ_2M);
  });
  v.core.iommuDetachGroup(dom, v.edu.iommu!.group!);

  // DMA API on the default domain, strict then lazy (sysfs type switch DMA -> DMA-FQ in place).
  const g = v.edu.iommu!.group!;
  const dma = new DmaApi(v.core);
  const cycle = () => {
    for (let i = 0; i < N; i++) {
      const a = dma.dmaMapSingle(v.edu, PA + (i % 64) * SZ_4K, 1500, DMA_BIDIRECTIONAL);
      dma.dmaUnmapSingle(v.edu, a, 1500, DMA_BIDIRECTIONAL);
    }
  };
  if (g.defaultDomain!.type !== IOMMU_DOMAIN_DMA) throw new Error('kernel bench: expected a strict DMA default domain');
  const strict = measure('dma_map_single+unmap, strict (DMA)', N, cycle);
  if (!v.core.deviceIommuCapable(v.edu, IOMMU_CAP_DEFERRED_FLUSH)) throw new Error('kernel bench: driver lacks DEFERRED_FLUSH');
  v.core.setGroupType(g, 'DMA-FQ');
  if (g.defaultDomain!.type !== IOMMU_DOMAIN_DMA_FQ) throw new Error('kernel bench: DMA-FQ switch failed');
  const lazy = measure('dma_map_single+unmap, deferred (DMA-FQ)', N, cycle);
  const all = [ref, map4k, map2m, strict, lazy];
  report(all, ref);
  return all;
}

if (process.argv[1]?.endsWith('/kernel.bench.ts')) runKernelBench();

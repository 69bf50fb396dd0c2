// The kernel-layer part of `npm start`: the Linux-style IOMMU core and its two drivers running on
// the machines, touching the IOMMUs only through MMIO and guest memory. On virt (arm-smmu-v3) and
// q35 (intel-iommu): bring-up, groups, DMA through the default DMA domain, a VFIO-style claim
// (blocking, then a user paging domain), an unmapped DMA decoded as the kernel prints it; on q35
// also a device with an RMRR (IOMMU_RESV_DIRECT) whose group cannot be claimed.
import { createMachine } from '../platform/machines/index.ts';
import { VIRT_HIGH_PCIE_ECAM, VIRT_RAM_BASE, VIRT_SMMU_BASE, type VirtMachine } from '../platform/machines/virt.ts';
import type { Q35Machine } from '../platform/machines/q35.ts';
import { EDU_REG } from '../platform/devices/edu.ts';
import { IommuCore } from '../kernel/iommu/core.ts';
import { ecamAccess, portAccess, type PciConfigAccess } from '../kernel/pci/config.ts';
import { pciScan, pciSetMaster } from '../kernel/pci/scan.ts';
import { armSmmuV3Probe } from '../kernel/drivers/arm-smmu-v3/index.ts';
import { intelIommuProbe } from '../kernel/drivers/intel-iommu/dmar.ts';
import { DmaApi, DMA_BIDIRECTIONAL } from '../kernel/dma/dma-iommu.ts';
import { KernelError } from '../kernel/errors.ts';
import { IOMMU_READ, IOMMU_WRITE } from '../kernel/iommu/types.ts';
import type { KDevice } from '../kernel/device.ts';
import type { AddressSpace } from '../bridge/address-space.ts';
import * as S from '../regs/generated/smmuv3.ts';
import * as V from '../regs/generated/vtd.ts';

const hex = (n: number | bigint) => '0x' + n.toString(16);

function eduDma(m: { memory: AddressSpace; clockStep(ns: number): number }, bar: number) {
  return (src: number, dst: number, cnt: number, toRam: boolean) => {
    m.memory.write(bar + EDU_REG.DMA_SRC, 4, src);
    m.memory.write(bar + EDU_REG.DMA_DST, 4, dst);
    m.memory.write(bar + EDU_REG.DMA_CNT, 4, cnt);
    m.memory.write(bar + EDU_REG.DMA_CMD, 4, toRam ? 3 : 1);
    m.clockStep(100_000_000);
  };
}

function enableEdu(cfg: PciConfigAccess, edu: KDevice, bar: number): void {
  cfg.write(edu.pci!.bus.number, edu.pci!.devfn, 0x10, 4, bar);
  pciSetMaster(edu);
}

/** Shared story: default-domain DMA, claim (blocking), user paging domain, release. */
function story(log: (s: string) => void, core: IommuCore, edu: KDevice, ram: Uint8Array, ramBase: number, dma: ReturnType<typeof eduDma>, faults: () => string[]): void {
  const g = edu.iommu!.group!;
  log(`   ${edu.name}: group ${g.id} {${g.devices.map((d) => d.name).join(', ')}}, default domain ${core.groupTypeText(g)}`);
  const api = new DmaApi(core);
  api.dmaSetMask(edu, 28); // edu's dma_mask
  const msg = new TextEncoder().encode('through the kernel DMA API');
  const src = 0x30_0000;
  ram.set(msg, src);
  const a = api.dmaMapSingle(edu, ramBase + src, msg.length, DMA_BIDIRECTIONAL);
  const b = api.dmaMapSingle(edu, ramBase + src + 0x1000, msg.length, DMA_BIDIRECTIONAL);
  dma(a, 0x40000, msg.length, false);
  dma(0x40000, b, msg.length, true);
  log(`   dma_map_single -> iova ${hex(a)} and ${hex(b)}; copied via edu: "${new TextDecoder().decode(ram.subarray(src + 0x1000, src + 0x1000 + msg.length))}"`);
  api.dmaUnmapSingle(edu, b, msg.length, DMA_BIDIRECTIONAL);
  dma(0x40000, b, 8, true);
  for (const f of faults()) log(`   after dma_unmap_single, DMA to ${hex(b)}: ${f}`);
  core.iommuGroupClaimDmaOwner(g, 'vfio');
  log(`   iommu_group_claim_dma_owner: group ${g.id} now on its blocking domain`);
  dma(a, 0x40000, 8, false);
  for (const f of faults()) log(`   DMA while blocked: ${f}`);
  const dom = core.iommuPagingDomainAlloc(edu);
  core.iommuAttachGroup(dom, g);
  core.iommuMap(dom, 0x1000, ramBase + src, 0x1000, IOMMU_READ | IOMMU_WRITE);
  dma(0x1000, 0x40000, 8, false);
  log(`   user paging domain: iova 0x1000 -> ${hex(core.iommuIovaToPhys(dom, 0x1000))}, DMA ok (${faults().length} faults)`);
  core.iommuDetachGroup(dom, g);
  core.iommuDomainFree(dom);
  core.iommuGroupReleaseDmaOwner(g);
  log(`   released: back on the ${core.groupTypeText(g)} default domain`);
}

export function runKernelDemo(log: (s: string) => void): void {
  log('== kernel layer: Linux IOMMU core + arm-smmu-v3 on virt (MMIO and guest memory only)');
  {
    const m = createMachine({ machine: 'virt', machineProps: { iommu: 'smmuv3' }, memoryBytes: 256 << 20, devices: [{ driver: 'edu', props: {} }] }) as VirtMachine;
    const cfg = ecamAccess(m.memory, VIRT_HIGH_PCIE_ECAM.base);
    const scan = pciScan(cfg);
    const core = new IommuCore({ byRid: (bus, devfn) => scan.byRid.get((bus << 8) | devfn) });
    const smmu = armSmmuV3Probe(core, m.memory, VIRT_SMMU_BASE, { memBase: VIRT_RAM_BASE + 0x0600_0000, memSize: 0x0100_0000, wasm: m.core });
    core.busIommuProbe(scan.devices);
    log(`   SMMU up: CR0ACK ${hex(m.memory.read(VIRT_SMMU_BASE + S.SMMU_CR0ACK, 4))}, GERROR ${hex(m.memory.read(VIRT_SMMU_BASE + S.SMMU_GERROR, 4))}`);
    const edu = scan.devices.find((d) => d.pci!.vendor === 0x1234)!;
    enableEdu(cfg, edu, 0x1000_0000);
    story(log, core, edu, m.ramView(), VIRT_RAM_BASE, eduDma(m, 0x1000_0000), () => smmu.handleEvents().map((e) => `arm-smmu-v3: event ${e.name} sid ${hex(e.sid)} iova ${hex(e.iova ?? 0n)} ${e.read ? 'read' : 'write'}${e.class ? ` class ${e.class}` : ''}`));
  }

  log('\n== kernel layer: intel-iommu on q35 (an RMRR covers a second edu at 00:05.0)');
  {
    const m = createMachine({
      machine: 'q35', memoryBytes: 256 << 20,
      devices: [{ driver: 'intel-iommu', props: {} }, { driver: 'edu', props: { addr: '04.0' } }, { driver: 'edu', props: { addr: '05.0', id: 'edu-rmrr' } }],
    }) as Q35Machine;
    const cfg = portAccess(m.io);
    const scan = pciScan(cfg);
    const core = new IommuCore({ byRid: (bus, devfn) => scan.byRid.get((bus << 8) | devfn) });
    const dmar = intelIommuProbe(core, m.core, m.memory, {
      base: 0xfed90000, memBase: 0x0600_0000, memSize: 0x0100_0000,
      rmrrs: [{ start: 0x0e00_0000, length: 0x10_0000, devices: ['0000:00:05.0'] }],
    });
    core.busIommuProbe(scan.devices);
    dmar.enableTranslation();
    log(`   DMAR up: GSTS ${hex(m.memory.read(0xfed90000 + V.VTD_GSTS, 4))} (TES, RTPS, QIES), FSTS ${hex(m.memory.read(0xfed90000 + V.VTD_FSTS, 4))}`);
    const edu = scan.devices.find((d) => d.name === '0000:00:04.0')!;
    enableEdu(cfg, edu, 0xfe00_0000);
    story(log, core, edu, m.ramView(), 0, eduDma(m, 0xfe00_0000), () => dmar.handleFaults().map((f) => f.text));
    const rm = scan.devices.find((d) => d.name === '0000:00:05.0')!;
    const rg = rm.iommu!.group!;
    log(`   ${rm.name}: RMRR ${hex(0x0e00_0000)}+1MiB mapped 1:1 (iova ${hex(0x0e00_1234)} -> ${hex(core.iommuIovaToPhys(rg.defaultDomain!, 0x0e00_1234))}); reserved_regions:`);
    for (const l of core.reservedRegionsText(rg).trimEnd().split('\n')) log(`     ${l}`);
    try {
      core.iommuGroupClaimDmaOwner(rg, 'vfio');
      log('   claim unexpectedly succeeded');
    } catch (e) {
      log(`   iommu_group_claim_dma_owner refused: ${(e as KernelError).message}`);
    }
  }
}

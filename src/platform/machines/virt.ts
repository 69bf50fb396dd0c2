// QEMU's Arm `virt` board, as far as the models need it: RAM at 1 GiB, the generic PCIe host
// (gpex) with its high ECAM window at 0x40_1000_0000 (the default with highmem on), the 32-bit
// PCI MMIO window, the PCI I/O window at 0x3eff0000, GIC SPIs for INTx, the GICv2m MSI frame,
// and -device edu. With iommu=smmuv3 the SMMUv3 sits at 0x09050000 in front of the PCIe host
// (stream ID = requester ID), its interrupts on SPIs 74-77 (eventq, priq, cmdq-sync, gerror).
import { AddressSpace } from '../../bridge/address-space.ts';
import type { SnapshotData } from '../../bridge/types.ts';
import { InterruptController } from '../../bridge/irq.ts';
import { EcamWindow } from '../pci/config-access.ts';
import { PciFunction } from '../pci/function.ts';
import { PciHost } from '../pci/host.ts';
import { PCI_CLASS_BRIDGE_HOST } from '../pci/regs.ts';
import { commonQomPaths, Machine } from './machine.ts';
import { MachineConfigError, placeEdu, type PlacedDevice } from './devices.ts';
import type { MachineConfig } from '../machine-types.ts';
import { Smmuv3 } from '../../hw/smmuv3/smmuv3.ts';

/** hw/arm/virt.c memory map entries used here. */
export const VIRT_RAM_BASE = 0x40000000;
export const VIRT_SMMU_BASE = 0x09050000;
/** irqmap[VIRT_SMMU]: the first of the SMMU's four SPIs (eventq, priq, cmdq-sync, gerror). */
export const VIRT_SMMU_IRQ = 74;
export const VIRT_GIC_V2M = { base: 0x08020000, size: 0x1000 };
export const VIRT_PCIE_MMIO = { base: 0x10000000, size: 0x2eff0000 };
export const VIRT_PCIE_PIO = { base: 0x3eff0000, size: 0x10000 };
export const VIRT_HIGH_PCIE_ECAM = { base: 0x4010000000, size: 0x10000000 };
export const VIRT_HIGH_PCIE_MMIO = { base: 0x8000000000, size: 0x8000000000 };
/** First GIC SPI of the PCIe INTx lines (irqmap[VIRT_PCIE]); four lines, swizzled by slot. */
export const VIRT_PCIE_IRQ = 3;
export const VIRT_GIC_SPIS = 256;
/** QOM path of the GIC in QEMU 7.2's default virt (created unnamed, after the CPU). */
export const VIRT_GIC_QOM_PATH = '/machine/unattached/device[1]';
/** Highest /machine/unattached/device[N] of QEMU 7.2's default virt (one CPU). */
const VIRT_LAST_UNATTACHED = 40;

export class VirtMachine extends Machine {
  readonly name = 'virt';
  /** No port space on Arm: qtest in/out behave as QEMU's empty one. */
  readonly io = null;
  /** The PCI I/O space, reached through the PIO window in memory. */
  readonly pciIo: AddressSpace;
  readonly pci: PciHost;
  readonly devices: PlacedDevice[] = [];

  /** The SMMUv3 (iommu=smmuv3), else null. */
  readonly smmu: Smmuv3 | null = null;

  constructor(config: MachineConfig) {
    super(config.memoryBytes, [{ base: VIRT_RAM_BASE, size: config.memoryBytes, ramOffset: 0 }], new InterruptController('gic', VIRT_GIC_SPIS), VIRT_GIC_V2M);
    let iommu = 'none';
    for (const [k, v] of Object.entries(config.machineProps)) {
      if (k === 'iommu' && (v === 'smmuv3' || v === 'none')) {
        iommu = v;
        continue;
      }
      // QEMU 7.2 prints the error and its hint on two lines, without the value.
      if (k === 'iommu') throw new MachineConfigError('Invalid iommu value\nValid values are none, smmuv3.');
      if (k === 'accel') continue;
      throw new MachineConfigError(`Property 'virt-7.2-machine.${k}' not found`);
    }
    this.pciIo = new AddressSpace({ name: 'pci-io', size: VIRT_PCIE_PIO.size, unmappedRead: 'ones' });
    this.pci = new PciHost({
      name: 'pcie.0', memory: this.memory, io: this.pciIo, msi: this.msi, allowZeroBarAddress: true,
      intx: { controller: this.irqs, map: (devfn, pin) => VIRT_PCIE_IRQ + (((devfn >> 3) + pin) & 3) },
    });
    new EcamWindow(this.pci, { buses: 256 }).map(this.memory, VIRT_HIGH_PCIE_ECAM.base);
    if (iommu === 'smmuv3') {
      const line = (i: number) => this.irqs.line(VIRT_SMMU_IRQ + i);
      this.smmu = new Smmuv3({ core: this.core, memory: this.memory, irqs: { eventq: line(0), priq: line(1), cmdqSync: line(2), gerror: line(3) } });
      this.memory.mapMmio(VIRT_SMMU_BASE, this.smmu.mmio);
      this.pci.setIommu(this.smmu);
    }
    // The PIO window forwards to the PCI I/O space; an unclaimed port reads all-ones there.
    this.memory.mapMmio(VIRT_PCIE_PIO.base, {
      name: 'pcie-pio', size: VIRT_PCIE_PIO.size, unaligned: true,
      handler: { read: (o, s) => this.pciIo.read(o, s), write: (o, s, v) => this.pciIo.write(o, s, v) },
    });
    // gpex answers unclaimed accesses in its MMIO windows with all ones (its
    // allow-unmapped-accesses default); BARs mapped there take precedence.
    for (const w of [VIRT_PCIE_MMIO, VIRT_HIGH_PCIE_MMIO]) {
      this.memory.mapMmio(w.base, {
        name: 'pcie-mmio-unmapped', size: w.size, unaligned: true,
        handler: { read: (_o, s) => (s === 4 ? 0xffffffff : (1 << (8 * s)) - 1), write: () => {}, read64: () => 0xffffffffffffffffn, write64: () => {} },
      }, -1);
    }
    // gpex host bridge: Red Hat 1b36:0008, class 06.00.00.
    this.pci.rootBus.addFunction(new PciFunction({ name: 'gpex-root', vendorId: 0x1b36, deviceId: 0x0008, classCode: PCI_CLASS_BRIDGE_HOST, subsystemVendorId: 0x1af4, subsystemId: 0x1100 }), 0);
    let anon = 0;
    const ids = new Set<string>();
    for (const d of config.devices) {
      if (d.driver === 'edu') this.devices.push(placeEdu(this.pci.rootBus, this.clock, d.props, d.props.id === undefined ? anon++ : -1, ids));
      else throw new MachineConfigError(`-device ${d.driver}: '${d.driver}' is not a valid device model name`);
    }
  }

  protected boardState(): unknown {
    return { pci: this.pci.snapshot(), smmu: this.smmu?.snapshot() ?? null };
  }

  protected loadBoardState(state: unknown): void {
    const st = state as { pci: SnapshotData; smmu?: Parameters<Smmuv3['restore']>[0] | null };
    this.pci.restore(st.pci);
    if (this.smmu !== null && st.smmu) this.smmu.restore(st.smmu);
  }

  /** The GIC is QEMU 7.2's second unnamed board device (verified: intercepting it shows edu's INTx). */
  protected irqControllerPaths(): string[] {
    return [VIRT_GIC_QOM_PATH];
  }

  protected devicePaths(): string[] {
    return [...commonQomPaths(VIRT_LAST_UNATTACHED), ...this.devices.map((d) => d.path)];
  }

  protected override attachTrace(hook: Parameters<Machine['onTrace']>[0] | undefined): void {
    super.attachTrace(hook);
    this.pci.setTrace(hook);
    this.smmu?.setTrace(hook);
  }
}

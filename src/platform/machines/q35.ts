// QEMU's q35 board, as far as the models need it: RAM split at the PCI hole, the I/O-port
// space with 0xCF8/0xCFC and the ICH9 reset-control register at 0xCF9, the MCH with its
// PCIEXBAR-controlled ECAM, the ICH9 functions at 00:1f, IOAPIC inputs for INTx, the MSI
// window at 0xFEE00000, and -device edu. VT-d attaches at 0xFED90000 with its own issue.
import { AddressSpace } from '../../bridge/address-space.ts';
import type { SnapshotData } from '../../bridge/types.ts';
import { InterruptController } from '../../bridge/irq.ts';
import { ConfigPorts } from '../pci/config-access.ts';
import { PciHost } from '../pci/host.ts';
import type { PciBridge } from '../pci/bridge.ts';
import { commonQomPaths, Machine, type RamRange } from './machine.ts';
import { Q35Mch } from './q35-mch.ts';
import { createIch9Lpc, createIch9Sata, createIch9Smbus, ICH9_LPC_DEVFN, ICH9_SATA_DEVFN, ICH9_SMBUS_DEVFN } from './ich9.ts';
import { MachineConfigError, placeEdu, type PlacedDevice } from './devices.ts';
import type { MachineConfig } from '../machine-types.ts';
import { Vtd, type VtdSnapshot } from '../../hw/vtd/vtd.ts';
import { featuresFromQemuProps, VtdPropertyError } from '../../hw/vtd/features.ts';

export const Q35_IOAPIC_PINS = 24;
export const Q35_MSI_WINDOW = { base: 0xfee00000, size: 0x100000 };
/** Where QEMU maps the VT-d unit (Q35_HOST_BRIDGE_IOMMU_ADDR). */
export const Q35_IOMMU_BASE = 0xfed90000;
export const Q35_RCR_PORT = 0xcf9;
const GIB4 = 2 ** 32;
/** Highest /machine/unattached/device[N] of QEMU 7.2's default q35 (measured). */
const Q35_LAST_UNATTACHED = 24;

/**
 * QEMU's split of RAM below/above 4 GiB: all of it below 0xb0000000 when it fits,
 * otherwise 2 GiB below and the rest from 4 GiB (pc_q35_init's lowmem rule).
 */
export function q35RamRanges(size: number): RamRange[] {
  const lowmem = size >= 0xb0000000 ? 0x80000000 : 0xb0000000;
  const below = Math.min(size, lowmem);
  const ranges: RamRange[] = [{ base: 0, size: below, ramOffset: 0 }];
  if (size > below) ranges.push({ base: GIB4, size: size - below, ramOffset: below });
  return ranges;
}

/** QEMU's ICH9 (ich9_cc_update) wires slot 30, the DMI-to-PCI bridge's, INTA..D to PIRQ E..H. */
const Q35_DMI2PCI_SLOT = 30;

/**
 * ICH9 INTx routing with the chipset's reset values: slots below 25 use PIRQ E..H by
 * (slot + pin) mod 4, which QEMU sends to IOAPIC inputs 20..23; slot 30 maps INTA..D to
 * PIRQ E..H (inputs 20..23); the other fixed slots 25..31 use their DxxIR registers, whose
 * reset value maps INTA..D to PIRQ A..D (inputs 16..19). Verified on QEMU 7.2 (q35-intx.txt).
 */
export function q35IntxGsi(devfn: number, pin: number): number {
  const slot = devfn >> 3;
  if (slot < 25) return 16 + 4 + ((slot + pin) & 3);
  if (slot === Q35_DMI2PCI_SLOT) return 16 + 4 + (pin & 3);
  return 16 + (pin & 3);
}

export class Q35Machine extends Machine {
  readonly name = 'q35';
  readonly io: AddressSpace;
  readonly pci: PciHost;
  readonly mch: Q35Mch;
  readonly devices: PlacedDevice[] = [];
  /** The VT-d unit (-device intel-iommu), else null. */
  readonly vtd: Vtd | null = null;
  private rstCnt = 0;

  constructor(config: MachineConfig) {
    super(config.memoryBytes, q35RamRanges(config.memoryBytes), new InterruptController('ioapic', Q35_IOAPIC_PINS), Q35_MSI_WINDOW);
    for (const [k, v] of Object.entries(config.machineProps)) {
      if (k === 'kernel-irqchip' && ['on', 'off', 'split'].includes(v)) continue; // no KVM here: the choice only matters to VT-d's EIM default
      if (k === 'accel') continue;
      // QEMU resolves q35 to its versioned type, which names the property.
      throw new MachineConfigError(`Property 'pc-q35-7.2-machine.${k}' not found`);
    }
    this.io = new AddressSpace({ name: 'io', size: 0x10000, unmappedRead: 'ones' });
    this.pci = new PciHost({ name: 'pcie.0', memory: this.memory, io: this.io, msi: this.msi, intx: { controller: this.irqs, map: q35IntxGsi } });
    new ConfigPorts(this.pci).map(this.io);
    this.mapResetControl();
    this.mch = this.pci.rootBus.addFunction(new Q35Mch(this.memory), 0);
    this.pci.rootBus.addFunction(createIch9Lpc(), ICH9_LPC_DEVFN);
    this.pci.rootBus.addFunction(createIch9Sata(), ICH9_SATA_DEVFN);
    this.pci.rootBus.addFunction(createIch9Smbus(), ICH9_SMBUS_DEVFN);
    let anon = 0;
    const ids = new Set<string>();
    for (const d of config.devices) {
      if (d.driver === 'edu') {
        this.devices.push(placeEdu(this.pci.rootBus, this.clock, d.props, d.props.id === undefined ? anon++ : -1, ids));
      } else if (d.driver === 'intel-iommu') {
        (this as { vtd: Vtd | null }).vtd = this.createVtd(d.props);
      } else {
        throw new MachineConfigError(`-device ${d.driver}: '${d.driver}' is not a valid device model name`);
      }
    }
    if (this.vtd !== null) {
      const vtd = this.vtd;
      this.pci.setIommu(vtd);
      // Device MSIs into 0xFEExxxxx are interrupt requests: remapped (or blocked) by the unit.
      // Any other MSI address is an ordinary DMA write, translated like one.
      this.pci.setMsiHandler((address, data, requester, fn) => {
        if (address >= Q35_MSI_WINDOW.base && address < Q35_MSI_WINDOW.base + Q35_MSI_WINDOW.size) {
          const r = vtd.remapMsi(address, data, requester.requesterId);
          if (r.ok) this.msi.deliver(r.address, r.data, requester);
          return;
        }
        const b = new Uint8Array(4);
        new DataView(b.buffer).setUint32(0, data >>> 0, true);
        fn.dmaPort.write(address, b);
      });
    }
  }

  /**
   * -device intel-iommu: the unit at 0xFED90000 with QEMU 7.2's properties; its fault and
   * invalidation-completion events are MSIs (FEADDR/FEDATA, IEADDR/IEDATA) into 0xFEExxxxx.
   * Every PCI function's DMA goes through it (QEMU 7.2 does the same only for devices created
   * after it on the command line; the order is not modelled).
   */
  private createVtd(props: Record<string, string>): Vtd {
    const spec = '-device intel-iommu' + Object.entries(props).map(([k, v]) => `,${k}=${v}`).join('');
    if (this.vtd !== null) throw new MachineConfigError(`${spec}: QEMU does not support multiple vIOMMUs for x86 yet.`);
    let features;
    try {
      features = featuresFromQemuProps(props);
    } catch (e) {
      if (e instanceof VtdPropertyError) throw new MachineConfigError(`${spec}: ${e.message}`);
      throw e;
    }
    const vtd = new Vtd({ core: this.core, memory: this.memory, features, msi: (a, d) => this.msi.deliver(a, d, null) });
    this.memory.mapMmio(Q35_IOMMU_BASE, vtd.mmio);
    return vtd;
  }

  /** ICH9 RST_CNT at port 0xCF9, mapped over CONFIG_ADDRESS's second byte as in QEMU. */
  private mapResetControl(): void {
    this.io.mapMmio(Q35_RCR_PORT, {
      name: 'ich9-rst-cnt', size: 1, validSizes: 1,
      handler: {
        read: () => this.rstCnt,
        write: (_o, _s, v) => {
          if (v & 0x4) {
            // RST_CPU requests a system reset, which QEMU carries out before the next qtest
            // command: devices go back to their reset state (and RST_CNT to 0), RAM and
            // CONFIG_ADDRESS keep their contents (verified on QEMU 7.2, q35-rst-cnt.txt).
            // There is no CPU to restart here; the request is traced.
            this.irqs.trace?.({ kind: 'system-reset-request', source: 'ich9-rst-cnt', value: v });
            this.rstCnt = 0;
            this.resetDevices();
            return;
          }
          this.rstCnt = v & 0xa; // FULL_RST and SYS_RST are kept
        },
      },
    }, 1);
  }

  protected boardState(): unknown {
    return { rstCnt: this.rstCnt, pci: this.pci.snapshot(), vtd: this.vtd?.snapshot() ?? null };
  }

  protected loadBoardState(state: unknown): void {
    const st = state as { rstCnt: number; pci: SnapshotData };
    this.rstCnt = st.rstCnt & 0xa;
    this.pci.restore(st.pci);
    this.mch.updateEcam();
    const v = (state as { vtd?: VtdSnapshot | null }).vtd;
    if (this.vtd !== null && v) this.vtd.restore(v);
  }

  /** The device side of QEMU's system reset: every PCI function back to its reset state. */
  resetDevices(): void {
    for (const f of this.pci.rootBus.functions()) {
      f.reset();
      if (f.isBridge) (f as PciBridge).resetBelow();
    }
    this.vtd?.reset();
  }

  protected irqControllerPaths(): string[] {
    return ['/machine/q35/ioapic'];
  }

  protected override devicePaths(): string[] {
    return ['/machine/q35', '/machine/q35/ioapic', '/machine/q35/mch', '/machine/q35/pcie.0', ...commonQomPaths(Q35_LAST_UNATTACHED), ...this.devices.map((d) => d.path)];
  }

  protected override attachTrace(hook: Parameters<Machine['onTrace']>[0] | undefined): void {
    super.attachTrace(hook);
    this.pci.setTrace(hook);
    this.vtd?.setTrace(hook);
  }
}

// Builders for common PCI topologies. IDs default to the QEMU models of the same role, so a
// topology built here enumerates like its QEMU counterpart:
//   host bridge          8086:29c0  (q35 MCH)
//   PCIe root port       1b36:000c  (pcie-root-port)
//   switch upstream      104c:8232  (x3130-upstream)
//   switch downstream    104c:8233  (xio3130-downstream)
//   PCIe-to-PCI bridge   1b36:000e  (pcie-pci-bridge)
//   PCI-to-PCI bridge    1b36:0001  (pci-bridge)
import { PciBridge, type PciBridgeOptions } from './bridge.ts';
import type { PciBus } from './bus.ts';
import { PciFunction } from './function.ts';
import type { AcsOptions } from './acs.ts';
import {
  PCI_CLASS_BRIDGE_HOST, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_PCI_BRIDGE, PCI_EXP_TYPE_ROOT_PORT,
  PCI_EXP_TYPE_UPSTREAM,
} from './regs.ts';

/** Options shared by the port builders. */
export interface PortOptions extends Partial<PciBridgeOptions> {
  /** ACS capability of the port (omit for none). */
  readonly acs?: AcsOptions;
  /** Physical slot number (root/downstream ports). */
  readonly slot?: number;
}

/** The q35 host bridge function (00:00.0), 8086:29c0, class 06.00.00. */
export function createQ35HostBridge(name = 'q35-host'): PciFunction {
  return new PciFunction({
    name, vendorId: 0x8086, deviceId: 0x29c0, classCode: PCI_CLASS_BRIDGE_HOST,
    subsystemVendorId: 0x1af4, subsystemId: 0x1100,
  });
}

/** A PCIe root port at `devfn` on `bus`. Its secondary bus is `port.secondary`. */
export function addRootPort(bus: PciBus, devfn: number | string, opts: PortOptions = {}): PciBridge {
  const { slot, ...rest } = opts;
  return bus.addFunction(new PciBridge({
    name: 'pcie-root-port', vendorId: 0x1b36, deviceId: 0x000c, interruptPin: 1,
    ...rest,
    pcie: { type: PCI_EXP_TYPE_ROOT_PORT, ...(slot !== undefined ? { slot } : {}) },
  }), devfn);
}

export interface SwitchOptions {
  readonly name?: string;
  /** ACS on every downstream port (omit for none). */
  readonly downstreamAcs?: AcsOptions;
  readonly upstream?: Partial<PciBridgeOptions>;
}

/**
 * A PCIe switch: its upstream port at `devfn` on `bus` (normally device 0 below a root or
 * downstream port) and `downstreamPorts` downstream ports at devices 0..n-1 of its internal bus.
 */
export function addSwitch(bus: PciBus, devfn: number | string, downstreamPorts: number, opts: SwitchOptions = {}): { upstream: PciBridge; downstream: PciBridge[] } {
  if (!Number.isInteger(downstreamPorts) || downstreamPorts < 1 || downstreamPorts > 32) {
    throw new RangeError(`addSwitch: downstreamPorts must be 1..32, got ${downstreamPorts}`);
  }
  const name = opts.name ?? 'switch';
  const upstream = bus.addFunction(new PciBridge({
    name: `${name}-up`, vendorId: 0x104c, deviceId: 0x8232, ...opts.upstream, pcie: { type: PCI_EXP_TYPE_UPSTREAM },
  }), devfn);
  const downstream: PciBridge[] = [];
  for (let i = 0; i < downstreamPorts; i++) {
    downstream.push(upstream.secondary.addFunction(new PciBridge({
      name: `${name}-down${i}`, vendorId: 0x104c, deviceId: 0x8233, interruptPin: 1,
      pcie: { type: PCI_EXP_TYPE_DOWNSTREAM, slot: i },
      ...(opts.downstreamAcs ? { acs: opts.downstreamAcs } : {}),
    }), i << 3));
  }
  return { upstream, downstream };
}

/** A PCIe-to-PCI bridge (PCIe type 7): conventional PCI below, DMA aliased to (secondary, 00.0). */
export function addPcieToPciBridge(bus: PciBus, devfn: number | string, opts: Partial<PciBridgeOptions> = {}): PciBridge {
  return bus.addFunction(new PciBridge({
    name: 'pcie-pci-bridge', vendorId: 0x1b36, deviceId: 0x000e, interruptPin: 1,
    ...opts,
    pcie: { type: PCI_EXP_TYPE_PCI_BRIDGE },
  }), devfn);
}

/** A conventional PCI-to-PCI bridge (no PCIe capability). */
export function addPciBridge(bus: PciBus, devfn: number | string, opts: Partial<PciBridgeOptions> = {}): PciBridge {
  return bus.addFunction(new PciBridge({ name: 'pci-bridge', vendorId: 0x1b36, deviceId: 0x0001, interruptPin: 1, ...opts }), devfn);
}

// PCI enumeration the way the kernel does it (drivers/pci/probe.c, simplified): scan every slot
// of a bus through configuration space, read the header, walk the capability lists, and number
// the buses behind bridges depth first (as pci=assign-busses does when firmware did not).
import { KDevice } from '../device.ts';
import type { PciConfigAccess } from './config.ts';
import { pciName, type KPciBus, type KPciDev } from './pci-dev.ts';
import * as P from '../../platform/pci/regs.ts';

export interface PciScanResult {
  root: KPciBus;
  /** Every device in bus-walk order (parents before children), as Linux adds them. */
  devices: KDevice[];
  /** Lookup by requester ID (pci_get_domain_bus_and_slot). */
  byRid: Map<number, KDevice>;
}

function findCap(cfg: PciConfigAccess, bus: number, devfn: number, id: number): number {
  if ((cfg.read(bus, devfn, P.PCI_STATUS, 2) & P.PCI_STATUS_CAP_LIST) === 0) return 0;
  let pos = cfg.read(bus, devfn, P.PCI_CAPABILITY_LIST, 1) & ~3;
  for (let ttl = 48; pos >= 0x40 && ttl > 0; ttl--) {
    if (cfg.read(bus, devfn, pos + P.PCI_CAP_LIST_ID, 1) === id) return pos;
    pos = cfg.read(bus, devfn, pos + P.PCI_CAP_LIST_NEXT, 1) & ~3;
  }
  return 0;
}

function findExtCap(cfg: PciConfigAccess, bus: number, devfn: number, id: number): number {
  let pos = P.PCI_EXT_CAP_START;
  for (let ttl = 480; pos >= P.PCI_EXT_CAP_START && ttl > 0; ttl--) {
    const h = cfg.read(bus, devfn, pos, 4);
    if (h === 0 || h === 0xffffffff) return 0;
    if ((h & P.PCI_EXT_CAP_ID_MASK) === id) return pos;
    pos = (h >>> P.PCI_EXT_CAP_NEXT_SHIFT) & 0xffc;
  }
  return 0;
}

/** Kernel DMA-alias quirks (drivers/pci/quirks.c): vendor:device -> same-bus devfn offsets / fixed devfns. */
export interface DmaAliasQuirk {
  vendor: number;
  device: number;
  /** Aliases as functions of the same slot (e.g. Marvell: function 1). */
  functions?: readonly number[];
}

export interface PciScanOptions {
  segment?: number;
  rootBus?: number;
  /**
   * Enable ACS on every port that implements it (pci_enable_acs: SV, RR, CR, UF), as Linux does
   * when an IOMMU driver requested it (pci_request_acs). Default true.
   */
  enableAcs?: boolean;
  quirks?: readonly DmaAliasQuirk[];
}

/** Scans segment `segment` from root bus `rootBus`. */
export function pciScan(cfg: PciConfigAccess, opts: PciScanOptions = {}): PciScanResult {
  const segment = opts.segment ?? 0;
  const devices: KDevice[] = [];
  const byRid = new Map<number, KDevice>();
  let nextBus = (opts.rootBus ?? 0) + 1;

  const scanBus = (bus: KPciBus): void => {
    for (let slot = 0; slot < 32; slot++) {
      const f0 = slot << 3;
      if ((cfg.read(bus.number, f0, P.PCI_VENDOR_ID, 2) & 0xffff) === 0xffff) continue;
      const multifunction = (cfg.read(bus.number, f0, P.PCI_HEADER_TYPE, 1) & P.PCI_HEADER_TYPE_MFD) !== 0;
      for (let fn = 0; fn < (multifunction ? 8 : 1); fn++) {
        const devfn = f0 | fn;
        const id = cfg.read(bus.number, devfn, P.PCI_VENDOR_ID, 4) >>> 0;
        if ((id & 0xffff) === 0xffff) continue;
        const header = cfg.read(bus.number, devfn, P.PCI_HEADER_TYPE, 1) & P.PCI_HEADER_TYPE_MASK;
        const pcieCap = findCap(cfg, bus.number, devfn, P.PCI_CAP_ID_EXP);
        const pcieType = pcieCap === 0 ? -1 : (cfg.read(bus.number, devfn, pcieCap + P.PCI_EXP_FLAGS, 2) & P.PCI_EXP_FLAGS_TYPE) >>> P.PCI_EXP_FLAGS_TYPE_SHIFT;
        const info: KPciDev = {
          cfg, segment, bus, devfn,
          vendor: id & 0xffff,
          device: id >>> 16,
          classCode: cfg.read(bus.number, devfn, P.PCI_CLASS_REVISION, 4) >>> 8,
          multifunction,
          isBridge: header === P.PCI_HEADER_TYPE_BRIDGE,
          pcieCap,
          pcieType,
          acsCap: pcieCap !== 0 ? findExtCap(cfg, bus.number, devfn, P.PCI_EXT_CAP_ID_ACS) : 0,
          subordinate: null,
          dmaAliasDevfns: new Set(),
        };
        if (info.acsCap !== 0 && (opts.enableAcs ?? true)) {
          const cap = cfg.read(bus.number, devfn, info.acsCap + P.PCI_ACS_CAP, 2);
          const ctrl = cfg.read(bus.number, devfn, info.acsCap + P.PCI_ACS_CTRL, 2);
          cfg.write(bus.number, devfn, info.acsCap + P.PCI_ACS_CTRL, 2, ctrl | (cap & (P.PCI_ACS_SV | P.PCI_ACS_RR | P.PCI_ACS_CR | P.PCI_ACS_UF)));
        }
        for (const q of opts.quirks ?? []) {
          if (q.vendor === info.vendor && q.device === info.device) for (const f of q.functions ?? []) info.dmaAliasDevfns.add((devfn & ~7) | f);
        }
        const dev = new KDevice(pciName(segment, bus.number, devfn), 'pci', info);
        bus.devices.push(dev);
        devices.push(dev);
        byRid.set((bus.number << 8) | devfn, dev);
        if (info.isBridge) {
          // Number the bus below: primary = this bus, secondary = next, subordinate widened
          // while scanning, then narrowed to the last bus found below.
          const sec = nextBus++;
          cfg.write(bus.number, devfn, P.PCI_PRIMARY_BUS, 1, bus.number);
          cfg.write(bus.number, devfn, P.PCI_SECONDARY_BUS, 1, sec);
          cfg.write(bus.number, devfn, P.PCI_SUBORDINATE_BUS, 1, 0xff);
          const child: KPciBus = { number: sec, self: dev, parent: bus, devices: [], children: [] };
          bus.children.push(child);
          info.subordinate = child;
          scanBus(child);
          cfg.write(bus.number, devfn, P.PCI_SUBORDINATE_BUS, 1, nextBus - 1);
        }
      }
    }
  };
  const root: KPciBus = { number: opts.rootBus ?? 0, self: null, parent: null, devices: [], children: [] };
  scanBus(root);
  return { root, devices, byRid };
}

/** pci_set_master: enables bus mastering (a driver does this when it binds). */
export function pciSetMaster(dev: KDevice, on = true): void {
  const p = dev.pci;
  if (p === null) return;
  const cmd = p.cfg.read(p.bus.number, p.devfn, P.PCI_COMMAND, 2);
  p.cfg.write(p.bus.number, p.devfn, P.PCI_COMMAND, 2, on ? cmd | P.PCI_COMMAND_MASTER | P.PCI_COMMAND_MEMORY : cmd & ~P.PCI_COMMAND_MASTER);
}

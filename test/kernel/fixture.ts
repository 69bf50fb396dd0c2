// Kernel-layer test fixture: a platform PCI hierarchy (real config space, ECAM) that the kernel
// discovers by scanning configuration space - like Linux at boot - plus an IommuCore and the
// mock driver. Device names are Linux's (0000:bb:dd.f) after the kernel numbered the buses.
import { PciFunction } from '../../src/platform/pci/function.ts';
import { PCI_EXP_TYPE_ENDPOINT } from '../../src/platform/pci/regs.ts';
import { IommuCore, type IommuCoreOptions } from '../../src/kernel/iommu/core.ts';
import { ecamAccess } from '../../src/kernel/pci/config.ts';
import { pciScan, type PciScanOptions } from '../../src/kernel/pci/scan.ts';
import type { KDevice } from '../../src/kernel/device.ts';
import { MockIommu, type MockOptions } from './mock-iommu.ts';
import { ECAM_BASE, platform } from '../platform/fixture.ts';
import type { AcsOptions } from '../../src/platform/pci/acs.ts';

/** A PCIe endpoint function (optionally multi-function, with ACS). */
export function ep(name: string, o: { acs?: AcsOptions; multiFunction?: boolean; vendorId?: number; deviceId?: number } = {}): PciFunction {
  return new PciFunction({
    name, vendorId: o.vendorId ?? 0x8086, deviceId: o.deviceId ?? 0x1234, classCode: 0x020000,
    pcie: { type: PCI_EXP_TYPE_ENDPOINT }, ...(o.acs ? { acs: o.acs } : {}), ...(o.multiFunction !== undefined ? { multiFunction: o.multiFunction } : {}),
  });
}
/** A conventional PCI function. */
export function conv(name: string): PciFunction {
  return new PciFunction({ name, vendorId: 0x10ec, deviceId: 0x8139, classCode: 0x020000 });
}

/** Builds the hierarchy with `build`, scans it, registers a mock IOMMU and probes every device. */
export function kernel(build: (p: ReturnType<typeof platform>) => void, o: { mock?: MockOptions; core?: IommuCoreOptions; scan?: PciScanOptions; probe?: boolean } = {}) {
  const p = platform();
  build(p);
  const scan = pciScan(ecamAccess(p.memory, ECAM_BASE), o.scan);
  const core = new IommuCore({ byRid: (bus, devfn) => scan.byRid.get((bus << 8) | devfn), ...o.core });
  const mock = new MockIommu(core, o.mock);
  core.iommuDeviceRegister(mock.iommuDev);
  if (o.probe ?? true) core.busIommuProbe(scan.devices);
  const dev = (name: string): KDevice => {
    const d = scan.devices.find((x) => x.name === name);
    if (d === undefined) throw new Error(`no device ${name}; have ${scan.devices.map((x) => x.name).join(' ')}`);
    return d;
  };
  /** Group membership as sorted name lists (for assertions). */
  const groups = (): string[][] => {
    const seen = new Map<number, string[]>();
    for (const d of scan.devices) if (d.iommu?.group) seen.set(d.iommu.group.id, [...(seen.get(d.iommu.group.id) ?? []), d.name]);
    return [...seen.values()].map((g) => g.sort());
  };
  return { p, scan, core, mock, dev, groups };
}

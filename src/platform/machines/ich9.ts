// The ICH9 functions QEMU's q35 always creates at 00:1f (LPC, SATA/AHCI, SMBus). They are
// here for their configuration space (identity, class, BAR types, capabilities), so that
// enumeration and automatic slot choice match QEMU; their I/O behaviour is not modelled
// (their BARs decode nothing: reads 0, writes dropped).
import type { MmioHandler } from '../../bridge/types.ts';
import { PciFunction } from '../pci/function.ts';

const SILENT: MmioHandler = { read: () => 0, write: () => {} };

/** Config-space values read from QEMU 7.2's q35 (class | revision 2, subsystem 1af4:1100). */
export const ICH9_LPC_DEVFN = (0x1f << 3) | 0;
export const ICH9_SATA_DEVFN = (0x1f << 3) | 2;
export const ICH9_SMBUS_DEVFN = (0x1f << 3) | 3;

export function createIch9Lpc(): PciFunction {
  return new PciFunction({ name: 'ich9-lpc', vendorId: 0x8086, deviceId: 0x2918, revision: 2, classCode: 0x060100, subsystemVendorId: 0x1af4, subsystemId: 0x1100 });
}

export function createIch9Sata(): PciFunction {
  return new PciFunction({
    name: 'ich9-ahci', vendorId: 0x8086, deviceId: 0x2922, revision: 2, classCode: 0x010601,
    subsystemVendorId: 0x1af4, subsystemId: 0x1100, interruptPin: 1,
    // QEMU: index/data pair at BAR4 (I/O, 32 bytes), the AHCI ABAR at BAR5 (4 KiB), MSI at 0x80.
    bars: [
      { index: 4, kind: 'io', size: 32, handler: SILENT },
      { index: 5, kind: 'mem32', size: 0x1000, handler: SILENT },
    ],
    msi: { vectors: 1, address64: true, offset: 0x80 },
  });
}

export function createIch9Smbus(): PciFunction {
  return new PciFunction({
    name: 'ich9-smbus', vendorId: 0x8086, deviceId: 0x2930, revision: 2, classCode: 0x0c0500,
    subsystemVendorId: 0x1af4, subsystemId: 0x1100, interruptPin: 1,
    bars: [{ index: 4, kind: 'io', size: 32, handler: SILENT }],
  });
}

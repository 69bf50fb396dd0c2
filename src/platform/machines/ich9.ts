// The ICH9 functions QEMU's q35 always creates at 00:1f (LPC, SATA/AHCI, SMBus). They are
// here for their configuration space (identity, class, BAR types, capabilities, reset values
// of the chipset registers), so that enumeration and automatic slot choice match QEMU; their
// I/O behaviour is not modelled (their BARs decode nothing: reads 0, writes dropped, and the
// chipset registers are plain storage).
import type { MmioHandler } from '../../bridge/types.ts';
import type { ConfigSpace } from '../pci/config-space.ts';
import { PciFunction, type PciFunctionOptions } from '../pci/function.ts';

const SILENT: MmioHandler = { read: () => 0, write: () => {} };

/** Config-space values read from QEMU 7.2's q35 (class | revision 2, subsystem 1af4:1100). */
export const ICH9_LPC_DEVFN = (0x1f << 3) | 0;
export const ICH9_SATA_DEVFN = (0x1f << 3) | 2;
export const ICH9_SMBUS_DEVFN = (0x1f << 3) | 3;

/** ICH9 register offsets (ICH9 datasheet names) whose QEMU reset values differ from 0. */
const LPC_PMBASE = 0x40;
const LPC_PIRQA_ROUT = 0x60;
const LPC_PIRQE_ROUT = 0x68;
/** PIRQx_ROUT reset value: IRQEN (bit 7) set, i.e. not routed to the 8259. */
const PIRQ_ROUT_DISABLED = 0x80;
const SATA_MAP = 0x90;
const SATA_CAP = 0xa8;
const PCI_CAP_ID_SATA = 0x12;
const SMB_HOSTC = 0x40;

/**
 * A function whose bytes from 0x40 up are writable storage unless said otherwise, as QEMU's
 * pci_init_wmask leaves them (verified: 0xffffffff written there reads back on QEMU 7.2),
 * with registers set up by `init` before the reset image is taken.
 */
class Ich9Function extends PciFunction {
  constructor(opts: PciFunctionOptions, init: (cfg: ConfigSpace) => void) {
    super({ ...opts, qemuDeviceAreaWritable: true });
    init(this.cfg);
    this.captureResetImage();
  }
}

export function createIch9Lpc(): PciFunction {
  return new Ich9Function(
    { name: 'ich9-lpc', vendorId: 0x8086, deviceId: 0x2918, revision: 2, classCode: 0x060100, subsystemVendorId: 0x1af4, subsystemId: 0x1100 },
    (cfg) => {
      // PMBASE: bit 0 (resource type I/O) reads 1; QEMU lets bits 15:7 and 2:1 be written.
      cfg.set32(LPC_PMBASE, 1);
      cfg.setWmask(LPC_PMBASE, 4, 0xff86);
      cfg.set32(LPC_PIRQA_ROUT, PIRQ_ROUT_DISABLED * 0x01010101);
      cfg.set32(LPC_PIRQE_ROUT, PIRQ_ROUT_DISABLED * 0x01010101);
    },
  );
}

export function createIch9Sata(): PciFunction {
  return new Ich9Function(
    {
      name: 'ich9-ahci', vendorId: 0x8086, deviceId: 0x2922, revision: 2, classCode: 0x010601,
      subsystemVendorId: 0x1af4, subsystemId: 0x1100, interruptPin: 1,
      // QEMU: index/data pair at BAR4 (I/O, 32 bytes), the AHCI ABAR at BAR5 (4 KiB), MSI at 0x80.
      bars: [
        { index: 4, kind: 'io', size: 32, handler: SILENT },
        { index: 5, kind: 'mem32', size: 0x1000, handler: SILENT },
      ],
      msi: { vectors: 1, address64: true, offset: 0x80 },
    },
    (cfg) => {
      cfg.set8(SATA_MAP, 0x40); // Address Map: AHCI mode
      // SATA capability (read-only): revision 1.0, BAR4 holds the index/data pair at offset 4.
      cfg.addCapability(PCI_CAP_ID_SATA, 8, SATA_CAP);
      cfg.set8(SATA_CAP + 2, 0x10);
      cfg.set32(SATA_CAP + 4, 0x48);
      cfg.setWmask(SATA_CAP, 4, 0);
      cfg.setWmask(SATA_CAP + 4, 4, 0);
    },
  );
}

export function createIch9Smbus(): PciFunction {
  return new Ich9Function(
    {
      name: 'ich9-smbus', vendorId: 0x8086, deviceId: 0x2930, revision: 2, classCode: 0x0c0500,
      subsystemVendorId: 0x1af4, subsystemId: 0x1100, interruptPin: 1,
      // QEMU's SMBus host I/O region is 64 bytes (BAR4 sizes to 0xffffffc1 on QEMU 7.2).
      bars: [{ index: 4, kind: 'io', size: 64, handler: SILENT }],
    },
    (cfg) => {
      cfg.setWmask(SMB_HOSTC, 1, 0xf7); // bit 3 (SSRESET in the datasheet) reads back 0 in QEMU
    },
  );
}

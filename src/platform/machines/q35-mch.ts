// The q35 host bridge (MCH, 00:00.0) with its PCIEXBAR register, which places and enables
// the ECAM window. QEMU resets PCIEXBAR to 0xb0000000 with the enable bit clear, so ECAM
// answers nothing until firmware (or a qtest script) sets bit 0.
import type { AddressSpace, MappedRegion } from '../../bridge/address-space.ts';
import { EcamWindow } from '../pci/config-access.ts';
import { PciFunction } from '../pci/function.ts';
import type { PciHost } from '../pci/host.ts';
import { PCI_CLASS_BRIDGE_HOST } from '../pci/regs.ts';

/** MCH configuration registers (Intel 3 Series / ICH9 datasheet, as QEMU's q35.h names them). */
export const MCH_EXT_TSEG_MBYTES = 0x50;
export const MCH_PCIEXBAR = 0x60;
export const MCH_SMRAM = 0x9d;
export const MCH_ESMRAMC = 0x9e;
export const MCH_PCIEXBAR_SIZE = 8;
export const MCH_PCIEXBAR_DEFAULT = 0xb0000000;
export const MCH_PCIEXBAREN = 0x1;
/** Bits 2:1: 0 = 256 MiB (buses 0-255), 1 = 128 MiB, 2 = 64 MiB, 3 = reserved. */
export const MCH_PCIEXBAR_LENGTH_SHIFT = 1;
export const MCH_PCIEXBAR_LENGTH_MASK = 0x3;
/**
 * Low-dword base masks per length, from the Intel 3 Series (MCH) datasheet: bits 31:28 for
 * 256 MiB, plus bit 27 (128ADMSK) for 128 MiB, plus bit 26 (64ADMSK) for 64 MiB.
 */
const PCIEXBAR_256_ADMSK = 0xf0000000;
const PCIEXBAR_128_ADMSK = 0xf0000000 | (1 << 27);
const PCIEXBAR_64_ADMSK = 0xf0000000 | (1 << 27) | (1 << 26);

export class Q35Mch extends PciFunction {
  private ecamMap: MappedRegion | null = null;
  private ecamKey = '';

  constructor(private readonly memory: AddressSpace) {
    // QEMU leaves bytes 0x40.. writable storage unless a register says otherwise (pci_init_wmask).
    super({ name: 'mch', vendorId: 0x8086, deviceId: 0x29c0, classCode: PCI_CLASS_BRIDGE_HOST, subsystemVendorId: 0x1af4, subsystemId: 0x1100, qemuDeviceAreaWritable: true });
    // Reset values read from QEMU 7.2: extended TSEG size 16 MiB (read-only without the
    // 0xffff query), SMRAM C_BASE_SEG, ESMRAMC with TSEG size bits. Their SMM semantics
    // (D_LCK, the TSEG query, PAM shadowing) are not modelled.
    this.cfg.set16(MCH_EXT_TSEG_MBYTES, 16);
    this.cfg.setWmask(MCH_EXT_TSEG_MBYTES, 2, 0);
    this.cfg.set8(MCH_SMRAM, 0x02);
    this.cfg.set8(MCH_ESMRAMC, 0x38);
    this.cfg.set32(MCH_PCIEXBAR, MCH_PCIEXBAR_DEFAULT);
    // QEMU leaves the whole 64-bit register writable (verified: 0xffffffff reads back).
    this.cfg.setWmask(MCH_PCIEXBAR, 4, 0xffffffff);
    this.cfg.setWmask(MCH_PCIEXBAR + 4, 4, 0xffffffff);
    this.captureResetImage();
  }

  /** The ECAM base currently decoded, or -1 when the window is off. */
  get ecamBase(): number {
    return this.ecamMap?.base ?? -1;
  }

  protected override onConfigWrite(off: number, len: number): void {
    if (off < MCH_PCIEXBAR + MCH_PCIEXBAR_SIZE && off + len > MCH_PCIEXBAR) this.updateEcam();
  }

  protected override onReset(): void {
    this.updateEcam();
  }

  /** Re-derives the ECAM window from PCIEXBAR (QEMU's mch_update_pciexbar). */
  updateEcam(): void {
    const host: PciHost | null = this.bus?.host ?? null;
    const lo = this.cfg.get32(MCH_PCIEXBAR);
    const hi = this.cfg.get32(MCH_PCIEXBAR + 4);
    const length = (lo >>> MCH_PCIEXBAR_LENGTH_SHIFT) & MCH_PCIEXBAR_LENGTH_MASK;
    // The reserved length leaves the window as it was, enabled or not (QEMU 7.2,
    // q35-pciexbar-masks.txt).
    if (length === 3) return;
    const enabled = (lo & MCH_PCIEXBAREN) !== 0 && host !== null;
    const size = 0x10000000 >>> length;
    // We follow the datasheet, not QEMU: QEMU 7.2's 128ADMSK/64ADMSK constants are one bit
    // low (bits 26:25 and 25), so there 0xbc000003 decodes at 0xb4000000 and 0xb2000005 at
    // the misaligned 0xb2000000 (recorded in q35-pciexbar*.txt; the fixture test lists
    // exactly the replies where the two differ). With the programming every firmware uses
    // (256 MiB, or 128/64 MiB at an aligned base) both agree.
    const lowMask = length === 1 ? PCIEXBAR_128_ADMSK : length === 2 ? PCIEXBAR_64_ADMSK : PCIEXBAR_256_ADMSK;
    const baseExact = (hi & 0xf) * 2 ** 32 + ((lo & lowMask) >>> 0);
    const key = enabled ? `${baseExact}:${size}` : '';
    if (key === this.ecamKey) return;
    this.ecamKey = key;
    this.ecamMap?.unmap();
    this.ecamMap = null;
    if (enabled) {
      this.ecamMap = new EcamWindow(host!, { buses: size >>> 20 }).map(this.memory, baseExact);
    }
  }
}

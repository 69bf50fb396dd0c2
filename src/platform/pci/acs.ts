// The Access Control Services extended capability (PCIe Base spec 7.7.8): which P2P controls
// a port or multi-function device implements (ACS Capability, RO) and which are enabled
// (ACS Control; a bit is writable only where the matching capability bit is set, the rest
// are hardwired to 0). Linux decides IOMMU-group isolation from these two registers.
import type { ConfigSpace } from './config-space.ts';
import {
  PCI_ACS_ALL_BITS, PCI_ACS_CAP, PCI_ACS_CTRL, PCI_ACS_EC, PCI_ACS_EGRESS_BITS_SHIFT,
  PCI_ACS_EGRESS_CTL_V, PCI_EXT_CAP_ID_ACS,
} from './regs.ts';

export interface AcsOptions {
  /** Implemented controls: a mask of PCI_ACS_SV/TB/RR/CR/UF/EC/DT. */
  readonly capabilities: number;
  /** Controls enabled at reset (firmware usually leaves them 0; Linux enables them). */
  readonly enabled?: number;
  /** Egress Control Vector size in bits (only with PCI_ACS_EC; 0 encodes 256). */
  readonly egressBits?: number;
  readonly offset?: number;
}

export function addAcsCapability(cfg: ConfigSpace, opts: AcsOptions): number {
  const caps = opts.capabilities;
  if (!Number.isInteger(caps) || (caps & ~PCI_ACS_ALL_BITS) !== 0) {
    throw new RangeError(`ACS: capabilities must be a mask of the PCI_ACS_* bits (0..0x7f), got ${caps}`);
  }
  const enabled = opts.enabled ?? 0;
  if ((enabled & ~caps) !== 0) throw new RangeError(`ACS: enabled bits 0x${enabled.toString(16)} are not all implemented (0x${caps.toString(16)})`);
  const hasEc = (caps & PCI_ACS_EC) !== 0;
  const egressBits = hasEc ? opts.egressBits ?? 8 : 0;
  if (!Number.isInteger(egressBits) || egressBits < 0 || egressBits > 256) {
    throw new RangeError(`ACS: egressBits must be 1..256, got ${egressBits}`);
  }
  const vectorBytes = hasEc ? Math.ceil((egressBits === 0 ? 256 : egressBits) / 32) * 4 : 0;
  const off = cfg.addExtCapability(PCI_EXT_CAP_ID_ACS, 1, PCI_ACS_EGRESS_CTL_V + vectorBytes, opts.offset ?? 0);
  cfg.set16(off + PCI_ACS_CAP, caps | ((egressBits & 0xff) << PCI_ACS_EGRESS_BITS_SHIFT));
  cfg.set16(off + PCI_ACS_CTRL, enabled);
  cfg.setWmask(off + PCI_ACS_CTRL, 2, caps);
  if (hasEc) {
    const n = egressBits === 0 ? 256 : egressBits;
    for (let i = 0; i < vectorBytes; i += 4) {
      const bits = Math.min(32, n - i * 8);
      cfg.setWmask(off + PCI_ACS_EGRESS_CTL_V + i, 4, bits >= 32 ? 0xffffffff : 2 ** Math.max(bits, 0) - 1);
    }
  }
  return off;
}

// The PCI Express capability (PCIe Base spec 7.5.3), version 2 layout. It tells software
// what kind of PCIe component a function is (endpoint, root port, switch port, bridge,
// RCiEP...), which is what Linux's DMA-alias and ACS logic key on.
import type { ConfigSpace } from './config-space.ts';
import {
  PCI_CAP_EXP_SIZEOF_V2, PCI_CAP_ID_EXP, PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR, PCI_EXP_DEVCTL,
  PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_ERRORS, PCI_EXP_FLAGS, PCI_EXP_FLAGS_SLOT, PCI_EXP_FLAGS_TYPE_SHIFT,
  PCI_EXP_LNKCAP, PCI_EXP_LNKCTL, PCI_EXP_LNKSTA, PCI_EXP_RTCTL, PCI_EXP_SLTCAP, PCI_EXP_SLTCTL,
  PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_RC_END, PCI_EXP_TYPE_ROOT_PORT,
} from './regs.ts';

export interface PcieCapOptions {
  /** Device/Port type (PCI_EXP_TYPE_*). */
  readonly type: number;
  /** Physical slot number for root/downstream ports (sets Slot Implemented). */
  readonly slot?: number;
  /** Function Level Reset capable (endpoints). */
  readonly flr?: boolean;
  /** Config offset (default: first free place above the header). */
  readonly offset?: number;
}

/** Device Control bits software may write: error reporting, relaxed ordering, payload,
 *  extended tags, phantom functions, aux power, no-snoop, max read request (bits 14:0). */
const DEVCTL_RW = 0x7fff;
/** Link Control: ASPM, RCB, link disable/retrain (ports), common clock, ext sync, clock PM... */
const LNKCTL_RW = 0x0ffb;
/** Link Capabilities: 2.5 GT/s, x1, port number 0. Link Status: 2.5 GT/s, x1. */
const LNKCAP_GEN1_X1 = 0x00000011;
const LNKSTA_GEN1_X1 = 0x0011;

export function addPcieCapability(cfg: ConfigSpace, opts: PcieCapOptions): number {
  const { type } = opts;
  if (!Number.isInteger(type) || type < 0 || type > 0xa || type === 2 || type === 3) {
    throw new RangeError(`PCIe capability: unknown device/port type ${type}`);
  }
  const off = cfg.addCapability(PCI_CAP_ID_EXP, PCI_CAP_EXP_SIZEOF_V2, opts.offset ?? 0);
  const isSlotPort = type === PCI_EXP_TYPE_ROOT_PORT || type === PCI_EXP_TYPE_DOWNSTREAM;
  const slotImpl = isSlotPort && opts.slot !== undefined;
  cfg.set16(off + PCI_EXP_FLAGS, 2 | (type << PCI_EXP_FLAGS_TYPE_SHIFT) | (slotImpl ? PCI_EXP_FLAGS_SLOT : 0));
  cfg.set32(off + PCI_EXP_DEVCAP, opts.flr ? PCI_EXP_DEVCAP_FLR : 0);
  cfg.setWmask(off + PCI_EXP_DEVCTL, 2, DEVCTL_RW);
  cfg.setW1cmask(off + PCI_EXP_DEVSTA, 2, PCI_EXP_DEVSTA_ERRORS);
  if (type !== PCI_EXP_TYPE_RC_END) {
    // RCiEPs have no link; every other component has one.
    cfg.set32(off + PCI_EXP_LNKCAP, LNKCAP_GEN1_X1);
    cfg.setWmask(off + PCI_EXP_LNKCTL, 2, LNKCTL_RW);
    cfg.set16(off + PCI_EXP_LNKSTA, LNKSTA_GEN1_X1);
  }
  if (slotImpl) {
    // Physical Slot Number lives in SLTCAP bits 31:19.
    cfg.set32(off + PCI_EXP_SLTCAP, ((opts.slot! & 0x1fff) << 19) >>> 0);
    cfg.setWmask(off + PCI_EXP_SLTCTL, 2, 0x1fff);
  }
  if (type === PCI_EXP_TYPE_ROOT_PORT) cfg.setWmask(off + PCI_EXP_RTCTL, 2, 0x001f);
  return off;
}

/** Device/Port type of the PCIe capability at `off`. */
export function pcieType(cfg: ConfigSpace, off: number): number {
  return (cfg.get16(off + PCI_EXP_FLAGS) >> PCI_EXP_FLAGS_TYPE_SHIFT) & 0xf;
}

// A PCI bus segment: 32 devices x 8 functions. The root bus belongs to the host bridge;
// every other bus is the secondary side of a bridge, and takes its number from that
// bridge's Secondary Bus Number register (so firmware renumbering moves it).
import type { PciBridge } from './bridge.ts';
import type { PciFunction } from './function.ts';
import type { PciHost } from './host.ts';
import { PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ROOT_PORT, pciDevfn, pciFunc, pciSlot } from './regs.ts';

export class PciBus {
  private readonly slots: (PciFunction | null)[] = new Array(256).fill(null);

  constructor(
    private readonly rootHost: PciHost | null,
    /** The bridge whose secondary side this bus is; null for the root bus. */
    readonly parent: PciBridge | null,
  ) {}

  /** The host this bus hangs from; null while its bridge is not plugged in yet. */
  get host(): PciHost | null {
    return this.parent === null ? this.rootHost : this.parent.host;
  }

  get isRoot(): boolean {
    return this.parent === null;
  }

  /** Current bus number. */
  get number(): number {
    return this.parent === null ? this.rootHost!.rootBusNumber : this.parent.secondaryBusNumber;
  }

  /** A bus behind a PCI Express link (root port or switch downstream port) has one device, device 0. */
  get isPcieLink(): boolean {
    const t = this.parent?.pcieType ?? -1;
    return t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_DOWNSTREAM;
  }

  /**
   * Plugs `fn` in at `devfn` (a number, or "dd.f" / "dd" text as QEMU's addr= property).
   * Returns the function for chaining.
   */
  addFunction<T extends PciFunction>(fn: T, devfn: number | string): T {
    const d = typeof devfn === 'string' ? parseDevfn(devfn) : devfn;
    if (!Number.isInteger(d) || d < 0 || d > 255) throw new RangeError(`addFunction(${fn.name}): devfn must be 0..255, got ${devfn}`);
    const host = this.host;
    if (host === null) throw new Error(`addFunction(${fn.name}): the bridge ${this.parent?.name} above this bus is not plugged into a host yet`);
    if (fn.bus !== null) throw new Error(`addFunction(${fn.name}): already on bus ${fn.busNumber} at devfn ${fn.devfn}`);
    const other = this.slots[d];
    if (other) throw new Error(`addFunction(${fn.name}): devfn ${pciSlot(d)}.${pciFunc(d)} is taken by ${other.name}`);
    if (this.isPcieLink && pciSlot(d) !== 0) {
      throw new RangeError(`addFunction(${fn.name}): below a PCIe root/downstream port only device 0 exists (got device ${pciSlot(d)}; ARI is not modelled)`);
    }
    fn.bus = this;
    fn.devfn = d;
    this.slots[d] = fn;
    this.updateMultiFunction(pciSlot(d));
    host.attach(fn);
    return fn;
  }

  /** Unplugs `fn` (surprise removal: its BARs disappear, its INTx is released). */
  removeFunction(fn: PciFunction): void {
    if (fn.bus !== this) throw new Error(`removeFunction(${fn.name}): not on this bus`);
    if (fn.isBridge && (fn as PciBridge).secondary.functions().length > 0) {
      throw new Error(`removeFunction(${fn.name}): remove the devices behind the bridge first`);
    }
    this.host?.detach(fn);
    this.slots[fn.devfn] = null;
    const slot = pciSlot(fn.devfn);
    fn.bus = null;
    fn.devfn = -1;
    this.updateMultiFunction(slot);
  }

  /** The function at `devfn`, or null. */
  at(devfn: number): PciFunction | null {
    return this.slots[devfn & 0xff] ?? null;
  }

  /** Functions in devfn order (the order Linux's bus walk finds them). */
  functions(): PciFunction[] {
    return this.slots.filter((f): f is PciFunction => f !== null);
  }

  /** Bridges directly on this bus. */
  bridges(): PciBridge[] {
    return this.functions().filter((f) => f.isBridge) as PciBridge[];
  }

  private updateMultiFunction(slot: number): void {
    const fns: PciFunction[] = [];
    for (let f = 0; f < 8; f++) {
      const x = this.slots[pciDevfn(slot, f)];
      if (x) fns.push(x);
    }
    const auto = fns.length > 1;
    for (const x of fns) x.setMultiFunctionBit(x.multiFunctionOption ?? auto);
  }
}

/** Parses "dd.f" or "dd" (hex, as QEMU's addr=04.0) into a devfn. */
export function parseDevfn(text: string): number {
  const m = /^([0-9a-fA-F]{1,2})(?:\.([0-7]))?$/.exec(text.trim());
  if (!m) throw new RangeError(`devfn "${text}" is not of the form dd.f (hex device 00..1f, function 0..7)`);
  const dev = parseInt(m[1]!, 16);
  if (dev > 0x1f) throw new RangeError(`devfn "${text}": device must be 00..1f`);
  return pciDevfn(dev, m[2] ? parseInt(m[2], 10) : 0);
}

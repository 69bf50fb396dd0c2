// One PCI function: its configuration space (type 0 header unless a bridge), BARs decoded
// into the host's memory / I/O spaces, the command register's effects (memory and I/O
// decode, bus mastering, INTx disable), INTx and MSI signalling, and its DMA port.
import { DmaPort } from '../../bridge/dma.ts';
import type { MappedRegion } from '../../bridge/address-space.ts';
import type { DmaRequester, SnapshotData, Snapshottable } from '../../bridge/types.ts';
import { base64ToBytes, bytesToBase64, expectSnapshot } from '../../bridge/snapshot.ts';
import { BAR_UNMAPPED, barAddress, barOffset, barTypeBits, checkBarSpec, type BarSpec } from './bar.ts';
import { ConfigSpace } from './config-space.ts';
import { MsiCapability, type MsiOptions } from './msi.ts';
import { addPcieCapability, pcieType, type PcieCapOptions } from './pcie-cap.ts';
import { addAcsCapability, type AcsOptions } from './acs.ts';
import type { PciBus } from './bus.ts';
import type { PciHost } from './host.ts';
import {
  PCI_BASE_ADDRESS_0, PCI_CACHE_LINE_SIZE, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY, PCI_COMMAND_SERR, PCI_CLASS_REVISION,
  PCI_DEVICE_ID, PCI_HEADER_TYPE, PCI_HEADER_TYPE_MFD, PCI_INTERRUPT_LINE, PCI_INTERRUPT_PIN,
  PCI_NUM_BARS_TYPE0, PCI_NUM_BARS_TYPE1, PCI_STATUS, PCI_STATUS_ERROR_BITS, PCI_STATUS_INTERRUPT,
  PCI_STD_HEADER_SIZEOF, PCI_SUBSYSTEM_ID, PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID, PCI_HEADER_TYPE_BRIDGE,
  PCI_PRIMARY_BUS, pciSlot,
} from './regs.ts';
import { formatBdf } from '../../bridge/dma.ts';

export interface PciFunctionOptions {
  readonly name: string;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision?: number;
  /** 24-bit class code: base class << 16 | sub-class << 8 | prog-if. */
  readonly classCode: number;
  /** Subsystem IDs (type 0 only). QEMU's defaults are 1af4:1100. */
  readonly subsystemVendorId?: number;
  readonly subsystemId?: number;
  /** 4 KiB PCI Express config space (default: true when `pcie` is given). */
  readonly express?: boolean;
  /** Header type bit 7. Default: set automatically when the slot holds more than one function. */
  readonly multiFunction?: boolean;
  /** INTx pin: 0 none, 1..4 = INTA#..INTD#. */
  readonly interruptPin?: number;
  readonly bars?: readonly BarSpec[];
  readonly msi?: MsiOptions;
  readonly pcie?: PcieCapOptions;
  readonly acs?: AcsOptions;
  /**
   * DMA alias quirk: other devfns on the same bus this function may use as requester ID
   * (Linux dev->dma_alias_mask, set by quirks such as the Marvell function-1 alias).
   */
  readonly dmaAliases?: readonly number[];
  /** The devfn this function actually puts on the wire (a quirk device using an alias); default its own. */
  readonly dmaSourceDevfn?: number;
  /**
   * QEMU makes every unclaimed byte from 0x40 up writable (pci_init_wmask); reference
   * devices built on QEMU (edu) expose that. Default false: unimplemented bytes read 0, writes ignored.
   */
  readonly qemuDeviceAreaWritable?: boolean;
}

export class PciFunction implements Snapshottable {
  readonly name: string;
  readonly cfg: ConfigSpace;
  readonly bars: readonly BarSpec[];
  readonly msi: MsiCapability | null;
  /** Offset of the PCI Express capability, 0 for conventional PCI. */
  readonly pcieCap: number;
  readonly acsCap: number;
  readonly dmaAliases: readonly number[];
  readonly dmaSourceDevfn: number | undefined;
  readonly isBridge: boolean;
  readonly multiFunctionOption: boolean | undefined;

  /** Set by PciBus.addFunction. */
  bus: PciBus | null = null;
  devfn = -1;
  /** Created when the function is attached to a host. */
  dma: DmaPort | null = null;

  private readonly resetImage: Uint8Array;
  private readonly barMaps: (MappedRegion | null)[];
  private intxLevel = false;
  /** INTx contribution currently counted by the host (level && !disabled). */
  private intxRouted = false;

  constructor(opts: PciFunctionOptions, headerType = 0) {
    if (typeof opts?.name !== 'string' || opts.name === '') throw new TypeError('PciFunction: options.name must be a non-empty string');
    checkU16(opts.name, 'vendorId', opts.vendorId);
    checkU16(opts.name, 'deviceId', opts.deviceId);
    if (!Number.isInteger(opts.classCode) || opts.classCode < 0 || opts.classCode > 0xffffff) {
      throw new RangeError(`${opts.name}: classCode must be a 24-bit number, got ${opts.classCode}`);
    }
    const pin = opts.interruptPin ?? 0;
    if (!Number.isInteger(pin) || pin < 0 || pin > 4) throw new RangeError(`${opts.name}: interruptPin must be 0..4, got ${pin}`);
    this.name = opts.name;
    this.isBridge = headerType === PCI_HEADER_TYPE_BRIDGE;
    this.multiFunctionOption = opts.multiFunction;
    const cfg = new ConfigSpace(opts.express ?? opts.pcie !== undefined);
    this.cfg = cfg;

    cfg.set16(PCI_VENDOR_ID, opts.vendorId);
    cfg.set16(PCI_DEVICE_ID, opts.deviceId);
    cfg.set32(PCI_CLASS_REVISION, ((opts.classCode << 8) | ((opts.revision ?? 0) & 0xff)) >>> 0);
    cfg.set8(PCI_HEADER_TYPE, headerType | (opts.multiFunction ? PCI_HEADER_TYPE_MFD : 0));
    cfg.set8(PCI_INTERRUPT_PIN, pin);
    if (!this.isBridge) {
      cfg.set16(PCI_SUBSYSTEM_VENDOR_ID, opts.subsystemVendorId ?? 0);
      cfg.set16(PCI_SUBSYSTEM_ID, opts.subsystemId ?? 0);
    }
    // Writable header fields common to every function (QEMU pci_init_wmask / w1cmask).
    cfg.setWmask(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_SERR);
    cfg.setW1cmask(PCI_STATUS, 2, PCI_STATUS_ERROR_BITS);
    cfg.setWmask(PCI_CACHE_LINE_SIZE, 1, 0xff);
    cfg.setWmask(PCI_INTERRUPT_LINE, 1, 0xff);

    const numBars = this.isBridge ? PCI_NUM_BARS_TYPE1 : PCI_NUM_BARS_TYPE0;
    const bars = [...(opts.bars ?? [])].sort((a, b) => a.index - b.index);
    const taken = new Set<number>();
    for (const b of bars) {
      checkBarSpec(this.name, b, numBars);
      const slots = b.kind === 'mem64' ? [b.index, b.index + 1] : [b.index];
      for (const s of slots) {
        if (taken.has(s)) throw new RangeError(`${this.name}: BAR ${b.index} overlaps another BAR in slot ${s}`);
        taken.add(s);
      }
      const off = barOffset(b.index);
      cfg.set32(off, barTypeBits(b));
      // Only the address bits above the size are writable: that is what makes sizing work.
      const lowMask = b.size >= 2 ** 32 ? 0 : (2 ** 32 - b.size);
      cfg.setWmask(off, 4, lowMask);
      if (b.kind === 'mem64') cfg.setWmask(off + 4, 4, b.size > 2 ** 32 ? 2 ** 32 - b.size / 2 ** 32 : 0xffffffff);
    }
    this.bars = bars;
    this.barMaps = bars.map(() => null);

    if (opts.qemuDeviceAreaWritable) cfg.makeUnclaimedWritable(PCI_STD_HEADER_SIZEOF);
    this.pcieCap = opts.pcie ? addPcieCapability(cfg, opts.pcie) : 0;
    this.msi = opts.msi ? new MsiCapability(cfg, opts.msi) : null;
    this.acsCap = opts.acs ? addAcsCapability(cfg, opts.acs) : 0;

    const aliases = opts.dmaAliases ?? [];
    for (const a of aliases) if (!Number.isInteger(a) || a < 0 || a > 255) throw new RangeError(`${this.name}: dmaAliases entries must be devfns 0..255, got ${a}`);
    this.dmaAliases = [...aliases];
    if (opts.dmaSourceDevfn !== undefined && !aliases.includes(opts.dmaSourceDevfn)) {
      throw new RangeError(`${this.name}: dmaSourceDevfn ${opts.dmaSourceDevfn} must be one of its dmaAliases`);
    }
    this.dmaSourceDevfn = opts.dmaSourceDevfn;
    this.resetImage = cfg.bytes.slice();
  }

  /** Subclasses that add registers after construction record the power-on image again. */
  protected captureResetImage(): void {
    this.resetImage.set(this.cfg.bytes);
  }

  // ---- identity -------------------------------------------------------------------------------

  get host(): PciHost | null {
    return this.bus?.host ?? null;
  }

  /** Bus number this function currently answers on (bus numbers come from bridge registers). */
  get busNumber(): number {
    return this.bus === null ? -1 : this.bus.number;
  }

  /** Its own 16-bit requester ID (bus << 8 | devfn). */
  get rid(): number {
    return ((this.busNumber & 0xff) << 8) | this.devfn;
  }

  get bdf(): string {
    return formatBdf(this.rid);
  }

  /** The PCIe Device/Port type, or -1 for conventional PCI. */
  get pcieType(): number {
    return this.pcieCap === 0 ? -1 : pcieType(this.cfg, this.pcieCap);
  }

  get isExpress(): boolean {
    return this.pcieCap !== 0;
  }

  get multiFunction(): boolean {
    return (this.cfg.get8(PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MFD) !== 0;
  }

  /** @internal Called by the bus when the slot's population changes. */
  setMultiFunctionBit(on: boolean): void {
    const h = this.cfg.get8(PCI_HEADER_TYPE);
    this.cfg.set8(PCI_HEADER_TYPE, on ? h | PCI_HEADER_TYPE_MFD : h & ~PCI_HEADER_TYPE_MFD);
    this.resetImage[PCI_HEADER_TYPE] = this.cfg.get8(PCI_HEADER_TYPE);
  }

  get command(): number {
    return this.cfg.get16(PCI_COMMAND);
  }

  get slot(): number {
    return pciSlot(this.devfn);
  }

  // ---- config accesses (from the host's routing; offset/len already bounded) -----------------

  configRead(off: number, len: number): number {
    return this.cfg.read(off, len);
  }

  configWrite(off: number, len: number, value: number): void {
    const oldCmd = this.command;
    this.cfg.write(off, len, value);
    const end = off + len;
    const touchesCommand = off < PCI_COMMAND + 2 && end > PCI_COMMAND;
    const numBars = this.isBridge ? PCI_NUM_BARS_TYPE1 : PCI_NUM_BARS_TYPE0;
    const touchesBars = off < PCI_BASE_ADDRESS_0 + 4 * numBars && end > PCI_BASE_ADDRESS_0;
    // Bus numbers, windows and bridge control (0x18..0x3f of a type 1 header) change routing.
    const touchesRouting = this.isBridge && off < PCI_STD_HEADER_SIZEOF && end > PCI_PRIMARY_BUS;
    if (touchesCommand) {
      const changed = oldCmd ^ this.command;
      if (changed & PCI_COMMAND_INTX_DISABLE) this.updateIntxRouting();
    }
    if (this.msi !== null && this.msi.overlaps(off, len)) {
      this.msi.clampEnabledVectors();
      // MSI and INTx are mutually exclusive (PCI 6.8.3.3): enabling MSI drops INTx (QEMU does the same).
      if (this.msi.enabled && this.intxLevel) this.setIntx(false);
      this.onMsiConfigWrite();
    }
    this.onConfigWrite(off, len, oldCmd);
    if (touchesCommand || touchesBars || touchesRouting) {
      if (this.isBridge) this.host?.refresh();
      else {
        this.updateMappings();
        if (touchesCommand) this.updateBusMaster();
      }
    }
  }

  /** Hook for subclasses: called after every config write (masks already applied). */
  protected onConfigWrite(_off: number, _len: number, _oldCommand: number): void {}

  /** Hook: MSI capability written (e.g. to deliver pending vectors on unmask). */
  protected onMsiConfigWrite(): void {
    if (this.msi === null || !this.msi.maskable || !this.msi.enabled) return;
    for (let v = 0; v < this.msi.enabledVectors; v++) {
      if (this.msi.isPending(v) && !this.msi.isMasked(v)) {
        this.msi.setPending(v, false);
        this.sendMsi(v);
      }
    }
  }

  // ---- BAR decoding ------------------------------------------------------------------------

  /** Current decoded address of BAR `index`, or -1 when it is not decoded. */
  barAddress(index: number): number {
    const i = this.bars.findIndex((b) => b.index === index);
    if (i < 0) throw new RangeError(`${this.name}: no BAR ${index}`);
    const m = this.barMaps[i];
    return m !== null && m !== undefined && m.enabled ? m.base : BAR_UNMAPPED;
  }

  /** @internal Re-evaluates every BAR mapping (own enables, address validity, upstream windows). */
  updateMappings(): void {
    const host = this.host;
    if (host === null) return;
    const cmd = this.command;
    for (let i = 0; i < this.bars.length; i++) {
      const b = this.bars[i]!;
      const off = barOffset(b.index);
      const space = b.kind === 'io' ? host.io : host.memory;
      let addr = space === null ? BAR_UNMAPPED : barAddress(b, cmd, this.cfg.get32(off), b.kind === 'mem64' ? this.cfg.get32(off + 4) : 0, space.size, host.allowZeroBarAddress);
      if (addr !== BAR_UNMAPPED && !this.upstreamForwards(b.kind === 'io', addr, b.size)) addr = BAR_UNMAPPED;
      const m = this.barMaps[i] ?? null;
      if (addr === BAR_UNMAPPED) {
        if (m !== null) m.setEnabled(false);
        continue;
      }
      if (m === null) {
        this.barMaps[i] = space!.mapMmio(addr, {
          name: b.name ?? `${this.name}.bar${b.index}`, size: b.size, handler: b.handler,
          ...(b.validSizes !== undefined ? { validSizes: b.validSizes } : {}),
          ...(b.unaligned !== undefined ? { unaligned: b.unaligned } : {}),
          ...(b.invalidRead !== undefined ? { invalidRead: b.invalidRead } : {}),
        }, host.barPriority);
      } else {
        if (m.base !== addr) m.move(addr);
        m.setEnabled(true);
      }
    }
  }

  /** True when every bridge above forwards [addr, addr+size) downstream. */
  private upstreamForwards(io: boolean, addr: number, size: number): boolean {
    for (let bus = this.bus; bus !== null && bus.parent !== null; bus = bus.parent.bus) {
      if (!bus.parent.forwards(io, addr, size)) return false;
    }
    return true;
  }

  /** @internal Removes BAR mappings (detach). */
  unmapAll(): void {
    for (let i = 0; i < this.barMaps.length; i++) {
      this.barMaps[i]?.unmap();
      this.barMaps[i] = null;
    }
  }

  // ---- bus mastering and DMA identity ------------------------------------------------------

  /** Bus Master Enable of this function and of every bridge above it (a bridge forwards upstream only with BME set). */
  get busMasterEffective(): boolean {
    if ((this.command & PCI_COMMAND_MASTER) === 0) return false;
    for (let bus = this.bus; bus !== null && bus.parent !== null; bus = bus.parent.bus) {
      if ((bus.parent.command & PCI_COMMAND_MASTER) === 0) return false;
    }
    return true;
  }

  /** @internal */
  updateBusMaster(): void {
    this.dma?.setEnabled(this.busMasterEffective);
  }

  /** @internal Recomputes the requester identity the IOMMU sees (bus numbers may have changed). */
  updateRequester(wireRid: number, segment: number): void {
    if (this.dma === null) return;
    const r: DmaRequester = { name: `${this.name}@${this.bdf}`, segment, requesterId: wireRid, streamId: wireRid };
    this.dma.requester = r;
  }

  /** The DMA port; throws if the function is not attached to a host yet (API misuse). */
  get dmaPort(): DmaPort {
    if (this.dma === null) throw new Error(`${this.name}: not attached to a PCI host; add it to a bus first`);
    return this.dma;
  }

  // ---- interrupts ----------------------------------------------------------------------------

  get interruptPin(): number {
    return this.cfg.get8(PCI_INTERRUPT_PIN);
  }

  /** Drives this function's INTx pin (level-triggered, like pci_set_irq). */
  setIntx(level: boolean): void {
    if (this.interruptPin === 0) throw new Error(`${this.name}: setIntx on a function without an interrupt pin`);
    if (this.intxLevel === level) return;
    this.intxLevel = level;
    const st = this.cfg.get16(PCI_STATUS);
    this.cfg.set16(PCI_STATUS, level ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT);
    this.updateIntxRouting();
  }

  get intxAsserted(): boolean {
    return this.intxLevel;
  }

  private updateIntxRouting(): void {
    const want = this.intxLevel && (this.command & PCI_COMMAND_INTX_DISABLE) === 0;
    if (want === this.intxRouted) return;
    this.intxRouted = want;
    this.host?.intxChange(this, want ? 1 : -1);
  }

  get msiEnabled(): boolean {
    return this.msi !== null && this.msi.enabled;
  }

  /**
   * Signals MSI `vector` (msi_notify): a masked vector becomes pending; otherwise the message
   * is a memory write issued by this function, so it needs bus mastering.
   */
  sendMsi(vector = 0): boolean {
    const msi = this.msi;
    if (msi === null || !msi.enabled) return false;
    if (!Number.isInteger(vector) || vector < 0 || vector >= msi.maxVectors) {
      throw new RangeError(`${this.name}: MSI vector ${vector} does not exist (0..${msi.maxVectors - 1})`);
    }
    if (msi.isMasked(vector)) {
      msi.setPending(vector, true);
      return false;
    }
    const host = this.host;
    if (host === null) return false;
    if (!this.busMasterEffective) {
      host.trace?.({ kind: 'msi-blocked', source: this.name, address: msi.address, data: msi.data(vector) });
      return false;
    }
    host.deliverMsi(this, msi.address, msi.data(vector));
    return true;
  }

  // ---- reset and snapshots --------------------------------------------------------------------

  /** Conventional reset: config space back to its power-on image, INTx deasserted. */
  reset(): void {
    if (this.intxLevel) this.setIntx(false);
    this.cfg.bytes.set(this.resetImage);
    this.onReset();
    this.updateMappings();
    this.updateBusMaster();
  }

  protected onReset(): void {}

  /** Type tag of snapshots; subclasses with more state override it. */
  protected get snapshotType(): string {
    return 'pci-function';
  }

  protected saveState(): Record<string, unknown> {
    return {};
  }

  protected loadState(_state: Record<string, unknown>): void {}

  snapshot(): SnapshotData {
    return {
      type: this.snapshotType,
      version: 1,
      state: { name: this.name, config: bytesToBase64(this.cfg.bytes), intx: this.intxLevel, device: this.saveState() },
    };
  }

  restore(data: SnapshotData): void {
    const s = expectSnapshot(data, this.snapshotType, 1) as { name: string; config: string; intx: boolean; device: Record<string, unknown> };
    if (s.name !== this.name) throw new Error(`restore(${this.snapshotType}): snapshot is of function "${s.name}", not "${this.name}"`);
    const bytes = base64ToBytes(s.config, this.cfg.size);
    if (this.intxLevel) this.setIntx(false);
    this.cfg.bytes.set(bytes);
    // The status bit follows the restored level, then the line is re-driven.
    const st = this.cfg.get16(PCI_STATUS) & ~PCI_STATUS_INTERRUPT;
    this.cfg.set16(PCI_STATUS, st);
    this.loadState(s.device ?? {});
    if (s.intx) this.setIntx(true);
    if (this.isBridge) this.host?.refresh();
    else {
      this.updateMappings();
      this.updateBusMaster();
    }
  }
}

function checkU16(name: string, field: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${name}: ${field} must be 0..0xffff, got ${v}`);
}


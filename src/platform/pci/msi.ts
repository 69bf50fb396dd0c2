// The MSI capability: layout (32/64-bit address, optional per-vector masking), which fields
// software may write, and message generation. Behaviour follows the PCI Local Bus spec 6.8.1
// with QEMU's choices where the spec leaves room (hw/pci/msi.c): a Multiple Message Enable
// larger than Multiple Message Capable is clamped down, and enabling MSI deasserts INTx.
import type { ConfigSpace } from './config-space.ts';
import {
  PCI_CAP_ID_MSI, PCI_MSI_ADDRESS_HI, PCI_MSI_ADDRESS_LO, PCI_MSI_ADDRESS_LO_MASK, PCI_MSI_DATA_32,
  PCI_MSI_DATA_64, PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, PCI_MSI_FLAGS_ENABLE, PCI_MSI_FLAGS_MASKBIT,
  PCI_MSI_FLAGS_QMASK, PCI_MSI_FLAGS_QSIZE, PCI_MSI_MASK_32, PCI_MSI_MASK_64, PCI_MSI_PENDING_32,
  PCI_MSI_PENDING_64, PCI_MSI_VECTORS_MAX,
} from './regs.ts';

export interface MsiOptions {
  /** Number of vectors the function can use (1, 2, 4, 8, 16 or 32). */
  readonly vectors?: number;
  /** 64-bit message address (default true). */
  readonly address64?: boolean;
  /** Per-vector masking (default false). */
  readonly perVectorMask?: boolean;
  /** Config offset (default: first free place above the header). */
  readonly offset?: number;
}

export class MsiCapability {
  readonly offset: number;
  readonly address64: boolean;
  readonly maskable: boolean;
  readonly maxVectors: number;
  private readonly dataOff: number;
  private readonly maskOff: number;
  private readonly pendingOff: number;

  constructor(private readonly cfg: ConfigSpace, opts: MsiOptions = {}) {
    const vectors = opts.vectors ?? 1;
    const log2 = Math.log2(vectors);
    if (!Number.isInteger(log2) || vectors < 1 || vectors > PCI_MSI_VECTORS_MAX) {
      throw new RangeError(`MSI: vectors must be 1, 2, 4, 8, 16 or 32, got ${vectors}`);
    }
    this.address64 = opts.address64 ?? true;
    this.maskable = opts.perVectorMask ?? false;
    this.maxVectors = vectors;
    this.dataOff = this.address64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
    this.maskOff = this.address64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
    this.pendingOff = this.address64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32;
    // Size: up to the data word, plus mask and pending dwords when masking is offered.
    const size = this.maskable ? this.pendingOff + 4 : this.dataOff + 2;
    const off = cfg.addCapability(PCI_CAP_ID_MSI, size, opts.offset ?? 0);
    this.offset = off;
    const flags = (log2 << 1) | (this.address64 ? PCI_MSI_FLAGS_64BIT : 0) | (this.maskable ? PCI_MSI_FLAGS_MASKBIT : 0);
    cfg.set16(off + PCI_MSI_FLAGS, flags);
    cfg.setWmask(off + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_QSIZE | PCI_MSI_FLAGS_ENABLE);
    cfg.setWmask(off + PCI_MSI_ADDRESS_LO, 4, PCI_MSI_ADDRESS_LO_MASK);
    if (this.address64) cfg.setWmask(off + PCI_MSI_ADDRESS_HI, 4, 0xffffffff);
    cfg.setWmask(off + this.dataOff, 2, 0xffff);
    if (this.maskable) cfg.setWmask(off + this.maskOff, 4, vectors === 32 ? 0xffffffff : (2 ** vectors - 1));
  }

  get flags(): number {
    return this.cfg.get16(this.offset + PCI_MSI_FLAGS);
  }

  get enabled(): boolean {
    return (this.flags & PCI_MSI_FLAGS_ENABLE) !== 0;
  }

  /** Number of vectors software enabled (Multiple Message Enable). */
  get enabledVectors(): number {
    return 1 << ((this.flags & PCI_MSI_FLAGS_QSIZE) >> 4);
  }

  get address(): number {
    const lo = this.cfg.get32(this.offset + PCI_MSI_ADDRESS_LO);
    return this.address64 ? this.cfg.get32(this.offset + PCI_MSI_ADDRESS_HI) * 2 ** 32 + lo : lo;
  }

  /** Message data for `vector`: the low log2(enabled vectors) bits carry the vector number. */
  data(vector: number): number {
    const d = this.cfg.get16(this.offset + this.dataOff);
    const n = this.enabledVectors;
    return n > 1 ? (d & ~(n - 1)) | (vector & (n - 1)) : d;
  }

  isMasked(vector: number): boolean {
    if (!this.maskable) return false;
    return ((this.cfg.get32(this.offset + this.maskOff) >>> vector) & 1) === 1;
  }

  setPending(vector: number, pending: boolean): void {
    if (!this.maskable) return;
    const p = this.cfg.get32(this.offset + this.pendingOff);
    const bit = 2 ** vector;
    this.cfg.set32(this.offset + this.pendingOff, pending ? (p | bit) >>> 0 : (p & ~bit) >>> 0);
  }

  isPending(vector: number): boolean {
    if (!this.maskable) return false;
    return ((this.cfg.get32(this.offset + this.pendingOff) >>> vector) & 1) === 1;
  }

  /** True if [off, off+len) touches this capability. */
  overlaps(off: number, len: number): boolean {
    const size = this.maskable ? this.pendingOff + 4 : this.dataOff + 2;
    return off < this.offset + size && off + len > this.offset;
  }

  /** Applies QEMU's clamp of an over-large Multiple Message Enable after a config write. */
  clampEnabledVectors(): void {
    const f = this.flags;
    const qsize = (f & PCI_MSI_FLAGS_QSIZE) >> 4;
    const qmask = (f & PCI_MSI_FLAGS_QMASK) >> 1;
    if (qsize > qmask) this.cfg.set16(this.offset + PCI_MSI_FLAGS, (f & ~PCI_MSI_FLAGS_QSIZE) | (qmask << 4));
  }
}

// The bytes of one function's configuration space plus, per byte, which bits software may
// write (wmask) and which bits a written 1 clears (w1cmask). RO bits are those in neither
// mask; the two masks never overlap. This is the per-byte model QEMU uses, and it makes
// RO/RW/RW1C exact for any access size or alignment.
import {
  PCI_CAPABILITY_LIST, PCI_CAP_LIST_NEXT, PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE,
  PCI_EXT_CAP_NEXT_SHIFT, PCI_EXT_CAP_START, PCI_EXT_CAP_VER_SHIFT, PCI_STATUS, PCI_STATUS_CAP_LIST,
  PCI_STD_HEADER_SIZEOF,
} from './regs.ts';

export class ConfigSpace {
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly wmask: Uint8Array;
  readonly w1cmask: Uint8Array;
  /** Bytes claimed by the header and by capabilities (to catch overlapping layouts). */
  private readonly used: Uint8Array;
  private lastCap = 0;
  private lastExtCap = 0;

  constructor(express: boolean) {
    this.size = express ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE;
    this.bytes = new Uint8Array(this.size);
    this.wmask = new Uint8Array(this.size);
    this.w1cmask = new Uint8Array(this.size);
    this.used = new Uint8Array(this.size);
    this.used.fill(1, 0, PCI_STD_HEADER_SIZEOF);
  }

  // ---- guest-visible accesses (bounds already checked by the caller) ------------------------

  /** Little-endian read of `len` (1..4) bytes. */
  read(off: number, len: number): number {
    const b = this.bytes;
    let v = 0;
    for (let i = len - 1; i >= 0; i--) v = v * 256 + b[off + i]!;
    return v;
  }

  /** Write through the masks: RW bits take the value, RW1C bits clear where a 1 is written. */
  write(off: number, len: number, value: number): void {
    const b = this.bytes;
    let v = value;
    for (let i = 0; i < len; i++) {
      const byte = v & 0xff;
      const a = off + i;
      const w = this.wmask[a]!;
      b[a] = ((b[a]! & ~w) | (byte & w)) & ~(byte & this.w1cmask[a]!);
      v = Math.floor(v / 256);
    }
  }

  // ---- raw accessors for the device model (ignore the masks) --------------------------------

  get8(off: number): number {
    return this.bytes[off]!;
  }
  get16(off: number): number {
    return this.bytes[off]! | (this.bytes[off + 1]! << 8);
  }
  get32(off: number): number {
    return (this.get16(off) | (this.get16(off + 2) << 16)) >>> 0;
  }
  set8(off: number, v: number): void {
    this.bytes[off] = v;
  }
  set16(off: number, v: number): void {
    this.bytes[off] = v;
    this.bytes[off + 1] = v >>> 8;
  }
  set32(off: number, v: number): void {
    this.set16(off, v & 0xffff);
    this.set16(off + 2, v >>> 16);
  }
  /** Sets the writable bits of `len` bytes at `off` (little-endian mask value). */
  setWmask(off: number, len: number, mask: number): void {
    setLe(this.wmask, off, len, mask);
    clearLe(this.w1cmask, off, len, mask);
  }
  /** Sets the write-1-to-clear bits of `len` bytes at `off`. */
  setW1cmask(off: number, len: number, mask: number): void {
    setLe(this.w1cmask, off, len, mask);
    clearLe(this.wmask, off, len, mask);
  }

  /**
   * Makes every byte from `from` to the end writable except those claimed by the header or a
   * capability: QEMU's default for the device-specific area (its pci_init_wmask), which some
   * reference devices (edu) expose. Capabilities added later take their bytes back.
   */
  makeUnclaimedWritable(from: number): void {
    for (let a = from; a < this.size; a++) if (this.used[a] === 0) this.wmask[a] = 0xff;
  }

  // ---- capability lists ---------------------------------------------------------------------

  /**
   * Adds a conventional capability of `size` bytes at `offset` (or the first free
   * dword-aligned place above the header when offset is 0), links it at the end of the list
   * and returns its offset. Its bytes start read-only; the caller opens the writable fields.
   */
  addCapability(id: number, size: number, offset = 0): number {
    const off = offset === 0 ? this.findFree(PCI_STD_HEADER_SIZEOF, PCI_CFG_SPACE_SIZE, size) : offset;
    if (off < PCI_STD_HEADER_SIZEOF || (off & 3) !== 0 || off + size > PCI_CFG_SPACE_SIZE || !this.isFree(off, size)) {
      throw new RangeError(`addCapability(0x${id.toString(16)}): no room for ${size} bytes at 0x${off.toString(16)} (must be dword aligned in 0x40..0xff and not overlap)`);
    }
    this.claim(off, size);
    this.bytes[off] = id;
    this.bytes[off + PCI_CAP_LIST_NEXT] = 0;
    if (this.lastCap === 0) this.bytes[PCI_CAPABILITY_LIST] = off;
    else this.bytes[this.lastCap + PCI_CAP_LIST_NEXT] = off;
    this.lastCap = off;
    this.set16(PCI_STATUS, this.get16(PCI_STATUS) | PCI_STATUS_CAP_LIST);
    return off;
  }

  /** Adds an extended capability (PCIe config space only), chained from 0x100. */
  addExtCapability(id: number, version: number, size: number, offset = 0): number {
    if (this.size !== PCI_CFG_SPACE_EXP_SIZE) {
      throw new Error(`addExtCapability(0x${id.toString(16)}): extended capabilities need a 4 KiB (PCI Express) config space`);
    }
    let off = offset;
    if (off === 0) off = this.lastExtCap === 0 ? PCI_EXT_CAP_START : this.findFree(PCI_EXT_CAP_START, PCI_CFG_SPACE_EXP_SIZE, size);
    if (off < PCI_EXT_CAP_START || (off & 3) !== 0 || off + size > PCI_CFG_SPACE_EXP_SIZE || !this.isFree(off, size)) {
      throw new RangeError(`addExtCapability(0x${id.toString(16)}): no room for ${size} bytes at 0x${off.toString(16)}`);
    }
    if (this.lastExtCap === 0 && off !== PCI_EXT_CAP_START) {
      throw new RangeError(`addExtCapability(0x${id.toString(16)}): the first extended capability must sit at 0x100`);
    }
    this.claim(off, size);
    this.set32(off, (id & 0xffff) | ((version & 0xf) << PCI_EXT_CAP_VER_SHIFT));
    if (this.lastExtCap !== 0) {
      const prev = this.get32(this.lastExtCap);
      this.set32(this.lastExtCap, ((prev & 0xfffff) | (off << PCI_EXT_CAP_NEXT_SHIFT)) >>> 0);
    }
    this.lastExtCap = off;
    return off;
  }

  /** Offset of the first conventional capability with `id`, or 0. */
  findCapability(id: number): number {
    if ((this.get16(PCI_STATUS) & PCI_STATUS_CAP_LIST) === 0) return 0;
    let off = this.bytes[PCI_CAPABILITY_LIST]! & ~3;
    for (let ttl = 48; off >= PCI_STD_HEADER_SIZEOF && ttl > 0; ttl--) {
      if (this.bytes[off] === id) return off;
      off = this.bytes[off + PCI_CAP_LIST_NEXT]! & ~3;
    }
    return 0;
  }

  /** Offset of the extended capability with `id`, or 0. */
  findExtCapability(id: number): number {
    if (this.size !== PCI_CFG_SPACE_EXP_SIZE) return 0;
    let off = PCI_EXT_CAP_START;
    for (let ttl = 960; off >= PCI_EXT_CAP_START && ttl > 0; ttl--) {
      const h = this.get32(off);
      if (h === 0) return 0;
      if ((h & 0xffff) === id) return off;
      off = (h >>> PCI_EXT_CAP_NEXT_SHIFT) & ~3;
    }
    return 0;
  }

  private isFree(off: number, size: number): boolean {
    for (let a = off; a < off + size; a++) if (this.used[a] !== 0) return false;
    return true;
  }

  private findFree(from: number, to: number, size: number): number {
    for (let off = from; off + size <= to; off += 4) if (this.isFree(off, size)) return off;
    return to;
  }

  private claim(off: number, size: number): void {
    this.used.fill(1, off, off + size);
    this.wmask.fill(0, off, off + size);
    this.w1cmask.fill(0, off, off + size);
  }
}

function setLe(arr: Uint8Array, off: number, len: number, v: number): void {
  let x = v;
  for (let i = 0; i < len; i++) {
    arr[off + i] = x & 0xff;
    x = Math.floor(x / 256);
  }
}

function clearLe(arr: Uint8Array, off: number, len: number, v: number): void {
  let x = v;
  for (let i = 0; i < len; i++) {
    arr[off + i] = arr[off + i]! & ~(x & 0xff);
    x = Math.floor(x / 256);
  }
}

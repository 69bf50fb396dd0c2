// A physical address space (system memory, or an I/O-port space) into which RAM blocks and
// MMIO regions are mapped. Mappings may overlap; the higher priority wins, and among equal
// priorities the later mapping wins. Lookups run on a "flat view" of disjoint segments,
// rebuilt only when a mapping changes, with a last-hit shortcut so that a device polled
// in a loop costs one range check per access.
import { MemTx, type MmioHandler, type MmioRegionSpec, type TraceHook } from './types.ts';
import type { GuestRam } from './guest-ram.ts';

const ALL_SIZES = 1 | 2 | 4 | 8;

export interface AddressSpaceOptions {
  readonly name: string;
  /** Size of the space in bytes (default 2^52, the largest physical address width modelled). */
  readonly size?: number;
  /**
   * What a read of an address nobody decodes returns. 'ones' (the default) is a PCI master
   * abort. QEMU's system memory answers 0 for holes (unassigned_mem_read) while its I/O
   * space answers all-ones, so the QEMU-compatible machines pick 'zero' for memory.
   */
  readonly unmappedRead?: 'ones' | 'zero';
  readonly trace?: TraceHook;
}

/** A handle on one mapping, for moving, disabling or removing it (PCI BARs need all three). */
export interface MappedRegion {
  readonly name: string;
  readonly size: number;
  readonly base: number;
  readonly enabled: boolean;
  move(base: number): void;
  setEnabled(enabled: boolean): void;
  unmap(): void;
}

class Mapping implements MappedRegion {
  constructor(
    readonly owner: AddressSpace,
    readonly name: string,
    public base: number,
    readonly size: number,
    readonly priority: number,
    readonly order: number,
    readonly mmio: MmioHandler | null,
    readonly validSizes: number,
    readonly unaligned: boolean,
    readonly invalidOnes: boolean,
    readonly ram: GuestRam | null,
    readonly ramOffset: number,
  ) {}
  enabled = true;
  live = true;

  move(base: number): void {
    this.owner.checkRange(this.name, base, this.size);
    this.base = base;
    this.owner.invalidate();
  }
  setEnabled(enabled: boolean): void {
    if (this.enabled !== enabled) {
      this.enabled = enabled;
      this.owner.invalidate();
    }
  }
  unmap(): void {
    this.owner.remove(this);
  }
}

/** One disjoint piece of the flat view: [start, end) answered by `m` at m-offset start - m.base. */
interface Segment {
  start: number;
  end: number;
  m: Mapping;
}

export class AddressSpace {
  readonly name: string;
  readonly size: number;
  private readonly onesOnUnmapped: boolean;
  private trace: TraceHook | undefined;
  private mappings: Mapping[] = [];
  private order = 0;
  private flat: Segment[] = [];
  private dirty = true;
  private last: Segment | null = null;
  private readonly scratch8 = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch8.buffer);

  constructor(opts: AddressSpaceOptions) {
    this.name = opts.name;
    this.size = opts.size ?? 2 ** 52;
    this.onesOnUnmapped = (opts.unmappedRead ?? 'ones') === 'ones';
    this.trace = opts.trace;
  }

  setTrace(hook: TraceHook | undefined): void {
    this.trace = hook;
  }

  /** Maps a device's registers at `base`. */
  mapMmio(base: number, spec: MmioRegionSpec, priority = 0): MappedRegion {
    if (!spec || typeof spec.handler?.read !== 'function' || typeof spec.handler?.write !== 'function') {
      throw new TypeError(`${this.name}.mapMmio: spec.handler must implement read(offset, size) and write(offset, size, value)`);
    }
    const valid = spec.validSizes ?? ALL_SIZES;
    if ((valid & ~ALL_SIZES) !== 0 || valid === 0) {
      throw new RangeError(`${this.name}.mapMmio("${spec.name}"): validSizes must be a non-empty mask of 1|2|4|8, got ${valid}`);
    }
    this.checkRange(spec.name, base, spec.size);
    const m = new Mapping(this, spec.name, base, spec.size, priority, this.order++, spec.handler, valid,
      spec.unaligned ?? false, spec.invalidRead === 'ones', null, 0);
    this.mappings.push(m);
    this.invalidate();
    return m;
  }

  /** Maps `size` bytes of `ram` (from `ramOffset`) at `base`. */
  mapRam(base: number, ram: GuestRam, ramOffset = 0, size = ram.size - ramOffset, priority = 0): MappedRegion {
    if (!Number.isInteger(ramOffset) || ramOffset < 0 || ramOffset + size > ram.size) {
      throw new RangeError(`${this.name}.mapRam("${ram.name}"): [${ramOffset}, +${size}) is outside the RAM block of ${ram.size} bytes`);
    }
    this.checkRange(ram.name, base, size);
    const m = new Mapping(this, ram.name, base, size, priority, this.order++, null, ALL_SIZES, true, false, ram, ramOffset);
    this.mappings.push(m);
    this.invalidate();
    return m;
  }

  /** The mappings, for introspection (machine dumps, tests). */
  regions(): readonly MappedRegion[] {
    return this.mappings;
  }

  /** @internal */
  checkRange(name: string, base: number, size: number): void {
    if (!Number.isInteger(base) || base < 0 || !Number.isInteger(size) || size <= 0 || base + size > this.size) {
      throw new RangeError(`${this.name}: mapping "${name}" at ${hex(base)} size ${hex(size)} does not fit in [0, ${hex(this.size)})`);
    }
  }

  /** @internal */
  invalidate(): void {
    this.dirty = true;
    this.last = null;
  }

  /** @internal */
  remove(m: Mapping): void {
    const i = this.mappings.indexOf(m);
    if (i >= 0) {
      this.mappings.splice(i, 1);
      m.live = false;
      this.invalidate();
    }
  }

  // ---- lookup ---------------------------------------------------------------------------

  private rebuild(): void {
    // Sweep the boundaries; at each elementary interval the winner is the enabled mapping
    // with the highest (priority, order). Small N (tens of regions), so O(N^2) is fine.
    const live = this.mappings.filter((m) => m.enabled);
    const points = new Set<number>();
    for (const m of live) {
      points.add(m.base);
      points.add(m.base + m.size);
    }
    const sorted = [...points].sort((a, b) => a - b);
    const flat: Segment[] = [];
    for (let i = 0; i + 1 < sorted.length; i++) {
      const start = sorted[i]!;
      const end = sorted[i + 1]!;
      let best: Mapping | null = null;
      for (const m of live) {
        if (m.base <= start && m.base + m.size >= end) {
          if (best === null || m.priority > best.priority || (m.priority === best.priority && m.order > best.order)) best = m;
        }
      }
      if (best === null) continue;
      const prev = flat[flat.length - 1];
      if (prev && prev.m === best && prev.end === start) prev.end = end;
      else flat.push({ start, end, m: best });
    }
    this.flat = flat;
    this.dirty = false;
  }

  private find(addr: number): Segment | null {
    const l = this.last;
    if (l !== null && addr >= l.start && addr < l.end) return l;
    if (this.dirty) this.rebuild();
    const flat = this.flat;
    let lo = 0;
    let hi = flat.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = flat[mid]!;
      if (addr < s.start) hi = mid - 1;
      else if (addr >= s.end) lo = mid + 1;
      else {
        this.last = s;
        return s;
      }
    }
    return null;
  }

  // ---- scalar accesses --------------------------------------------------------------------

  /** Reads 1, 2 or 4 bytes (little-endian) at `addr`. */
  read(addr: number, size: 1 | 2 | 4): number {
    const s = this.find(addr);
    if (s !== null && (addr + size <= s.end || fitsMmio(s.m, addr, size))) {
      const m = s.m;
      if (m.mmio !== null) {
        const off = addr - m.base;
        if ((m.validSizes & size) === 0 || (!m.unaligned && (off & (size - 1)) !== 0)) return this.invalid(m, 'read', addr, size);
        return m.mmio.read(off, size);
      }
      return this.ramRead(m, addr - m.base + m.ramOffset, size);
    }
    return this.readSplit(addr, size);
  }

  /** Writes 1, 2 or 4 bytes (little-endian); `value` is truncated to the access size. */
  write(addr: number, size: 1 | 2 | 4, value: number): void {
    const s = this.find(addr);
    if (s !== null && (addr + size <= s.end || fitsMmio(s.m, addr, size))) {
      const m = s.m;
      const v = size === 4 ? value >>> 0 : value & (size === 1 ? 0xff : 0xffff);
      if (m.mmio !== null) {
        const off = addr - m.base;
        if ((m.validSizes & size) === 0 || (!m.unaligned && (off & (size - 1)) !== 0)) {
          this.invalid(m, 'write', addr, size, v);
          return;
        }
        m.mmio.write(off, size, v);
        return;
      }
      this.ramWrite(m, addr - m.base + m.ramOffset, size, v);
      return;
    }
    this.writeSplit(addr, size, value);
  }

  /** Reads 8 bytes as an exact 64-bit value. */
  read64(addr: number): bigint {
    const s = this.find(addr);
    if (s !== null && (addr + 8 <= s.end || fitsMmio(s.m, addr, 8))) {
      const m = s.m;
      if (m.mmio !== null) {
        const off = addr - m.base;
        if ((m.validSizes & 8) === 0 || (!m.unaligned && (off & 7) !== 0)) {
          this.invalid(m, 'read', addr, 8);
          return m.invalidOnes ? 0xffffffffffffffffn : 0n;
        }
        if (m.mmio.read64) return BigInt.asUintN(64, m.mmio.read64(off));
        const lo = m.mmio.read(off, 4) >>> 0;
        const hi = m.mmio.read(off + 4, 4) >>> 0;
        return (BigInt(hi) << 32n) | BigInt(lo);
      }
    }
    const lo = this.read(addr, 4) >>> 0;
    const hi = this.read(addr + 4, 4) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Writes an exact 64-bit value (taken modulo 2^64). */
  write64(addr: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    const s = this.find(addr);
    if (s !== null && (addr + 8 <= s.end || fitsMmio(s.m, addr, 8))) {
      const m = s.m;
      if (m.mmio !== null) {
        const off = addr - m.base;
        if ((m.validSizes & 8) === 0 || (!m.unaligned && (off & 7) !== 0)) {
          this.invalid(m, 'write', addr, 8, v);
          return;
        }
        if (m.mmio.write64) {
          m.mmio.write64(off, v);
          return;
        }
        m.mmio.write(off, 4, Number(v & 0xffffffffn));
        m.mmio.write(off + 4, 4, Number(v >> 32n));
        return;
      }
    }
    this.write(addr, 4, Number(v & 0xffffffffn));
    this.write(addr + 4, 4, Number(v >> 32n));
  }

  // ---- bulk accesses (DMA, qtest read/write) ---------------------------------------------

  /** Reads `dst.length` bytes. Holes read as the unmapped value; the result says whether all of it decoded. */
  readBytes(addr: number, dst: Uint8Array): MemTx {
    return this.bulk(addr, dst, false);
  }

  /** Writes `src`; bytes aimed at holes are dropped. */
  writeBytes(addr: number, src: Uint8Array): MemTx {
    return this.bulk(addr, src, true);
  }

  /**
   * Walks [addr, addr + buf.length) segment by segment: RAM is copied in one go, MMIO is
   * accessed in the largest sizes the region takes (as QEMU's address_space_rw), holes are
   * traced (and read as the unmapped value).
   */
  private bulk(addr: number, buf: Uint8Array, isWrite: boolean): MemTx {
    let result = MemTx.OK;
    let done = 0;
    const len = buf.length;
    while (done < len) {
      const a = addr + done;
      const s = this.find(a);
      if (s === null) {
        const n = Math.min(len - done, this.nextStart(a) - a);
        if (!isWrite) buf.fill(this.onesOnUnmapped ? 0xff : 0, done, done + n);
        this.traceUnmapped(isWrite ? 'write' : 'read', a, n);
        result = MemTx.DECODE_ERROR;
        done += n;
        continue;
      }
      const n = Math.min(len - done, s.end - a);
      const m = s.m;
      if (m.ram !== null) {
        const part = buf.subarray(done, done + n);
        if (isWrite) m.ram.write(a - m.base + m.ramOffset, part);
        else m.ram.read(a - m.base + m.ramOffset, part);
      } else {
        for (let i = 0; i < n; ) {
          const step = this.mmioChunk(m, a + i - m.base, n - i);
          const at = done + i;
          if (isWrite) {
            let v = 0;
            for (let k = step - 1; k >= 0; k--) v = v * 256 + buf[at + k]!;
            this.write(a + i, step, v);
          } else {
            const v = this.read(a + i, step);
            for (let k = 0; k < step; k++) buf[at + k] = (v >>> (8 * k)) & 0xff;
          }
          i += step;
        }
      }
      done += n;
    }
    return result;
  }

  /** Fills `len` bytes with `byte` (qtest memset). */
  fill(addr: number, len: number, byte: number): MemTx {
    const chunk = new Uint8Array(Math.min(len, 65536)).fill(byte & 0xff);
    let result = MemTx.OK;
    for (let done = 0; done < len; done += chunk.length) {
      const n = Math.min(chunk.length, len - done);
      const r = this.writeBytes(addr + done, n === chunk.length ? chunk : chunk.subarray(0, n));
      if (r !== MemTx.OK) result = r;
    }
    return result;
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** Largest access size the region takes at this offset, like QEMU's memory_access_size. */
  private mmioChunk(m: Mapping, off: number, remaining: number): 1 | 2 | 4 {
    for (const sz of [4, 2, 1] as const) {
      if (sz <= remaining && (m.validSizes & sz) !== 0 && (m.unaligned || (off & (sz - 1)) === 0)) return sz;
    }
    return 1;
  }

  private nextStart(addr: number): number {
    if (this.dirty) this.rebuild();
    for (const s of this.flat) if (s.start > addr) return s.start;
    return Infinity;
  }

  private ramRead(m: Mapping, off: number, size: number): number {
    const ram = m.ram!;
    if (ram.direct) {
      const b = ram.view();
      if (size === 1) return b[off]!;
      if (size === 2) return b[off]! | (b[off + 1]! << 8);
      return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
    }
    const tmp = this.scratch8.subarray(0, size);
    ram.read(off, tmp);
    return size === 1 ? tmp[0]! : size === 2 ? this.scratchView.getUint16(0, true) : this.scratchView.getUint32(0, true);
  }

  private ramWrite(m: Mapping, off: number, size: number, v: number): void {
    const ram = m.ram!;
    if (ram.direct) {
      const b = ram.view();
      b[off] = v;
      if (size > 1) b[off + 1] = v >>> 8;
      if (size > 2) {
        b[off + 2] = v >>> 16;
        b[off + 3] = v >>> 24;
      }
      return;
    }
    this.scratchView.setUint32(0, v >>> 0, true);
    ram.write(off, this.scratch8.subarray(0, size));
  }

  /** An access that straddles segments or hits a hole: done byte by byte. */
  private readSplit(addr: number, size: number): number {
    const s = this.find(addr);
    if (s === null && this.find(addr + size - 1) === null && this.nextStart(addr) >= addr + size) {
      this.traceUnmapped('read', addr, size);
      return this.onesOnUnmapped ? (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1) : 0;
    }
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.read(addr + i, 1);
    return v;
  }

  private writeSplit(addr: number, size: number, value: number): void {
    const s = this.find(addr);
    if (s === null && this.find(addr + size - 1) === null && this.nextStart(addr) >= addr + size) {
      this.traceUnmapped('write', addr, size, value);
      return;
    }
    for (let i = 0; i < size; i++) this.write(addr + i, 1, Math.floor(value / 2 ** (8 * i)) & 0xff);
  }

  private invalid(m: Mapping, op: 'read' | 'write', addr: number, size: number, value?: number | bigint): number {
    this.trace?.({ kind: 'mmio-invalid-access', source: this.name, region: m.name, op, addr, size, value });
    if (op === 'write' || !m.invalidOnes) return 0;
    return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
  }

  private traceUnmapped(op: 'read' | 'write', addr: number, size: number, value?: number): void {
    this.trace?.({ kind: 'unmapped-access', source: this.name, op, addr, size, value });
  }
}

/**
 * QEMU delivers an MMIO access whole to the region it starts in, even when a higher-priority
 * region covers its later bytes (only RAM sections are clipped): e.g. a 4-byte write to
 * q35's 0xCF8 reaches CONFIG_ADDRESS although ICH9's RST_CNT overlays 0xCF9.
 */
function fitsMmio(m: Mapping, addr: number, size: number): boolean {
  return m.mmio !== null && addr + size <= m.base + m.size;
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

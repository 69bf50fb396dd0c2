// A typed register file built from a generated block description: the guest-visible MMIO
// window of a device with real offsets, resets and per-field access semantics, plus the
// hardware-side API and hooks a device model needs to implement its behaviour on top.
//
// Storage and semantics are per 32-bit slot (a 64-bit register is two slots, low half at
// its offset, high half at offset + 4), with masks precomputed in typed arrays so that a
// 32-bit guest access to a plain register costs a few array loads:
//   read  = (value & readable) | ones
//   write = ((value & ~writable) | (data & writable)) & ~(data & w1c)
// Sub-word accesses use byte enables: a 1- or 2-byte write changes only the bits of the
// bytes written (an RW1C bit in another byte is not cleared); a sub-word read returns the
// bytes of the 32-bit read (read hooks run). Offsets with no register read 0 and ignore
// writes (RAZ/WI) and are reported to the trace hook.
//
// 8- and 16-bit registers (PCI configuration space) share the slot of their 32-bit word: the
// slot's masks and reset are the union of theirs, so guest accesses need no extra work; only
// hooks and the hardware-side handles look at the register's byte lane.
import type { MmioHandler, TraceHook } from '../bridge/types.ts';
import { extract, fieldText, join64, plainValue, regHex } from './format.ts';
import { FieldRef, RegRef } from './refs.ts';
import { didYouMean } from './suggest.ts';
import type { Access, BlockDesc, RegisterDesc, RegWidth } from './types.ts';

/**
 * Called after a guest write has landed. For a 32-bit register: (newValue, oldValue) and
 * `halves` = 1. For a 64-bit register newValue/oldValue are bits 31:0, newHi/oldHi bits
 * 63:32, and `halves` says which halves the access wrote: 1 low, 2 high, 3 both (one
 * 64-bit access fires the hook once). It fires on every write, also when nothing changed
 * (doorbells).
 */
export type WriteHook = (newValue: number, oldValue: number, halves: number, newHi: number, oldHi: number) => void;

/**
 * Computes what the guest reads, instead of the stored value (returned as is, no masking).
 * `half` is 0 for bits 31:0 and 1 for bits 63:32 of a 64-bit register.
 */
export type ReadHook = (half: number) => number;

export interface RegisterFileOptions {
  /** Name in traces and error messages (default: the block id). */
  readonly name?: string;
  /**
   * Reset values replacing the regmap's, by register name ("CAP") or array element
   * ("FRCD_HI[0]"; the base name sets every element). 64-bit values as bigint (a number
   * is accepted when exact).
   */
  readonly resets?: Readonly<Record<string, number | bigint>>;
  /** Registers marked `implemented: false` in the regmap to model anyway, or 'all'. */
  readonly include?: readonly string[] | 'all';
  /** Element counts replacing the regmap's, by array register name (e.g. more FRCDs). */
  readonly counts?: Readonly<Record<string, number>>;
  /** Window size replacing the regmap's (needed when counts grow past it). */
  readonly size?: number;
  /**
   * Layout variant to model, for blocks that declare several (PCI header TYPE0 / TYPE1):
   * registers of other variants are absent. Default: the first variant declared.
   */
  readonly variant?: string;
  readonly trace?: TraceHook;
}

/** A live register, for introspection. */
export interface RegisterInfo {
  readonly name: string;
  readonly offset: number;
  readonly width: RegWidth;
  readonly desc: RegisterDesc;
}

export interface DumpedRegister {
  readonly name: string;
  readonly offset: number;
  readonly width: RegWidth;
  /** Fixed-width hex ("0x0000000d"). */
  readonly value: string;
  /** Every field's value (a hex string when wider than 53 bits). */
  readonly fields: Readonly<Record<string, number | string>>;
  /** Enum names of the fields whose value is a named one. */
  readonly enums: Readonly<Record<string, string>>;
}

export interface DumpOptions {
  /** 'guest' (default): what a guest read returns, read hooks included; 'stored': the raw bits. */
  readonly view?: 'guest' | 'stored';
  /** Also list registers whose value is zero (default true). */
  readonly zeros?: boolean;
  /** Only these registers, in map order (unknown names are an error). */
  readonly only?: readonly string[];
}

const HOOK_READ = 1;
const HOOK_WRITE = 2;

function fieldBits(msb: number, lsb: number, base: number): number {
  // The bits of [msb:lsb] that fall in [base+31:base], as a 32-bit mask.
  const lo = Math.max(lsb, base);
  const hi = Math.min(msb, base + 31);
  if (lo > hi) return 0;
  const width = hi - lo + 1;
  return ((width === 32 ? 0xffffffff : 2 ** width - 1) * 2 ** (lo - base)) >>> 0;
}

export class RegisterFile implements MmioHandler {
  readonly block: BlockDesc;
  readonly name: string;
  /** Size of the window in bytes. */
  readonly size: number;
  /** The layout variant modelled (undefined for blocks with a single layout). */
  readonly variant: string | undefined;

  // Per 32-bit slot of the window: index into the slot arrays below (0 = no register).
  private readonly slotOf: Uint16Array;
  // Per slot (index 0 unused):
  private readonly val: Uint32Array;
  private readonly rmask: Uint32Array;
  private readonly ones: Uint32Array;
  private readonly wmask: Uint32Array;
  private readonly w1c: Uint32Array;
  private readonly resetVal: Uint32Array;
  private readonly keep: Uint32Array;
  private readonly hooked: Uint8Array;
  private readonly slotReg: Uint16Array;
  private readonly slotHalf: Uint8Array;
  private readonly readHooks: (ReadHook | undefined)[];
  // Per slot shared by 8/16-bit registers: their indices (undefined for other slots).
  private readonly subRegs: (number[] | undefined)[];
  // Per register instance:
  private readonly regs: RegRef[] = [];
  private readonly writeHooks: (WriteHook | undefined)[] = [];
  /** Read hooks of 8/16-bit registers (other registers keep theirs in readHooks, per slot). */
  private readonly subReadHooks: (ReadHook | undefined)[] = [];
  private readonly byName = new Map<string, RegRef>();
  private readonly fieldCache = new Map<string, FieldRef>();
  private trace: TraceHook | undefined;

  constructor(block: BlockDesc, opts: RegisterFileOptions = {}) {
    this.block = block;
    this.name = opts.name ?? block.block;
    this.trace = opts.trace;
    const size = opts.size ?? block.size;
    if (!Number.isInteger(size) || size <= 0 || size % 4 !== 0 || size > 0x100000) {
      throw new RangeError(`${this.name}: window size ${size} must be a positive multiple of 4 up to 1 MiB`);
    }
    this.size = size;
    this.variant = this.selectVariant(opts.variant);

    const live = this.selectRegisters(opts);
    let slots = 1;
    // An upper bound: 8/16-bit registers sharing a word use one slot between them.
    for (const { desc, count } of live) slots += count * Math.max(1, desc.width / 32);
    if (slots > 0xffff) throw new RangeError(`${this.name}: too many register slots (${slots})`);
    this.slotOf = new Uint16Array(size >>> 2);
    this.val = new Uint32Array(slots);
    this.rmask = new Uint32Array(slots);
    this.ones = new Uint32Array(slots);
    this.wmask = new Uint32Array(slots);
    this.w1c = new Uint32Array(slots);
    this.resetVal = new Uint32Array(slots);
    this.keep = new Uint32Array(slots);
    this.hooked = new Uint8Array(slots);
    this.slotReg = new Uint16Array(slots);
    this.slotHalf = new Uint8Array(slots);
    this.readHooks = new Array<ReadHook | undefined>(slots).fill(undefined);
    this.subRegs = new Array<number[] | undefined>(slots).fill(undefined);

    let next = 1;
    const owner = new Map<number, string>(); // byte offset -> register name
    for (const { desc, count } of live) {
      const bytes = desc.width / 8;
      if (bytes < 4 && desc.aliases.length > 0) throw new RangeError(`${this.name}: register ${desc.name}: ${desc.width}-bit registers cannot have aliases`);
      for (let i = 0; i < count; i++) {
        const name = desc.count > 1 || desc.stride !== 0 || count > 1 ? `${desc.name}[${i}]` : desc.name;
        const offset = desc.offset + i * desc.stride;
        const places = i === 0 ? [offset, ...desc.aliases] : [offset];
        for (const at of places) {
          if (at + bytes > size) {
            throw new RangeError(`${this.name}: register ${name} at ${regHex(at, 0, 32)} does not fit in the ${size}-byte window (pass a larger size)`);
          }
          if (at % Math.min(bytes, 4) !== 0) throw new RangeError(`${this.name}: register ${name} at ${regHex(at, 0, 32)} is not aligned to its width`);
          for (let b = at; b < at + bytes; b++) {
            const prev = owner.get(b);
            if (prev !== undefined) throw new RangeError(`${this.name}: register ${name} overlaps ${prev} at offset 0x${b.toString(16)}`);
            owner.set(b, name);
          }
        }
        const index = this.regs.length;
        let ref: RegRef;
        if (bytes < 4) {
          // Join the slot of the word if another byte/word register already holds it.
          const word = offset >>> 2;
          const lo = this.slotOf[word] !== 0 ? this.slotOf[word]! : next++;
          this.slotOf[word] = lo;
          (this.subRegs[lo] ??= []).push(index);
          ref = new RegRef(this.val, name, offset, desc, lo, 0, (offset & 3) * 8);
        } else {
          const lo = next++;
          const hi = desc.width === 64 ? next++ : 0;
          ref = new RegRef(this.val, name, offset, desc, lo, hi);
          for (const at of places) {
            this.slotOf[at >>> 2] = lo;
            if (hi !== 0) this.slotOf[(at >>> 2) + 1] = hi;
          }
        }
        this.regs.push(ref);
        this.writeHooks.push(undefined);
        this.subReadHooks.push(undefined);
        this.byName.set(name, ref);
        this.initSlots(ref, index);
      }
    }
    this.applyResets(opts.resets ?? {});
    this.reset({ powerOn: true });
  }

  // ---- construction helpers --------------------------------------------------------------

  private selectVariant(wanted: string | undefined): string | undefined {
    const variants = (this.block.variants ?? []).map((v) => v.name);
    if (wanted === undefined) return variants[0];
    if (variants.includes(wanted)) return wanted;
    if (variants.length === 0) throw new Error(`${this.name}: options.variant "${wanted}": ${this.block.block} has a single layout (no variants)`);
    throw new Error(`${this.name}: options.variant names no variant "${wanted}" (variants: ${variants.join(', ')}).${didYouMean(wanted, variants)}`);
  }

  private selectRegisters(opts: RegisterFileOptions): { desc: RegisterDesc; count: number }[] {
    const names = new Set(this.block.registers.map((r) => r.name));
    const include = opts.include ?? [];
    if (include !== 'all') {
      for (const n of include) {
        if (!names.has(n)) throw new Error(`${this.name}: options.include names no register "${n}".${didYouMean(n, names)}`);
      }
    }
    const counts = opts.counts ?? {};
    for (const [n, c] of Object.entries(counts)) {
      const r = this.block.registers.find((x) => x.name === n);
      if (r === undefined) throw new Error(`${this.name}: options.counts names no register "${n}".${didYouMean(n, names)}`);
      if (r.stride === 0) throw new Error(`${this.name}: options.counts: register ${n} is not an array register`);
      if (!Number.isInteger(c) || c < 1 || c > 4096) throw new RangeError(`${this.name}: options.counts.${n} must be an integer from 1 to 4096, got ${c}`);
    }
    return this.block.registers
      .filter((r) => r.variant === undefined || r.variant === this.variant)
      .filter((r) => r.implemented || include === 'all' || include.includes(r.name))
      .map((r) => ({ desc: r, count: counts[r.name] ?? r.count }));
  }

  private initSlots(ref: RegRef, index: number): void {
    const d = ref.desc;
    const halves = d.width === 64 ? [ref.lo, ref.hi] : [ref.lo];
    // Masks are built for the register's own bits, then moved to its byte lane and merged
    // into the slot (a slot shared by 8/16-bit registers collects all of theirs).
    const lane = (m: number) => (m << ref.shift) & ref.laneMask;
    halves.forEach((slot, h) => {
      const base = 32 * h;
      let readable = 0;
      let writable = 0;
      let w1c = 0;
      let ones = 0;
      let keep = d.preserveOnReset ? 0xffffffff : 0;
      const apply = (access: Access, m: number) => {
        if (access === 'RO' || access === 'RW' || access === 'RW1C') readable |= m;
        if (access === 'RW' || access === 'WO') writable |= m;
        if (access === 'RW1C') w1c |= m;
        if (access === 'RES1') ones |= m;
      };
      if (d.fields.length === 0) apply(d.access, 0xffffffff);
      for (const f of d.fields) {
        const m = fieldBits(f.msb, f.lsb, base);
        apply(f.access, m);
        if (f.preserveOnReset) keep |= m;
      }
      this.rmask[slot] = this.rmask[slot]! | lane(readable);
      this.wmask[slot] = this.wmask[slot]! | lane(writable);
      this.w1c[slot] = this.w1c[slot]! | lane(w1c);
      this.ones[slot] = this.ones[slot]! | lane(ones);
      this.keep[slot] = this.keep[slot]! | lane(keep);
      this.resetVal[slot] = this.resetVal[slot]! | lane(h === 0 ? d.resetLo : d.resetHi);
      this.slotReg[slot] = index;
      this.slotHalf[slot] = h;
    });
  }

  private applyResets(resets: Readonly<Record<string, number | bigint>>): void {
    for (const [key, raw] of Object.entries(resets)) {
      const targets = this.byName.has(key) ? [this.byName.get(key)!] : this.regs.filter((r) => r.desc.name === key);
      if (targets.length === 0) {
        const known = this.block.registers.find((r) => r.name === key);
        if (known?.variant !== undefined && known.variant !== this.variant) throw new Error(`${this.name}: options.resets.${key}: ${this.unknownRegister(key)}`);
        if (known !== undefined) throw new Error(`${this.name}: options.resets.${key}: register is not modelled in this instance (add it to options.include)`);
        throw new Error(`${this.name}: options.resets names no register "${key}".${didYouMean(key, this.byName.keys())}`);
      }
      const width = targets[0]!.desc.width;
      let v: bigint;
      if (typeof raw === 'bigint') v = raw;
      else if (typeof raw === 'number' && Number.isSafeInteger(raw)) v = BigInt(raw);
      else throw new TypeError(`${this.name}: options.resets.${key} must be an integer (bigint for 64-bit values), got ${String(raw)}`);
      if (v < 0n || v >> BigInt(width) !== 0n) {
        throw new RangeError(`${this.name}: options.resets.${key} = 0x${v.toString(16)} does not fit the ${width}-bit register`);
      }
      for (const t of targets) {
        this.resetVal[t.lo] = (this.resetVal[t.lo]! & ~t.laneMask) | ((Number(v & 0xffffffffn) << t.shift) & t.laneMask);
        if (t.hi !== 0) this.resetVal[t.hi] = Number(v >> 32n);
      }
    }
  }

  // ---- guest side (MmioHandler) ----------------------------------------------------------

  read(offset: number, size: 1 | 2 | 4): number {
    if (size === 4 && (offset & 3) === 0 && offset >>> 0 < this.size) {
      const s = this.slotOf[offset >>> 2]!;
      if (s !== 0) {
        if ((this.hooked[s]! & HOOK_READ) === 0) return ((this.val[s]! & this.rmask[s]!) | this.ones[s]!) >>> 0;
        return this.readHooks[s]!(this.slotHalf[s]!) >>> 0;
      }
    }
    return this.readSlow(offset, size);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size === 4 && (offset & 3) === 0 && offset >>> 0 < this.size) {
      const s = this.slotOf[offset >>> 2]!;
      if (s !== 0) {
        this.store(s, value, -1, true);
        return;
      }
    }
    this.writeSlow(offset, size, value);
  }

  read64(offset: number): bigint {
    this.checkAccess(offset, 8);
    const lo = this.read(offset, 4);
    const hi = this.read(offset + 4, 4);
    return join64(lo, hi);
  }

  write64(offset: number, value: bigint): void {
    this.checkAccess(offset, 8);
    if (typeof value !== 'bigint') throw new TypeError(`${this.name}.write64(0x${offset.toString(16)}): value must be a bigint`);
    const v = BigInt.asUintN(64, value);
    const lo = Number(v & 0xffffffffn);
    const hi = Number(v >> 32n);
    const s = (offset & 7) === 0 ? this.slotOf[offset >>> 2]! : 0;
    if (s !== 0 && this.subRegs[s] === undefined && this.slotHalf[s] === 0 && this.regs[this.slotReg[s]!]!.hi !== 0) {
      // One 64-bit register written whole: store both halves, then fire its hook once.
      const ref = this.regs[this.slotReg[s]!]!;
      const oldLo = this.val[ref.lo]!;
      const oldHi = this.val[ref.hi]!;
      this.store(ref.lo, lo, -1, false);
      this.store(ref.hi, hi, -1, false);
      const hook = this.writeHooks[this.slotReg[s]!];
      if (hook !== undefined) hook(this.val[ref.lo]!, oldLo, 3, this.val[ref.hi]!, oldHi);
      return;
    }
    this.write(offset, 4, lo);
    this.write(offset + 4, 4, hi);
  }

  /** Applies a guest write of `data` under byte-enable mask `be` to one slot. */
  private store(s: number, data: number, be: number, fire: boolean): void {
    const old = this.val[s]!;
    const wm = this.wmask[s]! & be;
    this.val[s] = ((old & ~wm) | (data & wm)) & ~(data & be & this.w1c[s]!);
    if (fire && (this.hooked[s]! & HOOK_WRITE) !== 0) this.fireWrite(s, old, be);
  }

  private fireWrite(s: number, old: number, be: number): void {
    const shared = this.subRegs[s];
    if (shared !== undefined) {
      // Byte/word registers: the hooks of those whose bytes the access wrote, with their own values.
      for (const i of shared) {
        const ref = this.regs[i]!;
        const hook = this.writeHooks[i];
        if (hook === undefined || (be & ref.laneMask) === 0) continue;
        hook(ref.getLo(), (old & ref.laneMask) >>> ref.shift, 1, 0, 0);
      }
      return;
    }
    const index = this.slotReg[s]!;
    const ref = this.regs[index]!;
    const hook = this.writeHooks[index]!;
    if (this.slotHalf[s] === 0) {
      const hi = ref.hi === 0 ? 0 : this.val[ref.hi]!;
      hook(this.val[s]!, old, 1, hi, hi);
    } else {
      const lo = this.val[ref.lo]!;
      hook(lo, lo, 2, this.val[s]!, old);
    }
  }

  private checkAccess(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.size) {
      throw new RangeError(`${this.name}: access of ${size} bytes at offset ${offset} is outside the ${this.size}-byte window`);
    }
  }

  private readSlow(offset: number, size: number): number {
    if (size !== 1 && size !== 2 && size !== 4) throw new TypeError(`${this.name}.read: size must be 1, 2 or 4 (use read64 for 8), got ${size}`);
    this.checkAccess(offset, size);
    const shift = (offset & 3) * 8;
    if (shift + size * 8 > 32) {
      // Straddles two slots: assemble it byte by byte.
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + this.readSlow(offset + i, 1);
      return v;
    }
    const s = this.slotOf[offset >>> 2]!;
    if (s === 0) {
      this.trace?.({ kind: 'mmio-unassigned', source: this.name, op: 'read', offset, size });
      return 0;
    }
    const word = (this.hooked[s]! & HOOK_READ) !== 0 ? this.readHooks[s]!(this.slotHalf[s]!) : (this.val[s]! & this.rmask[s]!) | this.ones[s]!;
    return size === 4 ? word >>> 0 : (word >>> shift) & (size === 1 ? 0xff : 0xffff);
  }

  private writeSlow(offset: number, size: number, value: number): void {
    if (size !== 1 && size !== 2 && size !== 4) throw new TypeError(`${this.name}.write: size must be 1, 2 or 4 (use write64 for 8), got ${size}`);
    this.checkAccess(offset, size);
    const shift = (offset & 3) * 8;
    if (shift + size * 8 > 32) {
      for (let i = 0; i < size; i++) this.writeSlow(offset + i, 1, Math.floor(value / 2 ** (8 * i)) & 0xff);
      return;
    }
    const s = this.slotOf[offset >>> 2]!;
    if (s === 0) {
      this.trace?.({ kind: 'mmio-unassigned', source: this.name, op: 'write', offset, size, value });
      return;
    }
    const be = size === 4 ? -1 : ((size === 1 ? 0xff : 0xffff) << shift) | 0;
    this.store(s, size === 4 ? value : (value << shift) | 0, be, true);
  }

  // ---- hooks -----------------------------------------------------------------------------

  /** Installs (or with null removes) the write hook of a register. */
  onWrite(name: string, hook: WriteHook | null): void {
    const ref = this.ref(name);
    const index = this.regs.indexOf(ref);
    this.writeHooks[index] = hook ?? undefined;
    const shared = this.subRegs[ref.lo];
    const on = shared !== undefined ? shared.some((i) => this.writeHooks[i] !== undefined) : hook !== null;
    for (const s of ref.hi === 0 ? [ref.lo] : [ref.lo, ref.hi]) {
      this.hooked[s] = on ? this.hooked[s]! | HOOK_WRITE : this.hooked[s]! & ~HOOK_WRITE;
    }
  }

  /**
   * Installs (or with null removes) a hook computing what the guest reads from a register.
   * For an 8/16-bit register the hook returns the register's value (its bits only); the
   * other registers of the word read as usual.
   */
  onRead(name: string, hook: ReadHook | null): void {
    const ref = this.ref(name);
    const shared = this.subRegs[ref.lo];
    if (shared !== undefined) {
      this.subReadHooks[this.regs.indexOf(ref)] = hook ?? undefined;
      const any = shared.some((i) => this.subReadHooks[i] !== undefined);
      this.readHooks[ref.lo] = any ? () => this.readShared(ref.lo, shared) : undefined;
      this.hooked[ref.lo] = any ? this.hooked[ref.lo]! | HOOK_READ : this.hooked[ref.lo]! & ~HOOK_READ;
      return;
    }
    for (const s of ref.hi === 0 ? [ref.lo] : [ref.lo, ref.hi]) {
      this.readHooks[s] = hook ?? undefined;
      this.hooked[s] = hook !== null ? this.hooked[s]! | HOOK_READ : this.hooked[s]! & ~HOOK_READ;
    }
  }

  /** Guest read of a word shared by byte/word registers, some of which have read hooks. */
  private readShared(s: number, shared: readonly number[]): number {
    let v = (this.val[s]! & this.rmask[s]!) | this.ones[s]!;
    for (const i of shared) {
      const hook = this.subReadHooks[i];
      if (hook === undefined) continue;
      const ref = this.regs[i]!;
      v = (v & ~ref.laneMask) | ((hook(0) << ref.shift) & ref.laneMask);
    }
    return v >>> 0;
  }

  setTrace(hook: TraceHook | undefined): void {
    this.trace = hook;
  }

  // ---- hardware side ---------------------------------------------------------------------

  /** The handle on a register ("CR0", "FRCD_HI[0]"); throws naming close names if unknown. */
  ref(name: string): RegRef {
    const r = this.byName.get(name);
    if (r !== undefined) return r;
    throw new Error(this.unknownRegister(name));
  }

  /** The handle on a field, for hot paths (resolve once, then get()/set() without lookups). */
  field(reg: string, field: string): FieldRef {
    const key = `${reg}.${field}`;
    const cached = this.fieldCache.get(key);
    if (cached !== undefined) return cached;
    const ref = this.ref(reg);
    const f = ref.desc.fields.find((x) => x.name === field);
    if (f === undefined) {
      throw new Error(`${this.name}: register ${ref.name} has no field "${field}".${didYouMean(field, ref.desc.fields.map((x) => x.name))}`);
    }
    const fr = new FieldRef(this.val, ref, f);
    this.fieldCache.set(key, fr);
    return fr;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Value of a 32-bit register, bypassing access semantics and hooks. */
  get(name: string): number {
    return this.ref(name).get();
  }

  set(name: string, value: number): void {
    this.ref(name).set(value);
  }

  get64(name: string): bigint {
    return this.ref(name).get64();
  }

  set64(name: string, value: bigint): void {
    this.ref(name).set64(value);
  }

  getLo(name: string): number {
    return this.ref(name).getLo();
  }

  getHi(name: string): number {
    return this.ref(name).getHi();
  }

  setLo(name: string, value: number): void {
    this.ref(name).setLo(value);
  }

  setHi(name: string, value: number): void {
    this.ref(name).setHi(value);
  }

  getField(reg: string, field: string): number {
    return this.field(reg, field).get();
  }

  setField(reg: string, field: string, value: number): void {
    this.field(reg, field).set(value);
  }

  /**
   * Device reset: every register returns to its reset value, except registers and fields
   * marked preserveOnReset (QEMU leaves e.g. SMMU CR1/CR2 and queue bases alone).
   * `powerOn: true` resets those too. Hooks are not called.
   */
  reset(opts: { powerOn?: boolean } = {}): void {
    const all = opts.powerOn === true;
    for (let s = 1; s < this.val.length; s++) {
      const keep = all ? 0 : this.keep[s]!;
      this.val[s] = (this.val[s]! & keep) | (this.resetVal[s]! & ~keep);
    }
  }

  /** Live registers in offset order. */
  registers(): RegisterInfo[] {
    return [...this.regs]
      .sort((a, b) => a.offset - b.offset)
      .map((r) => ({ name: r.name, offset: r.offset, width: r.desc.width, desc: r.desc }));
  }

  // ---- dumps and state -------------------------------------------------------------------

  private viewOf(ref: RegRef, view: 'guest' | 'stored'): [number, number] {
    if (view === 'stored') return [ref.getLo(), ref.getHi()];
    const guest = (s: number) =>
      (this.hooked[s]! & HOOK_READ) !== 0 ? this.readHooks[s]!(this.slotHalf[s]!) >>> 0 : ((this.val[s]! & this.rmask[s]!) | this.ones[s]!) >>> 0;
    return [(guest(ref.lo) & ref.laneMask) >>> ref.shift, ref.hi === 0 ? 0 : guest(ref.hi)];
  }

  /** Structured dump (for tests and JSON output). */
  dumpObject(opts: DumpOptions = {}): { block: string; name: string; registers: DumpedRegister[] } {
    const view = opts.view ?? 'guest';
    const registers: DumpedRegister[] = [];
    const only = opts.only === undefined ? null : new Set(opts.only);
    if (only !== null) {
      for (const n of only) if (!this.byName.has(n)) throw new Error(`${this.name}.dump: no register named "${n}"`);
    }
    for (const info of this.registers()) {
      if (only !== null && !only.has(info.name)) continue;
      const ref = this.byName.get(info.name)!;
      const [lo, hi] = this.viewOf(ref, view);
      if (opts.zeros === false && lo === 0 && hi === 0) continue;
      const v = join64(lo, hi);
      const fields: Record<string, number | string> = {};
      const enums: Record<string, string> = {};
      for (const f of info.desc.fields) {
        const fv = extract(v, f.msb, f.lsb);
        fields[f.name] = plainValue(fv);
        const e = f.enum.find((x) => BigInt(x.value) === fv);
        if (e !== undefined) enums[f.name] = e.name;
      }
      registers.push({ name: info.name, offset: info.offset, width: info.width, value: regHex(lo, hi, info.width), fields, enums });
    }
    return { block: this.block.block, name: this.name, registers };
  }

  /**
   * Readable dump, one register per line: offset, name, value, then the non-zero fields
   * (enum names where known), e.g. `0x020 CR0  0x0000000d  SMMUEN=1 EVENTQEN=1 CMDQEN=1`.
   */
  dump(opts: DumpOptions = {}): string {
    const regs = this.dumpObject(opts).registers;
    const offDigits = Math.max(3, ...regs.map((r) => r.offset.toString(16).length));
    const nameWidth = Math.max(0, ...regs.map((r) => r.name.length));
    const valueWidth = Math.max(10, ...regs.map((r) => r.value.length));
    const lines = regs.map((r) => {
      const desc = this.byName.get(r.name)!.desc;
      const v = BigInt(r.value);
      const decoded = [...desc.fields]
        .sort((a, b) => a.lsb - b.lsb)
        .map((f) => ({ f, fv: extract(v, f.msb, f.lsb) }))
        .filter(({ fv }) => fv !== 0n)
        .map(({ f, fv }) => `${f.name}=${fieldText(f.enum, fv)}`);
      const head = `0x${r.offset.toString(16).padStart(offDigits, '0')} ${r.name.padEnd(nameWidth)} ${r.value.padEnd(valueWidth)}`;
      return decoded.length > 0 ? `${head}  ${decoded.join(' ')}` : head.trimEnd();
    });
    return lines.join('\n') + '\n';
  }

  /** The stored value of every live register, as hex strings (for device snapshots). */
  state(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.regs) out[r.name] = regHex(r.getLo(), r.getHi(), r.desc.width);
    return out;
  }

  /** Restores values saved by state(); throws naming the first entry that does not belong here. */
  loadState(state: Readonly<Record<string, string>>): void {
    const parsed: [RegRef, bigint][] = [];
    for (const [name, text] of Object.entries(state)) {
      const ref = this.byName.get(name);
      if (ref === undefined) throw new Error(`${this.name}.loadState: ${this.unknownRegister(name)}`);
      if (typeof text !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(text)) {
        throw new TypeError(`${this.name}.loadState: register ${name}: expected a hex string "0x...", got ${JSON.stringify(text)}`);
      }
      const v = BigInt(text);
      if (v >> BigInt(ref.desc.width) !== 0n) throw new RangeError(`${this.name}.loadState: register ${name}: ${text} does not fit in ${ref.desc.width} bits`);
      parsed.push([ref, v]);
    }
    for (const [ref, v] of parsed) ref.set64(v);
  }

  private unknownRegister(name: string): string {
    const d = this.block.registers.find((r) => r.name === name || name.startsWith(`${r.name}[`));
    if (d?.variant !== undefined && d.variant !== this.variant) {
      return `register ${name} of ${this.block.block} belongs to variant ${d.variant}; this instance models ${this.variant} (options.variant)`;
    }
    if (d !== undefined && !d.implemented && !this.byName.has(name) && this.regs.every((r) => r.desc !== d)) {
      return `register ${name} of ${this.block.block} is not modelled in this instance (implemented: false in the regmap; pass options.include to model it)`;
    }
    if (d !== undefined && d.stride !== 0 && name === d.name) {
      const count = this.regs.filter((r) => r.desc === d).length;
      return `register ${name} is an array of ${count}: name an element, e.g. ${name}[0]`;
    }
    return `no register "${name}" in ${this.name}.${didYouMean(name, this.byName.keys())}`;
  }
}

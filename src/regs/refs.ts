// Hardware-side handles on one register or one field of a RegisterFile. They read and write
// the stored bits directly (no access semantics, no hooks): this is how a device model
// updates status bits, latches pointers and reads its configuration. A device resolves its
// handles once at construction; each get/set is then a typed-array access, no name lookup.
import type { FieldDesc, RegisterDesc, RegWidth } from './types.ts';

const TWO32 = 4294967296;

/**
 * One register instance (an array element counts as one register: "FRCD_HI[0]"). An 8- or
 * 16-bit register shares its 32-bit slot with its neighbours and occupies the bits from
 * `shift` (its byte position in the word times 8).
 */
export class RegRef {
  /** All bits of the register within its slot (0xffffffff for 32/64-bit registers). */
  readonly laneMask: number;
  private readonly max: number;

  /**
   * @param vals  the register file's value slots
   * @param lo    slot of bits 31:0 (or of the word holding an 8/16-bit register)
   * @param hi    slot of bits 63:32, 0 for a register of 32 bits or less
   * @param shift bit position of an 8/16-bit register within its slot, else 0
   */
  constructor(
    private readonly vals: Uint32Array,
    readonly name: string,
    readonly offset: number,
    readonly desc: RegisterDesc,
    /** @internal */ readonly lo: number,
    /** @internal */ readonly hi: number,
    /** @internal */ readonly shift = 0,
  ) {
    this.max = desc.width >= 32 ? 0xffffffff : 2 ** desc.width - 1;
    this.laneMask = (this.max * 2 ** shift) >>> 0;
  }

  get width(): RegWidth {
    return this.desc.width;
  }

  /** Value of a register of 32 bits or less. */
  get(): number {
    if (this.hi !== 0) throw new TypeError(`register ${this.name} is 64-bit: use get64(), getLo() or getHi()`);
    return this.getLo();
  }

  /** Sets a register of 32 bits or less; int32 bit patterns (results of `|`, `&`) are accepted for 32-bit ones. */
  set(value: number): void {
    if (this.hi !== 0) throw new TypeError(`register ${this.name} is 64-bit: use set64(), setLo() or setHi()`);
    this.setLo(value);
  }

  /** Bits 31:0 (the whole value of a register of 32 bits or less). */
  getLo(): number {
    const v = this.vals[this.lo]!;
    return this.max === 0xffffffff ? v : (v >>> this.shift) & this.max;
  }

  /** Bits 63:32 (0 for a register of 32 bits or less). */
  getHi(): number {
    return this.hi === 0 ? 0 : this.vals[this.hi]!;
  }

  setLo(value: number): void {
    if (this.max === 0xffffffff) {
      checkU32(this.name, value);
      this.vals[this.lo] = value;
      return;
    }
    if (!(value >= 0 && value <= this.max) || value % 1 !== 0) {
      throw new RangeError(`register ${this.name}: ${value} does not fit in ${this.desc.width} bits`);
    }
    this.vals[this.lo] = (this.vals[this.lo]! & ~this.laneMask) | (value << this.shift);
  }

  setHi(value: number): void {
    if (this.hi === 0) throw new TypeError(`register ${this.name} is ${this.desc.width}-bit: it has no high half`);
    checkU32(this.name, value);
    this.vals[this.hi] = value;
  }

  get64(): bigint {
    return (BigInt(this.getHi()) << 32n) | BigInt(this.getLo());
  }

  set64(value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value >> BigInt(this.desc.width) !== 0n) {
      throw new RangeError(`register ${this.name}: ${String(value)} is not a ${this.desc.width}-bit unsigned bigint`);
    }
    this.setLo(Number(value & 0xffffffffn));
    if (this.hi !== 0) this.vals[this.hi] = Number(value >> 32n);
  }
}

/** One field of one register instance; at most 53 bits wide (exact as a number). */
export class FieldRef {
  readonly width: number;
  /** Largest value the field holds. */
  readonly max: number;
  private readonly slot: number;
  private readonly shift: number;
  private readonly mask: number;
  /** For a field straddling bit 32: slot of the high part and how many bits lie below 32. */
  private readonly slotHi: number;
  private readonly lowBits: number;

  constructor(
    private readonly vals: Uint32Array,
    readonly register: RegRef,
    readonly desc: FieldDesc,
  ) {
    const { msb, lsb } = desc;
    this.width = msb - lsb + 1;
    if (this.width > 53) {
      throw new RangeError(`field ${register.name}.${desc.name} is ${this.width} bits wide, too wide for a number: use the register's get64()`);
    }
    this.max = 2 ** this.width - 1;
    if (lsb >= 32) {
      this.slot = register.hi;
      this.shift = lsb - 32;
      this.slotHi = 0;
      this.lowBits = 0;
    } else {
      this.slot = register.lo;
      this.shift = lsb + register.shift;
      this.slotHi = msb >= 32 ? register.hi : 0;
      this.lowBits = msb >= 32 ? 32 - lsb : 0;
    }
    this.mask = this.slotHi !== 0 ? 0 : this.width >= 32 ? 0xffffffff : 2 ** this.width - 1;
  }

  get name(): string {
    return this.desc.name;
  }

  get(): number {
    if (this.slotHi === 0) return ((this.vals[this.slot]! >>> this.shift) & this.mask) >>> 0;
    const hiBits = this.width - this.lowBits;
    const hiPart = hiBits >= 32 ? this.vals[this.slotHi]! : this.vals[this.slotHi]! & (2 ** hiBits - 1);
    return (this.vals[this.slot]! >>> this.shift) + hiPart * 2 ** this.lowBits;
  }

  set(value: number): void {
    // A 32-bit-wide field may be given as an int32 bit pattern (the result of `|` or `<<`).
    if (this.width === 32 && value < 0 && value >= -0x80000000) value >>>= 0;
    if (!(value >= 0 && value <= this.max) || value % 1 !== 0) {
      throw new RangeError(`field ${this.register.name}.${this.desc.name}: ${value} does not fit in ${this.width} bits`);
    }
    if (this.slotHi === 0) {
      const m = (this.mask << this.shift) >>> 0;
      this.vals[this.slot] = (this.vals[this.slot]! & ~m) | ((value << this.shift) & m);
      return;
    }
    const lowMask = (0xffffffff << this.shift) >>> 0;
    const low = value % 2 ** this.lowBits;
    this.vals[this.slot] = (this.vals[this.slot]! & ~lowMask) | ((low << this.shift) & lowMask);
    const hiBits = this.width - this.lowBits;
    const hiMask = hiBits >= 32 ? 0xffffffff : 2 ** hiBits - 1;
    const high = Math.floor(value / 2 ** this.lowBits);
    this.vals[this.slotHi] = (this.vals[this.slotHi]! & ~hiMask) | (high & hiMask);
  }
}

/** Accepts 0..2^32-1 and int32 bit patterns (-2^31..-1); a Uint32Array store normalises both. */
function checkU32(name: string, value: number): void {
  if (!(value >= -0x80000000 && value < TWO32) || value % 1 !== 0) {
    throw new RangeError(`register ${name}: ${value} is not a 32-bit value`);
  }
}

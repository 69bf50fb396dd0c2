// Named-field access to an in-memory structure (STE, CD, context entry, descriptor, ...)
// held in bytes, using the generated layout. Structures are little-endian. Cold path:
// configuration decode, tests and dumps; the walker in assembly/ uses the constants.
import { extract, fieldText, plainValue } from './format.ts';
import { didYouMean } from './suggest.ts';
import type { BlockDesc, StructDesc, StructFieldDesc } from './types.ts';

/** Finds a structure of a block by name; throws naming close names if unknown. */
export function structOf(block: BlockDesc, name: string): StructDesc {
  const s = block.structures.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no structure "${name}" in ${block.block}.${didYouMean(name, block.structures.map((x) => x.name))}`);
  return s;
}

export class StructView {
  private bytes: Uint8Array;
  private base: number;
  private readonly byName = new Map<string, StructFieldDesc>();

  /** Views `desc.size` bytes of `bytes` from `offset`. */
  constructor(readonly desc: StructDesc, bytes: Uint8Array, offset = 0) {
    for (const f of desc.fields) this.byName.set(f.name, f);
    this.bytes = bytes;
    this.base = offset;
    this.rebind(bytes, offset);
  }

  /** A zero-filled structure of its own. */
  static alloc(desc: StructDesc): StructView {
    return new StructView(desc, new Uint8Array(desc.size));
  }

  /** Points the view at other bytes (reuse one view over a table). */
  rebind(bytes: Uint8Array, offset = 0): this {
    if (!Number.isInteger(offset) || offset < 0 || offset + this.desc.size > bytes.length) {
      throw new RangeError(`${this.desc.name}: ${this.desc.size} bytes at offset ${offset} do not fit in a buffer of ${bytes.length} bytes`);
    }
    this.bytes = bytes;
    this.base = offset;
    return this;
  }

  /** The bytes of the structure (a view, not a copy). */
  raw(): Uint8Array {
    return this.bytes.subarray(this.base, this.base + this.desc.size);
  }

  private fieldDesc(name: string): StructFieldDesc {
    const f = this.byName.get(name);
    if (f === undefined) throw new Error(`${this.desc.name} has no field "${name}".${didYouMean(name, this.byName.keys())}`);
    return f;
  }

  /** Word `index` of the structure (wordSize bits, little-endian). */
  word(index: number): bigint {
    const n = this.desc.wordSize / 8;
    if (!Number.isInteger(index) || index < 0 || (index + 1) * n > this.desc.size) {
      throw new RangeError(`${this.desc.name}: word ${index} is outside the ${this.desc.size}-byte structure`);
    }
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.bytes[this.base + index * n + i]!);
    return v;
  }

  setWord(index: number, value: bigint): void {
    const n = this.desc.wordSize / 8;
    this.word(index); // range check
    let v = BigInt.asUintN(this.desc.wordSize, value);
    for (let i = 0; i < n; i++) {
      this.bytes[this.base + index * n + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  /** A field's value: a number when the field is at most 32 bits wide, a bigint otherwise. */
  get(name: string): number | bigint {
    const f = this.fieldDesc(name);
    const v = extract(this.word(f.word), f.msb, f.lsb);
    return f.width <= 32 ? Number(v) : v;
  }

  /** A field's value as a number (fields up to 53 bits). */
  getNumber(name: string): number {
    const f = this.fieldDesc(name);
    if (f.width > 53) throw new RangeError(`${this.desc.name}.${name} is ${f.width} bits wide: use getBigInt()`);
    return Number(extract(this.word(f.word), f.msb, f.lsb));
  }

  getBigInt(name: string): bigint {
    const f = this.fieldDesc(name);
    return extract(this.word(f.word), f.msb, f.lsb);
  }

  /** Sets a field; the value must fit its width. Other bits are kept. */
  set(name: string, value: number | bigint): this {
    const f = this.fieldDesc(name);
    const v = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
    if (v < 0n || v >> BigInt(f.width) !== 0n) {
      throw new RangeError(`${this.desc.name}.${name}: ${String(value)} does not fit in ${f.width} bits`);
    }
    const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb);
    this.setWord(f.word, (this.word(f.word) & ~mask) | (v << BigInt(f.lsb)));
    return this;
  }

  /** Every field's value (numbers when exact, else hex strings). */
  decode(): Record<string, number | string> {
    const out: Record<string, number | string> = {};
    for (const f of this.desc.fields) out[f.name] = plainValue(extract(this.word(f.word), f.msb, f.lsb));
    return out;
  }

  /** "STE V=1 CONFIG=S1_TRANS S1CONTEXTPTR=0x1234": the non-zero fields. */
  toString(): string {
    const parts = this.desc.fields
      .map((f) => ({ f, v: extract(this.word(f.word), f.msb, f.lsb) }))
      .filter(({ v }) => v !== 0n)
      .map(({ f, v }) => `${f.name}=${fieldText(f.enum, v)}`);
    return parts.length > 0 ? `${this.desc.name} ${parts.join(' ')}` : `${this.desc.name} (all zero)`;
  }
}

// The generated constants of a block, named in one place so that the code generator and the
// validator's collision check agree. Naming scheme (P = the block's prefix, documented in
// regmaps/README.md):
//   P_<REG>                    offset of the register (element 0 of an array)
//   P_<REG>_RESET              reset value
//   P_<REG>_COUNT / _STRIDE    arrays only
//   P_<REG>_<FIELD>_SHIFT / _WIDTH / _MASK (mask in place)
//   P_<REG>_<FIELD>_<ENUM>     named field values (unshifted)
//   P_<STRUCT>_SIZE            structure size in bytes
//   P_<STRUCT>_<FIELD>_WORD / _SHIFT / _WIDTH / _MASK, P_<STRUCT>_<FIELD>_<ENUM>
//   P_<TABLE>_<NAME>           constants tables
// Masks and resets of 64-bit registers/words are 64-bit values (bigint in TypeScript, u64 in
// AssemblyScript); everything else is a plain number (u32 in AssemblyScript unless it needs more).
import type { BlockDesc, EnumValue } from './types.ts';

export interface GenSymbol {
  readonly id: string;
  readonly value: bigint;
  /** True for 64-bit masks and resets: emitted as bigint (TS) / u64 (AS). */
  readonly wide: boolean;
  /** What produced it, for collision messages ("register CR0 field SMMUEN"). */
  readonly origin: string;
  /** One-line comment for the generated file, when useful. */
  readonly doc?: string;
  /** How to print it: hex with at least `pad` digits, or decimal when pad is 0. */
  readonly pad: number;
}

function fieldMask(msb: number, lsb: number): bigint {
  return ((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb);
}

function firstSentence(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  const i = t.search(/\.(\s|$)/);
  const s = i >= 0 ? t.slice(0, i + 1) : t;
  return s.length > 140 ? s.slice(0, 137) + '...' : s;
}

/** Every constant the generator emits for `desc`, in a stable order. */
export function blockSymbols(desc: BlockDesc): GenSymbol[] {
  const P = desc.prefix;
  const out: GenSymbol[] = [];
  // pad: 0 = decimal (shifts, widths, counts, sizes), else hex with that many digits at least.
  const add = (id: string, value: bigint | number, origin: string, pad: number, wide = false, doc?: string) =>
    out.push({ id, value: BigInt(value), wide, origin, pad, ...(doc !== undefined ? { doc } : {}) });
  const enums = (base: string, values: readonly EnumValue[], origin: string) => {
    for (const e of values) add(`${base}_${e.name}`, e.value, `${origin} value ${e.name}`, 1);
  };

  for (const r of desc.registers) {
    const base = `${P}_${r.name}`;
    const origin = `register ${r.name}`;
    const wide = r.width === 64;
    const offText = '0x' + r.offset.toString(16).padStart(3, '0');
    const digits = r.width / 4;
    add(base, r.offset, origin, 3, false, `${r.name} @ ${offText} (${r.width}-bit ${r.access}): ${firstSentence(r.description)}`);
    add(`${base}_RESET`, (BigInt(r.resetHi >>> 0) << 32n) | BigInt(r.resetLo >>> 0), origin, digits, wide);
    if (r.count > 1 || r.stride !== 0) {
      add(`${base}_COUNT`, r.count, origin, 0);
      add(`${base}_STRIDE`, r.stride, origin, 1);
    }
    for (const f of r.fields) {
      const fb = `${base}_${f.name}`;
      const fo = `${origin} field ${f.name}`;
      const bits = f.msb === f.lsb ? `${f.msb}` : `${f.msb}:${f.lsb}`;
      add(`${fb}_SHIFT`, f.lsb, fo, 0, false, `${r.name}[${bits}] ${f.name} (${f.access})${f.description ? ': ' + firstSentence(f.description) : ''}`);
      add(`${fb}_WIDTH`, f.width, fo, 0);
      add(`${fb}_MASK`, fieldMask(f.msb, f.lsb), fo, digits, wide);
      if (f.enumRef === undefined) enums(fb, f.enum, fo);
    }
  }

  for (const s of desc.structures) {
    const base = `${P}_${s.name}`;
    const origin = `structure ${s.name}`;
    const wide = s.wordSize === 64;
    add(`${base}_SIZE`, s.size, origin, 0, false, `${s.name} (${s.size} bytes, ${s.wordSize}-bit words): ${firstSentence(s.description)}`);
    for (const f of s.fields) {
      const fb = `${base}_${f.name}`;
      const fo = `${origin} field ${f.name}`;
      const bits = f.msb === f.lsb ? `${f.msb}` : `${f.msb}:${f.lsb}`;
      add(`${fb}_WORD`, f.word, fo, 0, false, `${s.name} word ${f.word} [${bits}] ${f.name}${f.description ? ': ' + firstSentence(f.description) : ''}`);
      add(`${fb}_SHIFT`, f.lsb, fo, 0);
      add(`${fb}_WIDTH`, f.width, fo, 0);
      add(`${fb}_MASK`, fieldMask(f.msb, f.lsb), fo, s.wordSize / 4, wide);
      if (f.enumRef === undefined) enums(fb, f.enum, fo);
    }
  }

  for (const t of desc.constants) {
    const origin = `constants ${t.name}`;
    for (const v of t.values) {
      add(`${P}_${t.name}_${v.name}`, v.value, `${origin} value ${v.name}`, 2, false, v.description ? firstSentence(v.description) : undefined);
    }
  }
  return out;
}

// Structure-field access for the driver (STE, CD, L1STD, commands, event records), by the
// regmap's names: SMMU_<STRUCT>_<FIELD>_{WORD,SHIFT,MASK} from src/regs/generated/smmuv3.ts.
// The driver keeps its own helper (it must not depend on the hardware model's code), in the
// style of Linux's FIELD_PREP / FIELD_GET on __le64 words.
import * as R from '../../../regs/generated/smmuv3.ts';

const consts = R as unknown as Readonly<Record<string, number | bigint>>;

export interface Field {
  word: number;
  shift: bigint;
  /** The field's bits in place within its word. */
  mask: bigint;
}
const cache = new Map<string, Field>();

/** The location of `struct`.`name` (throws for names the regmap does not define). */
export function field(struct: string, name: string): Field {
  const key = `${struct}.${name}`;
  let f = cache.get(key);
  if (f === undefined) {
    const p = `SMMU_${struct}_${name}_`;
    const word = consts[p + 'WORD'];
    const shift = consts[p + 'SHIFT'];
    const mask = consts[p + 'MASK'];
    if (typeof word !== 'number' || typeof shift !== 'number' || typeof mask !== 'bigint') throw new Error(`arm-smmu-v3: no structure field ${key} in the regmap`);
    f = { word, shift: BigInt(shift), mask };
    cache.set(key, f);
  }
  return f;
}

/** FIELD_GET. */
export function get(w: readonly bigint[], struct: string, name: string): bigint {
  const f = field(struct, name);
  return (w[f.word]! & f.mask) >> f.shift;
}
export function getn(w: readonly bigint[], struct: string, name: string): number {
  return Number(get(w, struct, name));
}
/** w[word] |= FIELD_PREP(field, v) (the field is cleared first). */
export function set(w: bigint[], struct: string, name: string, v: bigint | number | boolean): bigint[] {
  const f = field(struct, name);
  const val = typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v);
  w[f.word] = (w[f.word]! & ~f.mask) | ((val << f.shift) & f.mask);
  return w;
}
/** Sets an address field whose low bits are implied (S1ContextPtr, TTB0, S2TTB, L2Ptr): addr & MASK. */
export function setAddr(w: bigint[], struct: string, name: string, addr: number | bigint): bigint[] {
  const f = field(struct, name);
  w[f.word] = (w[f.word]! & ~f.mask) | (BigInt(addr) & f.mask);
  return w;
}
/** The in-place mask of a field, for used-bit computations. */
export function mask(struct: string, ...names: string[]): bigint {
  let m = 0n;
  for (const n of names) m |= field(struct, n).mask;
  return m;
}
/** A zeroed structure of `n` 64-bit words. */
export function words(n: number): bigint[] {
  return new Array<bigint>(n).fill(0n);
}

export const hex = (v: number | bigint, w = 0): string => '0x' + v.toString(16).padStart(w, '0');

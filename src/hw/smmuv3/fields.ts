// Field access for SMMUv3 in-memory structures (STE, CD, L1STD, L1CD, commands), by the names
// the regmap gives them: `fld(words, 'STE', 'S2T0SZ')` reads SMMU_STE_S2T0SZ_{WORD,SHIFT,MASK}.
// Cold paths only (configuration fetches, command decode): values are bigints.
import * as R from '../../regs/generated/smmuv3.ts';

const consts = R as unknown as Readonly<Record<string, number | bigint>>;

interface FieldLoc {
  word: number;
  shift: bigint;
  mask: bigint;
}
const cache = new Map<string, Map<string, FieldLoc>>();

function loc(struct: string, name: string): FieldLoc {
  let byName = cache.get(struct);
  if (byName === undefined) cache.set(struct, (byName = new Map()));
  let l = byName.get(name);
  if (l === undefined) {
    const key = `${struct}.${name}`;
    const p = `SMMU_${struct}_${name}_`;
    const word = consts[p + 'WORD'];
    const shift = consts[p + 'SHIFT'];
    const mask = consts[p + 'MASK'];
    if (typeof word !== 'number' || typeof shift !== 'number' || typeof mask !== 'bigint') throw new Error(`smmuv3: the regmap has no structure field ${key}`);
    l = { word, shift: BigInt(shift), mask };
    byName.set(name, l);
  }
  return l;
}

/** Field `name` of structure `struct` in `words` (little-endian doublewords). */
export function fld(words: readonly bigint[], struct: string, name: string): bigint {
  const l = loc(struct, name);
  return (words[l.word]! & l.mask) >> l.shift;
}
/** The same as a number (fields up to 53 bits). */
export function fldn(words: readonly bigint[], struct: string, name: string): number {
  return Number(fld(words, struct, name));
}
/** The field's bits in place (addresses whose low bits are implied zero, e.g. S2TTB, TTB0). */
export function fldAddr(words: readonly bigint[], struct: string, name: string): bigint {
  const l = loc(struct, name);
  return words[l.word]! & l.mask;
}
/** Returns `words` with field `name` set to `v` (test and driver helpers). */
export function setFld(words: bigint[], struct: string, name: string, v: bigint | number): bigint[] {
  const l = loc(struct, name);
  words[l.word] = (words[l.word]! & ~l.mask) | ((BigInt(v) << l.shift) & l.mask);
  return words;
}

/** Reads `n` little-endian doublewords from a byte buffer. */
export function toWords(bytes: Uint8Array, n: number): bigint[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w: bigint[] = [];
  for (let i = 0; i < n; i++) w.push(dv.getBigUint64(i * 8, true));
  return w;
}
/** Writes doublewords little-endian into a new byte buffer. */
export function fromWords(words: readonly bigint[]): Uint8Array {
  const b = new Uint8Array(words.length * 8);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  return b;
}

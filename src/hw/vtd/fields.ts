// Field access for VT-d in-memory structures (root/context entries, PASID entries, invalidation
// descriptors), by the names the regmap gives them: `fld(words, 'CONTEXT_ENTRY', 'DID')` reads
// VTD_CONTEXT_ENTRY_DID_{WORD,SHIFT,MASK}. Cold paths only (structure fetches, descriptor
// decode): values are bigints.
import * as R from '../../regs/generated/vtd.ts';

const consts = R as unknown as Readonly<Record<string, number | bigint>>;

interface FieldLoc {
  word: number;
  shift: bigint;
  mask: bigint;
}
const cache = new Map<string, FieldLoc>();

function loc(struct: string, name: string): FieldLoc {
  const key = `${struct}.${name}`;
  let l = cache.get(key);
  if (l === undefined) {
    const p = `VTD_${struct}_${name}_`;
    const word = consts[p + 'WORD'];
    const shift = consts[p + 'SHIFT'];
    const mask = consts[p + 'MASK'];
    if (typeof word !== 'number' || typeof shift !== 'number' || typeof mask !== 'bigint') throw new Error(`vtd: the regmap has no structure field ${key}`);
    l = { word, shift: BigInt(shift), mask };
    cache.set(key, l);
  }
  return l;
}

/** Field `name` of structure `struct` in `words` (little-endian quadwords). */
export function fld(words: readonly bigint[], struct: string, name: string): bigint {
  const l = loc(struct, name);
  return (words[l.word]! & l.mask) >> l.shift;
}
/** The same as a number (fields up to 53 bits). */
export function fldn(words: readonly bigint[], struct: string, name: string): number {
  return Number(fld(words, struct, name));
}
/** The field's bits in place (table pointers whose low 12 bits are implied zero). */
export function fldAddr(words: readonly bigint[], struct: string, name: string): bigint {
  const l = loc(struct, name);
  return words[l.word]! & l.mask;
}
/** Sets field `name` to `v` in `words` (returns `words`; test and driver helpers). */
export function setFld(words: bigint[], struct: string, name: string, v: bigint | number): bigint[] {
  const l = loc(struct, name);
  words[l.word] = (words[l.word]! & ~l.mask) | ((BigInt(v) << l.shift) & l.mask);
  return words;
}
/** A structure of `n` quadwords built from named fields, e.g. build(2, 'ROOT_ENTRY', { P: 1, CTP: addr >> 12 }). */
export function build(n: number, struct: string, fields: Readonly<Record<string, bigint | number>>): bigint[] {
  const w: bigint[] = new Array<bigint>(n).fill(0n);
  for (const [k, v] of Object.entries(fields)) setFld(w, struct, k, v);
  return w;
}

/** Reads `n` little-endian quadwords from a byte buffer. */
export function toWords(bytes: Uint8Array, n: number): bigint[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w: bigint[] = [];
  for (let i = 0; i < n; i++) w.push(dv.getBigUint64(i * 8, true));
  return w;
}
/** Writes quadwords little-endian into a new byte buffer. */
export function fromWords(words: readonly bigint[]): Uint8Array {
  const b = new Uint8Array(words.length * 8);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  return b;
}

/** Bits [hi:lo] as a mask. */
export function bits(hi: number, lo: number): bigint {
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}
/** Address bits at and above `haw` (reserved in table pointers and entries). */
export function aboveHaw(haw: number): bigint {
  return bits(63, haw);
}

const definedCache = new Map<string, bigint[]>();
/**
 * The bits of each quadword of `struct` that the regmap defines as fields; everything else is
 * reserved (the regmap lists every architected field, so "not a field" is "reserved").
 */
export function definedMasks(struct: string, words: number): bigint[] {
  const key = `${struct}/${words}`;
  let m = definedCache.get(key);
  if (m === undefined) {
    m = new Array<bigint>(words).fill(0n);
    const p = `VTD_${struct}_`;
    for (const [k, v] of Object.entries(consts)) {
      if (!k.startsWith(p) || !k.endsWith('_WORD') || typeof v !== 'number') continue;
      const mask = consts[k.slice(0, -'_WORD'.length) + '_MASK'];
      if (typeof mask === 'bigint' && v < words) m[v] = m[v]! | mask;
    }
    definedCache.set(key, m);
  }
  return m;
}
/** True when `words` has a bit set outside the fields of `struct` (or in `extra[i]` of word i). */
export function hasReserved(words: readonly bigint[], struct: string, extra: readonly bigint[] = []): boolean {
  const m = definedMasks(struct, words.length);
  return words.some((w, i) => (w & ~m[i]!) !== 0n || (w & (extra[i] ?? 0n)) !== 0n);
}

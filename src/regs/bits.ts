// Parsing of the two scalar notations used in regmaps/*.json: unsigned integers (JSON
// numbers or "0x..." strings, possibly 64-bit) and bit ranges ("msb:lsb" or "n").
// Both return null on malformed input so the validator can word its own message.

/** Parses a regmap unsigned integer; null if it is not one. */
export function parseUint(v: unknown): bigint | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : null;
  if (typeof v === 'string' && /^0[xX][0-9A-Fa-f]+(_[0-9A-Fa-f]+)*$/.test(v)) return BigInt('0x' + v.slice(2).replace(/_/g, ''));
  return null;
}

export interface BitRange {
  readonly msb: number;
  readonly lsb: number;
}

/** Parses "msb:lsb", "n" or an integer; null if malformed or msb < lsb. */
export function parseBits(v: unknown): BitRange | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v < 1024 ? { msb: v, lsb: v } : null;
  if (typeof v !== 'string') return null;
  const m = /^([0-9]{1,4})(?::([0-9]{1,4}))?$/.exec(v);
  if (m === null) return null;
  const msb = Number(m[1]);
  const lsb = m[2] === undefined ? msb : Number(m[2]);
  return msb >= lsb ? { msb, lsb } : null;
}

/** "[msb:lsb]" or "[n]", the notation dumps and describe use. */
export function bitsText(msb: number, lsb: number): string {
  return msb === lsb ? `[${msb}]` : `[${msb}:${lsb}]`;
}

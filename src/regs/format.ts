// Text formatting shared by RegisterFile dumps, StructView and the describe command, so a
// value looks the same everywhere: fixed-width hex for whole registers, enum names or short
// numbers for fields.
import type { EnumValue, RegWidth } from './types.ts';

/** "0x" + hex padded to `digits`. */
export function hex(value: number | bigint, digits = 0): string {
  const v = typeof value === 'bigint' ? value : BigInt(value >>> 0 === value ? value : Math.trunc(value));
  return '0x' + v.toString(16).padStart(digits, '0');
}

/** A register value as fixed-width hex (2, 4, 8 or 16 digits for 8/16/32/64 bits). */
export function regHex(lo: number, hi: number, width: RegWidth): string {
  return width === 64 ? '0x' + (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0') : hex(lo >>> 0, width / 4);
}

/** Combines two 32-bit halves into a bigint. */
export function join64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Bits [msb:lsb] of `value`. */
export function extract(value: bigint, msb: number, lsb: number): bigint {
  return (value >> BigInt(lsb)) & ((1n << BigInt(msb - lsb + 1)) - 1n);
}

/** The enum name of `value`, if the field names it. */
export function enumName(values: readonly EnumValue[], value: bigint): string | undefined {
  for (const e of values) if (BigInt(e.value) === value) return e.name;
  return undefined;
}

/** A field value for dumps: enum name, else a decimal digit, else hex. */
export function fieldText(values: readonly EnumValue[], value: bigint): string {
  const name = enumName(values, value);
  if (name !== undefined) return name;
  return value < 10n ? value.toString() : '0x' + value.toString(16);
}

/** Number when exact (at most 53 bits), else a hex string: the JSON-friendly form of a field. */
export function plainValue(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : '0x' + value.toString(16);
}

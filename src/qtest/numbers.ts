// Number parsing with the exact acceptance rules of QEMU's qemu_strtou64 / qemu_strtoi64 /
// qemu_strtoi (util/cutils.c), which wrap the C library's strto*() with base 0:
//   - leading white space is skipped, then an optional '+' or '-';
//   - "0x"/"0X" followed by a hex digit selects hex, a leading '0' octal, else decimal;
//   - at least one digit, and nothing after the digits (QEMU passes no end pointer);
//   - out of range is an error; for the unsigned form a '-' negates modulo 2^64
//     ("-1" is 0xffffffffffffffff), as strtoull does.
// Results are bigint because qtest addresses and values are full 64-bit quantities.

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

function isCSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return 99;
}

/** Magnitude and sign of a base-0 C integer; null when strto*() would leave garbage or read nothing. */
function parseMagnitude(text: string): { negative: boolean; magnitude: bigint } | null {
  let i = 0;
  while (i < text.length && isCSpace(text[i]!)) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i++;
  }
  let base = 10;
  if (text[i] === '0') {
    if ((text[i + 1] === 'x' || text[i + 1] === 'X') && i + 2 < text.length && digitValue(text[i + 2]!) < 16) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  const start = i;
  let magnitude = 0n;
  const b = BigInt(base);
  while (i < text.length) {
    const d = digitValue(text[i]!);
    if (d >= base) break;
    magnitude = magnitude * b + BigInt(d);
    i++;
  }
  if (i === start || i !== text.length) return null;
  return { negative, magnitude };
}

/** qemu_strtou64(text, NULL, 0, &v) (and qemu_strtoul on LP64 hosts); null where QEMU returns an error. */
export function parseU64(text: string): bigint | null {
  const p = parseMagnitude(text);
  if (p === null || p.magnitude > U64_MAX) return null;
  return p.negative ? BigInt.asUintN(64, -p.magnitude) : p.magnitude;
}

/** qemu_strtoi64(text, NULL, 0, &v); null where QEMU returns an error. */
export function parseI64(text: string): bigint | null {
  const p = parseMagnitude(text);
  if (p === null) return null;
  const v = p.negative ? -p.magnitude : p.magnitude;
  return v < I64_MIN || v > I64_MAX ? null : v;
}

/** qemu_strtoi(text, NULL, 0, &v): a C int; null where QEMU returns an error. */
export function parseInt32(text: string): number | null {
  const p = parseMagnitude(text);
  if (p === null) return null;
  const v = p.negative ? -p.magnitude : p.magnitude;
  return v < -(1n << 31n) || v > (1n << 31n) - 1n ? null : Number(v);
}

const SIZE_UNITS: Record<string, bigint> = {
  b: 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n, p: 1n << 50n, e: 1n << 60n,
};

/**
 * A size with QEMU's qemu_strtosz_MiB rules (used by `-m`): a decimal number, optionally
 * with a fraction, or a hex number; an optional suffix B/K/M/G/T/P/E (either case) and
 * MiB when there is none; fractions of a byte are refused, as is anything >= 2^64.
 * Returns the size in bytes, or null if QEMU would refuse the text.
 */
export function parseSizeMiB(text: string): bigint | null {
  const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)(\.[0-9]+)?([bBkKmMgGtTpPeE]?)$/.exec(text);
  if (!m) return null;
  const [, intPart, fraction, suffix] = m;
  const isHex = intPart!.length > 1 && (intPart![1] === 'x' || intPart![1] === 'X');
  if (isHex && fraction) return null;
  const unit = suffix ? SIZE_UNITS[suffix.toLowerCase()]! : SIZE_UNITS['m']!;
  let bytes = BigInt(intPart!) * unit;
  if (fraction) {
    if (unit === 1n) return null;
    // Exact: fraction digits / 10^n of one unit, truncated to whole bytes.
    const digits = fraction.slice(1);
    bytes += (BigInt(digits) * unit) / 10n ** BigInt(digits.length);
  }
  return bytes > U64_MAX ? null : bytes;
}

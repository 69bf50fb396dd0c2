// Validation of one regmap file: JSON Schema first (regmaps/schema.json, via ajv), then the
// semantic rules a schema cannot express. Every message starts with the file name and names
// the register/field (or structure/field, constants table/value) it is about, because the
// build stops on the first broken file and the author must find the line quickly.
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parseBits, parseUint } from './bits.ts';
import { normalizeRegmap, type RawField, type RawRegmap, type RawRegister, type RawStructField } from './normalize.ts';
import { blockSymbols } from './symbols.ts';

/** Location of the schema, next to the regmaps it describes. */
export const SCHEMA_URL = new URL('../../regmaps/schema.json', import.meta.url);

type AjvCtor = new (opts: object) => { compile(schema: object): ValidateFunction };
// ajv is CommonJS: under NodeNext the default import is module.exports, whose `default` is the class.
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvCtor }).default ?? Ajv2020Module) as unknown as AjvCtor;

let compiled: ValidateFunction | null = null;
function schemaValidator(): ValidateFunction {
  if (compiled === null) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object;
    compiled = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
  }
  return compiled;
}

/**
 * Checks one parsed regmap file. Returns the problems found (empty when the file is good),
 * each prefixed with `fileName`. Schema problems are reported alone: the semantic rules
 * only run on a file whose shape is right.
 */
export function validateRegmap(json: unknown, fileName: string): string[] {
  const validate = schemaValidator();
  if (!validate(json)) return schemaMessages(json, fileName, validate.errors ?? []);
  const errs = semanticErrors(json as RawRegmap, fileName);
  if (errs.length > 0) return errs;
  return symbolCollisions(json as RawRegmap, fileName);
}

// ---- schema errors ----------------------------------------------------------------------

// ajv reports schemaPath relative to a referenced definition when it does not inline it, so
// the friendly wording is chosen from the keyword and the instance path instead.
function friendly(e: ErrorObject): string {
  switch (e.keyword) {
    case 'oneOf':
      // Only the uint and bits definitions use oneOf.
      return e.instancePath.endsWith('/bits')
        ? 'must be a bit range "msb:lsb" or a single bit number'
        : 'must be an unsigned integer (a JSON number or a "0x..." hex string)';
    case 'not':
      // Only field/structField use not: { required: [enum, enumRef] }.
      return 'has both "enum" and "enumRef"; use one';
    case 'additionalProperties':
      return `has unknown property "${String(e.params['additionalProperty'])}"`;
    case 'enum':
      return `must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `is missing required property "${String(e.params['missingProperty'])}"`;
    case 'propertyNames':
      return `has a badly formed name "${String(e.params['propertyName'])}" (expected an upper-case identifier)`;
    default:
      return e.message ?? 'is invalid';
  }
}

function schemaMessages(json: unknown, file: string, errors: readonly ErrorObject[]): string[] {
  // A oneOf failure also reports each failed branch at the same path; keep only the summary.
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const out: string[] = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && oneOfPaths.has(e.instancePath) && /\/oneOf\/\d+\//.test(e.schemaPath)) continue;
    // propertyNames also reports the failing pattern of the name itself; the summary suffices.
    if (e.propertyName !== undefined) continue;
    const line = `${file}: ${annotatePath(json, e.instancePath)}: ${friendly(e)}`;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

/** "/registers/list/3/fields/0/bits" -> "/registers/list/3 (CR0)/fields/0 (SMMUEN)/bits". */
function annotatePath(json: unknown, pointer: string): string {
  if (pointer === '') return '(top level)';
  let node: unknown = json;
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    out += '/' + key;
    const name = node !== null && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
    if (/^\d+$/.test(key) && typeof name === 'string') out += ` (${name})`;
  }
  return out;
}

// ---- semantic rules ---------------------------------------------------------------------

const hex = (v: bigint | number): string => '0x' + v.toString(16);
const maskOf = (msb: number, lsb: number): bigint => ((1n << BigInt(msb - lsb + 1)) - 1n) << BigInt(lsb);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function semanticErrors(map: RawRegmap, file: string): string[] {
  const errs: string[] = [];
  const err = (where: string, what: string) => errs.push(`${file}: ${where}: ${what}`);

  const base = file.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
  if (file.endsWith('.json') && base !== map.block) err('block', `"${map.block}" does not match the file name (expected "${base}")`);

  const tables = new Map<string, { width?: number; values: { name: string; value: bigint }[] }>();
  checkConstants(map, err, tables);

  const size = parseUint(map.registers.size)!;
  if (size === 0n || size % 4n !== 0n || size > 0x1000000n) err('registers.size', `window size ${hex(size)} must be a non-zero multiple of 4 no larger than 16 MiB`);

  // Names must be unique across registers, structures and constants tables: `describe` and
  // the runtime look all three up by name.
  const kinds = new Map<string, string>();
  const claim = (name: string, kind: string) => {
    const prev = kinds.get(name);
    if (prev !== undefined) err(`${kind} ${name}`, `duplicate name (already used by a ${prev})`);
    else kinds.set(name, kind);
  };
  for (const t of map.constants ?? []) claim(t.name, 'constants table');

  const variants = new Set<string>();
  for (const v of map.registers.variants ?? []) {
    if (variants.has(v.name)) err(`variant ${v.name}`, 'duplicate variant name');
    variants.add(v.name);
  }

  const spans: Span[] = [];
  for (const r of map.registers.list) {
    claim(r.name, 'register');
    if (r.variant !== undefined && !variants.has(r.variant)) {
      err(`register ${r.name}`, `variant "${r.variant}" is not declared in registers.variants${variants.size > 0 ? ` (${[...variants].join(', ')})` : ''}`);
    }
    checkRegister(r, size, err, tables, spans);
  }
  // Registers of two different variants are alternative layouts of the same bytes (PCI
  // header type 0 / type 1) and may overlap; anything else may not.
  spans.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 0; i < spans.length; i++) {
    const a = spans[i]!;
    for (let j = i + 1; j < spans.length && spans[j]!.start < a.end; j++) {
      const b = spans[j]!;
      if (a.variant === undefined || b.variant === undefined || a.variant === b.variant) {
        err(`register ${b.name}`, `overlaps register ${a.name} at offset ${hex(b.start)}`);
      }
    }
  }

  for (const s of map.structures ?? []) {
    claim(s.name, 'structure');
    const where = `structure ${s.name}`;
    const wordBytes = s.wordSize / 8;
    if (s.size % wordBytes !== 0) err(where, `size ${s.size} bytes is not a whole number of ${s.wordSize}-bit words`);
    const words = Math.floor(s.size / wordBytes);
    const used = new Map<number, { name: string; mask: bigint }[]>();
    const names = new Set<string>();
    for (const f of s.fields) {
      const fw = `${where} field ${f.name}`;
      if (names.has(f.name)) err(fw, 'duplicate field name');
      names.add(f.name);
      const bits = parseBits(f.bits);
      if (bits === null) {
        err(fw, `bad bit range ${JSON.stringify(f.bits)} (expected "msb:lsb" with msb >= lsb, or "n")`);
        continue;
      }
      if (f.word >= words) err(fw, `word ${f.word} lies outside the ${s.size}-byte structure (${words} words of ${s.wordSize} bits)`);
      if (bits.msb >= s.wordSize) err(fw, `bits ${bitsOf(f)} lie outside the ${s.wordSize}-bit word`);
      if (bits.msb >= s.wordSize || f.word >= words) continue;
      const mask = maskOf(bits.msb, bits.lsb);
      const others = used.get(f.word) ?? [];
      for (const o of others) if ((o.mask & mask) !== 0n) err(fw, `overlaps field ${o.name} in word ${f.word}`);
      others.push({ name: f.name, mask });
      used.set(f.word, others);
      checkEnum(f, bits.msb - bits.lsb + 1, fw, err, tables);
    }
  }
  return errs;
}

function bitsOf(f: RawField | RawStructField): string {
  return `[${f.bits}]`;
}

type Err = (where: string, what: string) => void;
interface Span { name: string; start: bigint; end: bigint; variant: string | undefined }
type Tables = Map<string, { width?: number; values: { name: string; value: bigint }[] }>;

function checkConstants(map: RawRegmap, err: Err, tables: Tables): void {
  for (const t of map.constants ?? []) {
    const where = `constants ${t.name}`;
    if (tables.has(t.name)) err(where, 'duplicate constants table name');
    const seenNames = new Set<string>();
    const seenValues = new Map<bigint, string>();
    const values: { name: string; value: bigint }[] = [];
    for (const v of t.values) {
      const vw = `${where} value ${v.name}`;
      if (seenNames.has(v.name)) err(vw, 'duplicate name');
      seenNames.add(v.name);
      const value = parseUint(v.value)!;
      if (value > MAX_SAFE) err(vw, `value ${hex(value)} exceeds 2^53 - 1`);
      if (t.width !== undefined && value >> BigInt(t.width) !== 0n) err(vw, `value ${hex(value)} does not fit in ${t.width} bits`);
      const dup = seenValues.get(value);
      if (dup !== undefined) err(vw, `value ${hex(value)} is already used by ${dup}`);
      seenValues.set(value, v.name);
      values.push({ name: v.name, value });
    }
    tables.set(t.name, { ...(t.width !== undefined ? { width: t.width } : {}), values });
  }
}

function checkEnum(f: RawField | RawStructField, width: number, where: string, err: Err, tables: Tables): void {
  if (f.enumRef !== undefined) {
    const t = tables.get(f.enumRef);
    if (t === undefined) {
      err(where, `enumRef "${f.enumRef}" names no constants table of this file`);
      return;
    }
    for (const v of t.values) {
      if (v.value >> BigInt(width) !== 0n) err(where, `value ${v.name}=${hex(v.value)} of constants table ${f.enumRef} does not fit the ${width}-bit field`);
    }
    return;
  }
  for (const [name, raw] of Object.entries(f.enum ?? {})) {
    const v = parseUint(raw)!;
    if (v >> BigInt(width) !== 0n) err(where, `enum value ${name}=${hex(v)} does not fit the ${width}-bit field`);
  }
}

function checkRegister(r: RawRegister, size: bigint, err: Err, tables: Tables, spans: Span[]): void {
  const where = `register ${r.name}`;
  const bytes = BigInt(r.width / 8);
  const offset = parseUint(r.offset)!;
  const reset = parseUint(r.reset)!;
  if (offset % bytes !== 0n) err(where, `offset ${hex(offset)} is not aligned to the register's ${r.width}-bit width`);
  if (reset >> BigInt(r.width) !== 0n) err(where, `reset ${hex(reset)} does not fit in ${r.width} bits`);

  const count = BigInt(r.array?.count ?? 1);
  const stride = r.array !== undefined ? parseUint(r.array.stride)! : 0n;
  if (r.array !== undefined && (stride < bytes || stride % bytes !== 0n)) {
    err(where, `array stride ${hex(stride)} must be a non-zero multiple of the register size (${bytes} bytes)`);
  }
  const starts: bigint[] = [];
  for (let i = 0n; i < count; i++) starts.push(offset + i * stride);
  // An alias of a byte/word register would sit in another 32-bit word shared with other
  // registers; the runtime stores sub-word registers per word, so they have no aliases.
  if (r.width < 32 && (r.aliases ?? []).length > 0) err(where, `aliases are not supported on ${r.width}-bit registers`);
  for (const a of r.aliases ?? []) {
    const ao = parseUint(a)!;
    if (ao % bytes !== 0n) err(where, `alias offset ${hex(ao)} is not aligned to the register's ${r.width}-bit width`);
    if (count > 1n) err(where, 'aliases are not supported on array registers');
    starts.push(ao);
  }
  for (const s of starts) {
    if (s + bytes > size) err(where, `offset ${hex(s)} lies outside the ${hex(size)}-byte window`);
    spans.push({ name: r.name, start: s, end: s + bytes, variant: r.variant });
  }

  // Fields: syntax, inside the register, no overlap, enums that fit.
  const names = new Set<string>();
  let covered = 0n;
  let reserved = 0n;
  let ones = 0n;
  const fields = r.fields ?? [];
  for (let fi = 0; fi < fields.length; fi++) {
    const f = fields[fi]!;
    const fw = `${where} field ${f.name}`;
    if (names.has(f.name)) err(fw, 'duplicate field name');
    names.add(f.name);
    const bits = parseBits(f.bits);
    if (bits === null) {
      err(fw, `bad bit range ${JSON.stringify(f.bits)} (expected "msb:lsb" with msb >= lsb, or "n")`);
      continue;
    }
    if (bits.msb >= r.width) {
      err(fw, `bits ${bitsOf(f)} lie outside the ${r.width}-bit register`);
      continue;
    }
    const mask = maskOf(bits.msb, bits.lsb);
    if ((covered & mask) !== 0n) {
      const other = fields.slice(0, fi).find((o) => overlapsMask(o, mask, r.width));
      err(fw, `overlaps field ${other?.name ?? '(another field)'}`);
    }
    covered |= mask;
    const access = f.access ?? r.access;
    if (access === 'RES0' || access === 'RsvdZ' || access === 'RsvdP') reserved |= mask;
    if (access === 'RES1') ones |= mask;
    checkEnum(f, bits.msb - bits.lsb + 1, fw, err, tables);
    if (f.preserveOnReset && r.preserveOnReset) err(fw, 'preserveOnReset is redundant: the whole register already has it');
  }
  // A reset value must not set bits the register cannot hold, and must set its RES1 bits.
  if (fields.length > 0 && reset >> BigInt(r.width) === 0n) {
    const full = (1n << BigInt(r.width)) - 1n;
    const bad = reset & ((full & ~covered) | reserved);
    if (bad !== 0n) err(where, `reset ${hex(reset)} sets reserved bits ${hex(bad)}`);
    if ((reset & ones) !== ones) err(where, `reset ${hex(reset)} clears RES1 bits ${hex(ones & ~reset)}`);
  }
}

function overlapsMask(f: RawField, mask: bigint, width: number): boolean {
  const b = parseBits(f.bits);
  return b !== null && b.msb < width && (maskOf(b.msb, b.lsb) & mask) !== 0n;
}

// ---- generated-name collisions ----------------------------------------------------------

function symbolCollisions(map: RawRegmap, file: string): string[] {
  const seen = new Map<string, string>();
  const errs: string[] = [];
  for (const s of blockSymbols(normalizeRegmap(map))) {
    const prev = seen.get(s.id);
    if (prev !== undefined) errs.push(`${file}: ${s.origin}: generated name ${s.id} collides with the one from ${prev}`);
    else seen.set(s.id, s.origin);
  }
  return errs;
}

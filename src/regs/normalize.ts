// Turns a regmap file (already schema-valid and semantically checked by validate.ts) into the
// normalised BlockDesc the runtime consumes: numbers instead of hex strings, bit ranges split
// into msb/lsb, enumRef tables resolved, defaults filled in.
import { parseBits, parseUint } from './bits.ts';
import type {
  Access, BlockDesc, ConstTableDesc, EnumValue, FieldDesc, RegisterDesc, RegWidth, StructDesc, StructFieldDesc,
} from './types.ts';

/** The JSON shapes of a regmap file (see regmaps/schema.json). */
export interface RawEnum { readonly [name: string]: number | string }
export interface RawField {
  name: string; bits: number | string; access?: Access; description?: string;
  enum?: RawEnum; enumRef?: string; preserveOnReset?: boolean;
}
export interface RawRegister {
  name: string; offset: number | string; width: RegWidth; access: Access; reset: number | string;
  description: string; fields?: RawField[]; array?: { count: number; stride: number | string };
  aliases?: (number | string)[]; implemented?: boolean; preserveOnReset?: boolean; variant?: string;
}
export interface RawStructField {
  name: string; word: number; bits: number | string; description?: string; enum?: RawEnum; enumRef?: string;
}
export interface RawStructure { name: string; size: number; wordSize: 32 | 64; description: string; fields: RawStructField[] }
export interface RawConstTable {
  name: string; description: string; width?: number;
  values: { name: string; value: number | string; description?: string }[];
}
export interface RawRegmap {
  block: string; title: string; prefix: string; description: string; sources?: string[];
  registers: {
    size: number | string; description?: string; list: RawRegister[];
    variants?: { name: string; description: string }[];
  };
  structures?: RawStructure[];
  constants?: RawConstTable[];
}

function num(v: number | string): number {
  const b = parseUint(v);
  if (b === null || b > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`not a safe unsigned integer: ${String(v)}`);
  return Number(b);
}

function enumValues(raw: RawEnum | undefined): EnumValue[] {
  if (raw === undefined) return [];
  return Object.entries(raw).map(([name, v]) => ({ name, value: num(v) }));
}

export function normalizeRegmap(raw: RawRegmap): BlockDesc {
  const constants: ConstTableDesc[] = (raw.constants ?? []).map((t) => ({
    name: t.name,
    description: t.description,
    ...(t.width !== undefined ? { width: t.width } : {}),
    values: t.values.map((v) => ({ name: v.name, value: num(v.value), ...(v.description ? { description: v.description } : {}) })),
  }));
  const tableValues = (ref: string): EnumValue[] =>
    (constants.find((t) => t.name === ref)?.values ?? []).map((v) => ({ name: v.name, value: v.value }));

  const registers: RegisterDesc[] = raw.registers.list.map((r) => {
    const reset = parseUint(r.reset) ?? 0n;
    const fields: FieldDesc[] = (r.fields ?? []).map((f) => {
      const { msb, lsb } = parseBits(f.bits)!;
      return {
        name: f.name,
        msb,
        lsb,
        width: msb - lsb + 1,
        access: f.access ?? r.access,
        description: f.description ?? '',
        enum: f.enumRef !== undefined ? tableValues(f.enumRef) : enumValues(f.enum),
        ...(f.enumRef !== undefined ? { enumRef: f.enumRef } : {}),
        preserveOnReset: f.preserveOnReset ?? false,
      };
    });
    return {
      name: r.name,
      offset: num(r.offset),
      width: r.width,
      access: r.access,
      resetLo: Number(reset & 0xffffffffn),
      resetHi: Number((reset >> 32n) & 0xffffffffn),
      description: r.description,
      fields,
      count: r.array?.count ?? 1,
      stride: r.array !== undefined ? num(r.array.stride) : 0,
      aliases: (r.aliases ?? []).map(num),
      implemented: r.implemented ?? true,
      preserveOnReset: r.preserveOnReset ?? false,
      ...(r.variant !== undefined ? { variant: r.variant } : {}),
    };
  });

  const structures: StructDesc[] = (raw.structures ?? []).map((s) => ({
    name: s.name,
    size: s.size,
    wordSize: s.wordSize,
    description: s.description,
    fields: s.fields.map((f): StructFieldDesc => {
      const { msb, lsb } = parseBits(f.bits)!;
      return {
        name: f.name,
        word: f.word,
        msb,
        lsb,
        width: msb - lsb + 1,
        description: f.description ?? '',
        enum: f.enumRef !== undefined ? tableValues(f.enumRef) : enumValues(f.enum),
        ...(f.enumRef !== undefined ? { enumRef: f.enumRef } : {}),
      };
    }),
  }));

  return {
    block: raw.block,
    title: raw.title,
    prefix: raw.prefix,
    description: raw.description,
    size: num(raw.registers.size),
    registers,
    ...(raw.registers.variants !== undefined ? { variants: raw.registers.variants.map((v) => ({ name: v.name, description: v.description })) } : {}),
    structures,
    constants,
  };
}

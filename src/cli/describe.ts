// `iommu-model describe <block> [name[.field]]`: the register map as documentation.
//   describe smmuv3                 every register: offset, width, access, reset, name
//   describe smmuv3 CR0             one register and all its fields
//   describe smmuv3 CR0.SMMUEN      one field, with the generated constant names
//   describe smmuv3 STE[.CONFIG]    a structure (or one of its fields)
//   describe smmuv3 CMD_OP[.SYNC]   a constants table (or one value)
// Names are matched case-insensitively; an unknown name throws an Error naming it and the
// closest candidates.
import { BLOCKS } from '../regs/generated/index.ts';
import { bitsText } from '../regs/bits.ts';
import { hex, regHex } from '../regs/format.ts';
import { didYouMean } from '../regs/suggest.ts';
import type { BlockDesc, ConstTableDesc, EnumValue, FieldDesc, RegisterDesc, StructDesc, StructFieldDesc } from '../regs/types.ts';

export const DESCRIBE_USAGE = 'usage: iommu-model describe <block> [register[.field] | structure[.field] | constants[.name]]';

export function describe(args: readonly string[], blocks: Readonly<Record<string, BlockDesc>> = BLOCKS): string {
  const known = Object.keys(blocks).sort();
  if (args.length === 0) throw new Error(`${DESCRIBE_USAGE}\nblocks: ${known.join(', ')}`);
  if (args.length > 2) throw new Error(`describe takes at most two arguments, got ${args.length} (${args.join(' ')}).\n${DESCRIBE_USAGE}`);
  const blockName = args[0]!;
  const block = blocks[blockName] ?? blocks[blockName.toLowerCase()];
  if (block === undefined) {
    throw new Error(`unknown block "${blockName}"; known blocks: ${known.join(', ')}.${didYouMean(blockName, known)}`);
  }
  if (args.length === 1) return listRegisters(block);

  const query = args[1]!;
  const dot = query.indexOf('.');
  const head = (dot < 0 ? query : query.slice(0, dot)).replace(/\[\d+\]$/, '');
  const tail = dot < 0 ? undefined : query.slice(dot + 1);
  const same = (a: string) => a.toUpperCase() === head.toUpperCase();

  const reg = block.registers.find((r) => same(r.name));
  if (reg !== undefined) return tail === undefined ? describeRegister(block, reg) : describeField(block, reg, findIn(reg.fields, tail, `register ${reg.name} of ${block.block}`, 'field'));
  const st = block.structures.find((s) => same(s.name));
  if (st !== undefined) return tail === undefined ? describeStructure(block, st) : describeStructField(block, st, findIn(st.fields, tail, `structure ${st.name} of ${block.block}`, 'field'));
  const table = block.constants.find((t) => same(t.name));
  if (table !== undefined) return tail === undefined ? describeTable(block, table) : describeConstant(block, table, findIn(table.values, tail, `constants table ${table.name} of ${block.block}`, 'value'));

  const names = [...block.registers.map((r) => r.name), ...block.structures.map((s) => s.name), ...block.constants.map((t) => t.name)];
  throw new Error(`unknown register "${head}" in ${block.block} (no register, structure or constants table has that name).${didYouMean(head, names)}`);
}

function findIn<T extends { name: string }>(items: readonly T[], name: string, where: string, what: string): T {
  const hit = items.find((x) => x.name.toUpperCase() === name.toUpperCase());
  if (hit !== undefined) return hit;
  throw new Error(`unknown ${what} "${name}" in ${where}.${didYouMean(name, items.map((x) => x.name))}`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

function resetText(r: RegisterDesc): string {
  return regHex(r.resetLo, r.resetHi, r.width);
}

function listRegisters(block: BlockDesc): string {
  const digits = Math.max(3, ...block.registers.map((r) => (r.offset + (r.count - 1) * r.stride).toString(16).length));
  const off = (o: number) => hex(o, digits);
  const rows: string[][] = [['offset', 'width', 'access', 'reset', 'name']];
  const sorted = [...block.registers].sort((a, b) => a.offset - b.offset);
  for (const r of sorted) {
    let name = r.name;
    if (r.stride !== 0) name += `[0..${r.count - 1}] (stride ${hex(r.stride)})`;
    if (r.aliases.length > 0) name += ` (also at ${r.aliases.map(off).join(', ')})`;
    if (r.variant !== undefined) name += ` [${r.variant}]`;
    if (!r.implemented) name += ' *';
    rows.push([off(r.offset), String(r.width), r.access, resetText(r), name]);
  }
  const absent = block.registers.filter((r) => !r.implemented).length;
  let out = `${block.block}: ${block.title}\n`;
  out += `MMIO window ${hex(block.size)} bytes, ${block.registers.length} registers`;
  out += absent > 0 ? ` (* = ${absent} absent in the default configuration: read 0, writes ignored)\n` : '\n';
  // Registers of different variants share offsets: say which layouts the [NAME] tags mean.
  for (const v of block.variants ?? []) out += `[${v.name}] ${v.description}\n`;
  out += '\n';
  out += table(rows) + '\n';
  if (block.structures.length > 0) out += `\nstructures: ${block.structures.map((s) => `${s.name} (${s.size} B)`).join(', ')}\n`;
  if (block.constants.length > 0) out += `constants: ${block.constants.map((t) => `${t.name} (${t.values.length})`).join(', ')}\n`;
  return out;
}

function enumLines(f: { enum: readonly EnumValue[]; enumRef?: string }, block: BlockDesc, indent: string): string {
  if (f.enumRef !== undefined) return `${indent}values: constants table ${f.enumRef} (iommu-model describe ${block.block} ${f.enumRef})\n`;
  if (f.enum.length === 0) return '';
  return `${indent}values: ${f.enum.map((e) => `${e.value < 10 ? e.value : hex(e.value)} = ${e.name}`).join(', ')}\n`;
}

/** Bit ranges of a register no field covers ("[31:9], [5]"). */
function reservedRanges(r: RegisterDesc): string {
  const covered = new Array<boolean>(r.width).fill(false);
  for (const f of r.fields) for (let b = f.lsb; b <= f.msb; b++) covered[b] = true;
  const ranges: string[] = [];
  for (let b = r.width - 1; b >= 0; ) {
    if (covered[b]) {
      b--;
      continue;
    }
    const msb = b;
    while (b >= 0 && !covered[b]) b--;
    ranges.push(bitsText(msb, b + 1));
  }
  return ranges.join(', ');
}

function fieldReset(r: RegisterDesc, f: FieldDesc): bigint {
  const v = (BigInt(r.resetHi >>> 0) << 32n) | BigInt(r.resetLo >>> 0);
  return (v >> BigInt(f.lsb)) & ((1n << BigInt(f.width)) - 1n);
}

function registerHeader(block: BlockDesc, r: RegisterDesc): string {
  let h = `${block.block} ${r.name} @ ${hex(r.offset, 3)}: ${r.width}-bit, access ${r.access}, reset ${resetText(r)}`;
  if (r.stride !== 0) h += `; array of ${r.count}, element i at ${hex(r.offset, 3)} + ${hex(r.stride)} * i`;
  if (r.aliases.length > 0) h += `; also at ${r.aliases.map((a) => hex(a, 3)).join(', ')}`;
  if (!r.implemented) h += '; absent in the default configuration (reads 0, writes ignored)';
  if (r.variant !== undefined) h += `; only in the ${r.variant} layout`;
  return h;
}

function describeRegister(block: BlockDesc, r: RegisterDesc): string {
  let out = `${registerHeader(block, r)}\n${r.description}\n`;
  if (r.fields.length === 0) return out + `\nno fields: the whole register is ${r.access}\n`;
  out += '\n';
  const rows: string[][] = [['bits', 'field', 'access', 'reset', 'description']];
  const extra = new Map<number, string>();
  const sorted = [...r.fields].sort((a, b) => a.lsb - b.lsb);
  sorted.forEach((f, i) => {
    const reset = fieldReset(r, f);
    rows.push([bitsText(f.msb, f.lsb), f.name, f.access, reset < 10n ? reset.toString() : '0x' + reset.toString(16), f.description]);
    const e = enumLines(f, block, '        ');
    if (e !== '') extra.set(i + 1, e);
  });
  const lines = table(rows).split('\n');
  out += lines.map((l, i) => l + '\n' + (extra.get(i) ?? '')).join('');
  const reserved = reservedRanges(r);
  if (reserved !== '') out += `reserved (read 0, writes ignored): ${reserved}\n`;
  return out;
}

function describeField(block: BlockDesc, r: RegisterDesc, f: FieldDesc): string {
  const reset = fieldReset(r, f);
  const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.lsb);
  let out = `${block.block} ${r.name}.${f.name}: bits ${bitsText(f.msb, f.lsb)} of ${r.name} (${hex(r.offset, 3)}), access ${f.access}, reset ${reset < 10n ? reset : '0x' + reset.toString(16)}\n`;
  if (f.description) out += `${f.description}\n`;
  out += enumLines(f, block, '');
  out += `shift ${f.lsb}, width ${f.width}, mask ${hex(mask, r.width / 4)}\n`;
  const base = `${block.prefix}_${r.name}_${f.name}`;
  out += `constants: ${base}_SHIFT, ${base}_WIDTH, ${base}_MASK`;
  if (f.enum.length > 0 && f.enumRef === undefined) out += `, ${f.enum.map((e) => `${base}_${e.name}`).join(', ')}`;
  if (f.enumRef !== undefined) out += ` (values: ${block.prefix}_${f.enumRef}_*)`;
  return out + '\n';
}

function describeStructure(block: BlockDesc, s: StructDesc): string {
  let out = `${block.block} ${s.name}: ${s.size}-byte structure of ${s.wordSize}-bit little-endian words\n${s.description}\n\n`;
  const rows: string[][] = [['word', 'bits', 'field', 'description']];
  const extra = new Map<number, string>();
  s.fields.forEach((f, i) => {
    rows.push([String(f.word), bitsText(f.msb, f.lsb), f.name, f.description]);
    const e = enumLines(f, block, '        ');
    if (e !== '') extra.set(i + 1, e);
  });
  out += table(rows).split('\n').map((l, i) => l + '\n' + (extra.get(i) ?? '')).join('');
  return out;
}

function describeStructField(block: BlockDesc, s: StructDesc, f: StructFieldDesc): string {
  const base = `${block.prefix}_${s.name}_${f.name}`;
  let out = `${block.block} ${s.name}.${f.name}: word ${f.word} bits ${bitsText(f.msb, f.lsb)} (structure bits ${bitsText(f.word * s.wordSize + f.msb, f.word * s.wordSize + f.lsb)}, byte offset ${(f.word * s.wordSize) / 8})\n`;
  if (f.description) out += `${f.description}\n`;
  out += enumLines(f, block, '');
  out += `constants: ${base}_WORD, ${base}_SHIFT, ${base}_WIDTH, ${base}_MASK\n`;
  return out;
}

function describeTable(block: BlockDesc, t: ConstTableDesc): string {
  let out = `${block.block} ${t.name}: ${t.description}\n\n`;
  const rows: string[][] = [['value', 'name', 'description']];
  for (const v of t.values) rows.push([hex(v.value, 2), v.name, v.description ?? '']);
  return out + table(rows) + '\n';
}

function describeConstant(block: BlockDesc, t: ConstTableDesc, v: EnumValue): string {
  let out = `${block.block} ${t.name}.${v.name} = ${hex(v.value, 2)} (${v.value})\n`;
  if (v.description) out += `${v.description}\n`;
  return out + `constant: ${block.prefix}_${t.name}_${v.name}\n`;
}

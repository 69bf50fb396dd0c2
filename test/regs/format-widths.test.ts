// The regmap format extensions for PCI configuration space: 8/16-bit registers, layout
// variants, and generated names unique across files. Each broken input must be refused
// with a message naming the file and the register.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from '../../src/regs/generate.ts';
import { validateRegmap } from '../../src/regs/validate.ts';

const FILE = 'regmaps/cfg.json';

/** A valid little config header: two 16-bit registers, two 8-bit ones, two variants at 0x08. */
function good(): any {
  return {
    block: 'cfg', title: 'Config', prefix: 'CFG', description: 'Fixture.',
    registers: {
      size: '0x10',
      variants: [{ name: 'A', description: 'Layout A.' }, { name: 'B', description: 'Layout B.' }],
      list: [
        { name: 'VID', offset: '0x00', width: 16, access: 'RO', reset: '0x1234', description: 'Vendor.' },
        { name: 'CMD', offset: '0x02', width: 16, access: 'RW', reset: 0, description: 'Command.', fields: [{ name: 'EN', bits: '15' }] },
        { name: 'REV', offset: '0x04', width: 8, access: 'RO', reset: '0xff', description: 'Revision.' },
        { name: 'PIN', offset: '0x05', width: 8, access: 'RO', reset: 0, description: 'Pin.' },
        { name: 'BAR', offset: '0x08', width: 32, access: 'RW', reset: 0, description: 'A only.', variant: 'A' },
        { name: 'BUS', offset: '0x08', width: 8, access: 'RW', reset: 0, description: 'B only.', variant: 'B' },
      ],
    },
  };
}

function expectError(map: unknown, ...parts: string[]): void {
  const errs = validateRegmap(map, FILE);
  const hit = errs.find((e) => parts.every((p) => e.includes(p)));
  assert.ok(hit !== undefined, `no message contains all of ${JSON.stringify(parts)}; got:\n${errs.join('\n')}`);
}

test('8- and 16-bit registers and overlapping variants are valid', () => {
  assert.equal(validateRegmap(good(), FILE), []);
});

test('a 16-bit register at an odd offset', () => {
  const m = good();
  m.registers.list[1].offset = '0x03';
  expectError(m, 'register CMD', "offset 0x3 is not aligned to the register's 16-bit width");
});

test('a field beyond an 8-bit register', () => {
  const m = good();
  m.registers.list[2].fields = [{ name: 'HI', bits: '8' }];
  expectError(m, 'register REV field HI', 'lie outside the 8-bit register');
});

test('a reset wider than a 16-bit register', () => {
  const m = good();
  m.registers.list[0].reset = '0x10000';
  expectError(m, 'register VID', 'reset 0x10000 does not fit in 16 bits');
});

test('byte registers overlapping a word register', () => {
  const m = good();
  m.registers.list[3].offset = '0x03';
  expectError(m, 'register PIN', 'overlaps register CMD at offset 0x3');
});

test('registers of one variant, or of no variant, may not overlap', () => {
  const same = good();
  same.registers.list[5].variant = 'A';
  expectError(same, 'register BUS', 'overlaps register BAR at offset 0x8');
  const common = good();
  delete common.registers.list[5].variant;
  expectError(common, 'overlaps register', 'at offset 0x8');
});

test('an undeclared variant, a duplicate one, a single one', () => {
  const m = good();
  m.registers.list[4].variant = 'C';
  expectError(m, 'register BAR', 'variant "C" is not declared in registers.variants (A, B)');
  const dup = good();
  dup.registers.variants[1].name = 'A';
  expectError(dup, 'variant A', 'duplicate variant name');
  const one = good();
  one.registers.variants.pop();
  expectError(one, '/registers/variants', 'must NOT have fewer than 2 items');
});

test('aliases are refused on byte registers', () => {
  const m = good();
  m.registers.list[2].aliases = ['0x0c'];
  expectError(m, 'register REV', 'aliases are not supported on 8-bit registers');
});

test('a generated name produced by two files (prefix PCI and PCI_EXP) is refused', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'regmaps-'));
  try {
    const maps = path.join(dir, 'regmaps');
    mkdirSync(maps);
    const outer = good();
    outer.block = 'p';
    outer.prefix = 'P';
    outer.registers.list[0].name = 'EXP_VID'; // P_EXP_VID ...
    const inner = good();
    inner.block = 'p_exp';
    inner.prefix = 'P_EXP'; // ... and P_EXP_VID again
    writeFileSync(path.join(maps, 'p.json'), JSON.stringify(outer));
    writeFileSync(path.join(maps, 'p_exp.json'), JSON.stringify(inner));
    const r = generate({ regmapsDir: maps, tsOut: path.join(dir, 'ts'), asOut: path.join(dir, 'as'), root: dir });
    assert.is(r.ok, false);
    assert.ok(r.errors.some((e) => e.startsWith('regmaps/p_exp.json: register VID: generated name P_EXP_VID collides with register EXP_VID of regmaps/p.json')), r.errors.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

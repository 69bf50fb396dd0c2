// The regmap validator: every broken input must be rejected with a message naming the file
// and the register/field (or structure/field, table/value) at fault.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { validateRegmap } from '../../src/regs/validate.ts';

const FILE = 'regmaps/demo.json';

/** A small valid regmap; each test breaks one thing in a fresh copy. */
function good(): any {
  return {
    block: 'demo',
    title: 'Demo block',
    prefix: 'DEMO',
    description: 'Fixture for validator tests.',
    registers: {
      size: '0x100',
      list: [
        {
          name: 'CTRL', offset: '0x00', width: 32, access: 'RW', reset: '0x1', description: 'Control.',
          fields: [
            { name: 'EN', bits: '0', description: 'Enable.' },
            { name: 'MODE', bits: '2:1', enum: { OFF: 0, ON: 1 } },
            { name: 'CODE', bits: '10:8', enumRef: 'CODES' },
          ],
        },
        { name: 'BASE', offset: '0x08', width: 64, access: 'RW', reset: '0x0', description: 'Base.', fields: [{ name: 'ADDR', bits: '51:12' }] },
        { name: 'TAB', offset: '0x10', width: 32, access: 'RO', reset: 0, description: 'Array.', array: { count: 4, stride: '0x4' } },
      ],
    },
    structures: [
      { name: 'ENT', size: 16, wordSize: 64, description: 'Entry.', fields: [{ name: 'P', word: 0, bits: '0' }, { name: 'PTR', word: 1, bits: '63:12' }] },
    ],
    constants: [{ name: 'CODES', width: 3, description: 'Codes.', values: [{ name: 'A', value: 1 }, { name: 'B', value: '0x2' }] }],
  };
}

function expectError(map: unknown, ...parts: string[]): string[] {
  const errs = validateRegmap(map, FILE);
  assert.ok(errs.length > 0, `expected a validation error mentioning ${parts.join(', ')}`);
  const hit = errs.find((e) => parts.every((p) => e.includes(p)));
  assert.ok(hit !== undefined, `no message contains all of ${JSON.stringify(parts)}; got:\n${errs.join('\n')}`);
  for (const e of errs) assert.ok(e.startsWith(FILE + ': '), `message does not start with the file name: ${e}`);
  return errs;
}

test('the fixture and the real regmaps are valid', () => {
  assert.equal(validateRegmap(good(), FILE), []);
  for (const f of readdirSync('regmaps').filter((n) => n.endsWith('.json') && n !== 'schema.json')) {
    assert.equal(validateRegmap(JSON.parse(readFileSync(`regmaps/${f}`, 'utf8')), `regmaps/${f}`), [], f);
  }
});

// ---- schema errors: file + JSON path (with names) ---------------------------------------

test('schema: missing reset names the register by path and name', () => {
  const m = good();
  delete m.registers.list[1].reset;
  expectError(m, '/registers/list/1 (BASE)', 'missing required property "reset"');
});

test('schema: unknown access kind lists the allowed ones', () => {
  const m = good();
  m.registers.list[0].fields[0].access = 'RWX';
  expectError(m, '/registers/list/0 (CTRL)/fields/0 (EN)/access', 'must be one of', '"RW1C"');
});

test('schema: unknown property is named', () => {
  const m = good();
  m.registers.list[0].fields[1].bogus = true;
  expectError(m, '/registers/list/0 (CTRL)/fields/1 (MODE)', 'unknown property "bogus"');
});

test('schema: offset that is neither a number nor 0x-hex', () => {
  const m = good();
  m.registers.list[1].offset = '8';
  const errs = expectError(m, '/registers/list/1 (BASE)/offset', 'unsigned integer');
  assert.is(errs.length, 1, 'oneOf branch noise is folded into one message');
});

test('schema: malformed bit range syntax', () => {
  const m = good();
  m.registers.list[0].fields[1].bits = '2-1';
  expectError(m, '/registers/list/0 (CTRL)/fields/1 (MODE)/bits', 'bit range');
});

test('schema: lower-case register name', () => {
  const m = good();
  m.registers.list[0].name = 'ctrl';
  expectError(m, '/registers/list/0 (ctrl)/name', 'must match pattern');
});

test('schema: width other than 8/16/32/64', () => {
  const m = good();
  m.registers.list[0].width = 24;
  expectError(m, '/registers/list/0 (CTRL)/width', 'must be one of 8, 16, 32, 64');
});

test('schema: enum and enumRef together', () => {
  const m = good();
  m.registers.list[0].fields[1].enumRef = 'CODES';
  expectError(m, '/registers/list/0 (CTRL)/fields/1 (MODE)', 'both "enum" and "enumRef"');
});

test('schema: badly formed enum value name', () => {
  const m = good();
  m.registers.list[0].fields[1].enum = { off: 0 };
  const errs = expectError(m, '/registers/list/0 (CTRL)/fields/1 (MODE)/enum', 'badly formed name "off"');
  assert.is(errs.length, 1);
});

// ---- semantic errors ----------------------------------------------------------------------

test('overlapping fields within a register', () => {
  const m = good();
  m.registers.list[0].fields.push({ name: 'WIDE', bits: '1:0' });
  expectError(m, 'register CTRL field WIDE', 'overlaps field EN');
});

test('overlapping registers', () => {
  const m = good();
  m.registers.list.push({ name: 'OVER', offset: '0x0C', width: 32, access: 'RW', reset: 0, description: 'x' });
  expectError(m, 'register OVER', 'overlaps register BASE', '0xc');
});

test('array elements overlapping another register', () => {
  const m = good();
  m.registers.list[2].array.count = 5; // 0x10..0x20 now hits LAST
  m.registers.list.push({ name: 'LAST', offset: '0x20', width: 32, access: 'RW', reset: 0, description: 'x' });
  expectError(m, 'register', 'overlaps register', '0x20');
});

test('a field outside the register width', () => {
  const m = good();
  m.registers.list[0].fields.push({ name: 'HIGH', bits: '32' });
  expectError(m, 'register CTRL field HIGH', 'outside the 32-bit register');
});

test('a reset value that does not fit the width', () => {
  const m = good();
  m.registers.list[0].reset = '0x100000000';
  expectError(m, 'register CTRL', 'reset 0x100000000 does not fit in 32 bits');
});

test('a reset value setting bits no field holds', () => {
  const m = good();
  m.registers.list[0].reset = '0x81';
  expectError(m, 'register CTRL', 'sets reserved bits 0x80');
});

test('a reset value clearing a RES1 bit', () => {
  const m = good();
  m.registers.list[0].fields.push({ name: 'ONE', bits: '31', access: 'RES1' });
  expectError(m, 'register CTRL', 'clears RES1 bits 0x80000000');
});

test('an enum value that does not fit its field', () => {
  const m = good();
  m.registers.list[0].fields[1].enum.BIG = 4;
  expectError(m, 'register CTRL field MODE', 'enum value BIG=0x4 does not fit the 2-bit field');
});

test('an enumRef table with a value too wide for the field', () => {
  const m = good();
  m.registers.list[0].fields[2].bits = '9:8';
  m.constants[0].values.push({ name: 'C', value: 4 });
  expectError(m, 'register CTRL field CODE', 'C=0x4', 'constants table CODES', '2-bit field');
});

test('an enumRef naming no table', () => {
  const m = good();
  m.registers.list[0].fields[2].enumRef = 'NOPE';
  expectError(m, 'register CTRL field CODE', 'enumRef "NOPE"');
});

test('a constants value wider than the table width', () => {
  const m = good();
  m.constants[0].values.push({ name: 'WIDE', value: 8 });
  expectError(m, 'constants CODES value WIDE', 'does not fit in 3 bits');
});

test('duplicate register, field, structure, structure-field and constant names', () => {
  let m = good();
  m.registers.list.push({ ...m.registers.list[1], offset: '0x40' });
  expectError(m, 'register BASE', 'duplicate name');
  m = good();
  m.registers.list[0].fields.push({ name: 'EN', bits: '20' });
  expectError(m, 'register CTRL field EN', 'duplicate field name');
  m = good();
  m.structures.push({ ...m.structures[0] });
  expectError(m, 'structure ENT', 'duplicate name');
  m = good();
  m.structures[0].fields.push({ name: 'P', word: 0, bits: '5' });
  expectError(m, 'structure ENT field P', 'duplicate field name');
  m = good();
  m.constants[0].values.push({ name: 'A', value: 3 });
  expectError(m, 'constants CODES value A', 'duplicate name');
  m = good();
  m.constants[0].values.push({ name: 'C', value: 1 });
  expectError(m, 'constants CODES value C', 'already used by A');
});

test('a name shared by a register and a structure', () => {
  const m = good();
  m.structures[0].name = 'CTRL';
  expectError(m, 'structure CTRL', 'duplicate name (already used by a register)');
});

test('bad bit range: msb below lsb', () => {
  const m = good();
  m.registers.list[0].fields[1].bits = '1:2';
  expectError(m, 'register CTRL field MODE', 'bad bit range "1:2"');
  const s = good();
  s.structures[0].fields[0].bits = '3:7';
  expectError(s, 'structure ENT field P', 'bad bit range "3:7"');
});

test('structure fields outside the structure', () => {
  let m = good();
  m.structures[0].fields.push({ name: 'FAR', word: 2, bits: '0' });
  expectError(m, 'structure ENT field FAR', 'word 2 lies outside the 16-byte structure');
  m = good();
  m.structures[0].fields.push({ name: 'HIGH', word: 0, bits: '64' });
  expectError(m, 'structure ENT field HIGH', 'outside the 64-bit word');
  m = good();
  m.structures[0].size = 12;
  expectError(m, 'structure ENT', 'not a whole number of 64-bit words');
});

test('overlapping structure fields', () => {
  const m = good();
  m.structures[0].fields.push({ name: 'LOW', word: 1, bits: '13:0' });
  expectError(m, 'structure ENT field LOW', 'overlaps field PTR in word 1');
});

test('registers outside the window or misaligned', () => {
  let m = good();
  m.registers.list.push({ name: 'END', offset: '0x100', width: 32, access: 'RW', reset: 0, description: 'x' });
  expectError(m, 'register END', 'outside the 0x100-byte window');
  m = good();
  m.registers.list[1].offset = '0x0C';
  expectError(m, 'register BASE', 'not aligned to the register\'s 64-bit width');
  m = good();
  m.registers.list[2].array.stride = 2;
  expectError(m, 'register TAB', 'array stride 0x2');
});

test('generated names that would collide', () => {
  const m = good();
  m.registers.list[0].fields[1].enum = { OFF: 0, SHIFT: 1 };
  expectError(m, 'register CTRL field MODE value SHIFT', 'generated name DEMO_CTRL_MODE_SHIFT collides');
});

test('block id must match the file name', () => {
  const m = good();
  m.block = 'other';
  expectError(m, 'block', '"other" does not match the file name (expected "demo")');
});

test.run();

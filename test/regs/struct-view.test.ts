// StructView over in-memory structures. Expected byte images are computed by hand from the
// sheets' bit positions (smmuv3.md b.2/b.4/i.2, vtd.md 2.2/6.4), not from the regmap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StructView, structOf } from '../../src/regs/struct-view.ts';
import { smmuv3 } from '../../src/regs/generated/smmuv3.ts';
import { vtd } from '../../src/regs/generated/vtd.ts';

const le64 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(at, true);

test('Linux abort and bypass STEs (b.2: dw0 = 0x1 and 0x9)', () => {
  const ste = StructView.alloc(structOf(smmuv3, 'STE'));
  ste.set('V', 1).set('CONFIG', 0);
  assert.is(le64(ste.raw(), 0), 0x1n);
  ste.set('CONFIG', 4);
  assert.is(le64(ste.raw(), 0), 0x9n);
  assert.is(ste.raw().length, 64);
});

test('an S1 STE: S1ContextPtr, S1CDMax, S1DSS land at dw0[51:6], dw0[63:59], dw1[1:0]', () => {
  const ste = StructView.alloc(structOf(smmuv3, 'STE'));
  ste.set('V', 1).set('CONFIG', 5).set('S1CONTEXTPTR', 0x8_1234_5640n >> 6n).set('S1CDMAX', 3).set('S1DSS', 2).set('EATS', 1);
  assert.is(le64(ste.raw(), 0), (3n << 59n) | 0x8_1234_5640n | 0xbn);
  assert.is(le64(ste.raw(), 8), (1n << 28n) | 2n);
  assert.is(ste.get('CONFIG'), 5, 'narrow fields come back as numbers');
  assert.is(ste.get('S1CONTEXTPTR'), 0x8_1234_5640n >> 6n, 'fields wider than 32 bits come back as bigint');
  assert.is(ste.getNumber('S1CONTEXTPTR'), Number(0x8_1234_5640n >> 6n));
  assert.is(ste.toString(), 'STE V=1 CONFIG=S1_TRANS S1CONTEXTPTR=0x2048d159 S1CDMAX=3 S1DSS=SSID0 EATS=FULL');
});

test("QEMU qtest CD image (i.2): ASID 0x1E20, AA64, V, A, R, IPS=4, T0SZ=16, TG0=4K, EPD1", () => {
  const cd = StructView.alloc(structOf(smmuv3, 'CD'));
  cd.set('T0SZ', 16).set('TG0', 0).set('EPD1', 1).set('V', 1).set('IPS', 4).set('AA64', 1).set('R', 1).set('A', 1).set('ASID', 0x1e20);
  // Hand-computed: ASID<<48 | A(46) | R(45) | AA64(41) | IPS 4<<32 | V(31) | EPD1(30) | T0SZ 16.
  assert.is(cd.word(0), 0x1e20_6204_c000_0010n);
  cd.set('TTB0', 0x4000_0000n >> 4n);
  assert.is(le64(cd.raw(), 8), 0x4000_0000n, 'TTB0 at dw1[51:4]');
});

test('VT-d legacy context entry (2.2): P, TT=pass-through, SLPTPTR, AW=39-bit, DID', () => {
  const ce = StructView.alloc(structOf(vtd, 'CONTEXT_ENTRY'));
  ce.set('P', 1).set('TT', 2).set('SLPTPTR', 0x12345).set('AW', 1).set('DID', 7);
  assert.is(ce.word(0), 0x1234_5009n);
  assert.is(ce.word(1), 0x701n);
  assert.equal(ce.decode(), { P: 1, FPD: 0, TT: 2, SLPTPTR: 0x12345, AW: 1, AVAIL: 0, DID: 7 });
});

test('32-bit-word structure: remappable MSI address (6.4)', () => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(4, 0xfee0_0018 | (5 << 5), true); // IF, SHV, HANDLE 5
  const a = new StructView(structOf(vtd, 'IR_MSI_ADDR'), bytes, 4);
  assert.is(a.get('FEE'), 0xfee);
  assert.is(a.get('IF'), 1);
  assert.is(a.get('SHV'), 1);
  assert.is(a.get('HANDLE_LO'), 5);
  assert.is(a.get('HANDLE_HI'), 0);
});

test('set keeps the other bits; rebind walks a table', () => {
  const table = new Uint8Array(16 * 4);
  const re = new StructView(structOf(vtd, 'ROOT_ENTRY'), table);
  for (let bus = 0; bus < 4; bus++) re.rebind(table, bus * 16).set('P', 1).set('CTP', 0x1000 + bus);
  re.rebind(table, 2 * 16);
  assert.is(re.word(0), ((0x1000n + 2n) << 12n) | 1n);
  re.set('P', 0);
  assert.is(re.get('CTP'), 0x1002n, 'clearing P leaves CTP (52 bits, a bigint)');
});

test('errors name the structure and field', () => {
  const ste = StructView.alloc(structOf(smmuv3, 'STE'));
  assert.throws(() => ste.set('CONFIG', 8), /STE\.CONFIG: 8 does not fit in 3 bits/);
  assert.throws(() => ste.set('CONFIG', -1), /STE\.CONFIG: -1 does not fit/);
  assert.throws(() => ste.get('CONFG'), /STE has no field "CONFG"\. Did you mean: CONFIG/);
  assert.throws(() => ste.word(8), /STE: word 8 is outside the 64-byte structure/);
  assert.throws(() => new StructView(structOf(smmuv3, 'STE'), new Uint8Array(100), 40), /STE: 64 bytes at offset 40 do not fit in a buffer of 100 bytes/);
  assert.throws(() => structOf(smmuv3, 'CDX'), /no structure "CDX" in smmuv3\. Did you mean: CD/);
  const ev = StructView.alloc(structOf(smmuv3, 'EVT_FAULT'));
  assert.throws(() => ev.getNumber('INPUT_ADDR'), /EVT_FAULT\.INPUT_ADDR is 64 bits wide: use getBigInt/);
  ev.set('INPUT_ADDR', 0xffff_ffff_ffff_f000n);
  assert.is(ev.getBigInt('INPUT_ADDR'), 0xffff_ffff_ffff_f000n);
});

test.run();

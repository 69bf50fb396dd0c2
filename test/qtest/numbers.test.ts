import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseI64, parseInt32, parseSizeMiB, parseU64 } from '../../src/qtest/numbers.ts';

test('parseU64: base 0 like strtoull (hex, octal, decimal, sign, leading space)', () => {
  assert.is(parseU64('0x10'), 16n);
  assert.is(parseU64('0X1f'), 31n);
  assert.is(parseU64('010'), 8n);
  assert.is(parseU64('0'), 0n);
  assert.is(parseU64('4096'), 4096n);
  assert.is(parseU64('+7'), 7n);
  assert.is(parseU64('-1'), 0xffffffffffffffffn);
  assert.is(parseU64('-0x10'), 0xfffffffffffffff0n);
  assert.is(parseU64(' \t12'), 12n);
  assert.is(parseU64('0xffffffffffffffff'), 0xffffffffffffffffn);
});

test('parseU64: what qemu_strtou64 rejects', () => {
  for (const bad of ['', ' ', 'zz', '0x', '0xg', '12abc', '08', '1 ', '0x1ffffffffffffffff', '18446744073709551616', '-', '--1', '1\r']) {
    assert.is(parseU64(bad), null, JSON.stringify(bad));
  }
});

test('parseI64: signed 64-bit range', () => {
  assert.is(parseI64('-5'), -5n);
  assert.is(parseI64('0x7fffffffffffffff'), (1n << 63n) - 1n);
  assert.is(parseI64('-0x8000000000000000'), -(1n << 63n));
  assert.is(parseI64('0x8000000000000000'), null);
  assert.is(parseI64('-0x8000000000000001'), null);
  assert.is(parseI64('x'), null);
});

test('parseInt32: C int range', () => {
  assert.is(parseInt32('0x7fffffff'), 0x7fffffff);
  assert.is(parseInt32('-2147483648'), -2147483648);
  assert.is(parseInt32('2147483648'), null);
  assert.is(parseInt32('1.5'), null);
});

test('parseSizeMiB: QEMU -m rules (default unit MiB, suffixes, fractions)', () => {
  const MiB = 1n << 20n;
  assert.is(parseSizeMiB('128'), 128n * MiB);
  assert.is(parseSizeMiB('256M'), 256n * MiB);
  assert.is(parseSizeMiB('1g'), 1024n * MiB);
  assert.is(parseSizeMiB('1.5G'), 1536n * MiB);
  assert.is(parseSizeMiB('128k'), 128n * 1024n);
  assert.is(parseSizeMiB('64B'), 64n);
  assert.is(parseSizeMiB('2T'), 2n << 40n);
  assert.is(parseSizeMiB('0x10'), 16n * MiB);
  assert.is(parseSizeMiB('0'), 0n);
  for (const bad of ['foo', '', '1.5B', '0x1.5M', '12Q', '-1', '16E', '1 G']) assert.is(parseSizeMiB(bad), null, bad);
});

test.run();

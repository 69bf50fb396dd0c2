// QEMU's memory core cuts an access into pieces by the region's valid max size and the
// alignment of the offset (memory_access_size), and rejects pieces below the minimum size
// (memory_region_access_valid: read 0, write dropped).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { qemuRegionHandler } from '../../src/bridge/qemu-access.ts';

function device(minSize: number, maxSize: number) {
  const log: string[] = [];
  const h = qemuRegionHandler({
    minSize, maxSize,
    read: (off, size) => (log.push(`r${size}@${off}`), 0x10 + off),
    write: (off, size, v) => void log.push(`w${size}@${off}=${v.toString(16)}`),
    read64: (off) => (log.push(`r8@${off}`), 0x1122334455667788n),
    write64: (off, v) => void log.push(`w8@${off}=${v.toString(16)}`),
    rejected: (op, off, size) => void log.push(`x${op[0]}${size}@${off}`),
  });
  return { h, log };
}

test('an 8-byte access at a 4-aligned offset becomes two 4-byte pieces (edu writeq at +4)', () => {
  const { h, log } = device(4, 8);
  h.write64!(4, 0xaabbccdd11223344n);
  assert.equal(log, ['w4@4=11223344', 'w4@8=aabbccdd']);
});

test('accesses below the minimum size are rejected: read 0, write dropped', () => {
  const { h, log } = device(4, 8);
  assert.is(h.read(0, 1), 0);
  h.write(2, 2, 0xffff);
  assert.equal(log, ['xr1@0', 'xw2@2']);
});

test('an access above the maximum size is split into maximum-size pieces, little-endian', () => {
  const { h, log } = device(1, 2);
  assert.is(h.read(0, 4), (0x12 << 16) | 0x10);
  assert.equal(log, ['r2@0', 'r2@2']);
});

test('a misaligned access splits at the alignment of its offset', () => {
  const { h, log } = device(1, 4);
  h.write(1, 4, 0x44332211);
  assert.equal(log, ['w1@1=11', 'w2@2=3322', 'w1@4=44']);
});

test('bad size limits are an API error', () => {
  assert.throws(() => qemuRegionHandler({ minSize: 8, maxSize: 4, read: () => 0, write: () => {} }), /min <= max/);
  assert.throws(() => qemuRegionHandler({ minSize: 4, maxSize: 8, read: () => 0, write: () => {} }), /needs read64 and write64/);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressSpace } from '../../src/bridge/address-space.ts';
import { CallbackRam, WasmRam } from '../../src/bridge/guest-ram.ts';
import { Core } from '../../src/core/core.ts';
import { MemTx, type MmioHandler, type TraceEvent } from '../../src/bridge/types.ts';

/** A register window that logs each access it receives, answering reads with offset-derived data. */
function recorder() {
  const log: string[] = [];
  const h: MmioHandler = {
    read(off, size) {
      log.push(`r${size}@${off}`);
      return (0x11223344 + off) >>> 0 & (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
    },
    write(off, size, v) {
      log.push(`w${size}@${off}=${v.toString(16)}`);
    },
  };
  return { h, log };
}

test('MMIO dispatch delivers 1, 2 and 4 byte accesses with the region offset', () => {
  const as = new AddressSpace({ name: 'mem' });
  const { h, log } = recorder();
  as.mapMmio(0x1000, { name: 'dev', size: 0x100, handler: h });
  assert.is(as.read(0x1010, 1), 0x54);
  assert.is(as.read(0x1010, 2), 0x3354);
  assert.is(as.read(0x1010, 4), 0x11223354);
  as.write(0x1020, 1, 0x1ab); // truncated to the access size
  as.write(0x1020, 2, 0x1abcd);
  as.write(0x1020, 4, 0xdeadbeef);
  assert.equal(log, ['r1@16', 'r2@16', 'r4@16', 'w1@32=ab', 'w2@32=abcd', 'w4@32=deadbeef']);
});

test('8-byte accesses split into two 4-byte halves, low first, when the device has no 64-bit handler', () => {
  const as = new AddressSpace({ name: 'mem' });
  const { h, log } = recorder();
  as.mapMmio(0x1000, { name: 'dev', size: 0x100, handler: h });
  assert.is(as.read64(0x1008), (BigInt(0x11223344 + 12) << 32n) | BigInt(0x11223344 + 8));
  as.write64(0x1008, 0x0123456789abcdefn);
  assert.equal(log, ['r4@8', 'r4@12', 'w4@8=89abcdef', 'w4@12=1234567']);
});

test('8-byte accesses use read64/write64 when the device implements them', () => {
  const as = new AddressSpace({ name: 'mem' });
  let written = 0n;
  as.mapMmio(0x0, {
    name: 'dev64', size: 0x10, validSizes: 4 | 8,
    handler: { read: () => 0, write: () => {}, read64: () => 0xfedcba9876543210n, write64: (_o, v) => { written = v; } },
  });
  assert.is(as.read64(0x8), 0xfedcba9876543210n);
  as.write64(0x8, -1n); // taken modulo 2^64
  assert.is(written, 0xffffffffffffffffn);
});

test('sizes a device does not decode read as zero, writes are dropped, and both are traced', () => {
  const events: TraceEvent[] = [];
  const as = new AddressSpace({ name: 'mem', trace: (e) => events.push(e) });
  const { h, log } = recorder();
  as.mapMmio(0x2000, { name: 'smmu-like', size: 0x100, handler: h, validSizes: 4 | 8 });
  assert.is(as.read(0x2000, 1), 0);
  assert.is(as.read(0x2000, 2), 0);
  as.write(0x2000, 1, 0xff);
  assert.equal(log, []);
  assert.is(events.length, 3);
  assert.is(events[0]!.kind, 'mmio-invalid-access');
  assert.is(events[2]!.op, 'write');
});

test('unaligned MMIO accesses are rejected unless the region accepts them', () => {
  const as = new AddressSpace({ name: 'mem' });
  const a = recorder();
  const b = recorder();
  as.mapMmio(0x0, { name: 'strict', size: 0x100, handler: a.h });
  as.mapMmio(0x100, { name: 'lenient', size: 0x100, handler: b.h, unaligned: true });
  assert.is(as.read(0x2, 4), 0);
  assert.equal(a.log, []);
  as.read(0x102, 4);
  assert.equal(b.log, ['r4@2']);
});

test('unmapped reads are all-ones (master abort) by default, zero when configured; writes are dropped and traced', () => {
  const events: TraceEvent[] = [];
  const ones = new AddressSpace({ name: 'io', size: 0x10000, trace: (e) => events.push(e) });
  assert.is(ones.read(0x80, 1), 0xff);
  assert.is(ones.read(0x80, 2), 0xffff);
  assert.is(ones.read(0x80, 4), 0xffffffff);
  assert.is(ones.read64(0x80), 0xffffffffffffffffn);
  ones.write(0x80, 4, 1);
  assert.ok(events.some((e) => e.kind === 'unmapped-access' && e.op === 'write' && e.addr === 0x80));
  const zero = new AddressSpace({ name: 'mem', unmappedRead: 'zero' });
  assert.is(zero.read(0xe0000000, 4), 0);
  assert.is(zero.read64(0x100000000), 0n);
});

test('an access straddling RAM and a hole reads RAM bytes and unmapped bytes', () => {
  const core = new Core();
  const ram = new WasmRam(core, 0x1000);
  const as = new AddressSpace({ name: 'mem' });
  as.mapRam(0, ram);
  ram.view().set([0x11, 0x22], 0xffe);
  assert.is(as.read(0xffe, 4), 0xffff2211);
  as.write(0xffe, 4, 0xaabbccdd); // the RAM part lands, the rest is dropped
  assert.equal([...ram.view().subarray(0xffe)], [0xdd, 0xcc]);
});

test('RAM reads and writes are little-endian at every size and visible in the Uint8Array view', () => {
  const core = new Core();
  const ram = new WasmRam(core, 0x10000);
  const as = new AddressSpace({ name: 'mem' });
  as.mapRam(0x40000000, ram);
  as.write(0x40000000, 4, 0x12345678);
  assert.equal([...ram.view().subarray(0, 4)], [0x78, 0x56, 0x34, 0x12]);
  assert.is(as.read(0x40000001, 2), 0x3456); // unaligned RAM access is fine
  as.write64(0x40000008, 0x1122334455667788n);
  assert.is(as.read64(0x40000008), 0x1122334455667788n);
  assert.is(as.read(0x4000000c, 4), 0x11223344);
  ram.view()[0x20] = 0x5a;
  assert.is(as.read(0x40000020, 1), 0x5a);
});

test('RAM in the core is reachable by the wasm side at the same bytes (ram_translate)', () => {
  const core = new Core();
  const ram = new WasmRam(core, 0x20000);
  core.exports.ram_map(0x40000000, ram.size, ram.coreOffset);
  ram.view().set([1, 2, 3, 4, 5, 6, 7, 8], 0x100);
  const off = core.exports.ram_translate(0x40000100, 8);
  assert.is(off, ram.coreOffset + 0x100);
  assert.is(core.exports.ram_read64_lo(0x40000100) >>> 0, 0x04030201);
  assert.is(core.exports.ram_hi() >>> 0, 0x08070605);
  assert.is(core.exports.ram_translate(0x40020000 - 4, 8), -1); // crosses the end of RAM
  assert.is(core.exports.ram_translate(0x3fffffff, 1), -1);
});

test('callback RAM reaches embedder memory through its callbacks', () => {
  const backing = new Uint8Array(0x100);
  const calls: string[] = [];
  const ram = new CallbackRam(0x100, {
    read: (off, dst) => { calls.push(`r${off}+${dst.length}`); dst.set(backing.subarray(off, off + dst.length)); },
    write: (off, src) => { calls.push(`w${off}+${src.length}`); backing.set(src, off); },
  });
  const as = new AddressSpace({ name: 'mem' });
  as.mapRam(0x8000, ram);
  as.write(0x8010, 4, 0xcafef00d);
  assert.is(as.read(0x8010, 4), 0xcafef00d);
  assert.equal([...backing.subarray(0x10, 0x14)], [0x0d, 0xf0, 0xfe, 0xca]);
  assert.equal(calls, ['w16+4', 'r16+4']);
  assert.throws(() => ram.view(), /live in the embedder/);
});

test('bulk reads and writes cross RAM, MMIO and holes', () => {
  const core = new Core();
  const ram = new WasmRam(core, 0x1000);
  const as = new AddressSpace({ name: 'mem', unmappedRead: 'zero' });
  as.mapRam(0, ram);
  const { h, log } = recorder();
  as.mapMmio(0x2000, { name: 'dev', size: 0x10, handler: h, validSizes: 4 });
  const src = new Uint8Array(16).map((_, i) => i + 1);
  assert.is(as.writeBytes(0xff8, src), MemTx.DECODE_ERROR); // 8 bytes land in RAM, 8 fall in the hole
  assert.equal([...ram.view().subarray(0xff8)], [1, 2, 3, 4, 5, 6, 7, 8]);
  const dst = new Uint8Array(8);
  assert.is(as.readBytes(0x2000, dst), MemTx.OK);
  assert.equal(log, ['r4@0', 'r4@4']); // the device sees its own access size
  assert.equal([...dst], [0x44, 0x33, 0x22, 0x11, 0x48, 0x33, 0x22, 0x11]);
  assert.is(as.fill(0x10, 4, 0xab), MemTx.OK);
  assert.is(as.read(0x10, 4), 0xabababab);
});

test('overlapping mappings: higher priority wins, then the later one; disabling and moving re-expose what is below', () => {
  const as = new AddressSpace({ name: 'mem' });
  const low = recorder();
  const high = recorder();
  as.mapMmio(0x0, { name: 'low', size: 0x1000, handler: low.h });
  const bar = as.mapMmio(0x800, { name: 'high', size: 0x100, handler: high.h }, 1);
  as.read(0x800, 4);
  as.read(0x900, 4);
  assert.equal(high.log, ['r4@0']);
  assert.equal(low.log, ['r4@2304']);
  bar.setEnabled(false);
  as.read(0x800, 4);
  assert.equal(low.log.at(-1), 'r4@2048');
  bar.setEnabled(true);
  bar.move(0x400);
  as.read(0x400, 4);
  as.read(0x800, 4);
  assert.equal(high.log.at(-1), 'r4@0');
  assert.equal(low.log.at(-1), 'r4@2048');
  bar.unmap();
  as.read(0x400, 4);
  assert.equal(low.log.at(-1), 'r4@1024');
});

test('API misuse gets a clear error', () => {
  const as = new AddressSpace({ name: 'mem', size: 0x10000 });
  assert.throws(() => as.mapMmio(0xff00, { name: 'big', size: 0x200, handler: recorder().h }), /"big" at 0xff00 size 0x200 does not fit/);
  assert.throws(() => as.mapMmio(0, { name: 'x', size: 4, handler: recorder().h, validSizes: 16 }), /validSizes/);
  assert.throws(() => as.mapMmio(0, { name: 'x', size: 4, handler: {} as MmioHandler }), /handler must implement/);
  const core = new Core();
  assert.throws(() => as.mapRam(0, new WasmRam(core, 0x100), 0x80, 0x100), /outside the RAM block/);
});

test.run();

// edu's dma_mask on q35, and the board's trace events. QEMU 7.2 facts, observed by running
// -machine q35 -m 512M -device edu,addr=04.0 under qtest: with the default 28-bit mask a DMA
// from 0x10010000 reads RAM at 0x10000 and a DMA to 0x10020000 writes RAM at 0x20000 (QEMU
// prints "EDU: clamping DMA 0x0000000010020000 to 0x0000000000020000!" on stdout, which breaks
// the qtest stream, so this is not a fixture). The 32-bit mask case is q35-edu-dma-mask.txt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMachine } from '../../src/platform/machines/index.ts';
import type { TraceEvent } from '../../src/bridge/types.ts';

const BAR = 0xfe000000;
const CONFIG_ADDRESS = 0xcf8;
const CONFIG_DATA = 0xcfc;

function q35WithEdu(props: Record<string, string>) {
  const m = createMachine({ machine: 'q35', memoryBytes: 512 * 1024 * 1024, devices: [{ driver: 'edu', props: { addr: '04.0', ...props } }] });
  m.io!.write(CONFIG_ADDRESS, 4, 0x80002010);
  m.io!.write(CONFIG_DATA, 4, BAR);
  m.io!.write(CONFIG_ADDRESS, 4, 0x80002004);
  m.io!.write(CONFIG_DATA, 2, 0x6);
  return m;
}

/** edu DMA of 8 bytes (registers 0x80 src, 0x88 dst, 0x90 count, 0x98 command), then 100 ms. */
function dma(m: ReturnType<typeof q35WithEdu>, src: number, dst: number, toRam: boolean) {
  m.memory.write64(BAR + 0x80, BigInt(src));
  m.memory.write64(BAR + 0x88, BigInt(dst));
  m.memory.write64(BAR + 0x90, 8n);
  m.memory.write64(BAR + 0x98, toRam ? 3n : 1n);
  m.clockStep(100_000_000);
}

test('default dma_mask (28 bits) clamps RAM addresses both ways, as QEMU 7.2 does', () => {
  const m = q35WithEdu({});
  const events: TraceEvent[] = [];
  m.onTrace((e) => events.push(e));
  m.memory.write64(0x10000, 0x1111111111111111n);
  m.memory.write64(0x10010000, 0x2222222222222222n);
  dma(m, 0x10010000, 0x40000, false);
  dma(m, 0x40000, 0x10020000, true);
  assert.is(m.memory.read64(0x20000), 0x1111111111111111n);
  assert.is(m.memory.read64(0x10020000), 0n);
  // QEMU's printf becomes a trace event here.
  assert.ok(events.some((e) => e.kind === 'guest-error' && (e as { what?: string }).what === 'edu-dma-clamp'));
});

test('dma_mask=-1 wraps to 2^64-1 (QEMU accepts it) and clamps nothing', () => {
  const m = q35WithEdu({ dma_mask: '-1' });
  m.memory.write64(0x10010000, 0x3333333333333333n);
  dma(m, 0x10010000, 0x40000, false);
  dma(m, 0x40000, 0x10030000, true);
  assert.is(m.memory.read64(0x10030000), 0x3333333333333333n);
});

test('trace: unmapped memory and port accesses, and the RST_CNT reset request', () => {
  const m = createMachine({ machine: 'q35' });
  const events: TraceEvent[] = [];
  const off = m.onTrace((e) => events.push(e));
  assert.is(m.memory.read(0x20000000, 4), 0, 'a hole reads 0');
  assert.is(m.io!.read(0x80, 1), 0xff, 'an unclaimed port reads all ones');
  m.io!.write(0xcf9, 1, 0x6);
  const kinds = events.map((e) => `${e.kind}:${e.source}`);
  assert.ok(kinds.includes('unmapped-access:memory'), kinds.join());
  assert.ok(kinds.includes('unmapped-access:io'), kinds.join());
  assert.ok(kinds.includes('system-reset-request:ich9-rst-cnt'), kinds.join());
  off();
  events.length = 0;
  m.memory.read(0x20000000, 4);
  assert.is(events.length, 0, 'no events after the hook is removed');
});

test.run();

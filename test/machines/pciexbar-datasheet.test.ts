// MCH PCIEXBAR decoding per the Intel 3 Series chipset datasheet: enable bit 0, length in
// bits 2:1 (256/128/64 MiB = 256/128/64 buses), base bits 35:28, plus bit 27 at 128 MiB,
// plus bits 27:26 at 64 MiB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMachine } from '../../src/platform/machines/index.ts';

const HOST_BRIDGE_ID = 0x29c08086;
const MIB = 0x100000;

function withPciexbar(value: number) {
  const m = createMachine({ machine: 'q35' });
  m.io!.write(0xcf8, 4, 0x80000060);
  m.io!.write(0xcfc, 4, value);
  return m;
}

for (const [value, base, buses] of [
  [0xe0000001, 0xe0000000, 256],
  [0xbc000003, 0xb8000000, 128], // bit 26 is not part of a 128 MiB base
  [0xbc000005, 0xbc000000, 64],
  [0xb2000005, 0xb0000000, 64], // bit 25 is not part of any base
  [0xb6000003, 0xb0000000, 128],
] as const) {
  test(`PCIEXBAR ${value.toString(16)}: ECAM at ${base.toString(16)} for ${buses} buses`, () => {
    const m = withPciexbar(value);
    assert.is(m.memory.read(base, 4), HOST_BRIDGE_ID); // bus 0, 00.0
    assert.is(m.memory.read(base + MIB, 4), 0xffffffff); // bus 1: nothing there, master abort
    assert.is(m.memory.read(base + (buses - 1) * MIB, 4), 0xffffffff); // last bus still decoded
    assert.is(m.memory.read(base + buses * MIB, 4), 0); // past the window: a hole
  });
}

test('with the enable bit clear nothing decodes; the reserved length 3 keeps the previous window', () => {
  const m = withPciexbar(0xe0000000);
  assert.is(m.memory.read(0xe0000000, 4), 0);
  m.io!.write(0xcfc, 4, 0xe0000001);
  m.io!.write(0xcfc, 4, 0xd0000007);
  assert.is(m.memory.read(0xe0000000, 4), HOST_BRIDGE_ID);
  assert.is(m.memory.read(0xd0000000, 4), 0);
});

test.run();

// q35 sessions recorded on QEMU 7.2 (test/qtest/fixtures/q35-*.txt, see the README there)
// replay byte for byte: RAM split, PCIEXBAR/ECAM, RST_CNT, ICH9 config space, INTx routing,
// automatic slots and edu's dma_mask.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replayFixtureFile } from '../qtest/replay.ts';
import { createMachine } from '../../src/platform/machines/index.ts';

const FIXTURES = [
  'q35-ram-128m', 'q35-ram-2815m', 'q35-ram-2816m', 'q35-ram-3g',
  'q35-rst-cnt', 'q35-rst-cnt-reset',
  'q35-ich9-bars', 'q35-config-space', 'q35-config-wmask',
  'q35-intx', 'q35-edu-slots', 'q35-edu-dma-mask',
];

for (const name of FIXTURES) {
  test(`${name}.txt replays exactly as QEMU 7.2 answered`, () => {
    const r = replayFixtureFile(new URL(`../qtest/fixtures/${name}.txt`, import.meta.url), createMachine);
    assert.ok(r.requests > 0, 'the fixture has requests');
    assert.is(r.report, '');
  });
}

// QEMU 7.2 decodes 128/64 MiB PCIEXBAR bases with masks one bit too low (bits 26:25 / 25
// instead of the datasheet's 27 / 27:26). We follow the datasheet, so these two recordings
// differ from us exactly at the reads that follow a non-256 MiB programming whose base has
// bit 27/26 set (or 26/25 set) and nowhere else; each listed reply is the datasheet's answer.
const PCIEXBAR_DEVIATIONS: Record<string, Array<[number, string]>> = {
  'q35-pciexbar': [
    [90, 'OK 0x0000000029c08086'], [92, 'OK 0x0000000000000000'], // 0xbc000005: 64 MiB at 0xbc000000
    [98, 'OK 0x0000000029c08086'], [100, 'OK 0x00000000ffffffff'], // 0xbc000003: 128 MiB at 0xb8000000
  ],
  'q35-pciexbar-masks': [
    [13, 'OK 0x0000000000000000'], [15, 'OK 0x0000000029c08086'], [17, 'OK 0x00000000ffffffff'], // 0xbc000003 -> 0xb8000000
    [21, 'OK 0x0000000000000000'], [23, 'OK 0x0000000000000000'], [25, 'OK 0x0000000000000000'], [27, 'OK 0x0000000029c08086'], [29, 'OK 0x00000000ffffffff'], // 0xb8000003 -> 0xb8000000
    [33, 'OK 0x0000000029c08086'], [35, 'OK 0x00000000ffffffff'], [39, 'OK 0x0000000000000000'], // 0xb2000003 -> 0xb0000000
    [45, 'OK 0x0000000000000000'], [47, 'OK 0x0000000000000000'], [53, 'OK 0x0000000029c08086'], // 64 MiB cases
    [57, 'OK 0x0000000029c08086'], [59, 'OK 0x00000000ffffffff'], [61, 'OK 0x0000000000000000'],
    [69, 'OK 0x0000000029c08086'], [71, 'OK 0x00000000ffffffff'], [73, 'OK 0x0000000000000000'],
  ],
};

for (const [name, deviations] of Object.entries(PCIEXBAR_DEVIATIONS)) {
  test(`${name}.txt matches QEMU 7.2 except where QEMU's PCIEXBAR masks deviate from the datasheet`, () => {
    const r = replayFixtureFile(new URL(`../qtest/fixtures/${name}.txt`, import.meta.url), createMachine);
    assert.equal(r.mismatches.map((m) => [m.line, m.actual.join('|')]), deviations);
  });
}

test.run();

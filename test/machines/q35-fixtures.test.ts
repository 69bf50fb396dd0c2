// q35 sessions recorded on QEMU 7.2 (test/qtest/fixtures/q35-*.txt, see the README there)
// replay byte for byte: RAM split, PCIEXBAR/ECAM, RST_CNT, ICH9 config space, INTx routing,
// automatic slots and edu's dma_mask.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replayFixtureFile } from '../qtest/replay.ts';
import { createMachine } from '../../src/platform/machines/index.ts';

const FIXTURES = [
  'q35-ram-128m', 'q35-ram-2815m', 'q35-ram-2816m', 'q35-ram-3g',
  'q35-pciexbar', 'q35-pciexbar-masks',
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

test.run();

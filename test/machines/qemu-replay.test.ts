// The machines answer recorded QEMU 7.2 qtest sessions byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replayFixtureFile } from '../qtest/replay.ts';
import { createMachine } from '../../src/platform/machines/index.ts';

for (const name of ['q35-basic', 'q35-pci', 'q35-edu', 'q35-edu-irq', 'q35-edu-default', 'virt-basic']) {
  test(`${name}.txt replays exactly as QEMU 7.2 answered`, () => {
    const r = replayFixtureFile(new URL(`../qtest/fixtures/${name}.txt`, import.meta.url), createMachine);
    assert.ok(r.requests > 0, 'the fixture has requests');
    assert.is(r.report, '');
  });
}

test.run();

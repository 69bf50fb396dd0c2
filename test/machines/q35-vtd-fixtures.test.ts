// q35 + intel-iommu sessions recorded on QEMU 7.2 (test/qtest/fixtures/q35-*vtd*.txt and
// q35-intel-iommu.txt) replayed against the model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replayFixtureFile } from '../qtest/replay.ts';
import { createMachine } from '../../src/platform/machines/index.ts';

test('q35-intel-iommu.txt (VT-d reset values at 0xfed90000) replays exactly as QEMU 7.2 answered', () => {
  const r = replayFixtureFile(new URL('../qtest/fixtures/q35-intel-iommu.txt', import.meta.url), createMachine);
  assert.ok(r.requests >= 10);
  assert.is(r.report, '');
});

test.run();

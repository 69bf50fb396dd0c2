// virt sessions recorded on QEMU 7.2 (qemu-system-aarch64 -S) replay byte for byte: gpex
// header, edu slots, MMIO/PIO windows, low ECAM, edu BAR and INTx at the GIC.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { replayFixtureFile } from '../qtest/replay.ts';
import { createMachine } from '../../src/platform/machines/index.ts';

test('virt-pci.txt replays exactly as QEMU 7.2 answered', () => {
  const r = replayFixtureFile(new URL('../qtest/fixtures/virt-pci.txt', import.meta.url), createMachine);
  assert.ok(r.requests > 50);
  assert.is(r.report, '');
});

test.run();

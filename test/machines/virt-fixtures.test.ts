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


test('virt-smmuv3.txt (SMMUv3 reset values) replays exactly as QEMU 7.2 answered', () => {
  const r = replayFixtureFile(new URL('../qtest/fixtures/virt-smmuv3.txt', import.meta.url), createMachine);
  assert.is(r.report, '');
});

// The SMMUv3 + edu scenario: the same data moved through the SMMU, the same stale translation
// until TLBI_NH_VA + CMD_SYNC, the same event queue pointers and record words, except one
// deliberate deviation: for a stage-1 fault the spec says CLASS = IN (IHI 0070 7.3.13: "If
// fault occurs at stage 1, S2 == 0 and CLASS == IN"), while QEMU 7.2 leaves CLASS = 0 (CD).
// Those are exactly the dw1 words of the two records (bit 41 set in ours).
test('virt-smmuv3-edu.txt: SMMUv3 stage-1 DMA scenario replays as QEMU 7.2, except CLASS = IN in fault records', () => {
  const r = replayFixtureFile(new URL('../qtest/fixtures/virt-smmuv3-edu.txt', import.meta.url), createMachine);
  assert.ok(r.requests > 80);
  assert.equal(r.mismatches.map((m) => [m.line, m.actual.join('|')]), [
    [137, 'OK 0x0000020000000000'], // F_PERMISSION dw1: QEMU 0x0 (RnW = 0, CLASS = 0)
    [158, 'OK 0x0000020800000000'], // F_TRANSLATION dw1: QEMU 0x0000000800000000 (RnW = 1, CLASS = 0)
  ]);
});

test.run();

// The VT-d part of `npm start` runs and shows what its comments promise: the message moved by
// edu through the unit, the two faults with their legacy reasons, the fault MSIs, the stale
// translation before the page-selective invalidation and the fault after it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runVtdDemo } from '../../src/cli/demo-vtd.ts';

test('runVtdDemo: DMA through VT-d, decoded faults, stale IOTLB until invalidated', () => {
  const lines: string[] = [];
  runVtdDemo((l) => lines.push(l));
  const text = lines.join('\n');
  assert.match(text, /after device -> iova 0x100800: "translated by the VT-d model"/);
  assert.match(text, /reason 0x05, SID 0x0020, address 0x00200000, write/);
  assert.match(text, /reason 0x06, SID 0x0020, address 0x00300000, read/);
  assert.match(text, /fault-event MSIs: 0xfee00000 <- 0x4021, 0xfee00000 <- 0x4021/);
  assert.match(text, /still lands at 0x2000000 \(FSTS 0x00000000\)/);
  assert.match(text, /the same DMA faults \(FSTS 0x00000002\)/);
});

test.run();

// The kernel part of `npm start` runs end to end and shows what it claims: DMA through the
// default domain on both drivers, the decoded faults, the claim/release, and the RMRR refusal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runKernelDemo } from '../../src/cli/demo-kernel.ts';

test('kernel demo: both drivers, DMA API data, decoded faults, ownership, RESV_DIRECT refusal', () => {
  const lines: string[] = [];
  runKernelDemo((l) => lines.push(l));
  const text = lines.join('\n');
  assert.is((text.match(/copied via edu: "through the kernel DMA API"/g) ?? []).length, 2);
  assert.match(text, /arm-smmu-v3: event F_TRANSLATION sid 0x8 .* write class IN/);
  assert.match(text, /\[fault reason 0x05\] PTE Write access is not set/);
  assert.match(text, /\[fault reason 0x02\] Present bit in context entry is clear/);
  assert.is((text.match(/released: back on the DMA default domain/g) ?? []).length, 2);
  assert.match(text, /claim_dma_owner refused: .*-EINVAL/);
});

test.run();

// Snapshot/restore of a unit: registers, the latched root (and its mode), the latched IRTA, the
// next fault record and the IOTLB survive a JSON round trip; caches refill from memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/vtd.ts';
import { DATA, sid, vtdFixture } from './fixture.ts';

const S = sid(0, 4, 0);

test('a restored unit translates through the latched root, keeps its IOTLB entries, fault log position and IRTA', () => {
  const a = vtdFixture({ features: { faultRecords: 2 } });
  const top = a.newTable();
  const leaf = a.map(top, 0x1000, DATA);
  a.contextEntry(S, { SLPTPTR: top >> 12 }, { DID: 4 });
  a.bringUp();
  a.w64(R.VTD_IRTA, 0x30_000fn);
  a.w32(R.VTD_GCMD, (R.VTD_GCMD_TE_MASK | R.VTD_GCMD_SIRTP_MASK) >>> 0);
  assert.ok(a.dma(S, 0x1000).ok); // IOTLB entry for DID 4
  a.dma(S, 0x9000); // record 0
  a.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  a.put64(leaf, 0n); // unmapped in memory, still cached
  a.w64(R.VTD_RTADDR, 0n); // RTADDR changed but not latched
  const snap = JSON.parse(JSON.stringify(a.vtd.snapshot()));

  const b = vtdFixture({ features: { faultRecords: 2 } });
  b.ram.view().set(a.ram.view());
  b.vtd.restore(snap);
  assert.is(b.r32(R.VTD_GSTS), a.r32(R.VTD_GSTS));
  assert.is(b.vtd.latchedIrta, 0x30_000fn);
  const r = b.dma(S, 0x1000);
  assert.is(r.ok && r.pa, DATA, 'the IOTLB entry came along (memory says unmapped)');
  b.dma(S, 0x9000);
  assert.is(b.frcd(1).lo, 0x9000n, 'the next fault goes to record 1');
  assert.throws(() => b.vtd.restore({ ...snap, type: 'smmuv3' }), /expected a vtd snapshot/);
});

test.run();

// Primary fault logging (vtd.md 1.9, 1.10, 5.4): what a fault record holds, PPF/FRI, the fault
// event MSI and its IM/IP protocol, overflow (PFO), round-robin records, FPD suppression.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/vtd.ts';
import { DATA, sid, vtdFixture } from './fixture.ts';

const S = sid(0, 4, 0);
const F_CLEAR = Number(R.VTD_FRCD_HI_F_MASK >> 32n); // dword +12 of a record: F is its bit 31

function setup(features = {}, ctx: Record<string, number> = {}) {
  const t = vtdFixture({ features });
  const top = t.newTable();
  t.map(top, 0x2000, DATA, { r: true });
  t.contextEntry(S, { SLPTPTR: top >> 12, ...ctx }, { DID: 1 });
  t.bringUp();
  return t;
}

test('a fault record holds FI = the page address, SID, FR, T = 1 for reads / 0 for writes, and F', () => {
  const t = setup();
  assert.not.ok(t.dma(S, 0x2abc, true).ok);
  const { lo } = t.frcd(0);
  assert.is(lo, 0x2000n, 'FI keeps address bits 63:12');
  assert.is(t.frcdField(0, 'SID'), S);
  assert.is(t.frcdField(0, 'FR'), R.VTD_FR_WRITE);
  assert.is(t.frcdField(0, 'T'), 0, 'write');
  assert.is(t.frcdField(0, 'F'), 1);
  assert.is(t.frcdField(0, 'PP'), 0, 'no PASID');
  t.w32(R.VTD_FRCD_LO + 12, F_CLEAR);
  t.dma(S, 0x5123);
  assert.is(t.frcd(0).lo, 0x5000n);
  assert.is(t.frcdField(0, 'T'), 1, 'read');
  assert.is(t.frcdField(0, 'FR'), R.VTD_FR_READ);
});

test('PPF summarises the F bits; clearing F (RW1C, Linux writes dword +12) clears PPF', () => {
  const t = setup();
  t.dma(S, 0x9000);
  assert.is(t.r32(R.VTD_FSTS) & R.VTD_FSTS_PPF_MASK, R.VTD_FSTS_PPF_MASK);
  t.w32(R.VTD_FSTS, R.VTD_FSTS_PPF_MASK); // PPF is read-only: writing it does nothing
  assert.is(t.r32(R.VTD_FSTS) & R.VTD_FSTS_PPF_MASK, R.VTD_FSTS_PPF_MASK);
  t.w32(R.VTD_FRCD_LO + 12, F_CLEAR);
  assert.is(t.frcdField(0, 'F'), 0);
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('fault event: with IM = 0 the MSI goes to FEADDR with FEDATA at once; IP stays clear', () => {
  const t = setup();
  t.w32(R.VTD_FEDATA, 0x4041);
  t.w32(R.VTD_FEADDR, 0xfee00000);
  t.w32(R.VTD_FECTL, 0);
  t.dma(S, 0x9000);
  assert.equal(t.msis, [{ address: 0xfee00000, data: 0x4041 }]);
  assert.is(t.r32(R.VTD_FECTL), 0);
});

test('fault event: with IM = 1, IP is set and the MSI waits for IM = 0; no second event while PPF is pending', () => {
  const t = setup();
  t.w32(R.VTD_FEDATA, 0x30);
  t.w32(R.VTD_FEADDR, 0xfee01000);
  t.dma(S, 0x9000);
  assert.equal(t.msis, []);
  assert.is(t.r32(R.VTD_FECTL), (R.VTD_FECTL_IM_MASK | R.VTD_FECTL_IP_MASK) >>> 0);
  t.w32(R.VTD_FECTL, 0);
  assert.equal(t.msis, [{ address: 0xfee01000, data: 0x30 }]);
  assert.is(t.r32(R.VTD_FECTL), 0, 'IP clears when the message is sent');
  t.dma(sid(0x40, 0, 0), 0xa000); // the only record is in use: overflow, and PPF was already set -> no event
  assert.is(t.msis.length, 1);
});

test('IP clears when software services the condition while masked (no message is sent later)', () => {
  const t = setup();
  t.dma(S, 0x9000);
  assert.ok((t.r32(R.VTD_FECTL) & R.VTD_FECTL_IP_MASK) !== 0);
  t.w32(R.VTD_FRCD_LO + 12, F_CLEAR);
  assert.is(t.r32(R.VTD_FECTL) & R.VTD_FECTL_IP_MASK, 0);
  t.w32(R.VTD_FECTL, 0);
  assert.equal(t.msis, []);
});

test('a further fault of a requester with a pending record is collapsed (not recorded, no PFO), as the spec allows and QEMU does', () => {
  const t = setup();
  t.dma(S, 0x9000);
  t.dma(S, 0xa000, true);
  assert.is(t.r32(R.VTD_FSTS), R.VTD_FSTS_PPF_MASK);
  assert.is(t.frcd(0).lo, 0x9000n);
  t.w32(R.VTD_FRCD_LO + 12, F_CLEAR);
  t.dma(S, 0xb000);
  assert.is(t.frcd(0).lo, 0xb000n, 'recorded again once F is clear');
});

// Requesters without a root entry: each access gives a fault 0x01 from its own source ID.
const other = (i: number) => sid(0x40 + i, 0, 0);

test('overflow: a fault while the next record still has F = 1 sets PFO and is lost; nothing is recorded until PFO is cleared', () => {
  const t = setup();
  t.dma(other(0), 0x9000);
  t.dma(other(1), 0xa000, true);
  assert.is(t.r32(R.VTD_FSTS) & (R.VTD_FSTS_PFO_MASK | R.VTD_FSTS_PPF_MASK), R.VTD_FSTS_PFO_MASK | R.VTD_FSTS_PPF_MASK);
  assert.is(t.frcd(0).lo, 0x9000n, 'the first record is kept');
  t.w32(R.VTD_FRCD_LO + 12, F_CLEAR);
  t.dma(other(2), 0xb000);
  assert.is(t.frcdField(0, 'F'), 0, 'PFO still set: dropped');
  t.w32(R.VTD_FSTS, R.VTD_FSTS_PFO_MASK);
  assert.is(t.r32(R.VTD_FSTS), 0);
  t.dma(other(3), 0xc000);
  assert.is(t.frcd(0).lo, 0xc000n);
});

test('several records (NFR = 3): filled round robin; FRI names the first pending one; PFO when the next is busy', () => {
  const t = setup({ faultRecords: 4 });
  for (let i = 0; i < 4; i++) t.dma(other(i), 0x10000 + i * 0x1000);
  for (let i = 0; i < 4; i++) assert.is(t.frcd(i).lo, BigInt(0x10000 + i * 0x1000), `record ${i}`);
  assert.is((t.r32(R.VTD_FSTS) & R.VTD_FSTS_FRI_MASK) >>> R.VTD_FSTS_FRI_SHIFT, 0);
  // Software services records 0 and 1 only; the next fault goes to record 0 again.
  t.w32(R.VTD_FRCD_LO + 12, F_CLEAR);
  t.w32(R.VTD_FRCD_LO + 16 + 12, F_CLEAR);
  t.dma(other(4), 0x20000);
  assert.is(t.frcd(0).lo, 0x20000n);
  t.dma(other(5), 0x21000);
  assert.is(t.frcd(1).lo, 0x21000n);
  t.dma(other(6), 0x22000); // record 2 is still pending
  assert.is(t.r32(R.VTD_FSTS) & R.VTD_FSTS_PFO_MASK, R.VTD_FSTS_PFO_MASK);
  // After everything is cleared, FRI points at where the next burst starts.
  for (let i = 0; i < 4; i++) t.w32(R.VTD_FRCD_LO + 16 * i + 12, F_CLEAR);
  t.w32(R.VTD_FSTS, R.VTD_FSTS_PFO_MASK);
  t.dma(other(7), 0x23000);
  assert.is((t.r32(R.VTD_FSTS) & R.VTD_FSTS_FRI_MASK) >>> R.VTD_FSTS_FRI_SHIFT, 2);
  assert.is(t.frcd(2).lo, 0x23000n);
});

test('FPD = 1 suppresses qualified faults (translation, context not present) but not root-level ones', () => {
  const t = setup({}, { FPD: 1 });
  assert.not.ok(t.dma(S, 0x9000).ok, 'the request still fails');
  assert.is(t.r32(R.VTD_FSTS), 0, 'not recorded');
  t.contextEntry(S, { P: 0, FPD: 1 }, {});
  assert.not.ok(t.dma(S, 0x9000).ok);
  assert.is(t.r32(R.VTD_FSTS), 0, 'FPD of a not-present entry is honoured too');
  assert.not.ok(t.dma(sid(9, 0, 0), 0x9000).ok);
  assert.is(t.frcdField(0, 'FR'), R.VTD_FR_ROOT_ENTRY_P, 'root entry faults are always recorded');
});

test('turning translation off restarts recording at record 0 (QEMU)', () => {
  const t = setup({ faultRecords: 2 });
  t.dma(S, 0x9000);
  t.w32(R.VTD_FRCD_LO + 12, F_CLEAR);
  t.w32(R.VTD_GCMD, 0);
  t.w32(R.VTD_GCMD, R.VTD_GCMD_TE_MASK);
  t.dma(S, 0xa000);
  assert.is(t.frcd(0).lo, 0xa000n);
});

test.run();

// Legacy-mode translation (vtd.md 2.1, 2.2, 2.7, 3.1-3.3, 5.1): root entry by bus, context entry
// by devfn, second-stage walk; each failure gives its legacy fault reason in FRCD.FR.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/vtd.ts';
import { build } from '../../../src/hw/vtd/fields.ts';
import { CTX, DATA, ROOT, sid, vtdFixture } from './fixture.ts';

const S = sid(0, 4, 0); // edu at 00:04.0
const DID = 7;

/** A fixture with S's context pointing at a 3-level table mapping 0x1000 -> DATA (RW) and 0x2000 -> DATA+0x1000 (RO). */
function setup(features = {}) {
  const t = vtdFixture({ features });
  const top = t.newTable();
  t.map(top, 0x1000, DATA);
  t.map(top, 0x2000, DATA + 0x1000, { r: true });
  t.contextEntry(S, { SLPTPTR: top >> 12 }, { DID });
  t.bringUp();
  return { t, top };
}
const fr = (r: ReturnType<ReturnType<typeof vtdFixture>['dma']>) => (r.ok ? 0 : (r.detail!.fr as number));

test('TE = 0: DMA passes through untranslated and nothing is recorded', () => {
  const t = vtdFixture();
  const r = t.dma(S, 0x12345678);
  assert.equal(r.ok && [r.pa, r.pageSize], [0x12345678, 4096]);
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('a present context entry translates reads and writes through the second-stage table', () => {
  const { t } = setup();
  const r = t.dma(S, 0x1234, true);
  assert.ok(r.ok);
  assert.is(r.ok && r.pa, DATA + 0x234);
  assert.is(r.ok && r.pageSize, 4096);
  const ro = t.dma(S, 0x2008);
  assert.is(ro.ok && ro.pa, DATA + 0x1008);
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('2 MiB and 1 GiB leaves (CAP.SLLPS) translate with their page size', () => {
  const t = vtdFixture();
  const top = t.newTable();
  t.map(top, 0x20_0000, 0x40_0000, { r: true, w: true }, 3, 2);
  t.map(top, 0x4000_0000, 0, { r: true, w: true }, 3, 3);
  t.contextEntry(S, { SLPTPTR: top >> 12 }, { DID });
  t.bringUp();
  const a = t.dma(S, 0x20_1234);
  assert.equal(a.ok && [a.pa, a.pageSize], [0x40_1234, 2 << 20]);
  const b = t.dma(S, 0x4012_3456);
  assert.equal(b.ok && [b.pa, b.pageSize], [0x12_3456, 1 << 30]);
});

test('write to a read-only page: 0x05; read or write of an unmapped page: 0x06 / 0x05', () => {
  const { t } = setup();
  assert.is(fr(t.dma(S, 0x2000, true)), R.VTD_FR_WRITE);
  t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  assert.is(fr(t.dma(S, 0x9000)), R.VTD_FR_READ);
  t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  assert.is(fr(t.dma(S, 0x9000, true)), R.VTD_FR_WRITE);
});

test('root entry not present 0x01; reserved bits in a root entry 0x0A', () => {
  const t = vtdFixture();
  t.bringUp();
  assert.is(fr(t.dma(sid(3, 0, 0), 0)), R.VTD_FR_ROOT_ENTRY_P);
  t.putWords(ROOT + 16 * 2, build(2, 'ROOT_ENTRY', { P: 1, CTP: CTX >> 12 }).map((w, i) => (i === 1 ? 1n : w)));
  t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  assert.is(fr(t.dma(sid(2, 0, 0), 0)), R.VTD_FR_ROOT_ENTRY_RSVD, 'the upper quadword is reserved in legacy mode');
});

test('context entry: not present 0x02, reserved bits 0x0B, TT = 11 / AW not in SAGAW / TT = 01 without ECAP.DT: 0x03', () => {
  const t = vtdFixture();
  t.bringUp();
  const cases: [Record<string, number>, Record<string, number>, number][] = [
    [{ P: 0 }, {}, R.VTD_FR_CONTEXT_ENTRY_P],
    [{ TT: 3 }, {}, R.VTD_FR_CONTEXT_ENTRY_INV],
    [{}, { AW: R.VTD_CONTEXT_ENTRY_AW_AW_48 }, R.VTD_FR_CONTEXT_ENTRY_INV], // aw-bits 39: SAGAW has only the 39-bit bit
    [{ TT: R.VTD_CONTEXT_ENTRY_TT_MULTI_LEVEL_DT }, {}, R.VTD_FR_CONTEXT_ENTRY_INV],
  ];
  for (const [w0, w1, want] of cases) {
    t.contextEntry(S, { SLPTPTR: 0x400, ...w0 }, { DID, ...w1 });
    assert.is(fr(t.dma(S, 0)), want, JSON.stringify([w0, w1]));
    t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  }
  // Reserved: word 0 bits 11:4 and word 1 bit 7.
  const e = t.contextEntry(S, { SLPTPTR: 0x400 }, { DID });
  t.putWords(CTX + (S & 0xff) * 16, [e[0]! | (1n << 4n), e[1]!]);
  assert.is(fr(t.dma(S, 0)), R.VTD_FR_CONTEXT_ENTRY_RSVD);
  t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  t.putWords(CTX + (S & 0xff) * 16, [e[0]!, e[1]! | (1n << 7n)]);
  assert.is(fr(t.dma(S, 0)), R.VTD_FR_CONTEXT_ENTRY_RSVD);
});

test('pass-through (TT = 10) with ECAP.PT maps 1:1; without it the entry is invalid (0x03)', () => {
  const t = vtdFixture();
  t.contextEntry(S, { TT: R.VTD_CONTEXT_ENTRY_TT_PASS_THROUGH }, { DID });
  t.bringUp();
  const r = t.dma(S, 0x7654_3000, true);
  assert.is(r.ok && r.pa, 0x7654_3000);
  const n = vtdFixture({ features: { pt: false } });
  n.contextEntry(S, { TT: R.VTD_CONTEXT_ENTRY_TT_PASS_THROUGH }, { DID });
  n.bringUp();
  assert.is(fr(n.dma(S, 0x1000)), R.VTD_FR_CONTEXT_ENTRY_INV);
});

test('input address at or above 2^MGAW (39 bits): 0x04', () => {
  const { t } = setup();
  assert.is(fr(t.dma(S, 2 ** 39)), R.VTD_FR_ADDR_BEYOND_MGAW);
});

test('reserved bits in a present entry: 0x0C (bit 11 SNP without snoop control, bit 62 without device-iotlb); with snoop-control SNP is allowed', () => {
  for (const bit of [11n, 62n]) {
    const t = vtdFixture();
    const top = t.newTable();
    t.map(top, 0x1000, DATA, { r: true, w: true, extra: 1n << bit });
    t.contextEntry(S, { SLPTPTR: top >> 12 }, { DID });
    t.bringUp();
    assert.is(fr(t.dma(S, 0x1000)), R.VTD_FR_PAGING_ENTRY_RSVD, `bit ${bit}`);
  }
  const t = vtdFixture({ features: { snoopControl: true } });
  const top = t.newTable();
  t.map(top, 0x1000, DATA, { r: true, w: true, extra: R.VTD_SS_PTE_SNP_MASK });
  t.contextEntry(S, { SLPTPTR: top >> 12 }, { DID });
  t.bringUp();
  assert.ok(t.dma(S, 0x1000).ok);
});

test('an unreadable top-level table is an invalid context entry (0x03); an unreadable lower table 0x07', () => {
  const t = vtdFixture();
  const OUTSIDE = 0x8000_0000; // no RAM there
  t.contextEntry(S, { SLPTPTR: OUTSIDE / 4096 }, { DID });
  t.bringUp();
  assert.is(fr(t.dma(S, 0x1000)), R.VTD_FR_CONTEXT_ENTRY_INV);
  const u = vtdFixture();
  const top = u.newTable();
  u.put64(top, build(1, 'SS_PTE', { R: 1, W: 1, ADDR: OUTSIDE / 4096 })[0]!);
  u.contextEntry(S, { SLPTPTR: top >> 12 }, { DID });
  u.bringUp();
  assert.is(fr(u.dma(S, 0x1000)), R.VTD_FR_PAGING_ENTRY_INV);
});

test('a translation into the interrupt range 0xFEE00000-0xFEEFFFFF faults 0x0E', () => {
  const t = vtdFixture();
  const top = t.newTable();
  t.map(top, 0x3000, 0xfee0_0000);
  t.contextEntry(S, { SLPTPTR: top >> 12 }, { DID });
  t.bringUp();
  assert.is(fr(t.dma(S, 0x3000, true)), R.VTD_FR_INTERRUPT_ADDR);
});

test('48-bit unit: AW = 2 gives 4-level tables; AW = 1 (3-level) is still supported', () => {
  const t = vtdFixture({ features: { awBits: 48 } });
  const top4 = t.newTable();
  t.map(top4, 0x80_0000_0000, DATA, { r: true, w: true }, 4);
  t.contextEntry(S, { SLPTPTR: top4 >> 12 }, { DID, AW: R.VTD_CONTEXT_ENTRY_AW_AW_48 });
  t.bringUp();
  const r = t.dma(S, 0x80_0000_0010);
  assert.is(r.ok && r.pa, DATA + 0x10);
});

test('many requesters in turn: each keeps its own domain and table (the context cache may evict, never mix up)', () => {
  const t = vtdFixture();
  const n = 48;
  for (let i = 0; i < n; i++) {
    const top = t.newTable();
    t.map(top, 0x1000, DATA + i * 0x1000);
    t.contextEntry(sid(1, i >> 3, i & 7), { SLPTPTR: top >> 12 }, { DID: 100 + i });
  }
  t.bringUp();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < n; i++) {
      const r = t.dma(sid(1, i >> 3, i & 7), 0x1008);
      assert.is(r.ok && r.pa, DATA + i * 0x1000 + 8, `requester ${i}, round ${round}`);
    }
  }
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test.run();

// Interrupt remapping (vtd.md 1.13, 5.3, 6.1, 6.3-6.5, 7.3): remappable MSIs through IRTEs,
// the checks and fault reasons 0x20-0x26, compatibility format and CFI/EIME, the IEC.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/vtd.ts';
import { build } from '../../../src/hw/vtd/fields.ts';
import { desc, sid, vtdFixture } from './fixture.ts';

const IRT = 0x30_0000;
const S = sid(0, 4, 0);
type Fields = Record<string, number | bigint>;

/** Linux's IR bring-up (vtd.md 7.3): IRTA = table | EIME | S, SIRTP, IRE, then CFI off. */
function irUp(o: { s?: number; eime?: boolean; features?: object } = {}) {
  const t = vtdFixture({ features: { ...o.features } });
  t.w64(R.VTD_IRTA, BigInt(IRT) | (o.eime ? R.VTD_IRTA_EIME_MASK : 0n) | BigInt(o.s ?? 0xf));
  t.w32(R.VTD_GCMD, R.VTD_GCMD_SIRTP_MASK);
  t.w32(R.VTD_GCMD, R.VTD_GCMD_IRE_MASK);
  const irte = (i: number, f: Fields, w1: Fields = {}) => t.putWords(IRT + i * 16, build(2, 'IRTE', { P: 1, ...f, ...w1 }));
  const clear = () => t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  return { t, irte, clear };
}
/** A remappable-format MSI address for `handle` (bits 19:5 + bit 2), optionally with SHV. */
const remappable = (handle: number, shv = false) =>
  (R.VTD_ADDR_INTERRUPT_BASE | ((handle & 0x7fff) << R.VTD_IR_MSI_ADDR_HANDLE_LO_SHIFT) | (handle >> 15 ? R.VTD_IR_MSI_ADDR_HANDLE_HI_MASK : 0) | R.VTD_IR_MSI_ADDR_IF_MASK | (shv ? R.VTD_IR_MSI_ADDR_SHV_MASK : 0)) >>> 0;
const fr = (r: { ok: boolean; fr?: number }) => (r.ok ? 0 : r.fr);

test('IRE off: interrupts pass unchanged; SIRTP latches IRTA (IRTPS), IRE sets IRES', () => {
  const t = vtdFixture();
  assert.equal(t.vtd.remapMsi(0xfee01000, 0x4031, S), { ok: true, address: 0xfee01000, data: 0x4031 });
  const { t: u } = irUp();
  assert.is(u.r32(R.VTD_GSTS) & (R.VTD_GSTS_IRES_MASK | R.VTD_GSTS_IRTPS_MASK), (R.VTD_GSTS_IRES_MASK | R.VTD_GSTS_IRTPS_MASK) >>> 0);
  assert.is(u.vtd.latchedIrta, BigInt(IRT) | 0xfn);
});

test('a remappable MSI is rewritten from its IRTE: xAPIC destination DST[15:8], vector, delivery/trigger/destination modes', () => {
  const { t, irte } = irUp();
  irte(5, { V: 0x31, DST: 0x0300, DM: 1, RH: 1, TM: 1, DLM: 1 });
  const r = t.vtd.remapMsi(remappable(5), 0, S);
  assert.equal(r, { ok: true, address: (0xfee00000 | (3 << 12) | (1 << 3) | (1 << 2)) >>> 0, data: 0x31 | (1 << 8) | (1 << 15) });
  // SHV: the index is handle + subhandle (data 15:0); handle bit 15 lives in address bit 2.
  irte(0x8002, { V: 0x40, DST: 0x0100 });
  const s = t.vtd.remapMsi(remappable(0x8000, true), 2, S);
  assert.equal(s.ok && [s.address, s.data], [0xfee01000, 0x40]);
});

test('x2APIC mode (EIME): 32-bit destination, bits 31:8 in the upper address dword', () => {
  const { t, irte } = irUp({ eime: true, features: { eim: true } });
  irte(1, { V: 0x22, DST: 0x1234 });
  const r = t.vtd.remapMsi(remappable(1), 0, S);
  assert.equal(r.ok && [r.address, r.data], [0x1200 * 2 ** 32 + 0xfee34000, 0x22]);
});

test('IR faults: index beyond the table 0x21, not present 0x22, reserved bits 0x24, reserved request bits 0x20; recorded with the index in FI 63:48', () => {
  const { t, irte, clear } = irUp({ s: 3 }); // 16 entries
  assert.is(fr(t.vtd.remapMsi(remappable(16), 0, S)), R.VTD_FR_IR_INDEX_OVER);
  assert.is(t.frcd(0).lo, 16n << 48n);
  assert.is(t.frcdField(0, 'SID'), S);
  assert.is(t.frcdField(0, 'FR'), R.VTD_FR_IR_INDEX_OVER);
  clear();
  assert.is(fr(t.vtd.remapMsi(remappable(2), 0, S)), R.VTD_FR_IR_ENTRY_P);
  clear();
  irte(3, { V: 0x30, DST: 0x0001 }); // xAPIC: DST bits 7:0 reserved
  assert.is(fr(t.vtd.remapMsi(remappable(3), 0, S)), R.VTD_FR_IR_ENTRY_RSVD);
  clear();
  irte(4, { V: 0x30, IM: 1 }); // posted format without CAP.PI
  assert.is(fr(t.vtd.remapMsi(remappable(4), 0, S)), R.VTD_FR_IR_ENTRY_RSVD);
  clear();
  irte(6, { V: 0x30 });
  assert.is(fr(t.vtd.remapMsi(remappable(6, true), 0x10000, S)), R.VTD_FR_IR_REQ_RSVD, 'data 31:16 with SHV');
  clear();
  assert.is(fr(t.vtd.remapMsi(2 ** 32 + remappable(6), 0, S)), R.VTD_FR_IR_REQ_RSVD, 'upper address dword');
});

test('source validation: SVT 1 with SQ masks, SVT 2 bus range [SID 15:8, SID 7:0] (the spec / Linux reading), SVT 3 reserved (0x26)', () => {
  const { t, irte, clear } = irUp();
  irte(1, { V: 0x30 }, { SVT: R.VTD_IRTE_SVT_SID, SID: sid(0, 4, 0) });
  assert.ok(t.vtd.remapMsi(remappable(1), 0, sid(0, 4, 0)).ok);
  assert.is(fr(t.vtd.remapMsi(remappable(1), 0, sid(0, 4, 1))), R.VTD_FR_IR_SID_ERR);
  clear();
  irte(2, { V: 0x30 }, { SVT: R.VTD_IRTE_SVT_SID, SQ: 3, SID: sid(0, 4, 0) });
  assert.ok(t.vtd.remapMsi(remappable(2), 0, sid(0, 4, 7)).ok, 'SQ 3 ignores the function number');
  irte(3, { V: 0x30 }, { SVT: R.VTD_IRTE_SVT_BUS_RANGE, SID: (2 << 8) | 5 });
  assert.ok(t.vtd.remapMsi(remappable(3), 0, sid(3, 0, 0)).ok);
  assert.is(fr(t.vtd.remapMsi(remappable(3), 0, sid(1, 0, 0))), R.VTD_FR_IR_SID_ERR);
  clear();
  irte(4, { V: 0x30 }, { SVT: 3 });
  assert.is(fr(t.vtd.remapMsi(remappable(4), 0, S)), R.VTD_FR_IR_SID_ERR);
});

test('FPD in the IRTE suppresses recording of not-present, reserved and source-ID faults', () => {
  const { t, irte } = irUp();
  irte(1, { P: 0, FPD: 1 });
  assert.not.ok(t.vtd.remapMsi(remappable(1), 0, S).ok);
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('compatibility format: passes while CFI is on (CFIS) and EIME is off; otherwise blocked (0x25; QEMU never blocks)', () => {
  const { t, clear } = irUp();
  assert.is(fr(t.vtd.remapMsi(0xfee01000, 0x41, S)), R.VTD_FR_IR_COMPAT_BLOCKED);
  clear();
  t.w32(R.VTD_GCMD, (R.VTD_GCMD_IRE_MASK | R.VTD_GCMD_CFI_MASK) >>> 0);
  assert.is(t.r32(R.VTD_GSTS) & R.VTD_GSTS_CFIS_MASK, R.VTD_GSTS_CFIS_MASK);
  assert.equal(t.vtd.remapMsi(0xfee01000, 0x41, S), { ok: true, address: 0xfee01000, data: 0x41 });
  const x = irUp({ eime: true, features: { eim: true } });
  x.t.w32(R.VTD_GCMD, (R.VTD_GCMD_IRE_MASK | R.VTD_GCMD_CFI_MASK) >>> 0);
  assert.is(fr(x.t.vtd.remapMsi(0xfee01000, 0x41, S)), R.VTD_FR_IR_COMPAT_BLOCKED, 'EIME blocks it even with CFI');
});

test('the interrupt-entry cache keeps a used IRTE until an IEC invalidation (index-selective with IM, or global)', () => {
  const { t, irte } = irUp();
  t.enableQi();
  irte(8, { V: 0x30 });
  assert.equal(t.vtd.remapMsi(remappable(8), 0, S), { ok: true, address: 0xfee00000, data: 0x30 });
  irte(8, { V: 0x31 });
  assert.equal(t.vtd.remapMsi(remappable(8), 0, S), { ok: true, address: 0xfee00000, data: 0x30 }, 'cached');
  t.submit(desc.iec({ G: R.VTD_INV_IEC_G_INDEX, IIDX: 12, IM: 2 })); // entries 12..15
  assert.is(t.vtd.remapMsi(remappable(8), 0, S).ok && (t.vtd.remapMsi(remappable(8), 0, S) as { data: number }).data, 0x30);
  t.submit(desc.iec({ G: R.VTD_INV_IEC_G_INDEX, IIDX: 9, IM: 1 })); // entries 8..9
  assert.equal(t.vtd.remapMsi(remappable(8), 0, S), { ok: true, address: 0xfee00000, data: 0x31 });
  irte(8, { V: 0x32 });
  t.submit(desc.iec());
  assert.equal(t.vtd.remapMsi(remappable(8), 0, S), { ok: true, address: 0xfee00000, data: 0x32 });
});

test.run();

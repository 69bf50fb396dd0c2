// Scalable mode (vtd.md 2.3-2.7, 3.4, 5.2): RTADDR.TTM = 01 selects scalable root/context tables,
// the PASID directory and table; PGTT picks second-stage, first-stage, nested or pass-through
// translation; each failure gives its scalable-mode reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/vtd.ts';
import { Access } from '../../../src/bridge/types.ts';
import { build } from '../../../src/hw/vtd/fields.ts';
import type { VtdFeatures } from '../../../src/hw/vtd/features.ts';
import { DATA, IQ, ROOT, STATUS, desc, sid, vtdFixture } from './fixture.ts';

const CTXT = 0x11_0000; // scalable context tables (lower half of bus 0)
const UCTXT = 0x11_1000; // upper half
const PDIR = 0x12_0000;
const PTBL = 0x13_0000;
const S = sid(0, 4, 0);
const DID = 3;

type Fields = Record<string, number | bigint>;
const TTM_SCALABLE = BigInt(R.VTD_RTADDR_TTM_SCALABLE) << BigInt(R.VTD_RTADDR_TTM_SHIFT);

function sm(features: Partial<VtdFeatures> = {}) {
  const t = vtdFixture({ features: { scalableMode: true, ...features } });
  const root = (f: Fields = {}) => t.putWords(ROOT, build(2, 'SM_ROOT_ENTRY', { LP: 1, LCTP: CTXT >> 12, UP: 1, UCTP: UCTXT >> 12, ...f }));
  const ctx = (s: number, f: Fields = {}) =>
    t.putWords((s & 0x80 ? UCTXT : CTXT) + (s & 0x7f) * 32, build(4, 'SM_CONTEXT_ENTRY', { P: 1, PASIDDIRPTR: PDIR >> 12, ...f }));
  const dir = (i: number, f: Fields = {}) => t.putWords(PDIR + i * 8, build(1, 'PASID_DIR_ENTRY', { P: 1, SMPTBLPTR: (PTBL >> 12) + i, ...f }));
  const pasidEntry = (pasid: number, f: Fields) => t.putWords(PTBL + (pasid >> 6) * 0x1000 + (pasid & 63) * 64, build(8, 'PASID_ENTRY', { P: 1, DID, ...f }));
  const up = () => {
    t.w64(R.VTD_RTADDR, BigInt(ROOT) | TTM_SCALABLE);
    t.w32(R.VTD_GCMD, R.VTD_GCMD_SRTP_MASK);
    t.w32(R.VTD_GCMD, R.VTD_GCMD_TE_MASK);
  };
  /** First-stage (x86-64) 4-level mapping: tables P|RW|US|A, leaf P|A [|RW|D] [|US]. */
  const fsMap = (top: number, iova: number, pa: number, o: { rw?: boolean; us?: boolean } = { rw: true, us: true }) => {
    let table = top;
    for (let l = 4; l > 1; l--) {
      const a = table + (Math.floor(iova / 2 ** (12 + 9 * (l - 1))) % 512) * 8;
      let e = t.get64(a);
      if ((e & R.VTD_FS_PTE_P_MASK) === 0n) {
        e = build(1, 'FS_PTE', { P: 1, RW: 1, US: 1, A: 1, ADDR: t.newTable() >> 12 })[0]!;
        t.put64(a, e);
      }
      table = Number(e & R.VTD_FS_PTE_ADDR_MASK);
    }
    const a = table + (Math.floor(iova / 4096) % 512) * 8;
    t.put64(a, build(1, 'FS_PTE', { P: 1, A: 1, RW: o.rw ? 1 : 0, D: o.rw ? 1 : 0, US: o.us ? 1 : 0, ADDR: pa / 4096 })[0]!);
    return a;
  };
  return { t, root, ctx, dir, pasidEntry, up, fsMap };
}

const fr = (r: { ok: boolean; detail?: Readonly<Record<string, unknown>> }) => (r.ok ? 0 : (r.detail!.fr as number));
const pa = (r: { ok: boolean; pa?: number }) => (r.ok ? r.pa : -1);

/** S's PASID 0 (RID_PASID) with second-stage tables mapping 0x1000 -> DATA (RW), 0x2000 -> DATA+0x1000 (RO). */
function ssSetup(features: Partial<VtdFeatures> = {}, pe: Fields = {}) {
  const s = sm(features);
  const top = s.t.newTable();
  s.t.map(top, 0x1000, DATA);
  s.t.map(top, 0x2000, DATA + 0x1000, { r: true });
  s.root();
  s.ctx(S);
  s.dir(0);
  s.pasidEntry(0, { PGTT: R.VTD_PASID_ENTRY_PGTT_SECOND_STAGE, AW: R.VTD_CONTEXT_ENTRY_AW_AW_39, SSPTPTR: top >> 12, ...pe });
  s.up();
  return { ...s, top };
}

test('TTM = 00 keeps legacy tables on a scalable-capable unit', () => {
  const t = vtdFixture({ features: { scalableMode: true } });
  const top = t.newTable();
  t.map(top, 0x1000, DATA);
  t.contextEntry(S, { SLPTPTR: top >> 12 }, { DID });
  t.bringUp();
  assert.is(pa(t.dma(S, 0x1000)), DATA);
});

test('PGTT = 2: a request without PASID uses RID_PASID (0) and the PASID entry\'s DID and second-stage table', () => {
  const { t } = ssSetup();
  assert.is(pa(t.dma(S, 0x1004, true)), DATA + 4);
  assert.is(pa(t.dma(S, 0x2000)), DATA + 0x1000);
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('second-stage faults in scalable mode: not present 0x79, write to read-only 0x85, reserved bit 0x7A, beyond the width 0x83, interrupt range 0x87', () => {
  const { t, top } = ssSetup();
  const clear = () => t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  assert.is(fr(t.dma(S, 0x9000)), R.VTD_FR_SM_SS_PERM);
  clear();
  assert.is(fr(t.dma(S, 0x2000, true)), R.VTD_FR_SM_WRITE);
  clear();
  assert.is(fr(t.dma(S, 2 ** 39)), R.VTD_FR_SM_ADDR_BEYOND_MAX);
  clear();
  t.map(top, 0x3000, DATA, { r: true, w: true, extra: 1n << 62n });
  assert.is(fr(t.dma(S, 0x3000)), R.VTD_FR_SM_SS_RSVD);
  clear();
  t.map(top, 0x4000, 0xfee0_0000);
  assert.is(fr(t.dma(S, 0x4000)), R.VTD_FR_SM_INTERRUPT_ADDR);
  assert.is(t.frcdField(0, 'SID'), S);
});

test('SNP (bit 11) is a leaf attribute in scalable mode, not reserved', () => {
  const { t, top } = ssSetup();
  t.map(top, 0x5000, DATA, { r: true, w: true, extra: R.VTD_SS_PTE_SNP_MASK });
  assert.is(pa(t.dma(S, 0x5000)), DATA);
});

test('PGTT = 4 passes through; PGTT = 1 and 3 are invalid (0x5B) without first-stage/nesting support; AW not in SAGAW too', () => {
  const s = sm();
  s.root();
  s.ctx(S);
  s.dir(0);
  s.up();
  s.pasidEntry(0, { PGTT: R.VTD_PASID_ENTRY_PGTT_PASS_THROUGH });
  assert.is(pa(s.t.dma(S, 0x7654_0000, true)), 0x7654_0000);
  for (const f of <Fields[]>[{ PGTT: R.VTD_PASID_ENTRY_PGTT_FIRST_STAGE }, { PGTT: R.VTD_PASID_ENTRY_PGTT_NESTED, AW: 1 }, { PGTT: 2, AW: 2 }, { PGTT: 0 }, { PGTT: 5 }]) {
    s.pasidEntry(0, f);
    s.t.w64(R.VTD_CCMD, R.VTD_CCMD_ICC_MASK | (BigInt(R.VTD_CCMD_CIRG_GLOBAL) << BigInt(R.VTD_CCMD_CIRG_SHIFT)));
    assert.is(fr(s.t.dma(S, 0x1000)), R.VTD_FR_SM_PASID_INV, JSON.stringify(f));
    s.t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  }
});

test('lookup faults: root half not present 0x39 (upper half for devfn >= 0x80), context 0x41 / reserved 0x42, directory 0x51, PASID entry 0x59 / reserved 0x5A', () => {
  const s = sm();
  const { t } = s;
  s.up();
  const clear = () => t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  assert.is(fr(t.dma(S, 0)), R.VTD_FR_SM_ROOT_P);
  clear();
  s.root({ UP: 0 });
  assert.is(fr(t.dma(sid(0, 0x10, 0), 0)), R.VTD_FR_SM_ROOT_P, 'devfn 0x80: upper half');
  clear();
  s.root({ UP: 0, LCTP: (CTXT >> 12) });
  assert.is(fr(t.dma(S, 0)), R.VTD_FR_SM_CTX_P);
  clear();
  t.putWords(CTXT + (S & 0x7f) * 32, [...build(2, 'SM_CONTEXT_ENTRY', { P: 1, PASIDDIRPTR: PDIR >> 12 }), 1n, 0n]);
  assert.is(fr(t.dma(S, 0)), R.VTD_FR_SM_CTX_RSVD, 'word 2 is reserved');
  clear();
  s.ctx(S);
  assert.is(fr(t.dma(S, 0)), R.VTD_FR_SM_PDIR_P);
  clear();
  s.dir(0);
  assert.is(fr(t.dma(S, 0)), R.VTD_FR_SM_PASID_P);
  clear();
  s.pasidEntry(0, { PGTT: 4 });
  t.put64(PTBL + 24, 1n); // word 3 reserved
  assert.is(fr(t.dma(S, 0)), R.VTD_FR_SM_PASID_RSVD);
});

test('FPD in the PASID entry or directory entry suppresses qualified faults, also when that entry is not present', () => {
  const s = ssSetup({}, { FPD: 1 });
  assert.not.ok(s.t.dma(S, 0x9000).ok);
  assert.is(s.t.r32(R.VTD_FSTS), 0);
  const d = sm();
  d.root();
  d.ctx(S);
  d.dir(0, { P: 0, FPD: 1 });
  d.up();
  assert.not.ok(d.t.dma(S, 0).ok);
  assert.is(d.t.r32(R.VTD_FSTS), 0);
});

test('requests with PASID: refused with PASIDE = 0 (0x45) or beyond PDTS (0x46); recorded with PP and PV', () => {
  const s = ssSetup({ pasid: true });
  const req = (pasid: number) => s.t.vtd.translate({ requester: { name: 'd', segment: 0, requesterId: S, streamId: S }, iova: 0x1000, access: Access.READ, pasid });
  assert.is(fr(req(5)), R.VTD_FR_SM_CTX_PASIDE);
  assert.is(s.t.frcdField(0, 'PP'), 1);
  assert.is(s.t.frcdField(0, 'PV'), 5);
  s.t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  s.ctx(S, { PASIDE: 1 }); // PDTS 0: 128 directory entries = PASIDs below 8192
  s.t.w64(R.VTD_CCMD, R.VTD_CCMD_ICC_MASK | (BigInt(R.VTD_CCMD_CIRG_GLOBAL) << BigInt(R.VTD_CCMD_CIRG_SHIFT)));
  assert.is(fr(req(8192)), R.VTD_FR_SM_CTX_PDTS);
  s.t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  s.dir(1);
  s.pasidEntry(70, { PGTT: R.VTD_PASID_ENTRY_PGTT_PASS_THROUGH });
  assert.is(pa(req(70)), 0x1000);
});

test('PGTT = 1 (first stage, x86-64 4-level) with ECAP.FSTS: translation, not present 0x71, write to read-only 0x85, user access to a supervisor page 0x81, non-canonical 0x80', () => {
  const s = sm({ firstStage: true });
  const top = s.t.newTable();
  s.fsMap(top, 0x1000, DATA);
  s.fsMap(top, 0x2000, DATA + 0x1000, { rw: false, us: true });
  s.fsMap(top, 0x3000, DATA + 0x2000, { rw: true, us: false });
  s.root();
  s.ctx(S);
  s.dir(0);
  s.pasidEntry(0, { PGTT: R.VTD_PASID_ENTRY_PGTT_FIRST_STAGE, FSPTPTR: top >> 12 });
  s.up();
  const { t } = s;
  const clear = () => t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
  assert.is(pa(t.dma(S, 0x1008, true)), DATA + 8);
  assert.is(fr(t.dma(S, 0x9000)), R.VTD_FR_SM_FS_P);
  clear();
  assert.is(fr(t.dma(S, 0x2000, true)), R.VTD_FR_SM_WRITE);
  clear();
  assert.is(fr(t.dma(S, 0x3000)), R.VTD_FR_SM_US, 'requests without PASID are user requests');
  clear();
  assert.is(fr(t.dma(S, 2 ** 47)), R.VTD_FR_SM_NON_CANONICAL);
});

test('PGTT = 3 (nested): first-stage tables and outputs are translated by the second stage', () => {
  const s = sm({ firstStage: true, nested: true });
  const { t } = s;
  // Second stage: identity for the first-stage table pages, and GPA 0x70_0000 -> DATA.
  const ss = t.newTable();
  const fsTop = t.newTable();
  s.fsMap(fsTop, 0x1000, 0x70_0000);
  for (let a = 0x40_0000; a < 0x40_0000 + 0x10000; a += 0x1000) t.map(ss, a, a);
  t.map(ss, 0x70_0000, DATA);
  s.root();
  s.ctx(S);
  s.dir(0);
  s.pasidEntry(0, { PGTT: R.VTD_PASID_ENTRY_PGTT_NESTED, FSPTPTR: fsTop >> 12, SSPTPTR: ss >> 12, AW: 1 });
  s.up();
  assert.is(pa(t.dma(S, 0x1010)), DATA + 0x10);
});

test('PASID-cache invalidation (256-bit queue, type 7) and PASID-based IOTLB invalidation (type 6) refresh a changed PASID entry and first-stage mapping', () => {
  const s = sm({ firstStage: true });
  const { t } = s;
  const top = t.newTable();
  const leaf = s.fsMap(top, 0x1000, DATA);
  s.root();
  s.ctx(S);
  s.dir(0);
  s.pasidEntry(0, { PGTT: R.VTD_PASID_ENTRY_PGTT_FIRST_STAGE, FSPTPTR: top >> 12 });
  s.up();
  t.enableQi(BigInt(IQ) | R.VTD_IQA_DW_MASK);
  assert.is(pa(t.dma(S, 0x1000)), DATA);
  t.put64(leaf, build(1, 'FS_PTE', { P: 1, A: 1, RW: 1, D: 1, US: 1, ADDR: (DATA + 0x3000) / 4096 })[0]!);
  assert.is(pa(t.dma(S, 0x1000)), DATA, 'stale first-stage IOTLB entry');
  const put256 = (i: number, d: bigint[]) => t.putWords(IQ + i * 32, [...d, 0n, 0n]);
  put256(0, build(2, 'INV_PIOTLB', { TYPE: R.VTD_INV_TYPE_PIOTLB, G: R.VTD_INV_PIOTLB_G_PAGE, DID, PASID: 0, ADDR: 1, AM: 0 }));
  t.w32(R.VTD_IQT, 1 << 5);
  assert.is(pa(t.dma(S, 0x1000)), DATA + 0x3000);
  s.pasidEntry(0, { PGTT: R.VTD_PASID_ENTRY_PGTT_PASS_THROUGH });
  assert.is(pa(t.dma(S, 0x1000)), DATA + 0x3000, 'stale PASID entry');
  put256(1, build(2, 'INV_PC', { TYPE: R.VTD_INV_TYPE_PC, G: R.VTD_INV_PC_G_PASID, DID, PASID: 0 }));
  put256(2, desc.wait({ SW: 1, STDATA: 1, STADDR: STATUS / 4 }));
  t.w32(R.VTD_IQT, 3 << 5);
  assert.is(t.get32(STATUS), 1);
  assert.is(pa(t.dma(S, 0x1000)), 0x1000, 'pass-through now');
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('a request with PASID to a legacy-mode unit is refused (TTM legacy, 0x31)', () => {
  const t = vtdFixture();
  t.bringUp();
  const r = t.vtd.translate({ requester: { name: 'd', segment: 0, requesterId: S, streamId: S }, iova: 0x1000, access: Access.READ, pasid: 1 });
  assert.is(fr(r), R.VTD_FR_SM_TTM_PASID);
});

test.run();

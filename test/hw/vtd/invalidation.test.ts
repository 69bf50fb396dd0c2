// Caches and their invalidation (vtd.md 4): the context cache only invalidations refresh, the
// IOTLB tagged by domain ID, register-based and queued invalidation, wait descriptors (status
// write, completion interrupt), and queue errors (IQE with IQH left on the bad descriptor).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/vtd.ts';
import { build } from '../../../src/hw/vtd/fields.ts';
import { DATA, IQ, STATUS, desc, sid, vtdFixture } from './fixture.ts';

const S = sid(0, 4, 0);
const pa = (r: { ok: boolean; pa?: number }) => (r.ok ? r.pa : -1);
const ccmd = (g: number, extra = 0n) => R.VTD_CCMD_ICC_MASK | (BigInt(g) << BigInt(R.VTD_CCMD_CIRG_SHIFT)) | extra;
const iotlbReg = (g: number, did: number) => R.VTD_IOTLB_IVT_MASK | (BigInt(g) << BigInt(R.VTD_IOTLB_IIRG_SHIFT)) | (BigInt(did) << BigInt(R.VTD_IOTLB_DID_SHIFT));

function twoTables() {
  const t = vtdFixture();
  const a = t.newTable();
  const b = t.newTable();
  t.map(a, 0x1000, DATA);
  t.map(b, 0x1000, DATA + 0x1000);
  t.contextEntry(S, { SLPTPTR: a >> 12 }, { DID: 1 });
  t.bringUp();
  return { t, a, b };
}

test('a cached context entry stays in use after memory changes until a context-cache invalidation covers it', () => {
  const { t, b } = twoTables();
  assert.is(pa(t.dma(S, 0x1000)), DATA);
  t.contextEntry(S, { SLPTPTR: b >> 12 }, { DID: 2 });
  assert.is(pa(t.dma(S, 0x1000)), DATA, 'stale context');
  t.w64(R.VTD_CCMD, ccmd(R.VTD_CCMD_CIRG_DOMAIN, 9n)); // another domain
  assert.is(pa(t.dma(S, 0x1000)), DATA);
  t.w64(R.VTD_CCMD, ccmd(R.VTD_CCMD_CIRG_DEVICE, BigInt(sid(0, 4, 1)) << BigInt(R.VTD_CCMD_SID_SHIFT))); // function 1 only
  assert.is(pa(t.dma(S, 0x1000)), DATA);
  // FM = 3 ignores the function bits: 00:04.1 with FM = 3 covers 00:04.0.
  t.w64(R.VTD_CCMD, ccmd(R.VTD_CCMD_CIRG_DEVICE, (BigInt(sid(0, 4, 1)) << BigInt(R.VTD_CCMD_SID_SHIFT)) | (3n << BigInt(R.VTD_CCMD_FM_SHIFT))));
  assert.is(pa(t.dma(S, 0x1000)), DATA + 0x1000, 'new context, new DID: no IOTLB entry yet');
});

test('domain-selective context invalidation drops the entries of that DID', () => {
  const { t, b } = twoTables();
  t.dma(S, 0x1000);
  t.contextEntry(S, { SLPTPTR: b >> 12 }, { DID: 2 });
  t.w64(R.VTD_CCMD, ccmd(R.VTD_CCMD_CIRG_DOMAIN, 1n));
  assert.is(pa(t.dma(S, 0x1000)), DATA + 0x1000);
});

test('without caching mode a not-present context entry is not cached: making it present needs no invalidation', () => {
  const t = vtdFixture();
  const a = t.newTable();
  t.map(a, 0x1000, DATA);
  t.bringUp();
  assert.not.ok(t.dma(S, 0x1000).ok);
  t.contextEntry(S, { SLPTPTR: a >> 12 }, { DID: 1 });
  assert.is(pa(t.dma(S, 0x1000)), DATA);
});

test('caching mode: a not-present context entry may stay cached (tagged DID 0) until invalidated, as Linux expects', () => {
  const t = vtdFixture({ features: { cachingMode: true } });
  const a = t.newTable();
  t.map(a, 0x1000, DATA);
  t.bringUp();
  assert.not.ok(t.dma(S, 0x1000).ok);
  t.contextEntry(S, { SLPTPTR: a >> 12 }, { DID: 1 });
  assert.not.ok(t.dma(S, 0x1000).ok, 'still the cached not-present entry');
  // Linux (vtd.md 7.2): device-selective context invalidation with DID 0, then domain-selective IOTLB.
  t.w64(R.VTD_CCMD, ccmd(R.VTD_CCMD_CIRG_DOMAIN, 0n));
  assert.is(pa(t.dma(S, 0x1000)), DATA);
});

test('caching mode: a page found not present stays not present until an IOTLB invalidation covers it (Linux flushes after map with CM)', () => {
  for (const cm of [false, true]) {
    const t = vtdFixture({ features: { cachingMode: cm } });
    const top = t.newTable();
    t.map(top, 0x1000, DATA);
    t.contextEntry(S, { SLPTPTR: top >> 12 }, { DID: 1 });
    t.bringUp();
    assert.not.ok(t.dma(S, 0x5000).ok);
    t.w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
    t.map(top, 0x5000, DATA + 0x5000);
    assert.is(pa(t.dma(S, 0x5000)), cm ? -1 : DATA + 0x5000, cm ? 'CM: the not-present page is cached' : 'no CM: the new mapping is seen at once');
    if (!cm) continue;
    assert.is(t.frcdField(0, 'FR'), R.VTD_FR_READ);
    t.w64(R.VTD_IVA, 0x4000n); // another page: no effect
    t.w64(R.VTD_IOTLB, iotlbReg(R.VTD_IOTLB_IIRG_PAGE, 1));
    assert.is(pa(t.dma(S, 0x5000)), -1);
    t.w64(R.VTD_IVA, 0x5000n);
    t.w64(R.VTD_IOTLB, iotlbReg(R.VTD_IOTLB_IIRG_PAGE, 1));
    assert.is(pa(t.dma(S, 0x5000)), DATA + 0x5000);
  }
});

test('IOTLB: a PTE change is not seen until an IOTLB invalidation of that domain (page, domain or global)', () => {
  const { t, a } = twoTables();
  assert.is(pa(t.dma(S, 0x1000)), DATA);
  // The leaf of 0x1000 in table a: walk 3 levels down.
  let tbl = a;
  for (let l = 3; l > 1; l--) tbl = Number(t.get64(tbl + (Math.floor(0x1000 / 2 ** (12 + 9 * (l - 1))) % 512) * 8) & R.VTD_SS_PTE_ADDR_MASK);
  const entryAddr = tbl + 1 * 8;
  t.put64(entryAddr, build(1, 'SS_PTE', { R: 1, W: 1, ADDR: (DATA + 0x2000) / 4096 })[0]!);
  assert.is(pa(t.dma(S, 0x1000)), DATA, 'stale IOTLB entry');
  t.w64(R.VTD_IOTLB, iotlbReg(R.VTD_IOTLB_IIRG_DOMAIN, 2));
  assert.is(pa(t.dma(S, 0x1000)), DATA, 'another domain: still stale');
  t.w64(R.VTD_IVA, 0x5000n); // a page elsewhere
  t.w64(R.VTD_IOTLB, iotlbReg(R.VTD_IOTLB_IIRG_PAGE, 1));
  assert.is(pa(t.dma(S, 0x1000)), DATA);
  t.w64(R.VTD_IVA, 0x1000n);
  t.w64(R.VTD_IOTLB, iotlbReg(R.VTD_IOTLB_IIRG_PAGE, 1));
  assert.is(pa(t.dma(S, 0x1000)), DATA + 0x2000, 'page-selective invalidation of that page');
  t.put64(entryAddr, build(1, 'SS_PTE', { R: 1, W: 1, ADDR: DATA / 4096 })[0]!);
  t.w64(R.VTD_IVA, 0x0n | 2n); // AM = 2: pages 0x0000-0x3fff
  t.w64(R.VTD_IOTLB, iotlbReg(R.VTD_IOTLB_IIRG_PAGE, 1));
  assert.is(pa(t.dma(S, 0x1000)), DATA, 'AM = 2 covers 0x1000');
});

test('queued invalidation: descriptors run on the IQT write, IQH follows; context-cache and IOTLB descriptors act like the registers', () => {
  const { t, b } = twoTables();
  t.enableQi();
  assert.is(t.dma(S, 0x1000).ok && true, true);
  t.contextEntry(S, { SLPTPTR: b >> 12 }, { DID: 2 });
  t.submit(desc.cc(R.VTD_INV_CC_G_DEVICE, { SID: S }), desc.iotlb(R.VTD_INV_IOTLB_G_DOMAIN, { DID: 1 }));
  assert.is(t.r64(R.VTD_IQH), 2n << 4n, 'IQH = index 2');
  assert.is(pa(t.dma(S, 0x1000)), DATA + 0x1000);
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('wait descriptor: SW writes STDATA to STADDR; IF sets ICS.IWC and sends the completion MSI (IECTL/IEDATA/IEADDR)', () => {
  const t = vtdFixture();
  t.enableQi();
  t.submit(desc.wait({ SW: 1, STDATA: 2, STADDR: STATUS / 4 }));
  assert.is(t.get32(STATUS), 2);
  assert.is(t.r32(R.VTD_ICS), 0);
  t.w32(R.VTD_IEDATA, 0x51);
  t.w32(R.VTD_IEADDR, 0xfee00000);
  t.submit(desc.wait({ IF: 1 }));
  assert.is(t.r32(R.VTD_ICS), R.VTD_ICS_IWC_MASK);
  assert.is(t.r32(R.VTD_IECTL), (R.VTD_IECTL_IM_MASK | R.VTD_IECTL_IP_MASK) >>> 0, 'masked: pending');
  assert.equal(t.msis, []);
  t.w32(R.VTD_IECTL, 0);
  assert.equal(t.msis, [{ address: 0xfee00000, data: 0x51 }]);
  t.submit(desc.wait({ IF: 1 }));
  assert.is(t.msis.length, 1, 'IWC still set: no new completion event');
  t.w32(R.VTD_ICS, R.VTD_ICS_IWC_MASK);
  t.submit(desc.wait({ IF: 1 }));
  assert.is(t.msis.length, 2);
  // A wait with neither SW nor IF is a plain fence (QEMU 7.2 reports IQE instead; the spec does not).
  t.submit(desc.wait({}));
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('invalid descriptors: IQE, IQH stays on the bad one, IQERCD.IQEI says why; after IQE is cleared the next IQT write resumes at IQH', () => {
  const t = vtdFixture();
  t.w32(R.VTD_FEADDR, 0xfee00000);
  t.w32(R.VTD_FECTL, 0);
  t.enableQi();
  t.submit(desc.wait({ SW: 1, STDATA: 1, STADDR: STATUS / 4 }), build(2, 'INV_DESC', { TYPE: 0xf }), desc.wait({ SW: 1, STDATA: 7, STADDR: STATUS / 4 }));
  assert.is(t.r32(R.VTD_FSTS) & R.VTD_FSTS_IQE_MASK, R.VTD_FSTS_IQE_MASK);
  assert.is(t.r64(R.VTD_IQH), 1n << 4n, 'IQH on the bad descriptor');
  assert.is(Number(t.r64(R.VTD_IQERCD) & R.VTD_IQERCD_IQEI_MASK), R.VTD_IQERCD_IQEI_TYPE_INVALID);
  assert.is(t.get32(STATUS), 1, 'the wait after it did not run');
  assert.is(t.msis.length, 1, 'fault event for IQE');
  // Linux's recovery: overwrite the bad descriptor with a wait, clear IQE.
  t.putWords(IQ + 16, desc.wait({ SW: 1, STDATA: 5, STADDR: STATUS / 4 }));
  t.w32(R.VTD_IQT, 3 << 4);
  assert.is(t.get32(STATUS), 1, 'nothing runs while IQE is set');
  t.w32(R.VTD_FSTS, R.VTD_FSTS_IQE_MASK);
  assert.is(t.r64(R.VTD_IQH), 1n << 4n, 'clearing IQE alone does not fetch');
  t.w32(R.VTD_IQT, 3 << 4);
  assert.is(t.get32(STATUS), 7);
  assert.is(t.r64(R.VTD_IQH), 3n << 4n);
  assert.is(t.r32(R.VTD_FECTL), 0, 'IP clear');
});

test('reserved fields make a descriptor invalid (IQEI = 4): context-cache w1, IOTLB AM > MAMV, wait PD without ECAP.PDS', () => {
  for (const d of [
    [desc.cc(R.VTD_INV_CC_G_GLOBAL)[0]!, 1n],
    desc.iotlb(R.VTD_INV_IOTLB_G_PAGE, { AM: 19 }),
    desc.wait({ SW: 1, PD: 1, STADDR: STATUS / 4 }),
    desc.cc(0),
  ]) {
    const t = vtdFixture();
    t.enableQi();
    t.submit(d);
    assert.is(Number(t.r64(R.VTD_IQERCD) & R.VTD_IQERCD_IQEI_MASK), R.VTD_IQERCD_IQEI_RSVD_FIELD, d.map((x) => x.toString(16)).join(' '));
    assert.is(t.r64(R.VTD_IQH), 0n);
  }
});

test('descriptor types the unit does not support are invalid (IQEI = 3): PASID-based ones without scalable mode, device-TLB without ECAP.DT', () => {
  for (const type of [R.VTD_INV_TYPE_PIOTLB, R.VTD_INV_TYPE_PC, R.VTD_INV_TYPE_DEVTLB, R.VTD_INV_TYPE_PDEVTLB, 0]) {
    const t = vtdFixture();
    t.enableQi();
    t.submit(build(2, 'INV_DESC', { TYPE: type }));
    assert.is(Number(t.r64(R.VTD_IQERCD) & R.VTD_IQERCD_IQEI_MASK), R.VTD_IQERCD_IQEI_TYPE_INVALID, `type ${type}`);
  }
  const t = vtdFixture({ features: { deviceIotlb: true } });
  t.enableQi();
  t.submit(desc.devtlb({ SID: S, S: 1, ADDR: 0xfffffffffn }), desc.iec());
  assert.is(t.r32(R.VTD_FSTS), 0, 'device-TLB (no device TLB modelled) and IEC complete');
});

test('tail errors: IQT beyond the queue size (IQEI 1); 256-bit queue with IQT bit 4 set (IQEI 6)', () => {
  const t = vtdFixture();
  t.enableQi();
  t.w64(R.VTD_IQT, 256n << 4n); // QS = 0: 256 entries, index 256 is beyond
  assert.is(Number(t.r64(R.VTD_IQERCD) & R.VTD_IQERCD_IQEI_MASK), R.VTD_IQERCD_IQEI_TAIL_INVALID);
  const s = vtdFixture({ features: { scalableMode: true } });
  s.enableQi(BigInt(IQ) | R.VTD_IQA_DW_MASK);
  s.w64(R.VTD_IQT, 1n << 4n);
  assert.is(Number(s.r64(R.VTD_IQERCD) & R.VTD_IQERCD_IQEI_MASK), R.VTD_IQERCD_IQEI_TAIL_MISALIGNED);
});

test('256-bit descriptors: the upper half of a 128-bit type is reserved', () => {
  const t = vtdFixture({ features: { scalableMode: true } });
  t.enableQi(BigInt(IQ) | R.VTD_IQA_DW_MASK);
  t.putWords(IQ, [...desc.wait({ SW: 1, STDATA: 3, STADDR: STATUS / 4 }), 0n, 0n]);
  t.putWords(IQ + 32, [...desc.wait({ SW: 1, STDATA: 4, STADDR: STATUS / 4 }), 1n, 0n]);
  t.w32(R.VTD_IQT, 2 << 5);
  assert.is(t.get32(STATUS), 3);
  assert.is(t.r64(R.VTD_IQH), 1n << 5n);
  assert.is(Number(t.r64(R.VTD_IQERCD) & R.VTD_IQERCD_IQEI_MASK), R.VTD_IQERCD_IQEI_RSVD_FIELD);
});

test('enabling QIE with a non-zero tail processes at once; disabling resets IQH to 0', () => {
  const t = vtdFixture();
  t.putWords(IQ, desc.wait({ SW: 1, STDATA: 9, STADDR: STATUS / 4 }));
  t.w64(R.VTD_IQA, BigInt(IQ));
  t.w64(R.VTD_IQT, 1n << 4n);
  t.w32(R.VTD_GCMD, R.VTD_GCMD_QIE_MASK);
  assert.is(t.get32(STATUS), 9);
  assert.is(t.r64(R.VTD_IQH), 1n << 4n);
  t.w32(R.VTD_GCMD, 0);
  assert.is(t.r64(R.VTD_IQH), 0n);
});

test.run();

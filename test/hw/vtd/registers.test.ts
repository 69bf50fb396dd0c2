// Register behaviour (vtd.md 1.5-1.10, 4.4): GCMD/GSTS command protocol, RTADDR latched only by
// SRTP, register-based context-cache and IOTLB invalidation with their actual granularities,
// FSTS/FECTL/FRCD read/write semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/vtd.ts';
import { DATA, ROOT, sid, vtdFixture } from './fixture.ts';

const hi = (mask: bigint) => Number(mask >> 32n);

test('reset values: VER 1.0, GSTS 0, FECTL and IECTL masked (IM = 1), GCMD reads 0', () => {
  const t = vtdFixture();
  assert.is(t.r32(R.VTD_VER), 0x10);
  assert.is(t.r32(R.VTD_GSTS), 0);
  assert.is(t.r32(R.VTD_FECTL), R.VTD_FECTL_IM_MASK >>> 0);
  assert.is(t.r32(R.VTD_IECTL), R.VTD_IECTL_IM_MASK >>> 0);
  t.w32(R.VTD_GCMD, R.VTD_GCMD_TE_MASK);
  assert.is(t.r32(R.VTD_GCMD), 0, 'GCMD is write-only');
});

test('GCMD: TE, QIE, IRE are persistent (status follows the last write); SRTP and SIRTP leave RTPS/IRTPS set', () => {
  const t = vtdFixture();
  t.w32(R.VTD_GCMD, R.VTD_GCMD_SRTP_MASK);
  assert.is(t.r32(R.VTD_GSTS), R.VTD_GSTS_RTPS_MASK >>> 0, 'RTPS = 1 once the root pointer is latched');
  t.w32(R.VTD_GCMD, R.VTD_GCMD_TE_MASK);
  assert.is(t.r32(R.VTD_GSTS), (R.VTD_GSTS_RTPS_MASK | R.VTD_GSTS_TES_MASK) >>> 0);
  t.w32(R.VTD_GCMD, (R.VTD_GCMD_TE_MASK | R.VTD_GCMD_QIE_MASK) >>> 0);
  assert.ok((t.r32(R.VTD_GSTS) & R.VTD_GSTS_QIES_MASK) !== 0);
  t.w32(R.VTD_GCMD, R.VTD_GCMD_QIE_MASK);
  assert.is(t.r32(R.VTD_GSTS) & R.VTD_GSTS_TES_MASK, 0, 'TE written 0: translation off');
  t.w32(R.VTD_GCMD, R.VTD_GCMD_IRE_MASK | R.VTD_GCMD_SIRTP_MASK);
  const g = t.r32(R.VTD_GSTS);
  assert.ok((g & R.VTD_GSTS_IRES_MASK) !== 0 && (g & R.VTD_GSTS_IRTPS_MASK) !== 0);
  assert.is(g & R.VTD_GSTS_QIES_MASK, 0, 'QIE written 0: queue off');
});

test('GCMD: WBF never reads back busy (CAP.RWBF = 0), SFL/EAFL do nothing without CAP.AFL', () => {
  const t = vtdFixture();
  t.w32(R.VTD_GCMD, (R.VTD_GCMD_WBF_MASK | R.VTD_GCMD_SFL_MASK | R.VTD_GCMD_EAFL_MASK) >>> 0);
  assert.is(t.r32(R.VTD_GSTS), 0);
});

test('GCMD: IRE/SIRTP/CFI are ignored without interrupt remapping; TE without DMA translation', () => {
  const t = vtdFixture({ features: { intremap: false, dmaTranslation: false } });
  t.w32(R.VTD_GCMD, (R.VTD_GCMD_TE_MASK | R.VTD_GCMD_IRE_MASK | R.VTD_GCMD_SIRTP_MASK | R.VTD_GCMD_CFI_MASK) >>> 0);
  assert.is(t.r32(R.VTD_GSTS), 0);
});

test('RTADDR takes effect only on SRTP: a later RTADDR write does not move the root until SRTP again', () => {
  const t = vtdFixture();
  const s = sid(0, 3, 0);
  const top = t.newTable();
  t.map(top, 0x1000, DATA);
  t.contextEntry(s, { SLPTPTR: top >> 12 }, { DID: 5 });
  t.bringUp();
  assert.ok(t.dma(s, 0x1000).ok);
  t.w64(R.VTD_RTADDR, BigInt(ROOT + 0x8000)); // an empty table
  assert.is(t.r64(R.VTD_RTADDR), BigInt(ROOT + 0x8000), 'RTADDR reads back what was written');
  t.w64(R.VTD_CCMD, R.VTD_CCMD_ICC_MASK | (BigInt(R.VTD_CCMD_CIRG_GLOBAL) << BigInt(R.VTD_CCMD_CIRG_SHIFT)));
  assert.ok(t.dma(s, 0x1000).ok, 'still the latched root');
  t.w32(R.VTD_GCMD, (R.VTD_GCMD_TE_MASK | R.VTD_GCMD_SRTP_MASK) >>> 0);
  t.w64(R.VTD_CCMD, R.VTD_CCMD_ICC_MASK | (BigInt(R.VTD_CCMD_CIRG_GLOBAL) << BigInt(R.VTD_CCMD_CIRG_SHIFT)));
  const r = t.dma(s, 0x1000);
  assert.is(r.ok ? 0 : (r.detail!.fr as number), R.VTD_FR_ROOT_ENTRY_P, 'the new (empty) root: root entry not present');
});

test('CCMD: ICC clears at once and CAIG reports the granularity done (global, domain, device)', () => {
  const t = vtdFixture();
  for (const g of [R.VTD_CCMD_CIRG_GLOBAL, R.VTD_CCMD_CIRG_DOMAIN, R.VTD_CCMD_CIRG_DEVICE]) {
    t.w64(R.VTD_CCMD, R.VTD_CCMD_ICC_MASK | (BigInt(g) << BigInt(R.VTD_CCMD_CIRG_SHIFT)) | 7n);
    const v = t.r64(R.VTD_CCMD);
    assert.is(v & R.VTD_CCMD_ICC_MASK, 0n);
    assert.is(Number((v & R.VTD_CCMD_CAIG_MASK) >> BigInt(R.VTD_CCMD_CAIG_SHIFT)), g);
  }
  // A write of the low half alone does not start an invalidation (ICC is in the high half).
  t.w64(R.VTD_CCMD, 0n);
  t.w32(R.VTD_CCMD + 4, hi(R.VTD_CCMD_ICC_MASK | (BigInt(R.VTD_CCMD_CIRG_GLOBAL) << BigInt(R.VTD_CCMD_CIRG_SHIFT))));
  assert.is(Number((t.r64(R.VTD_CCMD) & R.VTD_CCMD_CAIG_MASK) >> BigInt(R.VTD_CCMD_CAIG_SHIFT)), R.VTD_CCMD_CAIG_GLOBAL, 'a high-half write starts it');
});

test('IOTLB register: IVT clears, IAIG = IIRG; page-selective with AM > MAMV fails (IAIG = 0)', () => {
  const t = vtdFixture();
  for (const g of [R.VTD_IOTLB_IIRG_GLOBAL, R.VTD_IOTLB_IIRG_DOMAIN, R.VTD_IOTLB_IIRG_PAGE]) {
    t.w64(R.VTD_IVA, 0x5000n);
    t.w64(R.VTD_IOTLB, R.VTD_IOTLB_IVT_MASK | (BigInt(g) << BigInt(R.VTD_IOTLB_IIRG_SHIFT)) | (3n << BigInt(R.VTD_IOTLB_DID_SHIFT)));
    const v = t.r64(R.VTD_IOTLB);
    assert.is(v & R.VTD_IOTLB_IVT_MASK, 0n);
    assert.is(Number((v & R.VTD_IOTLB_IAIG_MASK) >> BigInt(R.VTD_IOTLB_IAIG_SHIFT)), g);
  }
  t.w64(R.VTD_IVA, 19n); // AM = 19 > MAMV = 18
  t.w64(R.VTD_IOTLB, R.VTD_IOTLB_IVT_MASK | (BigInt(R.VTD_IOTLB_IIRG_PAGE) << BigInt(R.VTD_IOTLB_IIRG_SHIFT)));
  assert.is(t.r64(R.VTD_IOTLB) & (R.VTD_IOTLB_IAIG_MASK | R.VTD_IOTLB_IVT_MASK), 0n);
  assert.is(t.r64(R.VTD_IVA), 0n, 'IVA is write-only');
});

test('register-based invalidation is ignored while queued invalidation is enabled (ICC stays set)', () => {
  const t = vtdFixture();
  t.enableQi();
  t.w64(R.VTD_CCMD, R.VTD_CCMD_ICC_MASK | (BigInt(R.VTD_CCMD_CIRG_GLOBAL) << BigInt(R.VTD_CCMD_CIRG_SHIFT)));
  assert.is(t.r64(R.VTD_CCMD) & R.VTD_CCMD_ICC_MASK, R.VTD_CCMD_ICC_MASK);
});

test('FEDATA keeps bits 15:0, FEADDR bits 31:2; PPF and FRI are read-only', () => {
  const t = vtdFixture();
  t.w32(R.VTD_FEDATA, 0xffffffff);
  t.w32(R.VTD_FEADDR, 0xffffffff);
  assert.is(t.r32(R.VTD_FEDATA), 0xffff);
  assert.is(t.r32(R.VTD_FEADDR), 0xfffffffc);
  t.w32(R.VTD_FSTS, 0xffffffff);
  assert.is(t.r32(R.VTD_FSTS), 0);
});

test('IQA.DW is reserved without scalable mode; honoured with it', () => {
  const t = vtdFixture();
  t.w64(R.VTD_IQA, 0x200000n | R.VTD_IQA_DW_MASK);
  assert.is(t.r64(R.VTD_IQA), 0x200000n);
  const s = vtdFixture({ features: { scalableMode: true } });
  s.w64(R.VTD_IQA, 0x200000n | R.VTD_IQA_DW_MASK);
  assert.is(s.r64(R.VTD_IQA), 0x200000n | R.VTD_IQA_DW_MASK);
});

test.run();

// Programming sequences of real clients replayed against the unit: the Linux intel-iommu
// DMA-remapping bring-up with queued invalidation (vtd.md 7.1, 7.2, 4.6, 5.4 step 6) and the
// kvm-unit-tests intel_iommu sequence (vtd.md 7.4), checking what each client polls or asserts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../../src/regs/generated/vtd.ts';
import { build } from '../../../src/hw/vtd/fields.ts';
import { CTX, DATA, IQ, ROOT, STATUS, desc, sid, vtdFixture } from './fixture.ts';

const S = sid(0, 4, 0);
const QI_DONE = 2; // Linux's wait-descriptor status marker
const F_DWORD = Number(R.VTD_FRCD_HI_F_MASK >> 32n);

/** A bounded poll as Linux's IOMMU_WAIT_OP: the condition must hold (the unit completes synchronously). */
function poll(what: string, cond: () => boolean): void {
  for (let i = 0; i < 3; i++) if (cond()) return;
  assert.unreachable(`timed out polling ${what}`);
}

/** Linux's driver state for one unit: the persistent GCMD shadow and the queue tail. */
function linuxUnit(features = {}) {
  const t = vtdFixture({ features });
  const cap = t.r64(R.VTD_CAP);
  const ecap = t.r64(R.VTD_ECAP);
  // alloc_iommu: seed the shadow from GSTS.
  const g0 = t.r32(R.VTD_GSTS);
  let gcmd = g0 & (R.VTD_GSTS_TES_MASK | R.VTD_GSTS_QIES_MASK | R.VTD_GSTS_IRES_MASK);
  let tail = 0;
  /** qi_submit_sync: descriptors + a wait (SW, STDATA = QI_DONE) on a status word, spin until done. */
  const qiSubmit = (...descs: bigint[][]) => {
    t.put64(STATUS, 1n); // QI_IN_USE
    for (const d of [...descs, desc.wait({ SW: 1, STDATA: QI_DONE, STADDR: STATUS / 4 })]) {
      t.putWords(IQ + tail * 16, d);
      tail = (tail + 1) % 256;
    }
    t.w32(R.VTD_IQT, tail << 4);
    poll('QI status', () => {
      const f = t.r32(R.VTD_FSTS) & (R.VTD_FSTS_IQE_MASK | R.VTD_FSTS_ITE_MASK | R.VTD_FSTS_ICE_MASK);
      assert.is(f, 0, 'no queue error');
      return t.get32(STATUS) === QI_DONE;
    });
  };
  const bringUp = () => {
    assert.ok((ecap & R.VTD_ECAP_QI_MASK) !== 0n, 'QI available');
    // dmar_fault: clear stale faults; disable then enable QI.
    t.w32(R.VTD_FSTS, R.VTD_FSTS_PFO_MASK | R.VTD_FSTS_PPF_MASK | R.VTD_FSTS_PRO_MASK);
    t.w64(R.VTD_IQT, 0n);
    t.w64(R.VTD_IQA, BigInt(IQ));
    gcmd |= R.VTD_GCMD_QIE_MASK;
    t.w32(R.VTD_GCMD, gcmd);
    poll('QIES', () => (t.r32(R.VTD_GSTS) & R.VTD_GSTS_QIES_MASK) !== 0);
    // iommu_set_root_entry.
    t.w64(R.VTD_RTADDR, BigInt(ROOT));
    t.w32(R.VTD_GCMD, gcmd | R.VTD_GCMD_SRTP_MASK);
    poll('RTPS', () => (t.r32(R.VTD_GSTS) & R.VTD_GSTS_RTPS_MASK) !== 0);
    // Not ESRTPS: global context-cache and IOTLB invalidation.
    assert.is(cap & R.VTD_CAP_ESRTPS_MASK, 0n);
    qiSubmit(desc.cc(R.VTD_INV_CC_G_GLOBAL));
    qiSubmit(desc.iotlb(R.VTD_INV_IOTLB_G_GLOBAL, { DW: 1, DR: 1 }));
    // Fault interrupt: data, address, upper address, unmask.
    t.w32(R.VTD_FEDATA, 0x4021);
    t.w32(R.VTD_FEADDR, 0xfee00000);
    t.w32(R.VTD_FEUADDR, 0);
    t.w32(R.VTD_FECTL, 0);
  };
  /** domain_context_mapping_one for a legacy context (not present -> present). */
  const attach = (top: number, did: number) => {
    t.rootEntry(0);
    t.putWords(CTX + (S & 0xff) * 16, build(2, 'CONTEXT_ENTRY', { P: 1, SLPTPTR: top >> 12, AW: R.VTD_CONTEXT_ENTRY_AW_AW_39, DID: did }));
    if ((cap & R.VTD_CAP_CM_MASK) !== 0n) {
      qiSubmit(desc.cc(R.VTD_INV_CC_G_DEVICE, { DID: 0, SID: S }));
      qiSubmit(desc.iotlb(R.VTD_INV_IOTLB_G_DOMAIN, { DID: did }));
    }
  };
  const enableTranslation = () => {
    gcmd |= R.VTD_GCMD_TE_MASK;
    t.w32(R.VTD_GCMD, gcmd);
    poll('TES', () => (t.r32(R.VTD_GSTS) & R.VTD_GSTS_TES_MASK) !== 0);
  };
  /** dmar_fault: walk the records from FRI, read and clear each, then clear PFO/PPF. */
  const faultHandler = () => {
    const out: { fr: number; sid: number; addr: bigint; read: boolean }[] = [];
    const fsts = t.r32(R.VTD_FSTS);
    if ((fsts & R.VTD_FSTS_PPF_MASK) !== 0) {
      const n = Number((cap & R.VTD_CAP_NFR_MASK) >> BigInt(R.VTD_CAP_NFR_SHIFT)) + 1;
      const fro = Number((cap & R.VTD_CAP_FRO_MASK) >> BigInt(R.VTD_CAP_FRO_SHIFT)) * 16;
      let i = (fsts & R.VTD_FSTS_FRI_MASK) >>> R.VTD_FSTS_FRI_SHIFT;
      for (;;) {
        const hiHi = t.r32(fro + i * 16 + 12);
        if ((hiHi & F_DWORD) === 0) break;
        const hiLo = t.r32(fro + i * 16 + 8);
        out.push({
          fr: hiHi & 0xff, sid: hiLo & 0xffff, addr: t.r64(fro + i * 16),
          read: (hiHi & Number(R.VTD_FRCD_HI_T_MASK >> 32n)) !== 0,
        });
        t.w32(fro + i * 16 + 12, F_DWORD);
        i = (i + 1) % n;
      }
    }
    t.w32(R.VTD_FSTS, R.VTD_FSTS_PFO_MASK | R.VTD_FSTS_PPF_MASK | R.VTD_FSTS_PRO_MASK);
    return out;
  };
  /** Descriptors written by hand at the tail: move the driver's tail past them. */
  const skip = (n: number) => {
    tail = (tail + n) % 256;
  };
  return { t, qiSubmit, bringUp, attach, enableTranslation, faultHandler, skip };
}

for (const cm of [false, true]) {
  test(`Linux bring-up with queued invalidation${cm ? ' and caching mode' : ''}: attach, DMA, unmap with PSI, fault handled`, () => {
    const u = linuxUnit({ cachingMode: cm });
    const { t } = u;
    u.bringUp();
    const top = t.newTable();
    const leaf = t.map(top, 0x10000, DATA);
    if (cm) {
      // Caching mode: the unit may have cached the not-present context from an earlier access.
      u.enableTranslation();
      assert.not.ok(t.dma(S, 0x10000).ok);
      assert.equal(u.faultHandler(), [{ fr: R.VTD_FR_ROOT_ENTRY_P, sid: S, addr: 0x10000n, read: true }]); // no root entry for bus 0 yet
      u.attach(top, 1);
    } else {
      u.attach(top, 1);
      u.enableTranslation();
    }
    const r = t.dma(S, 0x10040, true);
    assert.is(r.ok && r.pa, DATA + 0x40);
    // Unmap: clear the PTE, page-selective IOTLB invalidation (AM 0, IH 1: leaf-only change).
    t.put64(leaf, 0n);
    assert.ok(t.dma(S, 0x10000).ok, 'cached until invalidated');
    u.qiSubmit(desc.iotlb(R.VTD_INV_IOTLB_G_PAGE, { DID: 1, ADDR: 0x10000 >> 12, AM: 0, IH: 1 }));
    assert.not.ok(t.dma(S, 0x10008).ok);
    assert.equal(t.msis.at(-1), { address: 0xfee00000, data: 0x4021 });
    assert.equal(u.faultHandler(), [{ fr: R.VTD_FR_READ, sid: S, addr: 0x10000n, read: true }]);
    assert.is(t.r32(R.VTD_FSTS), 0);
    assert.is(t.r32(R.VTD_FECTL), 0);
  });
}

test('Linux: a queue error is recovered by overwriting the bad descriptor with the wait and clearing IQE', () => {
  const u = linuxUnit();
  const { t } = u;
  u.bringUp();
  const head = Number(t.r64(R.VTD_IQH) >> 4n);
  t.put64(STATUS, 1n);
  t.putWords(IQ + head * 16, desc.iotlb(R.VTD_INV_IOTLB_G_PAGE, { AM: 30 })); // AM > MAMV
  t.putWords(IQ + (head + 1) * 16, desc.wait({ SW: 1, STDATA: QI_DONE, STADDR: STATUS / 4 }));
  u.skip(2);
  t.w32(R.VTD_IQT, (head + 2) << 4);
  assert.is(t.r32(R.VTD_FSTS) & R.VTD_FSTS_IQE_MASK, R.VTD_FSTS_IQE_MASK);
  // qi_check_fault: IQH is our descriptor -> copy the wait over it, clear IQE.
  assert.is(Number(t.r64(R.VTD_IQH) >> 4n), head);
  t.putWords(IQ + head * 16, desc.wait({ SW: 1, STDATA: QI_DONE, STADDR: STATUS / 4 }));
  t.w32(R.VTD_FSTS, R.VTD_FSTS_IQE_MASK);
  assert.is(t.r32(R.VTD_FSTS), 0);
  // The request failed (-EINVAL); the next submission's IQT write runs the copied wait and its own.
  u.qiSubmit(desc.iotlb(R.VTD_INV_IOTLB_G_GLOBAL));
  assert.is(Number(t.r64(R.VTD_IQH) >> 4n), head + 4);
});

test('Linux interrupt-remapping bring-up (vtd.md 7.3): QI, IRTA = table | S 0xF, SIRTP, global IEC, IRE, CFI left off; per-interrupt IRTE + index-selective IEC', () => {
  const u = linuxUnit();
  const { t } = u;
  const IRT = 0x30_0000;
  u.bringUp();
  t.w64(R.VTD_IRTA, BigInt(IRT) | 0xfn);
  t.w32(R.VTD_GCMD, R.VTD_GCMD_QIE_MASK | R.VTD_GCMD_SIRTP_MASK);
  poll('IRTPS', () => (t.r32(R.VTD_GSTS) & R.VTD_GSTS_IRTPS_MASK) !== 0);
  u.qiSubmit(desc.iec({ G: R.VTD_INV_IEC_G_GLOBAL }));
  t.w32(R.VTD_GCMD, R.VTD_GCMD_QIE_MASK | R.VTD_GCMD_IRE_MASK);
  poll('IRES', () => (t.r32(R.VTD_GSTS) & R.VTD_GSTS_IRES_MASK) !== 0);
  assert.is(t.r32(R.VTD_GSTS) & R.VTD_GSTS_CFIS_MASK, 0, 'CFIS clear: nothing to undo');
  // One MSI of the device: IRTE 0 (fixed, physical, vector 0x41, APIC 2, SID verified), then IEC for it.
  t.putWords(IRT, build(2, 'IRTE', { P: 1, V: 0x41, DST: 0x0200, SVT: R.VTD_IRTE_SVT_SID, SID: S }));
  u.qiSubmit(desc.iec({ G: R.VTD_INV_IEC_G_INDEX, IIDX: 0, IM: 0 }));
  const addr = (0xfee00000 | R.VTD_IR_MSI_ADDR_IF_MASK) >>> 0; // handle 0, SHV 0
  assert.equal(t.vtd.remapMsi(addr, 0, S), { ok: true, address: 0xfee02000, data: 0x41 });
  // The compatibility-format message the device might still send is blocked (CFI off).
  assert.not.ok(t.vtd.remapMsi(0xfee02000, 0x41, S).ok);
  assert.equal(u.faultHandler(), [{ fr: R.VTD_FR_IR_COMPAT_BLOCKED, sid: S, addr: 0n, read: false }]);
});

// QEMU's 2026 qtest iommu-intel-test (vtd.md 7.5): five modes, each a write of 0x12345678 through
// the unit to one 4 KiB page (aw-bits 48, 4-level tables), with its exact register sequence.
for (const mode of ['legacy-pt', 'legacy-trans', 'scalable-pt', 'scalable-slt', 'scalable-flt'] as const) {
  test(`QEMU qtest iommu-intel-test sequence, mode ${mode}`, () => {
    const scalable = mode.startsWith('scalable');
    const t = vtdFixture({ features: { awBits: 48, scalableMode: scalable, firstStage: mode === 'scalable-flt' } });
    const CT = 0x11_0000, PD = 0x12_0000, PT = 0x13_0000, GPA = DATA + 0x5000, IOVA = 0x40_0000_0000 + 0x123000;
    // Four page-table pages: a chain to one 4 KiB page. Second stage R|W everywhere; first stage P|RW|US|A (+D at the leaf).
    const pages = [0x40_0000, 0x40_1000, 0x40_2000, 0x40_3000];
    const fs = mode === 'scalable-flt';
    const tableBits: Record<string, number> = fs ? { P: 1, RW: 1, US: 1, A: 1 } : { R: 1, W: 1 };
    for (let l = 4; l >= 1; l--) {
      const idx = Math.floor(IOVA / 2 ** (12 + 9 * (l - 1))) % 512;
      const next = l > 1 ? pages[4 - l + 1]! : GPA;
      t.put64(pages[4 - l]! + idx * 8, build(1, fs ? 'FS_PTE' : 'SS_PTE', { ...tableBits, ...(fs && l === 1 ? { D: 1 } : {}), ADDR: next / 4096 })[0]!);
    }
    if (!scalable) {
      t.putWords(ROOT, build(2, 'ROOT_ENTRY', { P: 1, CTP: CT >> 12 }));
      t.putWords(CT + (S & 0xff) * 16, build(2, 'CONTEXT_ENTRY', {
        P: 1, TT: mode === 'legacy-pt' ? R.VTD_CONTEXT_ENTRY_TT_PASS_THROUGH : R.VTD_CONTEXT_ENTRY_TT_MULTI_LEVEL,
        SLPTPTR: pages[0]! / 4096, DID: 1, AW: R.VTD_CONTEXT_ENTRY_AW_AW_48,
      }));
    } else {
      t.putWords(ROOT, build(2, 'SM_ROOT_ENTRY', { LP: 1, LCTP: CT >> 12 }));
      t.putWords(CT + (S & 0x7f) * 32, build(4, 'SM_CONTEXT_ENTRY', { P: 1, PASIDDIRPTR: PD >> 12 }));
      t.put64(PD, build(1, 'PASID_DIR_ENTRY', { P: 1, SMPTBLPTR: PT >> 12 })[0]!);
      const pe: Record<string, number> =
        mode === 'scalable-pt' ? { PGTT: R.VTD_PASID_ENTRY_PGTT_PASS_THROUGH }
          : mode === 'scalable-slt' ? { PGTT: R.VTD_PASID_ENTRY_PGTT_SECOND_STAGE, AW: R.VTD_CONTEXT_ENTRY_AW_AW_48, SSPTPTR: pages[0]! / 4096 }
            : { PGTT: R.VTD_PASID_ENTRY_PGTT_FIRST_STAGE, FSPTPTR: pages[0]! / 4096 };
      t.putWords(PT, build(8, 'PASID_ENTRY', { P: 1, DID: 1, ...pe }));
    }
    const ttm = scalable ? BigInt(R.VTD_RTADDR_TTM_SCALABLE) << BigInt(R.VTD_RTADDR_TTM_SHIFT) : 0n;
    t.w64(R.VTD_RTADDR, BigInt(ROOT) | ttm);
    t.w32(R.VTD_GCMD, R.VTD_GCMD_SRTP_MASK);
    assert.ok((t.r32(R.VTD_GSTS) & R.VTD_GSTS_RTPS_MASK) !== 0);
    t.w64(R.VTD_IQA, BigInt(IQ));
    t.w64(R.VTD_IQH, 0n); // read-only: ignored
    t.w64(R.VTD_IQT, 0n);
    t.w32(R.VTD_GCMD, (R.VTD_GCMD_SRTP_MASK | R.VTD_GCMD_QIE_MASK) >>> 0);
    assert.ok((t.r32(R.VTD_GSTS) & R.VTD_GSTS_QIES_MASK) !== 0);
    t.w32(R.VTD_FECTL, 0);
    t.w32(R.VTD_FEDATA, 0x20);
    t.w32(R.VTD_FEADDR, 0xfee00000);
    t.w32(R.VTD_GCMD, (R.VTD_GCMD_SRTP_MASK | R.VTD_GCMD_QIE_MASK | R.VTD_GCMD_TE_MASK) >>> 0);
    assert.ok((t.r32(R.VTD_GSTS) & R.VTD_GSTS_TES_MASK) !== 0);
    const pt = mode.endsWith('-pt');
    const target = pt ? 0x10_0000 : IOVA; // pass-through: the test writes straight to the GPA
    const r = t.dma(S, target + 0x10, true);
    assert.is(r.ok && r.pa, (pt ? 0x10_0000 : GPA) + 0x10);
    assert.is(t.r32(R.VTD_FSTS), 0);
    assert.equal(t.msis, []);
  });
}

test('kvm-unit-tests intel_iommu: GCMD = GSTS | bit for QIE, SRTP, SIRTP, TE, IRE; its checks; DMA with FPD = 1 and no invalidation', () => {
  const t = vtdFixture();
  assert.ok(((t.r32(R.VTD_VER) & R.VTD_VER_MAX_MASK) >>> R.VTD_VER_MAX_SHIFT) >= 1);
  const cmd = (bit: number) => t.w32(R.VTD_GCMD, (t.r32(R.VTD_GSTS) | bit) >>> 0);
  cmd(R.VTD_GCMD_QIE_MASK); // IQA never written: a queue at 0 that is never used
  poll('QIES', () => (t.r32(R.VTD_GSTS) & R.VTD_GSTS_QIES_MASK) !== 0);
  t.w64(R.VTD_RTADDR, BigInt(ROOT));
  cmd(R.VTD_GCMD_SRTP_MASK);
  t.w64(R.VTD_IRTA, 0x30_0000n | 0xfn);
  cmd(R.VTD_GCMD_SIRTP_MASK); // re-asserts SRTP too (RTPS reads 1)
  cmd(R.VTD_GCMD_TE_MASK);
  poll('TES', () => (t.r32(R.VTD_GSTS) & R.VTD_GSTS_TES_MASK) !== 0);
  cmd(R.VTD_GCMD_IRE_MASK);
  poll('IRES', () => (t.r32(R.VTD_GSTS) & R.VTD_GSTS_IRES_MASK) !== 0);
  assert.is(t.r32(R.VTD_FSTS), 0);
  const want = R.VTD_GSTS_QIES_MASK | R.VTD_GSTS_RTPS_MASK | R.VTD_GSTS_IRTPS_MASK | R.VTD_GSTS_TES_MASK | R.VTD_GSTS_IRES_MASK;
  assert.is((t.r32(R.VTD_GSTS) & want) >>> 0, want >>> 0);
  const cap = t.r64(R.VTD_CAP);
  assert.ok((cap & (1n << BigInt(R.VTD_CAP_SAGAW_SHIFT + R.VTD_CONTEXT_ENTRY_AW_AW_39))) !== 0n, 'SAGAW has 39-bit');
  assert.is((cap & R.VTD_CAP_SLLPS_MASK) >> BigInt(R.VTD_CAP_SLLPS_SHIFT), 3n, 'SLLPS 2M and 1G');
  // DMA: context (DID = SID, AW 39, TT 0, FPD 1), IOVA 0 -> a test page; no invalidation.
  const top = t.newTable();
  t.map(top, 0, DATA);
  t.contextEntry(S, { SLPTPTR: top >> 12, FPD: 1 }, { DID: S });
  const a = t.dma(S, 0);
  const b = t.dma(S, 4, true);
  assert.equal([a.ok && a.pa, b.ok && b.pa], [DATA, DATA + 4]);
  assert.is(t.vtd.latchedIrta, 0x30_0000n | 0xfn);
});

test.run();

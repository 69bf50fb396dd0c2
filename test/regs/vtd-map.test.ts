// Generated VT-d constants checked against /work/shared/reference/vtd.md. Expected values are
// copied from the sheet (section named in each test), not from regmaps/vtd.json.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as V from '../../src/regs/generated/vtd.ts';
import { RegisterFile } from '../../src/regs/register-file.ts';

const field = (v: bigint, mask: bigint, shift: number) => (v & mask) >> BigInt(shift);

test('1.1 register offsets', () => {
  const expected: [number, number][] = [
    [V.VTD_VER, 0x000], [V.VTD_CAP, 0x008], [V.VTD_ECAP, 0x010], [V.VTD_GCMD, 0x018], [V.VTD_GSTS, 0x01c],
    [V.VTD_RTADDR, 0x020], [V.VTD_CCMD, 0x028], [V.VTD_FSTS, 0x034], [V.VTD_FECTL, 0x038], [V.VTD_FEDATA, 0x03c],
    [V.VTD_FEADDR, 0x040], [V.VTD_FEUADDR, 0x044], [V.VTD_AFLOG, 0x058], [V.VTD_PMEN, 0x064], [V.VTD_PLMBASE, 0x068],
    [V.VTD_PLMLIMIT, 0x06c], [V.VTD_PHMBASE, 0x070], [V.VTD_PHMLIMIT, 0x078], [V.VTD_IQH, 0x080], [V.VTD_IQT, 0x088],
    [V.VTD_IQA, 0x090], [V.VTD_ICS, 0x09c], [V.VTD_IECTL, 0x0a0], [V.VTD_IEDATA, 0x0a4], [V.VTD_IEADDR, 0x0a8],
    [V.VTD_IEUADDR, 0x0ac], [V.VTD_IQERCD, 0x0b0], [V.VTD_IRTA, 0x0b8], [V.VTD_PQH, 0x0c0], [V.VTD_PQT, 0x0c8],
    [V.VTD_PQA, 0x0d0], [V.VTD_PRS, 0x0dc], [V.VTD_PECTL, 0x0e0], [V.VTD_PEDATA, 0x0e4], [V.VTD_PEADDR, 0x0e8],
    [V.VTD_PEUADDR, 0x0ec], [V.VTD_IVA, 0x0f0], [V.VTD_IOTLB, 0x0f8], [V.VTD_MTRRCAP, 0x100], [V.VTD_MTRRDEF, 0x108],
    [V.VTD_MTRR_FIX64K_00000, 0x120], [V.VTD_MTRR_FIX4K_F8000, 0x170], [V.VTD_FRCD_LO, 0x220], [V.VTD_FRCD_HI, 0x228],
  ];
  for (const [got, want] of expected) assert.is(got, want);
  // PHYSBASE0/PHYSMASK0 ... PHYSBASE9/PHYSMASK9 span 0x180-0x218.
  assert.is(V.VTD_MTRR_PHYSBASE, 0x180);
  assert.is(V.VTD_MTRR_PHYSMASK + (V.VTD_MTRR_PHYSMASK_COUNT - 1) * V.VTD_MTRR_PHYSMASK_STRIDE, 0x218);
  assert.is(V.vtd.size, 0x230, "QEMU's DMAR_REG_SIZE");
});

test('1.1/1.2 QEMU 7.2 reset values (default properties)', () => {
  assert.is(V.VTD_VER_RESET, 0x10);
  assert.is(V.VTD_CAP_RESET, 0x00d2008c22260206n);
  assert.is(V.VTD_ECAP_RESET, 0x0000000000f00f4an);
  assert.is(V.VTD_FECTL_RESET, 0x80000000);
  assert.is(V.VTD_IECTL_RESET, 0x80000000);
  assert.is(V.VTD_GSTS_RESET, 0);
  assert.is(V.VTD_FSTS_RESET, 0);
});

test('1.2/1.3 CAP decodes to the fixed QEMU part', () => {
  const cap = V.VTD_CAP_RESET;
  assert.is(field(cap, 0x7n, V.VTD_CAP_ND_SHIFT), 6n);
  assert.is(V.VTD_CAP_ND_D64K, 6);
  assert.is(field(cap, V.VTD_CAP_SAGAW_MASK, V.VTD_CAP_SAGAW_SHIFT), 0b00010n, 'SAGAW bit 1 = 39-bit');
  assert.is(field(cap, V.VTD_CAP_MGAW_MASK, V.VTD_CAP_MGAW_SHIFT), 38n, 'aw-bits 39 - 1');
  assert.is(field(cap, V.VTD_CAP_FRO_MASK, V.VTD_CAP_FRO_SHIFT), 0x22n);
  assert.is(Number(field(cap, V.VTD_CAP_FRO_MASK, V.VTD_CAP_FRO_SHIFT)) * 16, V.VTD_FRCD_LO, 'FRO*16 is where the first record lives');
  assert.is(field(cap, V.VTD_CAP_NFR_MASK, V.VTD_CAP_NFR_SHIFT), 0n, 'one fault-recording register');
  assert.is(field(cap, V.VTD_CAP_MAMV_MASK, V.VTD_CAP_MAMV_SHIFT), 18n);
  assert.is(field(cap, V.VTD_CAP_PSI_MASK, V.VTD_CAP_PSI_SHIFT), 1n);
  assert.is(field(cap, V.VTD_CAP_SLLPS_MASK, V.VTD_CAP_SLLPS_SHIFT), 0b0011n, '2 MiB + 1 GiB');
  assert.is(field(cap, V.VTD_CAP_DWD_MASK, V.VTD_CAP_DWD_SHIFT), 1n);
  assert.is(field(cap, V.VTD_CAP_DRD_MASK, V.VTD_CAP_DRD_SHIFT), 1n);
  assert.is(field(cap, V.VTD_CAP_CM_MASK, V.VTD_CAP_CM_SHIFT), 0n, 'caching-mode off');
  assert.is(V.VTD_CAP_CM_SHIFT, 7);
  assert.is(V.VTD_CAP_FS1GP_SHIFT, 56);
  assert.is(V.VTD_CAP_ESRTPS_SHIFT, 63);
  // With caching-mode the sheet gives 0x00D2008C_22260286: exactly CM added.
  assert.is(cap | V.VTD_CAP_CM_MASK, 0x00d2008c22260286n);
});

test('1.4 ECAP decodes to QI, IR, PT, IRO=0xF, MHMV=0xF', () => {
  const e = V.VTD_ECAP_RESET;
  assert.is(field(e, V.VTD_ECAP_QI_MASK, V.VTD_ECAP_QI_SHIFT), 1n);
  assert.is(field(e, V.VTD_ECAP_IR_MASK, V.VTD_ECAP_IR_SHIFT), 1n);
  assert.is(field(e, V.VTD_ECAP_EIM_MASK, V.VTD_ECAP_EIM_SHIFT), 0n);
  assert.is(field(e, V.VTD_ECAP_PT_MASK, V.VTD_ECAP_PT_SHIFT), 1n);
  assert.is(field(e, V.VTD_ECAP_MHMV_MASK, V.VTD_ECAP_MHMV_SHIFT), 0xfn);
  const iro = Number(field(e, V.VTD_ECAP_IRO_MASK, V.VTD_ECAP_IRO_SHIFT));
  assert.is(iro, 0xf);
  assert.is(iro * 16, V.VTD_IVA, 'IVA at IRO*16');
  assert.is(iro * 16 + 8, V.VTD_IOTLB, 'IOTLB at IRO*16 + 8');
  // EIM on gives 0xF00F5A; scalable mode adds SMTS, SRS, SLTS: 0x00004800_80F00F4A.
  assert.is(e | V.VTD_ECAP_EIM_MASK, 0xf00f5an);
  assert.is(e | V.VTD_ECAP_SMTS_MASK | V.VTD_ECAP_SRS_MASK | V.VTD_ECAP_SSTS_MASK, 0x0000480080f00f4an);
  assert.equal([V.VTD_ECAP_SMTS_SHIFT, V.VTD_ECAP_SSTS_SHIFT, V.VTD_ECAP_FSTS_SHIFT, V.VTD_ECAP_PASID_SHIFT], [43, 46, 47, 40]);
  assert.equal([V.VTD_ECAP_PSS_SHIFT, V.VTD_ECAP_PSS_WIDTH], [35, 5]);
});

test('1.5 GCMD/GSTS bits', () => {
  const gcmd = [V.VTD_GCMD_TE_SHIFT, V.VTD_GCMD_SRTP_SHIFT, V.VTD_GCMD_SFL_SHIFT, V.VTD_GCMD_EAFL_SHIFT, V.VTD_GCMD_WBF_SHIFT,
    V.VTD_GCMD_QIE_SHIFT, V.VTD_GCMD_IRE_SHIFT, V.VTD_GCMD_SIRTP_SHIFT, V.VTD_GCMD_CFI_SHIFT];
  const gsts = [V.VTD_GSTS_TES_SHIFT, V.VTD_GSTS_RTPS_SHIFT, V.VTD_GSTS_FLS_SHIFT, V.VTD_GSTS_AFLS_SHIFT, V.VTD_GSTS_WBFS_SHIFT,
    V.VTD_GSTS_QIES_SHIFT, V.VTD_GSTS_IRES_SHIFT, V.VTD_GSTS_IRTPS_SHIFT, V.VTD_GSTS_CFIS_SHIFT];
  assert.equal(gcmd, [31, 30, 29, 28, 27, 26, 25, 24, 23]);
  assert.equal(gsts, gcmd, 'status bits sit at the command bit positions');
});

test('1.6-1.13 register field positions', () => {
  assert.equal([V.VTD_RTADDR_TTM_SHIFT, V.VTD_RTADDR_TTM_SCALABLE, V.VTD_RTADDR_TTM_ABORT_DMA], [10, 1, 3]);
  assert.equal([V.VTD_CCMD_SID_SHIFT, V.VTD_CCMD_FM_SHIFT, V.VTD_CCMD_CAIG_SHIFT, V.VTD_CCMD_CIRG_SHIFT, V.VTD_CCMD_ICC_SHIFT], [16, 32, 59, 61, 63]);
  assert.equal([V.VTD_CCMD_CIRG_GLOBAL, V.VTD_CCMD_CIRG_DOMAIN, V.VTD_CCMD_CIRG_DEVICE], [1, 2, 3]);
  assert.equal([V.VTD_IVA_AM_WIDTH, V.VTD_IVA_IH_SHIFT, V.VTD_IVA_ADDR_SHIFT], [6, 6, 12]);
  assert.equal([V.VTD_IOTLB_DID_SHIFT, V.VTD_IOTLB_DW_SHIFT, V.VTD_IOTLB_DR_SHIFT, V.VTD_IOTLB_IAIG_SHIFT, V.VTD_IOTLB_IIRG_SHIFT, V.VTD_IOTLB_IVT_SHIFT],
    [32, 48, 49, 57, 60, 63]);
  assert.equal([V.VTD_IOTLB_IIRG_PAGE, V.VTD_IOTLB_IAIG_DOMAIN], [3, 2]);
  assert.equal([V.VTD_FSTS_PFO_SHIFT, V.VTD_FSTS_PPF_SHIFT, V.VTD_FSTS_IQE_SHIFT, V.VTD_FSTS_ICE_SHIFT, V.VTD_FSTS_ITE_SHIFT, V.VTD_FSTS_FRI_SHIFT],
    [0, 1, 4, 5, 6, 8]);
  assert.equal([V.VTD_FECTL_IP_SHIFT, V.VTD_FECTL_IM_SHIFT], [30, 31]);
  assert.equal([V.VTD_IQA_QS_WIDTH, V.VTD_IQA_DW_SHIFT, V.VTD_IQA_IQA_SHIFT], [3, 11, 12]);
  assert.equal([V.VTD_IQH_QH_SHIFT, V.VTD_IQT_QT_SHIFT, V.VTD_IQT_QT_WIDTH], [4, 4, 15]);
  assert.equal([V.VTD_IRTA_S_WIDTH, V.VTD_IRTA_EIME_SHIFT, V.VTD_IRTA_IRTA_SHIFT], [4, 11, 12]);
  assert.equal([V.VTD_IQERCD_ITESID_SHIFT, V.VTD_IQERCD_ICESID_SHIFT, V.VTD_IQERCD_IQEI_TTM_INVALID], [32, 48, 7]);
});

test('1.10 FRCD layout: 128-bit record as FRCD_LO + FRCD_HI', () => {
  // Absolute bits from the sheet, minus 64 for the high register.
  assert.is(V.VTD_FRCD_LO_FI_SHIFT, 12);
  assert.is(V.VTD_FRCD_HI_SID_SHIFT, 79 - 15 - 64);
  assert.is(V.VTD_FRCD_HI_PP_SHIFT, 95 - 64);
  assert.is(V.VTD_FRCD_HI_FR_SHIFT, 96 - 64);
  assert.is(V.VTD_FRCD_HI_FR_WIDTH, 8);
  assert.is(V.VTD_FRCD_HI_PV_SHIFT, 104 - 64);
  assert.is(V.VTD_FRCD_HI_T_SHIFT, 126 - 64);
  assert.is(V.VTD_FRCD_HI_F_SHIFT, 127 - 64);
  assert.is(V.VTD_FRCD_HI - V.VTD_FRCD_LO, 8);
  assert.is(V.VTD_FRCD_HI_STRIDE, 16);
});

test('1.1 QEMU write masks are what the access semantics let through', () => {
  // Write all-ones (RW1C bits excepted: there are none in these) and read back.
  const rf = new RegisterFile(V.vtd);
  const masks: [string, number, bigint][] = [
    ['RTADDR', V.VTD_RTADDR, 0xfffffffffffffc00n],
    ['CCMD', V.VTD_CCMD, 0xe0000003ffffffffn],
    ['IQT', V.VTD_IQT, 0x7fff0n],
    ['IQA', V.VTD_IQA, 0xfffffffffffff807n],
    ['IRTA', V.VTD_IRTA, 0xfffffffffffff80fn],
    ['IOTLB', V.VTD_IOTLB, 0xb003ffff00000000n],
  ];
  for (const [name, off, mask] of masks) {
    rf.write64(off, 0xffffffffffffffffn);
    assert.is(rf.read64(off), mask, name);
  }
  rf.write(V.VTD_FEDATA, 4, 0xffffffff);
  assert.is(rf.read(V.VTD_FEDATA, 4), 0xffff, 'FEDATA mask 0x0000FFFF');
  rf.write(V.VTD_GCMD, 4, 0xffffffff);
  assert.is(rf.read(V.VTD_GCMD, 4), 0, 'GCMD reads 0');
  assert.is(rf.get('GCMD'), 0xff800000, 'only bits 31:23 are command bits');
  rf.write64(V.VTD_IVA, 0xffffffffffffffffn);
  assert.is(rf.read64(V.VTD_IVA), 0n, 'IVA is write-only');
});

test('2.1/2.2 legacy root and context entries', () => {
  assert.is(V.VTD_ROOT_ENTRY_SIZE, 16);
  assert.equal([V.VTD_ROOT_ENTRY_P_SHIFT, V.VTD_ROOT_ENTRY_CTP_SHIFT], [0, 12]);
  assert.is(V.VTD_ROOT_ENTRY_CTP_MASK, 0xfffffffffffff000n);
  assert.is(V.VTD_CONTEXT_ENTRY_SIZE, 16);
  assert.equal([V.VTD_CONTEXT_ENTRY_FPD_SHIFT, V.VTD_CONTEXT_ENTRY_TT_SHIFT, V.VTD_CONTEXT_ENTRY_TT_WIDTH], [1, 2, 2]);
  assert.equal([V.VTD_CONTEXT_ENTRY_TT_MULTI_LEVEL, V.VTD_CONTEXT_ENTRY_TT_MULTI_LEVEL_DT, V.VTD_CONTEXT_ENTRY_TT_PASS_THROUGH], [0, 1, 2]);
  assert.equal([V.VTD_CONTEXT_ENTRY_SLPTPTR_WORD, V.VTD_CONTEXT_ENTRY_SLPTPTR_SHIFT], [0, 12]);
  assert.equal([V.VTD_CONTEXT_ENTRY_AW_WORD, V.VTD_CONTEXT_ENTRY_AW_SHIFT, V.VTD_CONTEXT_ENTRY_AW_WIDTH], [1, 0, 3]);
  assert.equal([V.VTD_CONTEXT_ENTRY_AW_AW_39, V.VTD_CONTEXT_ENTRY_AW_AW_48, V.VTD_CONTEXT_ENTRY_AW_AW_57], [1, 2, 3]);
  assert.equal([V.VTD_CONTEXT_ENTRY_DID_WORD, V.VTD_CONTEXT_ENTRY_DID_SHIFT, V.VTD_CONTEXT_ENTRY_DID_WIDTH], [1, 8, 16]);
});

test('2.3-2.6 scalable-mode structures', () => {
  assert.equal([V.VTD_SM_ROOT_ENTRY_UP_WORD, V.VTD_SM_ROOT_ENTRY_UCTP_SHIFT], [1, 12]);
  assert.is(V.VTD_SM_CONTEXT_ENTRY_SIZE, 32);
  assert.equal([V.VTD_SM_CONTEXT_ENTRY_PDTS_SHIFT, V.VTD_SM_CONTEXT_ENTRY_PDTS_WIDTH], [9, 3]);
  assert.equal([V.VTD_SM_CONTEXT_ENTRY_RID_PASID_WORD, V.VTD_SM_CONTEXT_ENTRY_RID_PASID_WIDTH], [1, 20]);
  assert.is(V.VTD_PASID_DIR_ENTRY_SIZE, 8);
  assert.is(V.VTD_PASID_ENTRY_SIZE, 64);
  assert.equal([V.VTD_PASID_ENTRY_PGTT_SHIFT, V.VTD_PASID_ENTRY_PGTT_WIDTH], [6, 3]);
  assert.equal([V.VTD_PASID_ENTRY_PGTT_FIRST_STAGE, V.VTD_PASID_ENTRY_PGTT_SECOND_STAGE, V.VTD_PASID_ENTRY_PGTT_NESTED, V.VTD_PASID_ENTRY_PGTT_PASS_THROUGH], [1, 2, 3, 4]);
  assert.equal([V.VTD_PASID_ENTRY_DID_WORD, V.VTD_PASID_ENTRY_DID_WIDTH], [1, 16]);
  assert.equal([V.VTD_PASID_ENTRY_FSPTPTR_WORD, V.VTD_PASID_ENTRY_FSPTPTR_SHIFT], [2, 12]);
  assert.equal([V.VTD_PASID_ENTRY_FSPM_WORD, V.VTD_PASID_ENTRY_FSPM_SHIFT], [2, 2]);
  assert.equal([V.VTD_PASID_ENTRY_PWSNP_SHIFT, V.VTD_PASID_ENTRY_PGSNP_SHIFT], [23, 24]);
});

test('3.2/3.4 page-table entry bits', () => {
  assert.equal([V.VTD_SS_PTE_R_SHIFT, V.VTD_SS_PTE_W_SHIFT, V.VTD_SS_PTE_PS_SHIFT, V.VTD_SS_PTE_A_SHIFT, V.VTD_SS_PTE_D_SHIFT, V.VTD_SS_PTE_SNP_SHIFT], [0, 1, 7, 8, 9, 11]);
  assert.is(V.VTD_SS_PTE_ADDR_MASK, 0x000ffffffffff000n);
  assert.equal([V.VTD_FS_PTE_P_SHIFT, V.VTD_FS_PTE_RW_SHIFT, V.VTD_FS_PTE_US_SHIFT, V.VTD_FS_PTE_A_SHIFT, V.VTD_FS_PTE_D_SHIFT, V.VTD_FS_PTE_PS_SHIFT, V.VTD_FS_PTE_XD_SHIFT],
    [0, 1, 2, 5, 6, 7, 63]);
});

test('4.2 invalidation descriptor types and layouts', () => {
  assert.equal([V.VTD_INV_TYPE_CC, V.VTD_INV_TYPE_IOTLB, V.VTD_INV_TYPE_DEVTLB, V.VTD_INV_TYPE_IEC, V.VTD_INV_TYPE_WAIT,
    V.VTD_INV_TYPE_PIOTLB, V.VTD_INV_TYPE_PC, V.VTD_INV_TYPE_PDEVTLB, V.VTD_INV_TYPE_PGRP_RESP], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.is(V.VTD_INV_DESC_TYPE_MASK, 0xfn);
  assert.equal([V.VTD_INV_CC_G_SHIFT, V.VTD_INV_CC_DID_SHIFT, V.VTD_INV_CC_SID_SHIFT, V.VTD_INV_CC_FM_SHIFT], [4, 16, 32, 48]);
  assert.equal([V.VTD_INV_IOTLB_DW_SHIFT, V.VTD_INV_IOTLB_DR_SHIFT, V.VTD_INV_IOTLB_DID_SHIFT], [6, 7, 16]);
  assert.equal([V.VTD_INV_IOTLB_AM_WORD, V.VTD_INV_IOTLB_IH_SHIFT, V.VTD_INV_IOTLB_ADDR_SHIFT], [1, 6, 12]);
  assert.equal([V.VTD_INV_WAIT_IF_SHIFT, V.VTD_INV_WAIT_SW_SHIFT, V.VTD_INV_WAIT_FN_SHIFT, V.VTD_INV_WAIT_PD_SHIFT, V.VTD_INV_WAIT_STDATA_SHIFT], [4, 5, 6, 7, 32]);
  assert.is(V.VTD_INV_WAIT_STADDR_MASK, 0xfffffffffffffffcn, 'STADDR [63:2]');
  assert.equal([V.VTD_INV_IEC_G_SHIFT, V.VTD_INV_IEC_IM_SHIFT, V.VTD_INV_IEC_IIDX_SHIFT], [4, 27, 32]);
  assert.equal([V.VTD_INV_DEVTLB_PFSID_LO_SHIFT, V.VTD_INV_DEVTLB_MIP_SHIFT, V.VTD_INV_DEVTLB_SID_SHIFT, V.VTD_INV_DEVTLB_PFSID_HI_SHIFT], [12, 16, 32, 52]);
  assert.equal([V.VTD_INV_PIOTLB_PASID_SHIFT, V.VTD_INV_PIOTLB_PASID_WIDTH], [32, 20]);
  assert.equal([V.VTD_INV_PDEVTLB_SID_SHIFT, V.VTD_INV_PDEVTLB_S_SHIFT], [16, 11]);
});

test('5.1-5.3 fault reason codes', () => {
  const legacy = [V.VTD_FR_ROOT_ENTRY_P, V.VTD_FR_CONTEXT_ENTRY_P, V.VTD_FR_CONTEXT_ENTRY_INV, V.VTD_FR_ADDR_BEYOND_MGAW, V.VTD_FR_WRITE,
    V.VTD_FR_READ, V.VTD_FR_PAGING_ENTRY_INV, V.VTD_FR_ROOT_TABLE_INV, V.VTD_FR_CONTEXT_TABLE_INV, V.VTD_FR_ROOT_ENTRY_RSVD,
    V.VTD_FR_CONTEXT_ENTRY_RSVD, V.VTD_FR_PAGING_ENTRY_RSVD, V.VTD_FR_CONTEXT_ENTRY_TT, V.VTD_FR_INTERRUPT_ADDR];
  assert.equal(legacy, [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e]);
  const ir = [V.VTD_FR_IR_REQ_RSVD, V.VTD_FR_IR_INDEX_OVER, V.VTD_FR_IR_ENTRY_P, V.VTD_FR_IR_ENTRY_READ, V.VTD_FR_IR_ENTRY_RSVD,
    V.VTD_FR_IR_COMPAT_BLOCKED, V.VTD_FR_IR_SID_ERR];
  assert.equal(ir, [0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26]);
  const sm: [number, number][] = [
    [V.VTD_FR_SM_RTA_INV, 0x30], [V.VTD_FR_SM_ROOT_P, 0x39], [V.VTD_FR_SM_CTX_P, 0x41], [V.VTD_FR_SM_PDIR_READ, 0x50],
    [V.VTD_FR_SM_PDIR_P, 0x51], [V.VTD_FR_SM_PASID_READ, 0x58], [V.VTD_FR_SM_PASID_P, 0x59], [V.VTD_FR_SM_PASID_INV, 0x5b],
    [V.VTD_FR_SM_FS_READ, 0x70], [V.VTD_FR_SM_FS_P, 0x71], [V.VTD_FR_SM_FS_RSVD, 0x72], [V.VTD_FR_SM_FS_ROOT, 0x73],
    [V.VTD_FR_SM_SS_PERM, 0x79], [V.VTD_FR_SM_NON_CANONICAL, 0x80], [V.VTD_FR_SM_US, 0x81], [V.VTD_FR_SM_ADDR_BEYOND_MAX, 0x83],
    [V.VTD_FR_SM_WRITE, 0x85], [V.VTD_FR_SM_READ, 0x86], [V.VTD_FR_SM_INTERRUPT_ADDR, 0x87], [V.VTD_FR_SM_FS_AD_FAILED, 0x91],
  ];
  for (const [got, want] of sm) assert.is(got, want);
  assert.is(V.VTD_ADDR_INTERRUPT_BASE, 0xfee00000);
  assert.is(V.VTD_ADDR_INTERRUPT_LAST, 0xfeefffff);
  assert.is(V.VTD_ADDR_Q35_BASE, 0xfed90000);
});

test('6.1/6.4 interrupt remapping structures', () => {
  assert.equal([V.VTD_IRTE_P_SHIFT, V.VTD_IRTE_FPD_SHIFT, V.VTD_IRTE_DM_SHIFT, V.VTD_IRTE_RH_SHIFT, V.VTD_IRTE_TM_SHIFT, V.VTD_IRTE_DLM_SHIFT],
    [0, 1, 2, 3, 4, 5]);
  assert.equal([V.VTD_IRTE_IM_SHIFT, V.VTD_IRTE_V_SHIFT, V.VTD_IRTE_V_WIDTH, V.VTD_IRTE_DST_SHIFT, V.VTD_IRTE_DST_WIDTH], [15, 16, 8, 32, 32]);
  assert.equal([V.VTD_IRTE_SID_WORD, V.VTD_IRTE_SQ_SHIFT, V.VTD_IRTE_SVT_SHIFT], [1, 16, 18]);
  assert.equal([V.VTD_IRTE_POSTED_PDA_LO_SHIFT, V.VTD_IRTE_POSTED_PDA_HI_WORD, V.VTD_IRTE_POSTED_PDA_HI_SHIFT], [38, 1, 32]);
  assert.equal([V.VTD_IR_MSI_ADDR_HANDLE_HI_SHIFT, V.VTD_IR_MSI_ADDR_SHV_SHIFT, V.VTD_IR_MSI_ADDR_IF_SHIFT, V.VTD_IR_MSI_ADDR_HANDLE_LO_SHIFT, V.VTD_IR_MSI_ADDR_FEE_SHIFT],
    [2, 3, 4, 5, 20]);
  assert.is(V.VTD_IR_MSI_ADDR_FEE_MASK, 0xfff00000, '32-bit structure: mask is a number');
});

test.run();

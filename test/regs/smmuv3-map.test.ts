// Generated SMMUv3 constants checked against /work/shared/reference/smmuv3.md. Every expected
// value below is copied from the sheet (section named in the test), not from regmaps/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as S from '../../src/regs/generated/smmuv3.ts';

/** Field value of a 64-bit word via the generated MASK/SHIFT pair. */
const get64 = (word: bigint, mask: bigint, shift: number) => (word & mask) >> BigInt(shift);

test('a.1 page-0 register offsets', () => {
  const expected: [number, number][] = [
    [S.SMMU_IDR0, 0x000], [S.SMMU_IDR1, 0x004], [S.SMMU_IDR2, 0x008], [S.SMMU_IDR3, 0x00c], [S.SMMU_IDR4, 0x010],
    [S.SMMU_IDR5, 0x014], [S.SMMU_IIDR, 0x018], [S.SMMU_AIDR, 0x01c], [S.SMMU_CR0, 0x020], [S.SMMU_CR0ACK, 0x024],
    [S.SMMU_CR1, 0x028], [S.SMMU_CR2, 0x02c], [S.SMMU_STATUSR, 0x040], [S.SMMU_GBPA, 0x044], [S.SMMU_AGBPA, 0x048],
    [S.SMMU_IRQ_CTRL, 0x050], [S.SMMU_IRQ_CTRLACK, 0x054], [S.SMMU_GERROR, 0x060], [S.SMMU_GERRORN, 0x064],
    [S.SMMU_GERROR_IRQ_CFG0, 0x068], [S.SMMU_GERROR_IRQ_CFG1, 0x070], [S.SMMU_GERROR_IRQ_CFG2, 0x074],
    [S.SMMU_STRTAB_BASE, 0x080], [S.SMMU_STRTAB_BASE_CFG, 0x088], [S.SMMU_CMDQ_BASE, 0x090], [S.SMMU_CMDQ_PROD, 0x098],
    [S.SMMU_CMDQ_CONS, 0x09c], [S.SMMU_EVENTQ_BASE, 0x0a0], [S.SMMU_EVENTQ_IRQ_CFG0, 0x0b0], [S.SMMU_EVENTQ_IRQ_CFG1, 0x0b8],
    [S.SMMU_EVENTQ_IRQ_CFG2, 0x0bc], [S.SMMU_PRIQ_BASE, 0x0c0], [S.SMMU_PRIQ_IRQ_CFG0, 0x0d0], [S.SMMU_PRIQ_IRQ_CFG1, 0x0d8],
    [S.SMMU_PRIQ_IRQ_CFG2, 0x0dc], [S.SMMU_GATOS_CTRL, 0x100], [S.SMMU_GATOS_SID, 0x108], [S.SMMU_GATOS_ADDR, 0x110],
    [S.SMMU_GATOS_PAR, 0x118], [S.SMMU_MPAMIDR, 0x130], [S.SMMU_GMPAM, 0x138], [S.SMMU_GBPMPAM, 0x13c], [S.SMMU_VATOS_SEL, 0x180],
    [S.SMMU_IDR6, 0x190], [S.SMMU_PIDR4, 0xfd0], [S.SMMU_PIDR0, 0xfe0], [S.SMMU_CIDR0, 0xff0], [S.SMMU_CIDR3, 0xffc],
  ];
  for (const [got, want] of expected) assert.is(got, want);
});

test('a.1 secure page offsets (FreeBSD smmureg.h)', () => {
  assert.is(S.SMMU_S_IDR0, 0x8000);
  assert.is(S.SMMU_S_CR0, 0x8020);
  assert.is(S.SMMU_S_INIT, 0x803c);
  assert.is(S.SMMU_S_INIT_INV_ALL_SHIFT, 0);
  assert.is(S.SMMU_S_GBPA, 0x8044);
  assert.is(S.SMMU_S_STRTAB_BASE, 0x8080);
  assert.is(S.SMMU_S_CMDQ_PROD, 0x8098);
  assert.is(S.SMMU_S_EVENTQ_PROD, 0x80a8, 'secure event queue PROD lives in page 0');
  assert.is(S.SMMU_S_EVENTQ_CONS, 0x80ac);
  assert.is(S.SMMU_S_GATOS_PAR, 0x8118);
});

test('a.2 page-1 queue pointers', () => {
  assert.is(S.SMMU_EVENTQ_PROD, 0x100a8);
  assert.is(S.SMMU_EVENTQ_CONS, 0x100ac);
  assert.is(S.SMMU_PRIQ_PROD, 0x100c8);
  assert.is(S.SMMU_PRIQ_CONS, 0x100cc);
  assert.is(S.SMMU_EVENTQ_PROD_OVFLG_SHIFT, 31);
  assert.is(S.SMMU_EVENTQ_CONS_OVACKFLG_SHIFT, 31);
  assert.is(S.SMMU_EVENTQ_PROD_WR_MASK, 0xfffff);
  assert.is(S.smmuv3.size, 0x20000, 'the window is 128 KiB');
});

test('a.1/a.4 QEMU 7.2 reset values', () => {
  assert.is(S.SMMU_IDR0_RESET, 0x0d40101a);
  assert.is(S.SMMU_IDR1_RESET, 0x02730010);
  assert.is(S.SMMU_IDR2_RESET, 0);
  assert.is(S.SMMU_IDR3_RESET, 0x1404);
  assert.is(S.SMMU_IDR4_RESET, 0);
  assert.is(S.SMMU_IDR5_RESET, 0x74);
  assert.is(S.SMMU_IIDR_RESET, 0);
  assert.is(S.SMMU_AIDR_RESET, 0x1);
  assert.is(S.SMMU_GBPA_RESET, 0x00001000);
  assert.is(S.SMMU_CR0_RESET, 0);
  // Queue bases: LOG2SIZE = 19 after reset.
  assert.is(get64(S.SMMU_CMDQ_BASE_RESET, S.SMMU_CMDQ_BASE_LOG2SIZE_MASK, S.SMMU_CMDQ_BASE_LOG2SIZE_SHIFT), 19n);
  assert.is(get64(S.SMMU_EVENTQ_BASE_RESET, S.SMMU_EVENTQ_BASE_LOG2SIZE_MASK, S.SMMU_EVENTQ_BASE_LOG2SIZE_SHIFT), 19n);
  const ids = [S.SMMU_PIDR4_RESET, S.SMMU_PIDR5_RESET, S.SMMU_PIDR6_RESET, S.SMMU_PIDR7_RESET, S.SMMU_PIDR0_RESET, S.SMMU_PIDR1_RESET,
    S.SMMU_PIDR2_RESET, S.SMMU_PIDR3_RESET, S.SMMU_CIDR0_RESET, S.SMMU_CIDR1_RESET, S.SMMU_CIDR2_RESET, S.SMMU_CIDR3_RESET];
  assert.equal(ids, [0x04, 0, 0, 0, 0x84, 0xb4, 0xf0, 0x10, 0x0d, 0xf0, 0x05, 0xb1]);
});

test('a.4 IDR values decode to the advertised features', () => {
  const f = (v: number, mask: number, shift: number) => (v & mask) >>> shift;
  const idr0 = S.SMMU_IDR0_RESET;
  assert.is(f(idr0, S.SMMU_IDR0_S1P_MASK, S.SMMU_IDR0_S1P_SHIFT), 1);
  assert.is(f(idr0, S.SMMU_IDR0_S2P_MASK, S.SMMU_IDR0_S2P_SHIFT), 0);
  assert.is(f(idr0, S.SMMU_IDR0_TTF_MASK, S.SMMU_IDR0_TTF_SHIFT), S.SMMU_IDR0_TTF_AARCH64);
  assert.is(S.SMMU_IDR0_TTF_AARCH64, 2);
  assert.is(f(idr0, S.SMMU_IDR0_COHACC_MASK, S.SMMU_IDR0_COHACC_SHIFT), 1);
  assert.is(f(idr0, S.SMMU_IDR0_ASID16_MASK, S.SMMU_IDR0_ASID16_SHIFT), 1);
  assert.is(f(idr0, S.SMMU_IDR0_VMID16_MASK, S.SMMU_IDR0_VMID16_SHIFT), 0, 'VMID16 arrived with stage 2 in 8.1');
  assert.is(f(idr0, S.SMMU_IDR0_TTENDIAN_MASK, S.SMMU_IDR0_TTENDIAN_SHIFT), 2);
  assert.is(f(idr0, S.SMMU_IDR0_STALL_MODEL_MASK, S.SMMU_IDR0_STALL_MODEL_SHIFT), 1);
  assert.is(f(idr0, S.SMMU_IDR0_TERM_MODEL_MASK, S.SMMU_IDR0_TERM_MODEL_SHIFT), 1);
  assert.is(f(idr0, S.SMMU_IDR0_ST_LEVEL_MASK, S.SMMU_IDR0_ST_LEVEL_SHIFT), 1);
  assert.is(S.SMMU_IDR0_ST_LEVEL_SHIFT, 27);
  const idr1 = S.SMMU_IDR1_RESET;
  assert.is(f(idr1, S.SMMU_IDR1_SIDSIZE_MASK, S.SMMU_IDR1_SIDSIZE_SHIFT), 16);
  assert.is(f(idr1, S.SMMU_IDR1_SSIDSIZE_MASK, S.SMMU_IDR1_SSIDSIZE_SHIFT), 0);
  assert.is(f(idr1, S.SMMU_IDR1_PRIQS_MASK, S.SMMU_IDR1_PRIQS_SHIFT), 0);
  assert.is(f(idr1, S.SMMU_IDR1_EVENTQS_MASK, S.SMMU_IDR1_EVENTQS_SHIFT), 19);
  assert.is(f(idr1, S.SMMU_IDR1_CMDQS_MASK, S.SMMU_IDR1_CMDQS_SHIFT), 19);
  assert.is(S.SMMU_IDR1_CMDQS_SHIFT, 21);
  const idr3 = S.SMMU_IDR3_RESET;
  assert.is(f(idr3, S.SMMU_IDR3_HAD_MASK, S.SMMU_IDR3_HAD_SHIFT), 1);
  assert.is(f(idr3, S.SMMU_IDR3_RIL_MASK, S.SMMU_IDR3_RIL_SHIFT), 1);
  assert.is(f(idr3, S.SMMU_IDR3_BBML_MASK, S.SMMU_IDR3_BBML_SHIFT), 2);
  const idr5 = S.SMMU_IDR5_RESET;
  assert.is(f(idr5, S.SMMU_IDR5_OAS_MASK, S.SMMU_IDR5_OAS_SHIFT), S.SMMU_IDR5_OAS_BITS_44);
  assert.is(S.SMMU_IDR5_OAS_BITS_44, 4);
  assert.is(S.SMMU_IDR5_OAS_BITS_52, 6);
  assert.is(S.SMMU_IDR5_GRAN4K_SHIFT, 4);
  assert.is(S.SMMU_IDR5_GRAN16K_SHIFT, 5);
  assert.is(S.SMMU_IDR5_GRAN64K_SHIFT, 6);
});

test('a.1 CR0, GBPA, IRQ_CTRL, GERROR field positions', () => {
  assert.is(S.SMMU_CR0_SMMUEN_SHIFT, 0);
  assert.is(S.SMMU_CR0_PRIQEN_SHIFT, 1);
  assert.is(S.SMMU_CR0_EVENTQEN_SHIFT, 2);
  assert.is(S.SMMU_CR0_CMDQEN_SHIFT, 3);
  assert.is(S.SMMU_CR0_ATSCHK_SHIFT, 4);
  assert.is(S.SMMU_CR0_VMW_SHIFT, 6);
  assert.is(S.SMMU_CR0_VMW_WIDTH, 3);
  // h.2: Linux ends bring-up with CR0 = 0xD (SMMUEN|EVENTQEN|CMDQEN).
  assert.is(S.SMMU_CR0_SMMUEN_MASK | S.SMMU_CR0_EVENTQEN_MASK | S.SMMU_CR0_CMDQEN_MASK, 0xd);
  assert.is(S.SMMU_GBPA_ABORT_SHIFT, 20);
  assert.is(S.SMMU_GBPA_UPDATE_MASK, 0x80000000);
  assert.is(S.SMMU_GBPA_SHCFG_SHIFT, 12);
  assert.is(S.SMMU_IRQ_CTRL_GERROR_IRQEN_MASK | S.SMMU_IRQ_CTRL_EVENTQ_IRQEN_MASK, 0x5);
  // e.1: GERROR valid mask 0x1FD.
  const gerror = S.smmuv3.registers.find((r) => r.name === 'GERROR')!;
  const mask = gerror.fields.reduce((m, f) => m | (((1 << f.width) - 1) << f.lsb), 0);
  assert.is(mask, 0x1fd);
  assert.is(S.SMMU_GERROR_SFM_ERR_SHIFT, 8);
  assert.is(S.SMMU_GERROR_MSI_GERROR_ABT_ERR_SHIFT, 7);
  assert.is(S.SMMU_CR2_RECINVSID_SHIFT, 1);
  assert.is(S.SMMU_CR2_PTM_SHIFT, 2);
});

test('a.1 stream table and queue base registers', () => {
  assert.is(S.SMMU_STRTAB_BASE_ADDR_MASK, 0x000fffffffffffc0n, 'ADDR[51:6]');
  assert.is(S.SMMU_STRTAB_BASE_RA_SHIFT, 62);
  // b.1: Linux on QEMU programs STRTAB_BASE_CFG = 0x10210 (FMT=2-level, SPLIT=8, LOG2SIZE=16).
  const cfg = 0x10210;
  assert.is((cfg & S.SMMU_STRTAB_BASE_CFG_FMT_MASK) >>> S.SMMU_STRTAB_BASE_CFG_FMT_SHIFT, S.SMMU_STRTAB_BASE_CFG_FMT_TWO_LEVEL);
  assert.is((cfg & S.SMMU_STRTAB_BASE_CFG_SPLIT_MASK) >>> S.SMMU_STRTAB_BASE_CFG_SPLIT_SHIFT, 8);
  assert.is((cfg & S.SMMU_STRTAB_BASE_CFG_LOG2SIZE_MASK) >>> S.SMMU_STRTAB_BASE_CFG_LOG2SIZE_SHIFT, 16);
  assert.is(S.SMMU_CMDQ_BASE_ADDR_MASK, 0x000fffffffffffe0n, 'ADDR[51:5]');
  assert.is(S.SMMU_CMDQ_BASE_LOG2SIZE_MASK, 0x1fn);
  assert.is(S.SMMU_EVENTQ_BASE_WA_SHIFT, 62);
  assert.is(S.SMMU_CMDQ_CONS_ERR_SHIFT, 24);
  assert.is(S.SMMU_CMDQ_CONS_ERR_WIDTH, 7);
  assert.is(S.SMMU_CMDQ_PROD_WR_MASK, 0xfffff);
  assert.is(S.SMMU_GERROR_IRQ_CFG0_ADDR_MASK, 0x000ffffffffffffcn, 'ADDR[51:2]');
  assert.is(S.SMMU_GERROR_IRQ_CFG2_SH_SHIFT, 4);
});

test('b.2 STE field positions and Linux golden images', () => {
  const w = (f: { word: number; shift: number; width: number }) => f;
  const fields: [string, ReturnType<typeof w>, number, number, number][] = [
    ['V', w({ word: S.SMMU_STE_V_WORD, shift: S.SMMU_STE_V_SHIFT, width: S.SMMU_STE_V_WIDTH }), 0, 0, 1],
    ['Config', w({ word: S.SMMU_STE_CONFIG_WORD, shift: S.SMMU_STE_CONFIG_SHIFT, width: S.SMMU_STE_CONFIG_WIDTH }), 0, 1, 3],
    ['S1Fmt', w({ word: S.SMMU_STE_S1FMT_WORD, shift: S.SMMU_STE_S1FMT_SHIFT, width: S.SMMU_STE_S1FMT_WIDTH }), 0, 4, 2],
    ['S1ContextPtr', w({ word: S.SMMU_STE_S1CONTEXTPTR_WORD, shift: S.SMMU_STE_S1CONTEXTPTR_SHIFT, width: S.SMMU_STE_S1CONTEXTPTR_WIDTH }), 0, 6, 46],
    ['S1CDMax', w({ word: S.SMMU_STE_S1CDMAX_WORD, shift: S.SMMU_STE_S1CDMAX_SHIFT, width: S.SMMU_STE_S1CDMAX_WIDTH }), 0, 59, 5],
    ['S1DSS', w({ word: S.SMMU_STE_S1DSS_WORD, shift: S.SMMU_STE_S1DSS_SHIFT, width: S.SMMU_STE_S1DSS_WIDTH }), 1, 0, 2],
    ['S1STALLD', w({ word: S.SMMU_STE_S1STALLD_WORD, shift: S.SMMU_STE_S1STALLD_SHIFT, width: S.SMMU_STE_S1STALLD_WIDTH }), 1, 27, 1],
    ['EATS', w({ word: S.SMMU_STE_EATS_WORD, shift: S.SMMU_STE_EATS_SHIFT, width: S.SMMU_STE_EATS_WIDTH }), 1, 28, 2],
    ['STRW', w({ word: S.SMMU_STE_STRW_WORD, shift: S.SMMU_STE_STRW_SHIFT, width: S.SMMU_STE_STRW_WIDTH }), 1, 30, 2],
    ['SHCFG', w({ word: S.SMMU_STE_SHCFG_WORD, shift: S.SMMU_STE_SHCFG_SHIFT, width: S.SMMU_STE_SHCFG_WIDTH }), 1, 44, 2],
    ['S2VMID', w({ word: S.SMMU_STE_S2VMID_WORD, shift: S.SMMU_STE_S2VMID_SHIFT, width: S.SMMU_STE_S2VMID_WIDTH }), 2, 0, 16],
    ['S2T0SZ', w({ word: S.SMMU_STE_S2T0SZ_WORD, shift: S.SMMU_STE_S2T0SZ_SHIFT, width: S.SMMU_STE_S2T0SZ_WIDTH }), 2, 32, 6],
    ['S2SL0', w({ word: S.SMMU_STE_S2SL0_WORD, shift: S.SMMU_STE_S2SL0_SHIFT, width: S.SMMU_STE_S2SL0_WIDTH }), 2, 38, 2],
    ['S2TG', w({ word: S.SMMU_STE_S2TG_WORD, shift: S.SMMU_STE_S2TG_SHIFT, width: S.SMMU_STE_S2TG_WIDTH }), 2, 46, 2],
    ['S2PS', w({ word: S.SMMU_STE_S2PS_WORD, shift: S.SMMU_STE_S2PS_SHIFT, width: S.SMMU_STE_S2PS_WIDTH }), 2, 48, 3],
    ['S2AA64', w({ word: S.SMMU_STE_S2AA64_WORD, shift: S.SMMU_STE_S2AA64_SHIFT, width: S.SMMU_STE_S2AA64_WIDTH }), 2, 51, 1],
    ['S2PTW', w({ word: S.SMMU_STE_S2PTW_WORD, shift: S.SMMU_STE_S2PTW_SHIFT, width: S.SMMU_STE_S2PTW_WIDTH }), 2, 54, 1],
    ['S2R', w({ word: S.SMMU_STE_S2R_WORD, shift: S.SMMU_STE_S2R_SHIFT, width: S.SMMU_STE_S2R_WIDTH }), 2, 58, 1],
    ['S2TTB', w({ word: S.SMMU_STE_S2TTB_WORD, shift: S.SMMU_STE_S2TTB_SHIFT, width: S.SMMU_STE_S2TTB_WIDTH }), 3, 4, 48],
  ];
  for (const [name, got, word, shift, width] of fields) assert.equal(got, { word, shift, width }, name);
  assert.is(S.SMMU_STE_SIZE, 64);
  assert.is(S.SMMU_STE_CONFIG_ABORT, 0);
  assert.is(S.SMMU_STE_CONFIG_BYPASS, 4);
  assert.is(S.SMMU_STE_CONFIG_S1_TRANS, 5);
  assert.is(S.SMMU_STE_CONFIG_S2_TRANS, 6);
  assert.is(S.SMMU_STE_CONFIG_NESTED, 7);
  // Linux: abort STE dw0 = 0x1, bypass STE dw0 = 0x9.
  const dw0 = (config: number) => S.SMMU_STE_V_MASK | (BigInt(config) << BigInt(S.SMMU_STE_CONFIG_SHIFT));
  assert.is(dw0(S.SMMU_STE_CONFIG_ABORT), 0x1n);
  assert.is(dw0(S.SMMU_STE_CONFIG_BYPASS), 0x9n);
  assert.is(S.SMMU_STE_S2TG_GRAN_64K, 1);
  assert.is(S.SMMU_STE_S2TG_GRAN_16K, 2);
  assert.is(S.SMMU_STE_S1DSS_SSID0, 2);
  assert.is(S.SMMU_L1STD_SPAN_MASK, 0x1fn);
  assert.is(S.SMMU_L1STD_L2PTR_MASK, 0x000fffffffffffc0n);
});

test('b.4 CD field positions', () => {
  const pos: [number, number, number, number][] = [
    // [WORD, SHIFT, expected word, expected shift]
    [S.SMMU_CD_T0SZ_WORD, S.SMMU_CD_T0SZ_SHIFT, 0, 0],
    [S.SMMU_CD_TG0_WORD, S.SMMU_CD_TG0_SHIFT, 0, 6],
    [S.SMMU_CD_EPD0_WORD, S.SMMU_CD_EPD0_SHIFT, 0, 14],
    [S.SMMU_CD_ENDI_WORD, S.SMMU_CD_ENDI_SHIFT, 0, 15],
    [S.SMMU_CD_TG1_WORD, S.SMMU_CD_TG1_SHIFT, 0, 22],
    [S.SMMU_CD_EPD1_WORD, S.SMMU_CD_EPD1_SHIFT, 0, 30],
    [S.SMMU_CD_V_WORD, S.SMMU_CD_V_SHIFT, 0, 31],
    [S.SMMU_CD_IPS_WORD, S.SMMU_CD_IPS_SHIFT, 0, 32],
    [S.SMMU_CD_AA64_WORD, S.SMMU_CD_AA64_SHIFT, 0, 41],
    [S.SMMU_CD_HD_WORD, S.SMMU_CD_HD_SHIFT, 0, 42],
    [S.SMMU_CD_HA_WORD, S.SMMU_CD_HA_SHIFT, 0, 43],
    [S.SMMU_CD_S_WORD, S.SMMU_CD_S_SHIFT, 0, 44],
    [S.SMMU_CD_R_WORD, S.SMMU_CD_R_SHIFT, 0, 45],
    [S.SMMU_CD_A_WORD, S.SMMU_CD_A_SHIFT, 0, 46],
    [S.SMMU_CD_ASET_WORD, S.SMMU_CD_ASET_SHIFT, 0, 47],
    [S.SMMU_CD_ASID_WORD, S.SMMU_CD_ASID_SHIFT, 0, 48],
    [S.SMMU_CD_TTB0_WORD, S.SMMU_CD_TTB0_SHIFT, 1, 4],
    [S.SMMU_CD_TTB1_WORD, S.SMMU_CD_TTB1_SHIFT, 2, 4],
    [S.SMMU_CD_MAIR0_WORD, S.SMMU_CD_MAIR0_SHIFT, 3, 0],
  ];
  for (const [word, shift, ew, es] of pos) assert.equal([word, shift], [ew, es]);
  assert.is(S.SMMU_CD_TTB0_MASK, 0x000ffffffffffff0n, 'TTB0 dw1[51:4]');
  assert.is(S.SMMU_CD_ASID_WIDTH, 16);
  // TG1 uses a different encoding from TG0.
  assert.equal([S.SMMU_CD_TG0_GRAN_4K, S.SMMU_CD_TG0_GRAN_64K, S.SMMU_CD_TG0_GRAN_16K], [0, 1, 2]);
  assert.equal([S.SMMU_CD_TG1_GRAN_16K, S.SMMU_CD_TG1_GRAN_4K, S.SMMU_CD_TG1_GRAN_64K], [1, 2, 3]);
  assert.is(S.SMMU_CD_SIZE, 64);
  assert.is(S.SMMU_L1CD_L2PTR_MASK, 0x000ffffffffff000n);
});

test('c.1 command opcodes', () => {
  const ops: [number, number][] = [
    [S.SMMU_CMD_OP_PREFETCH_CONFIG, 0x01], [S.SMMU_CMD_OP_PREFETCH_ADDR, 0x02], [S.SMMU_CMD_OP_CFGI_STE, 0x03],
    [S.SMMU_CMD_OP_CFGI_STE_RANGE, 0x04], [S.SMMU_CMD_OP_CFGI_CD, 0x05], [S.SMMU_CMD_OP_CFGI_CD_ALL, 0x06],
    [S.SMMU_CMD_OP_CFGI_VMS_PIDM, 0x07], [S.SMMU_CMD_OP_TLBI_NH_ALL, 0x10], [S.SMMU_CMD_OP_TLBI_NH_ASID, 0x11],
    [S.SMMU_CMD_OP_TLBI_NH_VA, 0x12], [S.SMMU_CMD_OP_TLBI_NH_VAA, 0x13], [S.SMMU_CMD_OP_TLBI_EL3_ALL, 0x18],
    [S.SMMU_CMD_OP_TLBI_EL3_VA, 0x1a], [S.SMMU_CMD_OP_TLBI_EL2_ALL, 0x20], [S.SMMU_CMD_OP_TLBI_EL2_ASID, 0x21],
    [S.SMMU_CMD_OP_TLBI_EL2_VA, 0x22], [S.SMMU_CMD_OP_TLBI_EL2_VAA, 0x23], [S.SMMU_CMD_OP_TLBI_S12_VMALL, 0x28],
    [S.SMMU_CMD_OP_TLBI_S2_IPA, 0x2a], [S.SMMU_CMD_OP_TLBI_NSNH_ALL, 0x30], [S.SMMU_CMD_OP_ATC_INV, 0x40],
    [S.SMMU_CMD_OP_PRI_RESP, 0x41], [S.SMMU_CMD_OP_RESUME, 0x44], [S.SMMU_CMD_OP_STALL_TERM, 0x45], [S.SMMU_CMD_OP_SYNC, 0x46],
  ];
  for (const [got, want] of ops) assert.is(got, want);
  assert.is(S.smmuv3.constants.find((t) => t.name === 'CMD_OP')!.values.length, ops.length, 'no other opcode is defined');
  assert.is(S.SMMU_CMD_CFGI_RANGE_RANGE_ALL, 31, 'CMD_CFGI_ALL = CFGI_STE_RANGE with RANGE=31');
});

test('c.1/c.2 command field layouts', () => {
  assert.is(S.SMMU_CMD_SIZE, 16);
  assert.is(S.SMMU_CMD_OPCODE_MASK, 0xffn);
  assert.is(S.SMMU_CMD_SSEC_SHIFT, 10);
  assert.is(S.SMMU_CMD_SSV_SHIFT, 11);
  assert.equal([S.SMMU_CMD_CFGI_SID_WORD, S.SMMU_CMD_CFGI_SID_SHIFT, S.SMMU_CMD_CFGI_SID_WIDTH], [0, 32, 32]);
  assert.equal([S.SMMU_CMD_CFGI_SSID_SHIFT, S.SMMU_CMD_CFGI_SSID_WIDTH], [12, 20]);
  assert.equal([S.SMMU_CMD_CFGI_LEAF_WORD, S.SMMU_CMD_CFGI_LEAF_SHIFT], [1, 0]);
  assert.equal([S.SMMU_CMD_TLBI_NUM_SHIFT, S.SMMU_CMD_TLBI_NUM_WIDTH], [12, 5]);
  assert.equal([S.SMMU_CMD_TLBI_SCALE_SHIFT, S.SMMU_CMD_TLBI_SCALE_WIDTH], [20, 5]);
  assert.equal([S.SMMU_CMD_TLBI_VMID_SHIFT, S.SMMU_CMD_TLBI_ASID_SHIFT], [32, 48]);
  assert.equal([S.SMMU_CMD_TLBI_TTL_WORD, S.SMMU_CMD_TLBI_TTL_SHIFT, S.SMMU_CMD_TLBI_TG_SHIFT, S.SMMU_CMD_TLBI_ADDR_SHIFT], [1, 8, 10, 12]);
  assert.equal([S.SMMU_CMD_SYNC_CS_SHIFT, S.SMMU_CMD_SYNC_CS_IRQ, S.SMMU_CMD_SYNC_CS_SEV], [12, 1, 2]);
  assert.equal([S.SMMU_CMD_SYNC_MSH_SHIFT, S.SMMU_CMD_SYNC_MSIATTR_SHIFT, S.SMMU_CMD_SYNC_MSIDATA_SHIFT], [22, 24, 32]);
  assert.is(S.SMMU_CMD_SYNC_MSIADDR_MASK, 0x000ffffffffffffcn);
  assert.equal([S.SMMU_CMD_ATC_INV_G_SHIFT, S.SMMU_CMD_ATC_INV_SIZE_WIDTH], [9, 6]);
  assert.equal([S.SMMU_CMD_PRI_RESP_RESP_SHIFT, S.SMMU_CMD_PRI_RESP_PRGI_WIDTH], [12, 9]);
  assert.equal([S.SMMU_CMD_RESUME_AC_SHIFT, S.SMMU_CMD_RESUME_AB_SHIFT, S.SMMU_CMD_RESUME_STAG_WIDTH], [12, 13, 16]);
});

test('d.1 event IDs and record layouts', () => {
  const ids: [number, number][] = [
    [S.SMMU_EVENT_F_UUT, 0x01], [S.SMMU_EVENT_C_BAD_STREAMID, 0x02], [S.SMMU_EVENT_F_STE_FETCH, 0x03], [S.SMMU_EVENT_C_BAD_STE, 0x04],
    [S.SMMU_EVENT_F_BAD_ATS_TREQ, 0x05], [S.SMMU_EVENT_F_STREAM_DISABLED, 0x06], [S.SMMU_EVENT_F_TRANSL_FORBIDDEN, 0x07],
    [S.SMMU_EVENT_C_BAD_SUBSTREAMID, 0x08], [S.SMMU_EVENT_F_CD_FETCH, 0x09], [S.SMMU_EVENT_C_BAD_CD, 0x0a],
    [S.SMMU_EVENT_F_WALK_EABT, 0x0b], [S.SMMU_EVENT_F_TRANSLATION, 0x10], [S.SMMU_EVENT_F_ADDR_SIZE, 0x11],
    [S.SMMU_EVENT_F_ACCESS, 0x12], [S.SMMU_EVENT_F_PERMISSION, 0x13], [S.SMMU_EVENT_F_TLB_CONFLICT, 0x20],
    [S.SMMU_EVENT_F_CFG_CONFLICT, 0x21], [S.SMMU_EVENT_E_PAGE_REQUEST, 0x24], [S.SMMU_EVENT_F_VMS_FETCH, 0x25],
  ];
  for (const [got, want] of ids) assert.is(got, want);
  assert.is(S.SMMU_EVT_SIZE, 32);
  assert.equal([S.SMMU_EVT_SSV_SHIFT, S.SMMU_EVT_SSID_SHIFT, S.SMMU_EVT_SID_SHIFT], [11, 12, 32]);
  assert.equal([S.SMMU_EVT_FAULT_STALL_SHIFT, S.SMMU_EVT_FAULT_PNU_SHIFT, S.SMMU_EVT_FAULT_IND_SHIFT, S.SMMU_EVT_FAULT_RNW_SHIFT], [31, 33, 34, 35]);
  assert.equal([S.SMMU_EVT_FAULT_NSIPA_SHIFT, S.SMMU_EVT_FAULT_S2_SHIFT, S.SMMU_EVT_FAULT_CLASS_SHIFT], [38, 39, 40]);
  assert.equal([S.SMMU_EVT_FAULT_CLASS_CD, S.SMMU_EVT_FAULT_CLASS_TT, S.SMMU_EVT_FAULT_CLASS_IN], [0, 1, 2]);
  assert.equal([S.SMMU_EVT_FAULT_INPUT_ADDR_WORD, S.SMMU_EVT_FAULT_IPA_WORD, S.SMMU_EVT_FAULT_IPA_SHIFT], [2, 3, 12]);
  assert.is(S.SMMU_EVT_FETCH_FETCH_ADDR_MASK, 0x000ffffffffffff8n, 'FetchAddr dw3[51:3]');
  assert.is(S.SMMU_EVT_WALK_EABT_FETCH_ADDR_WORD, 3);
});

test('e.2 CMDQ_CONS.ERR codes', () => {
  assert.equal([S.SMMU_CERROR_NONE, S.SMMU_CERROR_ILL, S.SMMU_CERROR_ABT, S.SMMU_CERROR_ATC_INV_SYNC], [0, 1, 2, 3]);
  const err = S.smmuv3.registers.find((r) => r.name === 'CMDQ_CONS')!.fields.find((f) => f.name === 'ERR')!;
  assert.is(err.enum.find((e) => e.value === 1)?.name, 'ILL', 'the ERR field carries the CERROR names');
});

test('d.3 PRI queue entry', () => {
  assert.is(S.SMMU_PRIQ_ENT_SIZE, 16);
  assert.equal([S.SMMU_PRIQ_ENT_SSID_SHIFT, S.SMMU_PRIQ_ENT_PRIV_SHIFT, S.SMMU_PRIQ_ENT_LAST_SHIFT, S.SMMU_PRIQ_ENT_SSV_SHIFT], [32, 58, 62, 63]);
  assert.equal([S.SMMU_PRIQ_ENT_PRGI_WORD, S.SMMU_PRIQ_ENT_PRGI_WIDTH, S.SMMU_PRIQ_ENT_ADDR_SHIFT], [1, 9, 12]);
});

test('the AssemblyScript module carries the same constants, typed', () => {
  const as = readFileSync('assembly/generated/smmuv3.ts', 'utf8');
  assert.match(as, /^export const SMMU_CR0: u32 = 0x020;$/m);
  assert.match(as, /^export const SMMU_IDR1_RESET: u32 = 0x02730010;$/m);
  assert.match(as, /^export const SMMU_EVENTQ_PROD: u32 = 0x100a8;$/m);
  assert.match(as, /^export const SMMU_STE_S1CONTEXTPTR_MASK: u64 = 0x000fffffffffffc0;$/m);
  assert.match(as, /^export const SMMU_STE_CONFIG_SHIFT: u32 = 1;$/m);
  assert.match(as, /^export const SMMU_CMD_OP_SYNC: u32 = 0x46;$/m);
  assert.not.match(as, /bigint|\dn;/, 'no TypeScript bigint literals in AssemblyScript');
});

test.run();

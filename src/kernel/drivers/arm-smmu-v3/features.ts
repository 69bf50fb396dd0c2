// arm_smmu_device_hw_probe (smmuv3.md h.1): the ID registers read over MMIO and turned into the
// driver's feature set, refusing what Linux refuses with Linux's messages and errno (-ENXIO).
import * as R from '../../../regs/generated/smmuv3.ts';
import { ERRNO } from '../../errors.ts';

/** Linux's ARM_SMMU_FEAT_* and the sizes hw_probe records (struct arm_smmu_device). */
export interface SmmuFeatures {
  twoLvlStrtab: boolean;
  twoLvlCdtab: boolean;
  ttEndian: 'mixed' | 'le';
  pri: boolean;
  ats: boolean;
  sev: boolean;
  msi: boolean;
  hyp: boolean;
  e2h: boolean;
  /** HTTU: hardware access flag / dirty state (FEAT_HA / FEAT_HD). */
  ha: boolean;
  hd: boolean;
  coherency: boolean;
  stalls: boolean;
  stallForce: boolean;
  transS1: boolean;
  transS2: boolean;
  attrTypesOvr: boolean;
  rangeInv: boolean;
  vax: boolean;
  asidBits: number;
  vmidBits: number;
  sidBits: number;
  ssidBits: number;
  /** Queue sizes (log2 entries), capped to Linux's maxima (natural alignment of one allocation). */
  cmdqShift: number;
  evtqShift: number;
  priqShift: number;
  ias: number;
  oas: number;
  pgsizeBitmap: number;
  /** IIDR (errata are keyed on it; none modelled). */
  iidr: number;
}

const PAGE_SHIFT = 12;
/** Q_MAX_SZ_SHIFT = PAGE_SHIFT + MAX_PAGE_ORDER (4 MiB per queue). */
const Q_MAX_SZ_SHIFT = PAGE_SHIFT + 10;
export const CMDQ_ENT_DWORDS = 2;
export const EVTQ_ENT_DWORDS = 4;
export const PRIQ_ENT_DWORDS = 2;
const CMDQ_MAX_SZ_SHIFT = Q_MAX_SZ_SHIFT - 4;
const EVTQ_MAX_SZ_SHIFT = Q_MAX_SZ_SHIFT - 5;
const PRIQ_MAX_SZ_SHIFT = Q_MAX_SZ_SHIFT - 4;
/** CMDQ_BATCH_ENTRIES = BITS_PER_LONG: one batch must fit in the queue. */
const CMDQ_BATCH_ENTRIES = 64;
/** STRTAB_SPLIT: SIDs resolved by one L2 table (256 STEs = one PCI bus). */
export const STRTAB_SPLIT = 8;

const SZ_4K = 0x1000, SZ_16K = 0x4000, SZ_64K = 0x10000, SZ_2M = 0x20_0000, SZ_32M = 0x200_0000, SZ_512M = 0x2000_0000, SZ_1G = 0x4000_0000;

export type ProbeResult = { ok: true; f: SmmuFeatures } | { ok: false; errno: number; msg: string };

const bits = (v: number, m: number, s: number) => (v & m) >>> s;

/**
 * Reads IDR0/1/3/5 (and IIDR) through `read32` and decides the features. `cpuVhe`: the CPU has
 * VHE (arm64 ARM64_HAS_VIRT_HOST_EXTN), which turns IDR0.HYP into FEAT_E2H.
 */
export function hwProbe(read32: (off: number) => number, o: { cpuVhe?: boolean; log?: (m: string) => void } = {}): ProbeResult {
  const log = o.log ?? (() => {});
  const fail = (msg: string): ProbeResult => ({ ok: false, errno: -ERRNO.ENXIO, msg });
  const f = {} as SmmuFeatures;
  // IDR0
  const idr0 = read32(R.SMMU_IDR0);
  f.twoLvlStrtab = bits(idr0, R.SMMU_IDR0_ST_LEVEL_MASK, R.SMMU_IDR0_ST_LEVEL_SHIFT) === R.SMMU_IDR0_ST_LEVEL_TWO_LEVEL;
  f.twoLvlCdtab = (idr0 & R.SMMU_IDR0_CD2L_MASK) !== 0;
  // The CPU is little-endian: mixed or LE tables only.
  switch (bits(idr0, R.SMMU_IDR0_TTENDIAN_MASK, R.SMMU_IDR0_TTENDIAN_SHIFT)) {
    case R.SMMU_IDR0_TTENDIAN_MIXED: f.ttEndian = 'mixed'; break;
    case R.SMMU_IDR0_TTENDIAN_LE: f.ttEndian = 'le'; break;
    case R.SMMU_IDR0_TTENDIAN_BE: return fail('no support for endianness');
    default: return fail('unknown/unsupported TT endianness!');
  }
  f.pri = (idr0 & R.SMMU_IDR0_PRI_MASK) !== 0;
  f.ats = (idr0 & R.SMMU_IDR0_ATS_MASK) !== 0;
  f.sev = (idr0 & R.SMMU_IDR0_SEV_MASK) !== 0;
  f.msi = (idr0 & R.SMMU_IDR0_MSI_MASK) !== 0;
  f.hyp = (idr0 & R.SMMU_IDR0_HYP_MASK) !== 0;
  f.e2h = f.hyp && (o.cpuVhe ?? false);
  const httu = bits(idr0, R.SMMU_IDR0_HTTU_MASK, R.SMMU_IDR0_HTTU_SHIFT);
  f.ha = httu === R.SMMU_IDR0_HTTU_AF || httu === R.SMMU_IDR0_HTTU_AF_DIRTY;
  f.hd = httu === R.SMMU_IDR0_HTTU_AF_DIRTY;
  f.coherency = (idr0 & R.SMMU_IDR0_COHACC_MASK) !== 0;
  const stall = bits(idr0, R.SMMU_IDR0_STALL_MODEL_MASK, R.SMMU_IDR0_STALL_MODEL_SHIFT);
  f.stallForce = stall === R.SMMU_IDR0_STALL_MODEL_STALL_FORCED;
  f.stalls = f.stallForce || stall === R.SMMU_IDR0_STALL_MODEL_STALL_AND_TERMINATE;
  f.transS1 = (idr0 & R.SMMU_IDR0_S1P_MASK) !== 0;
  f.transS2 = (idr0 & R.SMMU_IDR0_S2P_MASK) !== 0;
  if (!f.transS1 && !f.transS2) return fail('no translation support!');
  f.ias = 0;
  switch (bits(idr0, R.SMMU_IDR0_TTF_MASK, R.SMMU_IDR0_TTF_SHIFT)) {
    case R.SMMU_IDR0_TTF_BOTH: f.ias = 40; break; // AArch32 LPAE tables too: 40-bit IPA
    case R.SMMU_IDR0_TTF_AARCH64: break;
    default: return fail('AArch64 table format not supported!');
  }
  f.asidBits = (idr0 & R.SMMU_IDR0_ASID16_MASK) !== 0 ? 16 : 8;
  f.vmidBits = (idr0 & R.SMMU_IDR0_VMID16_MASK) !== 0 ? 16 : 8;

  // IDR1
  const idr1 = read32(R.SMMU_IDR1);
  if ((idr1 & (R.SMMU_IDR1_TABLES_PRESET_MASK | R.SMMU_IDR1_QUEUES_PRESET_MASK | R.SMMU_IDR1_REL_MASK)) !== 0) return fail('embedded implementation not supported');
  f.attrTypesOvr = (idr1 & R.SMMU_IDR1_ATTR_TYPES_OVR_MASK) !== 0;
  f.cmdqShift = Math.min(CMDQ_MAX_SZ_SHIFT, bits(idr1, R.SMMU_IDR1_CMDQS_MASK, R.SMMU_IDR1_CMDQS_SHIFT));
  // One batch of commands (CMDQ_BATCH_ENTRIES) plus a CMD_SYNC must fit: CMDQS <= 6 is refused.
  if (f.cmdqShift <= Math.log2(CMDQ_BATCH_ENTRIES)) return fail(`command queue size <= ${CMDQ_BATCH_ENTRIES} entries not supported`);
  f.evtqShift = Math.min(EVTQ_MAX_SZ_SHIFT, bits(idr1, R.SMMU_IDR1_EVENTQS_MASK, R.SMMU_IDR1_EVENTQS_SHIFT));
  f.priqShift = Math.min(PRIQ_MAX_SZ_SHIFT, bits(idr1, R.SMMU_IDR1_PRIQS_MASK, R.SMMU_IDR1_PRIQS_SHIFT));
  f.ssidBits = bits(idr1, R.SMMU_IDR1_SSIDSIZE_MASK, R.SMMU_IDR1_SSIDSIZE_SHIFT);
  f.sidBits = bits(idr1, R.SMMU_IDR1_SIDSIZE_MASK, R.SMMU_IDR1_SIDSIZE_SHIFT);
  // Fewer SID bits than one L2 table resolves: a linear table is smaller.
  if (f.sidBits <= STRTAB_SPLIT) f.twoLvlStrtab = false;

  // IDR3
  const idr3 = read32(R.SMMU_IDR3);
  f.rangeInv = (idr3 & R.SMMU_IDR3_RIL_MASK) !== 0;

  // IDR5
  const idr5 = read32(R.SMMU_IDR5);
  f.vax = bits(idr5, R.SMMU_IDR5_VAX_MASK, R.SMMU_IDR5_VAX_SHIFT) === 1;
  let pg = 0;
  if ((idr5 & R.SMMU_IDR5_GRAN64K_MASK) !== 0) pg += SZ_64K + SZ_512M;
  if ((idr5 & R.SMMU_IDR5_GRAN16K_MASK) !== 0) pg += SZ_16K + SZ_32M;
  if ((idr5 & R.SMMU_IDR5_GRAN4K_MASK) !== 0) pg += SZ_4K + SZ_2M + SZ_1G;
  switch (bits(idr5, R.SMMU_IDR5_OAS_MASK, R.SMMU_IDR5_OAS_SHIFT)) {
    case 0: f.oas = 32; break;
    case 1: f.oas = 36; break;
    case 2: f.oas = 40; break;
    case 3: f.oas = 42; break;
    case 4: f.oas = 44; break;
    case 6: f.oas = 52; pg += 2 ** 42; break; // 4 TiB blocks with the 64K granule
    case 5: f.oas = 48; break;
    default:
      log('unknown output address size. Truncating to 48-bit');
      f.oas = 48;
  }
  f.pgsizeBitmap = pg;
  f.ias = Math.max(f.ias, f.oas);
  f.iidr = read32(R.SMMU_IIDR);
  return { ok: true, f };
}

/** The "ias %lu-bit, oas %lu-bit (features 0x%08x)" line of hw_probe, with names. */
export function describeFeatures(f: SmmuFeatures): string {
  const on = Object.entries(f).filter(([, v]) => v === true).map(([k]) => k);
  return `ias ${f.ias}-bit, oas ${f.oas}-bit (features: ${on.join(' ')})`;
}

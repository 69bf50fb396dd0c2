// What a VT-d unit implements, and the CAP/ECAP values that advertise it. The QEMU 7.2
// properties of -device intel-iommu map onto these features exactly as QEMU's vtd_init()
// computes its capability registers (vtd.md 1.2; every value in the test table was read
// back from QEMU 7.2.22), including the property combinations QEMU refuses.
import * as R from '../../regs/generated/vtd.ts';

export interface VtdFeatures {
  /** Guest (and host) address width in bits: 39 (3-level tables) or 48 (4-level). */
  awBits: 39 | 48;
  /** CAP.CM: not-present and invalid entries may be cached (software invalidates after making them present). */
  cachingMode: boolean;
  /** ECAP.SMTS + SRS + SLTS: scalable-mode root/context/PASID tables. */
  scalableMode: boolean;
  /** ECAP.IR (+ MHMV): interrupt remapping. */
  intremap: boolean;
  /** ECAP.EIM: x2APIC (32-bit) destinations. */
  eim: boolean;
  /** ECAP.DT: device TLBs (context TT = 01 accepted). */
  deviceIotlb: boolean;
  /** ECAP.PT: pass-through translation type. */
  pt: boolean;
  /** ECAP.SC: snoop control (SNP honoured in leaves). */
  snoopControl: boolean;
  /** ECAP.PASID: requests with PASID (scalable mode only). */
  pasid: boolean;
  /** CAP.DRD + DWD: read and write draining. */
  dmaDrain: boolean;
  /** false: SAGAW = 0 and GCMD.TE is ignored (an interrupt-remapping-only unit). */
  dmaTranslation: boolean;
  /** Fault-recording registers (CAP.NFR + 1): QEMU has 1; the spec allows up to 256. */
  faultRecords: number;
  /** ECAP.FSTS (+ CAP.FS1GP): first-stage (x86-64 paging) PASID entries, PGTT = 1. Not in QEMU 7.2. */
  firstStage: boolean;
  /** ECAP.NEST: nested PASID entries, PGTT = 3 (first stage over second stage). Not in QEMU 7.2. */
  nested: boolean;
}

/** QEMU 7.2 intel-iommu with default properties under TCG (eim=auto resolves to off). */
export const QEMU_72: Readonly<VtdFeatures> = {
  awBits: 39, cachingMode: false, scalableMode: false, intremap: true, eim: false, deviceIotlb: false, pt: true,
  snoopControl: false, pasid: false, dmaDrain: true, dmaTranslation: true, faultRecords: 1,
  firstStage: false, nested: false,
};

// QEMU's fixed capability fields (vtd.md 1.2): the fault-recording registers at 0x220, 64K
// domain IDs, address-mask values up to 18, page-selective invalidation, 2 MiB and 1 GiB
// second-stage pages, the IOTLB registers at 0xF0, and 16 handles per remapped interrupt.
export const QEMU_FRO = 0x22;
export const QEMU_IRO = 0xf;
export const QEMU_MAMV = 18;
export const QEMU_MHMV = 0xf;
const SLLPS_2M = 1;
const SLLPS_1G = 2;
/** SAGAW bit per AW code (1 = 39-bit, 2 = 48-bit): SAGAW bit n supports AW code n. */
export const AW_39 = R.VTD_CONTEXT_ENTRY_AW_AW_39;
export const AW_48 = R.VTD_CONTEXT_ENTRY_AW_AW_48;

/** The AW code of a width in bits (width = 30 + 9 * AW). */
export function awCode(bits: number): number {
  return (bits - 30) / 9;
}

const f64 = (v: boolean | number, shift: number, width = 1): bigint =>
  (BigInt(typeof v === 'boolean' ? (v ? 1 : 0) : v) & ((1n << BigInt(width)) - 1n)) << BigInt(shift);

/** CAP and ECAP for `f`, bit for bit as QEMU 7.2's vtd_init(). */
export function capabilities(f: VtdFeatures): { cap: bigint; ecap: bigint } {
  checkFeatures(f);
  let sagaw = 0;
  if (f.dmaTranslation) {
    sagaw = 1 << AW_39;
    if (f.awBits === 48) sagaw |= 1 << AW_48;
  }
  const cap =
    f64(R.VTD_CAP_ND_D64K, R.VTD_CAP_ND_SHIFT, R.VTD_CAP_ND_WIDTH) |
    f64(f.cachingMode, R.VTD_CAP_CM_SHIFT) |
    f64(sagaw, R.VTD_CAP_SAGAW_SHIFT, R.VTD_CAP_SAGAW_WIDTH) |
    f64(f.awBits - 1, R.VTD_CAP_MGAW_SHIFT, R.VTD_CAP_MGAW_WIDTH) |
    f64(QEMU_FRO, R.VTD_CAP_FRO_SHIFT, R.VTD_CAP_FRO_WIDTH) |
    f64(SLLPS_2M | SLLPS_1G, R.VTD_CAP_SLLPS_SHIFT, R.VTD_CAP_SLLPS_WIDTH) |
    f64(true, R.VTD_CAP_PSI_SHIFT) |
    f64(f.faultRecords - 1, R.VTD_CAP_NFR_SHIFT, R.VTD_CAP_NFR_WIDTH) |
    f64(QEMU_MAMV, R.VTD_CAP_MAMV_SHIFT, R.VTD_CAP_MAMV_WIDTH) |
    f64(f.dmaDrain, R.VTD_CAP_DWD_SHIFT) |
    f64(f.dmaDrain, R.VTD_CAP_DRD_SHIFT) |
    f64(f.firstStage, R.VTD_CAP_FS1GP_SHIFT);
  const ecap =
    f64(true, R.VTD_ECAP_QI_SHIFT) |
    f64(f.deviceIotlb, R.VTD_ECAP_DT_SHIFT) |
    f64(f.intremap, R.VTD_ECAP_IR_SHIFT) |
    f64(f.eim, R.VTD_ECAP_EIM_SHIFT) |
    f64(f.pt, R.VTD_ECAP_PT_SHIFT) |
    f64(f.snoopControl, R.VTD_ECAP_SC_SHIFT) |
    f64(QEMU_IRO, R.VTD_ECAP_IRO_SHIFT, R.VTD_ECAP_IRO_WIDTH) |
    f64(f.intremap ? QEMU_MHMV : 0, R.VTD_ECAP_MHMV_SHIFT, R.VTD_ECAP_MHMV_WIDTH) |
    f64(f.scalableMode, R.VTD_ECAP_SRS_SHIFT) |
    f64(f.pasid, R.VTD_ECAP_PASID_SHIFT) |
    f64(f.scalableMode, R.VTD_ECAP_SMTS_SHIFT) |
    f64(f.scalableMode, R.VTD_ECAP_SSTS_SHIFT) |
    f64(f.firstStage, R.VTD_ECAP_FSTS_SHIFT) |
    f64(f.nested, R.VTD_ECAP_NEST_SHIFT);
  return { cap, ecap };
}

/** Offset of fault-recording register `i` (CAP.FRO * 16 + 16 * i). */
export function frcdOffset(i: number): number {
  return QEMU_FRO * 16 + 16 * i;
}
/** The register window: up to the end of the last fault-recording register. */
export function windowSize(f: VtdFeatures): number {
  return frcdOffset(f.faultRecords);
}

/** Validates a feature set (API misuse throws, naming the field). */
export function checkFeatures(f: VtdFeatures): void {
  if (f.awBits !== 39 && f.awBits !== 48) throw new RangeError(`Vtd: feature awBits must be 39 or 48, got ${String(f.awBits)}`);
  if (!Number.isInteger(f.faultRecords) || f.faultRecords < 1 || f.faultRecords > 256) {
    throw new RangeError(`Vtd: feature faultRecords must be an integer in 1..256, got ${String(f.faultRecords)}`);
  }
  if (f.eim && !f.intremap) throw new RangeError('Vtd: feature eim needs intremap');
  if (f.pasid && !f.scalableMode) throw new RangeError('Vtd: feature pasid needs scalableMode');
  if (f.scalableMode && !f.dmaDrain) throw new RangeError('Vtd: feature scalableMode needs dmaDrain');
  if (f.firstStage && !f.scalableMode) throw new RangeError('Vtd: feature firstStage needs scalableMode');
  if (f.nested && !f.firstStage) throw new RangeError('Vtd: feature nested needs firstStage');
}

/** A property value QEMU refuses; `message` is QEMU 7.2's text after "-device ...: ". */
export class VtdPropertyError extends Error {}

const BOOL_ON = ['on', 'yes', 'true', 'y'];
const BOOL_OFF = ['off', 'no', 'false', 'n'];

/**
 * The features selected by -device intel-iommu properties, with QEMU 7.2's defaults and its
 * refusals (vtd_decide_config, x86_iommu_realize). There is no KVM here, so eim=auto is off
 * and eim=on is refused unless x-buggy-eim=on, as QEMU 7.2 does under TCG.
 */
export function featuresFromQemuProps(props: Readonly<Record<string, string>>): VtdFeatures {
  const f: VtdFeatures = { ...QEMU_72 };
  let eim: 'on' | 'off' | 'auto' = 'auto';
  let intremap: 'on' | 'off' | 'auto' = 'auto';
  let buggyEim = false;
  let aw = 39;
  const bool = (k: string, v: string): boolean => {
    const t = v.toLowerCase();
    if (BOOL_ON.includes(t)) return true;
    if (BOOL_OFF.includes(t)) return false;
    throw new VtdPropertyError(`Parameter '${k}' expects 'on' or 'off'`);
  };
  const onOffAuto = (k: string, v: string): 'on' | 'off' | 'auto' => {
    if (v === 'on' || v === 'off' || v === 'auto') return v;
    throw new VtdPropertyError(`Parameter '${k}' does not accept value '${v}'`);
  };
  for (const [k, v] of Object.entries(props)) {
    switch (k) {
      case 'id': break;
      case 'aw-bits':
        if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(v) || Number(v) > 0xff) throw new VtdPropertyError(`Parameter 'aw-bits' expects integer`);
        aw = Number(v);
        break;
      case 'caching-mode': f.cachingMode = bool(k, v); break;
      case 'x-scalable-mode': f.scalableMode = bool(k, v); break;
      case 'x-pasid-mode': f.pasid = bool(k, v); break;
      case 'device-iotlb': f.deviceIotlb = bool(k, v); break;
      case 'pt': f.pt = bool(k, v); break;
      case 'snoop-control': f.snoopControl = bool(k, v); break;
      case 'dma-drain': f.dmaDrain = bool(k, v); break;
      case 'dma-translation': f.dmaTranslation = bool(k, v); break;
      case 'x-buggy-eim': buggyEim = bool(k, v); break;
      case 'version': if (!/^[0-9]+$/.test(v)) throw new VtdPropertyError(`Parameter 'version' expects integer`); break;
      case 'eim': eim = onOffAuto(k, v); break;
      case 'intremap': intremap = onOffAuto(k, v); break;
      default: throw new VtdPropertyError(`Property 'intel-iommu.${k}' not found`);
    }
  }
  // x86_iommu_realize: intremap=auto is on unless KVM keeps the whole irqchip (never here).
  f.intremap = intremap !== 'off';
  // vtd_decide_config, in QEMU's order.
  if (eim === 'on' && !f.intremap) throw new VtdPropertyError('eim=on cannot be selected without intremap=on');
  if (eim === 'auto') eim = buggyEim && f.intremap ? 'on' : 'off';
  if (eim === 'on' && !buggyEim) throw new VtdPropertyError('eim=on requires accel=kvm,kernel-irqchip=split');
  f.eim = eim === 'on';
  if (aw !== 39 && aw !== 48) throw new VtdPropertyError('Supported values for aw-bits are: 39, 48');
  f.awBits = aw;
  if (f.scalableMode && !f.dmaDrain) throw new VtdPropertyError('Need to set dma_drain for scalable mode');
  if (f.pasid && f.deviceIotlb) throw new VtdPropertyError('PASID based device IOTLB is not supported');
  if (f.pasid && !f.scalableMode) throw new VtdPropertyError('Need to set scalable mode for PASID');
  return f;
}

// What an SMMUv3 instance implements, and the ID register values that advertise it.
// Presets: 'qemu-7.2' (the default: QEMU 7.2's stage-1-only SMMU, smmuv3.md a.4) and 'full'
// (everything this model implements: both stages and nesting, HTTU, 2-level CD tables,
// substreams, MSIs, range invalidation, 52-bit output). Any field can be overridden.
import * as R from '../../regs/generated/smmuv3.ts';

export interface Smmuv3Features {
  stage1: boolean;
  stage2: boolean;
  /** IDR0.HTTU: 0 none, 1 access flag, 2 access flag and dirty state. */
  httu: 0 | 1 | 2;
  /** IDR0.MSI: queues and CMD_SYNC signal with MSIs (else wired interrupts). */
  msi: boolean;
  /** IDR0.SEV (CMD_SYNC CS=SEV raises the event; modelled as a trace event). */
  sev: boolean;
  /** IDR0.ATS / IDR0.PRI. */
  ats: boolean;
  pri: boolean;
  /** IDR0.CD2L: 2-level CD tables. */
  cd2l: boolean;
  /** IDR0.ST_LEVEL = 1: 2-level stream tables. */
  st2l: boolean;
  /** IDR0.ASID16 / VMID16. */
  asid16: boolean;
  vmid16: boolean;
  /** IDR1 sizes (log2). */
  sidSize: number;
  ssidSize: number;
  cmdqs: number;
  eventqs: number;
  priqs: number;
  /** IDR3. */
  had: boolean;
  xnx: boolean;
  ril: boolean;
  /** IDR3.BBML (0..2). */
  bbml: number;
  /** IDR5.OAS code: 0..6 = 32, 36, 40, 42, 44, 48, 52 bits. */
  oas: number;
  gran4k: boolean;
  gran16k: boolean;
  gran64k: boolean;
  /** IDR5.VAX = 1: 52-bit VA with the 64K granule. */
  vax: boolean;
  /** AIDR minor revision (1 = SMMUv3.1). */
  aidrMinor: number;
}

/** QEMU 7.2 (Debian 12): stage 1 only, 16-bit SIDs, 44-bit OAS, RIL/HAD/BBML2, wired IRQs. */
export const QEMU_72: Readonly<Smmuv3Features> = {
  stage1: true, stage2: false, httu: 0, msi: false, sev: false, ats: false, pri: false, cd2l: false, st2l: true,
  asid16: true, vmid16: false, sidSize: 16, ssidSize: 0, cmdqs: 19, eventqs: 19, priqs: 0,
  had: true, xnx: false, ril: true, bbml: 2, oas: 4, gran4k: true, gran16k: true, gran64k: true, vax: false, aidrMinor: 1,
};

/** Everything this model implements. */
export const FULL: Readonly<Smmuv3Features> = {
  stage1: true, stage2: true, httu: 2, msi: true, sev: true, ats: true, pri: true, cd2l: true, st2l: true,
  asid16: true, vmid16: true, sidSize: 16, ssidSize: 20, cmdqs: 19, eventqs: 19, priqs: 19,
  had: true, xnx: true, ril: true, bbml: 2, oas: 6, gran4k: true, gran16k: true, gran64k: true, vax: true, aidrMinor: 1,
};

export const PRESETS: Readonly<Record<string, Readonly<Smmuv3Features>>> = { 'qemu-7.2': QEMU_72, full: FULL };

const b = (v: boolean, shift: number) => (v ? 1 << shift : 0);

/** The ID registers advertising `f` (IDR0, IDR1, IDR3, IDR5, AIDR). */
export function idRegisters(f: Smmuv3Features): { IDR0: number; IDR1: number; IDR3: number; IDR5: number; AIDR: number } {
  const idr0 =
    b(f.stage2, R.SMMU_IDR0_S2P_SHIFT) | b(f.stage1, R.SMMU_IDR0_S1P_SHIFT) |
    (R.SMMU_IDR0_TTF_AARCH64 << R.SMMU_IDR0_TTF_SHIFT) | (1 << R.SMMU_IDR0_COHACC_SHIFT) |
    (f.httu << R.SMMU_IDR0_HTTU_SHIFT) | b(f.ats, R.SMMU_IDR0_ATS_SHIFT) | b(f.asid16, R.SMMU_IDR0_ASID16_SHIFT) |
    b(f.msi, R.SMMU_IDR0_MSI_SHIFT) | b(f.sev, R.SMMU_IDR0_SEV_SHIFT) | b(f.pri, R.SMMU_IDR0_PRI_SHIFT) |
    b(f.vmid16, R.SMMU_IDR0_VMID16_SHIFT) | b(f.cd2l, R.SMMU_IDR0_CD2L_SHIFT) |
    (2 << R.SMMU_IDR0_TTENDIAN_SHIFT) | // little-endian tables only
    (1 << R.SMMU_IDR0_STALL_MODEL_SHIFT) | // no stalls: faults terminate
    (1 << R.SMMU_IDR0_TERM_MODEL_SHIFT) | // terminated transactions abort (CD.A must be 1)
    b(f.st2l, R.SMMU_IDR0_ST_LEVEL_SHIFT);
  const idr1 =
    (f.sidSize << R.SMMU_IDR1_SIDSIZE_SHIFT) | (f.ssidSize << R.SMMU_IDR1_SSIDSIZE_SHIFT) |
    (f.priqs << R.SMMU_IDR1_PRIQS_SHIFT) | (f.eventqs << R.SMMU_IDR1_EVENTQS_SHIFT) | (f.cmdqs << R.SMMU_IDR1_CMDQS_SHIFT);
  const idr3 = b(f.had, R.SMMU_IDR3_HAD_SHIFT) | b(f.xnx && f.stage2, R.SMMU_IDR3_XNX_SHIFT) | b(f.ril, R.SMMU_IDR3_RIL_SHIFT) | (f.bbml << R.SMMU_IDR3_BBML_SHIFT);
  const idr5 =
    (f.oas << R.SMMU_IDR5_OAS_SHIFT) | b(f.gran4k, R.SMMU_IDR5_GRAN4K_SHIFT) | b(f.gran16k, R.SMMU_IDR5_GRAN16K_SHIFT) |
    b(f.gran64k, R.SMMU_IDR5_GRAN64K_SHIFT) | (f.vax ? 1 << R.SMMU_IDR5_VAX_SHIFT : 0);
  return { IDR0: idr0 >>> 0, IDR1: idr1 >>> 0, IDR3: idr3 >>> 0, IDR5: idr5 >>> 0, AIDR: f.aidrMinor & 0xf };
}

/** Validates a feature set (API misuse throws, naming the field). */
export function checkFeatures(f: Smmuv3Features): void {
  const range = (name: keyof Smmuv3Features, lo: number, hi: number) => {
    const v = f[name] as number;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`Smmuv3: feature ${name} must be an integer in ${lo}..${hi}, got ${String(v)}`);
  };
  if (!f.stage1 && !f.stage2) throw new RangeError('Smmuv3: at least one of stage1 and stage2 must be implemented');
  range('sidSize', 0, 32);
  range('ssidSize', 0, 20);
  range('cmdqs', 7, 19); // Linux refuses CMDQS <= 6
  range('eventqs', 0, 19);
  range('priqs', 0, 19);
  range('oas', 0, 6);
  range('bbml', 0, 2);
  range('aidrMinor', 0, 15);
  if (!f.gran4k && !f.gran16k && !f.gran64k) throw new RangeError('Smmuv3: at least one translation granule must be supported');
}

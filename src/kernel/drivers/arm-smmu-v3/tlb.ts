// TLB invalidation for a paging domain (arm_smmu_tlb_inv_range_domain / __arm_smmu_tlb_inv_range,
// arm_smmu_tlb_inv_context; smmuv3.md c.2): by-address TLBIs for the domain's ASID (stage 1) or
// VMID (stage 2), as range commands when IDR3.RIL, one command per granule otherwise, then a
// CMD_SYNC. Large ranges without RIL become one TLBI_NH_ASID / S12_VMALL (CMDQ_MAX_TLBI_OPS).
import * as R from '../../../regs/generated/smmuv3.ts';
import { cmdTlbiNhAsid, cmdTlbiS12Vmall, cmdTlbiVa, type Cmd } from './cmds.ts';
import type { SmmuFeatures } from './features.ts';

/** CMDQ_TLBI_RANGE_NUM_MAX: NUM is 5 bits. */
const RANGE_NUM_MAX = 31;
/** CMDQ_MAX_TLBI_OPS = 1 << (PAGE_SHIFT - 3): beyond this many per-page TLBIs, invalidate the whole context. */
export const CMDQ_MAX_TLBI_OPS = 1 << (12 - 3);

export interface TlbTarget {
  stage: 1 | 2;
  asid: number;
  vmid: number;
  /** The domain's page sizes: the smallest is the leaf granule (TG). */
  pgsizeBitmap: number;
}

const ffs = (n: number) => Math.log2(n & -n);

/** The context-wide invalidation: TLBI_NH_ASID (stage 1) or TLBI_S12_VMALL (stage 2). */
export function invContextCmd(d: TlbTarget): Cmd {
  return d.stage === 1 ? cmdTlbiNhAsid(d.asid) : cmdTlbiS12Vmall(d.vmid);
}

/** The commands (without the CMD_SYNC) invalidating [iova, iova + size). */
export function invRangeCmds(f: SmmuFeatures, d: TlbTarget, iova: number, size: number, granule: number, leaf: boolean): Cmd[] {
  if (size === 0) return [];
  if (!f.rangeInv && size >= CMDQ_MAX_TLBI_OPS * granule) return [invContextCmd(d)];
  const opcode = d.stage === 1 ? (f.e2h ? R.SMMU_CMD_OP_TLBI_EL2_VA : R.SMMU_CMD_OP_TLBI_NH_VA) : R.SMMU_CMD_OP_TLBI_S2_IPA;
  const base = { opcode, asid: d.stage === 1 ? d.asid : 0, vmid: d.stage === 2 ? d.vmid : 0, leaf, num: 0, scale: 0, tg: 0, ttl: 0 };
  const out: Cmd[] = [];
  const end = iova + size;
  let invRange = granule;
  let numPages = 0;
  let tg = 0;
  if (f.rangeInv) {
    tg = ffs(d.pgsizeBitmap); // log2 of the leaf page size
    numPages = Math.floor(size / 2 ** tg);
    base.tg = (tg - 10) / 2; // 12, 14, 16 -> 1, 2, 3
    // Leaf level hint; non-leaf (walk) flushes leave TTL 0 and never emit NUM = SCALE = 0 (errata).
    if (leaf) base.ttl = 4 - Math.floor((Math.log2(granule) - 3) / (tg - 3));
    else if ((numPages & RANGE_NUM_MAX) === 1) numPages++;
  }
  while (iova < end) {
    const c = { ...base, addr: iova };
    if (f.rangeInv) {
      if (numPages === 0) break;
      // Each command covers the lowest 5 set bits' worth of the remaining page count.
      const scale = ffs(numPages);
      const num = Math.floor(numPages / 2 ** scale) & RANGE_NUM_MAX;
      c.scale = scale;
      c.num = num - 1;
      invRange = num * 2 ** (scale + tg);
      numPages -= num * 2 ** scale;
    }
    out.push(cmdTlbiVa(c));
    iova += invRange;
  }
  return out;
}

// Paging domains (arm_smmu_domain_alloc_paging + arm_smmu_domain_finalise, smmuv3.md f): an
// io-pgtable (ARM_64_LPAE_S1 with an ASID when the SMMU has stage 1, else ARM_64_LPAE_S2 with a
// VMID) whose tables live in the driver's DMA pool, plus the domain ops that map, unmap and
// invalidate. Attach lives in the driver (it writes STEs and CDs).
import type { Core } from '../../../core/core.ts';
import { LpaePageTable, PgtableConfigError, type S1Registers, type S2Registers } from '../../../core/pgtable.ts';
import type { KDevice } from '../../device.ts';
import { ERRNO } from '../../errors.ts';
import { newGather, type IommuDomain, type IotlbGather } from '../../iommu/types.ts';
import type { SmmuFeatures } from './features.ts';
import { invContextCmd, invRangeCmds, type TlbTarget } from './tlb.ts';
import type { SmmuDevice } from './smmu-device.ts';

/** arm64 VA_BITS (48 without CONFIG_ARM64_VA_BITS_52): stage-1 input size cap. */
const VA_BITS = 48;

/** Small ID allocator (xa_alloc / ida_alloc_range over [min, max]). */
export class IdAlloc {
  private readonly used = new Set<number>();
  constructor(private readonly min: number, private readonly max: number) {}
  alloc(): number {
    for (let i = this.min; i <= this.max; i++) {
      if (!this.used.has(i)) {
        this.used.add(i);
        return i;
      }
    }
    return -1;
  }
  free(id: number): void {
    this.used.delete(id);
  }
  has(id: number): boolean {
    return this.used.has(id);
  }
}

export class SmmuDomain implements TlbTarget {
  readonly stage: 1 | 2;
  asid = 0;
  vmid = 0;
  pgsizeBitmap = 0;
  pt!: LpaePageTable;
  /** Devices attached (arm_smmu_domain->devices). */
  readonly masters = new Set<KDevice>();
  /** The gather being filled by the current unmap (io-pgtable's add_page callback). */
  gather: IotlbGather | null = null;
  domain!: IommuDomain;

  constructor(readonly smmu: SmmuDevice, stage: 1 | 2) {
    this.stage = stage;
  }

  /**
   * arm_smmu_domain_finalise: ASID (1..2^asid_bits-1; 0 is never handed out) or VMID (1..; VMID 0
   * is kept for stage-1 and bypass STEs), then the page table. 0 or -errno.
   */
  finalise(wasm: Core, asids: IdAlloc, vmids: IdAlloc): number {
    const f: SmmuFeatures = this.smmu.features;
    let cfg;
    if (this.stage === 1) {
      const asid = asids.alloc();
      if (asid < 0) return -ERRNO.EBUSY; // xa_alloc on a full range
      this.asid = asid;
      cfg = { fmt: 'ARM_64_LPAE_S1' as const, ias: Math.min(f.vax ? 52 : 48, VA_BITS), oas: f.ias };
    } else {
      const vmid = vmids.alloc();
      if (vmid < 0) return -ERRNO.ENOSPC;
      this.vmid = vmid;
      cfg = { fmt: 'ARM_64_LPAE_S2' as const, ias: f.ias, oas: f.oas };
    }
    try {
      this.pt = new LpaePageTable(wasm, { ...cfg, pgsizeBitmap: f.pgsizeBitmap, coherentWalk: f.coherency }, this.smmu.pool, {
        addPage: (iova, granule) => this.addPage(Number(iova), granule),
        flushWalk: (iova, size, granule) => this.invRange(Number(iova), size, granule, false),
      });
    } catch (e) {
      this.releaseIds(asids, vmids);
      return e instanceof PgtableConfigError ? -ERRNO.EINVAL : -ERRNO.ENOMEM;
    }
    this.pgsizeBitmap = this.pt.config.pgsizeBitmap;
    return 0;
  }

  get s1Regs(): S1Registers {
    return this.pt.registers as S1Registers;
  }
  get s2Regs(): S2Registers {
    return this.pt.registers as S2Registers;
  }

  releaseIds(asids: IdAlloc, vmids: IdAlloc): void {
    if (this.stage === 1 && this.asid !== 0) asids.free(this.asid);
    if (this.stage === 2 && this.vmid !== 0) vmids.free(this.vmid);
    this.asid = this.vmid = 0;
  }

  /** arm_smmu_tlb_inv_range_domain + CMD_SYNC. */
  invRange(iova: number, size: number, granule: number, leaf: boolean): void {
    const cmds = invRangeCmds(this.smmu.features, this, iova, size, granule, leaf);
    if (cmds.length > 0) this.smmu.issueSync(cmds);
  }

  /** arm_smmu_tlb_inv_context: TLBI_NH_ASID / TLBI_S12_VMALL + CMD_SYNC. */
  invContext(): void {
    this.smmu.issueSync([invContextCmd(this)]);
  }

  /** iommu_iotlb_gather_add_page: a disjoint page or another page size flushes what was gathered first. */
  private addPage(iova: number, size: number): void {
    const g = this.gather;
    if (g === null) return;
    const end = iova + size - 1;
    const disjoint = g.pgsize !== 0 && (end + 1 < g.start || iova > g.end + 1);
    if ((g.pgsize !== 0 && g.pgsize !== size) || disjoint) {
      this.iotlbSync(g);
      Object.assign(g, newGather(g.queued));
    }
    g.pgsize = size;
    if (g.start > iova) g.start = iova;
    if (g.end < end) g.end = end;
  }

  /** arm_smmu_iotlb_sync: leaf invalidation of the gathered range. */
  iotlbSync(g: IotlbGather): void {
    if (g.pgsize === 0) return;
    this.invRange(g.start, g.end - g.start + 1, g.pgsize, true);
  }
}

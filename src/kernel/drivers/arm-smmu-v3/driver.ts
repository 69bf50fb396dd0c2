// The arm-smmu-v3 IOMMU driver on top of SmmuDevice: iommu_ops (probe_device, device_group,
// release_device, get_resv_regions, capable, static identity/blocked domains,
// domain_alloc_paging, pgsize_bitmap) and the domain ops (attach with the STE/CD update
// discipline, map/unmap through io-pgtable, TLB maintenance, iova_to_phys, free).
// iommu-core.md a, b, f, g; smmuv3.md b, h.3.
import type { Core } from '../../../core/core.ts';
import * as R from '../../../regs/generated/smmuv3.ts';
import type { KDevice } from '../../device.ts';
import { ERRNO } from '../../errors.ts';
import type { IommuCore } from '../../iommu/core.ts';
import {
  IOMMU_CAP_CACHE_COHERENCY, IOMMU_CAP_DEFERRED_FLUSH, IOMMU_CAP_DIRTY_TRACKING, IOMMU_CAP_NOEXEC, IOMMU_CAP_USER_DMA_SAFE,
  IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, IOMMU_MMIO, IOMMU_NOEXEC, IOMMU_RESV_SW_MSI, IOMMU_WRITE,
  type DomainOps, type IommuCap, type IommuDevice, type IommuDomain, type IommuOps, type ResvRegion,
} from '../../iommu/types.ts';
import { pciRid } from '../../pci/pci-dev.ts';
import { IdAlloc, SmmuDomain } from './domain.ts';
import { CD_QWORDS, makeAbortSte, makeBypassSte, makeCdtableSte, makeS1Cd, makeS2DomainSte, type CdTableRef } from './ste.ts';
import { SmmuDevice, type SmmuDeviceOptions } from './smmu-device.ts';
import { words } from './fields.ts';

/** MSI_IOVA_BASE / MSI_IOVA_LENGTH: the software-managed MSI window of ARM SMMUs. */
export const MSI_IOVA_BASE = 0x0800_0000;
export const MSI_IOVA_LENGTH = 0x10_0000;

export interface ArmSmmuV3Options extends SmmuDeviceOptions {
  /** The WASM core the io-pgtable writer runs in (it reaches the same guest RAM). */
  wasm: Core;
  /** Firmware's (IORT) view of which devices sit behind this SMMU; default: every PCI device. */
  handles?: (dev: KDevice) => boolean;
}

/** Per-device state (struct arm_smmu_master). */
export interface SmmuMaster {
  dev: KDevice;
  sids: number[];
  /** Linear CD table with 1 << s1cdmax CDs (allocated on the first stage-1 attach). */
  cdTable: CdTableRef | null;
  domain: IommuDomain | null;
}

export class ArmSmmuV3 extends SmmuDevice implements IommuOps {
  readonly iommuDev: IommuDevice;
  readonly identityDomain: IommuDomain;
  readonly blockedDomain: IommuDomain;
  /** v6.9+: devices are put on the blocked domain before release_device. */
  readonly releaseDomain: IommuDomain;
  pgsizeBitmap = 0;
  readonly defaultDomainOps: DomainOps;
  readonly masters = new Map<KDevice, SmmuMaster>();
  private asids = new IdAlloc(1, 0xffff);
  private vmids = new IdAlloc(1, 0xffff);

  constructor(readonly core: IommuCore, memory: ConstructorParameters<typeof SmmuDevice>[0], base: number, readonly o: ArmSmmuV3Options) {
    super(memory, base, o);
    this.iommuDev = { name: this.name, ops: this };
    // Static domains: no free op (the core never frees them), attach writes a fixed STE.
    const staticDomain = (type: number, name: string, ste: () => bigint[]): IommuDomain => ({
      type, name, owner: this, pgsizeBitmap: 0, geometry: { apertureStart: 0, apertureEnd: 0, forceAperture: false },
      ops: { attachDev: (d, dev) => this.attachDevSte(d, dev, ste()) },
    });
    this.identityDomain = staticDomain(IOMMU_DOMAIN_IDENTITY, 'identity', () => makeBypassSte(this.features));
    this.blockedDomain = staticDomain(IOMMU_DOMAIN_BLOCKED, 'blocked', () => makeAbortSte());
    this.releaseDomain = this.blockedDomain;
    const self = this;
    this.defaultDomainOps = {
      attachDev: (d, dev) => self.attachPaging(d, dev),
      mapPages: (d, iova, paddr, pgsize, pgcount, prot) => sd(d).pt.mapPages(iova, paddr, pgsize, pgcount, prot),
      unmapPages: (d, iova, pgsize, pgcount, gather) => {
        const s = sd(d);
        s.gather = gather;
        try {
          return gather.queued ? s.pt.unmapPages(iova, pgsize, pgcount, { queued: true }) : s.pt.unmap(iova, pgsize, pgcount);
        } finally {
          s.gather = null;
        }
      },
      iotlbSync: (d, gather) => sd(d).iotlbSync(gather),
      flushIotlbAll: (d) => sd(d).invContext(),
      iovaToPhys: (d, iova) => sd(d).pt.iovaToPhys(iova),
      free: (d) => self.freePaging(d),
    };
  }

  /** arm_smmu_device_probe's hardware part; on success the SMMU is live and pgsize_bitmap known. 0 or -errno. */
  init(): number {
    const ret = this.probeHw();
    if (ret < 0) return ret;
    this.pgsizeBitmap = this.features.pgsizeBitmap;
    this.vmids = new IdAlloc(1, 2 ** this.features.vmidBits - 1);
    this.asids = new IdAlloc(1, 2 ** this.features.asidBits - 1);
    return 0;
  }

  protected override clientOf(sid: number): string | null {
    for (const m of this.masters.values()) if (m.sids.includes(sid)) return m.dev.name;
    return null;
  }

  // ---- iommu_ops ----

  /** arm_smmu_probe_device: stream ID = PCI requester ID (IORT identity map); SIDs the SMMU cannot index are -ERANGE. */
  probeDevice(dev: KDevice): IommuDevice | number {
    if (dev.pci === null || !(this.o.handles?.(dev) ?? true)) return -ERRNO.ENODEV;
    const sids = [pciRid(dev.pci)];
    for (const sid of sids) {
      if (sid >= 2 ** this.features.sidBits) return -ERRNO.ERANGE;
      const ret = this.strtab.initSid(sid);
      if (ret < 0) return ret;
    }
    this.masters.set(dev, { dev, sids, cdTable: null, domain: null });
    return this.iommuDev;
  }

  deviceGroup(dev: KDevice) {
    return dev.pci !== null ? this.core.pciDeviceGroup(dev) : this.core.genericDeviceGroup();
  }

  /** arm_smmu_release_device: the CD table goes with the master (the core attached the release domain first). */
  releaseDevice(dev: KDevice): void {
    const m = this.masters.get(dev);
    if (m === undefined) return;
    if (m.cdTable !== null) this.pool.free(m.cdTable.dma, CD_QWORDS * 8);
    this.masters.delete(dev);
  }

  /** arm_smmu_get_resv_regions: the software MSI window (prot WRITE | NOEXEC | MMIO). */
  getResvRegions(_dev: KDevice): ResvRegion[] {
    return [{ start: MSI_IOVA_BASE, length: MSI_IOVA_LENGTH, prot: IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO, type: IOMMU_RESV_SW_MSI }];
  }

  /** arm_smmu_capable (iommu-core.md g1), plus the project's USER_DMA_SAFE opt-in. */
  capable(_dev: KDevice, cap: IommuCap): boolean {
    const f = this.features;
    switch (cap) {
      // A coherent table walker (COHACC) implies coherent DMA.
      case IOMMU_CAP_CACHE_COHERENCY: return f.coherency;
      case IOMMU_CAP_NOEXEC:
      case IOMMU_CAP_DEFERRED_FLUSH: return true;
      // arm_smmu_dbm_capable: HTTU dirty state and coherent updates of the tables.
      case IOMMU_CAP_DIRTY_TRACKING: return f.hd && f.coherency;
      case IOMMU_CAP_USER_DMA_SAFE: return true;
      default: return false;
    }
  }

  /** arm_smmu_domain_alloc_paging: stage 1 when the SMMU has it, else stage 2. */
  domainAllocPaging(dev: KDevice): IommuDomain | number {
    if (!this.masters.has(dev)) return -ERRNO.ENODEV;
    const s = new SmmuDomain(this, this.features.transS1 ? 1 : 2);
    const ret = s.finalise(this.o.wasm, this.asids, this.vmids);
    if (ret < 0) return ret;
    const d: IommuDomain = {
      type: 0, ops: this.defaultDomainOps, owner: this, pgsizeBitmap: s.pgsizeBitmap,
      geometry: { apertureStart: 0, apertureEnd: 2 ** s.pt.config.ias - 1, forceAperture: true },
      priv: s, name: s.stage === 1 ? `s1-asid${s.asid}` : `s2-vmid${s.vmid}`,
    };
    s.domain = d;
    return d;
  }

  /** arm_smmu_domain_free_paging: the ASID/VMID's TLB entries are dropped before it can be reused, then the tables and the ID. */
  private freePaging(d: IommuDomain): void {
    const s = sd(d);
    s.invContext();
    s.pt.destroy();
    s.releaseIds(this.asids, this.vmids);
  }

  // ---- attach ----

  private master(dev: KDevice): SmmuMaster | null {
    return this.masters.get(dev) ?? null;
  }

  /** arm_smmu_install_ste_for_dev: every stream of the master. */
  private installSte(m: SmmuMaster, ste: readonly bigint[]): void {
    for (const sid of m.sids) this.writeSte(sid, ste);
  }

  private moveMaster(m: SmmuMaster, d: IommuDomain): void {
    if (m.domain?.priv instanceof SmmuDomain) m.domain.priv.masters.delete(m.dev);
    m.domain = d;
    if (d.priv instanceof SmmuDomain) d.priv.masters.add(m.dev);
  }

  /** The CD for PASID 0 (arm_smmu_alloc_cd_ptr): a linear table of one CD (no substreams), allocated on first use. */
  private cdPtr(m: SmmuMaster): number {
    if (m.cdTable === null) {
      const dma = this.pool.alloc(CD_QWORDS * 8);
      if (dma < 0) return -ERRNO.ENOMEM;
      m.cdTable = { dma, s1fmt: 0, s1cdmax: 0 };
    }
    return m.cdTable.dma;
  }

  /** arm_smmu_clear_cd(master, IOMMU_NO_PASID): CD 0 back to invalid (V = 0) if a CD table exists. */
  private clearCd(m: SmmuMaster): void {
    if (m.cdTable === null) return;
    this.writeCd(m.cdTable.dma, m.sids, 0, words(CD_QWORDS));
  }

  /** arm_smmu_attach_dev_ste (identity / blocked): the given STE (no PASIDs in use), then CD 0 cleared. */
  private attachDevSte(d: IommuDomain, dev: KDevice, ste: bigint[]): number {
    const m = this.master(dev);
    if (m === null) return -ERRNO.ENODEV;
    this.installSte(m, ste);
    this.moveMaster(m, d);
    this.clearCd(m);
    return 0;
  }

  /**
   * arm_smmu_attach_dev for a paging domain. Stage 1: CD 0 written first (the STE then points at
   * a valid CD), then the CD-table STE with S1DSS = SSID0. Stage 2: the S2 STE, then CD 0 cleared.
   */
  private attachPaging(d: IommuDomain, dev: KDevice): number {
    const m = this.master(dev);
    if (m === null) return -ERRNO.ENODEV;
    const s = sd(d);
    if (s.smmu !== this) return -ERRNO.EINVAL;
    if (s.stage === 1) {
      const cd = this.cdPtr(m);
      if (cd < 0) return cd;
      this.writeCd(cd, m.sids, 0, makeS1Cd(this.features, s.asid, s.s1Regs));
      this.installSte(m, makeCdtableSte(this.features, m.cdTable!, R.SMMU_STE_S1DSS_SSID0));
    } else {
      this.installSte(m, makeS2DomainSte(this.features, s.vmid, s.s2Regs));
      this.clearCd(m);
    }
    this.moveMaster(m, d);
    return 0;
  }
}

function sd(d: IommuDomain): SmmuDomain {
  if (!(d.priv instanceof SmmuDomain)) throw new Error(`arm-smmu-v3: domain ${d.name ?? '?'} is not an SMMUv3 paging domain`);
  return d.priv;
}

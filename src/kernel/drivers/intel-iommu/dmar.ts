// Linux's intel-iommu driver (drivers/iommu/intel/iommu.c, dmar.c; vtd.md 7.1, 7.2) for one
// DMAR unit in legacy (non-scalable) mode with second-stage tables: bring-up, queued
// invalidation (register-based when ECAP.QI = 0), root/context management with Linux's
// invalidation order, paging domains built by the VT-d page-table writer in guest memory,
// IOTLB flushes on unmap, fault reporting. It talks to the hardware only through MMIO and guest
// memory (an AddressSpace), like the kernel.
import type { AddressSpace } from '../../../bridge/address-space.ts';
import type { Core } from '../../../core/core.ts';
import { VtdSsPageTable } from '../../../core/pgtable-vtd.ts';
import { PageArena } from '../../../core/pgtable-arena.ts';
import * as V from '../../../regs/generated/vtd.ts';
import { KDevice } from '../../device.ts';
import { ERRNO } from '../../errors.ts';
import type { IommuCore } from '../../iommu/core.ts';
import {
  IOMMU_CAP_CACHE_COHERENCY, IOMMU_CAP_DEFERRED_FLUSH, IOMMU_CAP_DIRTY_TRACKING, IOMMU_CAP_ENFORCE_CACHE_COHERENCY,
  IOMMU_CAP_USER_DMA_SAFE, IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_IDENTITY, IOMMU_MMIO, IOMMU_READ,
  IOMMU_RESV_DIRECT, IOMMU_RESV_DIRECT_RELAXABLE, IOMMU_RESV_MSI, IOMMU_WRITE, type DomainOps, type IommuCap,
  type IommuDevice, type IommuDomain, type IommuOps, type IotlbGather, type ResvRegion,
} from '../../iommu/types.ts';
import { pciRid } from '../../pci/pci-dev.ts';

/** An ACPI RMRR: a range devices keep DMAing to (relaxable for USB and graphics, vtd.md / iommu-core.md d5). */
export interface Rmrr {
  start: number;
  length: number;
  /** Device names (0000:bb:dd.f) in the RMRR's scope. */
  devices: readonly string[];
  relaxable?: boolean;
}

export interface IntelIommuOptions {
  /** Register base (q35: 0xFED90000). */
  base: number;
  /** Guest RAM the driver may use for its tables and queues: [memBase, memBase + memSize). */
  memBase: number;
  memSize: number;
  rmrrs?: readonly Rmrr[];
  /** Fault-event MSI (FEADDR / FEDATA); 0 leaves the fault interrupt unprogrammed. */
  faultMsiAddr?: number;
  faultMsiData?: number;
  log?: (msg: string) => void;
}

interface DomPriv {
  did: number;
  pt: VtdSsPageTable | null;
}

const PAGE = 4096;
const QI_ENTRIES = 256; // IQA.QS = 0: one 4 KiB page of 128-bit descriptors
const POLL = 1000;

/** DMAR fault reasons Linux prints (dmar.c dma_remap_fault_reasons, legacy subset). */
const REASONS: Record<number, string> = {
  0x1: 'Present bit in root entry is clear',
  0x2: 'Present bit in context entry is clear',
  0x3: 'Invalid context entry',
  0x4: 'Access beyond MGAW',
  0x5: 'PTE Write access is not set',
  0x6: 'PTE Read access is not set',
  0x7: 'Next page table ptr is invalid',
  0x8: 'Root table address invalid',
  0x9: 'Context table ptr is invalid',
  0xa: 'non-zero reserved fields in RTP',
  0xb: 'non-zero reserved fields in CTP',
  0xc: 'non-zero reserved fields in PTE',
  0xd: 'PCE for translation request specifies blocking',
};

export interface DmarFault {
  sid: number;
  addr: bigint;
  reason: number;
  write: boolean;
  text: string;
}

export class IntelIommu implements IommuOps {
  readonly name = 'intel-iommu';
  readonly iommuDev: IommuDevice;
  identityDomain?: IommuDomain;
  blockedDomain: IommuDomain;
  pgsizeBitmap: number;
  readonly cap: bigint;
  readonly ecap: bigint;
  /** Adjusted guest address width (AGAW) code for the context entries: 1 = 39-bit, 2 = 48-bit, 3 = 57-bit. */
  readonly aw: number;
  readonly log: (msg: string) => void;
  /** Decoded faults seen by handleFaults(). */
  readonly faults: DmarFault[] = [];
  private readonly arena: PageArena;
  private root = 0;
  private gcmd = 0;
  private qiBase = 0;
  private qiTail = 0;
  private waitSlot = 0;
  private readonly dids = new Set<number>();
  private readonly domOps: DomainOps;
  private readonly devDomain = new Map<KDevice, IommuDomain>();

  constructor(
    readonly core: IommuCore,
    readonly kcore: Core,
    readonly mem: AddressSpace,
    readonly o: IntelIommuOptions,
  ) {
    this.log = o.log ?? ((m) => core.log(m));
    this.arena = new PageArena(o.memBase, o.memBase + o.memSize);
    this.cap = this.r64(V.VTD_CAP);
    this.ecap = this.r64(V.VTD_ECAP);
    const sagaw = Number((this.cap & V.VTD_CAP_SAGAW_MASK) >> BigInt(V.VTD_CAP_SAGAW_SHIFT));
    // iommu_calculate_agaw: the largest AGAW SAGAW supports, up to DEFAULT_DOMAIN_ADDRESS_WIDTH (57).
    let aw = 0;
    for (const code of [1, 2, 3]) if ((sagaw & (1 << code)) !== 0) aw = code;
    this.aw = aw;
    const sllps = Number((this.cap & V.VTD_CAP_SLLPS_MASK) >> BigInt(V.VTD_CAP_SLLPS_SHIFT));
    this.pgsizeBitmap = PAGE | ((sllps & 1) !== 0 ? 0x20_0000 : 0) | ((sllps & 2) !== 0 ? 0x4000_0000 : 0);
    this.iommuDev = { name: `dmar@${o.base.toString(16)}`, ops: this };
    const self = this;
    this.domOps = {
      attachDev: (d, dev) => self.attach(d, dev),
      mapPages: (d, iova, paddr, pgsize, pgcount, prot) => {
        const p = d.priv as DomPriv;
        const r = p.pt!.mapPages(iova, paddr, pgsize, pgcount, prot);
        return { ret: r.ret, mapped: r.mapped };
      },
      unmapPages: (d, iova, pgsize, pgcount, gather) => {
        const n = (d.priv as DomPriv).pt!.unmap(iova, pgsize, pgcount);
        if (n > 0) {
          gather.start = Math.min(gather.start, iova);
          gather.end = Math.max(gather.end, iova + n - 1);
          gather.pgsize = pgsize;
        }
        return n;
      },
      iotlbSync: (d, g) => self.flushRange(d, g),
      // Caching mode: the unit may have cached the not-present entries just filled (vtd.md 7.2),
      // so a map needs an IOTLB invalidation of the range before the device may use it.
      iotlbSyncMap: (d, iova, size) => {
        if (self.cachingMode) self.flushRange(d, { start: iova, end: iova + size - 1, pgsize: PAGE, queued: false });
        return 0;
      },
      flushIotlbAll: (d) => self.flushDomain((d.priv as DomPriv).did),
      iovaToPhys: (d, iova) => (d.priv as DomPriv).pt?.iovaToPhys(iova) ?? 0,
      free: (d) => {
        const p = d.priv as DomPriv;
        p.pt?.destroy();
        self.dids.delete(p.did);
      },
    };
    const st = (type: number, name: string): IommuDomain => ({ type, ops: this.domOps, owner: this, pgsizeBitmap: 0, geometry: { apertureStart: 0, apertureEnd: 0, forceAperture: false }, priv: { did: 0, pt: null } satisfies DomPriv, name });
    this.blockedDomain = st(IOMMU_DOMAIN_BLOCKED, 'blocked');
    // Pass-through context entries need ECAP.PT; Linux reserves DID 1 for them.
    if ((this.ecap & V.VTD_ECAP_PT_MASK) !== 0n) this.identityDomain = { ...st(IOMMU_DOMAIN_IDENTITY, 'identity'), priv: { did: 1, pt: null } satisfies DomPriv };
  }

  // ---- MMIO ----------------------------------------------------------------------------------
  private r32(off: number): number {
    return this.mem.read(this.o.base + off, 4);
  }
  private w32(off: number, v: number): void {
    this.mem.write(this.o.base + off, 4, v >>> 0);
  }
  private r64(off: number): bigint {
    return this.mem.read64(this.o.base + off);
  }
  private w64(off: number, v: bigint): void {
    this.mem.write64(this.o.base + off, v);
  }
  private poll(off: number, mask: number, want: boolean, what: string): boolean {
    for (let i = 0; i < POLL; i++) if (((this.r32(off) & mask) !== 0) === want) return true;
    this.log(`DMAR: ${what}: timeout`);
    return false;
  }
  private zeroPage(pa: number): void {
    this.mem.fill(pa, PAGE, 0);
  }

  /** GCMD with the persistent enables kept (Linux iommu->gcmd): one command bit set or cleared. */
  private gcmdSet(bit: number, on: boolean, status: number, what: string): boolean {
    const oneShot = bit === V.VTD_GCMD_SRTP_MASK || bit === V.VTD_GCMD_SFL_MASK || bit === V.VTD_GCMD_WBF_MASK || bit === V.VTD_GCMD_SIRTP_MASK;
    if (!oneShot) this.gcmd = on ? this.gcmd | bit : this.gcmd & ~bit;
    this.w32(V.VTD_GCMD, oneShot ? this.gcmd | bit : this.gcmd);
    return this.poll(V.VTD_GSTS, status, oneShot ? true : on, what);
  }

  // ---- bring-up (vtd.md 7.1) ----------------------------------------------------------------

  /** init_dmars for this unit: QI, root table, invalidations, fault interrupt; then TE. */
  init(): void {
    const gsts = this.r32(V.VTD_GSTS);
    this.gcmd = gsts & (V.VTD_GSTS_TES_MASK | V.VTD_GSTS_QIES_MASK | V.VTD_GSTS_IRES_MASK | V.VTD_GSTS_CFIS_MASK);
    if ((gsts & V.VTD_GSTS_TES_MASK) !== 0) this.gcmdSet(V.VTD_GCMD_TE_MASK, false, V.VTD_GSTS_TES_MASK, 'disable translation');
    if (this.hasQi) {
      this.handleFaults();
      this.qiBase = this.arena.alloc(PAGE);
      this.zeroPage(this.qiBase);
      this.waitSlot = this.arena.alloc(PAGE);
      this.qiTail = 0;
      this.w64(V.VTD_IQT, 0n);
      this.w64(V.VTD_IQA, BigInt(this.qiBase)); // DW = 128-bit, QS = 0 (256 entries)
      this.gcmdSet(V.VTD_GCMD_QIE_MASK, true, V.VTD_GSTS_QIES_MASK, 'enable queued invalidation');
    }
    this.root = this.arena.alloc(PAGE);
    this.zeroPage(this.root);
    if ((this.cap & V.VTD_CAP_RWBF_MASK) !== 0n) this.gcmdSet(V.VTD_GCMD_WBF_MASK, true, V.VTD_GSTS_WBFS_MASK, 'write buffer flush');
    this.w64(V.VTD_RTADDR, BigInt(this.root));
    this.gcmdSet(V.VTD_GCMD_SRTP_MASK, true, V.VTD_GSTS_RTPS_MASK, 'set root table pointer');
    this.flushContextGlobal();
    this.flushIotlbGlobal();
    if (this.o.faultMsiAddr) {
      this.w32(V.VTD_FEDATA, this.o.faultMsiData ?? 0);
      this.w32(V.VTD_FEADDR, this.o.faultMsiAddr);
      this.w32(V.VTD_FEUADDR, 0);
    }
    this.w32(V.VTD_FECTL, 0); // unmask the fault event
  }

  /** The last step of init_dmars: translation on (after devices got their context entries). */
  enableTranslation(): void {
    this.gcmdSet(V.VTD_GCMD_TE_MASK, true, V.VTD_GSTS_TES_MASK, 'enable translation');
  }

  get hasQi(): boolean {
    return (this.ecap & V.VTD_ECAP_QI_MASK) !== 0n;
  }
  get cachingMode(): boolean {
    return (this.cap & V.VTD_CAP_CM_MASK) !== 0n;
  }

  // ---- invalidation ---------------------------------------------------------------------------

  /** qi_submit_sync: one descriptor plus an invalidation wait with status write, then poll the status. */
  private qiSubmit(desc: readonly [bigint, bigint]): void {
    const put = (d: readonly [bigint, bigint]) => {
      const at = this.qiBase + (this.qiTail % QI_ENTRIES) * 16;
      this.mem.write64(at, d[0]);
      this.mem.write64(at + 8, d[1]);
      this.qiTail = (this.qiTail + 1) % QI_ENTRIES;
    };
    this.mem.write(this.waitSlot, 4, 1); // QI_IN_USE
    put(desc);
    const wait0 =
      BigInt(V.VTD_INV_TYPE_WAIT) | V.VTD_INV_WAIT_SW_MASK | V.VTD_INV_WAIT_FN_MASK | (2n << BigInt(V.VTD_INV_WAIT_STDATA_SHIFT)); // status data QI_DONE = 2
    put([wait0, BigInt(this.waitSlot)]);
    this.w64(V.VTD_IQT, BigInt(this.qiTail * 16));
    for (let i = 0; i < POLL; i++) {
      if (this.mem.read(this.waitSlot, 4) === 2) return;
      if ((this.r32(V.VTD_FSTS) & V.VTD_FSTS_IQE_MASK) !== 0) {
        this.log(`DMAR: Invalidation Queue Error (IQE) cleared`);
        this.w32(V.VTD_FSTS, V.VTD_FSTS_IQE_MASK);
        return;
      }
    }
    this.log('DMAR: invalidation wait timeout');
  }

  private ccDesc(g: bigint, did: number, sid: number): [bigint, bigint] {
    return [
      BigInt(V.VTD_INV_TYPE_CC) | (g << BigInt(V.VTD_INV_CC_G_SHIFT)) | (BigInt(did) << BigInt(V.VTD_INV_CC_DID_SHIFT)) | (BigInt(sid) << BigInt(V.VTD_INV_CC_SID_SHIFT)),
      0n,
    ];
  }

  flushContextGlobal(): void {
    if (this.hasQi) this.qiSubmit(this.ccDesc(BigInt(V.VTD_INV_CC_G_GLOBAL), 0, 0));
    else this.ccmd(1, 0, 0);
  }
  private flushContextDevice(did: number, sid: number): void {
    if (this.hasQi) this.qiSubmit(this.ccDesc(BigInt(V.VTD_INV_CC_G_DEVICE), did, sid));
    else this.ccmd(3, did, sid);
  }
  /** Register-based context-cache invalidation (CCMD.ICC, CIRG 1 global / 2 domain / 3 device). */
  private ccmd(cirg: number, did: number, sid: number): void {
    const v = (1n << 63n) | (BigInt(cirg) << 61n) | (BigInt(sid) << 16n) | BigInt(did);
    this.w64(V.VTD_CCMD, v);
    for (let i = 0; i < POLL; i++) if ((this.r64(V.VTD_CCMD) & (1n << 63n)) === 0n) return;
    this.log('DMAR: context invalidation timeout');
  }

  flushIotlbGlobal(): void {
    this.iotlb(BigInt(V.VTD_INV_IOTLB_G_GLOBAL), 0, 0, 0, false);
  }
  flushDomain(did: number): void {
    this.iotlb(BigInt(V.VTD_INV_IOTLB_G_DOMAIN), did, 0, 0, false);
  }
  /** IOTLB invalidation: QI descriptor, or the IOTLB registers at ECAP.IRO. */
  private iotlb(g: bigint, did: number, addr: number, am: number, ih: boolean): void {
    if (this.hasQi) {
      const dw = (this.cap & V.VTD_CAP_DWD_MASK) !== 0n ? V.VTD_INV_IOTLB_DW_MASK : 0n;
      const dr = (this.cap & V.VTD_CAP_DRD_MASK) !== 0n ? V.VTD_INV_IOTLB_DR_MASK : 0n;
      this.qiSubmit([
        BigInt(V.VTD_INV_TYPE_IOTLB) | (g << BigInt(V.VTD_INV_IOTLB_G_SHIFT)) | dw | dr | (BigInt(did) << BigInt(V.VTD_INV_IOTLB_DID_SHIFT)),
        BigInt(addr) | BigInt(am) | (ih ? 1n << 6n : 0n),
      ]);
      return;
    }
    const iro = Number((this.ecap & V.VTD_ECAP_IRO_MASK) >> BigInt(V.VTD_ECAP_IRO_SHIFT)) * 16;
    if (g === BigInt(V.VTD_INV_IOTLB_G_PAGE)) this.w64(iro, BigInt(addr) | BigInt(am) | (ih ? 1n << 6n : 0n));
    const iirg = g === BigInt(V.VTD_INV_IOTLB_G_GLOBAL) ? 1n : g === BigInt(V.VTD_INV_IOTLB_G_DOMAIN) ? 2n : 3n;
    this.w64(iro + 8, (1n << 63n) | (iirg << 60n) | (BigInt(did) << 32n));
    for (let i = 0; i < POLL; i++) if ((this.r64(iro + 8) & (1n << 63n)) === 0n) return;
    this.log('DMAR: IOTLB invalidation timeout');
  }

  /** iotlb_sync after unmap: page-selective (AM = order of the range) when CAP.PSI allows, else domain. */
  private flushRange(d: IommuDomain, g: IotlbGather): void {
    const did = (d.priv as DomPriv).did;
    if (g.end < g.start) return;
    const pages = Math.ceil((g.end + 1 - g.start) / PAGE);
    let am = 0;
    while (2 ** am < pages) am++;
    const mamv = Number((this.cap & V.VTD_CAP_MAMV_MASK) >> BigInt(V.VTD_CAP_MAMV_SHIFT));
    const base = Math.floor(g.start / (PAGE * 2 ** am)) * PAGE * 2 ** am;
    if ((this.cap & V.VTD_CAP_PSI_MASK) === 0n || am > mamv || base + PAGE * 2 ** am <= g.end) this.flushDomain(did);
    else this.iotlb(BigInt(V.VTD_INV_IOTLB_G_PAGE), did, base, am, false);
  }

  // ---- root / context entries (vtd.md 7.2) ----------------------------------------------------

  private contextAddr(bus: number, devfn: number, alloc: boolean): number {
    const re = this.root + bus * 16;
    let lo = this.mem.read64(re);
    if ((lo & V.VTD_ROOT_ENTRY_P_MASK) === 0n) {
      if (!alloc) return 0;
      const ctx = this.arena.alloc(PAGE);
      this.zeroPage(ctx);
      lo = BigInt(ctx) | V.VTD_ROOT_ENTRY_P_MASK;
      this.mem.write64(re, lo);
      this.mem.write64(re + 8, 0n);
    }
    return Number(lo & V.VTD_ROOT_ENTRY_CTP_MASK) + devfn * 16;
  }

  private attach(d: IommuDomain, dev: KDevice): number {
    if (dev.pci === null) return -ERRNO.ENODEV;
    const sid = pciRid(dev.pci);
    const ce = this.contextAddr(dev.pci.bus.number, dev.pci.devfn, true);
    const oldLo = this.mem.read64(ce);
    const oldHi = this.mem.read64(ce + 8);
    if ((oldLo & V.VTD_CONTEXT_ENTRY_P_MASK) !== 0n) {
      // present -> not-present first (domain_context_clear_one), with its invalidations.
      const oldDid = Number((oldHi & V.VTD_CONTEXT_ENTRY_DID_MASK) >> BigInt(V.VTD_CONTEXT_ENTRY_DID_SHIFT));
      this.mem.write64(ce, 0n);
      this.mem.write64(ce + 8, 0n);
      this.flushContextDevice(oldDid, sid);
      this.flushDomain(oldDid);
    }
    this.devDomain.set(dev, d);
    if (d.type === IOMMU_DOMAIN_BLOCKED) return 0; // blocked = context entry not present
    const p = d.priv as DomPriv;
    let lo: bigint;
    let hi = (BigInt(p.did) << BigInt(V.VTD_CONTEXT_ENTRY_DID_SHIFT));
    if (d.type === IOMMU_DOMAIN_IDENTITY) {
      lo = V.VTD_CONTEXT_ENTRY_P_MASK | (BigInt(V.VTD_CONTEXT_ENTRY_TT_PASS_THROUGH) << BigInt(V.VTD_CONTEXT_ENTRY_TT_SHIFT));
      hi |= BigInt(this.aw) << BigInt(V.VTD_CONTEXT_ENTRY_AW_SHIFT);
    } else {
      lo = V.VTD_CONTEXT_ENTRY_P_MASK | BigInt(p.pt!.root) | (BigInt(V.VTD_CONTEXT_ENTRY_TT_MULTI_LEVEL) << BigInt(V.VTD_CONTEXT_ENTRY_TT_SHIFT));
      hi |= BigInt(this.aw) << BigInt(V.VTD_CONTEXT_ENTRY_AW_SHIFT);
    }
    this.mem.write64(ce + 8, hi);
    this.mem.write64(ce, lo);
    // not-present -> present: caching mode may have cached the not-present entry (DID 0).
    if (this.cachingMode) {
      this.flushContextDevice(0, sid);
      this.flushDomain(p.did);
    } else if ((this.cap & V.VTD_CAP_RWBF_MASK) !== 0n) {
      this.gcmdSet(V.VTD_GCMD_WBF_MASK, true, V.VTD_GSTS_WBFS_MASK, 'write buffer flush');
    }
    return 0;
  }

  /** The context entry of a device as the hardware sees it (tests prove isolation from memory). */
  contextEntry(dev: KDevice): [bigint, bigint] {
    const ce = this.contextAddr(dev.pci!.bus.number, dev.pci!.devfn, false);
    if (ce === 0) return [0n, 0n];
    return [this.mem.read64(ce), this.mem.read64(ce + 8)];
  }

  // ---- iommu_ops ----------------------------------------------------------------------------

  probeDevice(dev: KDevice): IommuDevice | number {
    return dev.pci === null ? -ERRNO.ENODEV : this.iommuDev;
  }
  deviceGroup(dev: KDevice) {
    return this.core.pciDeviceGroup(dev);
  }
  releaseDevice(dev: KDevice): void {
    this.devDomain.delete(dev);
  }
  defDomainType(_dev: KDevice): number {
    return this.identityDomain === undefined ? IOMMU_DOMAIN_DMA : 0;
  }

  domainAllocPaging(_dev: KDevice): IommuDomain | number {
    let did = 2; // DID 0 (caching mode) and 1 (pass-through) are reserved
    const nd = 2 ** (4 + 2 * Number(this.cap & V.VTD_CAP_ND_MASK));
    while (this.dids.has(did)) did++;
    if (did >= nd) return -ERRNO.ENOSPC;
    this.dids.add(did);
    const widths = [0, 39, 48, 57];
    const mgaw = Number((this.cap & V.VTD_CAP_MGAW_MASK) >> BigInt(V.VTD_CAP_MGAW_SHIFT)) + 1;
    const pt = new VtdSsPageTable(this.kcore, {
      addressWidth: widths[this.aw]!,
      mgaw,
      pages2M: (this.pgsizeBitmap & 0x20_0000) !== 0,
      pages1G: (this.pgsizeBitmap & 0x4000_0000) !== 0,
      snoopControl: (this.ecap & V.VTD_ECAP_SC_MASK) !== 0n,
    }, this.arena);
    return {
      type: 0, ops: this.domOps, owner: this, pgsizeBitmap: pt.geometry.pgsizeBitmap,
      geometry: { apertureStart: 0, apertureEnd: 2 ** pt.geometry.vaBits - 1, forceAperture: true },
      priv: { did, pt } satisfies DomPriv, name: `dmar-did${did}`,
    };
  }

  capable(_dev: KDevice, cap: IommuCap): boolean {
    switch (cap) {
      case IOMMU_CAP_CACHE_COHERENCY: return true;
      case IOMMU_CAP_ENFORCE_CACHE_COHERENCY: return (this.ecap & V.VTD_ECAP_SC_MASK) !== 0n;
      case IOMMU_CAP_DEFERRED_FLUSH: return true;
      case IOMMU_CAP_DIRTY_TRACKING: return (this.ecap & V.VTD_ECAP_SSADS_MASK) !== 0n;
      case IOMMU_CAP_USER_DMA_SAFE: return true;
    }
    return false;
  }

  getResvRegions(dev: KDevice): ResvRegion[] {
    const out: ResvRegion[] = [];
    for (const r of this.o.rmrrs ?? []) {
      if (!r.devices.includes(dev.name)) continue;
      out.push({ start: r.start, length: r.length, prot: IOMMU_READ | IOMMU_WRITE, type: r.relaxable ? IOMMU_RESV_DIRECT_RELAXABLE : IOMMU_RESV_DIRECT });
    }
    out.push({ start: 0xfee0_0000, length: 0x10_0000, prot: IOMMU_MMIO, type: IOMMU_RESV_MSI });
    return out;
  }

  // ---- faults -------------------------------------------------------------------------------

  /** dmar_fault: reads every recorded fault, logs it the way Linux does, clears F bits and PFO. */
  handleFaults(): DmarFault[] {
    const out: DmarFault[] = [];
    const fsts = this.r32(V.VTD_FSTS);
    const fro = Number((this.cap & V.VTD_CAP_FRO_MASK) >> BigInt(V.VTD_CAP_FRO_SHIFT)) * 16;
    const nfr = Number((this.cap & V.VTD_CAP_NFR_MASK) >> BigInt(V.VTD_CAP_NFR_SHIFT)) + 1;
    if ((fsts & V.VTD_FSTS_PPF_MASK) !== 0) {
      for (let i = 0; i < nfr; i++) {
        const hi = this.r64(fro + i * 16 + 8);
        if ((hi & V.VTD_FRCD_HI_F_MASK) === 0n) continue;
        const lo = this.r64(fro + i * 16);
        const reason = Number((hi & V.VTD_FRCD_HI_FR_MASK) >> BigInt(V.VTD_FRCD_HI_FR_SHIFT));
        const sid = Number((hi & V.VTD_FRCD_HI_SID_MASK) >> BigInt(V.VTD_FRCD_HI_SID_SHIFT));
        const write = (hi & V.VTD_FRCD_HI_T_MASK) === 0n; // T: 0 = write, 1 = read
        const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
        const text = `DMAR: [DMA ${write ? 'Write' : 'Read'} NO_PASID] Request device [${h(sid >> 8, 2)}:${h((sid >> 3) & 0x1f, 2)}.${sid & 7}] fault addr 0x${lo.toString(16)} [fault reason 0x${h(reason, 2)}] ${REASONS[reason] ?? 'Unknown'}`;
        this.log(text);
        const f = { sid, addr: lo, reason, write, text };
        out.push(f);
        this.faults.push(f);
        this.w32(fro + i * 16 + 12, Number(V.VTD_FRCD_HI_F_MASK >> 32n)); // W1C the F bit
      }
    }
    if ((fsts & V.VTD_FSTS_PFO_MASK) !== 0) this.w32(V.VTD_FSTS, V.VTD_FSTS_PFO_MASK);
    return out;
  }
}

/** Registers the driver with the core after bringing the unit up (translation stays off until enableTranslation). */
export function intelIommuProbe(core: IommuCore, kcore: Core, mem: AddressSpace, o: IntelIommuOptions): IntelIommu {
  const d = new IntelIommu(core, kcore, mem, o);
  d.init();
  core.iommuDeviceRegister(d.iommuDev);
  return d;
}

// The Linux IOMMU core (drivers/iommu/iommu.c as of v6.13-v6.17; iommu-core.md b-g): device
// probe and groups, default-domain selection, attach with Linux's failure handling, DMA
// ownership, map/unmap rules, reserved regions and capabilities. Public functions carry the
// Linux names in camelCase and throw KernelError (errno name + function) where Linux returns
// an error; driver callbacks keep the kernel contract (0 / negative errno).
import { KDevice, type KDriver } from '../device.ts';
import { ERRNO, KernelError, errnoName } from '../errors.ts';
import { GroupIds, IommuGroup, genericDeviceGroup, genericSingleDeviceGroup, pciDeviceGroup } from './group.ts';
import {
  IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_UNMANAGED,
  IOMMU_CAP_DEFERRED_FLUSH, IOMMU_RESV_DIRECT, IOMMU_RESV_DIRECT_RELAXABLE, __IOMMU_DOMAIN_DMA_API, __IOMMU_DOMAIN_PAGING,
  RESV_TYPE_NAMES, domainTypeName, newGather, type IommuCap, type IommuDevice, type IommuDomain, type IommuOps, type ResvRegion,
} from './types.ts';

const MUST_SUCCEED = 1;

export interface IommuCoreOptions {
  /** The global default domain type (iommu.passthrough / iommu.strict / Kconfig; b3). Default DMA (strict). */
  defaultDomainType?: number;
  /** Finds a PCI device by requester ID (from the PCI scan), for alias grouping. */
  byRid?: (bus: number, devfn: number) => KDevice | undefined;
  /** Whether a device's MSIs are isolated (an IRQ domain with IRQ_DOMAIN_FLAG_ISOLATED_MSI; g2). */
  isolatedMsi?: (dev: KDevice) => boolean;
  /** Log of WARNs and messages, as dmesg would show them. */
  log?: (msg: string) => void;
}

export class IommuCore {
  readonly groupIds = new GroupIds();
  /** Registered hardware IOMMUs (iommu_device_register), probed in order. */
  readonly iommus: IommuDevice[] = [];
  defaultDomainType: number;
  private readonly byRid: (bus: number, devfn: number) => KDevice | undefined;
  private readonly isolatedMsi: (dev: KDevice) => boolean;
  readonly log: (msg: string) => void;
  readonly dmesg: string[] = [];

  constructor(opts: IommuCoreOptions = {}) {
    this.defaultDomainType = opts.defaultDomainType ?? IOMMU_DOMAIN_DMA;
    this.byRid = opts.byRid ?? (() => undefined);
    this.isolatedMsi = opts.isolatedMsi ?? (() => false);
    this.log = (m) => {
      this.dmesg.push(m);
      opts.log?.(m);
    };
  }

  // ---- registration and probe -------------------------------------------------------------

  /** iommu_device_register. */
  iommuDeviceRegister(iommu: IommuDevice): void {
    this.iommus.push(iommu);
  }

  /** A new group (iommu_group_alloc): the lowest free ID, one reference for the caller. */
  iommuGroupAlloc(): IommuGroup {
    return new IommuGroup(this.groupIds.alloc(), this.groupIds, (d) => d.iommu?.group ?? null);
  }

  /** Group helpers for drivers' device_group callbacks. */
  pciDeviceGroup(dev: KDevice): IommuGroup {
    return pciDeviceGroup(dev, () => this.iommuGroupAlloc(), (d) => d.iommu?.group ?? null, this.byRid);
  }
  genericDeviceGroup(): IommuGroup {
    return genericDeviceGroup(() => this.iommuGroupAlloc());
  }
  genericSingleDeviceGroup(dev: KDevice): IommuGroup {
    return genericSingleDeviceGroup(dev.iommu!.iommuDev, () => this.iommuGroupAlloc());
  }

  /**
   * bus_iommu_probe: probes every device (in bus-walk order), then sets up each new group's
   * default domain and attaches its devices. Devices no IOMMU claims are left without one;
   * a group whose default domain cannot be set up leaves its devices without translation
   * (the probe fails for them, v6.7+).
   */
  busIommuProbe(devices: readonly KDevice[]): void {
    const fresh: IommuGroup[] = [];
    for (const dev of devices) {
      const g = this.probeOne(dev);
      if (g !== null && g.defaultDomain === null && !fresh.includes(g)) fresh.push(g);
    }
    for (const g of fresh) {
      const ret = this.setupDefaultDomain(g, 0);
      if (ret < 0) {
        this.log(`iommu: group ${g.id}: default domain setup failed (${errnoName(ret)}); its devices are not translated`);
        for (const d of [...g.devices]) this.removeFromGroup(d);
      }
    }
  }

  /** iommu_probe_device for one (hot-plugged) device; throws when the probe fails. */
  iommuProbeDevice(dev: KDevice): void {
    if (dev.iommu !== null) return;
    const g = this.probeOne(dev);
    if (g === null) throw new KernelError('ENODEV', 'iommu_probe_device', `${dev.name}: no IOMMU handles it`);
    if (g.defaultDomain === null) {
      const ret = this.setupDefaultDomain(g, 0);
      if (ret < 0) {
        this.removeFromGroup(dev);
        throw new KernelError(errnoName(ret), 'iommu_probe_device', `${dev.name}: default domain setup failed`);
      }
      return;
    }
    // Joining a live group: attach to the group's current domain (must succeed).
    const dom = g.domain!;
    const ret = this.deviceSetDomain(g, dev, dom, MUST_SUCCEED);
    if (ret < 0) this.log(`iommu: ${dev.name}: attach to the group's domain failed (${errnoName(ret)})`);
  }

  private probeOne(dev: KDevice): IommuGroup | null {
    for (const iommu of this.iommus) {
      const r = iommu.ops.probeDevice(dev);
      if (typeof r === 'number') continue; // -ENODEV: not mine
      dev.iommu = { ops: iommu.ops, iommuDev: r, group: null, requireDirect: false, maxPasids: 0, attachDeferred: false };
      const g = iommu.ops.deviceGroup(dev);
      if (typeof g === 'number') {
        this.log(`iommu: ${dev.name}: device_group failed (${errnoName(g)})`);
        iommu.ops.releaseDevice?.(dev);
        dev.iommu = null;
        return null;
      }
      dev.iommu.attachDeferred = iommu.ops.isAttachDeferred?.(dev) ?? false;
      this.iommuGroupAddDevice(g, dev);
      g.put(); // the device now holds its own reference
      return g;
    }
    return null;
  }

  /** iommu_group_add_device. */
  iommuGroupAddDevice(g: IommuGroup, dev: KDevice): void {
    g.ref();
    g.devices.push(dev);
    dev.iommu!.group = g;
  }

  /** iommu_release_device: the device leaves its group (its domains freed with the last device). */
  iommuReleaseDevice(dev: KDevice): void {
    if (dev.iommu === null) return;
    const g = dev.iommu.group;
    const ops = dev.iommu.ops;
    if (g !== null) {
      if (g.ownerCnt !== 0 && dev.driver !== null && !dev.driver.driverManagedDma) this.log(`WARN: ${dev.name}: released while its driver uses the DMA API`);
      if (ops.releaseDomain !== undefined) {
        let rd = ops.releaseDomain;
        // v6.9+: a BLOCKED release domain is replaced by identity for require_direct devices.
        if (dev.iommu.requireDirect && rd.type === IOMMU_DOMAIN_BLOCKED && ops.identityDomain !== undefined) rd = ops.identityDomain;
        this.attachDev(rd, dev, g.domain);
      }
    }
    ops.releaseDevice?.(dev);
    if (g !== null) this.removeFromGroup(dev);
    dev.iommu = null;
  }

  private removeFromGroup(dev: KDevice): void {
    const g = dev.iommu?.group;
    if (!g) return;
    g.devices.splice(g.devices.indexOf(dev), 1);
    dev.iommu!.group = null;
    if (g.devices.length === 0) {
      // The last device: the group's domains go with it.
      for (const d of [g.defaultDomain, g.blockingDomain]) if (d !== null) this.domainFree(d);
      g.defaultDomain = g.blockingDomain = g.domain = null;
    }
    g.put();
  }

  // ---- groups -----------------------------------------------------------------------------

  /** iommu_group_get: the device's group with a new reference, or null. */
  iommuGroupGet(dev: KDevice): IommuGroup | null {
    return dev.iommu?.group?.ref() ?? null;
  }
  /** iommu_group_put (null is ignored). */
  iommuGroupPut(g: IommuGroup | null): void {
    g?.put();
  }
  iommuGroupId(g: IommuGroup): number {
    return g.id;
  }
  /** iommu_get_domain_for_dev: the group's current domain. */
  iommuGetDomainForDev(dev: KDevice): IommuDomain | null {
    return dev.iommu?.group?.domain ?? null;
  }

  // ---- domain allocation --------------------------------------------------------------------

  private initDomain(d: IommuDomain, ops: IommuOps, type: number): IommuDomain {
    d.type = type;
    d.owner = ops;
    if (d.ops === undefined && ops.defaultDomainOps !== undefined) d.ops = ops.defaultDomainOps;
    if (!d.pgsizeBitmap) d.pgsizeBitmap = ops.pgsizeBitmap ?? 0;
    return d;
  }

  /** Allocates a domain of `type` for the group's first device; a negative errno when impossible. */
  private groupDomainAlloc(g: IommuGroup, type: number): IommuDomain | number {
    const dev = g.devices[0]!;
    const ops = dev.iommu!.ops;
    if (type === IOMMU_DOMAIN_IDENTITY) return ops.identityDomain ?? -ERRNO.EOPNOTSUPP;
    if (type === IOMMU_DOMAIN_BLOCKED) return ops.blockedDomain ?? -ERRNO.EOPNOTSUPP;
    if ((type & __IOMMU_DOMAIN_PAGING) !== 0) {
      if (ops.domainAllocPaging === undefined) return -ERRNO.EOPNOTSUPP;
      const d = ops.domainAllocPaging(dev);
      if (typeof d === 'number') return d;
      let t = type;
      // dma-iommu: a DMA_FQ domain without DEFERRED_FLUSH silently becomes strict DMA (b3).
      if (t === IOMMU_DOMAIN_DMA_FQ && !(ops.capable?.(dev, IOMMU_CAP_DEFERRED_FLUSH) ?? false)) t = IOMMU_DOMAIN_DMA;
      return this.initDomain(d, ops, t);
    }
    return -ERRNO.EINVAL;
  }

  /** iommu_paging_domain_alloc(dev): an empty UNMANAGED paging domain. */
  iommuPagingDomainAlloc(dev: KDevice): IommuDomain {
    const fn = 'iommu_paging_domain_alloc';
    if (dev.iommu === null) throw new KernelError('ENODEV', fn, `${dev.name} has no IOMMU`);
    const ops = dev.iommu.ops;
    if (ops.domainAllocPaging === undefined) throw new KernelError('EOPNOTSUPP', fn, `${ops.name} offers no paging domains`);
    const d = ops.domainAllocPaging(dev);
    if (typeof d === 'number') throw new KernelError(errnoName(d), fn, `${ops.name} refused`);
    return this.initDomain(d, ops, IOMMU_DOMAIN_UNMANAGED);
  }

  /** iommu_domain_free. */
  iommuDomainFree(d: IommuDomain): void {
    this.domainFree(d);
  }
  private domainFree(d: IommuDomain): void {
    d.ops?.free?.(d);
  }

  /** The group's blocking domain, allocated on first need (a3: BLOCKED, else an empty paging domain). */
  private blockingDomainFor(g: IommuGroup): IommuDomain | number {
    if (g.blockingDomain !== null) return g.blockingDomain;
    const ops = g.devices[0]!.iommu!.ops;
    let d: IommuDomain | number;
    if (ops.blockedDomain !== undefined) d = ops.blockedDomain;
    else {
      d = this.groupDomainAlloc(g, IOMMU_DOMAIN_UNMANAGED);
      if (typeof d === 'number') return d;
    }
    g.blockingDomain = d;
    return d;
  }

  // ---- default domain (b2) --------------------------------------------------------------------

  /** iommu_get_default_domain_type: the type the devices and knobs require (0 = none), or -errno. */
  private defaultDomainTypeFor(g: IommuGroup, target: number): number {
    let type = 0;
    let untrusted = false;
    for (const dev of g.devices) {
      const ops = dev.iommu!.ops;
      const wish = ops.defaultDomain !== undefined ? ops.defaultDomain.type : (ops.defDomainType?.(dev) ?? 0);
      if (wish !== 0 && type !== 0 && wish !== type) {
        this.log(`iommu: group ${g.id}: devices ask for conflicting default domain types (${domainTypeName(type)}, ${domainTypeName(wish)})`);
        if (wish === IOMMU_DOMAIN_IDENTITY) type = wish;
      } else if (wish !== 0) type = wish;
      if (dev.untrusted) untrusted = true;
    }
    if (untrusted) {
      if (type !== 0 && (type & __IOMMU_DOMAIN_DMA_API) === 0) return -ERRNO.EINVAL;
      type = IOMMU_DOMAIN_DMA;
    }
    if (target !== 0) {
      if (type !== 0 && type !== target && !(type === IOMMU_DOMAIN_DMA && target === IOMMU_DOMAIN_DMA_FQ)) return -ERRNO.EINVAL;
      type = target;
    }
    return type;
  }

  /** iommu_group_alloc_default_domain. */
  private allocDefaultDomain(g: IommuGroup, req: number): IommuDomain | number {
    const ops = g.devices[0]!.iommu!.ops;
    if (ops.defaultDomain !== undefined) {
      if (req !== 0 && req !== ops.defaultDomain.type) return -ERRNO.EINVAL;
      return ops.defaultDomain;
    }
    if (req !== 0) return this.groupDomainAlloc(g, req);
    const d = this.groupDomainAlloc(g, this.defaultDomainType);
    if (typeof d !== 'number' || this.defaultDomainType === IOMMU_DOMAIN_DMA) return d;
    this.log(`iommu: group ${g.id}: failed to allocate default ${domainTypeName(this.defaultDomainType)} domain; falling back to DMA`);
    return this.groupDomainAlloc(g, IOMMU_DOMAIN_DMA);
  }

  /** iommu_setup_default_domain (b2 steps 1-7). 0 or -errno. */
  setupDefaultDomain(g: IommuGroup, target: number): number {
    const req = this.defaultDomainTypeFor(g, target);
    if (req < 0) return req;
    const dom = this.allocDefaultDomain(g, req);
    if (typeof dom === 'number') return dom;
    if (g.defaultDomain === dom) return 0;
    // Direct mappings before the attach (DMA-API domains only; require_direct set regardless).
    for (const dev of g.devices) {
      const r = this.createDirectMappings(dom, dev);
      if (r < 0) return r;
    }
    const old = g.defaultDomain;
    g.defaultDomain = dom;
    const ret = this.groupSetDomainInternal(g, dom, MUST_SUCCEED, true);
    if (ret < 0 && old === null) {
      // A fresh group whose default domain cannot be attached: the probe fails (v6.7+).
      g.defaultDomain = null;
      g.domain = null;
      if (dom !== dev0ops(g).defaultDomain && dom !== dev0ops(g).identityDomain) this.domainFree(dom);
      return ret;
    }
    if (old !== null && old !== dom) this.domainFree(old);
    return 0;
  }

  /** iommu_create_device_direct_mappings (b2 step 6, d5). */
  private createDirectMappings(dom: IommuDomain, dev: KDevice): number {
    const regions = this.iommuGetResvRegions(dev);
    const isDma = (dom.type & __IOMMU_DOMAIN_DMA_API) !== 0;
    const pg = dom.pgsizeBitmap ? 2 ** ctz(dom.pgsizeBitmap) : 0;
    if (isDma && pg === 0) return -ERRNO.EINVAL;
    for (const r of regions) {
      if (r.type === IOMMU_RESV_DIRECT) dev.iommu!.requireDirect = true;
      if ((r.type !== IOMMU_RESV_DIRECT && r.type !== IOMMU_RESV_DIRECT_RELAXABLE) || !isDma) continue;
      const start = Math.ceil(r.start / pg) * pg;
      const end = Math.ceil((r.start + r.length) / pg) * pg;
      let run = 0;
      for (let addr = start; addr <= end; addr += pg) {
        if (addr !== end && this.iommuIovaToPhys(dom, addr) === 0) {
          run += pg;
          continue;
        }
        if (run !== 0) {
          const ret = this.map(dom, addr - run, addr - run, run, r.prot);
          if (ret < 0) return ret;
          run = 0;
        }
      }
    }
    return 0;
  }

  // ---- set-domain (e2) ------------------------------------------------------------------------

  private attachDev(domain: IommuDomain, dev: KDevice, old: IommuDomain | null): number {
    if (domain.ops?.attachDev === undefined) return -ERRNO.ENODEV;
    const ret = domain.ops.attachDev(domain, dev, old);
    return ret < 0 ? ret : 0;
  }

  /** __iommu_device_set_domain. */
  private deviceSetDomain(g: IommuGroup, dev: KDevice, dom: IommuDomain, flags: number, probing = false): number {
    // d5: a device that needs its 1:1 ranges is never given a blocking domain.
    if (dev.iommu!.requireDirect && (dom.type === IOMMU_DOMAIN_BLOCKED || dom === g.blockingDomain)) {
      this.log(`WARN: iommu: ${dev.name}: firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping. Contact your platform vendor.`);
      return -ERRNO.EINVAL;
    }
    if (probing && dev.iommu!.attachDeferred) return 0; // attached on first DMA-API use
    const ret = this.attachDev(dom, dev, g.domain);
    if (ret < 0) {
      if ((flags & MUST_SUCCEED) !== 0 && g.blockingDomain !== null && g.blockingDomain !== dom) {
        // Park the device on the blocking domain: a failed attach never leaves it half-set.
        if (this.attachDev(g.blockingDomain, dev, g.domain) < 0) this.log(`WARN: iommu: ${dev.name}: could not park on the blocking domain`);
      }
      return ret;
    }
    return 0;
  }

  /** __iommu_group_set_domain_internal. */
  private groupSetDomainInternal(g: IommuGroup, dom: IommuDomain, flags: number, probing = false): number {
    if (g.domain === dom) return 0;
    let result = 0;
    const done: KDevice[] = [];
    for (const dev of g.devices) {
      const ret = this.deviceSetDomain(g, dev, dom, flags, probing);
      if (ret < 0) {
        result = ret;
        if ((flags & MUST_SUCCEED) !== 0) continue;
        // Revert the devices already switched to the previous domain (must succeed).
        for (const d of done) if (g.domain !== null) this.deviceSetDomain(g, d, g.domain, MUST_SUCCEED);
        return ret;
      }
      done.push(dev);
    }
    g.domain = dom;
    return result;
  }

  /** The domain the core puts a group on when nobody attached one: blocking if owned, else default. */
  private coreDomain(g: IommuGroup): IommuDomain | number {
    if (g.owner !== null) return this.blockingDomainFor(g);
    return g.defaultDomain ?? -ERRNO.ENODEV;
  }

  // ---- attach API (e1) ------------------------------------------------------------------------

  /** iommu_attach_device: singleton groups only. */
  iommuAttachDevice(domain: IommuDomain, dev: KDevice): void {
    const fn = 'iommu_attach_device';
    const g = dev.iommu?.group;
    if (!g) throw new KernelError('ENODEV', fn, `${dev.name} has no IOMMU group`);
    if (g.devices.length !== 1) throw new KernelError('EINVAL', fn, `${dev.name}'s group ${g.id} has ${g.devices.length} devices (use iommu_attach_group)`);
    this.attachGroup(domain, g, fn);
  }

  /** iommu_detach_device: WARNs and does nothing unless `domain` is the singleton group's domain. */
  iommuDetachDevice(domain: IommuDomain, dev: KDevice): void {
    const g = dev.iommu?.group;
    if (!g || g.domain !== domain || g.devices.length !== 1) {
      this.log(`WARN: iommu_detach_device: ${dev.name}: not attached to this domain (or not a singleton group)`);
      return;
    }
    this.detachGroup(g);
  }

  /** iommu_attach_group. */
  iommuAttachGroup(domain: IommuDomain, g: IommuGroup): void {
    this.attachGroup(domain, g, 'iommu_attach_group');
  }

  private attachGroup(domain: IommuDomain, g: IommuGroup, fn: string): void {
    if (g.domain !== null && g.domain !== g.defaultDomain && g.domain !== g.blockingDomain) {
      throw new KernelError('EBUSY', fn, `group ${g.id} already has a domain attached by someone else`);
    }
    const dev0 = g.devices[0];
    if (dev0 === undefined || dev0.iommu === null || dev0.iommu.ops !== domain.owner) {
      throw new KernelError('EINVAL', fn, `the domain belongs to another IOMMU driver than group ${g.id}'s devices`);
    }
    const ret = this.groupSetDomainInternal(g, domain, 0);
    if (ret < 0) throw new KernelError(errnoName(ret), fn, `attaching group ${g.id} failed; it stays on its previous domain`);
  }

  /** iommu_detach_group: back to the core domain. */
  iommuDetachGroup(_domain: IommuDomain, g: IommuGroup): void {
    this.detachGroup(g);
  }
  private detachGroup(g: IommuGroup): void {
    const d = this.coreDomain(g);
    if (typeof d === 'number') return;
    const ret = this.groupSetDomainInternal(g, d, MUST_SUCCEED);
    if (ret < 0) this.log(`WARN: iommu: group ${g.id}: returning to the core domain failed (${errnoName(ret)})`);
  }

  /** iommu_group_replace_domain: swap without passing through blocking (no -EBUSY check). */
  iommuGroupReplaceDomain(g: IommuGroup, domain: IommuDomain | null): void {
    const fn = 'iommu_group_replace_domain';
    if (domain === null) throw new KernelError('EINVAL', fn, 'domain is NULL');
    const ret = this.groupSetDomainInternal(g, domain, 0);
    if (ret < 0) throw new KernelError(errnoName(ret), fn, `group ${g.id} stays on its previous domain`);
  }

  // ---- DMA ownership (d2) ---------------------------------------------------------------------

  /** iommu_device_use_default_domain (driver core, before a DMA-API driver probes). 0 or -errno. */
  iommuDeviceUseDefaultDomain(dev: KDevice): number {
    const g = dev.iommu?.group;
    if (!g) return 0;
    if (g.defaultDomain === null) return -ERRNO.EPROBE_DEFER;
    if (g.ownerCnt > 0 && (g.domain !== g.defaultDomain || g.owner !== null || g.pasids.size > 0)) return -ERRNO.EBUSY;
    g.ownerCnt++;
    return 0;
  }

  /** iommu_device_unuse_default_domain. */
  iommuDeviceUnuseDefaultDomain(dev: KDevice): void {
    const g = dev.iommu?.group;
    if (!g) return;
    if (g.ownerCnt === 0) {
      this.log(`WARN: iommu_device_unuse_default_domain: ${dev.name}: owner_cnt is 0`);
      return;
    }
    g.ownerCnt--;
  }

  /** __iommu_take_dma_ownership. 0 or -errno; state changes only on success. */
  private takeOwnership(g: IommuGroup, owner: unknown): number {
    if (g.domain !== null && g.domain !== g.defaultDomain) return -ERRNO.EBUSY;
    if (g.pasids.size > 0) return -ERRNO.EBUSY;
    const b = this.blockingDomainFor(g);
    if (typeof b === 'number') return b;
    const ret = this.groupSetDomainInternal(g, b, 0);
    if (ret < 0) return ret;
    g.owner = owner;
    g.ownerCnt++;
    return 0;
  }

  /** iommu_group_claim_dma_owner. */
  iommuGroupClaimDmaOwner(g: IommuGroup, owner: unknown): void {
    const fn = 'iommu_group_claim_dma_owner';
    if (owner === null || owner === undefined) throw new KernelError('EINVAL', fn, 'owner cookie is NULL');
    if (g.ownerCnt !== 0) throw new KernelError('EPERM', fn, `group ${g.id} is in use (owner_cnt ${g.ownerCnt}: ${g.owner === null ? 'kernel drivers use the DMA API' : 'another owner'})`);
    const ret = this.takeOwnership(g, owner);
    if (ret < 0) throw new KernelError(errnoName(ret), fn, `group ${g.id} cannot be switched to its blocking domain`);
  }

  /** iommu_group_release_dma_owner. */
  iommuGroupReleaseDmaOwner(g: IommuGroup): void {
    if (g.ownerCnt === 0 || g.owner === null) {
      this.log(`WARN: iommu_group_release_dma_owner: group ${g.id} is not owned`);
      return;
    }
    this.releaseOwnership(g);
  }

  private releaseOwnership(g: IommuGroup): void {
    g.ownerCnt = 0;
    g.owner = null;
    if (g.defaultDomain !== null) {
      const ret = this.groupSetDomainInternal(g, g.defaultDomain, MUST_SUCCEED);
      if (ret < 0) this.log(`WARN: iommu: group ${g.id}: back to the default domain failed (${errnoName(ret)})`);
    }
  }

  /** iommu_device_claim_dma_owner (v6.2+, iommufd / VFIO cdev). */
  iommuDeviceClaimDmaOwner(dev: KDevice, owner: unknown): void {
    const fn = 'iommu_device_claim_dma_owner';
    if (owner === null || owner === undefined) throw new KernelError('EINVAL', fn, 'owner cookie is NULL');
    const g = dev.iommu?.group;
    if (!g) throw new KernelError('ENODEV', fn, `${dev.name} has no IOMMU group`);
    if (g.ownerCnt !== 0) {
      if (g.owner === owner) {
        g.ownerCnt++;
        return;
      }
      throw new KernelError('EPERM', fn, `group ${g.id} is used by ${g.owner === null ? 'kernel drivers' : 'another owner'}`);
    }
    const ret = this.takeOwnership(g, owner);
    if (ret < 0) throw new KernelError(errnoName(ret), fn, `group ${g.id} cannot be switched to its blocking domain`);
  }

  /** iommu_device_release_dma_owner. */
  iommuDeviceReleaseDmaOwner(dev: KDevice): void {
    const g = dev.iommu?.group;
    if (!g || g.ownerCnt === 0) {
      this.log(`WARN: iommu_device_release_dma_owner: ${dev.name}: not owned`);
      return;
    }
    if (g.ownerCnt > 1) g.ownerCnt--;
    else this.releaseOwnership(g);
  }

  /** iommu_group_dma_owner_claimed. */
  iommuGroupDmaOwnerClaimed(g: IommuGroup): boolean {
    return g.ownerCnt !== 0;
  }

  // ---- driver binding (d4: the driver core's dma_configure / dma_cleanup) -------------------

  /** really_probe: DMA setup (unless driver_managed_dma), then the driver's probe; throws on failure. */
  bindDriver(dev: KDevice, drv: KDriver): void {
    const fn = 'really_probe';
    if (dev.driver !== null) throw new KernelError('EBUSY', fn, `${dev.name} is already bound to ${dev.driver.name}`);
    if (!drv.driverManagedDma) {
      const r = this.iommuDeviceUseDefaultDomain(dev);
      if (r < 0) throw new KernelError(errnoName(r), fn, `${drv.name} cannot use ${dev.name}'s default domain`);
    }
    dev.driver = drv;
    const ret = drv.probe?.(dev) ?? 0;
    if (ret < 0) {
      dev.driver = null;
      if (!drv.driverManagedDma) this.iommuDeviceUnuseDefaultDomain(dev);
      throw new KernelError(errnoName(ret), fn, `${drv.name} probe of ${dev.name} failed`);
    }
  }

  /** device_release_driver. */
  unbindDriver(dev: KDevice): void {
    const drv = dev.driver;
    if (drv === null) return;
    drv.remove?.(dev);
    dev.driver = null;
    if (!drv.driverManagedDma) this.iommuDeviceUnuseDefaultDomain(dev);
  }

  // ---- map / unmap (b6) ---------------------------------------------------------------------

  /** __iommu_map: 0 or -errno. */
  private map(d: IommuDomain, iova: number, paddr: number, size: number, prot: number): number {
    if ((d.type & __IOMMU_DOMAIN_PAGING) === 0) return -ERRNO.EINVAL;
    if (d.ops.mapPages === undefined || d.pgsizeBitmap === 0) return -ERRNO.ENODEV;
    const min = 2 ** ctz(d.pgsizeBitmap);
    if (iova % min !== 0 || paddr % min !== 0 || size % min !== 0) return -ERRNO.EINVAL;
    let done = 0;
    while (done < size) {
      const { pgsize, count } = iommuPgsize(d.pgsizeBitmap, iova + done, paddr + done, size - done);
      const r = d.ops.mapPages(d, iova + done, paddr + done, pgsize, count, prot);
      done += r.mapped;
      if (r.ret < 0) {
        if (done > 0) this.unmap(d, iova, done);
        return r.ret;
      }
    }
    if (d.ops.iotlbSyncMap !== undefined) {
      const r = d.ops.iotlbSyncMap(d, iova, size);
      if (r < 0) {
        this.unmap(d, iova, size);
        return r;
      }
    }
    return 0;
  }

  /** __iommu_unmap: bytes unmapped. */
  private unmap(d: IommuDomain, iova: number, size: number, queued = false): number {
    if ((d.type & __IOMMU_DOMAIN_PAGING) === 0 || d.ops.unmapPages === undefined || d.pgsizeBitmap === 0) return 0;
    const min = 2 ** ctz(d.pgsizeBitmap);
    if (iova % min !== 0 || size % min !== 0) return 0;
    const gather = newGather(queued);
    let done = 0;
    while (done < size) {
      const { pgsize, count } = iommuPgsize(d.pgsizeBitmap, iova + done, iova + done, size - done);
      const n = d.ops.unmapPages(d, iova + done, pgsize, count, gather);
      if (n <= 0) break; // a hole stops the unmap
      done += n;
    }
    if (!queued) d.ops.iotlbSync?.(d, gather);
    return done;
  }

  /** iommu_map: throws KernelError on failure (everything this call mapped is unmapped again). */
  iommuMap(d: IommuDomain, iova: number, paddr: number, size: number, prot: number): void {
    const ret = this.map(d, iova, paddr, size, prot);
    if (ret < 0) throw new KernelError(errnoName(ret), 'iommu_map', `iova 0x${iova.toString(16)} -> 0x${paddr.toString(16)}, size 0x${size.toString(16)}`);
  }

  /** iommu_unmap: bytes unmapped (0 for a non-paging domain or unaligned arguments; stops at a hole). */
  iommuUnmap(d: IommuDomain, iova: number, size: number): number {
    return this.unmap(d, iova, size);
  }

  /** iommu_unmap_fast: unmap without the sync (the caller flushes through its gather / flush queue). */
  iommuUnmapFast(d: IommuDomain, iova: number, size: number): number {
    return this.unmap(d, iova, size, true);
  }

  /** iommu_iova_to_phys. */
  iommuIovaToPhys(d: IommuDomain, iova: number): number {
    if (d.type === IOMMU_DOMAIN_IDENTITY) return iova;
    if (d.type === IOMMU_DOMAIN_BLOCKED) return 0;
    return d.ops.iovaToPhys?.(d, iova) ?? 0;
  }

  // ---- reserved regions (f) -----------------------------------------------------------------

  /** iommu_get_resv_regions. */
  iommuGetResvRegions(dev: KDevice): ResvRegion[] {
    return dev.iommu?.ops.getResvRegions?.(dev) ?? [];
  }

  /** iommu_get_group_resv_regions: union sorted by start; overlapping regions of the same type merged. */
  iommuGetGroupResvRegions(g: IommuGroup): ResvRegion[] {
    const all = g.devices.flatMap((d) => this.iommuGetResvRegions(d)).map((r) => ({ ...r }));
    all.sort((a, b) => a.start - b.start || a.type - b.type);
    const out: ResvRegion[] = [];
    for (const r of all) {
      const same = out.filter((o) => o.type === r.type && r.start <= o.start + o.length && o.start <= r.start + r.length);
      if (same.length > 0) {
        const o = same[same.length - 1]!;
        const end = Math.max(o.start + o.length, r.start + r.length);
        o.start = Math.min(o.start, r.start);
        o.length = end - o.start;
      } else out.push(r);
    }
    return out.sort((a, b) => a.start - b.start);
  }

  /** sysfs reserved_regions: "0x%016llx 0x%016llx %s" lines (start, end inclusive, type). */
  reservedRegionsText(g: IommuGroup): string {
    const h = (n: number) => '0x' + n.toString(16).padStart(16, '0');
    return this.iommuGetGroupResvRegions(g).map((r) => `${h(r.start)} ${h(r.start + r.length - 1)} ${RESV_TYPE_NAMES[r.type]}\n`).join('');
  }

  // ---- capabilities (g) ---------------------------------------------------------------------

  /** device_iommu_capable. */
  deviceIommuCapable(dev: KDevice, cap: IommuCap): boolean {
    const ops = dev.iommu?.ops;
    if (ops?.capable === undefined) return false;
    return ops.capable(dev, cap);
  }

  /** iommu_group_has_isolated_msi: every device's MSIs are isolated. */
  iommuGroupHasIsolatedMsi(g: IommuGroup): boolean {
    return g.devices.every((d) => this.isolatedMsi(d));
  }

  // ---- sysfs type (b3) ----------------------------------------------------------------------

  /** /sys/kernel/iommu_groups/N/type (read). */
  groupTypeText(g: IommuGroup): string {
    return g.defaultDomain === null ? 'unknown' : domainTypeName(g.defaultDomain.type);
  }

  /** /sys/kernel/iommu_groups/N/type (write): identity, DMA, DMA-FQ or auto. */
  setGroupType(g: IommuGroup, text: string): void {
    const fn = 'iommu_group_store_type';
    const map: Record<string, number> = { identity: IOMMU_DOMAIN_IDENTITY, DMA: IOMMU_DOMAIN_DMA, 'DMA-FQ': IOMMU_DOMAIN_DMA_FQ, auto: 0 };
    const t = map[text.trim()];
    if (t === undefined) throw new KernelError('EINVAL', fn, `unknown type '${text.trim()}'`);
    if (g.devices.length === 0) throw new KernelError('EPERM', fn, `group ${g.id} has no devices`);
    const cur = g.defaultDomain;
    // DMA -> DMA-FQ on a live group switches to lazy flushing in place.
    if (cur !== null && cur.type === IOMMU_DOMAIN_DMA && t === IOMMU_DOMAIN_DMA_FQ) {
      const dev = g.devices[0]!;
      if (dev.iommu!.ops.capable?.(dev, IOMMU_CAP_DEFERRED_FLUSH)) cur.type = IOMMU_DOMAIN_DMA_FQ;
      return;
    }
    if (g.ownerCnt !== 0) throw new KernelError('EPERM', fn, `group ${g.id} is in use (owner_cnt ${g.ownerCnt})`);
    const ret = this.setupDefaultDomain(g, t);
    if (ret < 0) throw new KernelError(errnoName(ret), fn, `group ${g.id} cannot use a ${text.trim()} default domain`);
  }
}

function dev0ops(g: IommuGroup): IommuOps {
  return g.devices[0]!.iommu!.ops;
}

/** Count of trailing zero bits of a non-negative integer below 2^53 (64 for 0). */
export function ctz(n: number): number {
  if (n === 0) return 64;
  const lo = n % 4294967296 >>> 0;
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = Math.floor(n / 4294967296) >>> 0;
  return 32 + 31 - Math.clz32(hi & -hi);
}

/** Whether bit `b` of a bitmap below 2^53 is set. */
function bitSet(bitmap: number, b: number): boolean {
  return b < 32 ? ((bitmap % 4294967296 >>> 0) & (1 << b)) !== 0 : ((Math.floor(bitmap / 4294967296) >>> 0) & (1 << (b - 32))) !== 0;
}

/**
 * iommu_pgsize: the largest supported page size that fits the remaining size and the alignment
 * of iova | paddr, and how many of them fit before the next larger size becomes usable.
 */
export function iommuPgsize(bitmap: number, iova: number, paddr: number, size: number): { pgsize: number; count: number } {
  const align = Math.min(ctz(iova), ctz(paddr));
  const maxBit = Math.min(align, Math.floor(Math.log2(size)), 52);
  let best = -1;
  for (let b = maxBit; b >= 0; b--) {
    if (bitSet(bitmap, b)) {
      best = b;
      break;
    }
  }
  if (best < 0) return { pgsize: 2 ** ctz(bitmap), count: 1 };
  const pgsize = 2 ** best;
  let count = Math.floor(size / pgsize);
  // Stop where the next larger supported size would become usable (iova and paddr both aligned to it).
  for (let b = best + 1; b <= 52; b++) {
    if (!bitSet(bitmap, b)) continue;
    const p = 2 ** b;
    if ((iova - paddr) % p === 0) {
      const offset = (p - (iova % p)) % p;
      if (offset < count * pgsize) count = Math.max(1, offset / pgsize);
    }
    break;
  }
  return { pgsize, count };
}

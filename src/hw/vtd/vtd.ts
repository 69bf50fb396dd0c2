// The Intel VT-d DMA-remapping unit: QEMU's 0x230-byte register window (more with extra
// fault-recording registers), GCMD/GSTS command protocol, root/context lookup with a context
// cache that only invalidations refresh, second-stage translation through the WASM core
// (IOTLB + walker, tagged by domain ID), register-based and queued invalidation, primary
// fault logging with the fault event, and the invalidation completion event.
// Facts: shared/reference/vtd.md. Everything is synchronous: a GCMD / CCMD / IOTLB / IQT write
// completes before the write returns, so status bits read back already settled.
import * as R from '../../regs/generated/vtd.ts';
import { BLOCKS } from '../../regs/generated/index.ts';
import { RegisterFile } from '../../regs/register-file.ts';
import type { AddressSpace } from '../../bridge/address-space.ts';
import { Access, type DmaTranslator, type MmioRegionSpec, type TraceHook, type TranslateRequest, type TranslateResult } from '../../bridge/types.ts';
import type { Core } from '../../core/core.ts';
import { Iotlb, type IotlbOptions } from '../../core/iotlb.ts';
import { Walker } from '../../core/walk.ts';
import * as A from '../../core/walk-abi.ts';
import { QEMU_72, capabilities, checkFeatures, frcdOffset, windowSize, type VtdFeatures } from './features.ts';
import { isQualified, sagawOf } from './context.ts';
import { ContextResolver, type CachedContext } from './resolve.ts';
import { EventInterrupt, FaultLog, type MsiSink } from './faults.ts';
import type { InvalidationTarget } from './invalidation.ts';
import { runQueue } from './queue.ts';
import { NegativeCache } from './negative-cache.ts';
import { aboveHaw } from './fields.ts';
import { scalableWalkFaultReason, walkFaultReason } from './walk-faults.ts';
import { irQualified, irTableOf, readIrte, remapInterrupt, type Irte, type IrTable } from './irq-remap.ts';

export interface VtdOptions {
  /** The WASM core holding guest RAM (the machine's). */
  core: Core;
  /** System memory: root/context tables, page tables, the invalidation queue, status writes. */
  memory: AddressSpace;
  name?: string;
  /** QEMU 7.2's defaults with any field overridden. */
  features?: Partial<VtdFeatures>;
  /** Where fault and invalidation-completion MSIs go (default: a 32-bit write to `memory`). */
  msi?: MsiSink;
  iotlb?: IotlbOptions;
  trace?: TraceHook;
}


/** The interrupt address range: DMA whose translation lands here faults (0x0E). */
/** 2^n for page shifts. */
const POW2 = Array.from({ length: 64 }, (_, n) => 2 ** n);
const INTR_FIRST = 0xfee00000;
const INTR_LAST = 0xfeefffff;
const IR_INDEX_SHIFT = 48n; // FRCD.FI bits 63:48 hold the interrupt index of an IR fault
const MAX_CONTEXTS = 32; // cached source IDs (each may hold a walk context)

export class Vtd implements DmaTranslator, InvalidationTarget {
  readonly name: string;
  readonly features: Readonly<VtdFeatures>;
  readonly regs: RegisterFile;
  readonly iotlb: Iotlb;
  readonly mmio: MmioRegionSpec;
  readonly cap: bigint;
  readonly ecap: bigint;
  private readonly core: Core;
  private readonly memory: AddressSpace;
  private readonly faults: FaultLog;
  private readonly feIrq: EventInterrupt;
  private readonly ieIrq: EventInterrupt;
  private trace: TraceHook | undefined;
  private readonly contexts = new Map<string, CachedContext>();
  /** Root table pointer and mode latched by the last SRTP. */
  private root = 0;
  private rootScalable = false;
  /** IRTA latched by the last SIRTP, and the table it describes. */
  private irta = 0n;
  private irTable: IrTable = irTableOf(0n, 0n);
  /** Caching mode: not-present pages per domain, until an IOTLB invalidation covers them. */
  private readonly notPresent = new NegativeCache();
  /** Interrupt-entry cache: IRTEs by index, refreshed only by IEC invalidation. */
  private readonly iec = new Map<number, Irte>();
  private processing = false;
  private readonly sagaw: number;
  private readonly resolver: ContextResolver;

  constructor(opts: VtdOptions) {
    const f: VtdFeatures = { ...QEMU_72, ...opts.features };
    checkFeatures(f);
    this.features = Object.freeze(f);
    this.name = opts.name ?? 'intel-iommu';
    this.core = opts.core;
    this.memory = opts.memory;
    this.trace = opts.trace;
    const { cap, ecap } = capabilities(f);
    this.cap = cap;
    this.ecap = ecap;
    this.sagaw = sagawOf(cap);
    const n = f.faultRecords;
    this.regs = new RegisterFile(BLOCKS.vtd!, {
      name: this.name, resets: { CAP: cap, ECAP: ecap }, counts: { FRCD_LO: n, FRCD_HI: n }, size: windowSize(f), include: ['IQERCD'],
    });
    if (this.regs.ref('FRCD_LO[0]').offset !== frcdOffset(0)) throw new Error('vtd: internal: FRCD offset disagrees with CAP.FRO');
    const send: MsiSink = opts.msi ?? ((addr, data) => this.msiWrite(addr, data));
    const traced: MsiSink = (addr, data) => {
      this.trace?.({ kind: 'vtd-msi', source: this.name, address: addr, data });
      send(addr, data);
    };
    this.feIrq = new EventInterrupt(this.regs, 'FE', traced, f.eim);
    this.ieIrq = new EventInterrupt(this.regs, 'IE', traced, f.eim);
    this.faults = new FaultLog(this.regs, n, this.feIrq);
    this.iotlb = new Iotlb(this.core, opts.iotlb);
    this.resolver = new ContextResolver({
      core: this.core, memory: this.memory, iotlb: this.iotlb, features: this.features, cap, sagaw: this.sagaw, newWalker: () => this.newWalker(),
    });
    this.installHooks();
    const regs = this.regs;
    // 32- and 64-bit accesses (vtd.md 1.16); 64-bit registers also as two 32-bit halves.
    this.mmio = {
      name: this.name,
      size: this.regs.size,
      validSizes: 4 | 8,
      handler: {
        read: (o, s) => regs.read(o, s),
        write: (o, s, v) => regs.write(o, s, v),
        read64: (o) => regs.read64(o),
        write64: (o, v) => regs.write64(o, v),
      },
    };
  }

  setTrace(hook: TraceHook | undefined): void {
    this.trace = hook;
    this.regs.setTrace(hook);
  }

  private msiWrite(addr: number, data: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, data >>> 0, true);
    this.memory.writeBytes(addr, b);
  }

  // ---- registers ---------------------------------------------------------------------------

  private installHooks(): void {
    const r = this.regs;
    r.onWrite('GCMD', (v) => this.globalCommand(v));
    r.onWrite('IQA', (lo) => {
      // DW is reserved (reads 0) without scalable-mode support (vtd.md 1.12, 4.1).
      if (!this.features.scalableMode && (lo & Number(R.VTD_IQA_DW_MASK)) !== 0) r.setLo('IQA', (lo & ~Number(R.VTD_IQA_DW_MASK)) >>> 0);
    });
    r.onWrite('CCMD', (_lo, _o, halves, hi) => {
      // ICC lives in the high half: a write of the low half alone only stores DID/SID.
      if ((halves & 2) !== 0 && (hi & hiBit(R.VTD_CCMD_ICC_MASK)) !== 0) this.contextCommand();
    });
    r.onWrite('IOTLB', (_lo, _o, halves, hi) => {
      if ((halves & 2) !== 0 && (hi & hiBit(R.VTD_IOTLB_IVT_MASK)) !== 0) this.iotlbCommand();
    });
    // After IQE the queue stays stopped on the bad descriptor; clearing IQE re-arms it and the
    // next IQT write resumes fetching at IQH (QEMU 7.2; Linux's next submission writes IQT).
    r.onWrite('FSTS', () => this.faults.update());
    for (let i = 0; i < this.features.faultRecords; i++) r.onWrite(`FRCD_HI[${i}]`, () => this.faults.update());
    r.onWrite('FECTL', () => this.feIrq.onCtlWrite());
    r.onWrite('IECTL', () => this.ieIrq.onCtlWrite());
    r.onWrite('ICS', (v) => {
      if ((v & R.VTD_ICS_IWC_MASK) === 0) this.ieIrq.clearPending();
    });
    r.onWrite('IQT', () => this.processQueue());
  }

  /** GCMD: persistent enables mirrored in GSTS, one-shot commands completed at once (vtd.md 1.5). */
  private globalCommand(v: number): void {
    const f = this.features;
    const gsts = this.regs.get('GSTS');
    let next = gsts;
    const set = (mask: number, on: boolean) => {
      next = on ? next | mask : next & ~mask;
    };
    if (f.dmaTranslation) {
      const te = (v & R.VTD_GCMD_TE_MASK) !== 0;
      if (te !== ((gsts & R.VTD_GSTS_TES_MASK) !== 0)) {
        set(R.VTD_GSTS_TES_MASK, te);
        // QEMU restarts fault recording at record 0 when translation goes off.
        if (!te) this.faults.next = 0;
        this.forget();
      }
    }
    if ((v & R.VTD_GCMD_SRTP_MASK) !== 0) {
      // The root pointer is latched now (RTADDR writes alone do nothing). CAP.ESRTPS = 0: the
      // caches are not flushed; software invalidates the context cache and IOTLB next.
      const rtaddr = this.regs.get64('RTADDR');
      this.root = Number(rtaddr & R.VTD_RTADDR_RTA_MASK & ~aboveHaw(f.awBits));
      // TTM = 01 selects scalable-mode tables where the unit supports them (ECAP.SMTS).
      this.rootScalable = f.scalableMode && Number((rtaddr & R.VTD_RTADDR_TTM_MASK) >> BigInt(R.VTD_RTADDR_TTM_SHIFT)) === R.VTD_RTADDR_TTM_SCALABLE;
      set(R.VTD_GSTS_RTPS_MASK, true);
      this.forget();
    }
    const qie = (v & R.VTD_GCMD_QIE_MASK) !== 0;
    if (qie !== ((gsts & R.VTD_GSTS_QIES_MASK) !== 0)) {
      set(R.VTD_GSTS_QIES_MASK, qie);
      // Disabling queued invalidation resets the head to 0.
      if (!qie) this.regs.set64('IQH', 0n);
    }
    if (f.intremap) {
      set(R.VTD_GSTS_IRES_MASK, (v & R.VTD_GCMD_IRE_MASK) !== 0);
      if ((v & R.VTD_GCMD_SIRTP_MASK) !== 0) {
        // CAP.ESIRTPS = 0: the interrupt-entry cache is not flushed; software invalidates it.
        this.irta = this.regs.get64('IRTA');
        this.irTable = irTableOf(this.irta, aboveHaw(f.awBits));
        set(R.VTD_GSTS_IRTPS_MASK, true);
      }
      // CFI is a persistent setting; CFIS follows it (QEMU never sets CFIS).
      set(R.VTD_GSTS_CFIS_MASK, (v & R.VTD_GCMD_CFI_MASK) !== 0);
    }
    // WBF (CAP.RWBF = 0: nothing buffered, WBFS never reads 1) and SFL/EAFL (CAP.AFL = 0) do nothing.
    this.regs.set('GSTS', next >>> 0);
    this.trace?.({ kind: 'vtd-gcmd', source: this.name, value: v >>> 0, gsts: next >>> 0 });
    if (qie && (gsts & R.VTD_GSTS_QIES_MASK) === 0) this.processQueue();
  }

  /** CCMD with ICC = 1 (vtd.md 1.7, 4.4): ignored while queued invalidation is on, as QEMU does. */
  private contextCommand(): void {
    if ((this.regs.get('GSTS') & R.VTD_GSTS_QIES_MASK) !== 0) return;
    const v = this.regs.get64('CCMD');
    const cirg = Number((v & R.VTD_CCMD_CIRG_MASK) >> BigInt(R.VTD_CCMD_CIRG_SHIFT));
    const did = Number(v & R.VTD_CCMD_DID_MASK);
    let caig = cirg;
    if (cirg === R.VTD_CCMD_CIRG_GLOBAL) this.contextInvalidate({});
    else if (cirg === R.VTD_CCMD_CIRG_DOMAIN) this.contextInvalidate(this.rootScalable ? {} : { did }); // DID is ignored in scalable mode
    else if (cirg === R.VTD_CCMD_CIRG_DEVICE) {
      this.contextInvalidate({ sid: Number((v & R.VTD_CCMD_SID_MASK) >> BigInt(R.VTD_CCMD_SID_SHIFT)), fm: Number((v & R.VTD_CCMD_FM_MASK) >> BigInt(R.VTD_CCMD_FM_SHIFT)) });
    } else caig = 0; // reserved request: not done
    this.regs.set64('CCMD', (v & ~R.VTD_CCMD_ICC_MASK & ~R.VTD_CCMD_CAIG_MASK) | (BigInt(caig) << BigInt(R.VTD_CCMD_CAIG_SHIFT)));
  }

  /** IOTLB register with IVT = 1 (vtd.md 1.8, 4.4). IAIG = 0 reports a request that was not done. */
  private iotlbCommand(): void {
    if ((this.regs.get('GSTS') & R.VTD_GSTS_QIES_MASK) !== 0) return;
    const v = this.regs.get64('IOTLB');
    const iirg = Number((v & R.VTD_IOTLB_IIRG_MASK) >> BigInt(R.VTD_IOTLB_IIRG_SHIFT));
    const did = Number((v & R.VTD_IOTLB_DID_MASK) >> BigInt(R.VTD_IOTLB_DID_SHIFT));
    let iaig = iirg;
    if (iirg === R.VTD_IOTLB_IIRG_GLOBAL) this.iotlbGlobal();
    else if (iirg === R.VTD_IOTLB_IIRG_DOMAIN) this.iotlbDomain(did);
    else if (iirg === R.VTD_IOTLB_IIRG_PAGE) {
      const iva = this.regs.get64('IVA');
      const am = Number(iva & R.VTD_IVA_AM_MASK);
      if (am > Number((this.cap & R.VTD_CAP_MAMV_MASK) >> BigInt(R.VTD_CAP_MAMV_SHIFT))) iaig = 0;
      else this.iotlbPage(did, iva & R.VTD_IVA_ADDR_MASK, am, (iva & R.VTD_IVA_IH_MASK) !== 0n);
    } else iaig = 0;
    this.regs.set64('IOTLB', (v & ~R.VTD_IOTLB_IVT_MASK & ~R.VTD_IOTLB_IAIG_MASK) | (BigInt(iaig) << BigInt(R.VTD_IOTLB_IAIG_SHIFT)));
  }

  // ---- queued invalidation --------------------------------------------------------------------

  /** Consumes descriptors from IQH to IQT while QIES = 1 and no IQE is pending (vtd.md 4.1, 4.5). */
  processQueue(): void {
    if (this.processing) return;
    if ((this.regs.get('GSTS') & R.VTD_GSTS_QIES_MASK) === 0 || (this.regs.get('FSTS') & R.VTD_FSTS_IQE_MASK) !== 0) return;
    this.processing = true;
    try {
      const err = runQueue(this.regs, this.memory, this.features, this, (index, type, e) =>
        this.trace?.({ kind: 'vtd-inv-desc', source: this.name, index, type, error: e }));
      if (err !== R.VTD_IQERCD_IQEI_NONE) this.queueError(err);
    } finally {
      this.processing = false;
    }
  }

  private queueError(iqei: number): void {
    this.regs.set64('IQERCD', (this.regs.get64('IQERCD') & ~R.VTD_IQERCD_IQEI_MASK) | BigInt(iqei));
    this.faults.raiseStatus(R.VTD_FSTS_IQE_MASK);
    this.trace?.({ kind: 'vtd-iqe', source: this.name, iqei });
  }

  // ---- InvalidationTarget -------------------------------------------------------------------

  contextInvalidate(scope: { did?: number; sid?: number; fm?: number }): void {
    this.forget();
    // FM: 1 ignores SID bit 2, 2 bits 2:1, 3 bits 2:0 (the function number's bits).
    const fm = scope.fm ?? 0;
    const ignore = ((1 << fm) - 1) << (3 - fm);
    for (const [key, c] of [...this.contexts]) {
      if (scope.did !== undefined && c.did !== scope.did) continue;
      if (scope.sid !== undefined && (c.sid & ~ignore) !== (scope.sid & ~ignore)) continue;
      this.dropContext(key);
    }
    this.trace?.({ kind: 'vtd-cc-inv', source: this.name, did: scope.did ?? -1, sid: scope.sid ?? -1 });
  }
  iotlbGlobal(): void {
    this.iotlb.iotlbGlobal();
    this.notPresent.clear();
  }
  iotlbDomain(did: number): void {
    this.iotlb.iotlbDomain(did);
    this.notPresent.dropDomain(did);
  }
  iotlbPage(did: number, addr: bigint, am: number, ih: boolean): void {
    this.iotlb.iotlbPage(did, addr, am, ih);
    this.notPresent.dropPages(did, addr, am);
  }
  piotlbPasid(did: number, pasid: number): void {
    this.iotlb.piotlbPasid(did, pasid);
  }
  piotlbPage(did: number, pasid: number, addr: bigint, am: number, ih: boolean): void {
    this.iotlb.piotlbPage(did, pasid, addr, am, ih);
  }
  pasidCacheInvalidate(scope: { did?: number; pasid?: number }): void {
    // PASID entries are cached with their context (one entry per source ID and PASID).
    this.forget();
    for (const [key, c] of [...this.contexts]) {
      if (!c.scalable) continue;
      if (scope.did !== undefined && c.did !== scope.did) continue;
      if (scope.pasid !== undefined && c.pasid !== scope.pasid) continue;
      this.dropContext(key);
    }
  }
  iecInvalidate(scope: { index?: number; im?: number }): void {
    if (scope.index === undefined) {
      this.iec.clear();
      return;
    }
    // Index-selective: 2^IM entries from IIDX (aligned down to that size).
    const n = 2 ** (scope.im ?? 0);
    const first = scope.index - (scope.index % n);
    for (let i = first; i < first + n; i++) this.iec.delete(i);
  }

  // ---- interrupt remapping ------------------------------------------------------------------

  /**
   * An interrupt request (a write into 0xFEExxxxx without PASID) from source `sid`: with
   * GSTS.IRES it is remapped through the IRTE it names (or blocked, with its fault recorded);
   * otherwise it passes unchanged. `address` may carry the upper dword above bit 32.
   */
  remapMsi(address: number, data: number, sid: number): { ok: true; address: number; data: number } | { ok: false; fault: string; fr: number } {
    const gsts = this.regs.get('GSTS');
    if (!this.features.intremap || (gsts & R.VTD_GSTS_IRES_MASK) === 0) return { ok: true, address, data };
    const fetch = (i: number): Irte | null => {
      const hit = this.iec.get(i);
      if (hit !== undefined) return hit;
      const e = readIrte(this.memory, this.irTable, i);
      // Only present entries are cached (a not-present one is fetched again next time).
      if (e !== null && (e.words[0]! & R.VTD_IRTE_P_MASK) !== 0n) this.iec.set(i, e);
      return e;
    };
    const r = remapInterrupt(this.irTable, (gsts & R.VTD_GSTS_CFIS_MASK) !== 0, address, data, sid, fetch);
    this.trace?.({ kind: 'vtd-irq-remap', source: this.name, sid, address, data, ok: r.ok, fr: r.ok ? 0 : r.fr });
    if (r.ok) return { ok: true, address: r.address, data: r.data };
    // FI carries the interrupt index in bits 63:48; interrupt requests are writes (T = 0).
    if (!(r.fpd && irQualified(r.fr))) this.faults.record({ sid, fi: BigInt(r.index) << IR_INDEX_SHIFT, fr: r.fr, write: true });
    return { ok: false, fault: FAULT_NAMES.get(r.fr) ?? `VTD_FR_${r.fr}`, fr: r.fr };
  }
  statusWrite(addr: number, data: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, data >>> 0, true);
    this.memory.writeBytes(addr, b);
  }
  waitInterrupt(): void {
    const ics = this.regs.get('ICS');
    // A completion is signalled only when IWC was clear (software clears it to re-arm).
    if ((ics & R.VTD_ICS_IWC_MASK) !== 0) return;
    this.regs.set('ICS', (ics | R.VTD_ICS_IWC_MASK) >>> 0);
    this.ieIrq.raise();
  }

  // ---- context cache ----------------------------------------------------------------------

  private dropContext(key: string): void {
    const c = this.contexts.get(key);
    if (c === undefined) return;
    if (this.memo === c) this.forget();
    c.tr?.dispose();
    c.walker?.dispose();
    c.s2?.dispose();
    this.contexts.delete(key);
  }
  private dropAllContexts(): void {
    for (const k of [...this.contexts.keys()]) this.dropContext(k);
  }

  /** The cached translation of (sid, pasid): from the cache, else fetched (and cached when the cache may hold it). */
  private context(sid: number, pasid: number | undefined): CachedContext {
    const key = `${sid}/${pasid ?? ''}`;
    const hit = this.contexts.get(key);
    if (hit !== undefined) return hit;
    const c = this.rootScalable ? this.resolver.scalable(sid, pasid, this.root) : this.resolver.legacy(sid, this.root);
    this.trace?.({ kind: 'vtd-context-fetch', source: this.name, sid, pasid: pasid ?? -1, fr: c.fault?.fr ?? 0 });
    // Without caching mode, not-present and invalid entries are never cached: the next access
    // fetches again. With CM = 1 they may be (tagged DID 0), until invalidated.
    if (c.fault !== undefined && !this.features.cachingMode) return c;
    if (this.contexts.size >= MAX_CONTEXTS) this.dropContext(this.contexts.keys().next().value!);
    this.contexts.set(key, c);
    return c;
  }

  private newWalker(): Walker {
    try {
      return new Walker(this.core);
    } catch (e) {
      // Out of walk contexts: a cache may lose entries at any time; drop the oldest and retry.
      const oldest = this.contexts.keys().next();
      if (oldest.done) throw e;
      this.dropContext(oldest.value);
      return new Walker(this.core);
    }
  }

  // ---- translation --------------------------------------------------------------------------

  private memoSid = -1;
  private memoPasid: number | undefined = undefined;
  private memo: CachedContext | null = null;
  private forget(): void {
    this.memo = null;
    this.memoSid = -1;
  }

  translate(req: TranslateRequest): TranslateResult {
    // Translation disabled: DMA passes through untranslated and nothing is recorded.
    if ((this.regs.get('GSTS') & R.VTD_GSTS_TES_MASK) === 0) return { ok: true, pa: req.iova, perm: Access.READ | Access.WRITE, pageSize: 4096 };
    const sid = req.requester.requesterId;
    const write = (req.access & Access.WRITE) !== 0;
    const exec = (req.access & Access.EXEC) !== 0;
    const pasid = req.pasid;
    // Legacy mode has no PASIDs: a request with one is refused (QEMU 7.2's legacy path ignores it).
    if (pasid !== undefined && !this.rootScalable) return this.fault(sid, req.iova, write, R.VTD_FR_SM_TTM_PASID, false, pasid);
    let c: CachedContext;
    if (this.memo !== null && this.memoSid === sid && this.memoPasid === pasid) c = this.memo;
    else {
      c = this.context(sid, pasid);
      if (c.fault === undefined) {
        this.memo = c;
        this.memoSid = sid;
        this.memoPasid = pasid;
      }
    }
    if (c.fault !== undefined) return this.fault(sid, req.iova, write, c.fault.fr, c.fault.fpd, pasid);
    if (c.scalable && pasid !== undefined) {
      // Requests with PASID: supervisor requests need SRE, execute requests ERE (vtd.md 2.6).
      if (req.privileged && !c.sre) return this.fault(sid, req.iova, write, R.VTD_FR_SM_PASID_SRE, c.fpd, pasid);
      if (exec && !c.ere) return this.fault(sid, req.iova, write, R.VTD_FR_SM_PASID_ERE, c.fpd, pasid);
    }
    if (c.tr === undefined) return { ok: true, pa: req.iova, perm: Access.READ | Access.WRITE, pageSize: 4096 };
    const acc = (write ? A.ACC_WRITE : 0) | (exec ? A.ACC_EXEC : 0) | (req.privileged ? A.ACC_PRIV : 0);
    const cm = this.features.cachingMode && !c.scalable;
    if (cm && this.notPresent.has(c.did, req.iova)) {
      return this.fault(sid, req.iova, write, write ? R.VTD_FR_WRITE : R.VTD_FR_READ, c.fpd, pasid);
    }
    const pa = c.tr.translate(req.iova, acc);
    if (pa < 0) {
      const o = c.tr.outcome();
      if (cm && o.status === A.ST_TRANSLATION && o.reason === A.R_INVALID) this.notPresent.add(c.did, req.iova);
      const fr = c.scalable
        ? scalableWalkFaultReason(o.status, o.reason, o.level, c.levels!, o.stage === 2 || c.stage === 2 ? 2 : 1)
        : walkFaultReason(o.status, o.reason, o.level, c.levels!, write);
      return this.fault(sid, req.iova, write, fr, c.fpd, pasid);
    }
    // A table lookup and a division: `2 ** n` and a float `%` are runtime calls in V8 (slow here).
    const pageSize = POW2[c.tr.pageShift]!;
    const first = Math.floor(pa / pageSize) * pageSize;
    // A translation into the interrupt address range is not DMA (0x0E; 0x87 in scalable mode).
    if (first <= INTR_LAST && first + pageSize - 1 >= INTR_FIRST) {
      return this.fault(sid, req.iova, write, c.scalable ? R.VTD_FR_SM_INTERRUPT_ADDR : R.VTD_FR_INTERRUPT_ADDR, c.fpd, pasid);
    }
    const pm = c.tr.permAll;
    const p = req.privileged ? pm & 7 : (pm >> A.PERM_UNPRIV_SHIFT) & 7;
    return { ok: true, pa, perm: ((p & A.PERM_R) !== 0 ? Access.READ : 0) | ((p & A.PERM_W) !== 0 ? Access.WRITE : 0) | ((p & A.PERM_X) !== 0 ? Access.EXEC : 0), pageSize };
  }

  /** Records fault `fr` for (sid, iova) unless FPD suppresses it (qualified faults only). */
  private fault(sid: number, iova: number, write: boolean, fr: number, fpd: boolean, pasid?: number): TranslateResult {
    const suppressed = fpd && isQualified(fr);
    if (!suppressed) this.faults.record({ sid, fi: BigInt(iova), fr, write, pasid });
    this.trace?.({ kind: 'vtd-fault', source: this.name, sid, iova, fr, write, recorded: !suppressed });
    return { ok: false, fault: FAULT_NAMES.get(fr) ?? `VTD_FR_${fr}`, detail: { sid, iova, fr } };
  }

  // ---- reset and snapshot -------------------------------------------------------------------

  /** Device reset: registers to their reset values, caches emptied, latched pointers cleared. */
  reset(): void {
    this.regs.reset();
    this.dropAllContexts();
    this.forget();
    this.iotlb.invalidateAll();
    this.notPresent.clear();
    this.root = 0;
    this.rootScalable = false;
    this.irta = 0n;
    this.irTable = irTableOf(0n, 0n);
    this.iec.clear();
    this.faults.next = 0;
  }

  /** The IRTA latched by the last SIRTP (interrupt remapping reads its table from here). */
  get latchedIrta(): bigint {
    return this.irta;
  }
  /** The root table address latched by the last SRTP. */
  get latchedRoot(): number {
    return this.root;
  }

  /**
   * Registers, IOTLB and the latched pointers. The context cache is not saved: after restore
   * the unit fetches context entries again (a cache may drop entries at any time).
   */
  snapshot(): VtdSnapshot {
    return {
      type: 'vtd', version: 1,
      state: { regs: this.regs.state(), iotlb: this.iotlb.snapshot(), root: this.root, rootScalable: this.rootScalable, irta: this.irta.toString(), nextFault: this.faults.next },
    };
  }
  restore(s: VtdSnapshot): void {
    if (s.type !== 'vtd' || s.version !== 1) throw new Error(`Vtd.restore: expected a vtd snapshot of version 1, got ${s.type} v${s.version}`);
    this.dropAllContexts();
    this.forget();
    this.regs.loadState(s.state.regs);
    this.iotlb.restore(s.state.iotlb);
    this.notPresent.clear();
    this.root = s.state.root;
    this.rootScalable = s.state.rootScalable;
    this.irta = BigInt(s.state.irta);
    this.irTable = irTableOf(this.irta, aboveHaw(this.features.awBits));
    this.iec.clear();
    this.faults.next = s.state.nextFault;
  }
}

export interface VtdSnapshot {
  type: string;
  version: number;
  state: { regs: Record<string, string>; iotlb: ReturnType<Iotlb['snapshot']>; root: number; rootScalable: boolean; irta: string; nextFault: number };
}

/** Bit `mask` (a 64-bit field in the high half) as a mask of the high 32-bit half. */
function hiBit(mask: bigint): number {
  return Number(mask >> 32n);
}

/** Fault reason code -> its regmap name (the TranslateFault.fault string). */
const FAULT_NAMES = new Map<number, string>(
  Object.entries(R)
    .filter(([k, v]) => k.startsWith('VTD_FR_') && typeof v === 'number' && !k.endsWith('_DESC'))
    .map(([k, v]) => [v as number, k]),
);

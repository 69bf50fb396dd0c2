// Building a context-cache entry (vtd.md 2.7): the legacy or scalable lookup, then the walk it
// needs - second stage, first stage or nested through the core's walkers, bound to the IOTLB with
// the domain (and PASID) tags - or the fault that stopped it.
import * as R from '../../regs/generated/vtd.ts';
import type { AddressSpace } from '../../bridge/address-space.ts';
import type { Core } from '../../core/core.ts';
import { IotlbKind, type Iotlb } from '../../core/iotlb.ts';
import type { Walker } from '../../core/walk.ts';
import { Translator } from '../../core/translate.ts';
import * as A from '../../core/walk-abi.ts';
import type { VtdFeatures } from './features.ts';
import { lookupLegacyContext } from './context.ts';
import { lookupScalable } from './scalable.ts';

/**
 * A context-cache entry (legacy: per source ID; scalable: per source ID and PASID, holding the
 * PASID-cache entry too): the fault its lookup gave, or how it translates.
 */
export interface CachedContext {
  sid: number;
  /** Domain the entry is tagged with (0 for a cached fault: caching mode tags invalid entries with DID 0). */
  did: number;
  fpd: boolean;
  scalable: boolean;
  fault?: { fr: number; fpd: boolean };
  /** Scalable mode: the PASID the entry resolved (the request's, or RID_PASID), SRE and ERE. */
  pasid?: number;
  sre?: boolean;
  ere?: boolean;
  /** The walk (absent for pass-through) and, when nested, its second stage. */
  walker?: Walker;
  s2?: Walker;
  tr?: Translator;
  /** Depth of the table walked first (a fetch error at this level is a bad table pointer). */
  levels?: number;
  /** 2: second-stage only; 1: first stage (possibly nested). */
  stage?: number;
}

/** What building an entry needs from the unit. */
export interface ResolverEnv {
  core: Core;
  memory: AddressSpace;
  iotlb: Iotlb;
  features: Readonly<VtdFeatures>;
  cap: bigint;
  sagaw: number;
  /** A fresh walk context (the unit may evict a cached entry to find one). */
  newWalker(): Walker;
}

export class ContextResolver {
  constructor(private readonly env: ResolverEnv) {}

  private failed(sid: number, fr: number, fpd: boolean, scalable: boolean): CachedContext {
    return { sid, did: 0, fpd, scalable, fault: { fr, fpd } };
  }

  legacy(sid: number, root: number): CachedContext {
    const look = lookupLegacyContext(this.env.memory, root, sid, this.env.features, this.env.sagaw);
    if (!look.ok) return this.failed(sid, look.fr, look.fpd, false);
    const ctx = look.ctx;
    const c: CachedContext = { sid, did: ctx.did, fpd: ctx.fpd, scalable: false };
    if (ctx.tt === R.VTD_CONTEXT_ENTRY_TT_PASS_THROUGH) return c;
    const walker = this.env.newWalker();
    if (walker.configureVtdSs(this.ssConfig(ctx.slptptr, ctx.aw)) !== A.CFG_OK) {
      walker.dispose();
      return this.failed(sid, R.VTD_FR_CONTEXT_ENTRY_INV, ctx.fpd, false);
    }
    c.walker = walker;
    c.levels = ctx.aw + 2;
    c.tr = new Translator(this.env.core, { walker, tlb: this.env.iotlb, kind: IotlbKind.VTD_SS, did: ctx.did });
    return c;
  }

  private ssConfig(root: number, aw: number, extra: { exec?: boolean; accessDirty?: boolean } = {}) {
    const f = this.env.features;
    const sllps = Number((this.env.cap & R.VTD_CAP_SLLPS_MASK) >> BigInt(R.VTD_CAP_SLLPS_SHIFT));
    return {
      root, aw, haw: f.awBits, mgaw: f.awBits, pages2M: (sllps & 1) !== 0, pages1G: (sllps & 2) !== 0,
      // SNP is a leaf attribute with snoop control or in scalable mode; bit 62 (old TM) is allowed
      // in leaves with device-iotlb, as QEMU 7.2 does.
      snoop: f.snoopControl || f.scalableMode, tm: f.deviceIotlb, ...extra,
    };
  }

  scalable(sid: number, pasid: number | undefined, root: number): CachedContext {
    const f = this.env.features;
    const look = lookupScalable(this.env.memory, root, sid, pasid, f, {
      sagaw: this.env.sagaw, firstStage: f.firstStage, secondStage: f.scalableMode, nested: f.nested, pt: f.pt, pasid: f.pasid,
    });
    if (!look.ok) return this.failed(sid, look.fr, look.fpd, true);
    const p = look.cfg;
    const c: CachedContext = { sid, did: p.did, fpd: p.fpd, scalable: true, pasid: look.pasid, sre: p.sre, ere: p.ere };
    if (p.pgtt === R.VTD_PASID_ENTRY_PGTT_PASS_THROUGH) return c;
    const bad = () => this.failed(sid, R.VTD_FR_SM_PASID_INV, p.fpd, true);
    const fsCfg = { root: p.fsptptr, levels: p.fsLevels, haw: f.awBits, nxe: p.nxe, pages1G: f.firstStage, accessDirty: true, wpe: p.wpe, smep: p.smep };
    if (p.pgtt === R.VTD_PASID_ENTRY_PGTT_SECOND_STAGE) {
      const walker = this.env.newWalker();
      if (walker.configureVtdSs(this.ssConfig(p.ssptptr, p.aw, { exec: p.ssExec, accessDirty: p.ssAd })) !== A.CFG_OK) {
        walker.dispose();
        return bad();
      }
      c.walker = walker;
      c.levels = p.aw + 2;
      c.stage = 2;
      c.tr = new Translator(this.env.core, { walker, tlb: this.env.iotlb, kind: IotlbKind.VTD_SS, did: p.did });
      return c;
    }
    const walker = this.env.newWalker();
    let err = walker.configureVtdFs(fsCfg);
    if (err === A.CFG_OK && p.pgtt === R.VTD_PASID_ENTRY_PGTT_NESTED) {
      const s2 = this.env.newWalker();
      err = s2.configureVtdSs(this.ssConfig(p.ssptptr, p.aw, { exec: p.ssExec, accessDirty: p.ssAd }));
      if (err === A.CFG_OK) err = walker.nest(s2);
      c.s2 = s2;
    }
    c.walker = walker;
    if (err !== A.CFG_OK) {
      c.s2?.dispose();
      walker.dispose();
      return bad();
    }
    c.levels = p.fsLevels;
    c.stage = 1;
    const kind = p.pgtt === R.VTD_PASID_ENTRY_PGTT_NESTED ? IotlbKind.VTD_NESTED : IotlbKind.VTD_FS;
    c.tr = new Translator(this.env.core, { walker, tlb: this.env.iotlb, kind, did: p.did, pasid: look.pasid, globalFromNg: true });
    return c;
  }

}

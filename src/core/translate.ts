// Translator: the per-access path of every IOMMU model - IOTLB lookup, walk on a miss, insert -
// as one call into the core (assembly/xlate). Numbers cross the boundary; nothing allocates on
// the hot path. A model creates one Translator per live configuration (STE+CD, context/PASID
// entry, TCE window) and calls rebind() when the tags change (new ASID, DID, ...).
import type { Core } from './core.ts';
import type { Iotlb } from './iotlb.ts';
import type { Walker } from './walk.ts';
import * as X from './xlate-abi.ts';
import { ST_OK } from './walk-abi.ts';

export interface TranslatorBinding {
  /** The walk context that translates on a miss. */
  walker: Walker;
  /** The IOTLB that caches successes; null: every access walks. */
  tlb: Iotlb | null;
  /** Entry tags (IotlbKind and the identifiers that kind uses); absent identifiers are 0. */
  kind?: number;
  vmid?: number;
  asid?: number;
  did?: number;
  pasid?: number;
  liobn?: number;
  /** Cache leaves with nG = 0 / G = 1 as global (found from any ASID/PASID). */
  globalFromNg?: boolean;
  /** Fault from a cached entry that refuses the access (QEMU SMMUv3) instead of walking again. */
  permFromTlb?: boolean;
}

/** The result of the last translate on this core, decoded (cold path: allocates). */
export interface TranslateOutcome {
  status: number;
  /** 'tlb' when the IOTLB answered, 'walk' when the tables were walked, 'none' for an unusable binding. */
  source: 'none' | 'tlb' | 'walk';
  outputAddress: number;
  permAll: number;
  pageShift: number;
  attrs: number;
  s2Attrs: number;
  reason: number;
  stage: number;
  level: number;
}

const inUse = new WeakMap<Core, Uint8Array>();

// Word offsets of the hot result fields, as module-local constants: reading an imported
// binding can cost a property lookup per access in some module loaders, on every translate.
const W_STATUS = X.XR_STATUS / 4;
const D_OA = X.XR_OA / 8;
const W_PERM_ALL = X.XR_PERM_ALL / 4;
const W_PAGE_SHIFT = X.XR_PAGE_SHIFT / 4;
const W_SOURCE = X.XR_SOURCE / 4;
const XS_TLB = X.XS_TLB;

function check32(name: string, v: number | undefined): number {
  const x = v ?? 0;
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`Translator: ${name} must be an integer in 0..0xffffffff, got ${v}`);
  return x;
}

export class Translator {
  readonly index: number;
  private binding: TranslatorBinding;
  private buf: ArrayBuffer | SharedArrayBuffer | null = null;
  private u32v!: Uint32Array;
  private i32v!: Int32Array;
  private f64v!: Float64Array;
  private readonly resW: number;
  private readonly inPtr: number;
  private readonly outPtr: number;
  private disposed = false;

  constructor(readonly core: Core, binding: TranslatorBinding) {
    let used = inUse.get(core);
    if (used === undefined) {
      used = new Uint8Array(X.MAX_BIND);
      inUse.set(core, used);
    }
    const index = used.indexOf(0);
    if (index < 0) throw new RangeError(`Translator: all ${X.MAX_BIND} bindings of this core are in use (dispose() unused translators)`);
    this.binding = binding;
    this.bindNow(index, binding);
    used[index] = 1;
    this.index = index;
    const e = core.exports;
    this.resW = e.xlate_result_ptr() >>> 2;
    this.inPtr = e.xlate_batch_in_ptr();
    this.outPtr = e.xlate_batch_out_ptr();
    this.views();
  }

  private bindNow(index: number, b: TranslatorBinding): void {
    if (b.walker.core !== this.core) throw new Error('Translator: the walker belongs to another core');
    if (b.tlb !== null && b.tlb.core !== this.core) throw new Error('Translator: the IOTLB belongs to another core');
    const kind = check32('kind', b.kind);
    if (b.tlb !== null && (kind < 1 || kind > 15)) throw new RangeError(`Translator: a binding with an IOTLB needs an IotlbKind (1..15), got ${b.kind}`);
    const flags = (b.globalFromNg ? X.XF_GLOBAL_FROM_NG : 0) | (b.permFromTlb ? X.XF_PERM_FROM_TLB : 0);
    this.core.exports.xlate_bind(
      index, b.tlb === null ? 0 : b.tlb.handle, kind, check32('vmid', b.vmid), check32('asid', b.asid), check32('did', b.did),
      check32('pasid', b.pasid), check32('liobn', b.liobn), b.walker.slot, flags,
    );
  }

  /** Changes some of the binding (e.g. a new ASID after a CD update); the rest stays. */
  rebind(changes: Partial<TranslatorBinding>): void {
    this.live();
    const next = { ...this.binding, ...changes };
    this.bindNow(this.index, next);
    this.binding = next;
  }

  /** Returns the binding to the core's pool; the translator must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.core.exports.xlate_unbind(this.index);
    inUse.get(this.core)![this.index] = 0;
  }

  private live(): void {
    if (this.disposed) throw new Error('Translator: used after dispose()');
  }

  private views(): void {
    // Fetching memory.buffer costs ~20 ns; a buffer detached by memory.grow reads byteLength 0.
    if (this.buf !== null && this.buf.byteLength !== 0) return;
    const b = this.core.exports.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.u32v = new Uint32Array(b);
      this.i32v = new Int32Array(b);
      this.f64v = new Float64Array(b);
    }
  }

  /**
   * Translates `iova` (an integer below 2^53) with access `acc` (ACC_* mask). Returns the output
   * address, or minus the status (ST_*) when the access faults: `pa < 0` means a fault.
   */
  translate(iova: number, acc: number): number {
    return this.core.exports.xlate_va(this.index, iova, acc);
  }

  /** Translates any 64-bit iova; returns the status (details via the getters or outcome()). */
  translateBig(iova: bigint, acc: number): number {
    const v = BigInt.asUintN(64, iova);
    return this.core.exports.xlate_va64(this.index, Number(v & 0xffffffffn), Number(v >> 32n), acc);
  }

  // ---- result of the last translate on this core, read without allocation ----
  get status(): number {
    this.views();
    return this.u32v[this.resW + W_STATUS]!;
  }
  get outputAddress(): number {
    this.views();
    return this.f64v[(this.resW >>> 1) + D_OA]!;
  }
  /** Privileged RWX | unprivileged RWX << 3 of the last successful translate. */
  get permAll(): number {
    this.views();
    return this.u32v[this.resW + W_PERM_ALL]!;
  }
  /** log2 of the last successful translation's size. */
  get pageShift(): number {
    this.views();
    return this.u32v[this.resW + W_PAGE_SHIFT]!;
  }
  get fromTlb(): boolean {
    this.views();
    return this.u32v[this.resW + W_SOURCE] === XS_TLB;
  }

  /** The last translate's result, decoded. */
  outcome(): TranslateOutcome {
    this.views();
    const u = this.u32v;
    const w = this.resW;
    const status = u[w + X.XR_STATUS / 4]!;
    const src = u[w + X.XR_SOURCE / 4]!;
    const ok = status === ST_OK;
    return {
      status,
      source: src === X.XS_TLB ? 'tlb' : src === X.XS_WALK ? 'walk' : 'none',
      outputAddress: this.f64v[(w >>> 1) + X.XR_OA / 8]!,
      permAll: ok ? u[w + X.XR_PERM_ALL / 4]! : 0,
      pageShift: ok ? u[w + X.XR_PAGE_SHIFT / 4]! : 0,
      attrs: ok ? u[w + X.XR_ATTRS / 4]! : 0,
      s2Attrs: ok ? u[w + X.XR_S2_ATTRS / 4]! : 0,
      reason: ok ? 0 : u[w + X.XR_REASON / 4]!,
      stage: ok ? 0 : u[w + X.XR_STAGE / 4]!,
      level: this.i32v[w + X.XR_LEVEL / 4]!,
    };
  }

  /**
   * Translates many addresses (each below 2^53) in one call per XBATCH_MAX: `iovas[i]` with
   * `acc[i]` (or one mask for all). Writes output addresses, statuses and, if given,
   * (permAll | pageShift << 8) per access. Returns how many succeeded.
   */
  translateBatch(iovas: Float64Array, acc: number | Uint32Array, out: Float64Array, status: Uint32Array, info?: Uint32Array): number {
    this.live();
    if (out.length < iovas.length || status.length < iovas.length || (info !== undefined && info.length < iovas.length)) {
      throw new RangeError('Translator.translateBatch: out, status (and info) must be at least as long as iovas');
    }
    if (typeof acc !== 'number' && acc.length < iovas.length) throw new RangeError('Translator.translateBatch: acc must be a number or as long as iovas');
    const e = this.core.exports;
    const inD = this.inPtr >>> 3;
    const inW = this.inPtr >>> 2;
    const outD = this.outPtr >>> 3;
    const outW = this.outPtr >>> 2;
    let ok = 0;
    for (let base = 0; base < iovas.length; base += X.XBATCH_MAX) {
      const n = Math.min(X.XBATCH_MAX, iovas.length - base);
      this.views();
      const f = this.f64v;
      const u = this.u32v;
      for (let i = 0; i < n; i++) {
        f[inD + i * 2] = iovas[base + i]!;
        u[inW + i * 4 + 2] = typeof acc === 'number' ? acc : acc[base + i]!;
      }
      ok += e.xlate_batch(this.index, n);
      this.views();
      const f2 = this.f64v;
      const u2 = this.u32v;
      for (let i = 0; i < n; i++) {
        out[base + i] = f2[outD + i * 2]!;
        status[base + i] = u2[outW + i * 4 + 2]!;
        if (info !== undefined) info[base + i] = u2[outW + i * 4 + 3]!;
      }
    }
    return ok;
  }

  /**
   * Zero-copy batch: views of the core's batch buffers. Fill `input` (per access: f64 iova at
   * [2i], access mask in the u32 word 4i + 2 of `inputWords`), call runBatch(n), read `output`
   * (f64 output address at [2i]; u32 status at word 4i + 2, permAll | pageShift << 8 at 4i + 3).
   * The views are invalidated when linear memory grows (take them again after allocating RAM).
   */
  batchViews(): { input: Float64Array; inputWords: Uint32Array; output: Float64Array; outputWords: Uint32Array } {
    this.views();
    const b = this.buf!;
    return {
      input: new Float64Array(b, this.inPtr, X.XBATCH_MAX * 2),
      inputWords: new Uint32Array(b, this.inPtr, X.XBATCH_MAX * 4),
      output: new Float64Array(b, this.outPtr, X.XBATCH_MAX * 2),
      outputWords: new Uint32Array(b, this.outPtr, X.XBATCH_MAX * 4),
    };
  }

  /** Translates the first `n` (<= XBATCH_MAX) accesses already written into the batch input views. */
  runBatch(n: number): number {
    this.live();
    if (!Number.isInteger(n) || n < 0 || n > X.XBATCH_MAX) throw new RangeError(`Translator.runBatch: n must be an integer in 0..${X.XBATCH_MAX}, got ${n}`);
    return this.core.exports.xlate_batch(this.index, n);
  }
}

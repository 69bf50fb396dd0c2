// Typed facade over the walk engine (assembly/walk, contract in assembly/walk/engine.ts).
//
//   const w = new Walker(core);
//   w.configureS1({ ttb0: 0x40000000, t0sz: 16, granule0: 4096, oas: 48 });
//   if (w.walk(0x12345000, 'read', true) === ST_OK) use(w.outputAddress, w.perm, w.pageShift);
//   else report(w.result());                  // decoded object, with the SMMUv3 event to raise
//
// `walk` crosses into WASM once and allocates nothing: the hot-path getters read the static
// result record through typed-array views of linear memory. `result()` builds a plain object
// for cold paths and tests. Architecturally invalid configurations (a TxSZ out of range, a
// reserved SL0, ...) are not exceptions: configure returns the CFG_* code and every walk
// answers ST_BAD_CONFIG, which a hardware model maps onto its own error (C_BAD_CD /
// C_BAD_STE). Exceptions are kept for misuse of the API (non-integer values, no free slot).
import type { Core } from './core.ts';
import * as A from './walk-abi.ts';
import {
  dartRaw, flatRaw, rockchipRaw, tceRaw, vtdFsRaw, vtdSsRaw,
  type DartConfig, type FlatConfig, type RawConfig, type RockchipConfig, type TceConfig, type VtdFsConfig, type VtdSsConfig,
} from './walk-configs.ts';
import {
  SMMU_EVENT_F_ACCESS,
  SMMU_EVENT_F_ADDR_SIZE,
  SMMU_EVENT_F_PERMISSION,
  SMMU_EVENT_F_TRANSLATION,
  SMMU_EVENT_F_WALK_EABT,
  SMMU_EVT_FAULT_CLASS_IN,
  SMMU_EVT_FAULT_CLASS_TT,
} from '../regs/generated/smmuv3.ts';

export type Granule = 4096 | 16384 | 65536;
export type WalkAccess = 'read' | 'write';

/** VMSAv8-64 stage 1 (an SMMUv3 CD, or TCR_EL1/TTBRn_EL1), with fields already decoded. */
export interface VmsaS1Config {
  /** TTB0 table address (SMMU CD.TTB0). */
  ttb0: number;
  /** T0SZ: the TTB0 region covers [0, 2^(64 - t0sz)). */
  t0sz: number;
  /** TTB0 granule in bytes (decode CD.TG0 with granuleFromTg0). Default 4096. */
  granule0?: Granule;
  /** TTB1 table address. */
  ttb1?: number;
  /** T1SZ: the TTB1 region covers [2^64 - 2^(64 - t1sz), 2^64). Default 16. */
  t1sz?: number;
  /** TTB1 granule in bytes (decode CD.TG1 with granuleFromTg1). Default 4096. */
  granule1?: Granule;
  /** EPD0: walks in the TTB0 region fault. Default false. */
  epd0?: boolean;
  /** EPD1: walks in the TTB1 region fault. Default: true unless ttb1 is given. */
  epd1?: boolean;
  /** Output (intermediate) address size in bits, IPS decoded (oasBitsFromCode). Default 48. */
  oas?: number;
  /** Largest output size the implementation supports (SMMU IDR5.OAS) in bits; 52 implies FEAT_LPA. Default 48. */
  oasLimit?: number;
  /** Hardware Access flag update (CD.HA). */
  ha?: boolean;
  /** Hardware dirty-state update (CD.HD; effective only with ha). */
  hd?: boolean;
  /** Access flag faults disabled: AF=0 is treated as 1 (CD.AFFD). */
  affd?: boolean;
  /** Top byte ignored (CD.TBI0 / TBI1). */
  tbi0?: boolean;
  tbi1?: boolean;
  /** Hierarchical permissions disabled (CD.HAD0 / HAD1): APTable, XNTable, PXNTable ignored. */
  hpd0?: boolean;
  hpd1?: boolean;
  /** Writable implies execute-never (CD.WXN). */
  wxn?: boolean;
  /** 52-bit input addresses with the 64K granule (IDR5.VAX): TxSZ may go down to 12. */
  va52?: boolean;
}

/** VMSAv8-64 stage 2 (an SMMUv3 STE's S2 fields, or VTCR_EL2/VTTBR_EL2). */
export interface VmsaS2Config {
  /** S2TTB / VTTB: the (possibly concatenated) start table. */
  vttb: number;
  /** S2T0SZ: the IPA space is [0, 2^(64 - t0sz)). */
  t0sz: number;
  /** S2SL0 start-level code (4K: 0 = level 2, 1 = level 1, 2 = level 0; 16K/64K: 0 = 3, 1 = 2, 2 = 1). */
  sl0: number;
  /** S2TG granule in bytes (granuleFromTg0: same encoding). Default 4096. */
  granule?: Granule;
  /** S2PS output size in bits (oasBitsFromCode). Default 48. */
  ps?: number;
  /** Implementation limit (IDR5.OAS) in bits. Default 48. */
  oasLimit?: number;
  ha?: boolean;
  hd?: boolean;
  /** STE.S2AFFD. */
  affd?: boolean;
  /** STE.S2FWB: the leaf MemAttr uses FEAT_S2FWB's encoding (reported with A_FWB). */
  fwb?: boolean;
  /** FEAT_XNX: XN[1:0] (bits 54:53) separate privileged and unprivileged execute-never. */
  xnx?: boolean;
}

export type WalkFault = 'translation' | 'addressSize' | 'accessFlag' | 'permission' | 'externalAbort' | 'badConfig';

const FAULT_NAMES: readonly (WalkFault | null)[] = [null, 'translation', 'addressSize', 'accessFlag', 'permission', 'externalAbort', 'badConfig'];
export const REASON_NAMES = [
  'none', 'inputRange', 'regionDisabled', 'invalidDescriptor', 'reservedDescriptor', 'blockLevel', 'baseSize',
  'tableSize', 'outputSize', 'accessFlag', 'permWrite', 'permRead', 'permExec', 'walkAbort', 'updateAbort', 'permUser', 'subpage',
] as const;
export type WalkReason = (typeof REASON_NAMES)[number];
const CFG_NAMES = ['ok', 'unconfigured', 'format', 'granule', 'inputSize', 'startLevel', 'outputSize', 'nesting', 'unsupported'] as const;
export type WalkConfigError = (typeof CFG_NAMES)[number];

/** Decoded leaf attributes. */
export interface WalkAttrs {
  /** Stage 1: AttrIndx (MAIR index 0..7). Stage 2: MemAttr[3:0]. */
  memAttr: number;
  sh: number;
  ns: boolean;
  nG: boolean;
  af: boolean;
  dbm: boolean;
  contiguous: boolean;
  /** Stage 2 with FEAT_S2FWB: memAttr uses the FWB encoding. */
  fwb: boolean;
  nsTable: boolean;
}

/** The SMMUv3 event a fault raises (the record's EventID, S2 and CLASS fields). */
export interface SmmuEventInfo {
  id: number;
  s2: boolean;
  class: number;
}

export interface WalkResult {
  status: number;
  ok: boolean;
  fault: WalkFault | null;
  reason: WalkReason;
  outputAddress: number;
  /** Permissions granted at the requested privilege (PERM_R | PERM_W | PERM_X). */
  perm: number;
  permPrivileged: number;
  permUnprivileged: number;
  pageShift: number;
  level: number;
  stage: 1 | 2;
  /** The fault came from stage 2 while fetching (or updating) a stage-1 table. */
  nestedTableFetch: boolean;
  /** The walk went through a nested stage 2; `ipa` is the intermediate address. */
  nested: boolean;
  ipa: number;
  ttb1: boolean;
  /** A descriptor was written (hardware AF / dirty-state update). */
  updated: boolean;
  /** Physical address of the last descriptor read, or -1. */
  entryAddress: number;
  entry: bigint;
  attrs: WalkAttrs;
  s2Attrs: WalkAttrs | null;
  s2Level: number;
  s2PageShift: number;
  /** The SMMUv3 event for this fault (null when ok or badConfig, which the model maps to C_BAD_CD / C_BAD_STE). */
  smmuEvent: SmmuEventInfo | null;
}

/** SMMU CD.TG0 / STE.S2TG / TCR.TG0 encoding: 0 = 4K, 1 = 64K, 2 = 16K; undefined when reserved. */
export function granuleFromTg0(tg: number): Granule | undefined {
  return ([4096, 65536, 16384] as const)[tg];
}
/** SMMU CD.TG1 / TCR.TG1 encoding: 1 = 16K, 2 = 4K, 3 = 64K; undefined when reserved. */
export function granuleFromTg1(tg: number): Granule | undefined {
  return ([undefined, 16384, 4096, 65536] as const)[tg];
}
/** IPS / S2PS / IDR5.OAS encoding: 0..6 = 32, 36, 40, 42, 44, 48, 52 bits; undefined when reserved. */
export function oasBitsFromCode(code: number): number | undefined {
  return [32, 36, 40, 42, 44, 48, 52][code];
}

/** The name of a configuration outcome (walk_setup code). */
export function configErrorName(code: number): WalkConfigError {
  return CFG_NAMES[code] ?? 'format';
}

/** The SMMUv3 event (EventID, S2, CLASS) for a walk status, per smmuv3.md d.1. */
export function smmuEventFor(status: number, stage: number, flags: number): SmmuEventInfo | null {
  let id: number;
  switch (status) {
    case A.ST_TRANSLATION: id = SMMU_EVENT_F_TRANSLATION; break;
    case A.ST_ADDR_SIZE: id = SMMU_EVENT_F_ADDR_SIZE; break;
    case A.ST_ACCESS: id = SMMU_EVENT_F_ACCESS; break;
    case A.ST_PERMISSION: id = SMMU_EVENT_F_PERMISSION; break;
    case A.ST_EXT_ABORT: id = SMMU_EVENT_F_WALK_EABT; break;
    default: return null;
  }
  const s2 = stage === 2;
  // CLASS: TT when stage 2 faulted on a stage-1 table fetch, or for a stage-1 walk abort; IN otherwise.
  const tt = (flags & A.F_NESTED_TT) !== 0 || (!s2 && status === A.ST_EXT_ABORT);
  return { id, s2, class: tt ? SMMU_EVT_FAULT_CLASS_TT : SMMU_EVT_FAULT_CLASS_IN };
}

function decodeAttrs(a: number): WalkAttrs {
  return {
    memAttr: a & A.A_MEMATTR_MASK,
    sh: (a >>> A.A_SH_SHIFT) & 3,
    ns: (a & A.A_NS) !== 0,
    nG: (a & A.A_NG) !== 0,
    af: (a & A.A_AF) !== 0,
    dbm: (a & A.A_DBM) !== 0,
    contiguous: (a & A.A_CONTIG) !== 0,
    fwb: (a & A.A_FWB) !== 0,
    nsTable: (a & A.A_NSTABLE) !== 0,
  };
}

const slotsInUse = new WeakMap<Core, Uint8Array>();

function u32(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`Walker: ${name} must be an integer in 0..2^32-1, got ${x}`);
  return x;
}
function addr(name: string, v: number | undefined): number {
  const x = v ?? 0;
  if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`Walker: ${name} must be a non-negative safe integer address, got ${x}`);
  return x;
}
function log2Granule(name: string, g: number | undefined): number {
  const x = g ?? 4096;
  if (x === 4096) return 12;
  if (x === 16384) return 14;
  if (x === 65536) return 16;
  throw new RangeError(`Walker: ${name} must be 4096, 16384 or 65536 bytes, got ${String(x)} (decode TG fields with granuleFromTg0/granuleFromTg1; a reserved encoding is the model's C_BAD_CD/C_BAD_STE)`);
}

/**
 * One walk context of a core: a format, its registers, optionally a nested stage 2.
 * Contexts are a fixed pool per core (MAX_CTX); dispose() returns one.
 */
export class Walker {
  readonly slot: number;
  private readonly ctx: number;
  private readonly res: number;
  private buf: ArrayBuffer | SharedArrayBuffer | null = null;
  private u32v!: Uint32Array;
  private i32v!: Int32Array;
  private f64v!: Float64Array;
  private readonly resW: number; // result offset in 32-bit words
  private readonly resD: number; // result offset in 64-bit words
  private nestedUnder: Walker | null = null;
  private disposed = false;

  constructor(readonly core: Core) {
    let used = slotsInUse.get(core);
    if (used === undefined) {
      used = new Uint8Array(A.MAX_CTX);
      slotsInUse.set(core, used);
    }
    const slot = used.indexOf(0);
    if (slot < 0) throw new RangeError(`Walker: all ${A.MAX_CTX} walk contexts of this core are in use (dispose() unused walkers)`);
    used[slot] = 1;
    this.slot = slot;
    const e = core.exports;
    this.ctx = e.walk_ctx_ptr(slot);
    this.res = e.walk_result_ptr();
    this.resW = this.res >>> 2;
    this.resD = this.res >>> 3;
    e.walk_ctx_clear(slot);
    this.views();
  }

  /** Returns the context to the core's pool; the walker must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.core.exports.walk_ctx_clear(this.slot);
    slotsInUse.get(this.core)![this.slot] = 0;
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

  private write(fmt: number, p: readonly number[], a: readonly number[]): number {
    if (this.disposed) throw new Error('Walker: used after dispose()');
    this.views();
    const w = this.ctx >>> 2;
    this.u32v[w + A.CTX_FMT / 4] = fmt;
    for (let i = 0; i < 12; i++) this.u32v[w + A.CTX_P / 4 + i] = p[i] ?? 0;
    for (let i = 0; i < 4; i++) this.f64v[(this.ctx + A.CTX_A) / 8 + i] = a[i] ?? 0;
    this.u32v[w + A.CTX_NEXT / 4] = this.nestedUnder === null ? 0 : this.nestedUnder.slot + 1;
    this.u32v[w + A.CTX_STATE / 4] = A.CS_DIRTY;
    return this.core.exports.walk_setup(this.slot);
  }

  /** Configures VMSAv8-64 stage 1; returns CFG_OK (0) or the CFG_* reason the configuration is invalid. */
  configureS1(cfg: VmsaS1Config): number {
    const flag = (b: boolean | undefined, f: number) => (b ? f : 0);
    const epd1 = cfg.epd1 ?? cfg.ttb1 === undefined;
    const flags =
      flag(cfg.epd0, A.VF_EPD0) | flag(epd1, A.VF_EPD1) | flag(cfg.ha, A.VF_HA) | flag(cfg.hd, A.VF_HD) |
      flag(cfg.affd, A.VF_AFFD) | flag(cfg.tbi0, A.VF_TBI0) | flag(cfg.tbi1, A.VF_TBI1) | flag(cfg.hpd0, A.VF_HPD0) |
      flag(cfg.hpd1, A.VF_HPD1) | flag(cfg.wxn, A.VF_WXN) | flag(cfg.va52, A.VF_VA52);
    const p: number[] = [];
    p[A.VP_TG0] = log2Granule('granule0', cfg.granule0);
    p[A.VP_T0SZ] = u32('t0sz', cfg.t0sz, 16);
    p[A.VP_TG1] = log2Granule('granule1', cfg.granule1);
    p[A.VP_T1SZ] = u32('t1sz', cfg.t1sz, 16);
    p[A.VP_OAS] = u32('oas', cfg.oas, 48);
    p[A.VP_OASLIM] = u32('oasLimit', cfg.oasLimit, 48);
    p[A.VP_FLAGS] = flags;
    return this.write(A.FMT_VMSA_S1, p, [addr('ttb0', cfg.ttb0), addr('ttb1', cfg.ttb1)]);
  }

  /** Configures VMSAv8-64 stage 2; returns CFG_OK (0) or the CFG_* reason. */
  configureS2(cfg: VmsaS2Config): number {
    const flag = (b: boolean | undefined, f: number) => (b ? f : 0);
    const p: number[] = [];
    p[A.VP_TG0] = log2Granule('granule', cfg.granule);
    p[A.VP_T0SZ] = u32('t0sz', cfg.t0sz, 0);
    p[A.VP_SL0] = u32('sl0', cfg.sl0, 0);
    p[A.VP_OAS] = u32('ps', cfg.ps, 48);
    p[A.VP_OASLIM] = u32('oasLimit', cfg.oasLimit, 48);
    p[A.VP_FLAGS] = flag(cfg.ha, A.VF_HA) | flag(cfg.hd, A.VF_HD) | flag(cfg.affd, A.VF_AFFD) | flag(cfg.fwb, A.VF_FWB) | flag(cfg.xnx, A.VF_XNX);
    return this.write(A.FMT_VMSA_S2, p, [addr('vttb', cfg.vttb)]);
  }

  /** Configures Intel VT-d second-stage tables; returns CFG_OK (0) or the CFG_* reason. */
  configureVtdSs(cfg: VtdSsConfig): number {
    return this.writeRaw(vtdSsRaw(cfg));
  }
  /** Configures Intel VT-d first-stage (x86-64 paging) tables. */
  configureVtdFs(cfg: VtdFsConfig): number {
    return this.writeRaw(vtdFsRaw(cfg));
  }
  /** Configures a POWER TCE table. */
  configureTce(cfg: TceConfig): number {
    return this.writeRaw(tceRaw(cfg));
  }
  /** Configures a flat single-level table (MediaTek M4U v1, Tegra GART). */
  configureFlat(cfg: FlatConfig): number {
    return this.writeRaw(flatRaw(cfg));
  }
  /** Configures Apple DART tables for one SID. */
  configureDart(cfg: DartConfig): number {
    return this.writeRaw(dartRaw(cfg));
  }
  /** Configures Rockchip v1/v2 tables. */
  configureRockchip(cfg: RockchipConfig): number {
    return this.writeRaw(rockchipRaw(cfg));
  }
  private writeRaw(r: RawConfig): number {
    return this.write(r.fmt, r.p, r.a);
  }

  /**
   * Nests this (stage-1) context over `s2`: every table address and output address becomes an
   * IPA translated by `s2` first. null removes the nesting. Returns the CFG_* outcome.
   */
  nest(s2: Walker | null): number {
    if (s2 !== null && s2.core !== this.core) throw new Error('Walker.nest: the stage-2 walker belongs to another core');
    this.nestedUnder = s2;
    this.views();
    this.u32v[(this.ctx + A.CTX_NEXT) >>> 2] = s2 === null ? 0 : s2.slot + 1;
    this.u32v[(this.ctx + A.CTX_STATE) >>> 2] = A.CS_DIRTY;
    return this.core.exports.walk_setup(this.slot);
  }

  /** The configuration outcome (CFG_*) of the current setup. */
  get configError(): number {
    this.views();
    return this.u32v[(this.ctx + A.CTX_CFG_ERR) >>> 2]!;
  }

  /**
   * Walks `iova` (a number below 2^53, or a bigint for any 64-bit address, e.g. TTB1) for a
   * read or write, privileged or not, instruction fetch or data. Returns the status (ST_*);
   * the getters below then describe the outcome.
   */
  walk(iova: number | bigint, access: WalkAccess = 'read', privileged = false, exec = false): number {
    const acc = (access === 'write' ? A.ACC_WRITE : 0) | (privileged ? A.ACC_PRIV : 0) | (exec ? A.ACC_EXEC : 0);
    if (typeof iova === 'number') {
      if (!(iova >= 0 && iova <= Number.MAX_SAFE_INTEGER) || iova !== Math.floor(iova)) {
        throw new RangeError(`Walker.walk: iova must be an integer in 0..2^53-1 (use a bigint for larger addresses), got ${iova}`);
      }
      return this.core.exports.walk_va(this.slot, iova, acc);
    }
    if (typeof iova !== 'bigint' || iova < 0n || iova > 0xffffffffffffffffn) throw new RangeError(`Walker.walk: iova must be a 64-bit unsigned value, got ${String(iova)}`);
    return this.core.exports.walk_va64(this.slot, Number(iova & 0xffffffffn), Number(iova >> 32n), acc);
  }

  /** Walks with a raw ACC_* mask (hot path for models that already hold the bits). */
  walkAcc(iova: number, acc: number): number {
    return this.core.exports.walk_va(this.slot, iova, acc);
  }

  // ---- result of the last walk on this core (any walker), read without allocation ----
  get status(): number {
    this.views();
    return this.u32v[this.resW + A.RES_STATUS / 4]!;
  }
  get outputAddress(): number {
    this.views();
    return this.f64v[this.resD + A.RES_OA / 8]!;
  }
  get perm(): number {
    this.views();
    return this.u32v[this.resW + A.RES_PERM / 4]!;
  }
  get permAll(): number {
    this.views();
    return this.u32v[this.resW + A.RES_PERM_ALL / 4]!;
  }
  get pageShift(): number {
    this.views();
    return this.u32v[this.resW + A.RES_PAGE_SHIFT / 4]!;
  }
  get level(): number {
    this.views();
    return this.i32v[this.resW + A.RES_LEVEL / 4]!;
  }
  get stage(): number {
    this.views();
    return this.u32v[this.resW + A.RES_STAGE / 4]!;
  }
  get flags(): number {
    this.views();
    return this.u32v[this.resW + A.RES_FLAGS / 4]!;
  }
  get reason(): number {
    this.views();
    return this.u32v[this.resW + A.RES_REASON / 4]!;
  }
  get attrs(): number {
    this.views();
    return this.u32v[this.resW + A.RES_ATTRS / 4]!;
  }
  get ipa(): number {
    this.views();
    return this.f64v[this.resD + A.RES_IPA / 8]!;
  }

  /** The last walk's result as a plain object. */
  result(): WalkResult {
    this.views();
    const u = this.u32v;
    const w = this.resW;
    const status = u[w + A.RES_STATUS / 4]!;
    const flags = u[w + A.RES_FLAGS / 4]!;
    const stage = u[w + A.RES_STAGE / 4] === 2 ? 2 : 1;
    const permAll = u[w + A.RES_PERM_ALL / 4]!;
    const nested = (flags & A.F_NESTED) !== 0;
    return {
      status,
      ok: status === A.ST_OK,
      fault: status < FAULT_NAMES.length ? FAULT_NAMES[status]! : 'badConfig',
      reason: REASON_NAMES[u[w + A.RES_REASON / 4]!] ?? 'none',
      outputAddress: this.f64v[this.resD + A.RES_OA / 8]!,
      perm: u[w + A.RES_PERM / 4]!,
      permPrivileged: permAll & 7,
      permUnprivileged: (permAll >>> A.PERM_UNPRIV_SHIFT) & 7,
      pageShift: u[w + A.RES_PAGE_SHIFT / 4]!,
      level: this.i32v[w + A.RES_LEVEL / 4]!,
      stage,
      nestedTableFetch: (flags & A.F_NESTED_TT) !== 0,
      nested,
      ipa: this.f64v[this.resD + A.RES_IPA / 8]!,
      ttb1: (flags & A.F_TTB1) !== 0,
      updated: (flags & A.F_UPDATED) !== 0,
      entryAddress: this.f64v[this.resD + A.RES_ENTRY_ADDR / 8]!,
      entry: (BigInt(u[w + A.RES_ENTRY_HI / 4]!) << 32n) | BigInt(u[w + A.RES_ENTRY_LO / 4]!),
      attrs: decodeAttrs(u[w + A.RES_ATTRS / 4]!),
      s2Attrs: nested && status === A.ST_OK ? decodeAttrs(u[w + A.RES_S2_ATTRS / 4]!) : null,
      s2Level: this.i32v[w + A.RES_S2_LEVEL / 4]!,
      s2PageShift: u[w + A.RES_S2_PAGE_SHIFT / 4]!,
      smmuEvent: smmuEventFor(status, stage, flags),
    };
  }

  /**
   * Walks many addresses in one call (each below 2^53): `iovas[i]` with `acc[i]` (ACC_* mask,
   * or one mask for all). Writes outputs, statuses and (permAll | pageShift << 8) into the given
   * arrays. Returns how many walks succeeded.
   */
  walkBatch(iovas: Float64Array, acc: number | Uint32Array, out: Float64Array, status: Uint32Array, info?: Uint32Array): number {
    const e = this.core.exports;
    const inPtr = e.walk_batch_in_ptr();
    const outPtr = e.walk_batch_out_ptr();
    let ok = 0;
    for (let base = 0; base < iovas.length; base += A.BATCH_MAX) {
      const n = Math.min(A.BATCH_MAX, iovas.length - base);
      this.views();
      const f = this.f64v;
      const u = this.u32v;
      for (let i = 0; i < n; i++) {
        f[(inPtr >>> 3) + i * 2] = iovas[base + i]!;
        u[(inPtr >>> 2) + i * 4 + 2] = typeof acc === 'number' ? acc : acc[base + i]!;
      }
      ok += e.walk_batch(this.slot, n);
      this.views();
      for (let i = 0; i < n; i++) {
        out[base + i] = this.f64v[(outPtr >>> 3) + i * 2]!;
        status[base + i] = this.u32v[(outPtr >>> 2) + i * 4 + 2]!;
        if (info) info[base + i] = this.u32v[(outPtr >>> 2) + i * 4 + 3]!;
      }
    }
    return ok;
  }
}

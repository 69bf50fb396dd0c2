// Reference VMSAv8-64 walker in plain TypeScript (test and bench only): the differential
// oracle for the WASM engine. Written from the Arm ARM's AArch64.TranslationTableWalk /
// CheckPermission structure and shared/reference/smmuv3.md (f), not from assembly/: it
// computes the walk the way the pseudocode does (inputsize, grainsize, stride, level,
// baselowerbound, addrselecttop/bottom), with bigints, reading tables from byte arrays.
//
// Its output uses the walker's public encodings (status, reason, flag and attribute words
// from src/core/walk-abi.ts), so results compare field by field.
import * as A from '../../../src/core/walk-abi.ts';

/** Guest-physical memory for the reference: byte arrays at physical bases; the rest aborts. */
export class RefMemory {
  readonly blocks: { base: bigint; bytes: Uint8Array; view: DataView }[] = [];
  add(base: number | bigint, bytes: Uint8Array): this {
    this.blocks.push({ base: BigInt(base), bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    return this;
  }
  private find(pa: bigint): { view: DataView; off: number } | null {
    for (const b of this.blocks) {
      if (pa >= b.base && pa + 8n <= b.base + BigInt(b.bytes.length)) return { view: b.view, off: Number(pa - b.base) };
    }
    return null;
  }
  read64(pa: bigint): bigint | null {
    const f = this.find(pa);
    return f === null ? null : f.view.getBigUint64(f.off, true);
  }
  write64(pa: bigint, v: bigint): boolean {
    const f = this.find(pa);
    if (f === null) return false;
    f.view.setBigUint64(f.off, v, true);
    return true;
  }
}

export interface RefS1 {
  ttb0: bigint;
  ttb1: bigint;
  t0sz: number;
  t1sz: number;
  tg0: number; // granule bytes
  tg1: number;
  epd0: boolean;
  epd1: boolean;
  ips: number; // bits
  oasLimit: number; // bits
  ha: boolean;
  hd: boolean;
  affd: boolean;
  tbi0: boolean;
  tbi1: boolean;
  hpd0: boolean;
  hpd1: boolean;
  wxn: boolean;
  va52: boolean;
}

export interface RefS2 {
  vttb: bigint;
  t0sz: number;
  sl0: number;
  tg: number;
  ps: number;
  oasLimit: number;
  ha: boolean;
  hd: boolean;
  affd: boolean;
  fwb: boolean;
  xnx: boolean;
}

export interface RefAccess {
  write: boolean;
  exec: boolean;
  priv: boolean;
}

export interface RefResult {
  status: number;
  reason: number;
  oa: bigint;
  ipa: bigint;
  perm: number;
  permAll: number;
  pageShift: number;
  level: number;
  stage: number;
  flags: number;
  attrs: number;
  s2Attrs: number;
  s2Level: number;
  s2PageShift: number;
  entryAddr: bigint; // -1n when none
  entry: bigint;
}

const PA_SIZES = [32, 36, 40, 42, 44, 48, 52];
const bit = (x: bigint, n: number): boolean => ((x >> BigInt(n)) & 1n) === 1n;
const bits = (x: bigint, hi: number, lo: number): bigint => (x >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
const ones = (n: number): bigint => (1n << BigInt(n)) - 1n;

function blank(stage: number): RefResult {
  return {
    status: A.ST_OK, reason: A.R_NONE, oa: 0n, ipa: 0n, perm: 0, permAll: 0, pageShift: 0, level: -1, stage,
    flags: 0, attrs: 0, s2Attrs: 0, s2Level: -1, s2PageShift: 0, entryAddr: -1n, entry: 0n,
  };
}

function grainBits(tg: number): number {
  return tg === 4096 ? 12 : tg === 16384 ? 14 : tg === 65536 ? 16 : -1;
}

/** The CFG_* outcome the walker must report for this stage-1 configuration. */
export function refCheckS1(c: RefS1): number {
  if (!PA_SIZES.includes(c.ips) || !PA_SIZES.includes(c.oasLimit)) return A.CFG_OUTPUT_SIZE;
  const regions: [boolean, number, number][] = [[c.epd0, c.tg0, c.t0sz], [c.epd1, c.tg1, c.t1sz]];
  for (const [epd, tg, tsz] of regions) {
    if (epd) continue;
    const g = grainBits(tg);
    if (g < 0) return A.CFG_GRANULE;
    const min = g === 16 && c.va52 ? 12 : 16;
    const max = g === 16 ? 47 : 48;
    if (tsz < min || tsz > max) return A.CFG_INPUT_SIZE;
  }
  return A.CFG_OK;
}

/** The CFG_* outcome for a stage-2 configuration. */
export function refCheckS2(c: RefS2): number {
  if (!PA_SIZES.includes(c.ps) || !PA_SIZES.includes(c.oasLimit)) return A.CFG_OUTPUT_SIZE;
  const g = grainBits(c.tg);
  if (g < 0) return A.CFG_GRANULE;
  const lpa = c.oasLimit === 52;
  if (c.t0sz < (g === 16 && lpa ? 12 : 16) || c.t0sz > (g === 16 ? 47 : 48)) return A.CFG_INPUT_SIZE;
  if (c.sl0 > 2) return A.CFG_START_LEVEL;
  const level = g === 12 ? 2 - c.sl0 : 3 - c.sl0;
  if (g === 16 && level === 1 && !lpa) return A.CFG_START_LEVEL;
  const stride = g - 3;
  const startsizecheck = 64 - c.t0sz - ((3 - level) * stride + g);
  if (startsizecheck < 1 || startsizecheck > stride + 4) return A.CFG_START_LEVEL;
  return A.CFG_OK;
}

/** Shared description of one table walk (what the pseudocode derives before its loop). */
interface Walk {
  stage: 1 | 2;
  grainsize: number;
  inputsize: number;
  level: number; // start level
  baseaddress: bigint;
  outputsize: number;
  lpa: boolean; // FEAT_LPA implemented (oasLimit 52)
  ha: boolean;
  hd: boolean;
  affd: boolean;
  hpd: boolean;
  wxn: boolean;
  fwb: boolean;
  xnx: boolean;
}

/** Address-size check of a table or leaf descriptor (desc<47:outputsize>, and desc<15:12> for 64K + LPA). */
function descAddrTooBig(w: Walk, desc: bigint): boolean {
  if (w.outputsize < 48 && bits(desc, 47, w.outputsize) !== 0n) return true;
  if (w.grainsize === 16 && w.lpa && w.outputsize < 52 && bits(desc, 15, 12) !== 0n) return true;
  return false;
}

function descOutputAddress(w: Walk, desc: bigint, lowbit: number): bigint {
  let a = bits(desc, 47, lowbit) << BigInt(lowbit);
  if (w.grainsize === 16 && w.outputsize === 52) a |= bits(desc, 15, 12) << 48n;
  return a;
}

function blockAllowed(w: Walk, level: number): boolean {
  switch (w.grainsize) {
    case 12: return level === 1 || level === 2;
    case 14: return level === 2;
    default: return level === 2 || (level === 1 && w.lpa);
  }
}

type FetchFn = (ipa: bigint, write: boolean) => { pa: bigint } | { fault: RefResult };

/** The table walk proper, as in AArch64.TranslationTableWalk, then the permission check. */
function tableWalk(w: Walk, mem: RefMemory, ia: bigint, acc: RefAccess, res: RefResult, fetch: FetchFn | null): RefResult {
  const stride = w.grainsize - 3;
  if (w.baseaddress >> BigInt(w.outputsize) !== 0n) {
    res.level = 0;
    res.status = A.ST_ADDR_SIZE;
    res.reason = A.R_BASE_SIZE;
    return res;
  }
  let level = w.level;
  let baseaddress = w.baseaddress;
  let addrselecttop = w.inputsize - 1;
  let apTable = 0n; // bit 1: no write, bit 0: no EL0
  let xnTable = false;
  let pxnTable = false;
  let nsTable = false;
  for (;;) {
    const addrselectbottom = (3 - level) * stride + w.grainsize;
    const index = bits(ia, addrselecttop, addrselectbottom);
    const descaddr = baseaddress | (index << 3n);
    res.level = level;
    let descpa = descaddr;
    if (fetch) {
      const f = fetch(descaddr, false);
      if ('fault' in f) return nestedTableFault(res, f.fault, descaddr);
      descpa = f.pa;
    }
    res.entryAddr = descpa;
    const desc = mem.read64(descpa);
    if (desc === null) {
      res.entry = 0n; // nothing was read at entryAddr
      res.status = A.ST_EXT_ABORT;
      res.reason = A.R_WALK_ABORT;
      return res;
    }
    res.entry = desc;
    if (!bit(desc, 0)) return fail(res, A.ST_TRANSLATION, A.R_INVALID);
    if (bits(desc, 1, 0) === 1n) {
      if (level === 3) return fail(res, A.ST_TRANSLATION, A.R_RESERVED);
      if (!blockAllowed(w, level)) return fail(res, A.ST_TRANSLATION, A.R_BLOCK_LEVEL);
    } else if (level < 3) {
      // Table descriptor.
      if (descAddrTooBig(w, desc)) return fail(res, A.ST_ADDR_SIZE, A.R_TABLE_SIZE);
      baseaddress = descOutputAddress(w, desc, w.grainsize);
      if (w.stage === 1) {
        if (!w.hpd) {
          apTable |= bits(desc, 62, 61);
          xnTable ||= bit(desc, 60);
          pxnTable ||= bit(desc, 59);
        }
        nsTable ||= bit(desc, 63);
      }
      level += 1;
      addrselecttop = addrselectbottom - 1;
      continue;
    }
    // Block or page: the translation is found.
    if (descAddrTooBig(w, desc)) return fail(res, A.ST_ADDR_SIZE, A.R_OUTPUT_SIZE);
    const outputaddress = descOutputAddress(w, desc, addrselectbottom) | bits(ia, addrselectbottom - 1, 0);
    const perms = w.stage === 1
      ? s1Permissions(w, desc, acc, apTable, xnTable, pxnTable)
      : s2Permissions(w, desc, acc);
    let attrs = Number(bits(desc, 9, 8)) << A.A_SH_SHIFT;
    if (bit(desc, 51)) attrs |= A.A_DBM;
    if (bit(desc, 52)) attrs |= A.A_CONTIG;
    if (w.stage === 1) {
      attrs |= Number(bits(desc, 4, 2));
      if (bit(desc, 5)) attrs |= A.A_NS;
      if (bit(desc, 11)) attrs |= A.A_NG;
      if (nsTable) attrs |= A.A_NSTABLE;
    } else {
      attrs |= Number(bits(desc, 5, 2));
      if (w.fwb) attrs |= A.A_FWB;
    }
    res.oa = outputaddress;
    res.pageShift = addrselectbottom;
    res.permAll = perms.all;
    res.perm = acc.priv ? perms.all & 7 : perms.all >> 3;
    // Access flag (fault unless hardware-managed or disabled).
    const afUpdate = !bit(desc, 10) && w.ha;
    if (!bit(desc, 10) && !w.ha && !w.affd) {
      res.attrs = attrs;
      return fail(res, A.ST_ACCESS, A.R_ACCESS_FLAG);
    }
    const why = checkAccess(res.perm, acc);
    if (why !== 0) {
      res.attrs = attrs | (bit(desc, 10) ? A.A_AF : 0);
      return fail(res, A.ST_PERMISSION, why);
    }
    let newdesc = desc;
    if (afUpdate) newdesc |= 1n << 10n;
    if (perms.dirty) newdesc = w.stage === 1 ? newdesc & ~(1n << 7n) : newdesc | (1n << 7n);
    if (bit(newdesc, 10)) attrs |= A.A_AF;
    res.attrs = attrs;
    if (newdesc !== desc) {
      let wpa = descpa;
      if (fetch) {
        const f = fetch(descaddr, true);
        if ('fault' in f) return nestedTableFault(res, f.fault, descaddr);
        wpa = f.pa;
      }
      if (!mem.write64(wpa, newdesc)) {
        res.entryAddr = wpa;
        return fail(res, A.ST_EXT_ABORT, A.R_UPDATE_ABORT);
      }
      res.entry = newdesc;
      res.flags |= A.F_UPDATED;
    }
    return res;
  }
}

function fail(res: RefResult, status: number, reason: number): RefResult {
  res.status = status;
  res.reason = reason;
  return res;
}

function nestedTableFault(res: RefResult, s2: RefResult, ipa: bigint): RefResult {
  return { ...s2, stage: 2, ipa, flags: s2.flags | A.F_NESTED_TT };
}

/** Which check fails for this access: instruction fetch needs X, a write W, a data read R. */
function checkAccess(perm: number, acc: RefAccess): number {
  if (acc.exec) return perm & A.PERM_X ? (acc.write && !(perm & A.PERM_W) ? A.R_PERM_WRITE : 0) : A.R_PERM_EXEC;
  if (acc.write) return perm & A.PERM_W ? 0 : A.R_PERM_WRITE;
  return perm & A.PERM_R ? 0 : A.R_PERM_READ;
}

/** Stage-1 permissions for an EL1&0-style regime (AArch64.CheckPermission). */
function s1Permissions(w: Walk, desc: bigint, acc: RefAccess, apTable: bigint, xnTable: boolean, pxnTable: boolean): { all: number; dirty: boolean } {
  let ap2 = bit(desc, 7) || (apTable & 2n) !== 0n;
  const ap1 = bit(desc, 6) && (apTable & 1n) === 0n;
  // Hardware dirty state: DBM=1 and AP[2]=1 is "writable-clean"; a write makes it dirty.
  let dirty = false;
  if (acc.write && w.hd && bit(desc, 51) && bit(desc, 7) && (apTable & 2n) === 0n) {
    ap2 = false;
    dirty = true;
  }
  const priv_r = true;
  const priv_w = !ap2;
  const user_r = ap1;
  const user_w = ap1 && !ap2;
  const xn = bit(desc, 54) || xnTable;
  const pxn = bit(desc, 53) || pxnTable;
  const user_xn = !user_r || xn || (user_w && w.wxn);
  const priv_xn = !priv_r || pxn || (priv_w && w.wxn) || user_w;
  const p = (r: boolean, wr: boolean, x: boolean) => (r ? A.PERM_R : 0) | (wr ? A.PERM_W : 0) | (x ? A.PERM_X : 0);
  return { all: p(priv_r, priv_w, !priv_xn) | (p(user_r, user_w, !user_xn) << 3), dirty };
}

/** Stage-2 permissions (AArch64.CheckS2Permission, with FEAT_XNX when enabled). */
function s2Permissions(w: Walk, desc: bigint, acc: RefAccess): { all: number; dirty: boolean } {
  const r = bit(desc, 6);
  let wr = bit(desc, 7);
  let dirty = false;
  if (acc.write && w.hd && bit(desc, 51) && !wr) {
    wr = true;
    dirty = true;
  }
  let xnEl1: boolean;
  let xnEl0: boolean;
  if (w.xnx) {
    const xn = Number(bits(desc, 54, 53));
    xnEl1 = xn === 0b01 || xn === 0b10;
    xnEl0 = xn === 0b10 || xn === 0b11;
  } else {
    xnEl1 = xnEl0 = bit(desc, 54);
  }
  const rw = (r ? A.PERM_R : 0) | (wr ? A.PERM_W : 0);
  return { all: (rw | (xnEl1 ? 0 : A.PERM_X)) | ((rw | (xnEl0 ? 0 : A.PERM_X)) << 3), dirty };
}

function s2Walk(c: RefS2): Walk {
  const grainsize = grainBits(c.tg);
  const stride = grainsize - 3;
  const inputsize = 64 - c.t0sz;
  const level = grainsize === 12 ? 2 - c.sl0 : 3 - c.sl0;
  const startsizecheck = inputsize - ((3 - level) * stride + grainsize);
  const baselowerbound = 3 + startsizecheck;
  const outputsize = Math.min(c.ps, c.oasLimit, grainsize === 16 ? 52 : 48);
  return {
    stage: 2, grainsize, inputsize, level, outputsize, lpa: c.oasLimit === 52,
    baseaddress: c.vttb & ~ones(baselowerbound),
    ha: c.ha, hd: c.ha && c.hd, affd: c.affd, hpd: true, wxn: false, fwb: c.fwb, xnx: c.xnx,
  };
}

/** A stage-2 translation of `ipa` (alone, or on behalf of a stage-1 walk). */
export function refWalkS2(c: RefS2, mem: RefMemory, ipa: bigint, acc: RefAccess): RefResult {
  const res = blank(2);
  if (refCheckS2(c) !== A.CFG_OK) return fail(res, A.ST_BAD_CONFIG, A.R_NONE);
  const w = s2Walk(c);
  if (ipa >> BigInt(w.inputsize) !== 0n) {
    res.level = 0;
    return fail(res, A.ST_TRANSLATION, A.R_INPUT_RANGE);
  }
  return tableWalk(w, mem, ipa, acc, res, null);
}

/** A stage-1 translation of `va`; with `s2`, nested (every table IPA and the output go through stage 2). */
export function refWalkS1(c: RefS1, mem: RefMemory, va: bigint, acc: RefAccess, s2: RefS2 | null = null): RefResult {
  const res = blank(1);
  if (refCheckS1(c) !== A.CFG_OK || (s2 !== null && refCheckS2(s2) !== A.CFG_OK)) return fail(res, A.ST_BAD_CONFIG, A.R_NONE);
  // Which VA range: AddrTop is 55 when the TBI of the half picked by bit 55 is set, else 63.
  const tbi = bit(va, 55) ? c.tbi1 : c.tbi0;
  const top = tbi ? 55 : 63;
  const upper = bit(va, top);
  if (upper) res.flags |= A.F_TTB1;
  const [epd, tg, tsz, ttb, hpd] = upper ? [c.epd1, c.tg1, c.t1sz, c.ttb1, c.hpd1] : [c.epd0, c.tg0, c.t0sz, c.ttb0, c.hpd0];
  res.level = 0;
  if (epd) return fail(res, A.ST_TRANSLATION, A.R_REGION_DISABLED);
  const inputsize = 64 - tsz;
  const inrange = upper ? bits(va, top, inputsize) === ones(top - inputsize + 1) : bits(va, top, inputsize) === 0n;
  if (!inrange) return fail(res, A.ST_TRANSLATION, A.R_INPUT_RANGE);
  const grainsize = grainBits(tg);
  const stride = grainsize - 3;
  const level = 4 - Math.ceil((inputsize - grainsize) / stride);
  const baselowerbound = 3 + inputsize - ((3 - level) * stride + grainsize);
  const w: Walk = {
    stage: 1, grainsize, inputsize, level, lpa: c.oasLimit === 52,
    outputsize: Math.min(c.ips, c.oasLimit, grainsize === 16 ? 52 : 48),
    baseaddress: ttb & ~ones(baselowerbound),
    ha: c.ha, hd: c.ha && c.hd, affd: c.affd, hpd, wxn: c.wxn, fwb: false, xnx: false,
  };
  const fetch: FetchFn | null = s2 === null ? null : (ipa, write) => {
    const r = refWalkS2(s2, mem, ipa, { write, exec: false, priv: false });
    return r.status === A.ST_OK ? { pa: r.oa } : { fault: r };
  };
  const r = tableWalk(w, mem, va, acc, res, fetch);
  if (s2 === null || r.status !== A.ST_OK) return r;
  // The stage-1 output is an IPA: stage 2 translates it with the original access.
  const f = refWalkS2(s2, mem, r.oa, acc);
  if (f.status !== A.ST_OK) return { ...f, stage: 2, ipa: r.oa, flags: f.flags | r.flags | A.F_NESTED };
  return {
    ...r,
    ipa: r.oa,
    oa: f.oa,
    perm: r.perm & f.perm,
    permAll: r.permAll & f.permAll,
    pageShift: Math.min(r.pageShift, f.pageShift),
    s2PageShift: f.pageShift,
    s2Level: f.level,
    s2Attrs: f.attrs,
    flags: r.flags | A.F_NESTED | (f.flags & A.F_UPDATED),
  };
}

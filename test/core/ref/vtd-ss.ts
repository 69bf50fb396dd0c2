// Reference VT-d second-stage walker in plain TypeScript (tests only): the differential
// oracle for assembly/formats/vtd-ss.ts. Written from shared/reference/vtd.md 3.1-3.3 with
// bigints and named entry fields, reading tables through RefMemory; it shares no code with
// the WASM format. Results use the walker's public encodings (src/core/walk-abi.ts).
import * as A from '../../../src/core/walk-abi.ts';
import type { RefMemory } from './vmsav8.ts';

export interface RefVtdSs {
  /** SLPTPTR (bits 11:0 ignored). */
  root: bigint;
  /** Context/PASID entry AW: 1, 2, 3 = 39/48/57-bit, 3/4/5 levels. */
  aw: number;
  /** Host address width in bits. */
  haw: number;
  /** Input limit in bits (0 = AGAW width). */
  mgaw: number;
  sllps2m: boolean;
  sllps1g: boolean;
  snp: boolean;
  tm: boolean;
  exec: boolean;
  ad: boolean;
}

export interface RefVtdResult {
  status: number;
  reason: number;
  level: number;
  oa: bigint;
  pageShift: number;
  perm: number;
  attrs: number;
  entryAddr: bigint;
  entry: bigint;
  /** Descriptors the walk wrote (A/D updates), address -> new value. */
  writes: Map<bigint, bigint>;
}

const has = (x: bigint, n: number): boolean => ((x >> BigInt(n)) & 1n) === 1n;
const field = (x: bigint, hi: number, lo: number): bigint => (x >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
/** Level L (1 = PTE) maps 2^(12 + 9(L-1)) bytes per entry. */
const levelShift = (l: number): number => 12 + 9 * (l - 1);

export function refVtdSsConfig(c: RefVtdSs): number {
  if (c.aw < 1 || c.aw > 3) return A.CFG_INPUT_SIZE;
  if (c.haw < 32 || c.haw > 52) return A.CFG_OUTPUT_SIZE;
  return A.CFG_OK;
}

/** Walks `iova` for a read, write or execute request. */
export function refVtdSsWalk(mem: RefMemory, c: RefVtdSs, iova: bigint, write: boolean, exec: boolean): RefVtdResult {
  const out: RefVtdResult = {
    status: A.ST_OK, reason: A.R_NONE, level: -1, oa: 0n, pageShift: 0, perm: 0, attrs: 0, entryAddr: -1n, entry: 0n,
    writes: new Map(),
  };
  const fail = (status: number, reason: number): RefVtdResult => Object.assign(out, { status, reason });
  const levels = c.aw + 2;
  const agawBits = 30 + 9 * c.aw;
  const limit = c.mgaw === 0 ? agawBits : Math.min(c.mgaw, agawBits);
  if (iova >= 1n << BigInt(limit)) {
    out.level = levels;
    return fail(A.ST_TRANSLATION, A.R_INPUT_RANGE);
  }
  const checkX = exec && c.exec;
  let table = c.root & ~0xfffn;
  let canR = true;
  let canW = true;
  let canX = true;
  for (let level = levels; level >= 1; level--) {
    const slot = table + field(iova, levelShift(level) + 8, levelShift(level)) * 8n;
    out.level = level;
    out.entryAddr = slot;
    const e = mem.read64(slot);
    if (e === null) return fail(A.ST_EXT_ABORT, A.R_WALK_ABORT);
    out.entry = e;
    const R = has(e, 0);
    const W = has(e, 1);
    const X = has(e, 2);
    if (!R && !W) return fail(A.ST_TRANSLATION, A.R_INVALID);
    canR &&= R;
    canW &&= W;
    canX &&= X;
    if (write && !W) return fail(A.ST_PERMISSION, A.R_PERM_WRITE);
    if (!write && !R) return fail(A.ST_PERMISSION, A.R_PERM_READ);
    if (!write && checkX && !X) return fail(A.ST_PERMISSION, A.R_PERM_EXEC);

    const PS = has(e, 7);
    let isLeaf = level === 1;
    if (level >= 2 && PS) {
      const allowed = (level === 2 && c.sllps2m) || (level === 3 && c.sllps1g);
      if (!allowed) return fail(A.ST_TRANSLATION, A.R_RESERVED);
      isLeaf = true;
    }
    // Reserved: address bits 51:HAW, bit 62, bit 11, low frame bits of large pages.
    if (c.haw < 52 && field(e, 51, c.haw) !== 0n) return fail(A.ST_TRANSLATION, A.R_RESERVED);
    if (has(e, 62) && !(isLeaf && c.tm)) return fail(A.ST_TRANSLATION, A.R_RESERVED);
    if (has(e, 11) && !(isLeaf && c.snp)) return fail(A.ST_TRANSLATION, A.R_RESERVED);
    if (isLeaf && level === 2 && field(e, 20, 12) !== 0n) return fail(A.ST_TRANSLATION, A.R_RESERVED);
    if (isLeaf && level === 3 && field(e, 29, 12) !== 0n) return fail(A.ST_TRANSLATION, A.R_RESERVED);

    const addr = field(e, 51, 12) << 12n;
    if (!isLeaf) {
      if (c.ad && !has(e, 8)) {
        const ne = e | (1n << 8n);
        if (!mem.write64(slot, ne)) return fail(A.ST_EXT_ABORT, A.R_UPDATE_ABORT);
        out.writes.set(slot, ne);
      }
      table = addr;
      continue;
    }
    const size = levelShift(level);
    let ne = e;
    if (c.ad) {
      ne |= 1n << 8n;
      if (write) ne |= 1n << 9n;
    }
    if (ne !== e) {
      if (!mem.write64(slot, ne)) return fail(A.ST_EXT_ABORT, A.R_UPDATE_ABORT);
      out.writes.set(slot, ne);
      out.entry = ne;
    }
    out.oa = (addr >> BigInt(size) << BigInt(size)) | (iova & ((1n << BigInt(size)) - 1n));
    out.pageShift = size;
    const execOk = c.exec ? canX && canR : canR;
    out.perm = (canR ? A.PERM_R : 0) | (canW ? A.PERM_W : 0) | (execOk ? A.PERM_X : 0);
    out.attrs = Number(field(e, 5, 3)) | (has(e, 6) ? 8 : 0) | (has(ne, 8) ? A.A_AF : 0) | (has(ne, 9) ? A.A_DIRTY : 0) |
      (has(e, 11) ? A.A_SNP : 0);
    return out;
  }
  throw new Error('unreachable: level 1 is always a leaf');
}

// Reference POWER TCE walker in plain TypeScript (tests only): the differential oracle for
// assembly/formats/tce.ts, written from shared/reference/power-tce.md B8 (QEMU's walk:
// sh = tbl_shift * NUM_LEVELS + tce_shift, then per level sh -= tbl_shift), with bigints.
import * as A from '../../../src/core/walk-abi.ts';
import type { RefMemory } from './vmsav8.ts';

export interface RefTce {
  table: bigint;
  pageShift: number;
  levels: number;
  /** log2 entries per level (TVE TCE_TABLE_SIZE + 8). */
  levelBits: number;
  littleEndian: boolean;
}

export interface RefTceResult {
  status: number;
  reason: number;
  level: number;
  oa: bigint;
  perm: number;
  entryAddr: bigint;
}

/** 64-bit byte swap: TCEs are big-endian in memory. */
export function swap64(v: bigint): bigint {
  let out = 0n;
  for (let i = 0; i < 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

export function refTceConfig(c: RefTce): number {
  if (![12, 16, 21, 24, 28, 30].includes(c.pageShift)) return A.CFG_GRANULE;
  if (c.levels < 1 || c.levels > 5) return A.CFG_START_LEVEL;
  if (c.levelBits < 9 || c.pageShift + c.levelBits * c.levels > 64) return A.CFG_INPUT_SIZE;
  return A.CFG_OK;
}

export function refTceWalk(mem: RefMemory, c: RefTce, addr: bigint, write: boolean): RefTceResult {
  const out: RefTceResult = { status: A.ST_OK, reason: A.R_NONE, level: -1, oa: 0n, perm: 0, entryAddr: -1n };
  const mask = (1n << BigInt(c.levelBits)) - 1n;
  let base = c.table & ~0xfffn;
  let sh = c.levelBits * (c.levels - 1) + c.pageShift;
  for (let lev = c.levels - 1; lev >= 0; lev--, sh -= c.levelBits) {
    const at = base + (((addr >> BigInt(sh)) & mask) << 3n);
    out.level = lev;
    out.entryAddr = at;
    const raw = mem.read64(at);
    if (raw === null) return Object.assign(out, { status: A.ST_EXT_ABORT, reason: A.R_WALK_ABORT });
    const tce = c.littleEndian ? raw : swap64(raw);
    const r = (tce & 1n) !== 0n;
    const w = (tce & 2n) !== 0n;
    if (!r && !w) return Object.assign(out, { status: A.ST_TRANSLATION, reason: A.R_INVALID });
    if (lev > 0) {
      base = tce & ~0xfffn;
      continue;
    }
    const page = (1n << BigInt(c.pageShift)) - 1n;
    out.oa = (tce & ~page) | (addr & page);
    out.perm = (r ? A.PERM_R | A.PERM_X : 0) | (w ? A.PERM_W : 0);
    if (write && !w) return Object.assign(out, { status: A.ST_PERMISSION, reason: A.R_PERM_WRITE });
    if (!write && !r) return Object.assign(out, { status: A.ST_PERMISSION, reason: A.R_PERM_READ });
    return out;
  }
  throw new Error('unreachable');
}

// Reference VT-d first-stage (x86-64 paging) walker in plain TypeScript (tests only): the
// differential oracle for assembly/formats/vtd-fs.ts, written from vtd.md 3.4 and the x86-64
// paging rules with bigints and named fields. Not nested (the nesting path is the engine's).
import * as A from '../../../src/core/walk-abi.ts';
import type { RefMemory } from './vmsav8.ts';

export interface RefVtdFs {
  root: bigint;
  levels: 4 | 5;
  haw: number;
  nxe: boolean;
  fs1gp: boolean;
  ad: boolean;
  wpe: boolean;
  smep: boolean;
}

export interface RefFsResult {
  status: number;
  reason: number;
  level: number;
  oa: bigint;
  pageShift: number;
  perm: number;
  permAll: number;
  attrs: number;
  entryAddr: bigint;
  writes: Map<bigint, bigint>;
}

const bit = (x: bigint, n: number) => ((x >> BigInt(n)) & 1n) === 1n;
const bitsOf = (x: bigint, hi: number, lo: number) => (x >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);

export function refVtdFsWalk(mem: RefMemory, c: RefVtdFs, va: bigint, access: { write: boolean; exec: boolean; priv: boolean }): RefFsResult {
  const out: RefFsResult = {
    status: A.ST_OK, reason: A.R_NONE, level: -1, oa: 0n, pageShift: 0, perm: 0, permAll: 0, attrs: 0, entryAddr: -1n,
    writes: new Map(),
  };
  const fail = (status: number, reason: number) => Object.assign(out, { status, reason });
  const n = c.levels === 5 ? 57 : 48;
  const upper = va >> BigInt(n - 1);
  if (upper !== 0n && upper !== (1n << BigInt(64 - n + 1)) - 1n) {
    out.level = c.levels;
    return fail(A.ST_TRANSLATION, A.R_INPUT_RANGE);
  }
  let table = c.root & ~0xfffn;
  let allRW = true;
  let allUS = true;
  let anyXD = false;
  for (let level: number = c.levels; level >= 1; level--) {
    const sh = 12 + 9 * (level - 1);
    const at = table + bitsOf(va, sh + 8, sh) * 8n;
    out.level = level;
    out.entryAddr = at;
    const e = mem.read64(at);
    if (e === null) return fail(A.ST_EXT_ABORT, A.R_WALK_ABORT);
    if (!bit(e, 0)) return fail(A.ST_TRANSLATION, A.R_INVALID);
    if (c.haw < 52 && bitsOf(e, 51, c.haw) !== 0n) return fail(A.ST_TRANSLATION, A.R_RESERVED);
    if (!c.nxe && bit(e, 63)) return fail(A.ST_TRANSLATION, A.R_RESERVED);
    const large = level > 1 && bit(e, 7);
    if (large && (level >= 4 || (level === 3 && !c.fs1gp))) return fail(A.ST_TRANSLATION, A.R_RESERVED);
    if (large && bitsOf(e, sh - 1, 13) !== 0n) return fail(A.ST_TRANSLATION, A.R_RESERVED);
    allRW &&= bit(e, 1);
    allUS &&= bit(e, 2);
    anyXD ||= bit(e, 63);
    if (level > 1 && !large) {
      if (c.ad && !bit(e, 5)) {
        const ne = e | (1n << 5n);
        if (!mem.write64(at, ne)) return fail(A.ST_EXT_ABORT, A.R_UPDATE_ABORT);
        out.writes.set(at, ne);
      }
      table = bitsOf(e, 51, 12) << 12n;
      continue;
    }
    // Supervisor: reads always; writes unless WPE and read-only; execute unless XD, or SMEP on a user page.
    const sup = A.PERM_R | (allRW || !c.wpe ? A.PERM_W : 0) | (!anyXD && !(c.smep && allUS) ? A.PERM_X : 0);
    const usr = allUS ? A.PERM_R | (allRW ? A.PERM_W : 0) | (anyXD ? 0 : A.PERM_X) : 0;
    out.permAll = sup | (usr << 3);
    out.perm = access.priv ? sup : usr;
    out.pageShift = sh;
    out.oa = ((bitsOf(e, 51, 12) << 12n) >> BigInt(sh) << BigInt(sh)) | bitsOf(va, sh - 1, 0);
    const pat = level === 1 ? bit(e, 7) : bit(e, 12);
    out.attrs = (bit(e, 3) ? 1 : 0) | (bit(e, 4) ? 2 : 0) | (pat ? 4 : 0) | (bit(e, 8) ? 0 : A.A_NG);
    let ne = e;
    let reason = 0;
    if (!access.priv && !allUS) reason = A.R_PERM_USER;
    else if (access.write && (out.perm & A.PERM_W) === 0) reason = A.R_PERM_WRITE;
    else if (access.exec && (out.perm & A.PERM_X) === 0) reason = A.R_PERM_EXEC;
    if (reason === 0 && c.ad) ne = e | (1n << 5n) | (access.write ? 1n << 6n : 0n);
    out.attrs |= (bit(ne, 5) ? A.A_AF : 0) | (bit(ne, 6) ? A.A_DIRTY : 0);
    if (reason !== 0) return fail(A.ST_PERMISSION, reason);
    if (ne !== e) {
      if (!mem.write64(at, ne)) return fail(A.ST_EXT_ABORT, A.R_UPDATE_ABORT);
      out.writes.set(at, ne);
    }
    return out;
  }
  throw new Error('unreachable');
}

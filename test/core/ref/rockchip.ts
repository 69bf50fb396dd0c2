// Reference Rockchip IOMMU walker in plain TypeScript (tests only): the differential oracle for
// assembly/formats/rockchip.ts, written from soc-iommus.md 3.2 (v1) and 3.3 (v2) with bigints.
import * as A from '../../../src/core/walk-abi.ts';
import type { RefMemory } from './vmsav8.ts';

export interface RefRockchipResult {
  status: number;
  reason: number;
  level: number;
  oa: bigint;
  perm: number;
  entryAddr: bigint;
}

/** The address an entry holds: v1 [31:12]; v2 adds [11:8] -> PA[35:32] and [7:4] -> PA[39:36]. */
export function rkEntryPa(version: 1 | 2, e: bigint): bigint {
  const lo = e & 0xffff_f000n;
  if (version === 1) return lo;
  const pa35_32 = (e >> 8n) & 0xfn;
  const pa39_36 = (e >> 4n) & 0xfn;
  return lo | (pa35_32 << 32n) | (pa39_36 << 36n);
}

/** Inverse of rkEntryPa for v2 (a 4 KiB-aligned PA below 2^40). */
export function rkEncodeV2(pa: bigint): bigint {
  return (pa & 0xffff_f000n) | (((pa >> 32n) & 0xfn) << 8n) | (((pa >> 36n) & 0xfn) << 4n);
}

function read32(mem: RefMemory, at: bigint): bigint | null {
  const q = mem.read64(at & ~7n);
  if (q === null) return null;
  return (at & 4n) !== 0n ? q >> 32n : q & 0xffff_ffffn;
}

export function refRockchipWalk(mem: RefMemory, version: 1 | 2, dt: bigint, iova: bigint, write: boolean): RefRockchipResult {
  const out: RefRockchipResult = { status: A.ST_OK, reason: A.R_NONE, level: 0, oa: 0n, perm: 0, entryAddr: -1n };
  if (iova > 0xffff_ffffn) return Object.assign(out, { status: A.ST_TRANSLATION, reason: A.R_INPUT_RANGE });
  const dteAt = (dt & ~0xfffn) + (iova >> 22n) * 4n;
  out.entryAddr = dteAt;
  const dte = read32(mem, dteAt);
  if (dte === null) return Object.assign(out, { status: A.ST_EXT_ABORT, reason: A.R_WALK_ABORT });
  if ((dte & 1n) === 0n) return Object.assign(out, { status: A.ST_TRANSLATION, reason: A.R_INVALID });
  const pteAt = rkEntryPa(version, dte) + ((iova >> 12n) & 0x3ffn) * 4n;
  out.level = 1;
  out.entryAddr = pteAt;
  const pte = read32(mem, pteAt);
  if (pte === null) return Object.assign(out, { status: A.ST_EXT_ABORT, reason: A.R_WALK_ABORT });
  if ((pte & 1n) === 0n) return Object.assign(out, { status: A.ST_TRANSLATION, reason: A.R_INVALID });
  const readable = (pte & 2n) !== 0n;
  const writable = (pte & 4n) !== 0n;
  out.oa = rkEntryPa(version, pte) | (iova & 0xfffn);
  out.perm = (readable ? A.PERM_R | A.PERM_X : 0) | (writable ? A.PERM_W : 0);
  if (write && !writable) return Object.assign(out, { status: A.ST_PERMISSION, reason: A.R_PERM_WRITE });
  if (!write && !readable) return Object.assign(out, { status: A.ST_PERMISSION, reason: A.R_PERM_READ });
  return out;
}

// Reference Apple DART walker in plain TypeScript (tests only): the differential oracle for
// assembly/formats/dart.ts, written from soc-iommus.md 2.6 with bigints. It walks the way the
// sheet describes the IOVA split (TTBR index above the tables, one DART page per table) rather
// than through the engine's region/step description.
import * as A from '../../../src/core/walk-abi.ts';
import type { RefMemory } from './vmsav8.ts';

export interface RefDart {
  /** 1 = DART1 (t8020/usb4), 2 = DART2 (t6000/t8110). */
  pte: 1 | 2;
  pageShift: 12 | 14;
  /** Tables below the TTBR: 2, or 3 with t8110 TCR.FOUR_LEVEL. */
  tables: 2 | 3;
  ttbrs: 1 | 4;
  ias: number;
  /** Top-table address per TTBR, or null when that TTBR's VALID bit is clear. */
  ttbr: (bigint | null)[];
}

export interface RefDartResult {
  status: number;
  reason: number;
  level: number;
  oa: bigint;
  perm: number;
  entryAddr: bigint;
}

/** Address field of a table or leaf entry (DART1: PA[35:12] in place; DART2: bits 37:10 = PA[41:14]). */
export function dartEntryPa(pte: 1 | 2, e: bigint): bigint {
  return pte === 1 ? e & 0xf_ffff_f000n : ((e >> 10n) & 0xfff_ffffn) << 14n;
}

export function refDartWalk(mem: RefMemory, c: RefDart, iova: bigint, write: boolean): RefDartResult {
  const out: RefDartResult = { status: A.ST_OK, reason: A.R_NONE, level: 0, oa: 0n, perm: 0, entryAddr: -1n };
  const page = BigInt(c.pageShift);
  const bpl = page - 3n;
  const tableBits = page + bpl * BigInt(c.tables);
  let limit = tableBits + (c.ttbrs === 4 ? 2n : 0n);
  if (BigInt(c.ias) < limit) limit = BigInt(c.ias);
  if (iova >> limit !== 0n) return Object.assign(out, { status: A.ST_TRANSLATION, reason: A.R_INPUT_RANGE });
  const sel = c.ttbrs === 4 ? Number((iova >> tableBits) & 3n) : 0;
  const top = c.ttbr[sel] ?? null;
  if (top === null) return Object.assign(out, { status: A.ST_TRANSLATION, reason: A.R_REGION_DISABLED });
  let table = top;
  // Level numbers: the leaf (PTE) is 3, the one above it 2 (PMD), a 4-level walk's top 1 (PGD).
  for (let level = 4 - c.tables; level <= 3; level++) {
    const shift = page + bpl * BigInt(3 - level);
    const at = table + ((iova >> shift) & ((1n << bpl) - 1n)) * 8n;
    out.level = level;
    out.entryAddr = at;
    const e = mem.read64(at);
    if (e === null) return Object.assign(out, { status: A.ST_EXT_ABORT, reason: A.R_WALK_ABORT });
    if ((e & 1n) === 0n) return Object.assign(out, { status: A.ST_TRANSLATION, reason: A.R_INVALID });
    const pa = dartEntryPa(c.pte, e);
    if (level < 3) {
      table = pa;
      continue;
    }
    const noRead = c.pte === 1 ? (e >> 8n) & 1n : (e >> 3n) & 1n;
    const noWrite = c.pte === 1 ? (e >> 7n) & 1n : (e >> 2n) & 1n;
    const off = iova & ((1n << page) - 1n);
    out.oa = (pa & ~((1n << page) - 1n)) | off;
    out.perm = (noRead ? 0 : A.PERM_R | A.PERM_X) | (noWrite ? 0 : A.PERM_W);
    if (write ? noWrite : noRead) return Object.assign(out, { status: A.ST_PERMISSION, reason: write ? A.R_PERM_WRITE : A.R_PERM_READ });
    const subpageOn = c.pte === 2 || (e & 2n) === 0n;
    const word = off / 4n;
    if (subpageOn && (word < (e >> 52n) || word > ((e >> 40n) & 0xfffn))) {
      return Object.assign(out, { status: A.ST_PERMISSION, reason: A.R_SUBPAGE });
    }
    return out;
  }
  throw new Error('unreachable');
}

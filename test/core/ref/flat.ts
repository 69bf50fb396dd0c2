// Reference flat-table walker (tests only) for assembly/formats/flat.ts, from soc-iommus.md 4.2
// (MediaTek v1) and 5.1 (Tegra GART): index = (iova - aperture) >> 12 into 32-bit entries.
import * as A from '../../../src/core/walk-abi.ts';
import type { RefMemory } from './vmsav8.ts';

export interface RefFlat {
  table: bigint;
  aperture: bigint;
  apertureBits: number;
  validBit: number;
  addrTop: number;
}

export function refFlatWalk(mem: RefMemory, c: RefFlat, iova: bigint): { status: number; reason: number; oa: bigint; entryAddr: bigint } {
  const size = 1n << BigInt(c.apertureBits);
  if (iova < c.aperture || iova >= c.aperture + size) return { status: A.ST_TRANSLATION, reason: A.R_INPUT_RANGE, oa: 0n, entryAddr: -1n };
  const at = c.table + ((iova - c.aperture) >> 12n) * 4n;
  // 32-bit little-endian entry: the low half of an aligned 64-bit read, or the high half.
  const q = mem.read64(at & ~7n);
  if (q === null) return { status: A.ST_EXT_ABORT, reason: A.R_WALK_ABORT, oa: 0n, entryAddr: at };
  const e = (at & 4n) !== 0n ? q >> 32n : q & 0xffff_ffffn;
  if (((e >> BigInt(c.validBit)) & 1n) === 0n) return { status: A.ST_TRANSLATION, reason: A.R_INVALID, oa: 0n, entryAddr: at };
  const pa = e & ((1n << BigInt(c.addrTop)) - 1n) & ~0xfffn;
  return { status: A.ST_OK, reason: A.R_NONE, oa: pa | (iova & 0xfffn), entryAddr: at };
}

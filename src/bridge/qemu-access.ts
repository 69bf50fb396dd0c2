// QEMU's memory-core access rules for a device region, so a device answers byte for byte as
// its QEMU counterpart does for every access size and alignment:
//  - an access is cut into pieces: each piece is the largest power of two that fits in what
//    is left, in the region's maximum valid size, and in the alignment of its offset
//    (memory_access_size with impl.unaligned = false);
//  - a piece smaller than the minimum valid size (or, if the region refuses unaligned
//    accesses, misaligned) is rejected: it reads as 0 and its write is dropped
//    (memory_region_access_valid + unassigned_mem_read);
//  - the pieces' values are assembled little-endian.
// Map the resulting handler with `unaligned: true` and all sizes valid, so the AddressSpace
// hands every access over unchanged and this adapter applies the rules.
import type { MmioHandler } from './types.ts';

export interface QemuRegionOps {
  /** valid.min_access_size / valid.max_access_size (1..8). */
  readonly minSize: number;
  readonly maxSize: number;
  /** valid.unaligned: misaligned pieces are delivered rather than rejected. */
  readonly unaligned?: boolean;
  /** Called only with valid pieces of 1, 2 or 4 bytes. */
  read(off: number, size: 1 | 2 | 4): number;
  write(off: number, size: 1 | 2 | 4, value: number): void;
  /** Called for valid 8-byte pieces (required when maxSize is 8). */
  read64?(off: number): bigint;
  write64?(off: number, value: bigint): void;
  /** Told about each rejected piece (for traces). */
  rejected?(op: 'read' | 'write', off: number, size: number): void;
}

/** All access sizes, for MmioRegionSpec.validSizes. */
export const ALL_ACCESS_SIZES = 1 | 2 | 4 | 8;

export function qemuRegionHandler(ops: QemuRegionOps): MmioHandler {
  const { minSize, maxSize } = ops;
  const unaligned = ops.unaligned ?? false;
  if (![1, 2, 4, 8].includes(minSize) || ![1, 2, 4, 8].includes(maxSize) || minSize > maxSize) {
    throw new RangeError(`qemuRegionHandler: minSize/maxSize must be 1, 2, 4 or 8 with min <= max, got ${minSize}/${maxSize}`);
  }
  if (maxSize === 8 && (!ops.read64 || !ops.write64)) throw new TypeError('qemuRegionHandler: maxSize 8 needs read64 and write64');

  const piece = (off: number, left: number): number => {
    let l = Math.min(left, maxSize);
    const align = off & -off;
    if (off !== 0 && align < l) l = align;
    // pow2floor
    return l >= 8 ? 8 : l >= 4 ? 4 : l >= 2 ? 2 : 1;
  };
  const valid = (off: number, size: number): boolean =>
    size >= minSize && size <= maxSize && (unaligned || (off & (size - 1)) === 0);

  const readPiece = (off: number, size: number): number => {
    if (!valid(off, size)) {
      ops.rejected?.('read', off, size);
      return 0;
    }
    return ops.read(off, size as 1 | 2 | 4);
  };

  return {
    read(off: number, size: 1 | 2 | 4): number {
      // Fast path: one aligned, valid piece.
      if (size <= maxSize && (off & (size - 1)) === 0) return readPiece(off, size);
      let v = 0;
      let done = 0;
      while (done < size) {
        const l = piece(off + done, size - done);
        v += readPiece(off + done, l) * 2 ** (8 * done);
        done += l;
      }
      return v;
    },
    write(off: number, size: 1 | 2 | 4, value: number): void {
      if (size <= maxSize && (off & (size - 1)) === 0) {
        if (valid(off, size)) ops.write(off, size, value);
        else ops.rejected?.('write', off, size);
        return;
      }
      let done = 0;
      while (done < size) {
        const l = piece(off + done, size - done);
        const part = Math.floor(value / 2 ** (8 * done)) % 2 ** (8 * l);
        if (valid(off + done, l)) ops.write(off + done, l as 1 | 2 | 4, part);
        else ops.rejected?.('write', off + done, l);
        done += l;
      }
    },
    read64(off: number): bigint {
      if (maxSize === 8 && (off & 7) === 0) {
        if (valid(off, 8)) return ops.read64!(off);
        ops.rejected?.('read', off, 8);
        return 0n;
      }
      let v = 0n;
      let done = 0;
      while (done < 8) {
        const l = piece(off + done, 8 - done);
        const part = l === 8 ? (valid(off, 8) ? ops.read64!(off) : 0n) : BigInt(readPiece(off + done, l));
        v |= part << BigInt(8 * done);
        done += l;
      }
      return v;
    },
    write64(off: number, value: bigint): void {
      if (maxSize === 8 && (off & 7) === 0) {
        if (valid(off, 8)) ops.write64!(off, value);
        else ops.rejected?.('write', off, 8);
        return;
      }
      let done = 0;
      while (done < 8) {
        const l = piece(off + done, 8 - done);
        const part = Number(BigInt.asUintN(8 * l, value >> BigInt(8 * done)));
        if (valid(off + done, l)) ops.write(off + done, l as 1 | 2 | 4, part);
        else ops.rejected?.('write', off + done, l);
        done += l;
      }
    },
  };
}

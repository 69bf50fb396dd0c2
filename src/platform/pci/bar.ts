// Base Address Registers: how a BAR is laid out in config space, how sizing works (the
// address bits are the only writable ones, so writing all-ones reads back ~(size-1) with the
// type bits), and when its region is decoded (QEMU's pci_bar_address rules).
import type { MmioHandler } from '../../bridge/types.ts';
import {
  PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_PREFETCH, PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_SPACE_IO, PCI_COMMAND_IO, PCI_COMMAND_MEMORY,
} from './regs.ts';

export type BarKind = 'mem32' | 'mem64' | 'io';

/** A BAR a function implements. */
export interface BarSpec {
  /** BAR number: 0..5 in a type 0 header, 0..1 in a type 1 header; a 64-bit BAR also uses index+1. */
  readonly index: number;
  readonly kind: BarKind;
  /** Power of two; at least 16 bytes for memory, 4 for I/O. */
  readonly size: number;
  readonly prefetchable?: boolean;
  /** Region name for traces (default "<function>.bar<index>"). */
  readonly name?: string;
  readonly handler: MmioHandler;
  /** Passed to AddressSpace.mapMmio (see MmioRegionSpec). */
  readonly validSizes?: number;
  readonly unaligned?: boolean;
  readonly invalidRead?: 'zero' | 'ones';
}

/** Config-space offset of BAR `index`. */
export function barOffset(index: number): number {
  return PCI_BASE_ADDRESS_0 + 4 * index;
}

/** The low type bits a BAR reads back (bit 0 space, bits 2:1 type, bit 3 prefetchable). */
export function barTypeBits(spec: BarSpec): number {
  if (spec.kind === 'io') return PCI_BASE_ADDRESS_SPACE_IO;
  return (spec.kind === 'mem64' ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) | (spec.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
}

/** Sentinel for "not decoded" (QEMU's PCI_BAR_UNMAPPED). */
export const BAR_UNMAPPED = -1;

/**
 * The address a BAR decodes at, or BAR_UNMAPPED. Rules (QEMU pci_bar_address): the matching
 * command enable must be set; the address is the programmed value with the size bits
 * cleared; the range must not wrap, must not be 0 unless the machine allows it, a 32-bit or
 * I/O BAR must end below 4 GiB - 1, and the range must fit in the target space (QEMU's
 * HWADDR_MAX check; here the AddressSpace size, at most 2^52).
 */
export function barAddress(
  spec: BarSpec, command: number, low: number, high: number, spaceSize: number, allowZero: boolean,
): number {
  const size = spec.size;
  let addr: number;
  if (spec.kind === 'io') {
    if ((command & PCI_COMMAND_IO) === 0) return BAR_UNMAPPED;
    addr = (low >>> 0) - ((low >>> 0) % size);
    const last = addr + size - 1;
    if (last >= 0xffffffff || (!allowZero && addr === 0)) return BAR_UNMAPPED;
  } else {
    if ((command & PCI_COMMAND_MEMORY) === 0) return BAR_UNMAPPED;
    const lo = (low >>> 0) - ((low >>> 0) % Math.min(size, 2 ** 32));
    addr = spec.kind === 'mem64' ? (high >>> 0) * 2 ** 32 + lo : lo;
    if (size > 2 ** 32) addr -= addr % size;
    if (!allowZero && addr === 0) return BAR_UNMAPPED;
    if (spec.kind === 'mem32' && addr + size - 1 >= 0xffffffff) return BAR_UNMAPPED;
  }
  if (addr + size > spaceSize) return BAR_UNMAPPED;
  return addr;
}

/** Throws if a BarSpec is malformed (API misuse). */
export function checkBarSpec(owner: string, spec: BarSpec, numBars: number): void {
  const { index, size, kind } = spec;
  const last = kind === 'mem64' ? index + 1 : index;
  if (!Number.isInteger(index) || index < 0 || last >= numBars) {
    throw new RangeError(`${owner}: BAR ${index} (${kind}) does not fit in the ${numBars} BAR slots of this header`);
  }
  const min = kind === 'io' ? 4 : 16;
  const max = kind === 'mem64' ? 2 ** 52 : 2 ** 31;
  if (!Number.isInteger(size) || size < min || size > max || !Number.isInteger(Math.log2(size))) {
    throw new RangeError(`${owner}: BAR ${index} size must be a power of two between ${min} and 2^${Math.log2(max)}, got ${size}`);
  }
  if (kind === 'io' && spec.prefetchable) throw new RangeError(`${owner}: BAR ${index} is an I/O BAR and cannot be prefetchable`);
  if (typeof spec.handler?.read !== 'function' || typeof spec.handler?.write !== 'function') {
    throw new TypeError(`${owner}: BAR ${index} handler must implement read(offset, size) and write(offset, size, value)`);
  }
}

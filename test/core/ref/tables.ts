// Test helpers: guest RAM in a fresh core, raw descriptor writes, and VMSAv8-64 descriptor
// images built from named bits (smmuv3.md f.2), so tests state tables the way the spec does.
import { Core } from '../../../src/core/core.ts';
import { WasmRam } from '../../../src/bridge/guest-ram.ts';
import { RefMemory } from './vmsav8.ts';

export const RAM_BASE = 0x4000_0000;

/** A core with `size` bytes of RAM at guest-physical `base`. */
export class TestRam {
  readonly core: Core;
  readonly ram: WasmRam;
  constructor(readonly size = 1 << 20, readonly base = RAM_BASE, core?: Core) {
    this.core = core ?? new Core();
    this.ram = new WasmRam(this.core, size);
    if (this.core.exports.ram_map(base, size, this.ram.coreOffset) < 0) throw new Error('ram_map failed');
  }
  private dv(): DataView {
    const v = this.ram.view();
    return new DataView(v.buffer, v.byteOffset, v.byteLength);
  }
  set(pa: number, v: bigint): void {
    this.dv().setBigUint64(pa - this.base, BigInt.asUintN(64, v), true);
  }
  get(pa: number): bigint {
    return this.dv().getBigUint64(pa - this.base, true);
  }
  bytes(): Uint8Array {
    return this.ram.view();
  }
  /** A reference-walker memory over a copy of this RAM (so both walkers start equal and stay independent). */
  refCopy(): RefMemory {
    return new RefMemory().add(this.base, this.bytes().slice());
  }
}

export interface LeafBits {
  /** AP[2:1] as a 2-bit number (stage 1): bit 1 = read-only (AP[2]), bit 0 = EL0 access (AP[1]). */
  ap?: number;
  /** S2AP[1:0] (stage 2): bit 0 = read, bit 1 = write. */
  s2ap?: number;
  af?: boolean;
  ng?: boolean;
  ns?: boolean;
  sh?: number;
  /** Stage 1 AttrIndx (3 bits) or stage 2 MemAttr (4 bits). */
  attr?: number;
  stage?: 1 | 2;
  dbm?: boolean;
  contiguous?: boolean;
  pxn?: boolean; // bit 53 (S2: XN[0])
  uxn?: boolean; // bit 54 (S2: XN[1])
}

function leaf(oa: bigint | number, b: LeafBits, type: bigint): bigint {
  const stage = b.stage ?? 1;
  let d = BigInt(oa) | type;
  if (stage === 1) d |= BigInt(b.attr ?? 0) << 2n | BigInt(b.ap ?? 0) << 6n;
  else d |= BigInt(b.attr ?? 0) << 2n | BigInt(b.s2ap ?? 3) << 6n;
  d |= BigInt(b.sh ?? 3) << 8n;
  if (b.af ?? true) d |= 1n << 10n;
  if (b.ng) d |= 1n << 11n;
  if (b.ns) d |= 1n << 5n;
  if (b.dbm) d |= 1n << 51n;
  if (b.contiguous) d |= 1n << 52n;
  if (b.pxn) d |= 1n << 53n;
  if (b.uxn) d |= 1n << 54n;
  return d;
}

/** Page descriptor (level 3): type 0b11. */
export function page(oa: bigint | number, b: LeafBits = {}): bigint {
  return leaf(oa, b, 3n);
}
/** Block descriptor (levels 0-2): type 0b01. */
export function block(oa: bigint | number, b: LeafBits = {}): bigint {
  return leaf(oa, b, 1n);
}
export interface TableBits {
  apTable?: number; // bits 62:61
  xnTable?: boolean; // bit 60
  pxnTable?: boolean; // bit 59
  nsTable?: boolean; // bit 63
}
/** Table descriptor: type 0b11 plus the next table's address. */
export function table(pa: bigint | number, b: TableBits = {}): bigint {
  let d = BigInt(pa) | 3n;
  d |= BigInt(b.apTable ?? 0) << 61n;
  if (b.xnTable) d |= 1n << 60n;
  if (b.pxnTable) d |= 1n << 59n;
  if (b.nsTable) d |= 1n << 63n;
  return d;
}

/** Index of `va` at `level` for granule 2^g (the full field; callers mask the start level). */
export function idx(va: bigint | number, level: number, g = 12): number {
  const shift = g + (3 - level) * (g - 3);
  return Number((BigInt(va) >> BigInt(shift)) & ((1n << BigInt(g - 3)) - 1n));
}

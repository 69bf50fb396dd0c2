// The normalised description of one hardware block, as the generator emits it from
// regmaps/<block>.json and as the runtime (RegisterFile, StructView, describe) consumes it.
// Everything is a plain number here (64-bit resets are split into 32-bit halves) so the
// description can be turned into typed-array tables without BigInt.

/**
 * Access semantics of a field, as seen by the guest:
 * - RO    reads the stored value, writes ignored
 * - RW    reads and writes the stored value
 * - RW1C  reads the stored value, writing 1 clears the bit, writing 0 leaves it
 * - WO    writes are stored (and seen by write hooks), reads return 0
 * - RES0 / RsvdZ / RsvdP  read 0, writes ignored
 * - RES1  reads 1, writes ignored
 * Bits of a register covered by no field behave as RES0.
 */
export type Access = 'RO' | 'RW' | 'RW1C' | 'WO' | 'RES0' | 'RES1' | 'RsvdZ' | 'RsvdP';

export const ACCESS_KINDS: readonly Access[] = ['RO', 'RW', 'RW1C', 'WO', 'RES0', 'RES1', 'RsvdZ', 'RsvdP'];

/** One named value of a field or of a constants table. */
export interface EnumValue {
  readonly name: string;
  readonly value: number;
  readonly description?: string;
}

export interface FieldDesc {
  readonly name: string;
  readonly msb: number;
  readonly lsb: number;
  readonly width: number;
  readonly access: Access;
  readonly description: string;
  /** Named values (inline, or copied from the constants table named by enumRef). */
  readonly enum: readonly EnumValue[];
  readonly enumRef?: string;
  readonly preserveOnReset: boolean;
}

/** Register widths: 8 and 16 for PCI configuration space, 32 and 64 for MMIO blocks. */
export type RegWidth = 8 | 16 | 32 | 64;

export interface RegisterDesc {
  readonly name: string;
  /** Offset of element 0 within the block's window. */
  readonly offset: number;
  readonly width: RegWidth;
  /** Default access (the whole register's access when it has no fields). */
  readonly access: Access;
  /** Reset value, low and high 32 bits (resetHi is 0 for 32-bit registers). */
  readonly resetLo: number;
  readonly resetHi: number;
  readonly description: string;
  readonly fields: readonly FieldDesc[];
  /** Number of elements (1 for a plain register) and distance between them in bytes. */
  readonly count: number;
  readonly stride: number;
  /** Further offsets of element 0 that reach the same register. */
  readonly aliases: readonly number[];
  readonly implemented: boolean;
  readonly preserveOnReset: boolean;
  /** The layout variant this register belongs to; absent for registers every variant has. */
  readonly variant?: string;
}

/** One alternative layout of a block's window (PCI header type 0 / type 1, MSI 32/64-bit). */
export interface VariantDesc {
  readonly name: string;
  readonly description: string;
}

export interface StructFieldDesc {
  readonly name: string;
  /** Index of the wordSize-bit little-endian word holding the field. */
  readonly word: number;
  readonly msb: number;
  readonly lsb: number;
  readonly width: number;
  readonly description: string;
  readonly enum: readonly EnumValue[];
  readonly enumRef?: string;
}

export interface StructDesc {
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  readonly wordSize: 32 | 64;
  readonly description: string;
  readonly fields: readonly StructFieldDesc[];
}

export interface ConstTableDesc {
  readonly name: string;
  readonly description: string;
  /** Width in bits of the field the codes live in, when the table says so. */
  readonly width?: number;
  readonly values: readonly EnumValue[];
}

export interface BlockDesc {
  /** Block id ("smmuv3", "vtd"). */
  readonly block: string;
  readonly title: string;
  /** Prefix of the generated constants ("SMMU", "VTD"). */
  readonly prefix: string;
  readonly description: string;
  /** Size in bytes of the MMIO window. */
  readonly size: number;
  readonly registers: readonly RegisterDesc[];
  /** Alternative layouts, the first being the default; absent when the block has one layout. */
  readonly variants?: readonly VariantDesc[];
  readonly structures: readonly StructDesc[];
  readonly constants: readonly ConstTableDesc[];
}

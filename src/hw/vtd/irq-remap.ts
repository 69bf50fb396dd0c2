// Interrupt remapping (vtd.md 1.13, 5.3, 6.1, 6.3-6.5): decode of a remappable MSI (handle,
// subhandle), the interrupt-remapping table entry and its checks (present, reserved bits,
// source-ID validation), compatibility-format interrupts (CFI, EIME), and the remapped message
// the entry produces. Fault reasons 0x20-0x26; the model records them.
import * as R from '../../regs/generated/vtd.ts';
import { MemTx } from '../../bridge/types.ts';
import type { AddressSpace } from '../../bridge/address-space.ts';
import { bits, fldn, hasReserved, toWords } from './fields.ts';

/** The table latched by SIRTP. */
export interface IrTable {
  base: number;
  /** 2^(S + 1) entries. */
  entries: number;
  /** x2APIC mode: 32-bit destination IDs, compatibility format blocked. */
  eime: boolean;
}

export function irTableOf(irta: bigint, haw: bigint): IrTable {
  return {
    base: Number(irta & R.VTD_IRTA_IRTA_MASK & ~haw),
    entries: 2 ** (Number(irta & R.VTD_IRTA_S_MASK) + 1),
    eime: (irta & R.VTD_IRTA_EIME_MASK) !== 0n,
  };
}

/** A remapped (or passed-through compatibility-format) message, or the fault that stopped it. */
export type IrOutcome =
  | { ok: true; address: number; data: number; index?: number }
  | { ok: false; fr: number; index: number; fpd: boolean };

/** An IRTE as the interrupt-entry cache holds it (the fields the checks and the message need). */
export interface Irte {
  words: bigint[];
}

/** The xAPIC destination is DST bits 15:8; the rest of DST is reserved without EIME. */
const XAPIC_DST_RSVD = (bits(7, 0) | bits(31, 16)) << BigInt(R.VTD_IRTE_DST_SHIFT);
const MSI_DEST_SHIFT = 12; // x86 MSI address: destination ID in bits 19:12
const MSI_RH_SHIFT = 3;
const MSI_DM_SHIFT = 2;
const MSI_DLM_SHIFT = 8; // x86 MSI data: delivery mode 10:8, trigger mode 15
const MSI_TM_SHIFT = 15;
const XAPIC_DST_SHIFT = 8;

/** The IRTE index a remappable-format message names, or -1 for a compatibility-format one. */
export function irteIndex(address: number, data: number): number {
  if ((address & R.VTD_IR_MSI_ADDR_IF_MASK) === 0) return -1;
  const handle =
    ((address & R.VTD_IR_MSI_ADDR_HANDLE_LO_MASK) >>> R.VTD_IR_MSI_ADDR_HANDLE_LO_SHIFT) |
    ((address & R.VTD_IR_MSI_ADDR_HANDLE_HI_MASK) !== 0 ? 1 << 15 : 0);
  return (address & R.VTD_IR_MSI_ADDR_SHV_MASK) !== 0 ? handle + (data & R.VTD_IR_MSI_DATA_SUBHANDLE_MASK) : handle;
}

/**
 * Remaps the interrupt request (`address` below 2^53 with the high dword above bit 32, `data`)
 * from source `sid`. `cfis`: GSTS.CFIS. `fetch` reads the IRTE of an index (through the
 * interrupt-entry cache), or null on a memory error.
 */
export function remapInterrupt(table: IrTable, cfis: boolean, address: number, data: number, sid: number, fetch: (index: number) => Irte | null): IrOutcome {
  const hi = Math.floor(address / 2 ** 32);
  const lo = address >>> 0;
  const index = irteIndex(lo, data);
  if (index < 0) {
    // Compatibility format: passes untranslated only while CFI is on and x2APIC mode is off.
    if (cfis && !table.eime) return { ok: true, address, data };
    return { ok: false, fr: R.VTD_FR_IR_COMPAT_BLOCKED, index: 0, fpd: false };
  }
  // Reserved request fields: address bits 63:32, data 31:16 when a subhandle is used.
  if (hi !== 0 || ((lo & R.VTD_IR_MSI_ADDR_SHV_MASK) !== 0 && (data >>> 16) !== 0)) return { ok: false, fr: R.VTD_FR_IR_REQ_RSVD, index, fpd: false };
  if (index >= table.entries) return { ok: false, fr: R.VTD_FR_IR_INDEX_OVER, index, fpd: false };
  const e = fetch(index);
  if (e === null) return { ok: false, fr: R.VTD_FR_IR_ENTRY_READ, index, fpd: false };
  const w = e.words;
  const fpd = fldn(w, 'IRTE', 'FPD') !== 0;
  if (fldn(w, 'IRTE', 'P') === 0) return { ok: false, fr: R.VTD_FR_IR_ENTRY_P, index, fpd };
  // Posted format (IM = 1) needs CAP.PI, which this unit lacks: reserved like the other bits.
  const extra = [R.VTD_IRTE_IM_MASK | (table.eime ? 0n : XAPIC_DST_RSVD), 0n];
  if (hasReserved(w, 'IRTE', extra)) return { ok: false, fr: R.VTD_FR_IR_ENTRY_RSVD, index, fpd };
  if (!sourceOk(w, sid)) return { ok: false, fr: R.VTD_FR_IR_SID_ERR, index, fpd };
  const dst = fldn(w, 'IRTE', 'DST');
  const dest = table.eime ? dst : (dst >>> XAPIC_DST_SHIFT) & 0xff;
  const outLo =
    ((R.VTD_ADDR_INTERRUPT_BASE | ((dest & 0xff) << MSI_DEST_SHIFT) | (fldn(w, 'IRTE', 'RH') << MSI_RH_SHIFT) | (fldn(w, 'IRTE', 'DM') << MSI_DM_SHIFT)) >>> 0);
  // x2APIC destinations above 255 go in the upper address dword (bits 31:8 of the ID), as QEMU does.
  const outHi = table.eime ? dest & ~0xff : 0;
  const outData = (fldn(w, 'IRTE', 'V') | (fldn(w, 'IRTE', 'DLM') << MSI_DLM_SHIFT) | (fldn(w, 'IRTE', 'TM') << MSI_TM_SHIFT)) >>> 0;
  return { ok: true, address: (outHi >>> 0) * 2 ** 32 + outLo, data: outData, index };
}

/** Source validation (vtd.md 6.3): SVT 0 none, 1 SID under the SQ mask, 2 bus in [SID 15:8, SID 7:0], 3 reserved. */
function sourceOk(w: bigint[], sid: number): boolean {
  const svt = fldn(w, 'IRTE', 'SVT');
  const want = fldn(w, 'IRTE', 'SID');
  if (svt === R.VTD_IRTE_SVT_NONE) return true;
  if (svt === R.VTD_IRTE_SVT_SID) {
    // SQ: 1 ignores bit 2, 2 bits 2:1, 3 bits 2:0 (function-number bits).
    const sq = fldn(w, 'IRTE', 'SQ');
    const ignore = ((1 << sq) - 1) << (3 - sq);
    return (sid & ~ignore) === (want & ~ignore);
  }
  if (svt === R.VTD_IRTE_SVT_BUS_RANGE) {
    const bus = sid >>> 8;
    return bus >= want >>> 8 && bus <= (want & 0xff);
  }
  return false;
}

/** Reads IRTE `index` of `table`. */
export function readIrte(memory: AddressSpace, table: IrTable, index: number): Irte | null {
  const b = new Uint8Array(R.VTD_IRTE_SIZE);
  if (memory.readBytes(table.base + index * R.VTD_IRTE_SIZE, b) !== MemTx.OK) return null;
  return { words: toWords(b, 2) };
}

/** IR faults FPD suppresses (QEMU: entry not present, reserved bits, source-ID check). */
export function irQualified(fr: number): boolean {
  return fr === R.VTD_FR_IR_ENTRY_P || fr === R.VTD_FR_IR_ENTRY_RSVD || fr === R.VTD_FR_IR_SID_ERR;
}

// Legacy-mode root and context entries (vtd.md 2.1, 2.2, 2.7): fetch by requester ID, the
// presence / reserved-bit / TT / AW checks, and the legacy fault reason each failure gives
// (vtd.md 5.1). Nothing here is cached: the model's context cache holds the results.
import * as R from '../../regs/generated/vtd.ts';
import { MemTx } from '../../bridge/types.ts';
import type { AddressSpace } from '../../bridge/address-space.ts';
import type { VtdFeatures } from './features.ts';
import { aboveHaw, fldAddr, fldn, hasReserved, toWords } from './fields.ts';

/** A present, valid legacy context entry, decoded. */
export interface LegacyContext {
  fpd: boolean;
  /** TT: MULTI_LEVEL, MULTI_LEVEL_DT or PASS_THROUGH. */
  tt: number;
  slptptr: number;
  /** AW code (1 = 39-bit, 2 = 48-bit). */
  aw: number;
  did: number;
}

/** Either the entry, or the fault reason and the FPD that applies to it. */
export type ContextLookup = { ok: true; ctx: LegacyContext } | { ok: false; fr: number; fpd: boolean };

/** Reads 16 bytes at `addr` as two quadwords, or null on a memory error. */
function read16(memory: AddressSpace, addr: number): bigint[] | null {
  const b = new Uint8Array(R.VTD_CONTEXT_ENTRY_SIZE);
  return memory.readBytes(addr, b) === MemTx.OK ? toWords(b, 2) : null;
}

/** SAGAW as advertised: bit n set when AW code n is supported. */
export function sagawOf(cap: bigint): number {
  return Number((cap & R.VTD_CAP_SAGAW_MASK) >> BigInt(R.VTD_CAP_SAGAW_SHIFT));
}

/**
 * Looks up the context entry of requester `sid` (bus << 8 | devfn) under the root table at
 * `root`. `sagaw` is CAP.SAGAW. The checks, in the order hardware meets them:
 *   root entry unreadable -> 0x08, P = 0 -> 0x01, reserved bits -> 0x0A;
 *   context entry unreadable -> 0x09, P = 0 -> 0x02, reserved bits -> 0x0B,
 *   TT reserved or not supported (01 without ECAP.DT, 10 without ECAP.PT) or AW not in SAGAW -> 0x03.
 * A context entry's FPD applies to its own faults whether or not it is present (the spec:
 * FPD is evaluated irrespective of P; QEMU does the same).
 */
export function lookupLegacyContext(memory: AddressSpace, root: number, sid: number, f: VtdFeatures, sagaw: number): ContextLookup {
  const haw = aboveHaw(f.awBits);
  const bus = sid >>> 8;
  const devfn = sid & 0xff;
  const re = read16(memory, root + bus * R.VTD_ROOT_ENTRY_SIZE);
  if (re === null) return { ok: false, fr: R.VTD_FR_ROOT_TABLE_INV, fpd: false };
  if (fldn(re, 'ROOT_ENTRY', 'P') === 0) return { ok: false, fr: R.VTD_FR_ROOT_ENTRY_P, fpd: false };
  if (hasReserved(re, 'ROOT_ENTRY', [haw])) return { ok: false, fr: R.VTD_FR_ROOT_ENTRY_RSVD, fpd: false };
  const ctp = Number(fldAddr(re, 'ROOT_ENTRY', 'CTP'));
  const ce = read16(memory, ctp + devfn * R.VTD_CONTEXT_ENTRY_SIZE);
  if (ce === null) return { ok: false, fr: R.VTD_FR_CONTEXT_TABLE_INV, fpd: false };
  const fpd = fldn(ce, 'CONTEXT_ENTRY', 'FPD') !== 0;
  if (fldn(ce, 'CONTEXT_ENTRY', 'P') === 0) return { ok: false, fr: R.VTD_FR_CONTEXT_ENTRY_P, fpd };
  if (hasReserved(ce, 'CONTEXT_ENTRY', [haw])) return { ok: false, fr: R.VTD_FR_CONTEXT_ENTRY_RSVD, fpd };
  const tt = fldn(ce, 'CONTEXT_ENTRY', 'TT');
  const ttOk =
    tt === R.VTD_CONTEXT_ENTRY_TT_MULTI_LEVEL ||
    (tt === R.VTD_CONTEXT_ENTRY_TT_MULTI_LEVEL_DT && f.deviceIotlb) ||
    (tt === R.VTD_CONTEXT_ENTRY_TT_PASS_THROUGH && f.pt);
  const aw = fldn(ce, 'CONTEXT_ENTRY', 'AW');
  if (!ttOk || (sagaw & (1 << aw)) === 0) return { ok: false, fr: R.VTD_FR_CONTEXT_ENTRY_INV, fpd };
  return {
    ok: true,
    ctx: { fpd, tt, aw, slptptr: Number(fldAddr(ce, 'CONTEXT_ENTRY', 'SLPTPTR')), did: fldn(ce, 'CONTEXT_ENTRY', 'DID') },
  };
}

/** Faults that FPD suppresses (vtd.md 5.1 "qualified"): everything but root-level and table-read errors. */
const QUALIFIED = new Set<number>([
  R.VTD_FR_CONTEXT_ENTRY_P, R.VTD_FR_CONTEXT_ENTRY_INV, R.VTD_FR_ADDR_BEYOND_MGAW, R.VTD_FR_WRITE, R.VTD_FR_READ,
  R.VTD_FR_PAGING_ENTRY_INV, R.VTD_FR_PAGING_ENTRY_RSVD, R.VTD_FR_CONTEXT_ENTRY_TT, R.VTD_FR_INTERRUPT_ADDR,
]);
/**
 * Scalable-mode faults follow the same rule: root-table faults (RTA.x, SRT.x: 0x30-0x3A) and
 * errors reading or decoding the context entry itself (0x40, 0x42) are always recorded; the
 * rest (context not present, PASID directory/table, page-table and general faults) are qualified.
 */
export function isQualified(fr: number): boolean {
  if (fr < R.VTD_FR_SM_RTA_INV) return QUALIFIED.has(fr);
  return fr > R.VTD_FR_SM_ROOT_RSVD && fr !== R.VTD_FR_SM_CTX_READ && fr !== R.VTD_FR_SM_CTX_RSVD;
}

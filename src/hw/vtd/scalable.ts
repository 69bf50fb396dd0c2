// Scalable-mode lookup (vtd.md 2.3-2.7, 5.2): scalable root entry (lower/upper halves), 32-byte
// context entry, PASID directory and PASID-table entry, with the scalable-mode fault reason of
// each failure and the FPD that applies. The result says how the PASID translates (PGTT) and
// with which domain and tables; the model builds the walk from it.
import * as R from '../../regs/generated/vtd.ts';
import { MemTx } from '../../bridge/types.ts';
import type { AddressSpace } from '../../bridge/address-space.ts';
import type { VtdFeatures } from './features.ts';
import { aboveHaw, fldAddr, fldn, hasReserved, toWords } from './fields.ts';

/** A usable PASID-table entry, decoded. */
export interface PasidConfig {
  fpd: boolean;
  pgtt: number;
  did: number;
  /** Second-stage AW code and table (PGTT 2 and 3). */
  aw: number;
  ssptptr: number;
  /** SSEE / SSADE. */
  ssExec: boolean;
  ssAd: boolean;
  /** First-stage table and paging mode (PGTT 1 and 3): 4 or 5 levels. */
  fsptptr: number;
  fsLevels: number;
  nxe: boolean;
  wpe: boolean;
  smep: boolean;
  sre: boolean;
  ere: boolean;
}

export type ScalableLookup = { ok: true; pasid: number; cfg: PasidConfig } | { ok: false; fr: number; fpd: boolean };

function read(memory: AddressSpace, addr: number, bytes: number): bigint[] | null {
  const b = new Uint8Array(bytes);
  return memory.readBytes(addr, b) === MemTx.OK ? toWords(b, bytes / 8) : null;
}

/** What the unit translates with (ECAP bits the PGTT values need). */
export interface ScalableCaps {
  sagaw: number;
  firstStage: boolean;
  secondStage: boolean;
  nested: boolean;
  pt: boolean;
  pasid: boolean;
}

const PDTS_BASE_LOG2 = 7; // the directory has 2^(PDTS + 7) entries
const PASID_TABLE_BITS = 6; // 64 PASID entries per table

/**
 * Resolves (sid, pasid) under the scalable root table at `root`. `pasid` is undefined for a
 * request without PASID (it then uses the context entry's RID_PASID).
 */
export function lookupScalable(memory: AddressSpace, root: number, sid: number, pasid: number | undefined, f: VtdFeatures, caps: ScalableCaps): ScalableLookup {
  const haw = aboveHaw(f.awBits);
  const bus = sid >>> 8;
  const devfn = sid & 0xff;
  const re = read(memory, root + bus * R.VTD_SM_ROOT_ENTRY_SIZE, R.VTD_SM_ROOT_ENTRY_SIZE);
  if (re === null) return { ok: false, fr: R.VTD_FR_SM_ROOT_READ, fpd: false };
  const upper = devfn >= 0x80;
  if (fldn(re, 'SM_ROOT_ENTRY', upper ? 'UP' : 'LP') === 0) return { ok: false, fr: R.VTD_FR_SM_ROOT_P, fpd: false };
  if (hasReserved(re, 'SM_ROOT_ENTRY', [haw, haw])) return { ok: false, fr: R.VTD_FR_SM_ROOT_RSVD, fpd: false };
  const ctp = Number(fldAddr(re, 'SM_ROOT_ENTRY', upper ? 'UCTP' : 'LCTP'));
  const ce = read(memory, ctp + (devfn & 0x7f) * R.VTD_SM_CONTEXT_ENTRY_SIZE, R.VTD_SM_CONTEXT_ENTRY_SIZE);
  if (ce === null) return { ok: false, fr: R.VTD_FR_SM_CTX_READ, fpd: false };
  let fpd = fldn(ce, 'SM_CONTEXT_ENTRY', 'FPD') !== 0;
  if (fldn(ce, 'SM_CONTEXT_ENTRY', 'P') === 0) return { ok: false, fr: R.VTD_FR_SM_CTX_P, fpd };
  if (hasReserved(ce, 'SM_CONTEXT_ENTRY', [haw])) return { ok: false, fr: R.VTD_FR_SM_CTX_RSVD, fpd };
  if (pasid !== undefined && (!caps.pasid || fldn(ce, 'SM_CONTEXT_ENTRY', 'PASIDE') === 0)) return { ok: false, fr: R.VTD_FR_SM_CTX_PASIDE, fpd };
  const p = pasid ?? fldn(ce, 'SM_CONTEXT_ENTRY', 'RID_PASID');
  const dirEntries = 2 ** (fldn(ce, 'SM_CONTEXT_ENTRY', 'PDTS') + PDTS_BASE_LOG2);
  if (p >>> PASID_TABLE_BITS >= dirEntries) return { ok: false, fr: R.VTD_FR_SM_CTX_PDTS, fpd };
  const dirBase = Number(fldAddr(ce, 'SM_CONTEXT_ENTRY', 'PASIDDIRPTR'));
  const de = read(memory, dirBase + (p >>> PASID_TABLE_BITS) * R.VTD_PASID_DIR_ENTRY_SIZE, R.VTD_PASID_DIR_ENTRY_SIZE);
  if (de === null) return { ok: false, fr: R.VTD_FR_SM_PDIR_READ, fpd };
  // The directory entry's FPD also applies (evaluated whether or not the entry is present).
  fpd ||= fldn(de, 'PASID_DIR_ENTRY', 'FPD') !== 0;
  if (fldn(de, 'PASID_DIR_ENTRY', 'P') === 0) return { ok: false, fr: R.VTD_FR_SM_PDIR_P, fpd };
  if (hasReserved(de, 'PASID_DIR_ENTRY', [haw])) return { ok: false, fr: R.VTD_FR_SM_PDIR_RSVD, fpd };
  const tbl = Number(fldAddr(de, 'PASID_DIR_ENTRY', 'SMPTBLPTR'));
  const pe = read(memory, tbl + (p & ((1 << PASID_TABLE_BITS) - 1)) * R.VTD_PASID_ENTRY_SIZE, R.VTD_PASID_ENTRY_SIZE);
  if (pe === null) return { ok: false, fr: R.VTD_FR_SM_PASID_READ, fpd };
  fpd ||= fldn(pe, 'PASID_ENTRY', 'FPD') !== 0;
  if (fldn(pe, 'PASID_ENTRY', 'P') === 0) return { ok: false, fr: R.VTD_FR_SM_PASID_P, fpd };
  if (hasReserved(pe, 'PASID_ENTRY', [haw, 0n, haw])) return { ok: false, fr: R.VTD_FR_SM_PASID_RSVD, fpd };
  const pgtt = fldn(pe, 'PASID_ENTRY', 'PGTT');
  const cfg: PasidConfig = {
    fpd, pgtt, did: fldn(pe, 'PASID_ENTRY', 'DID'),
    aw: fldn(pe, 'PASID_ENTRY', 'AW'), ssptptr: Number(fldAddr(pe, 'PASID_ENTRY', 'SSPTPTR')),
    ssExec: fldn(pe, 'PASID_ENTRY', 'SSEE') !== 0, ssAd: fldn(pe, 'PASID_ENTRY', 'SSADE') !== 0,
    fsptptr: Number(fldAddr(pe, 'PASID_ENTRY', 'FSPTPTR')),
    fsLevels: fldn(pe, 'PASID_ENTRY', 'FSPM') === R.VTD_PASID_ENTRY_FSPM_LEVEL5 ? 5 : 4,
    nxe: fldn(pe, 'PASID_ENTRY', 'NXE') !== 0, wpe: fldn(pe, 'PASID_ENTRY', 'WPE') !== 0, smep: fldn(pe, 'PASID_ENTRY', 'SMEP') !== 0,
    sre: fldn(pe, 'PASID_ENTRY', 'SRE') !== 0, ere: fldn(pe, 'PASID_ENTRY', 'ERE') !== 0,
  };
  // PGTT must name a supported type, and its tables a supported shape (vtd.md 2.6).
  const ssOk = (caps.sagaw & (1 << cfg.aw)) !== 0;
  const fsOk = cfg.fsLevels === 4; // CAP.FS5LP = 0
  const valid =
    (pgtt === R.VTD_PASID_ENTRY_PGTT_FIRST_STAGE && caps.firstStage && fsOk) ||
    (pgtt === R.VTD_PASID_ENTRY_PGTT_SECOND_STAGE && caps.secondStage && ssOk) ||
    (pgtt === R.VTD_PASID_ENTRY_PGTT_NESTED && caps.nested && ssOk && fsOk) ||
    (pgtt === R.VTD_PASID_ENTRY_PGTT_PASS_THROUGH && caps.pt);
  if (!valid) return { ok: false, fr: R.VTD_FR_SM_PASID_INV, fpd };
  return { ok: true, pasid: p, cfg };
}

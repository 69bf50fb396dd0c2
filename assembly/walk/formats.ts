// Format registry: the ids and the three dispatch points of the walk engine (see the contract
// at the top of engine.ts). A new format adds its id here (append, never renumber: the
// TypeScript facade mirrors the numbers in src/core/walk-abi.ts), one file under
// assembly/formats/, and one `case` in each switch below.
import { CFG_FORMAT, ST_BAD_CONFIG, D_FAULT, RES_STATUS } from './layout';
import { vmsaSetup, vmsaSelect, vmsaDecode } from '../formats/vmsav8';
import { vtdSsDecode, vtdSsSelect, vtdSsSetup } from '../formats/vtd-ss';
import { tceDecode, tceSelect, tceSetup } from '../formats/tce';
import { vtdFsDecode, vtdFsSelect, vtdFsSetup } from '../formats/vtd-fs';
import { flatDecode, flatSelect, flatSetup } from '../formats/flat';
import { dartDecode, dartSelect, dartSetup } from '../formats/dart';
import { rockchipDecode, rockchipSelect, rockchipSetup } from '../formats/rockchip';

export const FMT_NONE: u32 = 0;
/** VMSAv8-64 stage 1 (TTB0/TTB1, 4K/16K/64K). */
export const FMT_VMSA_S1: u32 = 1;
/** VMSAv8-64 stage 2 (VTTB, SL0, concatenated start tables). */
export const FMT_VMSA_S2: u32 = 2;
/** Intel VT-d second stage (AW 39/48/57-bit, SLLPS large pages). */
export const FMT_VTD_SS: u32 = 3;
/** IBM POWER TCE tables (1-5 levels, any TCE page shift). */
export const FMT_TCE: u32 = 4;
/** Intel VT-d first stage (x86-64 4/5-level paging). */
export const FMT_VTD_FS: u32 = 5;
/** Flat single-level 32-bit tables (MediaTek M4U v1, Tegra GART). */
export const FMT_FLAT: u32 = 6;
/** Apple DART (DART1 t8020 / DART2 t6000-t8110 PTEs, 2 or 3 tables below 1 or 4 TTBRs). */
export const FMT_DART: u32 = 7;
/** Rockchip v1 / v2 (DTE -> PTE, 32-bit entries, 4 KiB pages over a 32-bit IOVA). */
export const FMT_ROCKCHIP: u32 = 8;

/** Derives the context's regions and geometry from its parameters; returns a CFG_* code. */
export function fmtSetup(fmt: u32, c: usize): u32 {
  switch (fmt) {
    case FMT_VMSA_S1:
      return vmsaSetup(c, 1);
    case FMT_VMSA_S2:
      return vmsaSetup(c, 2);
    case FMT_VTD_SS:
      return vtdSsSetup(c);
    case FMT_TCE:
      return tceSetup(c);
    case FMT_VTD_FS:
      return vtdFsSetup(c);
    case FMT_FLAT:
      return flatSetup(c);
    case FMT_DART:
      return dartSetup(c);
    case FMT_ROCKCHIP:
      return rockchipSetup(c);
  }
  return CFG_FORMAT;
}

/**
 * Picks the region that translates `va`, or returns 0 after writing the fault (status,
 * reason, level) into the result record `res`.
 */
export function fmtSelect(fmt: u32, c: usize, va: u64, res: usize): usize {
  switch (fmt) {
    case FMT_VMSA_S1:
    case FMT_VMSA_S2:
      return vmsaSelect(c, va, res);
    case FMT_VTD_SS:
      return vtdSsSelect(c, va, res);
    case FMT_TCE:
      return tceSelect(c, va, res);
    case FMT_VTD_FS:
      return vtdFsSelect(c, va, res);
    case FMT_FLAT:
      return flatSelect(c, va, res);
    case FMT_DART:
      return dartSelect(c, va, res);
    case FMT_ROCKCHIP:
      return rockchipSelect(c, va, res);
  }
  store<u32>(res + RES_STATUS, ST_BAD_CONFIG);
  return 0;
}

/**
 * Decodes the descriptor read at `step` of region `r` (architectural `level`): D_TABLE,
 * D_LEAF or D_FAULT (see engine.ts).
 */
export function fmtDecode(fmt: u32, c: usize, r: usize, step: u32, level: i32, desc: u64, va: u64, acc: u32, res: usize): u32 {
  switch (fmt) {
    case FMT_VMSA_S1:
    case FMT_VMSA_S2:
      return vmsaDecode(c, r, step, level, desc, va, acc, res);
    case FMT_VTD_SS:
      return vtdSsDecode(c, r, step, level, desc, va, acc, res);
    case FMT_TCE:
      return tceDecode(c, r, step, level, desc, va, acc, res);
    case FMT_VTD_FS:
      return vtdFsDecode(c, r, step, level, desc, va, acc, res);
    case FMT_FLAT:
      return flatDecode(c, r, step, level, desc, va, acc, res);
    case FMT_DART:
      return dartDecode(c, r, step, level, desc, va, acc, res);
    case FMT_ROCKCHIP:
      return rockchipDecode(c, r, step, level, desc, va, acc, res);
  }
  store<u32>(res + RES_STATUS, ST_BAD_CONFIG);
  return D_FAULT;
}

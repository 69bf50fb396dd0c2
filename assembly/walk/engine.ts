// The walk engine: one table walker for every page-table format (the approach of Linux's
// drivers/iommu/generic_pt). A format is data plus a small decoder.
//
// CONTRACT
//
// Contexts. A walk runs in a context slot (0..MAX_CTX-1), a CTX_BYTES block of linear memory
// (walk_ctx_ptr). The embedder writes CTX_FMT, the format's parameters (CTX_P: u32[12],
// CTX_A: f64[4] table base addresses; their meaning is documented by each format) and
// CTX_NEXT, then sets CTX_STATE = CS_DIRTY (or calls walk_setup). Setup turns the parameters
// into the *format descriptor*, the data the engine walks with: one or two regions (e.g.
// VMSA TTB0/TTB1), each with its root table address, granule, entry size, number of levels,
// input size and, per level, the index field position/width and the architectural level
// number it reports. Setup errors (CFG_*) are architected outcomes, not exceptions: walks of
// such a context return ST_BAD_CONFIG and the hardware model maps that onto its own error
// (SMMUv3 C_BAD_CD / C_BAD_STE).
//
// Dispatch. formats.ts switches on the format id at three points, with no closures:
//   fmtSetup(fmt, ctx)                 parameters -> regions and geometry (CFG_* code)
//   fmtSelect(fmt, ctx, va, res)       the region translating va, or 0 after writing the
//                                      fault (input out of range, region disabled)
//   fmtDecode(fmt, ctx, reg, step, level, desc, va, acc, res)
//                                      one descriptor: D_TABLE (next table address in
//                                      DEC_NEXT, hierarchical attributes folded into
//                                      DEC_TACC), D_LEAF (RES_OA, RES_PERM, RES_PERM_ALL,
//                                      RES_PAGE_SHIFT, RES_ATTRS written; DEC_WANT=1 asks the
//                                      engine to write DEC_UPDATE back, e.g. hardware AF or
//                                      dirty-state update) or D_FAULT (RES_STATUS and
//                                      RES_REASON written; the decoder picks the fault kind).
// The DEC scratch is only valid during one fmtDecode call (nested stage-2 walks reuse it);
// the engine carries DEC_TACC across levels in a local.
// Setup may also leave format-private values in each region's REG_X0..REG_X3 (masks, feature
// bits) so the decoder's hot path is a few loads and ands.
// The engine owns everything else: range of steps, index extraction, the descriptor read
// (8- or 4-byte little-endian entries through mem.ts: core RAM, embedder memory, or an
// external abort -> ST_EXT_ABORT), the level/entry fields of the result, descriptor
// write-back, and nesting.
//
// Nesting. When CTX_NEXT = 1 + slot (0: none), the context's table addresses (including the root) and its
// output addresses are intermediate addresses translated by that stage-2 context: every
// descriptor address goes through a stage-2 walk (ACC_TTW, read; write for a descriptor
// update) before it is fetched, and a leaf's output goes through a stage-2 walk with the
// original access. A stage-2 fault during a table fetch is reported with RES_STAGE=2 and
// F_NESTED_TT (SMMU: S2=1, CLASS=TT); on the final output with RES_STAGE=2 and F_NESTED
// (CLASS=IN). A successful nested walk intersects the permissions, takes the smaller page
// size, and reports the intermediate address in RES_IPA. The nested context must be stage 2
// and must not itself be nested (checked at setup and again at walk time: no recursion beyond
// one level is possible).
//
// Results. Every walk fills the static result record (walk_result_ptr, RES_* layout in
// layout.ts): status (ST_*), output address, permissions granted at the requested privilege
// and for both privileges, page size (log2), level reached, stage, flags (F_*), descriptor
// address and value, attributes (A_*), and a reason code (R_*) saying precisely why a fault
// was raised. Walks allocate nothing and return the status; the embedder reads the rest
// through typed-array views of linear memory, so one call crosses the JS/WASM boundary once.
//
// Adding a format: a file in assembly/formats/ with setup/select/decode, an id and three
// `case`s in formats.ts, the id in src/core/walk-abi.ts, and (if it needs new fault kinds)
// ST_* / R_* codes appended in layout.ts.
import {
  ACC_TTW, ACC_WRITE, CFG_NESTING, CFG_OK, CFG_UNCONFIGURED, CS_DIRTY, CS_EMPTY, CS_INVALID, CS_READY,
  CTX_BYTES, CTX_CFG_ERR, CTX_FMT, CTX_NEXT, CTX_STAGE, CTX_STATE, D_FAULT, D_LEAF, D_TABLE, DEC, DEC_NEXT,
  DEC_TACC, DEC_UPDATE, DEC_WANT, F_NESTED, F_NESTED_TT, F_UPDATED, MAX_CTX, REG_BASE, REG_BITS, REG_ESHIFT,
  REG_LEVEL, REG_SHIFT, REG_STEPS, REG_TACC, REG_TADDR, REG_TMASK, REG_TSHIFT, REG_TSWAP, REG_TVAL, REG_TXOR,
  CTX_REG, REG_BYTES, MAX_REG, RES_ATTRS, RES_BYTES, RES_ENTRY_ADDR, RES_ENTRY_HI, RES_ENTRY_LO, RES_FLAGS,
  RES_IPA, RES_LEVEL, RES_OA, RES_PAGE_SHIFT, RES_PERM, RES_PERM_ALL, RES_REASON, RES_S2_ATTRS, RES_S2_LEVEL,
  RES_S2_PAGE_SHIFT, RES_STAGE, RES_S1_PERM_ALL, RES_S2_PERM_ALL, RES_GRANULE, REG_GSHIFT, RES_STATUS, R_UPDATE_ABORT, R_WALK_ABORT, R_INVALID, ST_BAD_CONFIG,
  ST_EXT_ABORT, ST_OK, ST_TRANSLATION,
} from './layout';
import { fmtDecode, fmtSelect, fmtSetup } from './formats';
import { gpaRead32, gpaRead64, gpaWrite32, gpaWrite64, memAbort } from '../mem';
import { ramLin } from '../ram';
import { fastTableOff } from './fast';

/** Context slots. */
export const CTX_MEM: usize = memory.data(<i32>(<u32>MAX_CTX * CTX_BYTES), 16);
/** The result record of the last walk_* call. */
export const RES: usize = memory.data(<i32>RES_BYTES, 16);
/** Scratch result of nested stage-2 walks. */
const RES2: usize = memory.data(<i32>RES_BYTES, 16);

// @ts-ignore: decorator
@inline
export function ctxPtr(slot: i32): usize {
  return CTX_MEM + <usize>slot * <usize>CTX_BYTES;
}

/** Runs the format's setup for `slot` and records the outcome; returns a CFG_* code. */
export function setupCtx(slot: i32): u32 {
  const c = ctxPtr(slot);
  let err: u32 = CFG_OK;
  if (load<u32>(c + CTX_STATE) == CS_EMPTY) {
    err = CFG_UNCONFIGURED;
  } else {
    for (let i: u32 = 0; i < MAX_REG; i++) fastTableOff(c + CTX_REG + i * REG_BYTES);
    err = fmtSetup(load<u32>(c + CTX_FMT), c);
    const next = load<i32>(c + CTX_NEXT) - 1;
    if (err == CFG_OK && next >= 0) {
      if (next >= MAX_CTX || next == slot || load<u32>(c + CTX_STAGE) != 1) {
        err = CFG_NESTING;
      } else {
        const n = ctxPtr(next);
        if (load<i32>(n + CTX_NEXT) != 0) err = CFG_NESTING;
        else {
          if (load<u32>(n + CTX_STATE) == CS_DIRTY) setupCtx(next);
          if (load<u32>(n + CTX_STATE) != CS_READY || load<u32>(n + CTX_STAGE) != 2) err = CFG_NESTING;
        }
      }
    }
  }
  store<u32>(c + CTX_CFG_ERR, err);
  store<u32>(c + CTX_STATE, err == CFG_OK ? CS_READY : CS_INVALID);
  return err;
}

// @ts-ignore: decorator
@inline
function resetResult(res: usize, stage: u32): void {
  store<u32>(res + RES_STATUS, ST_OK);
  store<u32>(res + RES_PERM, 0);
  store<f64>(res + RES_OA, 0);
  store<f64>(res + RES_IPA, 0);
  store<f64>(res + RES_ENTRY_ADDR, -1);
  store<u64>(res + RES_ENTRY_LO, 0);
  store<u32>(res + RES_PAGE_SHIFT, 0);
  store<i32>(res + RES_LEVEL, -1);
  store<u32>(res + RES_STAGE, stage);
  store<u32>(res + RES_FLAGS, 0);
  store<u32>(res + RES_ATTRS, 0);
  store<u32>(res + RES_S2_ATTRS, 0);
  store<u32>(res + RES_PERM_ALL, 0);
  store<i32>(res + RES_S2_LEVEL, -1);
  store<u32>(res + RES_REASON, 0);
  store<u32>(res + RES_S2_PAGE_SHIFT, 0);
  store<u32>(res + RES_S1_PERM_ALL, 0);
  store<u32>(res + RES_S2_PERM_ALL, 0);
  store<u32>(res + RES_GRANULE, 0);
}

/** Copies a stage-2 fault from RES2 into `res`, tagged with what stage 1 was doing. */
function nestedFault(res: usize, ipa: u64, flags: u32): u32 {
  memory.copy(res, RES2, RES_BYTES);
  store<u32>(res + RES_STAGE, 2);
  store<f64>(res + RES_IPA, <f64>ipa);
  store<u32>(res + RES_FLAGS, load<u32>(RES2 + RES_FLAGS) | flags);
  return load<u32>(res + RES_STATUS);
}

/**
 * Walks `va` in context `slot` with access `acc` (ACC_*), writing the result record `res`.
 * `nested` marks a stage-2 walk made on behalf of a stage-1 context.
 */
export function walkCtx(slot: i32, va: u64, acc: u32, res: usize, nested: bool): u32 {
  const c = ctxPtr(slot);
  let state = load<u32>(c + CTX_STATE);
  if (state != CS_READY) {
    if (state == CS_DIRTY) setupCtx(slot);
    state = load<u32>(c + CTX_STATE);
  }
  resetResult(res, load<u32>(c + CTX_STAGE));
  if (state != CS_READY) {
    store<u32>(res + RES_STATUS, ST_BAD_CONFIG);
    return ST_BAD_CONFIG;
  }
  const next = load<i32>(c + CTX_NEXT) - 1;
  if (nested && (next >= 0 || load<u32>(c + CTX_STAGE) != 2)) {
    store<u32>(res + RES_STATUS, ST_BAD_CONFIG);
    return ST_BAD_CONFIG;
  }
  const fmt = load<u32>(c + CTX_FMT);
  const r = fmtSelect(fmt, c, va, res);
  if (r == 0) return load<u32>(res + RES_STATUS);

  store<u32>(res + RES_GRANULE, load<u32>(r + REG_GSHIFT));
  let table = load<u64>(r + REG_BASE);
  const steps = load<u32>(r + REG_STEPS);
  const eshift = <u64>load<u32>(r + REG_ESHIFT);
  const esize = <u64>1 << eshift;
  // The format's plain-table pattern (fast.ts), in locals for the loop.
  const tmask = load<u64>(r + REG_TMASK);
  const tval = load<u64>(r + REG_TVAL);
  const taddr = load<u64>(r + REG_TADDR);
  const txor = load<u64>(r + REG_TXOR);
  const taccm = load<u32>(r + REG_TACC);
  const tshift = <u64>load<u32>(r + REG_TSHIFT);
  const tswap = load<u32>(r + REG_TSWAP) != 0;
  // Hierarchical attributes live in a local: nested stage-2 walks reuse the DEC scratch.
  // The level, descriptor address and value are written to the result only when the walk
  // stops or the decoder is called (decoders may read RES_ENTRY_ADDR).
  let tacc: u32 = 0;
  for (let s: u32 = 0; s < steps; s++) {
    const shift = <u64>load<u8>(r + REG_SHIFT + s);
    const bits = <u64>load<u8>(r + REG_BITS + s);
    const ia = table + (((va >> shift) & ((<u64>1 << bits) - 1)) << eshift);
    let pa = ia;
    if (next >= 0) {
      if (walkCtx(next, ia, ACC_TTW, RES2, true) != ST_OK) return nestedFault(res, ia, F_NESTED_TT);
      pa = <u64>load<f64>(RES2 + RES_OA);
    }
    // Descriptor read: core RAM with a plain load, anything else through mem.ts (embedder or abort).
    let desc: u64;
    const lin = ramLin(pa, esize);
    if (lin >= 0) desc = eshift == 3 ? load<u64>(<usize>lin) : <u64>load<u32>(<usize>lin);
    else {
      desc = eshift == 3 ? gpaRead64(<f64>pa) : <u64>gpaRead32(<f64>pa);
      if (memAbort) {
        store<i32>(res + RES_LEVEL, <i32>load<i8>(r + REG_LEVEL + s));
        store<f64>(res + RES_ENTRY_ADDR, <f64>pa);
        store<u64>(res + RES_ENTRY_LO, 0); // nothing was read there
        store<u32>(res + RES_STATUS, ST_EXT_ABORT);
        store<u32>(res + RES_REASON, R_WALK_ABORT);
        return ST_EXT_ABORT;
      }
    }
    if (s + 1 < steps) {
      const dd = tswap ? bswap<u64>(desc) : desc;
      if ((dd & tmask) == tval) {
        table = dd & taddr;
        tacc |= <u32>((dd ^ txor) >> tshift) & taccm;
        continue;
      }
    }
    const level = <i32>load<i8>(r + REG_LEVEL + s);
    store<i32>(res + RES_LEVEL, level);
    store<f64>(res + RES_ENTRY_ADDR, <f64>pa);
    store<u64>(res + RES_ENTRY_LO, desc);
    store<u32>(DEC + DEC_TACC, tacc);
    const action = fmtDecode(fmt, c, r, s, level, desc, va, acc, res);
    if (action == D_TABLE) {
      table = load<u64>(DEC + DEC_NEXT);
      tacc = load<u32>(DEC + DEC_TACC);
      continue;
    }
    if (action != D_LEAF) return load<u32>(res + RES_STATUS);

    // Leaf. Hardware descriptor update first (the walk saw no fault), then nesting.
    if (load<u32>(DEC + DEC_WANT) != 0) {
      const nv = load<u64>(DEC + DEC_UPDATE);
      let wpa = pa;
      if (next >= 0) {
        if (walkCtx(next, ia, ACC_TTW | ACC_WRITE, RES2, true) != ST_OK) return nestedFault(res, ia, F_NESTED_TT);
        wpa = <u64>load<f64>(RES2 + RES_OA);
      }
      const ok = eshift == 3 ? gpaWrite64(<f64>wpa, nv) : gpaWrite32(<f64>wpa, <u32>nv);
      if (!ok) {
        store<u32>(res + RES_STATUS, ST_EXT_ABORT);
        store<u32>(res + RES_REASON, R_UPDATE_ABORT);
        store<f64>(res + RES_ENTRY_ADDR, <f64>wpa);
        return ST_EXT_ABORT;
      }
      store<u64>(res + RES_ENTRY_LO, nv);
      store<u32>(res + RES_FLAGS, load<u32>(res + RES_FLAGS) | F_UPDATED);
    }
    if (next >= 0) {
      const ipa = <u64>load<f64>(res + RES_OA);
      const flags = load<u32>(res + RES_FLAGS) | F_NESTED;
      if (walkCtx(next, ipa, acc & ~ACC_TTW, RES2, true) != ST_OK) {
        return nestedFault(res, ipa, flags);
      }
      store<f64>(res + RES_IPA, <f64>ipa);
      store<f64>(res + RES_OA, load<f64>(RES2 + RES_OA));
      store<u32>(res + RES_S1_PERM_ALL, load<u32>(res + RES_PERM_ALL));
      store<u32>(res + RES_S2_PERM_ALL, load<u32>(RES2 + RES_PERM_ALL));
      store<u32>(res + RES_PERM, load<u32>(res + RES_PERM) & load<u32>(RES2 + RES_PERM));
      store<u32>(res + RES_PERM_ALL, load<u32>(res + RES_PERM_ALL) & load<u32>(RES2 + RES_PERM_ALL));
      const s1shift = load<u32>(res + RES_PAGE_SHIFT);
      const s2shift = load<u32>(RES2 + RES_PAGE_SHIFT);
      store<u32>(res + RES_PAGE_SHIFT, s2shift < s1shift ? s2shift : s1shift);
      store<u32>(res + RES_S2_PAGE_SHIFT, s2shift);
      store<i32>(res + RES_S2_LEVEL, load<i32>(RES2 + RES_LEVEL));
      store<u32>(res + RES_S2_ATTRS, load<u32>(RES2 + RES_ATTRS));
      store<u32>(res + RES_FLAGS, flags | (load<u32>(RES2 + RES_FLAGS) & F_UPDATED));
    }
    return ST_OK;
  }
  // A well-formed format ends every walk with a leaf or a fault at its last step.
  store<u32>(res + RES_STATUS, ST_TRANSLATION);
  store<u32>(res + RES_REASON, R_INVALID);
  return ST_TRANSLATION;
}

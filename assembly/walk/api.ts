// Exports of the walk engine (re-exported by assembly/index.ts). Numbers only; see engine.ts.
import {
  BATCH_IN_BYTES, BATCH_MAX, BATCH_OUT_BYTES, CTX_BYTES, CTX_CFG_ERR, CTX_FMT, CTX_NEXT, CTX_P, CTX_A, CTX_STATE,
  MAX_CTX, RES_BYTES, RES_STATUS, RES_PERM, RES_OA, RES_IPA, RES_ENTRY_ADDR, RES_ENTRY_LO, RES_ENTRY_HI,
  RES_PAGE_SHIFT, RES_LEVEL, RES_STAGE, RES_FLAGS, RES_ATTRS, RES_S2_ATTRS, RES_PERM_ALL, RES_S2_LEVEL,
  RES_REASON, RES_S2_PAGE_SHIFT, RES_S1_PERM_ALL, RES_S2_PERM_ALL, RES_GRANULE, ST_OK, CS_EMPTY, CS_READY, CS_INVALID, CS_DIRTY,
} from './layout';
import { RES, ctxPtr, setupCtx, walkCtx } from './engine';
import { setFastEnabled } from './fast';

const BATCH_IN: usize = memory.data(<i32>BATCH_MAX * <i32>BATCH_IN_BYTES, 16);
const BATCH_OUT: usize = memory.data(<i32>BATCH_MAX * <i32>BATCH_OUT_BYTES, 16);

/** Linear-memory address of context `slot` (0 when out of range). */
export function walk_ctx_ptr(slot: i32): usize {
  if (slot < 0 || slot >= MAX_CTX) return 0;
  return ctxPtr(slot);
}

/** Clears context `slot` (walks then report ST_BAD_CONFIG until it is configured again). */
export function walk_ctx_clear(slot: i32): void {
  if (slot < 0 || slot >= MAX_CTX) return;
  memory.fill(ctxPtr(slot), 0, CTX_BYTES);
  store<u32>(ctxPtr(slot) + CTX_STATE, CS_EMPTY);
}

/** Derives the geometry of `slot` from its parameters now; returns CFG_* (0 = valid). */
export function walk_setup(slot: i32): u32 {
  if (slot < 0 || slot >= MAX_CTX) return 0xffffffff;
  return setupCtx(slot);
}

/**
 * Test hook: 0 makes every context set up from now on walk without the plain-table fast path
 * (fast.ts), so tests can prove both paths give the same results; 1 restores it. Configured
 * contexts are set up again before their next walk.
 */
export function walk_fast_enable(on: i32): void {
  setFastEnabled(on != 0);
  for (let i = 0; i < MAX_CTX; i++) {
    const c = ctxPtr(i);
    const st = load<u32>(c + CTX_STATE);
    if (st == CS_READY || st == CS_INVALID) store<u32>(c + CTX_STATE, CS_DIRTY);
  }
}

/** Linear-memory address of the result record. */
export function walk_result_ptr(): usize {
  return RES;
}

/** Walks an input address below 2^53 (exact as f64). Returns the status; details in the result record. */
export function walk_va(slot: i32, va: f64, acc: u32): u32 {
  return walkCtx(slot, <u64>va, acc, RES, false);
}

/** Walks a full 64-bit input address given as two 32-bit halves (e.g. TTB1 addresses). */
export function walk_va64(slot: i32, lo: u32, hi: u32, acc: u32): u32 {
  return walkCtx(slot, (<u64>hi << 32) | <u64>lo, acc, RES, false);
}

/**
 * Walks the first `n` entries of the batch input buffer (f64 address, u32 access) and writes
 * f64 output address, u32 status and u32 (permAll | pageShift << 8) per entry to the batch
 * output buffer. Returns how many walks succeeded. The result record holds the last walk.
 */
export function walk_batch(slot: i32, n: i32): i32 {
  if (n > BATCH_MAX) n = BATCH_MAX;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const pin = BATCH_IN + <usize>i * BATCH_IN_BYTES;
    const pout = BATCH_OUT + <usize>i * BATCH_OUT_BYTES;
    const st = walkCtx(slot, <u64>load<f64>(pin), load<u32>(pin, 8), RES, false);
    store<f64>(pout, load<f64>(RES + RES_OA));
    store<u32>(pout, st, 8);
    store<u32>(pout, load<u32>(RES + RES_PERM_ALL) | (load<u32>(RES + RES_PAGE_SHIFT) << 8), 12);
    if (st == ST_OK) ok++;
  }
  return ok;
}

export function walk_batch_in_ptr(): usize {
  return BATCH_IN;
}
export function walk_batch_out_ptr(): usize {
  return BATCH_OUT;
}

/**
 * Layout self-description, so the TypeScript mirror (src/core/walk-abi.ts) can be checked:
 * key 0 = ABI version, then the sizes and offsets in the order listed below.
 */
export function walk_abi(key: i32): i32 {
  switch (key) {
    case 0: return 1;
    case 1: return MAX_CTX;
    case 2: return <i32>CTX_BYTES;
    case 3: return <i32>CTX_FMT;
    case 4: return <i32>CTX_STATE;
    case 5: return <i32>CTX_NEXT;
    case 6: return <i32>CTX_CFG_ERR;
    case 7: return <i32>CTX_P;
    case 8: return <i32>CTX_A;
    case 9: return <i32>RES_BYTES;
    case 10: return <i32>RES_STATUS;
    case 11: return <i32>RES_PERM;
    case 12: return <i32>RES_OA;
    case 13: return <i32>RES_IPA;
    case 14: return <i32>RES_ENTRY_ADDR;
    case 15: return <i32>RES_ENTRY_LO;
    case 16: return <i32>RES_ENTRY_HI;
    case 17: return <i32>RES_PAGE_SHIFT;
    case 18: return <i32>RES_LEVEL;
    case 19: return <i32>RES_STAGE;
    case 20: return <i32>RES_FLAGS;
    case 21: return <i32>RES_ATTRS;
    case 22: return <i32>RES_S2_ATTRS;
    case 23: return <i32>RES_PERM_ALL;
    case 24: return <i32>RES_S2_LEVEL;
    case 25: return <i32>RES_REASON;
    case 26: return <i32>RES_S2_PAGE_SHIFT;
    case 27: return BATCH_MAX;
    case 28: return <i32>BATCH_IN_BYTES;
    case 29: return <i32>BATCH_OUT_BYTES;
    case 30: return <i32>RES_S1_PERM_ALL;
    case 31: return <i32>RES_S2_PERM_ALL;
    case 32: return <i32>RES_GRANULE;
  }
  return -1;
}

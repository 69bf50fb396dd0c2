// The plain-table fast path of the walk engine, as data.
//
// Most descriptors a walk reads are ordinary table descriptors: valid, pointing to the next
// table, no reserved bits, nothing to update. Calling the format's decoder for each costs a
// dispatch and a round trip through the DEC scratch; instead a format describes, at setup,
// the one bit pattern it decodes as "plain table" (fastTable below) and the engine tests it
// inline. Anything else - leaves, faults, tables with unusual bits (e.g. an access flag the
// hardware must set) - still goes to the decoder, which stays the single authority: the
// pattern must be a subset of what the decoder would answer D_TABLE for, with the same next
// address and the same DEC_TACC contribution. test/core/walk-fast.test.ts checks that
// property by walking every format with the fast path on and off.
import { REG_TACC, REG_TADDR, REG_TMASK, REG_TSHIFT, REG_TSWAP, REG_TVAL, REG_TXOR } from './layout';

/** Switches region `r`'s fast path off (the engine does this before every setup). */
export function fastTableOff(r: usize): void {
  store<u64>(r + REG_TMASK, 0);
  store<u64>(r + REG_TVAL, 1);
  store<u64>(r + REG_TADDR, 0);
  store<u64>(r + REG_TXOR, 0);
  store<u32>(r + REG_TACC, 0);
  store<u32>(r + REG_TSHIFT, 0);
  store<u32>(r + REG_TSWAP, 0);
}

/**
 * Declares region `r`'s plain table descriptor: (d & mask) == value at a non-final step
 * (d byte-swapped first when `swap`) is a table at d & addr whose contribution to DEC_TACC is
 * ((d ^ xor) >> shift) & acc.
 */
export function fastTable(r: usize, mask: u64, value: u64, addr: u64, xor: u64, shift: u32, acc: u32, swap: bool): void {
  if (!fastEnabled) return;
  store<u64>(r + REG_TMASK, mask);
  store<u64>(r + REG_TVAL, value);
  store<u64>(r + REG_TADDR, addr);
  store<u64>(r + REG_TXOR, xor);
  store<u32>(r + REG_TACC, acc);
  store<u32>(r + REG_TSHIFT, shift);
  store<u32>(r + REG_TSWAP, swap ? 1 : 0);
}

/** Test hook (walk_fast_enable): when false, setups install no fast path, so the decoder sees every descriptor. */
export let fastEnabled: bool = true;
export function setFastEnabled(on: bool): void {
  fastEnabled = on;
}

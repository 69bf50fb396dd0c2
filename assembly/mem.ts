// Guest-physical memory as the translation core sees it: page-table entries are read (and,
// for hardware-managed flags and the page-table writer, written) at guest-physical
// addresses. RAM that lives in this module's linear memory is reached with plain loads
// through ramLin(); anything else goes to the embedder through imported callbacks.
// An address nobody backs is an external abort: the access reports failure through
// `memAbort` and the walker turns that into the format's abort fault — never a trap.
import { ramLin } from './ram';

/** Embedder read of 8 bytes at `gpa` into linear memory at `out`; returns 0 on success, non-zero on abort. */
@external("env", "ext_read")
declare function ext_read(gpa: f64, out: usize, len: u32): i32;
/** Embedder write of `len` bytes at `gpa` from linear memory at `src`; returns 0 on success, non-zero on abort. */
@external("env", "ext_write")
declare function ext_write(gpa: f64, src: usize, len: u32): i32;

const scratch = new StaticArray<u64>(1);

/** Set by the accessors below when the last access aborted (cleared on success). */
export let memAbort: bool = false;

/** Reads the little-endian 64-bit value at guest-physical `gpa` (0 and memAbort=true on abort). */
export function gpaRead64(gpa: f64): u64 {
  const off = gpa >= 0 ? ramLin(<u64>gpa, 8) : -1;
  if (off >= 0) {
    memAbort = false;
    return load<u64>(<usize>off);
  }
  const p = changetype<usize>(scratch);
  if (ext_read(gpa, p, 8) != 0) {
    memAbort = true;
    return 0;
  }
  memAbort = false;
  return load<u64>(p);
}

/** Reads the little-endian 32-bit value at `gpa` (0 and memAbort=true on abort). */
export function gpaRead32(gpa: f64): u32 {
  const off = gpa >= 0 ? ramLin(<u64>gpa, 4) : -1;
  if (off >= 0) {
    memAbort = false;
    return load<u32>(<usize>off);
  }
  const p = changetype<usize>(scratch);
  if (ext_read(gpa, p, 4) != 0) {
    memAbort = true;
    return 0;
  }
  memAbort = false;
  return load<u32>(p);
}

/** Writes a little-endian 64-bit value at `gpa`; returns false on abort. */
export function gpaWrite64(gpa: f64, value: u64): bool {
  const off = gpa >= 0 ? ramLin(<u64>gpa, 8) : -1;
  if (off >= 0) {
    store<u64>(<usize>off, value);
    memAbort = false;
    return true;
  }
  const p = changetype<usize>(scratch);
  store<u64>(p, value);
  memAbort = ext_write(gpa, p, 8) != 0;
  return !memAbort;
}

/** Writes a little-endian 32-bit value at `gpa`; returns false on abort. */
export function gpaWrite32(gpa: f64, value: u32): bool {
  const off = gpa >= 0 ? ramLin(<u64>gpa, 4) : -1;
  if (off >= 0) {
    store<u32>(<usize>off, value);
    memAbort = false;
    return true;
  }
  const p = changetype<usize>(scratch);
  store<u32>(p, value);
  memAbort = ext_write(gpa, p, 4) != 0;
  return !memAbort;
}

/** Exported probe for tests: reads 64 bits at `gpa`; lo returned, hi via ram_hi(); -1/abort flag via mem_aborted(). */
export function mem_read64_lo(gpa: f64): i32 {
  const v = gpaRead64(gpa);
  probeHi = <u32>(v >>> 32);
  return <i32>(<u32>v);
}
let probeHi: u32 = 0;
export function mem_read64_hi(): u32 {
  return probeHi;
}
export function mem_aborted(): i32 {
  return memAbort ? 1 : 0;
}

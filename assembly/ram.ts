// Guest RAM inside this module's linear memory, and the map from guest-physical
// addresses to linear offsets that the table walker (and DMA fast paths) use.
//
// RAM blocks are carved from the top of linear memory with memory.grow, page aligned,
// and never freed: machines allocate their RAM once at creation. The map is a small
// fixed table (machines have a handful of RAM ranges), searched linearly with a
// last-hit shortcut.

const WASM_PAGE: u32 = 65536;
const MAX_RANGES: i32 = 16;

// Each range: guest base, size (f64: exact up to 2^53), linear offset (u32).
const rangeBase = new StaticArray<f64>(MAX_RANGES);
const rangeSize = new StaticArray<f64>(MAX_RANGES);
const rangeOffset = new StaticArray<u32>(MAX_RANGES);
let rangeCount: i32 = 0;
let lastHit: i32 = 0;

/** Allocates `size` bytes of zeroed RAM; returns its linear offset, or 0 if memory cannot grow. */
export function ram_alloc(size: u32): u32 {
  const pages = (size + WASM_PAGE - 1) / WASM_PAGE;
  const before = memory.grow(<i32>pages);
  if (before < 0) return 0;
  return <u32>before * WASM_PAGE;
}

/** Maps guest-physical [gpa, gpa+size) onto linear [offset, offset+size). Returns the range index or -1 when full. */
export function ram_map(gpa: f64, size: f64, offset: u32): i32 {
  if (rangeCount >= MAX_RANGES) return -1;
  unchecked((rangeBase[rangeCount] = gpa));
  unchecked((rangeSize[rangeCount] = size));
  unchecked((rangeOffset[rangeCount] = offset));
  return rangeCount++;
}

/** Removes every mapping (machine reset of its memory map). */
export function ram_unmap_all(): void {
  rangeCount = 0;
  lastHit = 0;
}

/**
 * Linear offset of guest-physical `gpa` when [gpa, gpa+len) lies inside one RAM range,
 * else -1 (the caller then reaches the embedder or reports an external abort).
 */
export function ram_translate(gpa: f64, len: u32): f64 {
  let i = lastHit;
  if (i < rangeCount) {
    const b = unchecked(rangeBase[i]);
    if (gpa >= b && gpa + <f64>len <= b + unchecked(rangeSize[i])) {
      return <f64>unchecked(rangeOffset[i]) + (gpa - b);
    }
  }
  for (i = 0; i < rangeCount; i++) {
    const b = unchecked(rangeBase[i]);
    if (gpa >= b && gpa + <f64>len <= b + unchecked(rangeSize[i])) {
      lastHit = i;
      return <f64>unchecked(rangeOffset[i]) + (gpa - b);
    }
  }
  return -1;
}

/** Reads a little-endian 64-bit word of guest RAM as two halves (lo returned, hi via ram_hi()). */
let hiWord: u32 = 0;
export function ram_read64_lo(gpa: f64): i32 {
  const off = ram_translate(gpa, 8);
  if (off < 0) {
    hiWord = 0xffffffff;
    return -1;
  }
  const v = load<u64>(<usize>off);
  hiWord = <u32>(v >>> 32);
  return <i32>(<u32>v);
}
export function ram_hi(): u32 {
  return hiWord;
}

// Guest RAM inside this module's linear memory, and the map from guest-physical
// addresses to linear offsets that the table walker (and DMA fast paths) use.
//
// RAM blocks are carved from the top of linear memory with memory.grow, page aligned,
// and never freed: machines allocate their RAM once at creation. The map is a small
// fixed table (machines have a handful of RAM ranges), searched linearly.
//
// Hot path: walks read descriptors with ramLin(), which checks the range that answered
// last (kept in three u64 globals) with one subtraction and one unsigned compare; only a
// miss searches the table. Integers throughout: an f64 range check costs several times
// more per descriptor.

const WASM_PAGE: u32 = 65536;
const MAX_RANGES: i32 = 16;

const rangeBase = new StaticArray<u64>(MAX_RANGES);
const rangeSize = new StaticArray<u64>(MAX_RANGES);
const rangeOffset = new StaticArray<u64>(MAX_RANGES);
let rangeCount: i32 = 0;
// The range that answered last: guest base, size, linear offset. hotSize = 0 when none.
let hotBase: u64 = 0;
let hotSize: u64 = 0;
let hotOff: u64 = 0;

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
  unchecked((rangeBase[rangeCount] = <u64>gpa));
  unchecked((rangeSize[rangeCount] = <u64>size));
  unchecked((rangeOffset[rangeCount] = <u64>offset));
  return rangeCount++;
}

/** Removes every mapping (machine reset of its memory map). */
export function ram_unmap_all(): void {
  rangeCount = 0;
  hotSize = 0;
}

/** Slow path of ramLin: searches the table and makes the answering range the hot one. */
function ramSearch(gpa: u64, len: u64): i64 {
  for (let i = 0; i < rangeCount; i++) {
    const b = unchecked(rangeBase[i]);
    const s = unchecked(rangeSize[i]);
    const rel = gpa - b;
    if (gpa >= b && s >= len && rel <= s - len) {
      hotBase = b;
      hotSize = s;
      hotOff = unchecked(rangeOffset[i]);
      return <i64>(hotOff + rel);
    }
  }
  return -1;
}

/**
 * Linear offset of guest-physical [gpa, gpa+len) when it lies inside one RAM range, else -1
 * (the caller then reaches the embedder or reports an external abort). `len` >= 1.
 */
// @ts-ignore: decorator
@inline
export function ramLin(gpa: u64, len: u64): i64 {
  const rel = gpa - hotBase;
  // One unsigned compare covers gpa < base (rel wraps) and the end; hotSize = 0 never passes.
  if (rel < hotSize && hotSize - rel >= len) return <i64>(hotOff + rel);
  return ramSearch(gpa, len);
}

/** ramLin for JavaScript: addresses as f64 (exact below 2^53). */
export function ram_translate(gpa: f64, len: u32): f64 {
  if (!(gpa >= 0) || len == 0) return -1;
  return <f64>ramLin(<u64>gpa, <u64>len);
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

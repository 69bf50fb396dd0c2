// The tagged IOTLB: one cache structure for every translation format the models use.
//
// An entry caches one translation (a leaf: input page -> output page with permissions and
// attributes) or, for the walk cache, one table pointer (a non-leaf: the table that translates
// a span of the input space). It is tagged by the kind of context that produced it (SMMU
// stage 1 / stage 2 / nested / EL2, VT-d second stage / first stage / nested / pass-through,
// TCE, SoC) and by the identifiers that kind uses: VMID, ASID, DID, PASID, LIOBN (or PE#).
// Pages are any power of two from 4 KiB (shift 12) up to 2^63; an entry covers its whole page.
//
// Structure: set-associative. The set of an entry is a hash of (kind, the kind's "primary"
// identifier, page size, input page number). The primary identifier is the one every
// invalidation of that kind names: VMID for SMMU kinds, DID for VT-d kinds, LIOBN for TCE,
// nothing for SoC. ASID and PASID are deliberately NOT hashed (like a CPU TLB indexed by VA
// bits), so a global entry (nG=0 / G=1) is found from any ASID/PASID with one probe and an
// invalidation by address for all ASIDs (TLBI_NH_VAA) can probe instead of scanning.
//
// Lookup probes, for each page size actually present for the kind (a 64-bit mask per kind,
// maintained with per-size counts), the set of the page that contains the iova: smallest page
// size first, so the result is deterministic even when overlapping entries coexist. In a set,
// a 16-bit signature per way (from the same hash) is compared four ways at a time in one u64,
// so only candidate entries are read. Before that, a direct-mapped micro-TLB (L0, below)
// answers repeated lookups of recently translated 4 KiB lines without hashing.
//
// Which entry answers when several match (the same page cached as global and as non-global,
// i.e. a TLB conflict) is deterministic but not otherwise specified.
//
// Replacement is deterministic: an insert goes to the lowest-numbered invalid way of the set,
// otherwise to the way a per-set round-robin counter points at (then the counter advances).
// Nothing depends on lookups, time or randomness: the same sequence of calls gives the same
// evictions.
//
// Memory: one block per TLB carved from the top of linear memory with memory.grow (like
// guest RAM, never freed), so no allocator is involved and hot paths allocate nothing.
//
// Models call these functions directly from AssemblyScript (tlbLookup, tlbLookupTable,
// tlbInsert, tlbInvalidate with the KIND_/INS_/INV_ constants) or through the exports in
// exports.ts and the TypeScript facade src/core/iotlb.ts.

// ---- kinds (model-internal tags, not architectural encodings) ----
export const KIND_NONE: u32 = 0;
export const KIND_SMMU_S1: u32 = 1;
export const KIND_SMMU_S2: u32 = 2;
export const KIND_SMMU_NESTED: u32 = 3;
export const KIND_SMMU_EL2: u32 = 4;
export const KIND_VTD_SS: u32 = 5;
export const KIND_VTD_FS: u32 = 6;
export const KIND_VTD_NESTED: u32 = 7;
export const KIND_VTD_PT: u32 = 8;
export const KIND_TCE: u32 = 9;
export const KIND_SOC: u32 = 10;
const NUM_KINDS: u32 = 16;

// ---- insert flags ----
export const INS_GLOBAL: u32 = 1;
export const INS_TABLE: u32 = 2;

// ---- invalidation scope flags ----
export const INV_VMID: u32 = 1; // match VMID
export const INV_ASID: u32 = 2; // match ASID (global entries match any ASID unless INV_KEEP_GLOBAL)
export const INV_DID: u32 = 4; // match DID
export const INV_PASID: u32 = 8; // match PASID (global entries match any PASID unless INV_KEEP_GLOBAL)
export const INV_LIOBN: u32 = 16; // match LIOBN / PE#
export const INV_RANGE: u32 = 32; // only entries whose page overlaps [start, end)
export const INV_LEAF_ONLY: u32 = 64; // keep walk-cache (table) entries
export const INV_KEEP_GLOBAL: u32 = 128; // never remove global entries (ASID/PASID-scoped commands)

// ---- TLB creation flags ----
export const TLB_STRICT_HINTS: u32 = 1; // honour TTL/TG: keep leaf entries of another level/granule

// ---- header layout (bytes from the handle) ----
const H_WAYS: usize = 0;
const H_SETMASK: usize = 4;
const H_SETSHIFT: usize = 8;
const H_FLAGS: usize = 12;
const H_ENTRIES: usize = 16; // address of the entry array: sets x wpad entries
const H_SETS: usize = 20;
const H_BYTES: usize = 24;
const H_RR: usize = 28; // address of the round-robin way per set (u8)
const H_SIGS: usize = 32; // address of the 16-bit signature per slot (0 = invalid)
const H_WPAD: usize = 36; // slots per set: ways rounded up to a power of two >= 4
const H_WPADSHIFT: usize = 40; // log2 of H_WPAD
const H_GEN: usize = 44; // u32 micro-TLB generation, starts at 1 (lines hold the one they were filled in)
// statistics, u64 each
export const STAT_HITS: usize = 48;
export const STAT_MISSES: usize = 56;
export const STAT_INSERTS: usize = 64;
export const STAT_UPDATES: usize = 72;
export const STAT_EVICTIONS: usize = 80;
export const STAT_INVALIDATED: usize = 88;
export const STAT_VALID: usize = 96;
// the result record of the last hit (64 bytes)
export const H_RESULT: usize = 112;
export const R_PA_F64: usize = 0; // f64: output address (exact below 2^53)
export const R_PA_U64: usize = 8; // u64: output address
export const R_PERM: usize = 16; // u32 as inserted
export const R_ATTR: usize = 20; // u32 as inserted
export const R_ATTR2: usize = 24; // u32 as inserted
export const R_INFO: usize = 28; // u32: level[7:0] granule[13:8] shift[21:16] global[24] table[25] kind[31:28]
export const R_SLOT: usize = 32; // u32: entry index
const H_LEAFMASK: usize = 192; // u64 per kind: bit s set when leaf entries of page shift s exist
const H_TABLEMASK: usize = 320; // u64 per kind: the same for walk-cache entries
const H_COUNTS: usize = 448; // u32 [kind][table][shift]
// The micro-TLB (L0): a direct-mapped memo of recent leaf lookups, one 32-byte line per 4 KiB
// of input address (indexed by the low bits of iova >> 12): the query (4 KiB page, tag) and the
// slot that answered it. Any change to the entries (insert, update, eviction, invalidation)
// bumps H_GEN, which voids every line at once, so a line can only ever repeat what the full
// search would answer now (and the answer's fields are read from that slot's entry).
const H_L0: usize = 8640;
const L0_LINES: u32 = 1024;
const L0_BYTES: usize = 32;
const L_PAGE4K: usize = 0; // u64 iova >> 12
const L_CTX: usize = 8; // u64 the query's packed ctx
const L_SUB: usize = 16; // u64 the query's packed sub
const L_TAIL: usize = 24; // u64: slot << 36 | the query's kind << 32 | generation

const H_FIXED: usize = H_L0 + <usize>L0_LINES * L0_BYTES; // end of the fixed header (64-byte aligned)

// ---- entry layout (64 bytes) ----
export const ENTRY_BYTES: usize = 64;
const E_PAGE: usize = 0; // u64: input page number (iova >> shift)
const E_CTX: usize = 8; // u64: liobn[31:0] vmid[47:32] did[63:48]
const E_SUB: usize = 16; // u64: asid[15:0] pasid[35:16]
const E_META: usize = 24; // u32: see M_*
const E_PERM: usize = 28; // u32
const E_OUT: usize = 32; // u64: output address of the page base (leaf) or table address (walk cache)
const E_ATTR: usize = 40; // u32
const E_ATTR2: usize = 44; // u32
const E_LEVEL: usize = 48; // u32: level[7:0] granule shift[13:8]
const E_INFO: usize = 52; // u32: the result's info word (R_INFO), kept ready at insert

const M_VALID: u32 = 1;
const M_TABLE: u32 = 2;
const M_KIND_SHIFT: u32 = 4;
const M_SHIFT_SHIFT: u32 = 8;
const M_KEY: u32 = 0x3fff; // valid, table, kind, page shift: what must be equal for a hit
const M_GLOBAL: u32 = 1 << 16;

const MIN_SHIFT: u32 = 12;
const MAX_SHIFT: u32 = 63;

const K1: u64 = 0x9e3779b97f4a7c15;
const K2: u64 = 0xc2b2ae3d27d4eb4f;
const K3: u64 = 0xff51afd7ed558ccd;

// ---- tag packing ----
@inline function packCtx(vmid: u32, did: u32, liobn: u32): u64 {
  return <u64>liobn | (<u64>(vmid & 0xffff) << 32) | (<u64>(did & 0xffff) << 48);
}
@inline function packSub(asid: u32, pasid: u32): u64 {
  return <u64>(asid & 0xffff) | (<u64>(pasid & 0xfffff) << 16);
}
/**
 * The identifier hashed into the set index: the one every invalidation of the kind names
 * (EL2 entries have no VMID: TLBI_EL2_* name none).
 */
@inline function primaryOf(kind: u32, vmid: u32, did: u32, liobn: u32): u32 {
  if (kind >= KIND_SMMU_S1 && kind <= KIND_SMMU_NESTED) return vmid & 0xffff;
  if (kind >= KIND_VTD_SS && kind <= KIND_VTD_PT) return did & 0xffff;
  if (kind == KIND_TCE) return liobn;
  return 0;
}
/** The invalidation flag that fixes a kind's primary identifier (0: the kind has none). */
@inline function primaryFlag(kind: u32): u32 {
  if (kind >= KIND_SMMU_S1 && kind <= KIND_SMMU_NESTED) return INV_VMID;
  if (kind >= KIND_VTD_SS && kind <= KIND_VTD_PT) return INV_DID;
  if (kind == KIND_TCE) return INV_LIOBN;
  return 0;
}
@inline function ctxHash(kind: u32, primary: u32): u64 {
  return ((<u64>primary << 4) | <u64>kind) * K2;
}
/**
 * The mixed hash of a page (one multiply on the lookup's critical path): its top bits pick the
 * set, bits [31:16] give the signature.
 */
@inline function mix(page: u64, shift: u32, chash: u64): u64 {
  return (page ^ (chash + <u64>shift * K3)) * K1;
}
@inline function sigOf(x: u64): u32 {
  return (<u32>(x >>> 16) & 0xffff) | 1;
}
const LANES_LO: u64 = 0x0001000100010001;
const LANES_HI: u64 = 0x8000800080008000;
@inline function bump(h: usize, stat: usize, by: u64): void {
  store<u64>(h + stat, load<u64>(h + stat) + by);
}
/** f64 -> u64 (saturating; NaN and negatives give 0): one signed conversion below 2^63. */
@inline export function f64ToU64(v: f64): u64 {
  return v < 9223372036854775808.0 ? <u64><i64>(v > 0.0 ? v : 0.0) : <u64>v;
}
@inline function pageMask(shift: u32): u64 {
  return (<u64>1 << <u64>shift) - 1;
}

// ---- class bookkeeping: which page sizes are present per kind ----
function classAdd(h: usize, kind: u32, table: u32, shift: u32): void {
  const c = h + H_COUNTS + ((((kind << 1) | table) << 6) + shift) * 4;
  const n = load<u32>(c) + 1;
  store<u32>(c, n);
  if (n == 1) {
    const m = h + (table ? H_TABLEMASK : H_LEAFMASK) + (<usize>kind << 3);
    store<u64>(m, load<u64>(m) | (<u64>1 << <u64>shift));
  }
}
function classRemove(h: usize, kind: u32, table: u32, shift: u32): void {
  const c = h + H_COUNTS + ((((kind << 1) | table) << 6) + shift) * 4;
  const n = load<u32>(c) - 1;
  store<u32>(c, n);
  if (n == 0) {
    const m = h + (table ? H_TABLEMASK : H_LEAFMASK) + (<usize>kind << 3);
    store<u64>(m, load<u64>(m) & ~(<u64>1 << <u64>shift));
  }
}
@inline function entryKind(meta: u32): u32 {
  return (meta >> M_KIND_SHIFT) & 15;
}
@inline function entryShift(meta: u32): u32 {
  return (meta >> M_SHIFT_SHIFT) & 63;
}
/** Voids every micro-TLB line (called on any change to the entries). */
function changed(h: usize): void {
  const g = load<u32>(h + H_GEN) + 1;
  if (g == 0) {
    memory.fill(h + H_L0, 0, <usize>L0_LINES * L0_BYTES);
    store<u32>(h + H_GEN, 1);
  } else {
    store<u32>(h + H_GEN, g);
  }
}

function removeEntry(h: usize, e: usize): void {
  changed(h);
  const meta = load<u32>(e, E_META);
  store<u32>(e, 0, E_META);
  store<u16>(<usize>load<u32>(h + H_SIGS) + ((e - <usize>load<u32>(h + H_ENTRIES)) >> 5), 0);
  classRemove(h, entryKind(meta), (meta & M_TABLE) >> 1, entryShift(meta));
  store<u64>(h + STAT_VALID, load<u64>(h + STAT_VALID) - 1);
}

// ---- creation ----

@inline function align64(n: usize): usize {
  return (n + 63) & ~63;
}
/** Bytes of the block for `sets` x `wpad` slots. */
function blockBytes(sets: u32, wpad: u32): usize {
  const slots = <usize>sets * wpad;
  return H_FIXED + align64(sets) + align64(slots * 2) + slots * ENTRY_BYTES;
}

/**
 * Creates a TLB of `sets` (a power of two) x `ways` entries; returns its handle, or 0 when
 * the geometry is invalid or linear memory cannot grow.
 */
export function tlbCreate(sets: u32, ways: u32, flags: u32): usize {
  if (sets == 0 || (sets & (sets - 1)) != 0 || ways == 0 || ways > 64) return 0;
  if (<u64>sets * ways > 0x100000) return 0;
  let wpadShift: u32 = 2;
  while ((<u32>1 << wpadShift) < ways) wpadShift++;
  const wpad: u32 = 1 << wpadShift;
  const bytes = blockBytes(sets, wpad);
  const pages = <i32>((bytes + 0xffff) >> 16);
  const before = memory.grow(pages);
  if (before < 0) return 0;
  const h = <usize>before << 16;
  const setBits = ctz(sets);
  store<u32>(h + H_WAYS, ways);
  store<u32>(h + H_WPAD, wpad);
  store<u32>(h + H_WPADSHIFT, wpadShift);
  store<u32>(h + H_SETMASK, sets - 1);
  store<u32>(h + H_SETSHIFT, (64 - setBits) & 63);
  store<u32>(h + H_FLAGS, flags);
  store<u32>(h + H_GEN, 1);
  store<u32>(h + H_SETS, sets);
  store<u32>(h + H_BYTES, <u32>bytes);
  const rr = h + H_FIXED;
  const sigs = rr + align64(sets);
  store<u32>(h + H_RR, <u32>rr);
  store<u32>(h + H_SIGS, <u32>sigs);
  store<u32>(h + H_ENTRIES, <u32>(sigs + align64(<usize>sets * wpad * 2)));
  return h;
}

export function tlbEntries(h: usize): usize {
  return load<u32>(h + H_ENTRIES);
}
/** Entries that can be valid at once: sets x ways. */
export function tlbCapacity(h: usize): u32 {
  return load<u32>(h + H_SETS) * load<u32>(h + H_WAYS);
}
/** Slots in the entry array: sets x ways rounded up to a power of two >= 4 (padding slots stay invalid). */
export function tlbSlots(h: usize): u32 {
  return load<u32>(h + H_SETS) * load<u32>(h + H_WPAD);
}
export function tlbBytes(h: usize): u32 {
  return load<u32>(h + H_BYTES);
}

// ---- lookup ----

@inline function infoOf(level: u32, granule: u32, meta: u32): u32 {
  return (
    (level & 0xff) |
    ((granule & 63) << 8) |
    (entryShift(meta) << 16) |
    ((meta & M_GLOBAL) << 8) |
    ((meta & M_TABLE) << 24) |
    (entryKind(meta) << 28)
  );
}

/** Writes the result record for a hit on entry `e` translating `iova`. */
@inline function fillResult(h: usize, e: usize, iova: u64): void {
  const info = load<u32>(e, E_INFO);
  const out = load<u64>(e, E_OUT);
  const pa = info & (1 << 25) ? out : out + (iova & pageMask((info >> 16) & 63));
  const r = h + H_RESULT;
  store<f64>(r, <f64><i64>pa, R_PA_F64);
  store<u64>(r, pa, R_PA_U64);
  store<u32>(r, load<u32>(e, E_PERM), R_PERM);
  store<u32>(r, load<u32>(e, E_ATTR), R_ATTR);
  store<u32>(r, load<u32>(e, E_ATTR2), R_ATTR2);
  store<u32>(r, info, R_INFO);
  store<u32>(r, <u32>((e - load<u32>(h + H_ENTRIES)) >> 6), R_SLOT);
}

/**
 * Finds the entry of class `classMask` (page shifts) covering `iova` for the tag; returns its
 * address or 0. Smallest page size first. In each set the 16-bit signatures of four ways are
 * compared at once (SWAR on one u64), so only candidate entries are read.
 */
@inline function find(
  h: usize,
  classMask: u64,
  kind: u32,
  table: u32,
  ctx: u64,
  sub: u64,
  chash: u64,
  iova: u64,
): usize {
  const ent = <usize>load<u32>(h + H_ENTRIES);
  const sigs = <usize>load<u32>(h + H_SIGS);
  const setShift = <u64>load<u32>(h + H_SETSHIFT);
  const setMask = load<u32>(h + H_SETMASK);
  const wsh = load<u32>(h + H_WPADSHIFT);
  const want = M_VALID | table | (kind << M_KIND_SHIFT);
  // Straight-line first try: smallest page size, first four ways, first candidate. It answers
  // almost every hit without entering the loops below (which would find the same entry first).
  {
    const s = <u32>ctz(classMask);
    const page = iova >>> <u64>s;
    const x = mix(page, s, chash);
    const slot = (<u32>(x >>> setShift) & setMask) << wsh;
    const d = load<u64>(sigs + (<usize>slot << 1)) ^ (<u64>sigOf(x) * LANES_LO);
    const m = (d - LANES_LO) & ~d & LANES_HI;
    const e = ent + (<usize>(slot + (<u32>ctz(m) >> 4)) << 6);
    if (
      m != 0 &&
      ((load<u64>(e, E_PAGE) ^ page) | (load<u64>(e, E_CTX) ^ ctx)) == 0 &&
      (load<u32>(e, E_META) & M_KEY) == (want | (s << M_SHIFT_SHIFT)) &&
      ((load<u32>(e, E_META) & M_GLOBAL) != 0 || load<u64>(e, E_SUB) == sub)
    ) {
      return e;
    }
  }
  let mask = classMask;
  const wpad = load<u32>(h + H_WPAD);
  while (mask != 0) {
    const s = <u32>ctz(mask);
    const page = iova >>> <u64>s;
    const x = mix(page, s, chash);
    const spl = <u64>sigOf(x) * LANES_LO;
    const w = want | (s << M_SHIFT_SHIFT);
    let slot = (<u32>(x >>> setShift) & setMask) << wsh;
    const end = slot + wpad;
    for (; slot < end; slot += 4) {
      const d = load<u64>(sigs + (<usize>slot << 1)) ^ spl;
      let m = (d - LANES_LO) & ~d & LANES_HI;
      while (m != 0) {
        const e = ent + (<usize>(slot + (<u32>ctz(m) >> 4)) << 6);
        if (load<u64>(e, E_PAGE) == page && load<u64>(e, E_CTX) == ctx) {
          const meta = load<u32>(e, E_META);
          if ((meta & M_KEY) == w && ((meta & M_GLOBAL) != 0 || load<u64>(e, E_SUB) == sub)) return e;
        }
        m &= m - 1;
      }
    }
    mask &= mask - 1;
  }
  return 0;
}

@inline function l0Line(h: usize, iova: u64): usize {
  return h + H_L0 + (<usize>(<u32>(iova >>> 12) & (L0_LINES - 1)) << 5);
}

/** Memoizes a leaf lookup's answer (entry `e`) in the micro-TLB line of the iova. */
@inline function l0Fill(h: usize, line: usize, ent: usize, e: usize, kind: u32, ctx: u64, sub: u64, iova: u64): void {
  store<u64>(line, iova >>> 12, L_PAGE4K);
  store<u64>(line, ctx, L_CTX);
  store<u64>(line, sub, L_SUB);
  store<u64>(line, (<u64>((e - ent) >> 6) << 36) | (<u64>kind << 32) | <u64>load<u32>(h + H_GEN), L_TAIL);
}

/** The entry the micro-TLB line memoizes for this query, or 0. */
@inline function l0Find(h: usize, line: usize, ent: usize, kind: u32, ctx: u64, sub: u64, iova: u64): usize {
  const tail = load<u64>(line, L_TAIL);
  const diff =
    (load<u64>(line, L_PAGE4K) ^ (iova >>> 12)) |
    (load<u64>(line, L_CTX) ^ ctx) |
    (load<u64>(line, L_SUB) ^ sub) |
    ((tail & 0xf_ffff_ffff) ^ ((<u64>kind << 32) | <u64>load<u32>(h + H_GEN)));
  return diff == 0 ? ent + (<usize>(tail >>> 36) << 6) : 0;
}

/** Leaf lookup: the micro-TLB line inline, the full search (which refills the line) out of line. */
@inline function findLeaf(h: usize, kind: u32, vmid: u32, did: u32, liobn: u32, ctx: u64, sub: u64, iova: u64): usize {
  const ent = <usize>load<u32>(h + H_ENTRIES);
  const line = l0Line(h, iova);
  const e = l0Find(h, line, ent, kind, ctx, sub, iova);
  return e != 0 ? e : findLeafSlow(h, kind, vmid, did, liobn, ctx, sub, iova, line, ent);
}
function findLeafSlow(h: usize, kind: u32, vmid: u32, did: u32, liobn: u32, ctx: u64, sub: u64, iova: u64, line: usize, ent: usize): usize {
  const mask = load<u64>(h + H_LEAFMASK + (<usize>kind << 3));
  if (mask == 0) return 0;
  const e = find(h, mask, kind, 0, ctx, sub, ctxHash(kind, primaryOf(kind, vmid, did, liobn)), iova);
  if (e != 0) l0Fill(h, line, ent, e, kind, ctx, sub, iova);
  return e;
}

/**
 * Looks up a leaf translation; on a hit fills the result record and returns true. Inlined into
 * the exports: a micro-TLB hit is straight-line code, everything else is out of line.
 */
@inline export function tlbLookup(h: usize, kind: u32, vmid: u32, asid: u32, did: u32, pasid: u32, liobn: u32, iova: u64): bool {
  kind &= 15;
  const ctx = packCtx(vmid, did, liobn);
  const sub = packSub(asid, pasid);
  const ent = <usize>load<u32>(h + H_ENTRIES);
  const line = l0Line(h, iova);
  const e = l0Find(h, line, ent, kind, ctx, sub, iova);
  if (e != 0) {
    fillResult(h, e, iova);
    bump(h, STAT_HITS, 1);
    return true;
  }
  return lookupMiss(h, kind, vmid, did, liobn, ctx, sub, iova, line, ent);
}

/**
 * Leaf lookup for callers inside the core (the combined translate, assembly/xlate): returns the
 * entry's address (read it with the entry* accessors below) or 0, counting the hit or miss,
 * without writing the result record.
 */
@inline export function tlbFindLeaf(h: usize, kind: u32, vmid: u32, asid: u32, did: u32, pasid: u32, liobn: u32, iova: u64): usize {
  kind &= 15;
  const ctx = packCtx(vmid, did, liobn);
  const sub = packSub(asid, pasid);
  const e = findLeaf(h, kind, vmid, did, liobn, ctx, sub, iova);
  bump(h, e != 0 ? STAT_HITS : STAT_MISSES, 1);
  return e;
}
/** Output address of `iova` through leaf entry `e`. */
@inline export function entryOutput(e: usize, iova: u64): u64 {
  return load<u64>(e, E_OUT) + (iova & pageMask((load<u32>(e, E_INFO) >> 16) & 63));
}
@inline export function entryPerm(e: usize): u32 {
  return load<u32>(e, E_PERM);
}
@inline export function entryAttr(e: usize): u32 {
  return load<u32>(e, E_ATTR);
}
@inline export function entryAttr2(e: usize): u32 {
  return load<u32>(e, E_ATTR2);
}
/** The entry's info word (R_INFO layout: level[7:0] granule[13:8] page shift[21:16] ...). */
@inline export function entryInfo(e: usize): u32 {
  return load<u32>(e, E_INFO);
}

/** The full search after a micro-TLB miss (refills the line on a hit). */
function lookupMiss(h: usize, kind: u32, vmid: u32, did: u32, liobn: u32, ctx: u64, sub: u64, iova: u64, line: usize, ent: usize): bool {
  const e = findLeafSlow(h, kind, vmid, did, liobn, ctx, sub, iova, line, ent);
  if (e != 0) {
    fillResult(h, e, iova);
    bump(h, STAT_HITS, 1);
    return true;
  }
  bump(h, STAT_MISSES, 1);
  return false;
}

/**
 * Looks up the walk cache: the deepest cached table (smallest span) whose span covers `iova`.
 * On a hit the result's pa is the table address, level the level of that table.
 */
export function tlbLookupTable(h: usize, kind: u32, vmid: u32, asid: u32, did: u32, pasid: u32, liobn: u32, iova: u64): bool {
  kind &= 15;
  const mask = load<u64>(h + H_TABLEMASK + (<usize>kind << 3));
  if (mask != 0) {
    const e = find(
      h,
      mask,
      kind,
      M_TABLE,
      packCtx(vmid, did, liobn),
      packSub(asid, pasid),
      ctxHash(kind, primaryOf(kind, vmid, did, liobn)),
      iova,
    );
    if (e != 0) {
      fillResult(h, e, iova);
      bump(h, STAT_HITS, 1);
      return true;
    }
  }
  bump(h, STAT_MISSES, 1);
  return false;
}

/**
 * Batched leaf lookups for one tag: `n` iovas at `inPtr` (f64 when `wide` is false, u64 when
 * true), output addresses to `outPtr` (same type; -1 / all-ones on a miss) and permissions to
 * `permPtr` (i32; -1 on a miss). Returns the number of hits. The result record is untouched.
 *
 * Shortcut: an iova in the same page as the previous hit reuses that hit, but only when its page
 * size is the smallest present for the kind (then no smaller entry could cover the iova), so the
 * results are exactly those of one lookup per iova.
 */
export function tlbLookupBatch(
  h: usize,
  kind: u32,
  vmid: u32,
  asid: u32,
  did: u32,
  pasid: u32,
  liobn: u32,
  inPtr: usize,
  outPtr: usize,
  permPtr: usize,
  n: u32,
  wide: bool,
): u32 {
  kind &= 15;
  const hits = wide
    ? batchU64(h, kind, vmid, did, liobn, packCtx(vmid, did, liobn), packSub(asid, pasid), inPtr, outPtr, permPtr, n)
    : batchF64(h, kind, vmid, did, liobn, packCtx(vmid, did, liobn), packSub(asid, pasid), inPtr, outPtr, permPtr, n);
  bump(h, STAT_HITS, hits);
  bump(h, STAT_MISSES, n - hits);
  return hits;
}

/**
 * f64 in, f64 out (-1 for a miss). After each full lookup an inner loop runs the same-page
 * shortcut in doubles only (integer <-> double conversions and register pressure are what
 * cost here): the page is [v - offset, + size) and the output v + delta, exact for integer
 * addresses below 2^53.
 */
function batchF64(
  h: usize,
  kind: u32,
  vmid: u32,
  did: u32,
  liobn: u32,
  ctx: u64,
  sub: u64,
  inPtr: usize,
  outPtr: usize,
  permPtr: usize,
  n: u32,
): u32 {
  const mask = load<u64>(h + H_LEAFMASK + (<usize>kind << 3));
  const minShift: u32 = mask != 0 ? <u32>ctz(mask) : 0;
  const sizeMin = <f64>(<u64>1 << <u64>minShift);
  let hits: u32 = 0;
  let i: u32 = 0;
  while (i < n) {
    let p = <usize>i << 3;
    const v = load<f64>(inPtr + p);
    const iova = f64ToU64(v);
    const e = findLeaf(h, kind, vmid, did, liobn, ctx, sub, iova);
    i++;
    if (e == 0) {
      store<f64>(outPtr + p, -1.0);
      store<i32>(permPtr + (p >> 1), -1);
      continue;
    }
    const sh = entryShift(load<u32>(e, E_META));
    const off = iova & pageMask(sh);
    const pa = <f64><i64>(load<u64>(e, E_OUT) + off);
    const perm = <i32>load<u32>(e, E_PERM);
    store<f64>(outPtr + p, pa);
    store<i32>(permPtr + (p >> 1), perm);
    hits++;
    if (sh != minShift || v >= 9007199254740992.0) continue;
    // The following iovas in the same page: no lookup, no conversion.
    const lo = v - <f64><i64>off;
    const hi = lo + sizeMin;
    const delta = pa - v;
    const start = i;
    while (i < n) {
      p = <usize>i << 3;
      const w = load<f64>(inPtr + p);
      if (!(w >= lo && w < hi)) break;
      store<f64>(outPtr + p, w + delta);
      store<i32>(permPtr + (p >> 1), perm);
      i++;
    }
    hits += i - start;
  }
  return hits;
}

/** u64 in, u64 out (exact 64-bit iovas; all-ones for a miss), structured like batchF64. */
function batchU64(
  h: usize,
  kind: u32,
  vmid: u32,
  did: u32,
  liobn: u32,
  ctx: u64,
  sub: u64,
  inPtr: usize,
  outPtr: usize,
  permPtr: usize,
  n: u32,
): u32 {
  const mask = load<u64>(h + H_LEAFMASK + (<usize>kind << 3));
  const minShift: u32 = mask != 0 ? <u32>ctz(mask) : 0;
  let hits: u32 = 0;
  let i: u32 = 0;
  while (i < n) {
    let p = <usize>i << 3;
    const iova = load<u64>(inPtr + p);
    const e = findLeaf(h, kind, vmid, did, liobn, ctx, sub, iova);
    i++;
    if (e == 0) {
      store<u64>(outPtr + p, <u64>-1);
      store<i32>(permPtr + (p >> 1), -1);
      continue;
    }
    const sh = entryShift(load<u32>(e, E_META));
    const m = pageMask(sh);
    const out = load<u64>(e, E_OUT);
    const perm = <i32>load<u32>(e, E_PERM);
    store<u64>(outPtr + p, out + (iova & m));
    store<i32>(permPtr + (p >> 1), perm);
    hits++;
    if (sh != minShift) continue;
    const page = iova >>> <u64>sh;
    const start = i;
    while (i < n) {
      p = <usize>i << 3;
      const w = load<u64>(inPtr + p);
      if (w >>> <u64>sh != page) break;
      store<u64>(outPtr + p, out + (w & m));
      store<i32>(permPtr + (p >> 1), perm);
      i++;
    }
    hits += i - start;
  }
  return hits;
}

// ---- insert ----

/**
 * Caches a translation. For a leaf, `iova` is any address in the page and `pa` the output
 * address of that same byte (the page's output base is pa - (iova mod size)); for a walk-cache
 * entry (INS_TABLE) `pa` is the table address and `shift` the span the table translates.
 * An entry with the same tag, page, size and type is updated in place; otherwise the victim
 * is the lowest invalid way of the set, else the set's round-robin way. Returns the slot.
 */
export function tlbInsert(
  h: usize,
  kind: u32,
  vmid: u32,
  asid: u32,
  did: u32,
  pasid: u32,
  liobn: u32,
  iova: u64,
  pa: u64,
  shift: u32,
  perm: u32,
  attr: u32,
  attr2: u32,
  level: u32,
  granule: u32,
  flags: u32,
): i32 {
  kind &= 15;
  if (shift < MIN_SHIFT || shift > MAX_SHIFT) return -1;
  const table: u32 = flags & INS_TABLE ? M_TABLE : 0;
  const global: u32 = flags & INS_GLOBAL && !table ? M_GLOBAL : 0;
  const page = iova >>> <u64>shift;
  const ctx = packCtx(vmid, did, liobn);
  const sub = packSub(asid, pasid);
  const x = mix(page, shift, ctxHash(kind, primaryOf(kind, vmid, did, liobn)));
  const set = <u32>(x >>> <u64>load<u32>(h + H_SETSHIFT)) & load<u32>(h + H_SETMASK);
  const ways = load<u32>(h + H_WAYS);
  const ent = <usize>load<u32>(h + H_ENTRIES);
  const slot0 = set << load<u32>(h + H_WPADSHIFT);
  const base = ent + (<usize>slot0 << 6);
  const key = M_VALID | table | (kind << M_KIND_SHIFT) | (shift << M_SHIFT_SHIFT);

  let victim: usize = 0;
  let update = false;
  let e = base;
  for (let i: u32 = 0; i < ways; i++, e += ENTRY_BYTES) {
    const meta = load<u32>(e, E_META);
    if (meta & M_VALID) {
      if (
        (meta & M_KEY) == key &&
        (meta & M_GLOBAL) == global &&
        load<u64>(e, E_PAGE) == page &&
        load<u64>(e, E_CTX) == ctx &&
        (global != 0 || load<u64>(e, E_SUB) == sub)
      ) {
        victim = e;
        update = true;
        break;
      }
    } else if (victim == 0) {
      victim = e;
    }
  }
  if (victim == 0) {
    const rr = <usize>load<u32>(h + H_RR) + set;
    const way = <u32>load<u8>(rr);
    victim = base + (<usize>way << 6);
    store<u8>(rr, <u8>(way + 1 == ways ? 0 : way + 1));
    removeEntry(h, victim);
    bump(h, STAT_EVICTIONS, 1);
  }
  changed(h);
  if (update) {
    bump(h, STAT_UPDATES, 1);
  } else {
    classAdd(h, kind, table >> 1, shift);
    bump(h, STAT_VALID, 1);
  }
  bump(h, STAT_INSERTS, 1);
  store<u64>(victim, page, E_PAGE);
  store<u64>(victim, ctx, E_CTX);
  store<u64>(victim, sub, E_SUB);
  store<u32>(victim, key | global, E_META);
  store<u32>(victim, perm & 0x7fffffff, E_PERM);
  store<u64>(victim, table ? pa : pa - (iova & pageMask(shift)), E_OUT);
  store<u32>(victim, attr, E_ATTR);
  store<u32>(victim, attr2, E_ATTR2);
  store<u32>(victim, (level & 0xff) | ((granule & 63) << 8), E_LEVEL);
  store<u32>(victim, infoOf(level, granule, key | global), E_INFO);
  const slot = (victim - ent) >> 6;
  store<u16>(<usize>load<u32>(h + H_SIGS) + (slot << 1), <u16>sigOf(x));
  return <i32>slot;
}

// ---- invalidation ----

// The scope of the invalidation in progress (module globals: no allocation, one scope at a time).
let sKinds: u32 = 0;
let sFlags: u32 = 0;
let sCtxMask: u64 = 0;
let sCtx: u64 = 0;
let sSubMask: u64 = 0;
let sSub: u64 = 0;
let sStart: u64 = 0; // in 4 KiB pages
let sEnd: u64 = 0; // exclusive, in 4 KiB pages
let sTtl: u32 = 0; // 0: no level hint in force
let sTg: u32 = 0;

@inline function inScope(e: usize): bool {
  const meta = load<u32>(e, E_META);
  if ((meta & M_VALID) == 0) return false;
  if ((sKinds & (1 << entryKind(meta))) == 0) return false;
  const table = meta & M_TABLE;
  if (table != 0 && (sFlags & INV_LEAF_ONLY) != 0) return false;
  if ((load<u64>(e, E_CTX) & sCtxMask) != sCtx) return false;
  if (meta & M_GLOBAL) {
    if (sFlags & INV_KEEP_GLOBAL) return false;
  } else if ((load<u64>(e, E_SUB) & sSubMask) != sSub) {
    return false;
  }
  if (sFlags & INV_RANGE) {
    const s = entryShift(meta) - MIN_SHIFT;
    const first = load<u64>(e, E_PAGE) << <u64>s;
    if (first >= sEnd || first + (<u64>1 << <u64>s) <= sStart) return false;
  }
  if (sTtl != 0 && table == 0) {
    const lv = load<u32>(e, E_LEVEL);
    if ((lv & 0xff) != sTtl) return false;
    const g = (lv >> 8) & 63;
    if (g != 0 && g != sTg) return false;
  }
  return true;
}

/**
 * Removes every entry in the scope: kinds in `kindMask` (bit per kind), identifiers named by
 * `flags` (INV_*), pages overlapping [start4k, end4k) in 4 KiB units when INV_RANGE; with the
 * TLB's strict-hints option, a non-zero `ttl` with a non-zero `tgShift` keeps leaf entries of
 * another level or granule. Returns the number of entries removed.
 */
export function tlbInvalidate(
  h: usize,
  kindMask: u32,
  flags: u32,
  vmid: u32,
  asid: u32,
  did: u32,
  pasid: u32,
  liobn: u32,
  start4k: u64,
  end4k: u64,
  ttl: u32,
  tgShift: u32,
): u32 {
  if (flags & INV_RANGE && end4k <= start4k) return 0;
  sKinds = kindMask & 0xffff;
  sFlags = flags;
  sCtxMask =
    (flags & INV_LIOBN ? <u64>0xffffffff : 0) |
    (flags & INV_VMID ? <u64>0xffff << 32 : 0) |
    (flags & INV_DID ? <u64>0xffff << 48 : 0);
  sCtx = packCtx(vmid, did, liobn) & sCtxMask;
  sSubMask = (flags & INV_ASID ? <u64>0xffff : 0) | (flags & INV_PASID ? <u64>0xfffff << 16 : 0);
  sSub = packSub(asid, pasid) & sSubMask;
  sStart = start4k;
  sEnd = end4k;
  const strict = (load<u32>(h + H_FLAGS) & TLB_STRICT_HINTS) != 0;
  sTtl = strict && ttl != 0 && tgShift != 0 ? ttl : 0;
  sTg = tgShift;

  const ways = load<u32>(h + H_WAYS);
  const wpad = load<u32>(h + H_WPAD);
  const setShift = <u64>load<u32>(h + H_SETSHIFT);
  const setMask = load<u32>(h + H_SETMASK);
  const ent = <usize>load<u32>(h + H_ENTRIES);
  const sets = load<u32>(h + H_SETS);
  let removed: u32 = 0;

  // A small address range whose kinds all have their primary identifier fixed: probe the sets
  // of the pages in range for each page size present, instead of scanning every entry.
  if (flags & INV_RANGE) {
    let probes: u64 = 0;
    let ok = true;
    for (let k: u32 = 0; k < NUM_KINDS && ok; k++) {
      if ((sKinds & (1 << k)) == 0) continue;
      const need = primaryFlag(k);
      if (need != 0 && (flags & need) == 0) {
        ok = false;
        break;
      }
      let m = load<u64>(h + H_LEAFMASK + (<usize>k << 3));
      if ((flags & INV_LEAF_ONLY) == 0) m |= load<u64>(h + H_TABLEMASK + (<usize>k << 3));
      while (m != 0 && probes <= <u64>sets) {
        const s = <u64>ctz(m) - MIN_SHIFT;
        probes += ((end4k - 1) >>> s) - (start4k >>> s) + 1;
        m &= m - 1;
      }
      if (probes > <u64>sets) ok = false;
    }
    if (ok) {
      for (let k: u32 = 0; k < NUM_KINDS; k++) {
        if ((sKinds & (1 << k)) == 0) continue;
        const chash = ctxHash(k, primaryOf(k, vmid, did, liobn));
        let m = load<u64>(h + H_LEAFMASK + (<usize>k << 3));
        if ((flags & INV_LEAF_ONLY) == 0) m |= load<u64>(h + H_TABLEMASK + (<usize>k << 3));
        while (m != 0) {
          const s = <u32>ctz(m);
          const d = <u64>(s - MIN_SHIFT);
          const last = (end4k - 1) >>> d;
          for (let p = start4k >>> d; p <= last; p++) {
            const set = <u32>(mix(p, s, chash) >>> setShift) & setMask;
            let e = ent + (<usize>(set * wpad) << 6);
            for (let i: u32 = 0; i < ways; i++, e += ENTRY_BYTES) {
              if (inScope(e)) {
                removeEntry(h, e);
                removed++;
              }
            }
          }
          m &= m - 1;
        }
      }
      bump(h, STAT_INVALIDATED, removed);
      return removed;
    }
  }

  const end = ent + (<usize>(sets * wpad) << 6);
  for (let e = ent; e < end; e += ENTRY_BYTES) {
    if (inScope(e)) {
      removeEntry(h, e);
      removed++;
    }
  }
  bump(h, STAT_INVALIDATED, removed);
  return removed;
}

/** Zeroes the statistics (entries stay). */
export function tlbResetStats(h: usize): void {
  const valid = load<u64>(h + STAT_VALID);
  memory.fill(h + STAT_HITS, 0, STAT_VALID - STAT_HITS);
  store<u64>(h + STAT_VALID, valid);
}

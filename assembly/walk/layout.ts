// Fixed memory layouts shared by the walk engine, the formats and the TypeScript facade
// (src/core/walk-abi.ts mirrors these numbers; walk_abi() lets a test prove they agree).
// See engine.ts for the contract they implement.

// ---- walk status (result RES_STATUS). Append new kinds at the end; never renumber. ----
export const ST_OK: u32 = 0;
/** Translation fault: input out of range, region disabled, invalid or reserved descriptor. */
export const ST_TRANSLATION: u32 = 1;
/** Address size fault: table base, next-table or output address beyond the output size. */
export const ST_ADDR_SIZE: u32 = 2;
/** Access flag fault: leaf with AF=0, no hardware AF update, AF faults enabled. */
export const ST_ACCESS: u32 = 3;
/** Permission fault. */
export const ST_PERMISSION: u32 = 4;
/** External abort: a table (or a hardware descriptor update) hit memory nobody backs. */
export const ST_EXT_ABORT: u32 = 5;
/** The context is unconfigured or its configuration is invalid (see CTX_CFG_ERR). */
export const ST_BAD_CONFIG: u32 = 6;

// ---- fault detail (result RES_REASON): why, for diagnostics and tests ----
export const R_NONE: u32 = 0;
export const R_INPUT_RANGE: u32 = 1; // input address outside every region
export const R_REGION_DISABLED: u32 = 2; // region selected but disabled (VMSA EPDx)
export const R_INVALID: u32 = 3; // descriptor not valid
export const R_RESERVED: u32 = 4; // reserved descriptor encoding (VMSA: 0b01 at level 3)
export const R_BLOCK_LEVEL: u32 = 5; // block descriptor at a level that allows none
export const R_BASE_SIZE: u32 = 6; // table base register beyond the output size
export const R_TABLE_SIZE: u32 = 7; // next-level table address beyond the output size
export const R_OUTPUT_SIZE: u32 = 8; // output address beyond the output size
export const R_ACCESS_FLAG: u32 = 9;
export const R_PERM_WRITE: u32 = 10;
export const R_PERM_READ: u32 = 11;
export const R_PERM_EXEC: u32 = 12;
export const R_WALK_ABORT: u32 = 13; // descriptor read aborted
export const R_UPDATE_ABORT: u32 = 14; // hardware descriptor update (AF/dirty) aborted
export const R_PERM_USER: u32 = 15; // user (unprivileged) request to a supervisor-only page (x86 U/S = 0)
export const R_SUBPAGE: u32 = 16; // access outside the leaf's subpage window (Apple DART SUBPAGE_START/END)

// ---- access flags (walk_* `acc` argument) ----
export const ACC_WRITE: u32 = 1;
export const ACC_EXEC: u32 = 2;
export const ACC_PRIV: u32 = 4;
/** Internal: a stage-2 access made to fetch (or update) a stage-1 table. */
export const ACC_TTW: u32 = 8;

// ---- permission bits (RES_PERM = at the requested privilege; RES_PERM_ALL = both) ----
export const PERM_R: u32 = 1;
export const PERM_W: u32 = 2;
export const PERM_X: u32 = 4;
/** RES_PERM_ALL: privileged RWX in bits 0..2, unprivileged RWX in bits 3..5. */
export const PERM_UNPRIV_SHIFT: u32 = 3;

// ---- result flags (RES_FLAGS) ----
/** Fault raised by stage 2 while fetching or updating a stage-1 table (SMMU: S2=1, CLASS=TT). */
export const F_NESTED_TT: u32 = 1;
/** Stage-1 input address selected the TTB1 region. */
export const F_TTB1: u32 = 2;
/** The walk wrote a descriptor (hardware AF or dirty-state update). */
export const F_UPDATED: u32 = 4;
/** The result went through a nested stage 2 (RES_IPA holds the intermediate address). */
export const F_NESTED: u32 = 8;

// ---- attributes (RES_ATTRS for the stage-1 or only stage; RES_S2_ATTRS for nested stage 2) ----
export const A_MEMATTR_MASK: u32 = 0xf; // S1: AttrIndx (MAIR index, 0..7); S2: MemAttr[3:0]
export const A_SH_SHIFT: u32 = 4; // SH[1:0] at bits 5:4
export const A_NS: u32 = 1 << 6;
export const A_NG: u32 = 1 << 7;
export const A_AF: u32 = 1 << 8; // after any hardware update
export const A_DBM: u32 = 1 << 9;
export const A_CONTIG: u32 = 1 << 10;
export const A_FWB: u32 = 1 << 11; // S2 MemAttr is to be read with FEAT_S2FWB's encoding
export const A_NSTABLE: u32 = 1 << 12; // some table descriptor on the path had NSTable set
export const A_SNP: u32 = 1 << 13; // VT-d second stage: SNP (snoop) set in the leaf
export const A_DIRTY: u32 = 1 << 14; // VT-d: the leaf's D bit (after any hardware update)

// ---- context config errors (CTX_CFG_ERR; walk_setup's return) ----
export const CFG_OK: u32 = 0;
export const CFG_UNCONFIGURED: u32 = 1;
export const CFG_FORMAT: u32 = 2; // unknown format id
export const CFG_GRANULE: u32 = 3;
export const CFG_INPUT_SIZE: u32 = 4; // TxSZ out of range
export const CFG_START_LEVEL: u32 = 5; // reserved SL0, or start level inconsistent with T0SZ (>16 concatenated tables / <2 entries)
export const CFG_OUTPUT_SIZE: u32 = 6; // output size not one of the architected values
export const CFG_NESTING: u32 = 7; // nested context missing, not stage 2, or itself nested
export const CFG_UNSUPPORTED: u32 = 8; // a feature this model does not implement (e.g. VMSA DS=1 / LPA2)

// ---- context states (CTX_STATE) ----
export const CS_EMPTY: u32 = 0;
export const CS_DIRTY: u32 = 1; // parameters written; walk_setup runs before the next walk
export const CS_READY: u32 = 2;
export const CS_INVALID: u32 = 3;

// ---- context layout (one per slot, CTX_BYTES each) ----
export const MAX_CTX: i32 = 128;
export const CTX_BYTES: u32 = 400;
export const CTX_FMT: u32 = 0; // u32 format id (FMT_*, formats.ts)
export const CTX_STATE: u32 = 4; // u32 CS_*
export const CTX_NEXT: u32 = 8; // u32 1 + slot of the stage-2 context that translates this context's tables and outputs; 0 = not nested
export const CTX_CFG_ERR: u32 = 12; // u32 CFG_*
export const CTX_P: u32 = 16; // u32[12] format parameters (meaning per format)
export const CTX_NP: u32 = 12;
export const CTX_A: u32 = 64; // f64[4] format addresses (table bases)
export const CTX_NA: u32 = 4;
// Derived by setup (the engine and decoders read these; the facade never writes them):
export const CTX_FLAGS: u32 = 96; // u32 format flags copied from parameters
export const CTX_NREG: u32 = 100; // u32 number of regions (1 or 2)
export const CTX_STAGE: u32 = 104; // u32 1 or 2
export const CTX_REG: u32 = 112; // region[2], REG_BYTES each
export const MAX_REG: u32 = 2;

// Region: one root table and the geometry of the walk below it.
export const REG_BYTES: u32 = 144;
export const REG_BASE: u32 = 0; // u64 root table address (low bits below the root's size cleared)
export const REG_GSHIFT: u32 = 8; // u32 log2 granule
export const REG_ESHIFT: u32 = 12; // u32 log2 entry size (3 = 8 bytes, 2 = 4 bytes)
export const REG_STEPS: u32 = 16; // u32 number of table levels walked (1..8)
export const REG_INBITS: u32 = 20; // u32 input address size in bits
export const REG_ENABLED: u32 = 24; // u32 0 = every walk in this region is a translation fault
export const REG_FLAGS: u32 = 28; // u32 per-region format flags
export const REG_OABITS: u32 = 32; // u32 effective output address size in bits
export const REG_SHIFT: u32 = 40; // u8[8] index field position per step
export const REG_BITS: u32 = 48; // u8[8] index field width per step
export const REG_LEVEL: u32 = 56; // i8[8] architectural level number reported per step
// Format-private values derived by setup for the decoder's hot path (masks, feature bits):
export const REG_X0: u32 = 64; // u64
export const REG_X1: u32 = 72; // u64
export const REG_X2: u32 = 80; // u64
export const REG_X3: u32 = 88; // u64
// The plain-table fast path (see fast.ts), data the format's setup writes with fastTable():
// a descriptor at any step but the last with (d' & TMASK) == TVAL (d' = d, byte-swapped when
// TSWAP) is a table at d' & TADDR contributing ((d' ^ TXOR) >> TSHIFT) & TACC to DEC_TACC,
// exactly as the decoder would decide, so the engine need not call the decoder.
export const REG_TMASK: u32 = 96; // u64
export const REG_TVAL: u32 = 104; // u64 (TMASK = 0, TVAL = 1: no fast path)
export const REG_TADDR: u32 = 112; // u64
export const REG_TXOR: u32 = 120; // u64
export const REG_TACC: u32 = 128; // u32
export const REG_TSHIFT: u32 = 132; // u32
export const REG_TSWAP: u32 = 136; // u32 1 = entries are big-endian in memory
export const MAX_STEPS: u32 = 8;

// ---- result record (RES_BYTES, 8-byte aligned) ----
export const RES_BYTES: u32 = 96;
export const RES_STATUS: u32 = 0; // u32 ST_*
export const RES_PERM: u32 = 4; // u32 PERM_* granted at the requested privilege
export const RES_OA: u32 = 8; // f64 output address (also set for access-flag/permission faults: what the leaf gave)
export const RES_IPA: u32 = 16; // f64 nested: intermediate address (S1 output, or the S1 table IPA a nested fault was translating)
export const RES_ENTRY_ADDR: u32 = 24; // f64 physical address of the last descriptor read, -1 when none
export const RES_ENTRY_LO: u32 = 32; // u32 that descriptor (after any hardware update; 0 after an external abort reading it), low half
export const RES_ENTRY_HI: u32 = 36; // u32 high half
export const RES_PAGE_SHIFT: u32 = 40; // u32 log2 of the translation's size (nested: the smaller of the two stages)
export const RES_LEVEL: u32 = 44; // i32 level reached (the faulting level, or the leaf's level)
export const RES_STAGE: u32 = 48; // u32 stage of the fault (1 or 2); for OK, the context's stage
export const RES_FLAGS: u32 = 52; // u32 F_*
export const RES_ATTRS: u32 = 56; // u32 A_* of the leaf (stage 1, or the only stage)
export const RES_S2_ATTRS: u32 = 60; // u32 A_* of the nested stage-2 leaf
export const RES_PERM_ALL: u32 = 64; // u32 privileged RWX | unprivileged RWX << 3
export const RES_S2_LEVEL: u32 = 68; // i32 nested: level of the stage-2 leaf, -1 when none
export const RES_REASON: u32 = 72; // u32 R_*
export const RES_S2_PAGE_SHIFT: u32 = 76; // u32 nested: stage-2 leaf size
export const RES_S1_PERM_ALL: u32 = 80; // u32 nested: stage-1 permissions before the intersection (0 when not nested)
export const RES_S2_PERM_ALL: u32 = 84; // u32 nested: stage-2 permissions (0 when not nested)
export const RES_GRANULE: u32 = 88; // u32 log2 granule of the region walked (0 before a region is selected)

// ---- batch buffers ----
export const BATCH_MAX: i32 = 256;
export const BATCH_IN_BYTES: u32 = 16; // f64 input address, u32 acc, u32 unused
export const BATCH_OUT_BYTES: u32 = 16; // f64 output address, u32 status, u32 permAll | pageShift << 8

// ---- decoder scratch (engine <-> format decoder, see engine.ts) ----
export const D_TABLE: u32 = 0; // descriptor points to a next-level table at DEC_NEXT
export const D_LEAF: u32 = 1; // result filled; DEC_WANT says whether to write DEC_UPDATE back
export const D_FAULT: u32 = 2; // RES_STATUS / RES_REASON filled
export const DEC: usize = memory.data(32, 8);
export const DEC_NEXT: u32 = 0; // u64 next table address
export const DEC_UPDATE: u32 = 8; // u64 descriptor value to write back (hardware AF/dirty update)
export const DEC_TACC: u32 = 16; // u32 hierarchical attributes accumulated from table descriptors (format-defined)
export const DEC_WANT: u32 = 20; // u32 1 = write DEC_UPDATE over the leaf

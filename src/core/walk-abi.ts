// The walk engine's memory layout and codes as TypeScript numbers: a mirror of
// assembly/walk/layout.ts, assembly/walk/formats.ts and assembly/formats/vmsav8.ts.
// test/core/walk-abi.test.ts checks every number here against the module (walk_abi()).

export const ABI_VERSION = 1;

/** Walk status (the walk_* return value and the result's RES_STATUS). */
export const ST_OK = 0;
export const ST_TRANSLATION = 1;
export const ST_ADDR_SIZE = 2;
export const ST_ACCESS = 3;
export const ST_PERMISSION = 4;
export const ST_EXT_ABORT = 5;
export const ST_BAD_CONFIG = 6;

/** Fault reasons (RES_REASON). */
export const R_NONE = 0;
export const R_INPUT_RANGE = 1;
export const R_REGION_DISABLED = 2;
export const R_INVALID = 3;
export const R_RESERVED = 4;
export const R_BLOCK_LEVEL = 5;
export const R_BASE_SIZE = 6;
export const R_TABLE_SIZE = 7;
export const R_OUTPUT_SIZE = 8;
export const R_ACCESS_FLAG = 9;
export const R_PERM_WRITE = 10;
export const R_PERM_READ = 11;
export const R_PERM_EXEC = 12;
export const R_WALK_ABORT = 13;
export const R_UPDATE_ABORT = 14;
export const R_PERM_USER = 15;
export const R_SUBPAGE = 16;

/** Access flags (the `acc` argument). */
export const ACC_WRITE = 1;
export const ACC_EXEC = 2;
export const ACC_PRIV = 4;

/** Permission bits; RES_PERM_ALL holds privileged RWX in bits 0..2 and unprivileged in 3..5. */
export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;
export const PERM_UNPRIV_SHIFT = 3;

/** Result flags (RES_FLAGS). */
export const F_NESTED_TT = 1;
export const F_TTB1 = 2;
export const F_UPDATED = 4;
export const F_NESTED = 8;

/** Attribute word (RES_ATTRS / RES_S2_ATTRS). */
export const A_MEMATTR_MASK = 0xf;
export const A_SH_SHIFT = 4;
export const A_NS = 1 << 6;
export const A_NG = 1 << 7;
export const A_AF = 1 << 8;
export const A_DBM = 1 << 9;
export const A_CONTIG = 1 << 10;
export const A_FWB = 1 << 11;
export const A_NSTABLE = 1 << 12;
export const A_SNP = 1 << 13;
export const A_DIRTY = 1 << 14;

/** Configuration outcomes (walk_setup's return, CTX_CFG_ERR). */
export const CFG_OK = 0;
export const CFG_UNCONFIGURED = 1;
export const CFG_FORMAT = 2;
export const CFG_GRANULE = 3;
export const CFG_INPUT_SIZE = 4;
export const CFG_START_LEVEL = 5;
export const CFG_OUTPUT_SIZE = 6;
export const CFG_NESTING = 7;
export const CFG_UNSUPPORTED = 8;

/** Context states (CTX_STATE). */
export const CS_EMPTY = 0;
export const CS_DIRTY = 1;
export const CS_READY = 2;
export const CS_INVALID = 3;

/** Format ids (CTX_FMT). */
export const FMT_NONE = 0;
export const FMT_VMSA_S1 = 1;
export const FMT_VMSA_S2 = 2;
/** Intel VT-d second stage (assembly/formats/vtd-ss.ts). */
export const FMT_VTD_SS = 3;
/** IBM POWER TCE tables (assembly/formats/tce.ts). */
export const FMT_TCE = 4;
/** Intel VT-d first stage, x86-64 paging (assembly/formats/vtd-fs.ts). */
export const FMT_VTD_FS = 5;
/** Flat single-level 32-bit tables: MediaTek M4U v1, Tegra GART (assembly/formats/flat.ts). */
export const FMT_FLAT = 6;
/** Apple DART (assembly/formats/dart.ts). */
export const FMT_DART = 7;
/** Rockchip v1/v2 (assembly/formats/rockchip.ts). */
export const FMT_ROCKCHIP = 8;

/** Context layout. */
export const MAX_CTX = 128;
export const CTX_BYTES = 400;
export const CTX_FMT = 0;
export const CTX_STATE = 4;
export const CTX_NEXT = 8;
export const CTX_CFG_ERR = 12;
export const CTX_P = 16;
export const CTX_A = 64;

/** Result record layout. */
export const RES_BYTES = 96;
export const RES_STATUS = 0;
export const RES_PERM = 4;
export const RES_OA = 8;
export const RES_IPA = 16;
export const RES_ENTRY_ADDR = 24;
export const RES_ENTRY_LO = 32;
export const RES_ENTRY_HI = 36;
export const RES_PAGE_SHIFT = 40;
export const RES_LEVEL = 44;
export const RES_STAGE = 48;
export const RES_FLAGS = 52;
export const RES_ATTRS = 56;
export const RES_S2_ATTRS = 60;
export const RES_PERM_ALL = 64;
export const RES_S2_LEVEL = 68;
export const RES_REASON = 72;
export const RES_S2_PAGE_SHIFT = 76;
export const RES_S1_PERM_ALL = 80;
export const RES_S2_PERM_ALL = 84;
export const RES_GRANULE = 88;

/** Batch buffers. */
export const BATCH_MAX = 256;
export const BATCH_IN_BYTES = 16;
export const BATCH_OUT_BYTES = 16;

/** walk_abi(key) answers, in key order (key 0 is ABI_VERSION). */
export const ABI_KEYS: readonly number[] = [
  ABI_VERSION, MAX_CTX, CTX_BYTES, CTX_FMT, CTX_STATE, CTX_NEXT, CTX_CFG_ERR, CTX_P, CTX_A,
  RES_BYTES, RES_STATUS, RES_PERM, RES_OA, RES_IPA, RES_ENTRY_ADDR, RES_ENTRY_LO, RES_ENTRY_HI,
  RES_PAGE_SHIFT, RES_LEVEL, RES_STAGE, RES_FLAGS, RES_ATTRS, RES_S2_ATTRS, RES_PERM_ALL, RES_S2_LEVEL,
  RES_REASON, RES_S2_PAGE_SHIFT, BATCH_MAX, BATCH_IN_BYTES, BATCH_OUT_BYTES,
  RES_S1_PERM_ALL, RES_S2_PERM_ALL, RES_GRANULE,
];

/** VMSAv8-64 parameters (CTX_P index) and flags: see assembly/formats/vmsav8.ts. */
export const VP_TG0 = 0;
export const VP_T0SZ = 1;
export const VP_TG1 = 2;
export const VP_T1SZ = 3;
export const VP_OAS = 4;
export const VP_OASLIM = 5;
export const VP_SL0 = 6;
export const VP_FLAGS = 7;
export const VF_EPD0 = 1 << 0;
export const VF_EPD1 = 1 << 1;
export const VF_HA = 1 << 2;
export const VF_HD = 1 << 3;
export const VF_AFFD = 1 << 4;
export const VF_TBI0 = 1 << 5;
export const VF_TBI1 = 1 << 6;
export const VF_HPD0 = 1 << 7;
export const VF_HPD1 = 1 << 8;
export const VF_WXN = 1 << 9;
export const VF_FWB = 1 << 10;
export const VF_XNX = 1 << 11;
export const VF_VA52 = 1 << 12;
export const VF_DS = 1 << 13;

/** VT-d second-stage parameters (CTX_P index) and flags: see assembly/formats/vtd-ss.ts. */
export const VSP_AW = 0;
export const VSP_HAW = 1;
export const VSP_MGAW = 2;
export const VSP_FLAGS = 3;
export const VSF_2M = 1 << 0;
export const VSF_1G = 1 << 1;
export const VSF_SNP = 1 << 2;
export const VSF_TM = 1 << 3;
export const VSF_EXEC = 1 << 4;
export const VSF_AD = 1 << 5;

/** POWER TCE parameters (CTX_P index) and flags: see assembly/formats/tce.ts. */
export const TP_PAGE = 0;
export const TP_LEVELS = 1;
export const TP_LBITS = 2;
export const TP_FLAGS = 3;
export const TF_LE = 1 << 0;

/** VT-d first-stage parameters (CTX_P index) and flags: see assembly/formats/vtd-fs.ts. */
export const VFP_LEVELS = 0;
export const VFP_HAW = 1;
export const VFP_FLAGS = 2;
export const VFF_NXE = 1 << 0;
export const VFF_1G = 1 << 1;
export const VFF_AD = 1 << 2;
export const VFF_WPE = 1 << 3;
export const VFF_SMEP = 1 << 4;

/** Flat-table parameters (CTX_P index): see assembly/formats/flat.ts. */
export const FP_VALID = 0;
export const FP_ADDRTOP = 1;
export const FP_INBITS = 2;

/** Apple DART parameters (CTX_P index) and PTE kinds: see assembly/formats/dart.ts. */
export const DP_PTE = 0;
export const DP_PAGE = 1;
export const DP_TABLES = 2;
export const DP_TTBRS = 3;
export const DP_IAS = 4;
export const DP_VALID = 5;
export const DART1 = 1;
export const DART2 = 2;

/** Rockchip parameters (CTX_P index): see assembly/formats/rockchip.ts. */
export const RKP_VERSION = 0;

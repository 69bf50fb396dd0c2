// TypeScript mirror of assembly/xlate (the combined IOTLB + walk translate). xlate_abi() lets a
// test prove the numbers agree with the module.

export const XLATE_ABI_VERSION = 1;
export const MAX_BIND = 128;

/** Binding flags (xlate_bind). */
/** Leaves with nG = 0 (SMMU) / G = 1 (VT-d first stage) are cached as global entries. */
export const XF_GLOBAL_FROM_NG = 1;
/** A hit that refuses the access faults from the cached entry (QEMU SMMUv3) instead of walking again. */
export const XF_PERM_FROM_TLB = 2;

/** Result record. */
export const XR_BYTES = 48;
export const XR_STATUS = 0;
export const XR_SOURCE = 4;
export const XR_OA = 8;
export const XR_PERM_ALL = 16;
export const XR_PAGE_SHIFT = 20;
export const XR_ATTRS = 24;
export const XR_S2_ATTRS = 28;
export const XR_REASON = 32;
export const XR_STAGE = 36;
export const XR_LEVEL = 40;

/** Who answered (XR_SOURCE). */
export const XS_NONE = 0;
export const XS_TLB = 1;
export const XS_WALK = 2;

/** Batch buffers. */
export const XBATCH_MAX = 1024;
export const XBATCH_IN_BYTES = 16;
export const XBATCH_OUT_BYTES = 16;

/** xlate_abi(key) answers, in key order. */
export const XLATE_ABI_KEYS: readonly number[] = [XLATE_ABI_VERSION, MAX_BIND, XR_BYTES, XBATCH_MAX, XBATCH_IN_BYTES, XBATCH_OUT_BYTES, 3];

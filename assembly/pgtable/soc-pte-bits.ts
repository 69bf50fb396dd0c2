// Entry layouts of the tables the TCE / SoC writers build, in one place.
//
// Why not regmaps/: a regmap file describes one hardware block's MMIO window (the schema
// requires `registers` with a non-zero window size) plus the in-memory structures that block
// reads. None of these IOMMUs (PHB TCE tables, Apple DART, Rockchip, MediaTek M4U v1, Tegra
// GART) has a regmap file yet, and inventing a register window only to carry PTE layouts would
// put fake registers into the CLI's `describe`. When their register maps are added, these
// layouts belong in them as `structures`, and this file should import the generated constants.
// Until then every writer file takes its bits from here, and the walk formats
// (assembly/formats/{tce,dart,rockchip,flat}.ts) name the same bits for the hardware side.

// ---- POWER TCE (arch/powerpc/include/asm/tce.h; power-tce.md A1, A3) ----
export const TCE_PCI_READ: u64 = 1;
export const TCE_PCI_WRITE: u64 = 2;

// ---- Apple DART (io-pgtable-dart.c; soc-iommus.md 2.6) ----
export const DART_PTE_VALID: u64 = 1 << 0;
export const DART_SUBPAGE_END_SHIFT: u64 = 40; // bits 51:40, last accessible 4-byte word
export const DART_SUBPAGE_START_SHIFT: u64 = 52; // bits 63:52, first accessible word (Linux: 0)
export const DART1_PADDR_MASK: u64 = 0x0000_000f_ffff_f000; // bits 35:12 = PA[35:12]
export const DART1_SP_DIS: u64 = 1 << 1;
export const DART1_NO_WRITE: u64 = 1 << 7;
export const DART1_NO_READ: u64 = 1 << 8;
export const DART2_PADDR_MASK: u64 = 0x0000_003f_ffff_fc00; // bits 37:10 = PA[41:14]
export const DART2_PADDR_SHIFT: u64 = 4;
export const DART2_NO_CACHE: u64 = 1 << 1;
export const DART2_NO_WRITE: u64 = 1 << 2;
export const DART2_NO_READ: u64 = 1 << 3;

// ---- Rockchip v1 / v2 (rockchip-iommu.c; soc-iommus.md 3.2, 3.3) ----
export const RK_VALID: u32 = 1 << 0;
export const RK_READABLE: u32 = 1 << 1;
export const RK_WRITABLE: u32 = 1 << 2;
export const RK_ADDR_LO: u32 = 0xfffff000; // bits 31:12 = PA[31:12]
export const RK_V2_HI1_MASK: u32 = 0xf00; // bits 11:8 = PA[35:32]
export const RK_V2_HI2_MASK: u32 = 0xf0; // bits 7:4 = PA[39:36]
export const RK_V2_ADDR_MASK: u32 = 0xfffffff0; // GENMASK(31, 4)

// ---- MediaTek M4U v1 (mtk_iommu_v1.c; soc-iommus.md 4.2) ----
export const MTK_DESC_VALID: u32 = 1 << 1;
export const MTK_DESC_NONSEC: u32 = 1 << 3;

// ---- Tegra GART (tegra-gart.c; soc-iommus.md 5.1) ----
export const GART_VALID: u32 = <u32>1 << 31;
export const GART_PAGE_MASK: u32 = 0x7ffff000; // GENMASK(30, 12)

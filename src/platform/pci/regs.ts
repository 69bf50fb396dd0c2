// PCI / PCI Express configuration-space layout: offsets, fields and bits, named as in Linux's
// include/uapi/linux/pci_regs.h (the PCI Local Bus 3.0, PCI-to-PCI Bridge 1.2 and PCI Express
// Base specifications). Every config-space offset used by src/platform comes from here.

// ---- sizes --------------------------------------------------------------------------------
export const PCI_CFG_SPACE_SIZE = 256;
export const PCI_CFG_SPACE_EXP_SIZE = 4096;
/** End of the standard header; capabilities live above it. */
export const PCI_STD_HEADER_SIZEOF = 0x40;

// ---- common header (types 0 and 1) ---------------------------------------------------------
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
export const PCI_COMMAND_SPECIAL = 0x0008;
export const PCI_COMMAND_INVALIDATE = 0x0010;
export const PCI_COMMAND_VGA_PALETTE = 0x0020;
export const PCI_COMMAND_PARITY = 0x0040;
export const PCI_COMMAND_WAIT = 0x0080;
export const PCI_COMMAND_SERR = 0x0100;
export const PCI_COMMAND_FAST_BACK = 0x0200;
export const PCI_COMMAND_INTX_DISABLE = 0x0400;

export const PCI_STATUS = 0x06;
export const PCI_STATUS_IMM_READY = 0x0001;
export const PCI_STATUS_INTERRUPT = 0x0008;
export const PCI_STATUS_CAP_LIST = 0x0010;
export const PCI_STATUS_66MHZ = 0x0020;
export const PCI_STATUS_FAST_BACK = 0x0080;
export const PCI_STATUS_PARITY = 0x0100;
export const PCI_STATUS_DEVSEL_MASK = 0x0600;
export const PCI_STATUS_SIG_TARGET_ABORT = 0x0800;
export const PCI_STATUS_REC_TARGET_ABORT = 0x1000;
export const PCI_STATUS_REC_MASTER_ABORT = 0x2000;
export const PCI_STATUS_SIG_SYSTEM_ERROR = 0x4000;
export const PCI_STATUS_DETECTED_PARITY = 0x8000;
/** The error bits of the status register, all RW1C. */
export const PCI_STATUS_ERROR_BITS =
  PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
  PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY;

export const PCI_CLASS_REVISION = 0x08;
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CLASS_DEVICE = 0x0a;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_HEADER_TYPE_MASK = 0x7f;
export const PCI_HEADER_TYPE_NORMAL = 0;
export const PCI_HEADER_TYPE_BRIDGE = 1;
export const PCI_HEADER_TYPE_MFD = 0x80;
export const PCI_BIST = 0x0f;

// ---- BARs ----------------------------------------------------------------------------------
export const PCI_BASE_ADDRESS_0 = 0x10;
export const PCI_BASE_ADDRESS_SPACE_IO = 0x01;
export const PCI_BASE_ADDRESS_SPACE_MEMORY = 0x00;
export const PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
export const PCI_BASE_ADDRESS_MEM_TYPE_32 = 0x00;
export const PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
export const PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
export const PCI_BASE_ADDRESS_MEM_MASK = ~0x0f;
export const PCI_BASE_ADDRESS_IO_MASK = ~0x03;
/** Number of BARs in a type 0 / type 1 header. */
export const PCI_NUM_BARS_TYPE0 = 6;
export const PCI_NUM_BARS_TYPE1 = 2;

// ---- type 0 header -------------------------------------------------------------------------
export const PCI_CARDBUS_CIS = 0x28;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
export const PCI_MIN_GNT = 0x3e;
export const PCI_MAX_LAT = 0x3f;

// ---- type 1 header (PCI-to-PCI bridge) -----------------------------------------------------
export const PCI_PRIMARY_BUS = 0x18;
export const PCI_SECONDARY_BUS = 0x19;
export const PCI_SUBORDINATE_BUS = 0x1a;
export const PCI_SEC_LATENCY_TIMER = 0x1b;
export const PCI_IO_BASE = 0x1c;
export const PCI_IO_LIMIT = 0x1d;
export const PCI_IO_RANGE_TYPE_MASK = 0x0f;
export const PCI_IO_RANGE_TYPE_16 = 0x00;
export const PCI_IO_RANGE_TYPE_32 = 0x01;
export const PCI_IO_RANGE_MASK = ~0x0f;
export const PCI_SEC_STATUS = 0x1e;
export const PCI_MEMORY_BASE = 0x20;
export const PCI_MEMORY_LIMIT = 0x22;
export const PCI_MEMORY_RANGE_MASK = ~0x0f;
export const PCI_PREF_MEMORY_BASE = 0x24;
export const PCI_PREF_MEMORY_LIMIT = 0x26;
export const PCI_PREF_RANGE_TYPE_MASK = 0x0f;
export const PCI_PREF_RANGE_TYPE_32 = 0x00;
export const PCI_PREF_RANGE_TYPE_64 = 0x01;
export const PCI_PREF_RANGE_MASK = ~0x0f;
export const PCI_PREF_BASE_UPPER32 = 0x28;
export const PCI_PREF_LIMIT_UPPER32 = 0x2c;
export const PCI_IO_BASE_UPPER16 = 0x30;
export const PCI_IO_LIMIT_UPPER16 = 0x32;
export const PCI_ROM_ADDRESS1 = 0x38;
export const PCI_BRIDGE_CONTROL = 0x3e;
export const PCI_BRIDGE_CTL_PARITY = 0x0001;
export const PCI_BRIDGE_CTL_SERR = 0x0002;
export const PCI_BRIDGE_CTL_ISA = 0x0004;
export const PCI_BRIDGE_CTL_VGA = 0x0008;
export const PCI_BRIDGE_CTL_VGA_16BIT = 0x0010;
export const PCI_BRIDGE_CTL_MASTER_ABORT = 0x0020;
export const PCI_BRIDGE_CTL_BUS_RESET = 0x0040;
export const PCI_BRIDGE_CTL_FAST_BACK = 0x0080;
/** Window granularities fixed by the bridge specification. */
export const PCI_BRIDGE_MEM_GRANULE = 0x100000;
export const PCI_BRIDGE_IO_GRANULE = 0x1000;

// ---- class codes (24-bit: base class, sub-class, prog-if) ----------------------------------
export const PCI_CLASS_OTHERS = 0xff0000;
export const PCI_CLASS_BRIDGE_HOST = 0x060000;
export const PCI_CLASS_BRIDGE_PCI = 0x060400;

// ---- capability list -----------------------------------------------------------------------
export const PCI_CAP_LIST_ID = 0;
export const PCI_CAP_LIST_NEXT = 1;
export const PCI_CAP_ID_PM = 0x01;
export const PCI_CAP_ID_MSI = 0x05;
export const PCI_CAP_ID_SSVID = 0x0d;
export const PCI_CAP_ID_EXP = 0x10;
export const PCI_CAP_ID_MSIX = 0x11;

// ---- MSI capability ------------------------------------------------------------------------
export const PCI_MSI_FLAGS = 0x02;
export const PCI_MSI_FLAGS_ENABLE = 0x0001;
export const PCI_MSI_FLAGS_QMASK = 0x000e;
export const PCI_MSI_FLAGS_QSIZE = 0x0070;
export const PCI_MSI_FLAGS_64BIT = 0x0080;
export const PCI_MSI_FLAGS_MASKBIT = 0x0100;
export const PCI_MSI_ADDRESS_LO = 0x04;
export const PCI_MSI_ADDRESS_LO_MASK = 0xfffffffc;
export const PCI_MSI_ADDRESS_HI = 0x08;
export const PCI_MSI_DATA_32 = 0x08;
export const PCI_MSI_MASK_32 = 0x0c;
export const PCI_MSI_PENDING_32 = 0x10;
export const PCI_MSI_DATA_64 = 0x0c;
export const PCI_MSI_MASK_64 = 0x10;
export const PCI_MSI_PENDING_64 = 0x14;
export const PCI_MSI_VECTORS_MAX = 32;

// ---- PCI Express capability ----------------------------------------------------------------
export const PCI_EXP_FLAGS = 0x02;
export const PCI_EXP_FLAGS_VERS = 0x000f;
export const PCI_EXP_FLAGS_TYPE = 0x00f0;
export const PCI_EXP_FLAGS_TYPE_SHIFT = 4;
export const PCI_EXP_FLAGS_SLOT = 0x0100;
export const PCI_EXP_TYPE_ENDPOINT = 0x0;
export const PCI_EXP_TYPE_LEG_END = 0x1;
export const PCI_EXP_TYPE_ROOT_PORT = 0x4;
export const PCI_EXP_TYPE_UPSTREAM = 0x5;
export const PCI_EXP_TYPE_DOWNSTREAM = 0x6;
export const PCI_EXP_TYPE_PCI_BRIDGE = 0x7;
export const PCI_EXP_TYPE_PCIE_BRIDGE = 0x8;
export const PCI_EXP_TYPE_RC_END = 0x9;
export const PCI_EXP_TYPE_RC_EC = 0xa;
export const PCI_EXP_DEVCAP = 0x04;
export const PCI_EXP_DEVCAP_PAYLOAD = 0x00000007;
export const PCI_EXP_DEVCAP_FLR = 0x10000000;
export const PCI_EXP_DEVCTL = 0x08;
export const PCI_EXP_DEVCTL_BCR_FLR = 0x8000;
export const PCI_EXP_DEVSTA = 0x0a;
/** CED | NFED | FED | URD: the RW1C error-detected bits of Device Status. */
export const PCI_EXP_DEVSTA_ERRORS = 0x000f;
export const PCI_EXP_LNKCAP = 0x0c;
export const PCI_EXP_LNKCTL = 0x10;
export const PCI_EXP_LNKSTA = 0x12;
export const PCI_EXP_SLTCAP = 0x14;
export const PCI_EXP_SLTCTL = 0x18;
export const PCI_EXP_SLTSTA = 0x1a;
export const PCI_EXP_RTCTL = 0x1c;
export const PCI_EXP_RTCAP = 0x1e;
export const PCI_EXP_RTSTA = 0x20;
export const PCI_EXP_DEVCAP2 = 0x24;
export const PCI_EXP_DEVCTL2 = 0x28;
export const PCI_EXP_LNKCAP2 = 0x2c;
export const PCI_EXP_LNKCTL2 = 0x30;
/** Size of a version 2 PCI Express capability structure. */
export const PCI_CAP_EXP_SIZEOF_V2 = 0x3c;

// ---- extended capabilities (0x100..0xfff) ---------------------------------------------------
export const PCI_EXT_CAP_START = 0x100;
/** Header: ID in bits 15:0, version in 19:16, next offset in 31:20. */
export const PCI_EXT_CAP_ID_MASK = 0xffff;
export const PCI_EXT_CAP_VER_SHIFT = 16;
export const PCI_EXT_CAP_NEXT_SHIFT = 20;
export const PCI_EXT_CAP_ID_ACS = 0x000d;

// ---- ACS extended capability ---------------------------------------------------------------
export const PCI_ACS_CAP = 0x04;
export const PCI_ACS_SV = 0x0001;
export const PCI_ACS_TB = 0x0002;
export const PCI_ACS_RR = 0x0004;
export const PCI_ACS_CR = 0x0008;
export const PCI_ACS_UF = 0x0010;
export const PCI_ACS_EC = 0x0020;
export const PCI_ACS_DT = 0x0040;
/** All capability/control bits defined by the ACS capability (bits 6:0). */
export const PCI_ACS_ALL_BITS = 0x007f;
/** Egress Control Vector Size field of the ACS Capability register (bits 15:8). */
export const PCI_ACS_EGRESS_BITS_SHIFT = 8;
export const PCI_ACS_CTRL = 0x06;
export const PCI_ACS_EGRESS_CTL_V = 0x08;
/** The flags Linux requires along the path for isolation (REQ_ACS_FLAGS). */
export const PCI_ACS_REQ_ISOLATION = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;

// ---- config-mechanism #1 (ports 0xCF8 / 0xCFC) and ECAM ------------------------------------
export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
export const PCI_CONFIG_DATA_PORT = 0xcfc;
export const PCI_CONFIG_ADDRESS_ENABLE = 0x80000000;
export const PCI_CONFIG_ADDRESS_BUS_SHIFT = 16;
export const PCI_CONFIG_ADDRESS_DEVFN_SHIFT = 8;
export const PCI_CONFIG_ADDRESS_REG_MASK = 0xfc;
export const PCIE_ECAM_BUS_SHIFT = 20;
export const PCIE_ECAM_DEVFN_SHIFT = 12;
export const PCIE_ECAM_REG_MASK = 0xfff;
/** Bytes of ECAM space per bus (32 devices x 8 functions x 4 KiB). */
export const PCIE_ECAM_BUS_SIZE = 1 << PCIE_ECAM_BUS_SHIFT;

/** devfn helpers (PCI_DEVFN / PCI_SLOT / PCI_FUNC). */
export function pciDevfn(slot: number, fn: number): number {
  return ((slot & 0x1f) << 3) | (fn & 7);
}
export function pciSlot(devfn: number): number {
  return (devfn >> 3) & 0x1f;
}
export function pciFunc(devfn: number): number {
  return devfn & 7;
}

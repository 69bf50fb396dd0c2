// PCI / PCI Express configuration-space names as Linux spells them (include/uapi/linux/
// pci_regs.h), mapped onto the constants generated from regmaps/pci.json (header, BAR
// layouts, capability and class codes, config mechanisms) and regmaps/pci_exp.json,
// pci_msi.json, pci_acs.json (capabilities, offsets relative to the capability). The
// values live in the regmaps only; this file chooses names, so the platform code reads like
// the Linux and QEMU sources it is checked against. Linux bit names are masks in place
// (PCI_COMMAND_MEMORY = 0x2): they map to the generated *_MASK constants.
import * as P from '../../regs/generated/pci.ts';
import * as E from '../../regs/generated/pci_exp.ts';
import * as M from '../../regs/generated/pci_msi.ts';
import * as A from '../../regs/generated/pci_acs.ts';

// ---- sizes --------------------------------------------------------------------------------
export const PCI_CFG_SPACE_SIZE = P.PCI_CFG_SPACE_SIZE;
export const PCI_CFG_SPACE_EXP_SIZE = P.PCI_CFG_SPACE_EXP_SIZE;
/** End of the standard header; capabilities live above it. */
export const PCI_STD_HEADER_SIZEOF = P.PCI_STD_HEADER_SIZEOF;

// ---- common header (types 0 and 1) ---------------------------------------------------------
export const PCI_VENDOR_ID = P.PCI_VENDOR_ID;
export const PCI_DEVICE_ID = P.PCI_DEVICE_ID;
export const PCI_COMMAND = P.PCI_COMMAND;
export const PCI_COMMAND_IO = P.PCI_COMMAND_IO_MASK;
export const PCI_COMMAND_MEMORY = P.PCI_COMMAND_MEMORY_MASK;
export const PCI_COMMAND_MASTER = P.PCI_COMMAND_MASTER_MASK;
export const PCI_COMMAND_SPECIAL = P.PCI_COMMAND_SPECIAL_MASK;
export const PCI_COMMAND_INVALIDATE = P.PCI_COMMAND_INVALIDATE_MASK;
export const PCI_COMMAND_VGA_PALETTE = P.PCI_COMMAND_VGA_PALETTE_MASK;
export const PCI_COMMAND_PARITY = P.PCI_COMMAND_PARITY_MASK;
export const PCI_COMMAND_WAIT = P.PCI_COMMAND_WAIT_MASK;
export const PCI_COMMAND_SERR = P.PCI_COMMAND_SERR_MASK;
export const PCI_COMMAND_FAST_BACK = P.PCI_COMMAND_FAST_BACK_MASK;
export const PCI_COMMAND_INTX_DISABLE = P.PCI_COMMAND_INTX_DISABLE_MASK;

export const PCI_STATUS = P.PCI_STATUS;
export const PCI_STATUS_IMM_READY = P.PCI_STATUS_IMM_READY_MASK;
export const PCI_STATUS_INTERRUPT = P.PCI_STATUS_INTERRUPT_MASK;
export const PCI_STATUS_CAP_LIST = P.PCI_STATUS_CAP_LIST_MASK;
export const PCI_STATUS_66MHZ = P.PCI_STATUS_M66_MASK;
export const PCI_STATUS_FAST_BACK = P.PCI_STATUS_FAST_BACK_MASK;
export const PCI_STATUS_PARITY = P.PCI_STATUS_PARITY_MASK;
export const PCI_STATUS_DEVSEL_MASK = P.PCI_STATUS_DEVSEL_MASK;
export const PCI_STATUS_SIG_TARGET_ABORT = P.PCI_STATUS_SIG_TARGET_ABORT_MASK;
export const PCI_STATUS_REC_TARGET_ABORT = P.PCI_STATUS_REC_TARGET_ABORT_MASK;
export const PCI_STATUS_REC_MASTER_ABORT = P.PCI_STATUS_REC_MASTER_ABORT_MASK;
export const PCI_STATUS_SIG_SYSTEM_ERROR = P.PCI_STATUS_SIG_SYSTEM_ERROR_MASK;
export const PCI_STATUS_DETECTED_PARITY = P.PCI_STATUS_DETECTED_PARITY_MASK;
/** The error bits of the status register, all RW1C. */
export const PCI_STATUS_ERROR_BITS =
  PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
  PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY;

/** The dword at 0x08: revision in bits 7:0, class code in 31:8. */
export const PCI_CLASS_REVISION = P.PCI_REVISION_ID;
export const PCI_REVISION_ID = P.PCI_REVISION_ID;
export const PCI_CLASS_PROG = P.PCI_CLASS_PROG;
export const PCI_CLASS_DEVICE = P.PCI_CLASS_DEVICE;
export const PCI_CACHE_LINE_SIZE = P.PCI_CACHE_LINE_SIZE;
export const PCI_LATENCY_TIMER = P.PCI_LATENCY_TIMER;
export const PCI_HEADER_TYPE = P.PCI_HEADER_TYPE;
export const PCI_HEADER_TYPE_MASK = P.PCI_HEADER_TYPE_LAYOUT_MASK;
export const PCI_HEADER_TYPE_NORMAL = P.PCI_HEADER_TYPE_LAYOUT_NORMAL;
export const PCI_HEADER_TYPE_BRIDGE = P.PCI_HEADER_TYPE_LAYOUT_BRIDGE;
export const PCI_HEADER_TYPE_MFD = P.PCI_HEADER_TYPE_MFD_MASK;
export const PCI_BIST = P.PCI_BIST;

// ---- BARs ----------------------------------------------------------------------------------
export const PCI_BASE_ADDRESS_0 = P.PCI_BASE_ADDRESS_0;
export const PCI_BASE_ADDRESS_SPACE_IO = P.PCI_BAR_SPACE_IO;
export const PCI_BASE_ADDRESS_SPACE_MEMORY = P.PCI_BAR_SPACE_MEMORY;
export const PCI_BASE_ADDRESS_MEM_TYPE_MASK = P.PCI_BAR_MEM_TYPE_MASK;
export const PCI_BASE_ADDRESS_MEM_TYPE_32 = P.PCI_BAR_MEM_TYPE_B32 << P.PCI_BAR_MEM_TYPE_SHIFT;
export const PCI_BASE_ADDRESS_MEM_TYPE_64 = P.PCI_BAR_MEM_TYPE_B64 << P.PCI_BAR_MEM_TYPE_SHIFT;
export const PCI_BASE_ADDRESS_MEM_PREFETCH = P.PCI_BAR_MEM_PREFETCH_MASK;
// Linux defines these as ~0x0f / ~0x03 (signed); code here combines them with `&` on 32-bit values.
export const PCI_BASE_ADDRESS_MEM_MASK = P.PCI_BAR_MEM_ADDR_MASK | 0;
export const PCI_BASE_ADDRESS_IO_MASK = P.PCI_BAR_IO_ADDR_MASK | 0;
/** Number of BARs in a type 0 / type 1 header: the dwords from BAR 0 up to what follows them. */
export const PCI_NUM_BARS_TYPE0 = (P.PCI_CARDBUS_CIS - P.PCI_BASE_ADDRESS_0) / 4;
export const PCI_NUM_BARS_TYPE1 = (P.PCI_PRIMARY_BUS - P.PCI_BASE_ADDRESS_0) / 4;

// ---- type 0 header -------------------------------------------------------------------------
export const PCI_CARDBUS_CIS = P.PCI_CARDBUS_CIS;
export const PCI_SUBSYSTEM_VENDOR_ID = P.PCI_SUBSYSTEM_VENDOR_ID;
export const PCI_SUBSYSTEM_ID = P.PCI_SUBSYSTEM_ID;
export const PCI_ROM_ADDRESS = P.PCI_ROM_ADDRESS;
export const PCI_CAPABILITY_LIST = P.PCI_CAPABILITY_LIST;
export const PCI_INTERRUPT_LINE = P.PCI_INTERRUPT_LINE;
export const PCI_INTERRUPT_PIN = P.PCI_INTERRUPT_PIN;
export const PCI_MIN_GNT = P.PCI_MIN_GNT;
export const PCI_MAX_LAT = P.PCI_MAX_LAT;

// ---- type 1 header (PCI-to-PCI bridge) -----------------------------------------------------
export const PCI_PRIMARY_BUS = P.PCI_PRIMARY_BUS;
export const PCI_SECONDARY_BUS = P.PCI_SECONDARY_BUS;
export const PCI_SUBORDINATE_BUS = P.PCI_SUBORDINATE_BUS;
export const PCI_SEC_LATENCY_TIMER = P.PCI_SEC_LATENCY_TIMER;
export const PCI_IO_BASE = P.PCI_IO_BASE;
export const PCI_IO_LIMIT = P.PCI_IO_LIMIT;
export const PCI_IO_RANGE_TYPE_MASK = P.PCI_IO_BASE_RANGE_TYPE_MASK;
export const PCI_IO_RANGE_TYPE_16 = P.PCI_IO_BASE_RANGE_TYPE_ADDR16;
export const PCI_IO_RANGE_TYPE_32 = P.PCI_IO_BASE_RANGE_TYPE_ADDR32;
export const PCI_IO_RANGE_MASK = ~P.PCI_IO_BASE_RANGE_TYPE_MASK;
export const PCI_SEC_STATUS = P.PCI_SEC_STATUS;
export const PCI_MEMORY_BASE = P.PCI_MEMORY_BASE;
export const PCI_MEMORY_LIMIT = P.PCI_MEMORY_LIMIT;
export const PCI_MEMORY_RANGE_MASK = ~((1 << P.PCI_MEMORY_BASE_ADDR_SHIFT) - 1);
export const PCI_PREF_MEMORY_BASE = P.PCI_PREF_MEMORY_BASE;
export const PCI_PREF_MEMORY_LIMIT = P.PCI_PREF_MEMORY_LIMIT;
export const PCI_PREF_RANGE_TYPE_MASK = P.PCI_PREF_MEMORY_BASE_RANGE_TYPE_MASK;
export const PCI_PREF_RANGE_TYPE_32 = P.PCI_PREF_MEMORY_BASE_RANGE_TYPE_ADDR32;
export const PCI_PREF_RANGE_TYPE_64 = P.PCI_PREF_MEMORY_BASE_RANGE_TYPE_ADDR64;
export const PCI_PREF_RANGE_MASK = ~P.PCI_PREF_MEMORY_BASE_RANGE_TYPE_MASK;
export const PCI_PREF_BASE_UPPER32 = P.PCI_PREF_BASE_UPPER32;
export const PCI_PREF_LIMIT_UPPER32 = P.PCI_PREF_LIMIT_UPPER32;
export const PCI_IO_BASE_UPPER16 = P.PCI_IO_BASE_UPPER16;
export const PCI_IO_LIMIT_UPPER16 = P.PCI_IO_LIMIT_UPPER16;
export const PCI_ROM_ADDRESS1 = P.PCI_ROM_ADDRESS1;
export const PCI_BRIDGE_CONTROL = P.PCI_BRIDGE_CONTROL;
export const PCI_BRIDGE_CTL_PARITY = P.PCI_BRIDGE_CONTROL_PARITY_MASK;
export const PCI_BRIDGE_CTL_SERR = P.PCI_BRIDGE_CONTROL_SERR_MASK;
export const PCI_BRIDGE_CTL_ISA = P.PCI_BRIDGE_CONTROL_ISA_MASK;
export const PCI_BRIDGE_CTL_VGA = P.PCI_BRIDGE_CONTROL_VGA_MASK;
export const PCI_BRIDGE_CTL_VGA_16BIT = P.PCI_BRIDGE_CONTROL_VGA_16BIT_MASK;
export const PCI_BRIDGE_CTL_MASTER_ABORT = P.PCI_BRIDGE_CONTROL_MASTER_ABORT_MASK;
export const PCI_BRIDGE_CTL_BUS_RESET = P.PCI_BRIDGE_CONTROL_BUS_RESET_MASK;
export const PCI_BRIDGE_CTL_FAST_BACK = P.PCI_BRIDGE_CONTROL_FAST_BACK_MASK;
/**
 * Window granularities fixed by the bridge specification: the base/limit registers hold
 * address bits 31:20 (memory) and 15:12 (I/O) in their ADDR fields.
 */
export const PCI_BRIDGE_MEM_GRANULE = 1 << (16 + P.PCI_MEMORY_BASE_ADDR_SHIFT);
export const PCI_BRIDGE_IO_GRANULE = 1 << (8 + P.PCI_IO_BASE_ADDR_SHIFT);

// ---- class codes (24-bit: base class, sub-class, prog-if) ----------------------------------
export const PCI_CLASS_OTHERS = P.PCI_CLASS_CODE_OTHERS;
export const PCI_CLASS_BRIDGE_HOST = P.PCI_CLASS_CODE_BRIDGE_HOST;
export const PCI_CLASS_BRIDGE_PCI = P.PCI_CLASS_CODE_BRIDGE_PCI;

// ---- capability list -----------------------------------------------------------------------
export const PCI_CAP_LIST_ID = P.PCI_CAP_LIST_ID;
export const PCI_CAP_LIST_NEXT = P.PCI_CAP_LIST_NEXT;
export const PCI_CAP_ID_PM = P.PCI_CAP_ID_PM;
export const PCI_CAP_ID_MSI = P.PCI_CAP_ID_MSI;
export const PCI_CAP_ID_SSVID = P.PCI_CAP_ID_SSVID;
export const PCI_CAP_ID_EXP = P.PCI_CAP_ID_EXP;
export const PCI_CAP_ID_MSIX = P.PCI_CAP_ID_MSIX;

// ---- MSI capability ------------------------------------------------------------------------
export const PCI_MSI_FLAGS = M.PCI_MSI_FLAGS;
export const PCI_MSI_FLAGS_ENABLE = M.PCI_MSI_FLAGS_ENABLE_MASK;
export const PCI_MSI_FLAGS_QMASK = M.PCI_MSI_FLAGS_QMASK_MASK;
export const PCI_MSI_FLAGS_QSIZE = M.PCI_MSI_FLAGS_QSIZE_MASK;
export const PCI_MSI_FLAGS_64BIT = M.PCI_MSI_FLAGS_ADDR64_MASK;
export const PCI_MSI_FLAGS_MASKBIT = M.PCI_MSI_FLAGS_MASKBIT_MASK;
export const PCI_MSI_ADDRESS_LO = M.PCI_MSI_ADDRESS_LO;
export const PCI_MSI_ADDRESS_LO_MASK = M.PCI_MSI_ADDRESS_LO_ADDR_MASK;
export const PCI_MSI_ADDRESS_HI = M.PCI_MSI_ADDRESS_HI;
export const PCI_MSI_DATA_32 = M.PCI_MSI_DATA_32;
export const PCI_MSI_MASK_32 = M.PCI_MSI_MASK_32;
export const PCI_MSI_PENDING_32 = M.PCI_MSI_PENDING_32;
export const PCI_MSI_DATA_64 = M.PCI_MSI_DATA_64;
export const PCI_MSI_MASK_64 = M.PCI_MSI_MASK_64;
export const PCI_MSI_PENDING_64 = M.PCI_MSI_PENDING_64;
/** The largest vector count QMASK can announce (2^5). */
export const PCI_MSI_VECTORS_MAX = 1 << M.PCI_MSI_FLAGS_QMASK_V32;

// ---- PCI Express capability ----------------------------------------------------------------
export const PCI_EXP_FLAGS = E.PCI_EXP_FLAGS;
export const PCI_EXP_FLAGS_VERS = E.PCI_EXP_FLAGS_VERS_MASK;
export const PCI_EXP_FLAGS_TYPE = E.PCI_EXP_FLAGS_TYPE_MASK;
export const PCI_EXP_FLAGS_TYPE_SHIFT = E.PCI_EXP_FLAGS_TYPE_SHIFT;
export const PCI_EXP_FLAGS_SLOT = E.PCI_EXP_FLAGS_SLOT_MASK;
export const PCI_EXP_TYPE_ENDPOINT = E.PCI_EXP_TYPE_ENDPOINT;
export const PCI_EXP_TYPE_LEG_END = E.PCI_EXP_TYPE_LEG_END;
export const PCI_EXP_TYPE_ROOT_PORT = E.PCI_EXP_TYPE_ROOT_PORT;
export const PCI_EXP_TYPE_UPSTREAM = E.PCI_EXP_TYPE_UPSTREAM;
export const PCI_EXP_TYPE_DOWNSTREAM = E.PCI_EXP_TYPE_DOWNSTREAM;
export const PCI_EXP_TYPE_PCI_BRIDGE = E.PCI_EXP_TYPE_PCI_BRIDGE;
export const PCI_EXP_TYPE_PCIE_BRIDGE = E.PCI_EXP_TYPE_PCIE_BRIDGE;
export const PCI_EXP_TYPE_RC_END = E.PCI_EXP_TYPE_RC_END;
export const PCI_EXP_TYPE_RC_EC = E.PCI_EXP_TYPE_RC_EC;
export const PCI_EXP_DEVCAP = E.PCI_EXP_DEVCAP;
export const PCI_EXP_DEVCAP_PAYLOAD = E.PCI_EXP_DEVCAP_PAYLOAD_MASK;
export const PCI_EXP_DEVCAP_FLR = E.PCI_EXP_DEVCAP_FLR_MASK;
export const PCI_EXP_DEVCTL = E.PCI_EXP_DEVCTL;
export const PCI_EXP_DEVCTL_BCR_FLR = E.PCI_EXP_DEVCTL_BCR_FLR_MASK;
export const PCI_EXP_DEVSTA = E.PCI_EXP_DEVSTA;
/** CED | NFED | FED | URD: the RW1C error-detected bits of Device Status. */
export const PCI_EXP_DEVSTA_ERRORS =
  E.PCI_EXP_DEVSTA_CED_MASK | E.PCI_EXP_DEVSTA_NFED_MASK | E.PCI_EXP_DEVSTA_FED_MASK | E.PCI_EXP_DEVSTA_URD_MASK;
export const PCI_EXP_LNKCAP = E.PCI_EXP_LNKCAP;
export const PCI_EXP_LNKCTL = E.PCI_EXP_LNKCTL;
export const PCI_EXP_LNKSTA = E.PCI_EXP_LNKSTA;
export const PCI_EXP_SLTCAP = E.PCI_EXP_SLTCAP;
export const PCI_EXP_SLTCTL = E.PCI_EXP_SLTCTL;
export const PCI_EXP_SLTSTA = E.PCI_EXP_SLTSTA;
export const PCI_EXP_RTCTL = E.PCI_EXP_RTCTL;
export const PCI_EXP_RTCAP = E.PCI_EXP_RTCAP;
export const PCI_EXP_RTSTA = E.PCI_EXP_RTSTA;
export const PCI_EXP_DEVCAP2 = E.PCI_EXP_DEVCAP2;
export const PCI_EXP_DEVCTL2 = E.PCI_EXP_DEVCTL2;
export const PCI_EXP_LNKCAP2 = E.PCI_EXP_LNKCAP2;
export const PCI_EXP_LNKCTL2 = E.PCI_EXP_LNKCTL2;
/** Size of a version 2 PCI Express capability structure. */
export const PCI_CAP_EXP_SIZEOF_V2 = E.PCI_EXP_CAP_SIZEOF_V2;

// ---- extended capabilities (0x100..0xfff) ---------------------------------------------------
export const PCI_EXT_CAP_START = P.PCI_EXT_CAP_START;
/** Header: ID in bits 15:0, version in 19:16, next offset in 31:20. */
export const PCI_EXT_CAP_ID_MASK = P.PCI_EXT_CAP_HEADER_ID_MASK;
export const PCI_EXT_CAP_VER_SHIFT = P.PCI_EXT_CAP_HEADER_VER_SHIFT;
export const PCI_EXT_CAP_NEXT_SHIFT = P.PCI_EXT_CAP_HEADER_NEXT_SHIFT;
export const PCI_EXT_CAP_ID_ACS = P.PCI_EXT_CAP_ID_ACS;

// ---- ACS extended capability ---------------------------------------------------------------
export const PCI_ACS_CAP = A.PCI_ACS_CAP;
export const PCI_ACS_SV = A.PCI_ACS_CAP_SV_MASK;
export const PCI_ACS_TB = A.PCI_ACS_CAP_TB_MASK;
export const PCI_ACS_RR = A.PCI_ACS_CAP_RR_MASK;
export const PCI_ACS_CR = A.PCI_ACS_CAP_CR_MASK;
export const PCI_ACS_UF = A.PCI_ACS_CAP_UF_MASK;
export const PCI_ACS_EC = A.PCI_ACS_CAP_EC_MASK;
export const PCI_ACS_DT = A.PCI_ACS_CAP_DT_MASK;
/** All capability/control bits defined by the ACS capability (bits 6:0). */
export const PCI_ACS_ALL_BITS = PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF | PCI_ACS_EC | PCI_ACS_DT;
/** Egress Control Vector Size field of the ACS Capability register (bits 15:8). */
export const PCI_ACS_EGRESS_BITS_SHIFT = A.PCI_ACS_CAP_EGRESS_BITS_SHIFT;
export const PCI_ACS_CTRL = A.PCI_ACS_CTRL;
export const PCI_ACS_EGRESS_CTL_V = A.PCI_ACS_EGRESS_CTL_V;
/** The flags Linux requires along the path for isolation (REQ_ACS_FLAGS). */
export const PCI_ACS_REQ_ISOLATION = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;

// ---- config-mechanism #1 (ports 0xCF8 / 0xCFC) and ECAM ------------------------------------
export const PCI_CONFIG_ADDRESS_PORT = P.PCI_CONFIG_PORT_ADDRESS;
export const PCI_CONFIG_DATA_PORT = P.PCI_CONFIG_PORT_DATA;
export const PCI_CONFIG_ADDRESS_ENABLE = P.PCI_CONFIG_ADDRESS_ENABLE_MASK;
export const PCI_CONFIG_ADDRESS_BUS_SHIFT = P.PCI_CONFIG_ADDRESS_BUS_SHIFT;
export const PCI_CONFIG_ADDRESS_DEVFN_SHIFT = P.PCI_CONFIG_ADDRESS_DEVFN_SHIFT;
export const PCI_CONFIG_ADDRESS_REG_MASK = P.PCI_CONFIG_ADDRESS_REG_MASK;
export const PCIE_ECAM_BUS_SHIFT = P.PCI_ECAM_ADDRESS_BUS_SHIFT;
export const PCIE_ECAM_DEVFN_SHIFT = P.PCI_ECAM_ADDRESS_DEVFN_SHIFT;
export const PCIE_ECAM_REG_MASK = P.PCI_ECAM_ADDRESS_REG_MASK;
/** Bytes of ECAM space per bus (32 devices x 8 functions x 4 KiB). */
export const PCIE_ECAM_BUS_SIZE = 1 << PCIE_ECAM_BUS_SHIFT;

/** devfn helpers (PCI_DEVFN / PCI_SLOT / PCI_FUNC). */
export function pciDevfn(slot: number, fn: number): number {
  return ((slot << P.PCI_DEVFN_SLOT_SHIFT) & P.PCI_DEVFN_SLOT_MASK) | (fn & P.PCI_DEVFN_FUNC_MASK);
}
export function pciSlot(devfn: number): number {
  return (devfn & P.PCI_DEVFN_SLOT_MASK) >> P.PCI_DEVFN_SLOT_SHIFT;
}
export function pciFunc(devfn: number): number {
  return devfn & P.PCI_DEVFN_FUNC_MASK;
}

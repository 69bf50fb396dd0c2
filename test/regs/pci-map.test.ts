// Generated PCI constants checked against the PCI Local Bus 3.0 / PCI-to-PCI Bridge 1.2 /
// PCI Express Base specifications as Linux's include/uapi/linux/pci_regs.h spells them.
// Expected numbers are the header's, not copied from regmaps/pci*.json.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../src/regs/generated/pci.ts';
import * as E from '../../src/regs/generated/pci_exp.ts';
import * as M from '../../src/regs/generated/pci_msi.ts';
import * as A from '../../src/regs/generated/pci_acs.ts';

test('common header offsets and widths (pci_regs.h "16 bits" / "8 bits" comments)', () => {
  const regs: [string, number, number][] = [
    ['VENDOR_ID', 0x00, 16], ['DEVICE_ID', 0x02, 16], ['COMMAND', 0x04, 16], ['STATUS', 0x06, 16],
    ['REVISION_ID', 0x08, 8], ['CLASS_PROG', 0x09, 8], ['CLASS_DEVICE', 0x0a, 16], ['CACHE_LINE_SIZE', 0x0c, 8],
    ['LATENCY_TIMER', 0x0d, 8], ['HEADER_TYPE', 0x0e, 8], ['BIST', 0x0f, 8], ['BASE_ADDRESS_0', 0x10, 32],
    ['BASE_ADDRESS_1', 0x14, 32], ['CAPABILITY_LIST', 0x34, 8], ['INTERRUPT_LINE', 0x3c, 8], ['INTERRUPT_PIN', 0x3d, 8],
  ];
  for (const [name, offset, width] of regs) {
    const r = P.pci.registers.find((x) => x.name === name);
    assert.ok(r !== undefined, name);
    assert.equal([r!.offset, r!.width, r!.variant], [offset, width, undefined], name);
  }
  assert.is(P.PCI_COMMAND, 0x04);
  assert.is(P.PCI_CAPABILITY_LIST, 0x34);
  assert.is(P.PCI_STD_HEADER_SIZEOF, 64);
  assert.is(P.PCI_CFG_SPACE_SIZE, 256);
  assert.is(P.PCI_CFG_SPACE_EXP_SIZE, 4096);
  assert.is(P.pci.size, 64, 'the block is the standard header');
});

test('command and status bits', () => {
  const command: [number, number][] = [
    [P.PCI_COMMAND_IO_MASK, 0x1], [P.PCI_COMMAND_MEMORY_MASK, 0x2], [P.PCI_COMMAND_MASTER_MASK, 0x4],
    [P.PCI_COMMAND_SPECIAL_MASK, 0x8], [P.PCI_COMMAND_INVALIDATE_MASK, 0x10], [P.PCI_COMMAND_VGA_PALETTE_MASK, 0x20],
    [P.PCI_COMMAND_PARITY_MASK, 0x40], [P.PCI_COMMAND_WAIT_MASK, 0x80], [P.PCI_COMMAND_SERR_MASK, 0x100],
    [P.PCI_COMMAND_FAST_BACK_MASK, 0x200], [P.PCI_COMMAND_INTX_DISABLE_MASK, 0x400],
  ];
  for (const [got, want] of command) assert.is(got, want);
  assert.is(P.PCI_COMMAND_MEMORY_SHIFT, 1);
  assert.is(P.PCI_STATUS_CAP_LIST_SHIFT, 4);
  assert.is(P.PCI_STATUS_INTERRUPT_MASK, 0x08);
  assert.is(P.PCI_STATUS_IMM_READY_MASK, 0x01);
  assert.is(P.PCI_STATUS_DEVSEL_MASK, 0x600);
  assert.is(P.PCI_STATUS_DEVSEL_SLOW << P.PCI_STATUS_DEVSEL_SHIFT, 0x400);
  // The six error bits are write-1-to-clear; the capability bits are read-only.
  const status = P.pci.registers.find((r) => r.name === 'STATUS')!;
  const w1c = status.fields.filter((f) => f.access === 'RW1C').reduce((m, f) => m | (1 << f.lsb), 0);
  assert.is(w1c, 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000);
  assert.is(status.fields.find((f) => f.name === 'CAP_LIST')!.access, 'RO');
});

test('header type, BIST and BAR encodings', () => {
  assert.is(P.PCI_HEADER_TYPE_LAYOUT_MASK, 0x7f);
  assert.is(P.PCI_HEADER_TYPE_MFD_MASK, 0x80);
  assert.equal([P.PCI_HEADER_TYPE_LAYOUT_NORMAL, P.PCI_HEADER_TYPE_LAYOUT_BRIDGE, P.PCI_HEADER_TYPE_LAYOUT_CARDBUS], [0, 1, 2]);
  assert.equal([P.PCI_BIST_CODE_MASK, P.PCI_BIST_START_MASK, P.PCI_BIST_CAPABLE_MASK], [0x0f, 0x40, 0x80]);
  assert.equal([P.PCI_BAR_SPACE_MEMORY, P.PCI_BAR_SPACE_IO], [0, 1]);
  assert.is(P.PCI_BAR_MEM_TYPE_MASK, 0x06);
  assert.is(P.PCI_BAR_MEM_TYPE_B64 << P.PCI_BAR_MEM_TYPE_SHIFT, 0x04, 'PCI_BASE_ADDRESS_MEM_TYPE_64');
  assert.is(P.PCI_BAR_MEM_TYPE_B1M << P.PCI_BAR_MEM_TYPE_SHIFT, 0x02, 'PCI_BASE_ADDRESS_MEM_TYPE_1M');
  assert.is(P.PCI_BAR_MEM_PREFETCH_MASK, 0x08);
  assert.is(P.PCI_BAR_MEM_ADDR_MASK | 0, ~0x0f, 'PCI_BASE_ADDRESS_MEM_MASK');
  assert.is(P.PCI_BAR_IO_ADDR_MASK | 0, ~0x03, 'PCI_BASE_ADDRESS_IO_MASK');
  assert.is(P.PCI_ROM_ADDRESS_ENABLE_MASK, 0x01);
  assert.is(P.PCI_ROM_ADDRESS_ADDR_MASK | 0, ~0x7ff, 'PCI_ROM_ADDRESS_MASK');
});

test('type 0 and type 1 layouts share 0x00-0x17, 0x34 and 0x3c-0x3d', () => {
  const type0: [number, number][] = [
    [P.PCI_BASE_ADDRESS_2, 0x18], [P.PCI_BASE_ADDRESS_5, 0x24], [P.PCI_CARDBUS_CIS, 0x28], [P.PCI_SUBSYSTEM_VENDOR_ID, 0x2c],
    [P.PCI_SUBSYSTEM_ID, 0x2e], [P.PCI_ROM_ADDRESS, 0x30], [P.PCI_MIN_GNT, 0x3e], [P.PCI_MAX_LAT, 0x3f],
  ];
  const type1: [number, number][] = [
    [P.PCI_PRIMARY_BUS, 0x18], [P.PCI_SECONDARY_BUS, 0x19], [P.PCI_SUBORDINATE_BUS, 0x1a], [P.PCI_SEC_LATENCY_TIMER, 0x1b],
    [P.PCI_IO_BASE, 0x1c], [P.PCI_IO_LIMIT, 0x1d], [P.PCI_SEC_STATUS, 0x1e], [P.PCI_MEMORY_BASE, 0x20],
    [P.PCI_MEMORY_LIMIT, 0x22], [P.PCI_PREF_MEMORY_BASE, 0x24], [P.PCI_PREF_MEMORY_LIMIT, 0x26],
    [P.PCI_PREF_BASE_UPPER32, 0x28], [P.PCI_PREF_LIMIT_UPPER32, 0x2c], [P.PCI_IO_BASE_UPPER16, 0x30],
    [P.PCI_IO_LIMIT_UPPER16, 0x32], [P.PCI_ROM_ADDRESS1, 0x38], [P.PCI_BRIDGE_CONTROL, 0x3e],
  ];
  for (const [got, want] of [...type0, ...type1]) assert.is(got, want);
  const variantOf = (off: number) => new Set(P.pci.registers.filter((r) => r.offset === off).map((r) => r.variant ?? 'both'));
  assert.equal([...variantOf(0x18)].sort(), ['TYPE0', 'TYPE1']);
  assert.equal([...variantOf(0x34)], ['both']);
  assert.equal(P.pci.variants?.map((v) => v.name), ['TYPE0', 'TYPE1'], 'type 0 is the default layout');
  assert.equal([P.PCI_IO_BASE_RANGE_TYPE_MASK, P.PCI_IO_BASE_RANGE_TYPE_ADDR16, P.PCI_IO_BASE_RANGE_TYPE_ADDR32], [0x0f, 0, 1]);
  assert.equal([P.PCI_PREF_MEMORY_BASE_RANGE_TYPE_ADDR32, P.PCI_PREF_MEMORY_BASE_RANGE_TYPE_ADDR64], [0, 1]);
  assert.is(P.PCI_MEMORY_BASE_ADDR_MASK, 0xfff0, 'PCI_MEMORY_RANGE_MASK within the 16-bit register');
  const bridgeCtl: [number, number][] = [
    [P.PCI_BRIDGE_CONTROL_PARITY_MASK, 0x01], [P.PCI_BRIDGE_CONTROL_SERR_MASK, 0x02], [P.PCI_BRIDGE_CONTROL_ISA_MASK, 0x04],
    [P.PCI_BRIDGE_CONTROL_VGA_MASK, 0x08], [P.PCI_BRIDGE_CONTROL_VGA_16BIT_MASK, 0x10],
    [P.PCI_BRIDGE_CONTROL_MASTER_ABORT_MASK, 0x20], [P.PCI_BRIDGE_CONTROL_BUS_RESET_MASK, 0x40],
    [P.PCI_BRIDGE_CONTROL_FAST_BACK_MASK, 0x80],
  ];
  for (const [got, want] of bridgeCtl) assert.is(got, want);
});

test('capability IDs and list layout', () => {
  assert.equal([P.PCI_CAP_LIST_ID, P.PCI_CAP_LIST_NEXT], [0, 1]);
  const ids: [number, number][] = [
    [P.PCI_CAP_ID_PM, 0x01], [P.PCI_CAP_ID_MSI, 0x05], [P.PCI_CAP_ID_VNDR, 0x09], [P.PCI_CAP_ID_SSVID, 0x0d],
    [P.PCI_CAP_ID_EXP, 0x10], [P.PCI_CAP_ID_MSIX, 0x11], [P.PCI_CAP_ID_EA, 0x14],
    [P.PCI_EXT_CAP_ID_ERR, 0x01], [P.PCI_EXT_CAP_ID_ACS, 0x0d], [P.PCI_EXT_CAP_ID_ARI, 0x0e], [P.PCI_EXT_CAP_ID_ATS, 0x0f],
    [P.PCI_EXT_CAP_ID_SRIOV, 0x10], [P.PCI_EXT_CAP_ID_PRI, 0x13], [P.PCI_EXT_CAP_ID_PASID, 0x1b], [P.PCI_EXT_CAP_ID_PTM, 0x1f],
  ];
  for (const [got, want] of ids) assert.is(got, want);
  assert.is(P.PCI_EXT_CAP_START, 0x100);
  // PCI_EXT_CAP_ID(h) = h & 0xffff, PCI_EXT_CAP_VER(h) = (h >> 16) & 0xf, PCI_EXT_CAP_NEXT(h) = (h >> 20) & 0xffc.
  assert.is(P.PCI_EXT_CAP_HEADER_ID_MASK, 0x0000ffff);
  assert.equal([P.PCI_EXT_CAP_HEADER_VER_SHIFT, P.PCI_EXT_CAP_HEADER_VER_WIDTH], [16, 4]);
  assert.equal([P.PCI_EXT_CAP_HEADER_NEXT_SHIFT, P.PCI_EXT_CAP_HEADER_NEXT_WIDTH], [20, 12]);
});

test('config mechanism #1, ECAM and devfn', () => {
  assert.equal([P.PCI_CONFIG_PORT_ADDRESS, P.PCI_CONFIG_PORT_DATA], [0xcf8, 0xcfc]);
  assert.is(P.PCI_CONFIG_ADDRESS_ENABLE_MASK, 0x80000000);
  assert.equal([P.PCI_CONFIG_ADDRESS_BUS_SHIFT, P.PCI_CONFIG_ADDRESS_DEVFN_SHIFT, P.PCI_CONFIG_ADDRESS_REG_MASK], [16, 8, 0xfc]);
  // ECAM: 4 KiB per function, 8 functions x 32 devices = 1 MiB per bus.
  assert.equal([P.PCI_ECAM_ADDRESS_REG_MASK, P.PCI_ECAM_ADDRESS_DEVFN_SHIFT, P.PCI_ECAM_ADDRESS_BUS_SHIFT], [0xfff, 12, 20]);
  assert.equal([P.PCI_DEVFN_SLOT_SHIFT, P.PCI_DEVFN_SLOT_WIDTH, P.PCI_DEVFN_FUNC_WIDTH], [3, 5, 3]);
});

test('MSI capability: both layouts', () => {
  assert.is(M.PCI_MSI_ID_RESET, 0x05, 'capability ID');
  assert.equal([M.PCI_MSI_FLAGS, M.PCI_MSI_ADDRESS_LO, M.PCI_MSI_ADDRESS_HI], [0x02, 0x04, 0x08]);
  assert.equal([M.PCI_MSI_DATA_32, M.PCI_MSI_MASK_32, M.PCI_MSI_PENDING_32], [0x08, 0x0c, 0x10]);
  assert.equal([M.PCI_MSI_DATA_64, M.PCI_MSI_MASK_64, M.PCI_MSI_PENDING_64], [0x0c, 0x10, 0x14]);
  const flags: [number, number][] = [
    [M.PCI_MSI_FLAGS_ENABLE_MASK, 0x0001], [M.PCI_MSI_FLAGS_QMASK_MASK, 0x000e], [M.PCI_MSI_FLAGS_QSIZE_MASK, 0x0070],
    [M.PCI_MSI_FLAGS_ADDR64_MASK, 0x0080], [M.PCI_MSI_FLAGS_MASKBIT_MASK, 0x0100],
  ];
  for (const [got, want] of flags) assert.is(got, want);
  assert.is(1 << M.PCI_MSI_FLAGS_QMASK_V32, 32, 'at most 32 vectors');
  const data32 = M.pci_msi.registers.find((r) => r.name === 'DATA_32')!;
  assert.equal([data32.width, data32.variant], [16, 'ADDR32'], 'message data is 16 bits');
});

test('PCI Express capability', () => {
  assert.is(E.PCI_EXP_ID_RESET, 0x10);
  const offsets: [number, number][] = [
    [E.PCI_EXP_FLAGS, 0x02], [E.PCI_EXP_DEVCAP, 0x04], [E.PCI_EXP_DEVCTL, 0x08], [E.PCI_EXP_DEVSTA, 0x0a],
    [E.PCI_EXP_LNKCAP, 0x0c], [E.PCI_EXP_LNKCTL, 0x10], [E.PCI_EXP_LNKSTA, 0x12], [E.PCI_EXP_SLTCAP, 0x14],
    [E.PCI_EXP_SLTCTL, 0x18], [E.PCI_EXP_SLTSTA, 0x1a], [E.PCI_EXP_RTCTL, 0x1c], [E.PCI_EXP_RTCAP, 0x1e],
    [E.PCI_EXP_RTSTA, 0x20], [E.PCI_EXP_DEVCAP2, 0x24], [E.PCI_EXP_DEVCTL2, 0x28], [E.PCI_EXP_DEVSTA2, 0x2a],
    [E.PCI_EXP_LNKCAP2, 0x2c], [E.PCI_EXP_LNKCTL2, 0x30], [E.PCI_EXP_LNKSTA2, 0x32], [E.PCI_EXP_SLTCAP2, 0x34],
    [E.PCI_EXP_SLTCTL2, 0x38], [E.PCI_EXP_SLTSTA2, 0x3a],
  ];
  for (const [got, want] of offsets) assert.is(got, want);
  assert.equal([E.PCI_EXP_FLAGS_VERS_MASK, E.PCI_EXP_FLAGS_TYPE_MASK, E.PCI_EXP_FLAGS_SLOT_MASK, E.PCI_EXP_FLAGS_IRQ_MASK], [0x000f, 0x00f0, 0x0100, 0x3e00]);
  assert.equal(
    [E.PCI_EXP_TYPE_ENDPOINT, E.PCI_EXP_TYPE_LEG_END, E.PCI_EXP_TYPE_ROOT_PORT, E.PCI_EXP_TYPE_UPSTREAM, E.PCI_EXP_TYPE_DOWNSTREAM,
      E.PCI_EXP_TYPE_PCI_BRIDGE, E.PCI_EXP_TYPE_PCIE_BRIDGE, E.PCI_EXP_TYPE_RC_END, E.PCI_EXP_TYPE_RC_EC],
    [0x0, 0x1, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa],
  );
  assert.is(E.PCI_EXP_DEVCAP_FLR_MASK, 0x10000000);
  assert.is(E.PCI_EXP_DEVCAP_PAYLOAD_MASK, 0x00000007);
  assert.is(E.PCI_EXP_DEVCTL_BCR_FLR_MASK, 0x8000);
  assert.is(E.PCI_EXP_DEVCTL_READRQ_MASK, 0x7000);
  assert.is(E.PCI_EXP_DEVCTL_READRQ_B512 << E.PCI_EXP_DEVCTL_READRQ_SHIFT, 0x2000, 'PCI_EXP_DEVCTL_READRQ_512B');
  assert.equal([E.PCI_EXP_DEVSTA_CED_MASK, E.PCI_EXP_DEVSTA_NFED_MASK, E.PCI_EXP_DEVSTA_FED_MASK, E.PCI_EXP_DEVSTA_URD_MASK], [1, 2, 4, 8]);
  assert.equal([E.PCI_EXP_LNKSTA_NLW_MASK, E.PCI_EXP_LNKSTA_NLW_SHIFT, E.PCI_EXP_LNKSTA_DLLLA_MASK], [0x03f0, 4, 0x2000]);
  assert.is(E.PCI_EXP_SLTCAP_PSN_MASK, 0xfff80000);
  assert.is(E.PCI_EXP_LNKCAP2_SLS_MASK, 0x000000fe);
  assert.equal([E.PCI_EXP_CAP_SIZEOF_ENDPOINT_V1, E.PCI_EXP_CAP_SIZEOF_RC_ENDPOINT_V2, E.PCI_EXP_CAP_SIZEOF_V2], [20, 0x2c, 0x3c]);
  assert.is(E.pci_exp.size, 0x3c);
});

test('ACS extended capability', () => {
  assert.is(A.PCI_ACS_HEADER_RESET & 0xffff, 0x000d, 'extended capability ID');
  assert.equal([A.PCI_ACS_CAP, A.PCI_ACS_CTRL, A.PCI_ACS_EGRESS_CTL_V], [0x04, 0x06, 0x08]);
  const bits: [number, number][] = [
    [A.PCI_ACS_CAP_SV_MASK, 0x01], [A.PCI_ACS_CAP_TB_MASK, 0x02], [A.PCI_ACS_CAP_RR_MASK, 0x04], [A.PCI_ACS_CAP_CR_MASK, 0x08],
    [A.PCI_ACS_CAP_UF_MASK, 0x10], [A.PCI_ACS_CAP_EC_MASK, 0x20], [A.PCI_ACS_CAP_DT_MASK, 0x40],
  ];
  for (const [got, want] of bits) assert.is(got, want);
  // Control has the same bits as Capability.
  for (const n of ['SV', 'TB', 'RR', 'CR', 'UF', 'EC', 'DT']) {
    assert.is((A as Record<string, unknown>)[`PCI_ACS_CTRL_${n}_MASK`], (A as Record<string, unknown>)[`PCI_ACS_CAP_${n}_MASK`], n);
  }
  // Linux's PCI_ACS_EGRESS_BITS (0x05) is the byte holding the vector size: CAP bits 15:8.
  assert.is(A.PCI_ACS_CAP + A.PCI_ACS_CAP_EGRESS_BITS_SHIFT / 8, 0x05);
});

test.run();

// Public API of iommu-model. Layers, bottom up: the bridge (what an emulator plugs into),
// the register runtime generated from regmaps/, the PCI platform and machines, the qtest
// front end. IOMMU models and the kernel layer join as they land.

// Bridge
export * from './bridge/types.ts';
export { AddressSpace, type AddressSpaceOptions, type MappedRegion } from './bridge/address-space.ts';
export { WasmRam, CallbackRam, type GuestRam, type RamCallbacks } from './bridge/guest-ram.ts';
export { VirtualClock, type Timer } from './bridge/clock.ts';
export { InterruptController, IrqLine, MsiRouter } from './bridge/irq.ts';
export { DmaPort, pciRequester, formatBdf } from './bridge/dma.ts';
export { expectSnapshot, bytesToBase64, base64ToBytes } from './bridge/snapshot.ts';
export { Core, type CoreExports } from './core/core.ts';

// Registers (runtime + every generated constant, e.g. SMMU_CR0, VTD_CAP_SAGAW_SHIFT)
export { RegisterFile, FieldRef, RegRef, StructView, structOf, BLOCKS } from './regs/index.ts';
export type {
  DumpOptions, DumpedRegister, ReadHook, RegisterFileOptions, RegisterInfo, WriteHook,
  Access as RegisterAccess, BlockDesc, ConstTableDesc, EnumValue, FieldDesc, RegisterDesc, StructDesc, StructFieldDesc,
} from './regs/index.ts';
export * as regmap from './regs/generated/index.ts';

// Platform
export * as pci from './platform/pci/index.ts';
export { EduDevice, EDU_REG } from './platform/devices/edu.ts';
export * from './platform/machines/index.ts';
export type { MachineConfig, QtestMachine, QtestMemory } from './platform/machine-types.ts';

// QEMU-compatible qtest front end
export { runQtest } from './qtest/main.ts';
export { parseQtestCommandLine, CommandLineError } from './qtest/cmdline.ts';
export { QtestProtocol } from './qtest/protocol.ts';

// Translation core: the io-pgtable-arm equivalent page-table writer (Linux semantics)
export * from './core/pgtable.ts';
export { PageArena } from './core/pgtable-arena.ts';
export { Walker, granuleFromTg0, granuleFromTg1 } from './core/walk.ts';
export type { WalkResult, WalkFault, VmsaS1Config } from './core/walk.ts';
export type { VtdSsConfig, VtdFsConfig, TceConfig, FlatConfig, DartConfig, RockchipConfig } from './core/walk-configs.ts';
export { ST_OK } from './core/walk-abi.ts';
export { Iotlb } from './core/iotlb.ts';
export { Translator } from './core/translate.ts';
export type { TranslatorBinding, TranslateOutcome } from './core/translate.ts';
export { VtdSsPageTable, vtdSsGeometry, ENXIO, EOVERFLOW, EADDRINUSE, type VtdSsWriterConfig, type VtdSsGeometry, type VtdTablePage } from './core/pgtable-vtd.ts';
// IOMMU models
export { Smmuv3, SMMU_WINDOW } from './hw/smmuv3/smmuv3.ts';
export type { Smmuv3Options, Smmuv3Irqs } from './hw/smmuv3/smmuv3.ts';
export { QEMU_72 as SMMUV3_QEMU_72, FULL as SMMUV3_FULL, idRegisters as smmuv3IdRegisters } from './hw/smmuv3/features.ts';
export type { Smmuv3Features } from './hw/smmuv3/features.ts';
export type { SmmuEvent } from './hw/smmuv3/events.ts';
export * from './core/pgtable-tce.ts';
export * from './core/pgtable-soc.ts';
// Kernel layer: the Linux IOMMU core, PCI discovery through configuration space, the DMA API
export * as kernel from './kernel/index.ts';
export * as vfio from './vfio/type1.ts';

// Kernel layer: the arm-smmu-v3 driver (programs an SMMUv3 through MMIO and guest memory only)
export { armSmmuV3Probe, ArmSmmuV3, MSI_IOVA_BASE as ARM_SMMU_MSI_IOVA_BASE, MSI_IOVA_LENGTH as ARM_SMMU_MSI_IOVA_LENGTH, hwProbe as armSmmuV3HwProbe } from './kernel/drivers/arm-smmu-v3/index.ts';
export type { ArmSmmuV3Options, SmmuMaster as ArmSmmuMaster, SmmuFeatures as ArmSmmuFeatures, SmmuEventReport as ArmSmmuEventReport, EntryUpdate as ArmSmmuEntryUpdate } from './kernel/drivers/arm-smmu-v3/index.ts';
export { Vtd } from './hw/vtd/vtd.ts';
export type { VtdOptions, VtdSnapshot } from './hw/vtd/vtd.ts';
export { QEMU_72 as VTD_QEMU_72, capabilities as vtdCapabilities, featuresFromQemuProps as vtdFeaturesFromQemuProps } from './hw/vtd/features.ts';
export type { VtdFeatures } from './hw/vtd/features.ts';
export { intelIommuProbe, IntelIommu } from './kernel/drivers/intel-iommu/dmar.ts';
export type { IntelIommuOptions, Rmrr, DmarFault } from './kernel/drivers/intel-iommu/dmar.ts';

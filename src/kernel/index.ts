// The kernel layer's public surface (re-exported as `kernel` from the package): Linux names in
// camelCase, KernelError carrying the errno name.
export { KernelError, ERRNO, errnoName } from './errors.ts';
export type { ErrnoName } from './errors.ts';
export { KDevice } from './device.ts';
export type { KDriver } from './device.ts';
export { IommuCore, iommuPgsize } from './iommu/core.ts';
export type { IommuCoreOptions } from './iommu/core.ts';
export { IommuGroup } from './iommu/group.ts';
export * from './iommu/types.ts';
export { pciScan, pciSetMaster } from './pci/scan.ts';
export type { PciScanOptions, PciScanResult, DmaAliasQuirk } from './pci/scan.ts';
export { ecamAccess, portAccess } from './pci/config.ts';
export type { PciConfigAccess } from './pci/config.ts';
export { pciAcsEnabled, pciAcsPathEnabled, addAcsQuirk, REQ_ACS_FLAGS } from './pci/acs.ts';
export { pciForEachDmaAlias } from './pci/dma-alias.ts';
export { DmaApi, DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_NONE, DMA_MAPPING_ERROR, dmaInfoToProt } from './dma/dma-iommu.ts';
export type { SgEntry } from './dma/dma-iommu.ts';

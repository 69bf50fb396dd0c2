// Public surface of the PCI platform model.
export * from './regs.ts';
export { ConfigSpace } from './config-space.ts';
export { BAR_UNMAPPED, barAddress, barOffset, type BarKind, type BarSpec } from './bar.ts';
export { MsiCapability, type MsiOptions } from './msi.ts';
export { addPcieCapability, pcieType, type PcieCapOptions } from './pcie-cap.ts';
export { addAcsCapability, type AcsOptions } from './acs.ts';
export { PciFunction, type PciFunctionOptions } from './function.ts';
export { PciBridge, type PciBridgeOptions, type Window } from './bridge.ts';
export { PciBus, parseDevfn } from './bus.ts';
export { PciHost, type IntxRouting, type MsiHandler, type PciHostOptions } from './host.ts';
export { ConfigPorts, EcamWindow, type EcamOptions } from './config-access.ts';
export { dmaAliases, forEachDmaAlias, wireRequesterId, type DmaAliasCallback } from './dma-alias.ts';
export { addPciBridge, addPcieToPciBridge, addRootPort, addSwitch, createQ35HostBridge, type PortOptions, type SwitchOptions } from './topology.ts';
export { assignResources, type Assignment, type ResourceWindows } from './assign.ts';

// createMachine: the factory behind `iommu-model qtest` and the public API.
import type { MachineConfig } from '../machine-types.ts';
import type { Machine } from './machine.ts';
import { Q35Machine } from './q35.ts';
import { VirtMachine } from './virt.ts';
import { MachineConfigError } from './devices.ts';

export { Machine } from './machine.ts';
export { Q35Machine, q35RamRanges, q35IntxGsi, Q35_IOMMU_BASE } from './q35.ts';
export { VirtMachine, VIRT_RAM_BASE, VIRT_SMMU_BASE } from './virt.ts';
export { MachineConfigError } from './devices.ts';

/** Default guest RAM, as QEMU's -m default. */
export const DEFAULT_RAM_BYTES = 128 * 1024 * 1024;

/** Builds a machine from a QEMU-style configuration; throws MachineConfigError for what QEMU would refuse. */
export function createMachine(config: Partial<MachineConfig> & Pick<MachineConfig, 'machine'>): Machine {
  const full: MachineConfig = {
    machine: config.machine,
    machineProps: config.machineProps ?? {},
    memoryBytes: config.memoryBytes ?? DEFAULT_RAM_BYTES,
    devices: config.devices ?? [],
  };
  if (!Number.isInteger(full.memoryBytes) || full.memoryBytes <= 0 || full.memoryBytes > 0xffff0000) {
    throw new MachineConfigError(`memory size ${full.memoryBytes} bytes is outside what the WebAssembly core can hold (1 byte .. 4 GiB - 64 KiB)`);
  }
  switch (full.machine) {
    case 'q35':
      return new Q35Machine(full);
    case 'virt':
      return new VirtMachine(full);
    default:
      throw new MachineConfigError(`unsupported machine type '${String(full.machine)}' (supported: q35, virt)`);
  }
}

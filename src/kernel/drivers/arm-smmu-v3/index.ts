// arm-smmu-v3 glue: what the platform code (arm_smmu_device_probe + iommu_device_register)
// does for one SMMU at `base` in `memory`: probe and reset the hardware, then register the
// instance with the IOMMU core so bus_iommu_probe offers it the devices.
import type { AddressSpace } from '../../../bridge/address-space.ts';
import { KernelError, errnoName } from '../../errors.ts';
import type { IommuCore } from '../../iommu/core.ts';
import { ArmSmmuV3, type ArmSmmuV3Options } from './driver.ts';

export { ArmSmmuV3, MSI_IOVA_BASE, MSI_IOVA_LENGTH, type ArmSmmuV3Options, type SmmuMaster } from './driver.ts';
export { hwProbe, type SmmuFeatures } from './features.ts';
export type { SmmuEventReport } from './events.ts';
export type { EntryUpdate } from './entry-writer.ts';
export { makeAbortSte, makeBypassSte, makeCdtableSte, makeS1Cd, makeS2DomainSte, steUsed, cdUsed } from './ste.ts';

/** Probes the SMMUv3 at `base` and registers it; throws KernelError (Linux's errno) when the probe fails. */
export function armSmmuV3Probe(core: IommuCore, memory: AddressSpace, base: number, opts: ArmSmmuV3Options): ArmSmmuV3 {
  const smmu = new ArmSmmuV3(core, memory, base, { ...opts, log: (m) => { core.log(m); opts.log?.(m); } });
  const ret = smmu.init();
  if (ret < 0) throw new KernelError(errnoName(ret), 'arm_smmu_device_probe', smmu.dmesg[smmu.dmesg.length - 1] ?? 'probe failed');
  core.iommuDeviceRegister(smmu.iommuDev);
  return smmu;
}

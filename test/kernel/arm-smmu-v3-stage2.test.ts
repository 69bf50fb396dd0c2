// A stage-2-only SMMUv3 (the model's full feature set without stage 1): the driver allocates
// ARM_64_LPAE_S2 domains with a VMID (smmuv3.md b.2 S2 STE image, f.3, c.1), and the
// hardware translates and faults through them. The driver's callbacks are called the way the
// IOMMU core calls them; traffic is injected at the SMMU as a PCI requester.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../src/regs/generated/smmuv3.ts';
import { Core } from '../../src/core/core.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import { AddressSpace } from '../../src/bridge/address-space.ts';
import { Access } from '../../src/bridge/types.ts';
import { Smmuv3 } from '../../src/hw/smmuv3/smmuv3.ts';
import { KDevice } from '../../src/kernel/device.ts';
import type { KPciDev } from '../../src/kernel/pci/pci-dev.ts';
import { IommuCore } from '../../src/kernel/iommu/core.ts';
import { IOMMU_READ, IOMMU_WRITE, newGather, type IommuDomain } from '../../src/kernel/iommu/types.ts';
import { armSmmuV3Probe } from '../../src/kernel/drivers/arm-smmu-v3/index.ts';
import { fieldOf } from './arm-smmu-v3-fixture.ts';

const RAM = 0x4000_0000;
const SMMU = 0x0905_0000;
const SID = 0x10; // 00:02.0

function s2Machine() {
  const core = new Core();
  const ram = new WasmRam(core, 64 << 20);
  core.exports.ram_map(RAM, 64 << 20, ram.coreOffset);
  const memory = new AddressSpace({ name: 'system', size: 2 ** 52, unmappedRead: 'zero' });
  memory.mapRam(RAM, ram);
  const hw = new Smmuv3({ core, memory, preset: 'full', features: { stage1: false } });
  memory.mapMmio(SMMU, hw.mmio);
  const kcore = new IommuCore();
  const drv = armSmmuV3Probe(kcore, memory, SMMU, { memBase: RAM + 0x200_0000, memSize: 0x200_0000, wasm: core });
  const pci = { segment: 0, bus: { number: 0, self: null, parent: null, devices: [], children: [] }, devfn: SID, dmaAliasDevfns: new Set() } as unknown as KPciDev;
  const dev = new KDevice('0000:00:02.0', 'pci', pci);
  const dma = (iova: number, write = false) => hw.translate({ requester: { name: dev.name, segment: 0, requesterId: SID, streamId: SID }, iova, access: write ? Access.WRITE : Access.READ });
  const cmds = () => {
    const base = Number(memory.read64(SMMU + R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_ADDR_MASK);
    const prod = memory.read(SMMU + R.SMMU_CMDQ_PROD, 4);
    // A completed CMD_SYNC reads back with its first word zeroed: with IDR0.MSI the driver aims
    // the completion MSI (data 0) at the CMD_SYNC's own slot. Such slots are reported as SYNC.
    return Array.from({ length: prod }, (_, i) => {
      const w = [memory.read64(base + 16 * i), memory.read64(base + 16 * i + 8)] as const;
      const msiDone = (w[0] & 0xffffffffn) === 0n && Number(w[1] & R.SMMU_CMD_SYNC_MSIADDR_MASK) === base + 16 * i;
      return [msiDone ? BigInt(R.SMMU_CMD_OP_SYNC) | w[0] : w[0], w[1]] as const;
    });
  };
  return { memory, hw, drv, dev, dma, cmds };
}

test('stage-2-only SMMU: S2 STE with VMID, VTCR fields and S2TTB from io-pgtable; IPA -> PA through it', () => {
  const s = s2Machine();
  assert.is(s.drv.probeDevice(s.dev), s.drv.iommuDev);
  const d = s.drv.domainAllocPaging(s.dev) as IommuDomain;
  assert.type(d, 'object');
  assert.is(d.name, 's2-vmid1', 'VMID 0 stays reserved for stage-1 / bypass STEs');
  assert.is(d.ops.attachDev(d, s.dev, null), 0);
  const at = (() => {
    const base = Number(s.memory.read64(SMMU + R.SMMU_STRTAB_BASE) & R.SMMU_STRTAB_BASE_ADDR_MASK);
    const l1 = s.memory.read64(base);
    return Number(l1 & R.SMMU_L1STD_L2PTR_MASK) + SID * 64;
  })();
  const ste = [0, 1, 2, 3].map((i) => s.memory.read64(at + 8 * i));
  assert.is(fieldOf(ste[0]!, R.SMMU_STE_CONFIG_MASK), R.SMMU_STE_CONFIG_S2_TRANS);
  assert.is(fieldOf(ste[2]!, R.SMMU_STE_S2VMID_MASK), 1);
  assert.is(fieldOf(ste[2]!, R.SMMU_STE_S2AA64_MASK), 1);
  assert.is(fieldOf(ste[2]!, R.SMMU_STE_S2R_MASK), 1, 'stage-2 faults recorded');
  assert.is(fieldOf(ste[2]!, R.SMMU_STE_S2PTW_MASK), 1);
  assert.is(fieldOf(ste[2]!, R.SMMU_STE_S2TG_MASK), 0, '4K granule');
  assert.ok(fieldOf(ste[3]!, R.SMMU_STE_S2TTB_MASK) !== 0);

  const r = d.ops.mapPages!(d, 0x8000_0000, RAM + 0x10_0000, 0x1000, 2, IOMMU_READ | IOMMU_WRITE);
  assert.equal(r, { ret: 0, mapped: 0x2000 });
  const t = s.dma(0x8000_1234, true);
  assert.ok(t.ok && t.pa === RAM + 0x10_1234, 'translated by stage 2');
});

test('stage 2: unmap + iotlb_sync sends TLBI_S2_IPA for the VMID; the access then faults with S2 = 1 and the IPA reported; flush_iotlb_all is TLBI_S12_VMALL', () => {
  const s = s2Machine();
  s.drv.probeDevice(s.dev);
  const d = s.drv.domainAllocPaging(s.dev) as IommuDomain;
  d.ops.attachDev(d, s.dev, null);
  d.ops.mapPages!(d, 0x8000_0000, RAM + 0x10_0000, 0x1000, 1, IOMMU_READ | IOMMU_WRITE);
  assert.ok(s.dma(0x8000_0000).ok);
  const before = s.cmds().length;
  const g = newGather();
  assert.is(d.ops.unmapPages!(d, 0x8000_0000, 0x1000, 1, g), 0x1000);
  d.ops.iotlbSync!(d, g);
  const issued = s.cmds().slice(before);
  assert.equal(issued.map(([w]) => Number(w & 0xffn)), [R.SMMU_CMD_OP_TLBI_S2_IPA, R.SMMU_CMD_OP_SYNC]);
  assert.is(fieldOf(issued[0]![0], R.SMMU_CMD_TLBI_VMID_MASK), 1);
  assert.is(Number(issued[0]![1] & R.SMMU_CMD_TLBI_ADDR_MASK), 0x8000_0000);
  assert.not.ok(s.dma(0x8000_0000).ok);
  const ev = s.drv.handleEvents();
  assert.is(ev.length, 1);
  assert.is(ev[0]!.name, 'F_TRANSLATION');
  assert.is(ev[0]!.s2, true);
  assert.is(ev[0]!.ipa, 0x8000_0000n);
  assert.is(ev[0]!.client, s.dev.name);
  const n = s.cmds().length;
  d.ops.flushIotlbAll!(d);
  assert.equal(s.cmds().slice(n).map(([w]) => Number(w & 0xffn)), [R.SMMU_CMD_OP_TLBI_S12_VMALL, R.SMMU_CMD_OP_SYNC]);
  // free: the VMID is released and handed out again.
  d.ops.free!(d);
  const d2 = s.drv.domainAllocPaging(s.dev) as IommuDomain;
  assert.is(d2.name, 's2-vmid1');
});

test('devices the SMMU cannot index (SID >= 2^SIDSIZE) are refused with -ERANGE; non-PCI devices with -ENODEV', () => {
  const s = s2Machine();
  const far = { segment: 0, bus: { number: 0x1_0000 >> 8, self: null, parent: null, devices: [], children: [] }, devfn: 0, dmaAliasDevfns: new Set() } as unknown as KPciDev;
  // SIDSIZE is 16 on this SMMU: bus 0x100 would need SID 0x10000.
  assert.is(s.drv.probeDevice(new KDevice('far', 'pci', far)), -34);
  assert.is(s.drv.probeDevice(new KDevice('plat', 'platform')), -19);
});

test.run();

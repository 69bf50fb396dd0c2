// The arm-smmu-v3 driver under the IOMMU core on QEMU's virt machine: edu's DMA through a
// kernel DMA domain, invalidation after unmap, faults reported from the event queue, DMA
// ownership and UNMANAGED domains proven in the hardware, capabilities and reserved regions.
// iommu-core.md b, d, f, g; smmuv3.md b.2, b.4, c.2, d.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../src/regs/generated/smmuv3.ts';
import {
  IOMMU_CAP_CACHE_COHERENCY, IOMMU_CAP_DEFERRED_FLUSH, IOMMU_CAP_DIRTY_TRACKING, IOMMU_CAP_ENFORCE_CACHE_COHERENCY, IOMMU_CAP_NOEXEC,
  IOMMU_CAP_USER_DMA_SAFE, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_UNMANAGED, IOMMU_MMIO, IOMMU_NOEXEC, IOMMU_READ, IOMMU_RESV_SW_MSI, IOMMU_WRITE,
} from '../../src/kernel/iommu/types.ts';
import { EDU_SID, cmdsSince, fieldOf, virtSmmu, type Virt } from './arm-smmu-v3-fixture.ts';

const RW = IOMMU_READ | IOMMU_WRITE;
const PA = 0x4100_0000; // DMA buffers (RAM)
const IOVA = 0x10_0000; // below edu's 28-bit DMA mask

/** The CD the STE of `sid` points at (S1ContextPtr, CD 0). */
function cdOf(v: Virt, sid: number): bigint[] {
  const ptr = Number(v.ste(sid)[0]! & R.SMMU_STE_S1CONTEXTPTR_MASK);
  return [0, 1, 2, 3, 4, 5, 6, 7].map((i) => v.ram64(ptr + 8 * i));
}

test('edu gets a DMA default domain: stage-1 STE (Config 0b101, S1DSS = SSID0) pointing at a CD with its ASID and page table', () => {
  const v = virtSmmu();
  const dom = v.core.iommuGetDomainForDev(v.edu)!;
  assert.is(dom.type, IOMMU_DOMAIN_DMA);
  assert.is(dom.pgsizeBitmap, 0x1000 | 0x20_0000 | 0x4000_0000, '4K granule: 4K | 2M | 1G');
  assert.is(dom.geometry.apertureEnd, 2 ** 48 - 1, 'stage-1 input size 48 bits');
  const ste = v.ste(EDU_SID);
  assert.is(v.steConfig(EDU_SID), R.SMMU_STE_CONFIG_S1_TRANS);
  assert.is(fieldOf(ste[1]!, R.SMMU_STE_S1DSS_MASK), R.SMMU_STE_S1DSS_SSID0);
  assert.is(fieldOf(ste[1]!, R.SMMU_STE_S1CSH_MASK), 3, 'CD fetch inner shareable');
  const cd = cdOf(v, EDU_SID);
  assert.is(fieldOf(cd[0]!, R.SMMU_CD_V_MASK), 1);
  assert.is(fieldOf(cd[0]!, R.SMMU_CD_AA64_MASK), 1);
  assert.is(fieldOf(cd[0]!, R.SMMU_CD_EPD1_MASK), 1, 'TTB1 disabled');
  assert.is(fieldOf(cd[0]!, R.SMMU_CD_R_MASK) & fieldOf(cd[0]!, R.SMMU_CD_A_MASK), 1, 'faults recorded and aborted');
  assert.is(fieldOf(cd[0]!, R.SMMU_CD_T0SZ_MASK), 16);
  assert.is(fieldOf(cd[0]!, R.SMMU_CD_IPS_MASK), 4, 'IPS = 44 bits (IDR5.OAS)');
  const asid = fieldOf(cd[0]!, R.SMMU_CD_ASID_MASK);
  assert.ok(asid > 0, 'ASID 0 is never handed out');
  // The table the CD points at translates what iommu_map mapped.
  v.core.iommuMap(dom, IOVA, PA, 0x1000, RW);
  const ttb0 = Number(cd[1]! & R.SMMU_CD_TTB0_MASK);
  const l0 = v.ram64(ttb0); // 48-bit VA, 4K granule: 4 levels from level 0
  assert.is(l0 & 3n, 3n, 'level-0 table descriptor for iova 0x100000');
  assert.is(v.core.iommuIovaToPhys(dom, IOVA + 0x123), PA + 0x123);
});

test('edu DMA through the SMMU; unmap + iotlb_sync sends a leaf range TLBI for the ASID; the same DMA then faults and the event is decoded', () => {
  const v = virtSmmu();
  const dom = v.core.iommuGetDomainForDev(v.edu)!;
  v.core.iommuMap(dom, IOVA, PA, 0x2000, RW);
  assert.ok(v.roundTrip(IOVA, PA, IOVA + 0x1000, PA + 0x1000), 'data moved RAM -> edu -> RAM at the mapped addresses');
  const asid = fieldOf(cdOf(v, EDU_SID)[0]!, R.SMMU_CD_ASID_MASK);

  const mark = v.rec.ops.length;
  assert.is(v.core.iommuUnmap(dom, IOVA, 0x2000), 0x2000);
  const cmds = cmdsSince(v, mark);
  assert.equal(cmds.map((c) => c.op), [R.SMMU_CMD_OP_TLBI_NH_VA, R.SMMU_CMD_OP_SYNC]);
  const t = cmds[0]!;
  // IDR3.RIL: one range command, 2 pages = (NUM + 1) * 2^SCALE with NUM 0, SCALE 1; TG 4K; leaf, TTL 3.
  assert.is(fieldOf(t.dw0, R.SMMU_CMD_TLBI_ASID_MASK), asid);
  assert.is(fieldOf(t.dw0, R.SMMU_CMD_TLBI_NUM_MASK), 0);
  assert.is(fieldOf(t.dw0, R.SMMU_CMD_TLBI_SCALE_MASK), 1);
  assert.is(fieldOf(t.dw1, R.SMMU_CMD_TLBI_TG_MASK), 1);
  assert.is(fieldOf(t.dw1, R.SMMU_CMD_TLBI_LEAF_MASK), 1);
  assert.is(fieldOf(t.dw1, R.SMMU_CMD_TLBI_TTL_MASK), 3);
  assert.is(Number(t.dw1 & R.SMMU_CMD_TLBI_ADDR_MASK), IOVA);

  assert.is(v.r32(R.SMMU_EVENTQ_PROD), 0);
  v.putRam(PA + 0x1000, [0xaa, 0xbb]);
  v.dma(IOVA, 0x40000, 16, false); // translated before: would hit a stale IOTLB entry without the TLBI
  assert.is(v.r32(R.SMMU_EVENTQ_PROD), 1, 'one event recorded');
  const ev = v.smmu.handleEvents();
  assert.is(ev.length, 1);
  const e = ev[0]!;
  assert.is(e.id, R.SMMU_EVENT_F_TRANSLATION);
  assert.is(e.sid, EDU_SID);
  assert.is(e.ssid, null);
  assert.is(e.iova, BigInt(IOVA));
  assert.is(e.read, true, 'edu read RAM');
  assert.is(e.s2, false);
  assert.is(e.class, 'IN');
  assert.is(e.client, v.edu.name);
  assert.ok(v.core.dmesg.some((l) => /arm-smmu-v3 .*: event 0x10 received: F_TRANSLATION .*sid 0x8 .*iova 0x100000 .*read s1 class IN/.test(l)));
  assert.is(v.r32(R.SMMU_EVENTQ_CONS), v.r32(R.SMMU_EVENTQ_PROD), 'CONS (page 1) advanced past the record');
  assert.equal(v.smmu.handleEvents(), [], 'nothing left');
});

test('without range invalidation: one TLBI_NH_VA per page (TG 0), and TLBI_NH_ASID for a range of 512 pages or more', () => {
  const v = virtSmmu({ patch: new Map([[R.SMMU_IDR3, (x: number) => x & ~R.SMMU_IDR3_RIL_MASK]]) });
  const dom = v.core.iommuGetDomainForDev(v.edu)!;
  v.core.iommuMap(dom, IOVA, PA, 0x3000, RW);
  let mark = v.rec.ops.length;
  v.core.iommuUnmap(dom, IOVA, 0x3000);
  let cmds = cmdsSince(v, mark);
  assert.equal(cmds.map((c) => c.op), [R.SMMU_CMD_OP_TLBI_NH_VA, R.SMMU_CMD_OP_TLBI_NH_VA, R.SMMU_CMD_OP_TLBI_NH_VA, R.SMMU_CMD_OP_SYNC]);
  assert.equal(cmds.slice(0, 3).map((c) => Number(c.dw1 & R.SMMU_CMD_TLBI_ADDR_MASK)), [IOVA, IOVA + 0x1000, IOVA + 0x2000]);
  assert.ok(cmds.slice(0, 3).every((c) => fieldOf(c.dw1, R.SMMU_CMD_TLBI_TG_MASK) === 0 && fieldOf(c.dw0, R.SMMU_CMD_TLBI_NUM_MASK) === 0));
  v.core.iommuMap(dom, 0x20_1000, PA, 0x20_0000, RW); // 2 MiB, not 2 MiB aligned: 512 4K pages
  mark = v.rec.ops.length;
  v.core.iommuUnmap(dom, 0x20_1000, 0x20_0000);
  cmds = cmdsSince(v, mark);
  assert.equal(cmds.map((c) => c.op), [R.SMMU_CMD_OP_TLBI_NH_ASID, R.SMMU_CMD_OP_SYNC]);
});

test('flush_iotlb_all: TLBI_NH_ASID for the domain ASID + CMD_SYNC', () => {
  const v = virtSmmu();
  const dom = v.core.iommuGetDomainForDev(v.edu)!;
  const mark = v.rec.ops.length;
  dom.ops.flushIotlbAll!(dom);
  const cmds = cmdsSince(v, mark);
  assert.equal(cmds.map((c) => c.op), [R.SMMU_CMD_OP_TLBI_NH_ASID, R.SMMU_CMD_OP_SYNC]);
  assert.is(fieldOf(cmds[0]!.dw0, R.SMMU_CMD_TLBI_ASID_MASK), fieldOf(cdOf(v, EDU_SID)[0]!, R.SMMU_CD_ASID_MASK));
});

test('DMA ownership in hardware: claimed -> abort STE, DMA terminated without an event; released -> stage-1 STE, DMA works', () => {
  const v = virtSmmu();
  const dom = v.core.iommuGetDomainForDev(v.edu)!;
  v.core.iommuMap(dom, IOVA, PA, 0x2000, RW);
  const s1 = v.ste(EDU_SID);
  const g = v.edu.iommu!.group!;
  v.core.iommuGroupClaimDmaOwner(g, 'vfio');
  assert.is(v.ste(EDU_SID)[0], 0x1n, 'abort STE: V | Config 0');
  assert.is(v.steConfig(EDU_SID), R.SMMU_STE_CONFIG_ABORT);
  assert.is(fieldOf(cdOf(v, EDU_SID)[0]!, R.SMMU_CD_V_MASK), 0, 'CD 0 cleared too');
  assert.not.ok(v.roundTrip(IOVA, PA, IOVA + 0x1000, PA + 0x1000), 'blocked: no data reaches RAM');
  assert.is(v.r32(R.SMMU_EVENTQ_PROD), 0, 'Config = abort records no event (d.2)');
  v.core.iommuGroupReleaseDmaOwner(g);
  assert.equal(v.ste(EDU_SID), s1, 'the same stage-1 STE again');
  assert.ok(v.roundTrip(IOVA, PA, IOVA + 0x1000, PA + 0x1000));
});

test('an UNMANAGED paging domain attached to the owned group translates with its own ASID and tables', () => {
  const v = virtSmmu();
  const g = v.edu.iommu!.group!;
  const dma = v.core.iommuGetDomainForDev(v.edu)!;
  const dmaAsid = fieldOf(cdOf(v, EDU_SID)[0]!, R.SMMU_CD_ASID_MASK);
  v.core.iommuMap(dma, IOVA, PA, 0x2000, RW);
  v.core.iommuGroupClaimDmaOwner(g, 'vfio');
  const u = v.core.iommuPagingDomainAlloc(v.edu);
  assert.is(u.type, IOMMU_DOMAIN_UNMANAGED);
  v.core.iommuAttachGroup(u, g);
  const asid = fieldOf(cdOf(v, EDU_SID)[0]!, R.SMMU_CD_ASID_MASK);
  assert.ok(asid !== dmaAsid, 'a different ASID');
  v.core.iommuMap(u, IOVA, PA + 0x10000, 0x2000, RW);
  assert.ok(v.roundTrip(IOVA, PA + 0x10000, IOVA + 0x1000, PA + 0x11000), 'DMA lands where the UNMANAGED domain maps it');
  assert.is(v.core.iommuIovaToPhys(u, IOVA), PA + 0x10000);
  v.core.iommuDetachGroup(u, g);
  assert.is(v.steConfig(EDU_SID), R.SMMU_STE_CONFIG_ABORT, 'back to blocking while owned');
  const mark = v.rec.ops.length;
  v.core.iommuDomainFree(u);
  const cmds = cmdsSince(v, mark);
  assert.ok(cmds.some((c) => c.op === R.SMMU_CMD_OP_TLBI_NH_ASID && fieldOf(c.dw0, R.SMMU_CMD_TLBI_ASID_MASK) === asid), 'the ASID is invalidated before reuse');
  v.core.iommuGroupReleaseDmaOwner(g);
  assert.ok(v.roundTrip(IOVA, PA, IOVA + 0x1000, PA + 0x1000), 'default domain again');
});

test('identity domain: bypass STE, device addresses are physical addresses', () => {
  // edu with a 32-bit DMA mask reaches RAM at 1 GiB directly.
  const v = virtSmmu({ eduProps: { dma_mask: String(2 ** 32 - 1) } });
  v.core.setGroupType(v.edu.iommu!.group!, 'identity');
  assert.is(v.ste(EDU_SID)[0], 0x9n, 'V | Config 0b100');
  assert.ok(v.roundTrip(PA, PA, PA + 0x1000, PA + 0x1000), 'iova == physical address');
  assert.is(v.r32(R.SMMU_EVENTQ_PROD), 0);
});

test('capable(): CACHE_COHERENCY from IDR0.COHACC, NOEXEC and DEFERRED_FLUSH always, DIRTY_TRACKING only with HTTU dirty, USER_DMA_SAFE', () => {
  const v = virtSmmu();
  const cap = (c: Parameters<typeof v.core.deviceIommuCapable>[1]) => v.core.deviceIommuCapable(v.edu, c);
  assert.is(cap(IOMMU_CAP_CACHE_COHERENCY), true, 'QEMU advertises COHACC');
  assert.is(cap(IOMMU_CAP_NOEXEC), true);
  assert.is(cap(IOMMU_CAP_DEFERRED_FLUSH), true);
  assert.is(cap(IOMMU_CAP_DIRTY_TRACKING), false, 'no HTTU on QEMU');
  assert.is(cap(IOMMU_CAP_ENFORCE_CACHE_COHERENCY), false);
  assert.is(cap(IOMMU_CAP_USER_DMA_SAFE), true);
  const nc = virtSmmu({ patch: new Map([[R.SMMU_IDR0, (x: number) => x & ~R.SMMU_IDR0_COHACC_MASK]]) });
  assert.is(nc.core.deviceIommuCapable(nc.edu, IOMMU_CAP_CACHE_COHERENCY), false, 'non-coherent SMMU');
});

test('get_resv_regions: the software MSI window 0x8000000 + 1 MiB (SW_MSI, WRITE | NOEXEC | MMIO)', () => {
  const v = virtSmmu();
  const r = v.core.iommuGetResvRegions(v.edu);
  assert.equal(r, [{ start: 0x0800_0000, length: 0x10_0000, prot: IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO, type: IOMMU_RESV_SW_MSI }]);
  assert.match(v.core.reservedRegionsText(v.edu.iommu!.group!), /0x0*8000000 0x0*80fffff msi/);
});

test('devices not behind this SMMU are refused with -ENODEV: no IOMMU data, no STE', () => {
  const v = virtSmmu({ opts: { handles: (d) => d.pci!.devfn !== 0x08 } });
  assert.is(v.edu.iommu, null);
  assert.is(v.core.iommuGetDomainForDev(v.edu), null);
});

test.run();

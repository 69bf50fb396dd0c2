// The VT-d part of `npm start`: q35 with intel-iommu and edu, driven the way Linux's intel-iommu
// driver does it - only MMIO and guest RAM: queued invalidation, root table and SRTP, global
// invalidations through the queue, a context entry for edu, second-stage tables built by the
// VtdSsPageTable writer (Linux's vtdss semantics), TE; then edu DMA translated by the unit, faults
// decoded from the fault-recording register, and the stale translation a missing IOTLB
// invalidation leaves behind.
import { createMachine } from '../platform/machines/index.ts';
import { Q35_IOMMU_BASE, type Q35Machine } from '../platform/machines/q35.ts';
import { VtdSsPageTable } from '../core/pgtable-vtd.ts';
import { IOMMU_READ, IOMMU_WRITE } from '../core/pgtable.ts';
import { PageArena } from '../core/pgtable-arena.ts';
import { EDU_REG } from '../platform/devices/edu.ts';
import * as R from '../regs/generated/vtd.ts';
import { build } from '../hw/vtd/fields.ts';

const hex = (n: number | bigint, w = 8) => '0x' + n.toString(16).padStart(w, '0');
const ROOT = 0x10_0000;
const CTX = 0x10_1000;
const IQ = 0x11_0000;
const STATUS = 0x11_1000;
const BAR = 0xfe00_0000;
const EDU_DEVFN = 0x20; // 00:04.0
const QI_DONE = 2;
const DID = 1;

export function runVtdDemo(log: (s: string) => void): void {
  const m = createMachine({ machine: 'q35', machineProps: {}, memoryBytes: 256 << 20, devices: [{ driver: 'intel-iommu', props: {} }, { driver: 'edu', props: { addr: '04.0' } }] }) as Q35Machine;
  const mem = m.memory;
  const w32 = (off: number, v: number) => mem.write(Q35_IOMMU_BASE + off, 4, v >>> 0);
  const r32 = (off: number) => mem.read(Q35_IOMMU_BASE + off, 4);
  const w64 = (off: number, v: bigint) => mem.write64(Q35_IOMMU_BASE + off, v);
  const r64 = (off: number) => mem.read64(Q35_IOMMU_BASE + off);
  const putWords = (pa: number, words: readonly bigint[]) => words.forEach((w, i) => mem.write64(pa + 8 * i, w));
  let tail = 0;
  let gcmd = 0;
  /** qi_submit_sync: descriptors, a wait descriptor with a status write, IQT, spin on the status. */
  const submit = (...descs: bigint[][]) => {
    mem.write(STATUS, 4, 1);
    for (const d of [...descs, build(2, 'INV_WAIT', { TYPE: R.VTD_INV_TYPE_WAIT, SW: 1, STDATA: QI_DONE, STADDR: STATUS / 4 })]) {
      putWords(IQ + tail * 16, d);
      tail = (tail + 1) % 256;
    }
    w32(R.VTD_IQT, tail << 4);
    if (mem.read(STATUS, 4) !== QI_DONE) throw new Error('demo: the invalidation wait did not complete');
  };

  log(`== q35 machine with intel-iommu (QEMU 7.2 defaults: CAP ${hex(r64(R.VTD_CAP), 16)}, ECAP ${hex(r64(R.VTD_ECAP), 16)}) at ${hex(Q35_IOMMU_BASE)}, edu at 00:04.0 (source ID ${hex(EDU_DEVFN, 4)})\n`);
  log('-- driver: bring-up as intel-iommu does it (QI, root table + SRTP, global context/IOTLB invalidation, fault MSI, TE)');
  w64(R.VTD_IQT, 0n);
  w64(R.VTD_IQA, BigInt(IQ));
  gcmd |= R.VTD_GCMD_QIE_MASK;
  w32(R.VTD_GCMD, gcmd);
  w64(R.VTD_RTADDR, BigInt(ROOT));
  w32(R.VTD_GCMD, gcmd | R.VTD_GCMD_SRTP_MASK);
  submit(build(2, 'INV_CC', { TYPE: R.VTD_INV_TYPE_CC, G: R.VTD_INV_CC_G_GLOBAL }));
  submit(build(2, 'INV_IOTLB', { TYPE: R.VTD_INV_TYPE_IOTLB, G: R.VTD_INV_IOTLB_G_GLOBAL, DR: 1, DW: 1 }));
  w32(R.VTD_FEDATA, 0x4021);
  w32(R.VTD_FEADDR, 0xfee00000);
  w32(R.VTD_FECTL, 0);
  const msis: string[] = [];
  m.msi.listen((a, d) => msis.push(`${hex(a)} <- ${hex(d, 4)}`));

  log('\n-- driver: second-stage tables (vtdss writer), root entry of bus 0, context entry of 00:04.0 (DID 1, AW 39-bit)');
  const pt = new VtdSsPageTable(m.core, { addressWidth: 39, pages2M: true, pages1G: true }, new PageArena(0x80_0000, 0x100_0000));
  pt.map(0x10_0000, 0x200_0000, 0x1000, 1, IOMMU_READ | IOMMU_WRITE); // DMA buffer
  pt.map(0x20_0000, 0x200_1000, 0x1000, 1, IOMMU_READ); // read-only page
  putWords(ROOT, build(2, 'ROOT_ENTRY', { P: 1, CTP: CTX >> 12 }));
  putWords(CTX + EDU_DEVFN * 16, build(2, 'CONTEXT_ENTRY', { P: 1, SLPTPTR: pt.root / 4096, AW: pt.geometry.aw, DID }));
  gcmd |= R.VTD_GCMD_TE_MASK;
  w32(R.VTD_GCMD, gcmd);
  log(`   GSTS ${hex(r32(R.VTD_GSTS))} (TES, RTPS, QIES); iova 0x100000 -> ${hex(pt.iovaToPhys(0x10_0000))} (read/write), 0x200000 -> ${hex(pt.iovaToPhys(0x20_0000))} (read-only)`);

  log('\n-- edu DMA through VT-d (device addresses are IOVAs)');
  m.io.write(0xcf8, 4, (0x80000000 | (EDU_DEVFN << 8) | 0x10) >>> 0);
  m.io.write(0xcfc, 4, BAR);
  m.io.write(0xcf8, 4, (0x80000000 | (EDU_DEVFN << 8) | 0x04) >>> 0);
  m.io.write(0xcfc, 2, 0x6);
  const msg = new TextEncoder().encode('translated by the VT-d model');
  m.ramView().set(msg, 0x200_0000);
  const dma = (src: number, dst: number, cnt: number, toRam: boolean) => {
    mem.write(BAR + EDU_REG.DMA_SRC, 4, src);
    mem.write(BAR + EDU_REG.DMA_DST, 4, dst);
    mem.write(BAR + EDU_REG.DMA_CNT, 4, cnt);
    mem.write(BAR + EDU_REG.DMA_CMD, 4, toRam ? 3 : 1);
    m.clockStep(100_000_000);
  };
  dma(0x10_0000, 0x40000, msg.length, false);
  dma(0x40000, 0x10_0800, msg.length, true);
  log(`   RAM @0x2000800 after device -> iova 0x100800: "${new TextDecoder().decode(m.ramView().subarray(0x200_0800, 0x200_0800 + msg.length))}"`);

  log('\n-- faults are recorded in FRCD (FSTS.PPF, fault MSI), decoded, then cleared as dmar_fault does');
  const decodeFault = () => {
    const lo = r64(R.VTD_FRCD_LO);
    const hi = r64(R.VTD_FRCD_HI);
    const f = (mask: bigint, shift: number) => Number((hi & mask) >> BigInt(shift));
    log(`   FSTS ${hex(r32(R.VTD_FSTS))}: reason ${hex(f(R.VTD_FRCD_HI_FR_MASK, R.VTD_FRCD_HI_FR_SHIFT), 2)}, SID ${hex(f(R.VTD_FRCD_HI_SID_MASK, R.VTD_FRCD_HI_SID_SHIFT), 4)}, ` +
      `address ${hex(lo)}, ${f(R.VTD_FRCD_HI_T_MASK, R.VTD_FRCD_HI_T_SHIFT) ? 'read' : 'write'}   [${hex(lo, 16)} ${hex(hi, 16)}]`);
    w32(R.VTD_FRCD_LO + 12, Number(R.VTD_FRCD_HI_F_MASK >> 32n));
    w32(R.VTD_FSTS, R.VTD_FSTS_PFO_MASK | R.VTD_FSTS_PPF_MASK);
  };
  dma(0x40000, 0x20_0000, 4, true); // write to the read-only page
  decodeFault();
  dma(0x30_0000, 0x40100, 4, false); // read of an unmapped iova
  decodeFault();
  log(`   fault-event MSIs: ${msis.join(', ')}`);

  log('\n-- stale translations: unmap without an IOTLB invalidation, the IOTLB still answers; after a page-selective invalidation it does not');
  pt.unmap(0x10_0000, 0x1000, 1);
  dma(0x40000, 0x10_0000, 8, true);
  log(`   after unmap, no invalidation: DMA to iova 0x100000 still lands at 0x2000000 (FSTS ${hex(r32(R.VTD_FSTS))})`);
  submit(build(2, 'INV_IOTLB', { TYPE: R.VTD_INV_TYPE_IOTLB, G: R.VTD_INV_IOTLB_G_PAGE, DID, ADDR: 0x10_0000 >> 12, AM: 0, IH: 1 }));
  dma(0x40000, 0x10_0000, 8, true);
  log(`   after the page-selective invalidation: the same DMA faults (FSTS ${hex(r32(R.VTD_FSTS))})`);

  log('\n-- VT-d registers now, decoded');
  const dump = m.vtd!.regs.dump({ only: ['GSTS', 'RTADDR', 'FSTS', 'FECTL', 'IQH', 'IQT', 'IQA', 'FRCD_HI[0]'] });
  log(dump.trimEnd().split('\n').map((l) => '     ' + l).join('\n'));
}

// The SMMUv3 half of `npm start`: an Arm virt machine with iommu=smmuv3 and edu, driven the way
// Linux's arm-smmu-v3 driver does it - only MMIO and guest RAM: the bring-up sequence, a stream
// table and a CD written in memory, stage-1 tables built by the io-pgtable-arm writer, edu DMA
// translated by the SMMU, a fault decoded from the event queue, and the stale translation a
// missing TLBI leaves behind.
import { createMachine } from '../platform/machines/index.ts';
import type { VirtMachine } from '../platform/machines/virt.ts';
import { VIRT_SMMU_BASE } from '../platform/machines/virt.ts';
import { LpaePageTable, IOMMU_READ, IOMMU_WRITE } from '../core/pgtable.ts';
import { PageArena } from '../core/pgtable-arena.ts';
import { EDU_REG } from '../platform/devices/edu.ts';
import * as R from '../regs/generated/smmuv3.ts';
import { EVENT_NAMES } from '../hw/smmuv3/events.ts';
import { fld, fldn, setFld } from '../hw/smmuv3/fields.ts';

const hex = (n: number | bigint, w = 8) => '0x' + n.toString(16).padStart(w, '0');
const STRTAB = 0x4010_0000;
const CDTAB = 0x4020_0000;
const CMDQ = 0x4050_0000;
const EVTQ = 0x4051_0000;
const BAR = 0x1000_0000;
const ECAM_EDU = 0x40_1000_8000; // 00:01.0
const SID = 0x0008;

export function runSmmuv3Demo(log: (s: string) => void): void {
  const m = createMachine({ machine: 'virt', machineProps: { iommu: 'smmuv3' }, memoryBytes: 256 << 20, devices: [{ driver: 'edu', props: {} }] }) as VirtMachine;
  const mem = m.memory;
  const w32 = (off: number, v: number) => mem.write(VIRT_SMMU_BASE + off, 4, v >>> 0);
  const r32 = (off: number) => mem.read(VIRT_SMMU_BASE + off, 4);
  const w64 = (off: number, v: bigint) => mem.write64(VIRT_SMMU_BASE + off, v);
  const putWords = (pa: number, words: readonly bigint[]) => words.forEach((w, i) => mem.write64(pa + 8 * i, w));
  let prod = 0;
  const command = (...cmds: bigint[][]) => {
    for (const c of cmds) putWords(CMDQ + (prod++ % 256) * 16, c);
    w32(R.SMMU_CMDQ_PROD, prod % 512);
  };
  const cmd = (struct: string, op: number, f: Record<string, number | bigint> = {}) => {
    const w = [BigInt(op), 0n];
    for (const [k, v] of Object.entries(f)) setFld(w, struct, k, v);
    return w;
  };
  const sync = () => cmd('CMD_SYNC', R.SMMU_CMD_OP_SYNC);

  log(`== virt machine with iommu=smmuv3 (QEMU 7.2's SMMU: IDR0 ${hex(r32(R.SMMU_IDR0))}) at ${hex(VIRT_SMMU_BASE)}, edu at 00:01.0 (stream ID ${hex(SID, 4)})\n`);
  log('-- driver: bring-up as arm-smmu-v3 does it (CR0 off, CR1/CR2, stream table, command queue, CFGI_ALL + TLBI_NSNH_ALL + CMD_SYNC, event queue, IRQs, SMMUEN)');
  w32(R.SMMU_CR0, 0);
  w32(R.SMMU_CR1, 0xd75);
  w32(R.SMMU_CR2, R.SMMU_CR2_PTM_MASK | R.SMMU_CR2_RECINVSID_MASK);
  w64(R.SMMU_STRTAB_BASE, BigInt(STRTAB) | R.SMMU_STRTAB_BASE_RA_MASK);
  w32(R.SMMU_STRTAB_BASE_CFG, 5); // linear, 32 STEs
  w64(R.SMMU_CMDQ_BASE, BigInt(CMDQ) | 8n);
  w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK);
  command(cmd('CMD_CFGI_RANGE', R.SMMU_CMD_OP_CFGI_STE_RANGE, { RANGE: 31 }), sync(), cmd('CMD', R.SMMU_CMD_OP_TLBI_NSNH_ALL), sync());
  w64(R.SMMU_EVENTQ_BASE, BigInt(EVTQ) | 4n);
  w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK);
  w32(R.SMMU_IRQ_CTRL, R.SMMU_IRQ_CTRL_EVENTQ_IRQEN_MASK | R.SMMU_IRQ_CTRL_GERROR_IRQEN_MASK);
  w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK | R.SMMU_CR0_SMMUEN_MASK);
  log(`   CR0ACK ${hex(r32(R.SMMU_CR0ACK))}, CMDQ_CONS ${r32(R.SMMU_CMDQ_CONS)} of ${prod} commands, GERROR ${hex(r32(R.SMMU_GERROR))}`);

  log('\n-- driver: io-pgtable-arm stage-1 tables in guest RAM, a CD (ASID 1) and the STE of stream 8');
  const pt = new LpaePageTable(m.core, { fmt: 'ARM_64_LPAE_S1', ias: 48, oas: 44, pgsizeBitmap: 0x40201000 }, new PageArena(0x4800_0000, 0x4900_0000));
  pt.map(0x10_0000, 0x4100_0000, 0x1000, 1, IOMMU_READ | IOMMU_WRITE); // DMA buffer
  pt.map(0x20_0000, 0x4100_1000, 0x1000, 1, IOMMU_READ); // read-only page
  const cd = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  for (const [k, v] of Object.entries({ T0SZ: 16, TG0: 0, IR0: 1, OR0: 1, SH0: 3, EPD1: 1, V: 1, IPS: 4, AA64: 1, R: 1, A: 1, ASET: 1, ASID: 1, TTB0: BigInt(pt.pgd) >> 4n, MAIR0: 0xf404ff44 })) setFld(cd, 'CD', k, v);
  putWords(CDTAB, cd);
  const ste = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  for (const [k, v] of Object.entries({ V: 1, CONFIG: R.SMMU_STE_CONFIG_S1_TRANS, S1CONTEXTPTR: BigInt(CDTAB) >> 6n, S1CIR: 1, S1COR: 1, S1CSH: 3 })) setFld(ste, 'STE', k, v);
  putWords(STRTAB + SID * 64, ste);
  command(cmd('CMD_CFGI', R.SMMU_CMD_OP_CFGI_STE, { SID, LEAF: 1 }), sync());
  log(`   iova 0x100000 -> ${hex(pt.iovaToPhys(0x10_0000))} (read/write), iova 0x200000 -> ${hex(pt.iovaToPhys(0x20_0000))} (read-only)`);

  log('\n-- edu DMA through the SMMU (device addresses are IOVAs)');
  mem.write(ECAM_EDU + 0x10, 4, BAR);
  mem.write(ECAM_EDU + 0x04, 2, 0x6);
  const msg = new TextEncoder().encode('translated by the SMMUv3 model');
  m.ramView().set(msg, 0x0100_0000); // PA 0x41000000 = iova 0x100000
  const dma = (src: number, dst: number, cnt: number, toRam: boolean) => {
    mem.write(BAR + EDU_REG.DMA_SRC, 4, src);
    mem.write(BAR + EDU_REG.DMA_DST, 4, dst);
    mem.write(BAR + EDU_REG.DMA_CNT, 4, cnt);
    mem.write(BAR + EDU_REG.DMA_CMD, 4, toRam ? 3 : 1);
    m.clockStep(100_000_000);
  };
  dma(0x10_0000, 0x40000, msg.length, false);
  dma(0x40000, 0x10_0800, msg.length, true);
  log(`   RAM @0x41000800 after device -> iova 0x100800: "${new TextDecoder().decode(m.ramView().subarray(0x0100_0800, 0x0100_0800 + msg.length))}"`);

  log('\n-- faults land in the event queue (32-byte records at EVENTQ_PROD), decoded from their fields');
  dma(0x40000, 0x20_0000, 4, true); // write to the read-only page
  dma(0x30_0000, 0x40100, 4, false); // read of an unmapped iova
  const n = r32(R.SMMU_EVENTQ_PROD) & 0xf;
  for (let i = 0; i < n; i++) {
    const w = [0, 1, 2, 3].map((k) => mem.read64(EVTQ + i * 32 + k * 8));
    log(`   ${EVENT_NAMES[fldn(w, 'EVT_FAULT', 'EVENTID')]}: SID ${hex(fldn(w, 'EVT_FAULT', 'SID'), 4)}, iova ${hex(fld(w, 'EVT_FAULT', 'INPUT_ADDR'))}, ${fldn(w, 'EVT_FAULT', 'RNW') ? 'read' : 'write'}, CLASS ${['CD', 'TT', 'IN'][fldn(w, 'EVT_FAULT', 'CLASS')]}   [${w.map((x) => hex(x, 16)).join(' ')}]`);
  }

  log('\n-- stale translations: unmap without TLBI, the IOTLB still answers; after TLBI_NH_VA + CMD_SYNC it does not');
  pt.unmap(0x10_0000, 0x1000, 1); // io-pgtable writes the PTE; the driver "forgets" the TLBI
  dma(0x40000, 0x10_0000, 8, true);
  log(`   after unmap, no TLBI: DMA to iova 0x100000 still lands at 0x41000000 (${r32(R.SMMU_EVENTQ_PROD) & 0xf} events)`);
  command(cmd('CMD_TLBI', R.SMMU_CMD_OP_TLBI_NH_VA, { ASID: 1, ADDR: 0x100n, LEAF: 1 }), sync());
  dma(0x40000, 0x10_0000, 8, true);
  log(`   after TLBI_NH_VA: the same DMA faults (${r32(R.SMMU_EVENTQ_PROD) & 0xf} events)`);

  log('\n-- SMMUv3 registers now, decoded');
  const dump = m.smmu!.regs.dump({ only: ['CR0', 'CR0ACK', 'CR2', 'STRTAB_BASE_CFG', 'CMDQ_PROD', 'CMDQ_CONS', 'EVENTQ_PROD', 'GERROR'] });
  log(dump.trimEnd().split('\n').map((l) => '     ' + l).join('\n'));
}

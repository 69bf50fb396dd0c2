// `npm start`: the best real demo of what exists. It plays firmware and driver on a q35
// machine through nothing but port I/O, MMIO and guest RAM: enumerates PCI through
// 0xCF8/0xCFC, sizes and assigns the edu BAR, turns on ECAM through the MCH's PCIEXBAR,
// runs edu DMA both ways with an interrupt, and ends with decoded register dumps.
import { createMachine } from '../platform/machines/index.ts';
import type { Q35Machine } from '../platform/machines/q35.ts';
import { RegisterFile } from '../regs/register-file.ts';
import { BLOCKS } from '../regs/generated/index.ts';
import { EDU_REG } from '../platform/devices/edu.ts';
import { MCH_PCIEXBAR, MCH_PCIEXBAREN } from '../platform/machines/q35-mch.ts';
import { PCI_BASE_ADDRESS_0, PCI_CLASS_REVISION, PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY, PCI_VENDOR_ID } from '../platform/pci/regs.ts';
import { formatBdf } from '../bridge/dma.ts';
import { runSmmuv3Demo } from './demo-smmuv3.ts';
import { runVtdDemo } from './demo-vtd.ts';
import { runKernelDemo } from './demo-kernel.ts';

const hex = (n: number | bigint, w = 8) => '0x' + n.toString(16).padStart(w, '0');

export function runDemo(args: string[]): number {
  if (args.length > 0) {
    console.error(`iommu-model demo: takes no arguments (got ${args.join(' ')})`);
    return 2;
  }
  const m = createMachine({ machine: 'q35', memoryBytes: 128 << 20, devices: [{ driver: 'edu', props: { addr: '04.0' } }] }) as Q35Machine;
  const io = m.io;
  const cfg = (bus: number, devfn: number, reg: number) => (0x80000000 | (bus << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0;
  const cfgRead = (devfn: number, reg: number) => (io.write(0xcf8, 4, cfg(0, devfn, reg)), io.read(0xcfc, 4));
  const cfgWrite = (devfn: number, reg: number, v: number) => (io.write(0xcf8, 4, cfg(0, devfn, reg)), io.write(0xcfc, 4, v));

  console.log(`== q35 machine: ${m.ramSize >> 20} MiB RAM in WebAssembly linear memory, I/O ports, PCIe root complex\n`);
  console.log('-- firmware: PCI enumeration of bus 0 through CONFIG_ADDRESS/CONFIG_DATA (0xCF8/0xCFC)');
  let eduDevfn = -1;
  for (let devfn = 0; devfn < 256; devfn++) {
    const id = cfgRead(devfn, PCI_VENDOR_ID);
    if (id === 0xffffffff) continue;
    const cls = cfgRead(devfn, PCI_CLASS_REVISION) >>> 8;
    const fn = m.pci.find(0, devfn);
    console.log(`   ${formatBdf(devfn)}  ${hex(id & 0xffff, 4).slice(2)}:${hex(id >>> 16, 4).slice(2)}  class ${hex(cls, 6).slice(2)}  ${fn?.name ?? ''}`);
    if (id === 0x11e81234) eduDevfn = devfn;
  }

  console.log('\n-- firmware: size and assign edu BAR0, enable memory decode and bus mastering');
  cfgWrite(eduDevfn, PCI_BASE_ADDRESS_0, 0xffffffff);
  const mask = cfgRead(eduDevfn, PCI_BASE_ADDRESS_0);
  const size = (~(mask & ~0xf) >>> 0) + 1;
  const bar = 0xfe000000;
  cfgWrite(eduDevfn, PCI_BASE_ADDRESS_0, bar);
  cfgWrite(eduDevfn, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  console.log(`   BAR0 reads ${hex(mask)} after writing all-ones -> ${size >> 20} MiB; placed at ${hex(bar)}`);

  const mem = m.memory;
  console.log('\n-- driver: edu registers through MMIO');
  console.log(`   identification  ${hex(mem.read(bar + EDU_REG.ID, 4))}  (major 1, minor 0, 0xed)`);
  mem.write(bar + EDU_REG.LIVENESS, 4, 0x12345678);
  console.log(`   liveness check  wrote 0x12345678, reads ${hex(mem.read(bar + EDU_REG.LIVENESS, 4))} (inverted)`);
  mem.write(bar + EDU_REG.FACTORIAL, 4, 10);
  console.log(`   factorial       10! = ${mem.read(bar + EDU_REG.FACTORIAL, 4)}`);

  console.log('\n-- driver: edu DMA, RAM -> device buffer -> RAM, with an interrupt at the end');
  const irqLog: string[] = [];
  m.irqs.listen((line, level) => irqLog.push(`IOAPIC input ${line} ${level ? 'raised' : 'lowered'} at t=${m.clock.now() / 1e6} ms`));
  const msg = new TextEncoder().encode('Hello from guest RAM, carried twice by edu DMA.');
  const ram = m.ramView();
  ram.set(msg, 0x100000);
  const dma = (src: number, dst: number, cnt: number, cmd: number) => {
    mem.write64(bar + EDU_REG.DMA_SRC, BigInt(src));
    mem.write64(bar + EDU_REG.DMA_DST, BigInt(dst));
    mem.write64(bar + EDU_REG.DMA_CNT, BigInt(cnt));
    mem.write64(bar + EDU_REG.DMA_CMD, BigInt(cmd));
    m.clockStep(100_000_000); // edu's DMA timer: 100 ms of virtual time
  };
  dma(0x100000, 0x40000, msg.length, 0x1); // RAM -> device buffer
  dma(0x40000, 0x200000, msg.length, 0x1 | 0x2 | 0x4); // device buffer -> RAM, raise interrupt
  const copied = new TextDecoder().decode(ram.subarray(0x200000, 0x200000 + msg.length));
  console.log(`   RAM @0x100000: "${new TextDecoder().decode(msg)}"`);
  console.log(`   RAM @0x200000: "${copied}"`);
  console.log(`   interrupt status ${hex(mem.read(bar + EDU_REG.IRQ_STATUS, 4))}; ${irqLog.join('; ')}`);
  mem.write(bar + EDU_REG.IRQ_ACK, 4, 0x100);
  console.log(`   after ack: ${irqLog.at(-1)}`);

  console.log('\n-- firmware: enable ECAM through the MCH PCIEXBAR register, then read edu by ECAM');
  console.log(`   ECAM at 0xb0000000 before: ${hex(mem.read(0xb0000000 + (eduDevfn << 12), 4))} (disabled at reset, as on QEMU)`);
  cfgWrite(0, MCH_PCIEXBAR, 0xb0000000 | MCH_PCIEXBAREN);
  console.log(`   ECAM at 0xb0000000 after:  ${hex(mem.read(0xb0000000 + (eduDevfn << 12), 4))} (edu's vendor/device)`);

  console.log('\n-- edu configuration space (as lspci -x)');
  for (let off = 0; off < 0x40; off += 16) {
    const bytes: string[] = [];
    for (let i = 0; i < 16; i += 4) {
      const v = mem.read(0xb0000000 + (eduDevfn << 12) + off + i, 4);
      for (let b = 0; b < 4; b++) bytes.push(((v >>> (8 * b)) & 0xff).toString(16).padStart(2, '0'));
    }
    console.log(`   ${off.toString(16).padStart(2, '0')}: ${bytes.join(' ')}`);
  }

  console.log('\n-- register files generated from regmaps/ (reset state, QEMU 7.2 defaults), decoded');
  console.log('   VT-d (will sit at 0xFED90000 on q35):');
  const vtd = new RegisterFile(BLOCKS.vtd!);
  console.log(indent(vtd.dump({ only: ['VER', 'CAP', 'ECAP', 'GSTS', 'FSTS', 'FECTL', 'IECTL'] })));
  console.log('');
  runSmmuv3Demo((l) => console.log(l));
  console.log('');
  runVtdDemo((l) => console.log(l));
  console.log('');
  runKernelDemo((l) => console.log(l));
  console.log('\nTry: npx iommu-model describe vtd CAP.SAGAW   |   npx iommu-model qtest -machine q35 -device edu -qtest stdio');
  return 0;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => '     ' + l)
    .join('\n');
}

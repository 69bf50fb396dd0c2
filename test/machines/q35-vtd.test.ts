// VT-d on the q35 machine: -device intel-iommu's properties and QEMU 7.2's refusals, the fault
// event as an MSI through the machine's MSI window, snapshot/restore of the unit (registers,
// latched root, IOTLB), and system reset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMachine, MachineConfigError } from '../../src/platform/machines/index.ts';
import type { Q35Machine } from '../../src/platform/machines/q35.ts';
import { parseQtestCommandLine } from '../../src/qtest/cmdline.ts';
import * as R from '../../src/regs/generated/vtd.ts';
import { build, fromWords } from '../../src/hw/vtd/fields.ts';

const VTD = 0xfed90000;
const BAR = 0xfe000000;
const EDU = 0x20; // 00:04.0
const cfgAddr = (devfn: number, reg: number) => (0x80000000 | (devfn << 8) | reg) >>> 0;

function machine(cmd: string): Q35Machine {
  return createMachine(parseQtestCommandLine(cmd.split(' ')).config) as Q35Machine;
}

function outcome(cmd: string): string {
  try {
    machine(cmd);
    return 'OK';
  } catch (e) {
    assert.instance(e, MachineConfigError);
    return (e as Error).message;
  }
}

test('-device intel-iommu: QEMU 7.2 refusals with its words (observed by running QEMU 7.2.22)', () => {
  assert.is(outcome('-machine q35 -device intel-iommu -device intel-iommu'), '-device intel-iommu: QEMU does not support multiple vIOMMUs for x86 yet.');
  assert.is(outcome('-machine q35 -device intel-iommu,aw-bits=40'), '-device intel-iommu,aw-bits=40: Supported values for aw-bits are: 39, 48');
  assert.is(outcome('-machine q35 -device intel-iommu,eim=on'), '-device intel-iommu,eim=on: eim=on requires accel=kvm,kernel-irqchip=split');
  assert.is(outcome('-machine q35 -device intel-iommu,foo=1'), "-device intel-iommu,foo=1: Property 'intel-iommu.foo' not found");
  assert.is(outcome('-machine q35 -device intel-iommu,caching-mode=on,aw-bits=48'), 'OK');
  // kvm-unit-tests' intel_iommu command line (vtd.md 7.4).
  assert.is(outcome('-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,eim=off -device edu'), 'OK');
  const m = machine('-machine q35 -device intel-iommu,caching-mode=on,aw-bits=48');
  assert.is(m.memory.read64(VTD + R.VTD_CAP), 0x00d2008c222f0686n);
});

/** q35 + intel-iommu + edu with edu's context translating iova 0x1000 -> 0x200000, TE on, fault MSI unmasked. */
function bringUp(): Q35Machine {
  const m = machine('-machine q35 -device intel-iommu -device edu,addr=04.0');
  const ram = m.ramView();
  m.io.write(0xcf8, 4, cfgAddr(EDU, 0x10));
  m.io.write(0xcfc, 4, BAR);
  m.io.write(0xcf8, 4, cfgAddr(EDU, 0x04));
  m.io.write(0xcfc, 2, 0x6);
  ram.set(fromWords(build(2, 'ROOT_ENTRY', { P: 1, CTP: 0x101 })), 0x100000);
  ram.set(fromWords(build(2, 'CONTEXT_ENTRY', { P: 1, SLPTPTR: 0x102, AW: 1, DID: 1 })), 0x101000 + EDU * 16);
  ram.set(fromWords(build(1, 'SS_PTE', { R: 1, W: 1, ADDR: 0x103 })), 0x102000);
  ram.set(fromWords(build(1, 'SS_PTE', { R: 1, W: 1, ADDR: 0x104 })), 0x103000);
  ram.set(fromWords(build(1, 'SS_PTE', { R: 1, W: 1, ADDR: 0x200 })), 0x104008);
  m.memory.write64(VTD + R.VTD_RTADDR, 0x100000n);
  m.memory.write(VTD + R.VTD_GCMD, 4, R.VTD_GCMD_SRTP_MASK);
  m.memory.write(VTD + R.VTD_FEDATA, 4, 0x41);
  m.memory.write(VTD + R.VTD_FEADDR, 4, 0xfee00000);
  m.memory.write(VTD + R.VTD_FECTL, 4, 0);
  m.memory.write(VTD + R.VTD_GCMD, 4, R.VTD_GCMD_TE_MASK);
  return m;
}

function eduDma(m: Q35Machine, src: number, dst: number, cmd: number): void {
  m.memory.write64(BAR + 0x80, BigInt(src));
  m.memory.write64(BAR + 0x88, BigInt(dst));
  m.memory.write64(BAR + 0x90, 4n);
  m.memory.write64(BAR + 0x98, BigInt(cmd));
  m.clockStep(100_000_000);
}

test('edu DMA goes through the unit; a fault raises the fault-event MSI through the machine MSI window', () => {
  const m = bringUp();
  const msis: [number, number][] = [];
  m.msi.listen((a, d) => msis.push([a, d]));
  m.ramView().set([9, 8, 7, 6], 0x200010);
  eduDma(m, 0x1010, 0x40000, 1);
  eduDma(m, 0x40000, 0x1020, 3);
  assert.equal([...m.ramView().subarray(0x200020, 0x200024)], [9, 8, 7, 6]);
  assert.equal(msis, []);
  eduDma(m, 0x7000, 0x40000, 1); // unmapped
  assert.equal(msis, [[0xfee00000, 0x41]]);
  assert.is(m.memory.read(VTD + R.VTD_FSTS, 4), R.VTD_FSTS_PPF_MASK);
});

test('snapshot/restore carries registers, the latched root and the IOTLB (a stale entry stays stale)', () => {
  const a = bringUp();
  a.ramView().set([1, 2, 3, 4], 0x200000);
  eduDma(a, 0x1000, 0x40000, 1); // caches iova 0x1000 -> 0x200000
  a.ramView().set(fromWords(build(1, 'SS_PTE', { R: 1, W: 1, ADDR: 0x300 })), 0x104008); // remap, no invalidation
  const snap = JSON.parse(JSON.stringify(a.snapshot()));
  const b = machine('-machine q35 -device intel-iommu -device edu,addr=04.0');
  b.ramView().set(a.ramView().subarray(0, 0x400000));
  b.restore(snap);
  assert.is(b.memory.read(VTD + R.VTD_GSTS, 4), (R.VTD_GSTS_TES_MASK | R.VTD_GSTS_RTPS_MASK) >>> 0);
  b.ramView().set([5, 5, 5, 5], 0x200000);
  eduDma(b, 0x1000, 0x40000, 1);
  // Move the device buffer back out through iova 0x1800 (same cached page) to see what was read.
  eduDma(b, 0x40000, 0x1800, 3);
  assert.equal([...b.ramView().subarray(0x200800, 0x200804)], [5, 5, 5, 5], 'the restored IOTLB still maps 0x1000 -> 0x200000');
});

test('system reset (RST_CNT) puts the unit back to its reset state', () => {
  const m = bringUp();
  m.io.write(0xcf9, 1, 0x6);
  assert.is(m.memory.read(VTD + R.VTD_GSTS, 4), 0);
  assert.is(m.memory.read(VTD + R.VTD_FECTL, 4), R.VTD_FECTL_IM_MASK >>> 0);
  assert.is(m.memory.read64(VTD + R.VTD_RTADDR), 0n);
});

test('edu MSI with interrupt remapping: the remappable message is rewritten from its IRTE; a blocked one is recorded and not delivered', () => {
  const m = machine('-machine q35 -device intel-iommu -device edu,addr=04.0');
  const msis: [number, number][] = [];
  m.msi.listen((a, d) => msis.push([a, d]));
  m.io.write(0xcf8, 4, cfgAddr(EDU, 0x10));
  m.io.write(0xcfc, 4, BAR);
  m.io.write(0xcf8, 4, cfgAddr(EDU, 0x04));
  m.io.write(0xcfc, 2, 0x6);
  // Find edu's MSI capability (ID 5) in its capability list.
  const cfg = (reg: number, size: 1 | 2 | 4 = 4) => {
    m.io.write(0xcf8, 4, cfgAddr(EDU, reg & ~3));
    return m.io.read(0xcfc + (reg & 3), size);
  };
  let cap = cfg(0x34, 1);
  while (cfg(cap, 1) !== 5) cap = cfg(cap + 1, 1);
  const IRT = 0x300000;
  m.ramView().set(fromWords(build(2, 'IRTE', { P: 1, V: 0x45, DST: 0x0200, SVT: R.VTD_IRTE_SVT_SID, SID: EDU })), IRT + 7 * 16);
  m.memory.write64(VTD + R.VTD_IRTA, BigInt(IRT) | 0xfn);
  m.memory.write(VTD + R.VTD_GCMD, 4, R.VTD_GCMD_SIRTP_MASK);
  m.memory.write(VTD + R.VTD_GCMD, 4, R.VTD_GCMD_IRE_MASK);
  // MSI address: remappable format, handle 7; 64-bit capability: data at +12; enable.
  const handleAddr = (0xfee00000 | (7 << R.VTD_IR_MSI_ADDR_HANDLE_LO_SHIFT) | R.VTD_IR_MSI_ADDR_IF_MASK) >>> 0;
  m.io.write(0xcf8, 4, cfgAddr(EDU, cap + 4));
  m.io.write(0xcfc, 4, handleAddr);
  m.io.write(0xcf8, 4, cfgAddr(EDU, cap + 12));
  m.io.write(0xcfc, 2, 0);
  m.io.write(0xcf8, 4, cfgAddr(EDU, cap));
  m.io.write(0xcfe, 2, 1); // Message Control: MSI enable
  m.memory.write(BAR + 0x60, 4, 1); // edu: raise interrupt
  assert.equal(msis, [[0xfee02000, 0x45]]);
  // Handle 8 has no IRTE: blocked, recorded (0x22, index 8 in FI 63:48), nothing delivered.
  m.memory.write(BAR + 0x64, 4, 1);
  m.io.write(0xcf8, 4, cfgAddr(EDU, cap + 4));
  m.io.write(0xcfc, 4, (0xfee00000 | (8 << R.VTD_IR_MSI_ADDR_HANDLE_LO_SHIFT) | R.VTD_IR_MSI_ADDR_IF_MASK) >>> 0);
  m.memory.write(BAR + 0x60, 4, 1);
  assert.is(msis.length, 1);
  assert.is(m.memory.read64(VTD + R.VTD_FRCD_LO), 8n << 48n);
  assert.is(Number((m.memory.read64(VTD + R.VTD_FRCD_HI) & R.VTD_FRCD_HI_FR_MASK) >> BigInt(R.VTD_FRCD_HI_FR_SHIFT)), R.VTD_FR_IR_ENTRY_P);
});

test.run();

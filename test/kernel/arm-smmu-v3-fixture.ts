// Fixture for the arm-smmu-v3 driver tests: QEMU's Arm virt machine with iommu=smmuv3 and edu
// (00:01.0, stream ID 8), the kernel's PCI scan over ECAM, the IOMMU core, and the driver probed
// at VIRT_SMMU_BASE. The driver gets the system memory through a recorder, so tests see every
// 64-bit store (STEs, CDs, commands) and register write in program order, and can patch ID
// register reads to model other SMMU configurations.
import { createMachine } from '../../src/platform/machines/index.ts';
import { VIRT_HIGH_PCIE_ECAM, VIRT_RAM_BASE, VIRT_SMMU_BASE, type VirtMachine } from '../../src/platform/machines/virt.ts';
import type { AddressSpace } from '../../src/bridge/address-space.ts';
import { IommuCore } from '../../src/kernel/iommu/core.ts';
import { ecamAccess } from '../../src/kernel/pci/config.ts';
import { pciScan } from '../../src/kernel/pci/scan.ts';
import { armSmmuV3Probe, type ArmSmmuV3Options } from '../../src/kernel/drivers/arm-smmu-v3/index.ts';
import { EDU_REG } from '../../src/platform/devices/edu.ts';
import * as R from '../../src/regs/generated/smmuv3.ts';

export const EDU_SID = 0x8;
export const EDU_BAR = 0x1000_0000;
/** edu's internal buffer as the device addresses it. */
export const EDU_BUF = 0x40000;
/** The driver's DMA pool: 16 MiB of the 128 MiB of RAM, from 96 MiB on. */
export const POOL = { memBase: VIRT_RAM_BASE + 0x0600_0000, memSize: 0x0100_0000 };

export type MemOp = { kind: 'w64'; addr: number; value: bigint } | { kind: 'w32'; addr: number; value: number };

/** A view of `mem` that logs writes and lets reads of SMMU registers be patched. */
export function recorder(mem: AddressSpace, patch: Map<number, (v: number) => number> = new Map()) {
  const ops: MemOp[] = [];
  const proxy = new Proxy(mem, {
    get(t, p) {
      if (p === 'write64') return (a: number, v: bigint) => (ops.push({ kind: 'w64', addr: a, value: v }), t.write64(a, v));
      if (p === 'write') return (a: number, s: 1 | 2 | 4, v: number) => (ops.push({ kind: 'w32', addr: a, value: v }), t.write(a, s, v));
      if (p === 'read') return (a: number, s: 1 | 2 | 4) => {
        const v = t.read(a, s);
        const f = patch.get(a - VIRT_SMMU_BASE);
        return f !== undefined ? f(v) >>> 0 : v;
      };
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  return { proxy, ops };
}

export function virtSmmu(o: { patch?: Map<number, (v: number) => number>; opts?: Partial<ArmSmmuV3Options>; probeDevices?: boolean; eduProps?: Record<string, string> } = {}) {
  const m = createMachine({ machine: 'virt', machineProps: { iommu: 'smmuv3' }, devices: [{ driver: 'edu', props: o.eduProps ?? {} }] }) as VirtMachine;
  const rec = recorder(m.memory, o.patch);
  const cfg = ecamAccess(m.memory, VIRT_HIGH_PCIE_ECAM.base);
  const scan = pciScan(cfg);
  const core = new IommuCore({ byRid: (bus, devfn) => scan.byRid.get((bus << 8) | devfn) });
  const smmu = armSmmuV3Probe(core, rec.proxy, VIRT_SMMU_BASE, { ...POOL, wasm: m.core, ...o.opts });
  if (o.probeDevices ?? true) core.busIommuProbe(scan.devices);
  const edu = scan.devices.find((d) => d.pci!.vendor === 0x1234 && d.pci!.device === 0x11e8)!;

  const r32 = (off: number) => m.memory.read(VIRT_SMMU_BASE + off, 4);
  const r64 = (off: number) => m.memory.read64(VIRT_SMMU_BASE + off);
  const ram64 = (pa: number) => m.memory.read64(pa);
  /** The STE of `sid` as the SMMU finds it: STRTAB_BASE(_CFG) and the L1 descriptor read from the hardware and RAM. */
  const steAddr = (sid: number): number => {
    const base = Number(r64(R.SMMU_STRTAB_BASE) & R.SMMU_STRTAB_BASE_ADDR_MASK);
    const c = r32(R.SMMU_STRTAB_BASE_CFG);
    if (((c & R.SMMU_STRTAB_BASE_CFG_FMT_MASK) >>> R.SMMU_STRTAB_BASE_CFG_FMT_SHIFT) === R.SMMU_STRTAB_BASE_CFG_FMT_LINEAR) return base + sid * 64;
    const split = (c & R.SMMU_STRTAB_BASE_CFG_SPLIT_MASK) >>> R.SMMU_STRTAB_BASE_CFG_SPLIT_SHIFT;
    const l1 = ram64(base + Math.floor(sid / 2 ** split) * 8);
    return Number(l1 & R.SMMU_L1STD_L2PTR_MASK) + (sid % 2 ** split) * 64;
  };
  const ste = (sid: number) => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ram64(steAddr(sid) + 8 * i));
  const steConfig = (sid: number) => Number((ste(sid)[0]! & R.SMMU_STE_CONFIG_MASK) >> BigInt(R.SMMU_STE_CONFIG_SHIFT));

  // edu: memory BAR and bus mastering through configuration space, as a PCI driver's enable does.
  cfg.write(0, edu.pci!.devfn, 0x10, 4, EDU_BAR);
  cfg.write(0, edu.pci!.devfn, 0x04, 2, 0x6);
  /** One edu DMA of `cnt` bytes; `toRam`: device buffer -> RAM. Runs to completion (100 ms timer). */
  const dma = (src: number, dst: number, cnt: number, toRam: boolean) => {
    m.memory.write(EDU_BAR + EDU_REG.DMA_SRC, 4, src);
    m.memory.write(EDU_BAR + EDU_REG.DMA_DST, 4, dst);
    m.memory.write(EDU_BAR + EDU_REG.DMA_CNT, 4, cnt);
    m.memory.write(EDU_BAR + EDU_REG.DMA_CMD, 4, toRam ? 3 : 1);
    m.clockStep(100_000_000);
  };
  const ram = (pa: number, n: number) => [...m.ramView().subarray(pa - VIRT_RAM_BASE, pa - VIRT_RAM_BASE + n)];
  const putRam = (pa: number, bytes: number[]) => m.ramView().set(bytes, pa - VIRT_RAM_BASE);
  /** Copies RAM at iova `from` to iova `to` through the edu buffer; true when the bytes arrived at `toPa`. */
  const roundTrip = (from: number, fromPa: number, to: number, toPa: number, n = 16): boolean => {
    const pattern = Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
    putRam(fromPa, pattern);
    putRam(toPa, new Array(n).fill(0));
    dma(from, EDU_BUF, n, false);
    dma(EDU_BUF, to, n, true);
    return ram(toPa, n).every((b, i) => b === pattern[i]);
  };

  /** Commands written to the command queue since op index `from`: [opcode, dw0, dw1]. */
  const cmdqBase = () => Number(r64(R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_ADDR_MASK);
  const cmdqSize = () => 2 ** Number(r64(R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_LOG2SIZE_MASK) * 16;
  const inCmdq = (a: number) => a >= cmdqBase() && a < cmdqBase() + cmdqSize();

  return { m, rec, cfg, scan, core, smmu, edu, r32, r64, ram64, steAddr, ste, steConfig, dma, ram, putRam, roundTrip, inCmdq };
}
export type Virt = ReturnType<typeof virtSmmu>;

/**
 * The trace of one STE update as Linux's KUnit test sees it: for every STE qword store, the
 * word and value; for every CMD_SYNC, the STE as it was at that point; plus the other commands.
 */
export type StepRec = { t: 'ste'; word: number; value: bigint } | { t: 'cmd'; op: number; sid: number } | { t: 'sync'; ste: bigint[] };

/** Replays the recorded stores since op index `from` onto `before` (the STE of `sid` at that point). */
export function traceFrom(v: Virt, from: number, sid: number, before: readonly bigint[]): StepRec[] {
  const at = v.steAddr(sid);
  const cur = [...before];
  const out: StepRec[] = [];
  for (const op of v.rec.ops.slice(from)) {
    if (op.kind !== 'w64') continue;
    if (op.addr >= at && op.addr < at + 64) {
      const word = (op.addr - at) / 8;
      cur[word] = op.value;
      out.push({ t: 'ste', word, value: op.value });
    } else if (v.inCmdq(op.addr) && op.addr % 16 === 0) {
      const opc = Number(op.value & 0xffn);
      if (opc === R.SMMU_CMD_OP_SYNC) out.push({ t: 'sync', ste: [...cur] });
      else out.push({ t: 'cmd', op: opc, sid: Number(op.value >> 32n) });
    }
  }
  return out;
}

/** Syncs that follow a CFGI_STE of `sid` (the STE writer's sync points). */
export function steSyncs(tr: readonly StepRec[], sid: number): bigint[][] {
  const out: bigint[][] = [];
  for (let i = 1; i < tr.length; i++) {
    const a = tr[i - 1]!, b = tr[i]!;
    if (a.t === 'cmd' && a.op === R.SMMU_CMD_OP_CFGI_STE && a.sid === sid && b.t === 'sync') out.push(b.ste);
  }
  return out;
}

export interface RecCmd {
  op: number;
  dw0: bigint;
  dw1: bigint;
}
/** Commands written to the command queue since op index `from`, in order. */
export function cmdsSince(v: Virt, from: number): RecCmd[] {
  const out: RecCmd[] = [];
  const ops = v.rec.ops;
  for (let i = from; i < ops.length; i++) {
    const o = ops[i]!;
    if (o.kind !== 'w64' || !v.inCmdq(o.addr) || o.addr % 16 !== 0) continue;
    const hi = ops.slice(i + 1).find((p) => p.kind === 'w64' && p.addr === o.addr + 8) as { value: bigint } | undefined;
    out.push({ op: Number(o.value & 0xffn), dw0: o.value, dw1: hi?.value ?? 0n });
  }
  return out;
}
/** Field of a recorded command / structure word by its in-place mask. */
export const fieldOf = (w: bigint, mask: bigint): number => {
  let m = mask;
  let s = 0n;
  while ((m & 1n) === 0n) {
    m >>= 1n;
    s++;
  }
  return Number((w & mask) >> s);
};

// Test fixture: an SMMUv3 on its own (core + RAM + system memory + wired IRQ lines), with
// helpers that program it the way a driver does: registers through MMIO, structures and
// commands in guest memory. Structures are built from named regmap fields (setFld), so tests
// state them the way the spec does.
import { Core } from '../../../src/core/core.ts';
import { WasmRam } from '../../../src/bridge/guest-ram.ts';
import { AddressSpace } from '../../../src/bridge/address-space.ts';
import { InterruptController } from '../../../src/bridge/irq.ts';
import { Access, type TranslateResult } from '../../../src/bridge/types.ts';
import { Smmuv3, type Smmuv3Options } from '../../../src/hw/smmuv3/smmuv3.ts';
import { fromWords, setFld, toWords } from '../../../src/hw/smmuv3/fields.ts';
import * as R from '../../../src/regs/generated/smmuv3.ts';

export const RAM_BASE = 0x4000_0000;
export const RAM_SIZE = 8 << 20;
export const SMMU_BASE = 0x0905_0000;
// Guest-memory layout used by the tests.
export const STRTAB = RAM_BASE + 0x10_0000; // linear stream table, 2^8 STEs
export const CMDQ = RAM_BASE + 0x20_0000; // 2^8 commands
export const EVTQ = RAM_BASE + 0x21_0000; // 2^4 events
export const CDTAB = RAM_BASE + 0x22_0000;
export const PGT = RAM_BASE + 0x40_0000; // page tables from here (its own 2 MiB block)
export const LINES = { eventq: 0, priq: 1, cmdqSync: 2, gerror: 3 };

export interface Pulse {
  line: number;
  level: boolean;
}

export function smmuFixture(opts: Partial<Smmuv3Options> = {}) {
  const core = new Core();
  const ram = new WasmRam(core, RAM_SIZE);
  core.exports.ram_map(RAM_BASE, RAM_SIZE, ram.coreOffset);
  const memory = new AddressSpace({ name: 'system', size: 2 ** 52, unmappedRead: 'zero' });
  memory.mapRam(RAM_BASE, ram);
  const irqs = new InterruptController('gic', 4);
  const pulses: Pulse[] = [];
  irqs.listen((line, level) => pulses.push({ line, level }));
  const smmu = new Smmuv3({
    core, memory, irqs: { eventq: irqs.line(0), priq: irqs.line(1), cmdqSync: irqs.line(2), gerror: irqs.line(3) }, ...opts,
  });
  memory.mapMmio(SMMU_BASE, smmu.mmio);
  const view = () => ram.view();
  const dv = () => new DataView(view().buffer, view().byteOffset, RAM_SIZE);
  const w32 = (off: number, v: number) => memory.write(SMMU_BASE + off, 4, v >>> 0);
  const r32 = (off: number) => memory.read(SMMU_BASE + off, 4);
  const w64 = (off: number, v: bigint) => memory.write64(SMMU_BASE + off, v);
  const r64 = (off: number) => memory.read64(SMMU_BASE + off);
  const put64 = (pa: number, v: bigint) => dv().setBigUint64(pa - RAM_BASE, BigInt.asUintN(64, v), true);
  const get64 = (pa: number) => dv().getBigUint64(pa - RAM_BASE, true);
  const putWords = (pa: number, words: readonly bigint[]) => view().set(fromWords(words), pa - RAM_BASE);
  const getWords = (pa: number, n: number) => toWords(view().subarray(pa - RAM_BASE, pa - RAM_BASE + 8 * n), n);

  let cmdProd = 0;
  const CMDQ_LOG2 = 8;
  /** Writes commands at PROD and rings the doorbell. */
  const submit = (...cmds: bigint[][]) => {
    for (const c of cmds) {
      putWords(CMDQ + (cmdProd & ((1 << CMDQ_LOG2) - 1)) * 16, c);
      cmdProd = (cmdProd + 1) & ((2 << CMDQ_LOG2) - 1);
    }
    w32(R.SMMU_CMDQ_PROD, cmdProd);
  };

  /** Linux's bring-up (smmuv3.md h.2) with the fixture's tables; `extra` CR0 bits are added at the end. */
  const bringUp = (o: { strtabLog2?: number; evtqLog2?: number; enable?: boolean } = {}) => {
    w32(R.SMMU_CR0, 0);
    w32(R.SMMU_CR1, 0xd75);
    w32(R.SMMU_CR2, R.SMMU_CR2_PTM_MASK | R.SMMU_CR2_RECINVSID_MASK);
    w64(R.SMMU_STRTAB_BASE, BigInt(STRTAB) | R.SMMU_STRTAB_BASE_RA_MASK);
    w32(R.SMMU_STRTAB_BASE_CFG, o.strtabLog2 ?? 8);
    w64(R.SMMU_CMDQ_BASE, BigInt(CMDQ) | BigInt(CMDQ_LOG2) | R.SMMU_CMDQ_BASE_RA_MASK);
    w32(R.SMMU_CMDQ_PROD, 0);
    w32(R.SMMU_CMDQ_CONS, 0);
    cmdProd = 0;
    w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK);
    submit(cmdCfgiAll(), cmdSync());
    submit(cmdTlbiNsnhAll(), cmdSync());
    w64(R.SMMU_EVENTQ_BASE, BigInt(EVTQ) | BigInt(o.evtqLog2 ?? 4));
    w32(R.SMMU_EVENTQ_PROD, 0);
    w32(R.SMMU_EVENTQ_CONS, 0);
    w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK);
    w32(R.SMMU_IRQ_CTRL, 0);
    w32(R.SMMU_IRQ_CTRL, R.SMMU_IRQ_CTRL_EVENTQ_IRQEN_MASK | R.SMMU_IRQ_CTRL_GERROR_IRQEN_MASK);
    if (o.enable ?? true) w32(R.SMMU_CR0, R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK | R.SMMU_CR0_SMMUEN_MASK);
  };

  /** The event records written so far (EVENTQ entries from CONS to PROD), without consuming them. */
  const events = (): bigint[][] => {
    const out: bigint[][] = [];
    const prod = r32(R.SMMU_EVENTQ_PROD) & 0xfffff;
    let cons = r32(R.SMMU_EVENTQ_CONS) & 0xfffff;
    const log2 = 4;
    while (cons !== prod) {
      out.push(getWords(EVTQ + (cons & ((1 << log2) - 1)) * 32, 4));
      cons = (cons + 1) & ((2 << log2) - 1);
    }
    return out;
  };

  const dma = (sid: number, iova: number, write = false, pasid?: number): TranslateResult =>
    smmu.translate({ requester: { name: `dev${sid}`, segment: 0, requesterId: sid, streamId: sid }, iova, access: write ? Access.WRITE : Access.READ, pasid });

  return { core, ram, memory, irqs, pulses, smmu, w32, r32, w64, r64, put64, get64, putWords, getWords, submit, bringUp, events, dma };
}

// ---- structure builders (named fields) ----

export function ste(fields: Record<string, bigint | number>): bigint[] {
  const w = new Array<bigint>(8).fill(0n);
  for (const [k, v] of Object.entries(fields)) setFld(w, 'STE', k, v);
  return w;
}
/** A stage-1 STE pointing at one CD (Linux's image: S1CIR/COR = WBRA, S1CSH = ISH). */
export function s1Ste(cdPtr: number, extra: Record<string, bigint | number> = {}): bigint[] {
  return ste({ V: 1, CONFIG: R.SMMU_STE_CONFIG_S1_TRANS, S1CONTEXTPTR: BigInt(cdPtr) >> 6n, S1CIR: 1, S1COR: 1, S1CSH: 3, ...extra });
}
export function cd(fields: Record<string, bigint | number>): bigint[] {
  const w = new Array<bigint>(8).fill(0n);
  for (const [k, v] of Object.entries(fields)) setFld(w, 'CD', k, v);
  return w;
}
/** Linux's stage-1 CD: 48-bit VA (T0SZ 16), 4K, EPD1, IPS 44-bit, AA64, R, A, ASID, TTB0. */
export function linuxCd(ttb0: number, asid: number, extra: Record<string, bigint | number> = {}): bigint[] {
  return cd({ T0SZ: 16, TG0: 0, IR0: 1, OR0: 1, SH0: 3, EPD1: 1, V: 1, IPS: 4, AA64: 1, R: 1, A: 1, ASET: 1, ASID: asid, TTB0: BigInt(ttb0) >> 4n, MAIR0: 0x0404ff44, ...extra });
}

function cmd(struct: string, op: number, fields: Record<string, bigint | number> = {}): bigint[] {
  const w = [0n, 0n];
  setFld(w, 'CMD', 'OPCODE', op);
  for (const [k, v] of Object.entries(fields)) setFld(w, struct, k, v);
  return w;
}
export const cmdCfgiAll = () => cmd('CMD_CFGI_RANGE', R.SMMU_CMD_OP_CFGI_STE_RANGE, { RANGE: 31 });
export const cmdCfgiSte = (sid: number, leaf = 1) => cmd('CMD_CFGI', R.SMMU_CMD_OP_CFGI_STE, { SID: sid, LEAF: leaf });
export const cmdCfgiCd = (sid: number, ssid = 0) => cmd('CMD_CFGI', R.SMMU_CMD_OP_CFGI_CD, { SID: sid, SSID: ssid, LEAF: 1 });
export const cmdTlbiNsnhAll = () => cmd('CMD', R.SMMU_CMD_OP_TLBI_NSNH_ALL);
export const cmdTlbiNhVa = (asid: number, addr: number, o: Record<string, number> = {}) =>
  cmd('CMD_TLBI', R.SMMU_CMD_OP_TLBI_NH_VA, { ASID: asid, ADDR: BigInt(addr) >> 12n, LEAF: 1, ...o });
export const cmdTlbiNhAsid = (asid: number) => cmd('CMD_TLBI', R.SMMU_CMD_OP_TLBI_NH_ASID, { ASID: asid });
export const cmdSync = (cs = 0, msiAddr = 0, msiData = 0) => cmd('CMD_SYNC', R.SMMU_CMD_OP_SYNC, { CS: cs, MSIADDR: BigInt(msiAddr) >> 2n, MSIDATA: msiData });
export const rawCmd = (op: number, dw0hi = 0n, dw1 = 0n) => [BigInt(op) | (dw0hi << 32n), dw1];

/** Builds a 4-level 4K stage-1 table from PGT mapping `pages` (iova -> [pa, descriptor low bits]). */
export function buildS1(put64: (pa: number, v: bigint) => void, maps: readonly { iova: number; pa: number; ap?: number; af?: boolean }[]): number {
  let next = PGT;
  const tables = new Map<string, number>();
  const alloc = () => (next += 0x1000);
  const root = next;
  for (const m of maps) {
    let t = root;
    for (let lvl = 0; lvl < 3; lvl++) {
      const idx = Math.floor(m.iova / 2 ** (39 - 9 * lvl)) % 512;
      const key = `${t}:${idx}`;
      let n = tables.get(key);
      if (n === undefined) {
        n = alloc();
        tables.set(key, n);
        put64(t + idx * 8, BigInt(n) | 3n);
      }
      t = n;
    }
    const idx = Math.floor(m.iova / 4096) % 512;
    // Page: AttrIndx 1, AP from the map (default 0b01: read/write at any EL), SH ISH, AF.
    const ap = BigInt(m.ap ?? 1);
    put64(t + idx * 8, BigInt(m.pa) | 3n | (1n << 2n) | (ap << 6n) | (3n << 8n) | ((m.af ?? true) ? 1n << 10n : 0n));
  }
  return root;
}

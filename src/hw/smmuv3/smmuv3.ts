// The ARM SMMUv3 model: the 128 KiB register window (page 0 + page 1), stream table and
// context descriptor fetches with their validity checks, a configuration cache that only
// CFGI_* commands refresh, translation through the WASM core (IOTLB + walker), the command
// queue, the event queue with its overflow protocol, GERROR and interrupts (wired or MSI).
// Facts: shared/reference/smmuv3.md. Everything happens synchronously at defined points: a
// CMDQ_PROD / CR0 / GERRORN write processes commands, a translation records its events.
import * as R from '../../regs/generated/smmuv3.ts';
import { BLOCKS } from '../../regs/generated/index.ts';
import { RegisterFile } from '../../regs/register-file.ts';
import type { AddressSpace } from '../../bridge/address-space.ts';
import type { IrqLine } from '../../bridge/irq.ts';
import { Access, MemTx, type DmaTranslator, type MmioRegionSpec, type TraceHook, type TranslateRequest, type TranslateResult } from '../../bridge/types.ts';
import type { Core } from '../../core/core.ts';
import { Iotlb, IotlbKind, type IotlbOptions } from '../../core/iotlb.ts';
import { Walker, smmuEventFor } from '../../core/walk.ts';
import { Translator } from '../../core/translate.ts';
import * as A from '../../core/walk-abi.ts';
import { PRESETS, QEMU_72, checkFeatures, idRegisters, type Smmuv3Features } from './features.ts';
import { decodeSte, type SteConfig } from './ste.ts';
import { decodeCd, type CdConfig } from './cd.ts';
import { EVENT_NAMES, encodeEvent, type SmmuEvent } from './events.ts';
import { fld, fldAddr, fldn, fromWords, setFld, toWords } from './fields.ts';
import { qempty, qfull, qinc, qindex, qptr } from './queue.ts';
import { executeCommand, type CommandOutcome } from './commands.ts';

/** 2^n for page shifts (`2 ** n` with a variable n is a runtime call in V8). */
const POW2 = Array.from({ length: 64 }, (_, n) => 2 ** n);

/** MMIO window: page 0 and page 1. */
export const SMMU_WINDOW = 0x20000;

export interface Smmuv3Irqs {
  eventq?: IrqLine;
  priq?: IrqLine;
  cmdqSync?: IrqLine;
  gerror?: IrqLine;
}

export interface Smmuv3Options {
  /** The WASM core holding guest RAM (the machine's). */
  core: Core;
  /** System memory: stream tables, CDs, queues, MSI writes. */
  memory: AddressSpace;
  name?: string;
  /** 'qemu-7.2' (default) or 'full', with any field overridden. */
  preset?: string;
  features?: Partial<Smmuv3Features>;
  irqs?: Smmuv3Irqs;
  iotlb?: IotlbOptions;
  trace?: TraceHook;
}

/** A cached stream: its decoded STE and, per substream, the translation set up for it. */
interface StreamEntry {
  ste: SteConfig;
  /** Stage-2 context (S2-only and nested streams). */
  s2?: Walker;
  s2tr?: Translator;
  /** Per SSID (-1: traffic without a substream). */
  cds: Map<number, CdEntry>;
}
interface CdEntry {
  cd: CdConfig | null;
  walker?: Walker;
  tr?: Translator;
}

/** Outcome of looking a stream's configuration up. */
type Lookup = { ok: true; entry: StreamEntry } | { ok: false; event: SmmuEvent | null };

const GERROR_VALID = 0x1fd;
const MAX_STREAMS = 32; // cached stream entries (each holds up to a few walk contexts)

export class Smmuv3 implements DmaTranslator {
  readonly name: string;
  readonly features: Readonly<Smmuv3Features>;
  readonly regs: RegisterFile;
  readonly iotlb: Iotlb;
  readonly mmio: MmioRegionSpec;
  private readonly core: Core;
  private readonly memory: AddressSpace;
  private readonly irqs: Smmuv3Irqs;
  private trace: TraceHook | undefined;
  private readonly streams = new Map<number, StreamEntry>();
  private processing = false;

  constructor(opts: Smmuv3Options) {
    const base = PRESETS[opts.preset ?? 'qemu-7.2'];
    if (base === undefined) throw new RangeError(`Smmuv3: unknown preset '${opts.preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
    const f: Smmuv3Features = { ...(base ?? QEMU_72), ...opts.features };
    checkFeatures(f);
    this.features = Object.freeze(f);
    this.name = opts.name ?? 'smmuv3';
    this.core = opts.core;
    this.memory = opts.memory;
    this.irqs = opts.irqs ?? {};
    this.trace = opts.trace;
    const ids = idRegisters(f);
    // The PRI queue registers exist only with IDR0.PRI (QEMU has none).
    const include = f.pri ? ['PRIQ_BASE', 'PRIQ_PROD', 'PRIQ_CONS', 'PRIQ_IRQ_CFG0', 'PRIQ_IRQ_CFG1', 'PRIQ_IRQ_CFG2'] : [];
    this.regs = new RegisterFile(BLOCKS.smmuv3!, { name: this.name, include, resets: { IDR0: ids.IDR0, IDR1: ids.IDR1, IDR3: ids.IDR3, IDR5: ids.IDR5, AIDR: ids.AIDR } });
    this.iotlb = new Iotlb(this.core, opts.iotlb);
    this.installHooks();
    const regs = this.regs;
    // 32- and 64-bit accesses only (smmuv3.md 0): other sizes are not decoded.
    this.mmio = {
      name: this.name,
      size: SMMU_WINDOW,
      validSizes: 4 | 8,
      handler: {
        read: (o, s) => regs.read(o, s),
        write: (o, s, v) => regs.write(o, s, v),
        read64: (o) => regs.read64(o),
        write64: (o, v) => regs.write64(o, v),
      },
    };
  }

  setTrace(hook: TraceHook | undefined): void {
    this.trace = hook;
    this.regs.setTrace(hook);
  }

  // ---- registers ---------------------------------------------------------------------------

  private installHooks(): void {
    const r = this.regs;
    // CR0 fields of features the SMMU lacks are RES0 (PRIQEN without PRI, ATSCHK without ATS,
    // VMW without IDR0.VMW: never advertised), and CR0ACK reflects exactly the rest (IHI 0070 6.3.9).
    const f = this.features;
    const cr0Mask = R.SMMU_CR0_SMMUEN_MASK | R.SMMU_CR0_EVENTQEN_MASK | R.SMMU_CR0_CMDQEN_MASK |
      (f.pri ? R.SMMU_CR0_PRIQEN_MASK : 0) | (f.ats ? R.SMMU_CR0_ATSCHK_MASK : 0);
    r.onWrite('CR0', (v) => {
      // Enables take effect at once: CR0ACK follows (Linux polls for equality).
      r.set('CR0', v & cr0Mask);
      r.set('CR0ACK', v & cr0Mask);
      this.cr0 = v & cr0Mask;
      this.forget();
      this.processCommands();
    });
    r.onWrite('IRQ_CTRL', (v) => r.set('IRQ_CTRLACK', v & 7));
    r.onWrite('GBPA', (v, old) => {
      // Update protocol: a write with UPDATE = 1 takes effect at once and UPDATE reads 0;
      // a write without UPDATE changes nothing (the attributes stay as they were).
      if ((v & R.SMMU_GBPA_UPDATE_MASK) !== 0) r.set('GBPA', (v & ~R.SMMU_GBPA_UPDATE_MASK) >>> 0);
      else r.set('GBPA', old);
    });
    r.onWrite('GERRORN', () => this.processCommands());
    r.onWrite('CMDQ_PROD', () => this.processCommands());
  }

  /** CR0 as last written (kept here: the translate path reads it on every access). */
  private cr0 = 0;

  /** Device reset: registers to their reset values, caches emptied. */
  reset(): void {
    this.regs.reset();
    this.cr0 = this.regs.get('CR0');
    this.dropAllStreams();
    this.iotlb.invalidateAll();
  }

  // ---- interrupts and GERROR -------------------------------------------------------------------

  /** Signals an interrupt source: MSI when the SMMU has MSIs and CFG0 holds an address, else the wired line. */
  private signal(cfg: 'GERROR_IRQ_CFG' | 'EVENTQ_IRQ_CFG' | 'PRIQ_IRQ_CFG', line: IrqLine | undefined, msiErr: number): void {
    if (this.features.msi) {
      const addr = Number(BigInt(this.regs.getHi(`${cfg}0`)) << 32n | BigInt(this.regs.getLo(`${cfg}0`))) & ~3;
      if (addr !== 0) {
        const ok = this.msiWrite(addr, this.regs.get(`${cfg}1`));
        if (!ok && cfg !== 'GERROR_IRQ_CFG') this.raiseGerror(msiErr);
        return;
      }
    }
    if (line !== undefined) {
      line.raise();
      line.lower();
    }
  }

  private msiWrite(addr: number, data: number): boolean {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, data >>> 0, true);
    const tx = this.memory.writeBytes(addr, b);
    this.trace?.({ kind: 'smmuv3-msi', source: this.name, address: addr, data: data >>> 0, ok: tx === MemTx.OK });
    return tx === MemTx.OK;
  }

  /** Raises GERROR bit `mask` if it is not already active (toggle protocol, e.1). */
  raiseGerror(mask: number): void {
    const g = this.regs.get('GERROR');
    const n = this.regs.get('GERRORN');
    if (((g ^ n) & mask) !== 0) return;
    this.regs.set('GERROR', (g ^ mask) & GERROR_VALID);
    this.trace?.({ kind: 'smmuv3-gerror', source: this.name, bit: mask });
    if ((this.regs.get('IRQ_CTRL') & R.SMMU_IRQ_CTRL_GERROR_IRQEN_MASK) !== 0) {
      this.signal('GERROR_IRQ_CFG', this.irqs.gerror, R.SMMU_GERROR_MSI_GERROR_ABT_ERR_MASK);
    }
  }

  private gerrorActive(mask: number): boolean {
    return ((this.regs.get('GERROR') ^ this.regs.get('GERRORN')) & mask) !== 0;
  }

  // ---- event queue --------------------------------------------------------------------------

  /** Writes an event record (smmuv3.md d.2): dropped when EVENTQEN = 0; lost with OVFLG when full. */
  recordEvent(e: SmmuEvent): void {
    this.trace?.({ kind: 'smmuv3-event', source: this.name, event: EVENT_NAMES[e.id] ?? e.id, sid: e.sid });
    if ((this.cr0 & R.SMMU_CR0_EVENTQEN_MASK) === 0) return;
    // While an EVENTQ_ABT_ERR is unacknowledged the queue is not writable: records are discarded.
    if (this.gerrorActive(R.SMMU_GERROR_EVENTQ_ABT_ERR_MASK)) return;
    const baseReg = (BigInt(this.regs.getHi('EVENTQ_BASE')) << 32n) | BigInt(this.regs.getLo('EVENTQ_BASE'));
    const log2 = Math.min(Number(baseReg & R.SMMU_EVENTQ_BASE_LOG2SIZE_MASK), this.features.eventqs);
    const base = Number(baseReg & R.SMMU_EVENTQ_BASE_ADDR_MASK);
    const prod = this.regs.get('EVENTQ_PROD');
    const cons = this.regs.get('EVENTQ_CONS');
    const ovf = prod & R.SMMU_EVENTQ_PROD_OVFLG_MASK;
    if (qfull(prod, cons, log2)) {
      // Architected overflow (QEMU instead raises GERROR.EVENTQ_ABT_ERR): the record is lost and
      // OVFLG toggles, once per overflow condition (until software acks it with OVACKFLG).
      const acked = (cons & R.SMMU_EVENTQ_CONS_OVACKFLG_MASK) === ovf;
      if (acked) this.regs.set('EVENTQ_PROD', (qptr(prod, log2) | (ovf ^ R.SMMU_EVENTQ_PROD_OVFLG_MASK)) >>> 0);
      this.trace?.({ kind: 'smmuv3-event-lost', source: this.name, event: EVENT_NAMES[e.id] ?? e.id });
      return;
    }
    const tx = this.memory.writeBytes(base + qindex(prod, log2) * R.SMMU_EVT_SIZE, fromWords(encodeEvent(e)));
    if (tx !== MemTx.OK) {
      this.raiseGerror(R.SMMU_GERROR_EVENTQ_ABT_ERR_MASK);
      return;
    }
    this.regs.set('EVENTQ_PROD', (qinc(prod, log2) | ovf) >>> 0);
    if ((this.regs.get('IRQ_CTRL') & R.SMMU_IRQ_CTRL_EVENTQ_IRQEN_MASK) !== 0) {
      this.signal('EVENTQ_IRQ_CFG', this.irqs.eventq, R.SMMU_GERROR_MSI_EVENTQ_ABT_ERR_MASK);
    }
  }

  // ---- PRI queue ----------------------------------------------------------------------------

  /**
   * A PCIe Page Request from an endpoint (ATS/PRI), as the SMMU receives it: written to the PRI
   * queue (16-byte entries, smmuv3.md d.3) when PRI is implemented and CR0.PRIQEN = 1. Returns
   * false when it was not queued: PRI absent or disabled, queue full (PRIQ_PROD.OVFLG toggles once
   * per overflow condition, like the event queue), or a write abort (GERROR.PRIQ_ABT_ERR).
   * Software answers with CMD_PRI_RESP.
   */
  pageRequest(r: { sid: number; ssid?: number; addr: number | bigint; read?: boolean; write?: boolean; exec?: boolean; priv?: boolean; prgi: number; last?: boolean }): boolean {
    if (!this.features.pri || (this.cr0 & R.SMMU_CR0_PRIQEN_MASK) === 0) return false;
    if (this.gerrorActive(R.SMMU_GERROR_PRIQ_ABT_ERR_MASK)) return false;
    const baseReg = (BigInt(this.regs.getHi('PRIQ_BASE')) << 32n) | BigInt(this.regs.getLo('PRIQ_BASE'));
    const log2 = Math.min(Number(baseReg & R.SMMU_PRIQ_BASE_LOG2SIZE_MASK), this.features.priqs);
    const base = Number(baseReg & R.SMMU_PRIQ_BASE_ADDR_MASK);
    const prod = this.regs.get('PRIQ_PROD');
    const cons = this.regs.get('PRIQ_CONS');
    const ovf = prod & R.SMMU_PRIQ_PROD_OVFLG_MASK;
    this.trace?.({ kind: 'smmuv3-page-request', source: this.name, sid: r.sid, prgi: r.prgi });
    if (qfull(prod, cons, log2)) {
      if ((cons & R.SMMU_PRIQ_CONS_OVACKFLG_MASK) === ovf) this.regs.set('PRIQ_PROD', (qptr(prod, log2) | (ovf ^ R.SMMU_PRIQ_PROD_OVFLG_MASK)) >>> 0);
      return false;
    }
    const w = [0n, 0n];
    const put = (name: string, v: bigint | number | boolean | undefined) => setFld(w, 'PRIQ_ENT', name, typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? 0));
    put('SID', r.sid >>> 0);
    if (r.ssid !== undefined) {
      put('SSV', 1);
      put('SSID', r.ssid);
    }
    put('READ', r.read ?? false);
    put('WRITE', r.write ?? false);
    put('EXEC', r.exec ?? false);
    put('PRIV', r.priv ?? false);
    put('LAST', r.last ?? false);
    put('PRGI', r.prgi);
    put('ADDR', BigInt(r.addr) >> 12n);
    if (this.memory.writeBytes(base + qindex(prod, log2) * R.SMMU_PRIQ_ENT_SIZE, fromWords(w)) !== MemTx.OK) {
      this.raiseGerror(R.SMMU_GERROR_PRIQ_ABT_ERR_MASK);
      return false;
    }
    this.regs.set('PRIQ_PROD', (qinc(prod, log2) | ovf) >>> 0);
    if ((this.regs.get('IRQ_CTRL') & R.SMMU_IRQ_CTRL_PRIQ_IRQEN_MASK) !== 0) {
      this.signal('PRIQ_IRQ_CFG', this.irqs.priq, R.SMMU_GERROR_MSI_PRIQ_ABT_ERR_MASK);
    }
    return true;
  }

  // ---- command queue ------------------------------------------------------------------------

  /** Consumes commands while CMDQEN = 1 and no command error is active (c.3). */
  processCommands(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      for (;;) {
        if ((this.cr0 & R.SMMU_CR0_CMDQEN_MASK) === 0 || this.gerrorActive(R.SMMU_GERROR_CMDQ_ERR_MASK)) return;
        const baseReg = (BigInt(this.regs.getHi('CMDQ_BASE')) << 32n) | BigInt(this.regs.getLo('CMDQ_BASE'));
        const log2 = Math.min(Number(baseReg & R.SMMU_CMDQ_BASE_LOG2SIZE_MASK), this.features.cmdqs);
        const base = Number(baseReg & R.SMMU_CMDQ_BASE_ADDR_MASK);
        const prod = this.regs.get('CMDQ_PROD');
        const consReg = this.regs.get('CMDQ_CONS');
        if (qempty(prod, consReg, log2)) return;
        const buf = new Uint8Array(R.SMMU_CMD_SIZE);
        const tx = this.memory.readBytes(base + qindex(consReg, log2) * R.SMMU_CMD_SIZE, buf);
        let outcome: CommandOutcome;
        if (tx !== MemTx.OK) outcome = { error: 2 /* CERROR_ABT */ };
        else outcome = executeCommand(this, toWords(buf, 2));
        this.trace?.({ kind: 'smmuv3-cmd', source: this.name, opcode: buf[0], error: outcome.error ?? 0 });
        if (outcome.error !== undefined) {
          // Stop at the failing command: CONS stays on it with ERR set, GERROR.CMDQ_ERR toggles.
          this.regs.set('CMDQ_CONS', ((consReg & ~R.SMMU_CMDQ_CONS_ERR_MASK) | (outcome.error << R.SMMU_CMDQ_CONS_ERR_SHIFT)) >>> 0);
          this.raiseGerror(R.SMMU_GERROR_CMDQ_ERR_MASK);
          return;
        }
        this.regs.set('CMDQ_CONS', ((consReg & R.SMMU_CMDQ_CONS_ERR_MASK) | qinc(consReg, log2)) >>> 0);
      }
    } finally {
      this.processing = false;
    }
  }

  /** CMD_SYNC completion signal (called by the command executor after everything before it completed). */
  syncSignal(cs: number, msiAddr: number, msiData: number): void {
    if (cs === R.SMMU_CMD_SYNC_CS_IRQ) {
      if (this.features.msi && msiAddr !== 0) {
        if (!this.msiWrite(msiAddr, msiData)) this.raiseGerror(R.SMMU_GERROR_MSI_CMDQ_ABT_ERR_MASK);
      } else if (this.irqs.cmdqSync !== undefined) {
        this.irqs.cmdqSync.raise();
        this.irqs.cmdqSync.lower();
      }
    } else if (cs === R.SMMU_CMD_SYNC_CS_SEV) {
      this.trace?.({ kind: 'smmuv3-sev', source: this.name });
    }
  }

  // ---- configuration cache ------------------------------------------------------------------

  /** CFGI_STE / CFGI_STE_RANGE / CFGI_ALL: forget streams [first, last]. */
  invalidateStreams(first: number, last: number): void {
    this.forget();
    for (const sid of [...this.streams.keys()]) if (sid >= first && sid <= last) this.dropStream(sid);
  }
  /** CFGI_CD / CFGI_CD_ALL: forget the CDs of `sid` (all of them when ssid is undefined). */
  invalidateCds(sid: number, ssid?: number): void {
    this.forget();
    const s = this.streams.get(sid);
    if (s === undefined) return;
    for (const [k, cd] of [...s.cds]) {
      if (ssid !== undefined && k !== ssid && !(ssid === 0 && k === -1)) continue;
      this.disposeCd(cd);
      s.cds.delete(k);
    }
  }
  private dropAllStreams(): void {
    for (const sid of [...this.streams.keys()]) this.dropStream(sid);
  }
  private dropStream(sid: number): void {
    this.forget();
    const s = this.streams.get(sid);
    if (s === undefined) return;
    for (const cd of s.cds.values()) this.disposeCd(cd);
    s.s2tr?.dispose();
    s.s2?.dispose();
    this.streams.delete(sid);
  }
  private disposeCd(cd: CdEntry): void {
    cd.tr?.dispose();
    cd.walker?.dispose();
  }

  /** The stream table entry address of `sid`, or the event that stops the lookup. */
  private steAddress(sid: number): { addr: number } | { event: SmmuEvent | null } {
    const cfg = this.regs.get('STRTAB_BASE_CFG');
    const log2 = Math.min((cfg & R.SMMU_STRTAB_BASE_CFG_LOG2SIZE_MASK) >>> R.SMMU_STRTAB_BASE_CFG_LOG2SIZE_SHIFT, this.features.sidSize);
    const badSid = (): { event: SmmuEvent | null } => ({
      event: (this.regs.get('CR2') & R.SMMU_CR2_RECINVSID_MASK) !== 0 ? { id: R.SMMU_EVENT_C_BAD_STREAMID, sid } : null,
    });
    if (sid >= 2 ** log2) return badSid();
    const base = Number(((BigInt(this.regs.getHi('STRTAB_BASE')) << 32n) | BigInt(this.regs.getLo('STRTAB_BASE'))) & R.SMMU_STRTAB_BASE_ADDR_MASK);
    const fmt = (cfg & R.SMMU_STRTAB_BASE_CFG_FMT_MASK) >>> R.SMMU_STRTAB_BASE_CFG_FMT_SHIFT;
    if (fmt === R.SMMU_STRTAB_BASE_CFG_FMT_LINEAR || !this.features.st2l) return { addr: base + sid * R.SMMU_STE_SIZE };
    if (fmt !== R.SMMU_STRTAB_BASE_CFG_FMT_TWO_LEVEL) return { event: { id: R.SMMU_EVENT_C_BAD_STE, sid } };
    const split = (cfg & R.SMMU_STRTAB_BASE_CFG_SPLIT_MASK) >>> R.SMMU_STRTAB_BASE_CFG_SPLIT_SHIFT;
    const l1Addr = base + Math.floor(sid / 2 ** split) * R.SMMU_L1STD_SIZE;
    const b = new Uint8Array(8);
    if (this.memory.readBytes(l1Addr, b) !== MemTx.OK) return { event: { id: R.SMMU_EVENT_F_STE_FETCH, sid, fetchAddr: BigInt(l1Addr) } };
    const l1 = toWords(b, 1);
    const span = fldn(l1, 'L1STD', 'SPAN');
    // IHI 0070 5.1: the L2 array holds 2^(Span-1) STEs; Span 0 (no L2 table), 12..31 (reserved,
    // behave as 0), Span > SPLIT + 1 and an index beyond the span all make the StreamID invalid:
    // C_BAD_STREAMID (recorded only with CR2.RECINVSID). QEMU reports C_BAD_STE for the index case.
    const index = sid % 2 ** split;
    if (span === 0 || span > 11 || span > split + 1 || index >= 2 ** (span - 1)) return badSid();
    return { addr: Number(fldAddr(l1, 'L1STD', 'L2PTR')) + index * R.SMMU_STE_SIZE };
  }

  private stream(sid: number): Lookup {
    const hit = this.streams.get(sid);
    if (hit !== undefined) return { ok: true, entry: hit };
    const where = this.steAddress(sid);
    if ('event' in where) return { ok: false, event: where.event };
    const b = new Uint8Array(R.SMMU_STE_SIZE);
    if (this.memory.readBytes(where.addr, b) !== MemTx.OK) return { ok: false, event: { id: R.SMMU_EVENT_F_STE_FETCH, sid, fetchAddr: BigInt(where.addr) } };
    const ste = decodeSte(toWords(b, 8), this.features);
    this.trace?.({ kind: 'smmuv3-ste-fetch', source: this.name, sid, address: where.addr, config: ste.kind });
    // A bad STE is not cached: the next access fetches it again (no CFGI needed to fix it).
    if (ste.kind === 'bad') return { ok: false, event: { id: R.SMMU_EVENT_C_BAD_STE, sid } };
    const entry: StreamEntry = { ste, cds: new Map() };
    if (ste.kind === 'translate' && ste.s2 !== null) {
      const s2 = this.newWalker();
      const err = s2.configureS2({
        vttb: Number(ste.s2.ttb), granule: ste.s2.granule, t0sz: ste.s2.t0sz, sl0: ste.s2.sl0, ps: ste.s2.psBits,
        oasLimit: [32, 36, 40, 42, 44, 48, 52][this.features.oas], affd: ste.s2.affd, ha: ste.s2.ha, hd: ste.s2.hd,
        xnx: this.features.xnx,
      });
      if (err !== A.CFG_OK) {
        s2.dispose();
        return { ok: false, event: { id: R.SMMU_EVENT_C_BAD_STE, sid } };
      }
      entry.s2 = s2;
      if (ste.s1 === null) entry.s2tr = new Translator(this.core, { walker: s2, tlb: this.iotlb, kind: IotlbKind.SMMU_S2, vmid: ste.s2.vmid });
    }
    if (this.streams.size >= MAX_STREAMS) this.dropStream(this.streams.keys().next().value!);
    this.streams.set(sid, entry);
    return { ok: true, entry };
  }

  private newWalker(): Walker {
    try {
      return new Walker(this.core);
    } catch (e) {
      // Out of walk contexts: drop the oldest cached stream (a configuration cache may lose
      // entries at any time) and retry once.
      const oldest = this.streams.keys().next();
      if (oldest.done) throw e;
      this.dropStream(oldest.value);
      return new Walker(this.core);
    }
  }

  // ---- translation --------------------------------------------------------------------------

  // The last resolution (stream, substream -> Translator), so a device's run of accesses skips
  // the STE/CD lookups. Anything that can change a resolution clears it (CFGI, CR0, reset).
  private memoSid = -1;
  private memoPasid: number | undefined = undefined;
  private memo: { tr: Translator; ssid: number | undefined; record: boolean; ste: SteConfig } | null = null;
  private forget(): void {
    this.memo = null;
    this.memoSid = -1;
  }

  translate(req: TranslateRequest): TranslateResult {
    let r: TranslateResult | { tr: Translator; ssid: number | undefined; record: boolean; ste: SteConfig };
    if (this.memo !== null && req.requester.streamId === this.memoSid && req.pasid === this.memoPasid) r = this.memo;
    else {
      r = this.resolve(req);
      if ('tr' in r) {
        this.memo = r;
        this.memoSid = req.requester.streamId;
        this.memoPasid = req.pasid;
      }
    }
    if (!('tr' in r)) return r;
    const write = (req.access & Access.WRITE) !== 0;
    const acc = (write ? A.ACC_WRITE : 0) | ((req.access & Access.EXEC) !== 0 ? A.ACC_EXEC : 0) | (req.privileged ? A.ACC_PRIV : 0);
    const pa = r.tr.translate(req.iova, acc);
    if (pa >= 0) {
      return { ok: true, pa, perm: permToAccess(r.tr.permAll, req.privileged ?? false) | (write ? Access.WRITE : Access.READ), pageSize: POW2[r.tr.pageShift]! };
    }
    return this.walkFault(r.tr, req.requester.streamId, r.ssid, req, r.record, r.ste);
  }

  /**
   * Translates many accesses of one stream (and substream) in one call into the core: the STE
   * and CD are resolved once, then the IOTLB/walk runs batched. Writes output addresses and
   * statuses (ST_*: 0 = translated); every faulting access is then handled one at a time, so
   * its event is recorded exactly as translate() would. Returns how many were translated.
   */
  translateBatch(streamId: number, iovas: Float64Array, access: number, out: Float64Array, status: Uint32Array, opts: { pasid?: number; privileged?: boolean } = {}): number {
    const req: TranslateRequest = { requester: { name: `sid${streamId}`, segment: 0, requesterId: streamId, streamId }, iova: iovas[0] ?? 0, access, pasid: opts.pasid, privileged: opts.privileged };
    const r = this.resolve(req);
    if (!('tr' in r)) {
      // Bypass, abort or a configuration error: the same answer for every access (one event each).
      let ok = 0;
      for (let i = 0; i < iovas.length; i++) {
        const x = i === 0 ? r : this.resolve({ ...req, iova: iovas[i]! });
        const t = 'tr' in x ? null : x;
        out[i] = t !== null && t.ok ? iovas[i]! : 0;
        status[i] = t !== null && t.ok ? A.ST_OK : A.ST_BAD_CONFIG;
        if (t !== null && t.ok) ok++;
      }
      return ok;
    }
    const write = (access & Access.WRITE) !== 0;
    const acc = (write ? A.ACC_WRITE : 0) | ((access & Access.EXEC) !== 0 ? A.ACC_EXEC : 0) | (opts.privileged ? A.ACC_PRIV : 0);
    const ok = r.tr.translateBatch(iovas, acc, out, status);
    if (ok !== iovas.length) {
      for (let i = 0; i < iovas.length; i++) if (status[i] !== A.ST_OK) this.translate({ ...req, iova: iovas[i]! });
    }
    return ok;
  }

  /** Finds what translates `req`: a Translator, or the final answer (bypass, abort, recorded fault). */
  private resolve(req: TranslateRequest): TranslateResult | { tr: Translator; ssid: number | undefined; record: boolean; ste: SteConfig } {
    const sid = req.requester.streamId;
    if ((this.cr0 & R.SMMU_CR0_SMMUEN_MASK) === 0) {
      // SMMU disabled: GBPA decides (g.3); no STE is read and nothing is recorded.
      if ((this.regs.get('GBPA') & R.SMMU_GBPA_ABORT_MASK) !== 0) return { ok: false, fault: 'GBPA_ABORT' };
      return { ok: true, pa: req.iova, perm: Access.READ | Access.WRITE, pageSize: 4096 };
    }
    const look = this.stream(sid);
    if (!look.ok) return this.fault(look.event, sid, req);
    const ste = look.entry.ste;
    if (ste.kind === 'abort') return { ok: false, fault: 'STE_ABORT' };
    if (ste.kind === 'bypass') return { ok: true, pa: req.iova, perm: Access.READ | Access.WRITE, pageSize: 4096 };
    if (ste.kind === 'bad') return this.fault({ id: R.SMMU_EVENT_C_BAD_STE, sid }, sid, req);
    if (ste.s1 === null) return { tr: look.entry.s2tr!, ssid: undefined, record: ste.s2!.record, ste };
    const s1 = ste.s1;
    const ssid = req.pasid;
    if (ssid !== undefined) {
      if (s1.cdMax === 0 || ssid >= 2 ** s1.cdMax) return this.fault({ id: R.SMMU_EVENT_C_BAD_SUBSTREAMID, sid, ssid }, sid, req);
    } else if (s1.cdMax !== 0 && s1.dss === 0) {
      return this.fault({ id: R.SMMU_EVENT_F_STREAM_DISABLED, sid }, sid, req);
    }
    if (ssid === undefined && s1.cdMax !== 0 && s1.dss === 1) {
      // S1DSS = bypass: traffic without a substream skips stage 1.
      if (look.entry.s2 === undefined) return { ok: true, pa: req.iova, perm: Access.READ | Access.WRITE, pageSize: 4096 };
      if (look.entry.s2tr === undefined) look.entry.s2tr = new Translator(this.core, { walker: look.entry.s2, tlb: this.iotlb, kind: IotlbKind.SMMU_S2, vmid: ste.vmid });
      return { tr: look.entry.s2tr, ssid: undefined, record: ste.s2!.record, ste };
    }
    const cdKey = ssid ?? -1;
    let cd = look.entry.cds.get(cdKey);
    if (cd === undefined) {
      const got = this.fetchCd(sid, ssid ?? 0, ste, look.entry, req.iova);
      if ('event' in got) return this.fault(got.event, sid, req);
      cd = got.cd;
      look.entry.cds.set(cdKey, cd);
    }
    if (cd.cd === null || cd.tr === undefined) return this.fault({ id: R.SMMU_EVENT_C_BAD_CD, sid, ssid }, sid, req);
    return { tr: cd.tr, ssid, record: cd.cd.record, ste };
  }

  /** Builds the event for a failed walk (d.1) and records it unless recording is off. */
  private walkFault(tr: Translator, sid: number, ssid: number | undefined, req: TranslateRequest, recordS1: boolean, ste: SteConfig): TranslateResult {
    const o = tr.outcome();
    const w = this.walkerOf(tr);
    const r = w.result();
    const info = smmuEventFor(o.status, r.stage, (r.nestedTableFetch ? A.F_NESTED_TT : 0));
    if (info === null) return this.fault({ id: R.SMMU_EVENT_C_BAD_CD, sid, ssid }, sid, req);
    const s2faults = info.s2;
    // S1-class faults are recorded only with CD.R = 1, S2 ones only with STE.S2R = 1; external
    // aborts are always recorded (d.2).
    const rec = o.status === A.ST_EXT_ABORT || (s2faults ? (ste.kind === 'translate' && ste.s2 !== null ? ste.s2.record : true) : recordS1);
    const ev: SmmuEvent = {
      id: info.id, sid, ssid,
      inputAddr: BigInt(req.iova),
      rnw: (req.access & Access.WRITE) === 0,
      pnu: req.privileged ?? false,
      ind: (req.access & Access.EXEC) !== 0,
      s2: s2faults,
      cls: info.class,
      ipa: s2faults ? BigInt(r.nested || r.nestedTableFetch ? r.ipa : req.iova) : 0n,
      fetchAddr: o.status === A.ST_EXT_ABORT ? BigInt(r.entryAddress >= 0 ? r.entryAddress : 0) : undefined,
    };
    return this.fault(rec ? ev : null, sid, req, info.id);
  }

  private walkerOf(tr: Translator): Walker {
    for (const s of this.streams.values()) {
      if (s.s2tr === tr) return s.s2!;
      for (const cd of s.cds.values()) if (cd.tr === tr) return cd.walker!;
    }
    throw new Error('smmuv3: internal: translator without walker');
  }

  private fault(event: SmmuEvent | null, sid: number, req: TranslateRequest, id?: number): TranslateResult {
    if (event !== null) this.recordEvent(event);
    const eid = event?.id ?? id;
    return { ok: false, fault: eid !== undefined ? (EVENT_NAMES[eid] ?? `EVENT_${eid}`) : 'ABORT', detail: { sid, iova: req.iova } };
  }

  /** Fetches and decodes the CD of (sid, ssid), translating CD addresses through stage 2 when nested. */
  private fetchCd(sid: number, ssid: number, ste: SteConfig & { kind: 'translate' }, entry: StreamEntry, iova: number): { cd: CdEntry } | { event: SmmuEvent | null } {
    const s1 = ste.s1!;
    const ssv = s1.cdMax !== 0 ? ssid : undefined;
    const ipaToPa = (ipa: bigint): { pa: number } | { event: SmmuEvent | null } => {
      if (entry.s2 === undefined) return { pa: Number(ipa) };
      const st = entry.s2.walk(ipa, 'read');
      if (st === A.ST_OK) return { pa: entry.s2.outputAddress };
      const info = smmuEventFor(st, 2, 0);
      const rec = st === A.ST_EXT_ABORT || ste.s2!.record;
      return { event: rec && info ? { id: info.id, sid, ssid: ssv, s2: true, cls: R.SMMU_EVT_FAULT_CLASS_CD, inputAddr: BigInt(iova), ipa, rnw: true } : null };
    };
    let cdIpa = s1.ctxPtr;
    if (s1.fmt !== 0) {
      const split = s1.fmt === 1 ? 6 : 10;
      const l1Ipa = s1.ctxPtr + BigInt(Math.floor(ssid / 2 ** split) * 8);
      const t = ipaToPa(l1Ipa);
      if ('event' in t) return t;
      const b = new Uint8Array(8);
      if (this.memory.readBytes(t.pa, b) !== MemTx.OK) return { event: { id: R.SMMU_EVENT_F_CD_FETCH, sid, ssid: ssv, fetchAddr: BigInt(t.pa) } };
      const l1 = toWords(b, 1);
      // IHI 0070 5.3.1: an L1CD with V = 0 is C_BAD_SUBSTREAMID.
      if (fld(l1, 'L1CD', 'V') === 0n) return { event: { id: R.SMMU_EVENT_C_BAD_SUBSTREAMID, sid, ssid } };
      cdIpa = fldAddr(l1, 'L1CD', 'L2PTR') + BigInt((ssid % 2 ** split) * R.SMMU_CD_SIZE);
    } else {
      cdIpa += BigInt(ssid * R.SMMU_CD_SIZE);
    }
    const t = ipaToPa(cdIpa);
    if ('event' in t) return t;
    const b = new Uint8Array(R.SMMU_CD_SIZE);
    if (this.memory.readBytes(t.pa, b) !== MemTx.OK) return { event: { id: R.SMMU_EVENT_F_CD_FETCH, sid, ssid: ssv, fetchAddr: BigInt(t.pa) } };
    const cd = decodeCd(toWords(b, 8), this.features);
    this.trace?.({ kind: 'smmuv3-cd-fetch', source: this.name, sid, ssid, address: t.pa, valid: cd !== null });
    if (cd === null) return { event: { id: R.SMMU_EVENT_C_BAD_CD, sid, ssid: ssv } };
    const walker = this.newWalker();
    let err = walker.configureS1(cd.walk);
    if (err === A.CFG_OK && entry.s2 !== undefined) err = walker.nest(entry.s2);
    if (err !== A.CFG_OK) {
      walker.dispose();
      return { event: { id: R.SMMU_EVENT_C_BAD_CD, sid, ssid: ssv } };
    }
    const kind = entry.s2 !== undefined ? IotlbKind.SMMU_NESTED : IotlbKind.SMMU_S1;
    const tr = new Translator(this.core, { walker, tlb: this.iotlb, kind, vmid: ste.vmid, asid: cd.asid, globalFromNg: true });
    return { cd: { cd, walker, tr } };
  }

  // ---- snapshot -----------------------------------------------------------------------------

  /**
   * Registers and IOTLB. The configuration cache is not saved: after restore the SMMU fetches
   * STEs and CDs again (as after an invalidation of everything; a cache may drop entries).
   */
  snapshot(): { type: string; version: 1; state: { regs: Record<string, string>; iotlb: ReturnType<Iotlb['snapshot']> } } {
    return { type: 'smmuv3', version: 1, state: { regs: this.regs.state(), iotlb: this.iotlb.snapshot() } };
  }
  restore(s: { type: string; version: number; state: { regs: Record<string, string>; iotlb: ReturnType<Iotlb['snapshot']> } }): void {
    if (s.type !== 'smmuv3' || s.version !== 1) throw new Error(`Smmuv3.restore: expected an smmuv3 snapshot of version 1, got ${s.type} v${s.version}`);
    this.dropAllStreams();
    this.regs.loadState(s.state.regs);
    this.cr0 = this.regs.get('CR0');
    this.iotlb.restore(s.state.iotlb);
  }
}

/** Access flags granted by a permAll word at the request's privilege. */
function permToAccess(permAll: number, privileged: boolean): number {
  const p = privileged ? permAll & 7 : (permAll >> 3) & 7;
  return ((p & A.PERM_R) !== 0 ? Access.READ : 0) | ((p & A.PERM_W) !== 0 ? Access.WRITE : 0) | ((p & A.PERM_X) !== 0 ? Access.EXEC : 0);
}

// One SMMUv3 as the driver sees it: probe (h.1: ID registers, queues and stream table in guest
// memory), reset/bring-up (h.2), the command queue, STE/CD updates with Linux's discipline
// (h.3), and the event-queue and GERROR interrupt handlers (d.2, e.1). Everything goes through
// MMIO at `base` and guest memory in the system AddressSpace.
import type { AddressSpace } from '../../../bridge/address-space.ts';
import * as R from '../../../regs/generated/smmuv3.ts';
import { ERRNO } from '../../errors.ts';
import {
  PRI_RESP_DENY, cmdCfgiAll, cmdCfgiCd, cmdCfgiSte, cmdPrefetchConfig, cmdPriResp, cmdSync, cmdTlbiEl2All, cmdTlbiNsnhAll, type Cmd,
} from './cmds.ts';
import { DmaPool } from './dma-pool.ts';
import { writeEntry, type EntryUpdate, type EntryWriter } from './entry-writer.ts';
import { decodeEvent, formatEvent, type SmmuEventReport } from './events.ts';
import { CMDQ_ENT_DWORDS, EVTQ_ENT_DWORDS, PRIQ_ENT_DWORDS, describeFeatures, hwProbe, type SmmuFeatures } from './features.ts';
import { get, getn, hex, words } from './fields.ts';
import { SmmuMmio } from './mmio.ts';
import { CommandQueue, Q_OVF, qEmpty, qIdx, qInc, qPtr } from './queue.ts';
import { CD_QWORDS, STE_QWORDS, cdUsed, makeAbortSte, makeBypassSte, steUsed } from './ste.ts';
import { StreamTable } from './strtab.ts';

export interface SmmuDeviceOptions {
  /** Guest RAM reserved for the driver's queues, tables and page tables. */
  memBase: number;
  memSize: number;
  name?: string;
  /** disable_bypass=0: unused streams bypass instead of aborting. */
  bypass?: boolean;
  /** The CPU has VHE (IDR0.HYP then gives E2H). */
  cpuVhe?: boolean;
  /** dmesg. */
  log?: (msg: string) => void;
}

/** A queue owned by software on the consumer side (event queue, PRI queue). */
interface ConsumerQueue {
  base: number;
  shift: number;
  entBytes: number;
  prodOff: number;
  consOff: number;
  /** Software copies (index + wrap + OVF), Linux's llq. */
  prod: number;
  cons: number;
}

/** One page request from the PRI queue (smmuv3.md d.3). */
export interface PriRequest {
  sid: number;
  ssid: number | null;
  grpid: number;
  last: boolean;
  addr: bigint;
  priv: boolean;
  read: boolean;
  write: boolean;
  exec: boolean;
}

/** GERROR bits Linux services (everything but the reserved bit 1). */
const GERROR_ERR_MASK = 0x1fd;
const CERROR_NAMES = ['No error', 'Illegal command', 'Abort on command fetch', 'ATC invalidate timeout'];

export class SmmuDevice {
  readonly name: string;
  readonly mmio: SmmuMmio;
  readonly pool: DmaPool;
  readonly dmesg: string[] = [];
  features!: SmmuFeatures;
  cmdq!: CommandQueue;
  strtab!: StreamTable;
  evtq!: ConsumerQueue;
  priq: ConsumerQueue | null = null;
  /** The CR0 enables Linux turned on at the end of the reset. */
  enables = 0;
  protected readonly logFn: (m: string) => void;

  constructor(readonly memory: AddressSpace, readonly base: number, readonly opts: SmmuDeviceOptions) {
    this.name = opts.name ?? `arm-smmu-v3.${base.toString(16)}`;
    this.mmio = new SmmuMmio(memory, base);
    this.pool = new DmaPool(memory, opts.memBase, opts.memSize);
    this.logFn = opts.log ?? (() => {});
  }

  log(msg: string): void {
    const line = `arm-smmu-v3 ${this.name}: ${msg}`;
    this.dmesg.push(line);
    this.logFn(line);
  }

  /** arm_smmu_device_probe minus the platform parts: hw_probe, init_structures, device_reset. 0 or -errno. */
  probeHw(): number {
    const p = hwProbe((o) => this.mmio.read32(o), { cpuVhe: this.opts.cpuVhe ?? false, log: (m) => this.log(m) });
    if (!p.ok) {
      this.log(p.msg);
      return p.errno;
    }
    this.features = p.f;
    this.log(describeFeatures(p.f));
    const ret = this.initStructures();
    if (ret < 0) return ret;
    return this.deviceReset();
  }

  // ---- arm_smmu_init_structures ----

  /** arm_smmu_init_one_queue: halves the queue until its allocation succeeds (h.1 step 4). */
  private allocQueue(shift: number, dwords: number, what: string): { base: number; shift: number } | number {
    for (;;) {
      const bytes = (2 ** shift) * dwords * 8;
      const base = this.pool.alloc(bytes);
      if (base >= 0) {
        this.log(`allocated ${2 ** shift} entries for ${what}`);
        return { base, shift };
      }
      if (bytes < 4096) break;
      shift--;
    }
    this.log(`failed to allocate queue (0x${((2 ** shift) * dwords * 8).toString(16)} bytes) for ${what}`);
    return -ERRNO.ENOMEM;
  }

  private initStructures(): number {
    const f = this.features;
    const c = this.allocQueue(f.cmdqShift, CMDQ_ENT_DWORDS, 'cmdq');
    if (typeof c === 'number') return c;
    // MSI polling of CMD_SYNC needs the SMMU's MSI write to be coherent with the CPU.
    this.cmdq = new CommandQueue(this.mmio, this.memory, c.base, c.shift, {
      msiPoll: f.msi && f.coherency, log: (m) => this.log(m), onStall: () => this.handleGerror(),
    });
    const e = this.allocQueue(f.evtqShift, EVTQ_ENT_DWORDS, 'evtq');
    if (typeof e === 'number') return e;
    this.evtq = { base: e.base, shift: e.shift, entBytes: 32, prodOff: R.SMMU_EVENTQ_PROD, consOff: R.SMMU_EVENTQ_CONS, prod: 0, cons: 0 };
    if (f.pri) {
      const q = this.allocQueue(f.priqShift, PRIQ_ENT_DWORDS, 'priq');
      if (typeof q === 'number') return q;
      this.priq = { base: q.base, shift: q.shift, entBytes: 16, prodOff: R.SMMU_PRIQ_PROD, consOff: R.SMMU_PRIQ_CONS, prod: 0, cons: 0 };
    }
    // Every STE starts as abort (disable_bypass, the default) or bypass.
    const initial = this.opts.bypass ? makeBypassSte(f) : makeAbortSte();
    const st = StreamTable.create(this.memory, this.pool, f, initial, (m) => this.log(m));
    if (typeof st === 'number') return st;
    this.strtab = st;
    return 0;
  }

  // ---- arm_smmu_device_reset (h.2) ----

  private qBase(q: ConsumerQueue, waMask: bigint, addrMask: bigint): bigint {
    return waMask | (BigInt(q.base) & addrMask) | BigInt(q.shift);
  }

  /** arm_smmu_update_gbpa: the GBPA handshake (wait UPDATE = 0, write with UPDATE, wait again). */
  private updateGbpa(setBits: number, clrBits: number): number {
    const idle = (v: number) => (v & R.SMMU_GBPA_UPDATE_MASK) === 0;
    let ok = this.mmio.poll(R.SMMU_GBPA, idle);
    if (ok) {
      const reg = (this.mmio.read32(R.SMMU_GBPA) & ~clrBits) | setBits;
      this.mmio.write32(R.SMMU_GBPA, reg | R.SMMU_GBPA_UPDATE_MASK);
      ok = this.mmio.poll(R.SMMU_GBPA, idle);
    }
    if (!ok) {
      this.log('GBPA not responding to update');
      return -ERRNO.EIO;
    }
    return 0;
  }

  private enable(bits: number, what: string): number {
    this.enables |= bits;
    if (!this.mmio.writeRegSync(this.enables, R.SMMU_CR0, R.SMMU_CR0ACK)) {
      this.log(`failed to enable ${what}`);
      return -ERRNO.EIO;
    }
    return 0;
  }

  deviceReset(): number {
    const f = this.features;
    const m = this.mmio;
    // Clear CR0 and sync (disables SMMU and queue processing); a live SMMU aborts traffic meanwhile.
    if ((m.read32(R.SMMU_CR0) & R.SMMU_CR0_SMMUEN_MASK) !== 0) {
      this.log('SMMU currently enabled! Resetting...');
      this.updateGbpa(R.SMMU_GBPA_ABORT_MASK, 0);
    }
    this.enables = 0;
    if (!m.writeRegSync(0, R.SMMU_CR0, R.SMMU_CR0ACK)) {
      this.log('failed to clear cr0');
      return -ERRNO.EIO;
    }
    // CR1: tables and queues inner shareable, write-back cacheable (0xD75).
    const WB = R.SMMU_CR1_QUEUE_IC_WB, ISH = R.SMMU_CR1_QUEUE_SH_ISH;
    m.write32(R.SMMU_CR1, (ISH << R.SMMU_CR1_TABLE_SH_SHIFT) | (WB << R.SMMU_CR1_TABLE_OC_SHIFT) | (WB << R.SMMU_CR1_TABLE_IC_SHIFT) |
      (ISH << R.SMMU_CR1_QUEUE_SH_SHIFT) | (WB << R.SMMU_CR1_QUEUE_OC_SHIFT) | (WB << R.SMMU_CR1_QUEUE_IC_SHIFT));
    // CR2: private TLB maintenance, record invalid SIDs, E2H with VHE.
    m.write32(R.SMMU_CR2, R.SMMU_CR2_PTM_MASK | R.SMMU_CR2_RECINVSID_MASK | (f.e2h ? R.SMMU_CR2_E2H_MASK : 0));
    // Stream table.
    m.write64(R.SMMU_STRTAB_BASE, this.strtab.strtabBase);
    m.write32(R.SMMU_STRTAB_BASE_CFG, this.strtab.cfg);
    // Command queue.
    this.cmdq.reset();
    m.write64(R.SMMU_CMDQ_BASE, this.cmdq.qBase);
    m.write32(R.SMMU_CMDQ_PROD, 0);
    m.write32(R.SMMU_CMDQ_CONS, 0);
    let ret = this.enable(R.SMMU_CR0_CMDQEN_MASK, 'command queue');
    if (ret < 0) return ret;
    // Invalidate any cached configuration and TLB entries.
    if ((ret = this.issueSync([cmdCfgiAll()])) < 0) return ret;
    if (f.hyp && (ret = this.issueSync([cmdTlbiEl2All()])) < 0) return ret;
    if ((ret = this.issueSync([cmdTlbiNsnhAll()])) < 0) return ret;
    // Event queue: PROD/CONS live in page 1.
    const e = this.evtq;
    e.prod = e.cons = 0;
    m.write64(R.SMMU_EVENTQ_BASE, this.qBase(e, R.SMMU_EVENTQ_BASE_WA_MASK, R.SMMU_EVENTQ_BASE_ADDR_MASK));
    m.write32(R.SMMU_EVENTQ_PROD, 0);
    m.write32(R.SMMU_EVENTQ_CONS, 0);
    if ((ret = this.enable(R.SMMU_CR0_EVENTQEN_MASK, 'event queue')) < 0) return ret;
    if (this.priq !== null) {
      const q = this.priq;
      q.prod = q.cons = 0;
      m.write64(R.SMMU_PRIQ_BASE, this.qBase(q, R.SMMU_PRIQ_BASE_WA_MASK, R.SMMU_PRIQ_BASE_ADDR_MASK));
      m.write32(R.SMMU_PRIQ_PROD, 0);
      m.write32(R.SMMU_PRIQ_CONS, 0);
      if ((ret = this.enable(R.SMMU_CR0_PRIQEN_MASK, 'PRI queue')) < 0) return ret;
    }
    if (f.ats && (ret = this.enable(R.SMMU_CR0_ATSCHK_MASK, 'ATS check')) < 0) return ret;
    if ((ret = this.setupIrqs()) < 0) return ret;
    return this.enable(R.SMMU_CR0_SMMUEN_MASK, 'SMMU interface');
  }

  /** arm_smmu_setup_irqs: IRQs off, MSI addresses cleared (wired interrupts), then the enables. */
  private setupIrqs(): number {
    const m = this.mmio;
    if (!m.writeRegSync(0, R.SMMU_IRQ_CTRL, R.SMMU_IRQ_CTRLACK)) {
      this.log('failed to disable irqs');
      return -ERRNO.EIO;
    }
    m.write64(R.SMMU_GERROR_IRQ_CFG0, 0n);
    m.write64(R.SMMU_EVENTQ_IRQ_CFG0, 0n);
    if (this.priq !== null) m.write64(R.SMMU_PRIQ_IRQ_CFG0, 0n);
    // No MSI domain for the SMMU in this machine model: wired interrupts ("msi_domain absent").
    let irqen = R.SMMU_IRQ_CTRL_EVENTQ_IRQEN_MASK | R.SMMU_IRQ_CTRL_GERROR_IRQEN_MASK;
    if (this.priq !== null) irqen |= R.SMMU_IRQ_CTRL_PRIQ_IRQEN_MASK;
    if (!m.writeRegSync(irqen, R.SMMU_IRQ_CTRL, R.SMMU_IRQ_CTRLACK)) {
      this.log('failed to enable irqs');
      return -ERRNO.EIO;
    }
    return 0;
  }

  // ---- commands ----

  /** arm_smmu_cmdq_issue_cmd: queue without waiting. */
  issue(cmds: readonly Cmd[]): number {
    return this.cmdq.issue(cmds, false);
  }
  /** arm_smmu_cmdq_issue_cmd_with_sync / batch submit: the commands plus a CMD_SYNC, waited for. */
  issueSync(cmds: readonly Cmd[]): number {
    return this.cmdq.issue(cmds, true);
  }

  // ---- STE / CD updates (h.3) ----

  /** arm_smmu_write_ste + the PREFETCH_CONFIG Linux sends after it (no sync). */
  writeSte(sid: number, target: readonly bigint[]): EntryUpdate {
    const at = this.strtab.steAddr(sid);
    const w: EntryWriter = {
      qwords: STE_QWORDS,
      read: () => this.readWords(at, STE_QWORDS),
      writeWord: (i, v) => this.memory.write64(at + i * 8, v),
      sync: () => void this.issueSync([cmdCfgiSte(sid, true)]),
      used: steUsed,
    };
    const how = writeEntry(w, target);
    this.issue([cmdPrefetchConfig(sid)]);
    return how;
  }

  /** arm_smmu_write_cd_entry: a CD at `at`, synced with CFGI_CD(sid, ssid, leaf) for every stream of the master. */
  writeCd(at: number, sids: readonly number[], ssid: number, target: readonly bigint[]): EntryUpdate {
    const w: EntryWriter = {
      qwords: CD_QWORDS,
      read: () => this.readWords(at, CD_QWORDS),
      writeWord: (i, v) => this.memory.write64(at + i * 8, v),
      sync: () => void this.issueSync(sids.map((s) => cmdCfgiCd(s, ssid, true))),
      used: cdUsed,
    };
    return writeEntry(w, target);
  }

  readWords(at: number, n: number): bigint[] {
    const out = words(n);
    for (let i = 0; i < n; i++) out[i] = this.memory.read64(at + i * 8);
    return out;
  }

  // ---- interrupt handlers ----

  /** Who a SID belongs to (the driver's masters); overridden by the IOMMU driver. */
  protected clientOf(_sid: number): string | null {
    return null;
  }

  /**
   * The consumer loop shared by the event and PRI queue threads (arm_smmu_evtq_thread /
   * arm_smmu_priq_thread): entries from CONS to PROD, CONS written back (page 1) after each one,
   * a PROD.OVFLG change reported as lost records, and the overflow acknowledged by copying
   * OVFLG into CONS.OVACKFLG once software has caught up.
   */
  private drain(q: ConsumerQueue, dwords: number, what: string, each: (w: bigint[]) => void): void {
    do {
      while (!qEmpty(q.prod, q.cons, q.shift)) {
        const w = this.readWords(q.base + qIdx(q.cons, q.shift) * q.entBytes, dwords);
        q.cons = (q.cons & Q_OVF) | qInc(q.cons, q.shift);
        this.mmio.write32(q.consOff, q.cons);
        each(w);
      }
      // queue_sync_prod_in: an OVFLG change means entries were dropped.
      const prod = this.mmio.read32(q.prodOff);
      if ((prod & Q_OVF) !== (q.prod & Q_OVF)) this.log(`${what} overflow detected -- ${what === 'EVTQ' ? 'events' : 'requests'} lost`);
      q.prod = (prod & Q_OVF) | qPtr(prod, q.shift);
    } while (!qEmpty(q.prod, q.cons, q.shift));
    // queue_sync_cons_ovf: we are up to date with the overflow.
    if ((q.prod & Q_OVF) !== (q.cons & Q_OVF)) {
      q.cons = (q.prod & Q_OVF) | qPtr(q.cons, q.shift);
      this.mmio.write32(q.consOff, q.cons);
    }
  }

  /** Event-queue interrupt thread: every record decoded and logged ("event 0x10 received: ..."). */
  handleEvents(): SmmuEventReport[] {
    const out: SmmuEventReport[] = [];
    this.drain(this.evtq, EVTQ_ENT_DWORDS, 'EVTQ', (w) => {
      const e = decodeEvent(w, (sid) => this.clientOf(sid));
      out.push(e);
      for (const l of formatEvent(e)) this.log(l);
    });
    return out;
  }

  /**
   * PRI-queue interrupt thread (arm_smmu_handle_ppr): no I/O page-fault handling is wired up, so
   * every page request is unexpected; the last request of a group is answered with
   * PRI_RESP(DENY). Returns the requests seen.
   */
  handlePriq(): PriRequest[] {
    const out: PriRequest[] = [];
    if (this.priq === null) return out;
    this.drain(this.priq, PRIQ_ENT_DWORDS, 'PRIQ', (w) => {
      const r: PriRequest = {
        sid: getn(w, 'PRIQ_ENT', 'SID'), ssid: getn(w, 'PRIQ_ENT', 'SSV') ? getn(w, 'PRIQ_ENT', 'SSID') : null,
        grpid: getn(w, 'PRIQ_ENT', 'PRGI'), last: getn(w, 'PRIQ_ENT', 'LAST') === 1, addr: get(w, 'PRIQ_ENT', 'ADDR') << 12n,
        priv: getn(w, 'PRIQ_ENT', 'PRIV') === 1, read: getn(w, 'PRIQ_ENT', 'READ') === 1, write: getn(w, 'PRIQ_ENT', 'WRITE') === 1, exec: getn(w, 'PRIQ_ENT', 'EXEC') === 1,
      };
      out.push(r);
      this.log('unexpected PRI request received:');
      this.log(`\tsid ${hex(r.sid, 8)}.${hex(r.ssid ?? 0, 5)}: [${r.grpid}${r.last ? 'L' : ''}] ${r.priv ? '' : 'un'}privileged ${r.read ? 'R' : ''}${r.write ? 'W' : ''}${r.exec ? 'X' : ''} access at iova ${hex(r.addr, 16)}`);
      if (r.last) this.issue([cmdPriResp(r.sid, r.ssid, r.grpid, PRI_RESP_DENY)]);
    });
    return out;
  }

  /**
   * arm_smmu_gerror_handler: active = GERROR ^ GERRORN (masked 0x1FD), each error reported,
   * a command error skipped (CERROR_ILL: the bad slot rewritten as CMD_SYNC), then
   * GERRORN = GERROR acknowledges everything. Returns the active bits (0: nothing pending).
   */
  handleGerror(): number {
    const gerror = this.mmio.read32(R.SMMU_GERROR);
    const gerrorn = this.mmio.read32(R.SMMU_GERRORN);
    const active = (gerror ^ gerrorn) & GERROR_ERR_MASK;
    if (active === 0) return 0;
    this.log(`unexpected global error reported (${hex(active, 8)}), this could be serious`);
    if (active & R.SMMU_GERROR_SFM_ERR_MASK) {
      this.log('device has entered Service Failure Mode!');
      this.mmio.writeRegSync(0, R.SMMU_CR0, R.SMMU_CR0ACK);
    }
    if (active & R.SMMU_GERROR_MSI_GERROR_ABT_ERR_MASK) this.log('GERROR MSI write aborted');
    if (active & R.SMMU_GERROR_MSI_PRIQ_ABT_ERR_MASK) this.log('PRIQ MSI write aborted');
    if (active & R.SMMU_GERROR_MSI_EVENTQ_ABT_ERR_MASK) this.log('EVTQ MSI write aborted');
    if (active & R.SMMU_GERROR_MSI_CMDQ_ABT_ERR_MASK) this.log('CMDQ MSI write aborted');
    if (active & R.SMMU_GERROR_PRIQ_ABT_ERR_MASK) this.log('PRIQ write aborted -- events may have been lost');
    if (active & R.SMMU_GERROR_EVENTQ_ABT_ERR_MASK) this.log('EVTQ write aborted -- events may have been lost');
    if (active & R.SMMU_GERROR_CMDQ_ERR_MASK) this.cmdqSkipErr();
    this.mmio.write32(R.SMMU_GERRORN, gerror);
    return active;
  }

  /** arm_smmu_cmdq_skip_err (smmuv3.md c.3 item 5). */
  private cmdqSkipErr(): void {
    const cons = this.mmio.read32(R.SMMU_CMDQ_CONS);
    const idx = (cons & R.SMMU_CMDQ_CONS_ERR_MASK) >>> R.SMMU_CMDQ_CONS_ERR_SHIFT;
    this.log(`CMDQ error (cons ${hex(cons, 8)}): ${CERROR_NAMES[idx] ?? 'Unknown'}`);
    switch (idx) {
      case R.SMMU_CERROR_ABT:
        this.log('retrying command fetch');
        return;
      case R.SMMU_CERROR_NONE:
        return;
      case R.SMMU_CERROR_ATC_INV_SYNC:
        // CONS still points at the CMD_SYNC, which is retried.
        return;
    }
    const at = this.cmdq.slotAddr(cons);
    const bad = this.readWords(at, CMDQ_ENT_DWORDS);
    this.log('skipping command in error state:');
    for (const x of bad) this.log(`\t${hex(x, 16)}`);
    const sync = cmdSync();
    this.memory.write64(at, sync[0]!);
    this.memory.write64(at + 8, sync[1]!);
  }
}

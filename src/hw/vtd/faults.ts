// Primary fault logging and the two event interrupts of a VT-d unit (vtd.md 1.9, 1.10, 5.4):
// fault-recording registers filled round robin, FSTS.PFO when the next one is still in use,
// PPF as the summary of the F bits, FRI naming the first record of a burst, and the fault
// event (FECTL/FEDATA/FEADDR/FEUADDR) raised only when no earlier condition is still being
// serviced. The invalidation completion event (IECTL/IEDATA/IEADDR/IEUADDR) shares the
// interrupt-mask/interrupt-pending protocol.
import * as R from '../../regs/generated/vtd.ts';
import type { RegisterFile } from '../../regs/register-file.ts';

/** MSI delivery: a 32-bit write of `data` to `address`. */
export type MsiSink = (address: number, data: number) => void;

/** One of the two IM/IP-protocol interrupts (fault event, invalidation completion event). */
export class EventInterrupt {
  constructor(
    private readonly regs: RegisterFile,
    private readonly prefix: 'FE' | 'IE',
    private readonly send: MsiSink,
    /** FEUADDR/IEUADDR hold address bits 63:32 (x2APIC, ECAP.EIM). */
    private readonly upper: boolean,
  ) {}

  private get ctl(): string {
    return `${this.prefix}CTL`;
  }
  /** Sets IP; sends the message at once unless IM is set (then it waits for IM = 0). */
  raise(): void {
    const c = this.regs.get(this.ctl);
    if ((c & R.VTD_FECTL_IM_MASK) !== 0) this.regs.set(this.ctl, (c | R.VTD_FECTL_IP_MASK) >>> 0);
    else this.deliver();
  }
  /** The guest wrote xECTL: unmasking with IP pending sends the message and clears IP. */
  onCtlWrite(): void {
    const c = this.regs.get(this.ctl);
    if ((c & R.VTD_FECTL_IM_MASK) === 0 && (c & R.VTD_FECTL_IP_MASK) !== 0) this.deliver();
  }
  /** The condition was serviced: IP clears. */
  clearPending(): void {
    this.regs.set(this.ctl, (this.regs.get(this.ctl) & ~R.VTD_FECTL_IP_MASK) >>> 0);
  }
  private deliver(): void {
    this.clearPending();
    const lo = (this.regs.get(`${this.prefix}ADDR`) & R.VTD_FEADDR_MA_MASK) >>> 0;
    const hi = this.upper ? this.regs.get(`${this.prefix}UADDR`) : 0;
    this.send(hi * 2 ** 32 + lo, this.regs.get(`${this.prefix}DATA`) & R.VTD_FEDATA_DATA_MASK);
  }
}

/** FSTS conditions that keep a fault event outstanding (spec: PPF, PFO, IQE, ICE, ITE). */
const CONDITIONS = R.VTD_FSTS_PPF_MASK | R.VTD_FSTS_PFO_MASK | R.VTD_FSTS_IQE_MASK | R.VTD_FSTS_ICE_MASK | R.VTD_FSTS_ITE_MASK;

/** A DMA-remapping or interrupt-remapping fault to record. */
export interface FaultRecord {
  sid: number;
  /** Faulting address (FI keeps bits 63:12), or for IR faults the interrupt index << 48. */
  fi: bigint;
  fr: number;
  /** Request type: write (T = 0) or read (T = 1). */
  write: boolean;
  pasid?: number;
}

export class FaultLog {
  /** The record slot the next fault goes to. */
  next = 0;

  constructor(
    private readonly regs: RegisterFile,
    private readonly records: number,
    private readonly irq: EventInterrupt,
  ) {}

  private hi(i: number): bigint {
    return this.regs.get64(`FRCD_HI[${i}]`);
  }

  /** Records `f` (vtd.md 5.4). Returns false when it was not recorded (collapsed or overflow). */
  record(f: FaultRecord): boolean {
    const fsts = this.regs.get('FSTS');
    // While PFO is set nothing more is recorded.
    if ((fsts & R.VTD_FSTS_PFO_MASK) !== 0) return false;
    // The spec lets hardware collapse further faults of a requester that has a pending record
    // (FRCD.F: "hardware may collapse additional faults from the same requestor"); QEMU does.
    for (let j = 0; j < this.records; j++) {
      const h = this.hi(j);
      if ((h & R.VTD_FRCD_HI_F_MASK) !== 0n && Number(h & R.VTD_FRCD_HI_SID_MASK) === f.sid) return false;
    }
    const i = this.next;
    if ((this.hi(i) & R.VTD_FRCD_HI_F_MASK) !== 0n) {
      this.raiseStatus(R.VTD_FSTS_PFO_MASK);
      return false;
    }
    const pp = f.pasid !== undefined;
    const hi =
      (BigInt(f.sid) << BigInt(R.VTD_FRCD_HI_SID_SHIFT)) |
      (BigInt(f.fr) << BigInt(R.VTD_FRCD_HI_FR_SHIFT)) |
      (pp ? R.VTD_FRCD_HI_PP_MASK | ((BigInt(f.pasid!) << BigInt(R.VTD_FRCD_HI_PV_SHIFT)) & R.VTD_FRCD_HI_PV_MASK) : 0n) |
      (f.write ? 0n : R.VTD_FRCD_HI_T_MASK) |
      R.VTD_FRCD_HI_F_MASK;
    this.regs.set64(`FRCD_LO[${i}]`, f.fi & R.VTD_FRCD_LO_FI_MASK);
    this.regs.set64(`FRCD_HI[${i}]`, hi);
    this.next = (i + 1) % this.records;
    if ((fsts & R.VTD_FSTS_PPF_MASK) === 0) {
      // First pending record: FRI points at it, PPF sets, and a fault event may follow.
      const fri = (i << R.VTD_FSTS_FRI_SHIFT) & R.VTD_FSTS_FRI_MASK;
      this.regs.set('FSTS', ((fsts & ~R.VTD_FSTS_FRI_MASK) | fri) >>> 0);
      this.raiseStatus(R.VTD_FSTS_PPF_MASK);
    }
    return true;
  }

  /** Sets FSTS status bit(s) `mask`; a fault event is raised when no condition was pending before. */
  raiseStatus(mask: number): void {
    const fsts = this.regs.get('FSTS');
    this.regs.set('FSTS', (fsts | mask) >>> 0);
    if ((fsts & CONDITIONS) === 0) this.irq.raise();
  }

  /** After the guest wrote FSTS (RW1C) or an FRCD (F is RW1C): PPF follows the F bits; IP clears when nothing is left. */
  update(): void {
    let ppf = false;
    for (let i = 0; i < this.records && !ppf; i++) ppf = (this.hi(i) & R.VTD_FRCD_HI_F_MASK) !== 0n;
    const fsts = this.regs.get('FSTS');
    const v = ppf ? fsts | R.VTD_FSTS_PPF_MASK : fsts & ~R.VTD_FSTS_PPF_MASK;
    this.regs.set('FSTS', v >>> 0);
    if ((v & CONDITIONS) === 0) this.irq.clearPending();
  }
}

// Queue pointers (smmuv3.md e.3: index in bits [shift-1:0], wrap bit at `shift`, OVF at 31)
// and the command-queue submitter (arm_smmu_cmdq_issue_cmdlist, single producer): commands are
// written at PROD in guest memory, PROD is written to the SMMU, and a CMD_SYNC is waited for by
// polling CMDQ_CONS past it (CS = SEV) or its own slot turning 0 (MSI polling).
import type { AddressSpace } from '../../../bridge/address-space.ts';
import * as R from '../../../regs/generated/smmuv3.ts';
import { cmdSync, type Cmd } from './cmds.ts';
import { POLL_LIMIT, type SmmuMmio } from './mmio.ts';
import { hex } from './fields.ts';

export const Q_OVF = 0x8000_0000;
export const ETIMEDOUT = 110;

export const qIdx = (p: number, shift: number) => p & ((1 << shift) - 1);
export const qWrp = (p: number, shift: number) => p & (1 << shift);
/** index + wrap, without OVF / ERR bits. */
export const qPtr = (p: number, shift: number) => p & ((2 << shift) - 1);
export const qInc = (p: number, shift: number) => (qPtr(p, shift) + 1) & ((2 << shift) - 1);
export const qEmpty = (prod: number, cons: number, shift: number) => qPtr(prod, shift) === qPtr(cons, shift);
export const qFull = (prod: number, cons: number, shift: number) => qIdx(prod, shift) === qIdx(cons, shift) && qWrp(prod, shift) !== qWrp(cons, shift);
/** Free entries (Linux queue_has_space). */
export function qSpace(prod: number, cons: number, shift: number): number {
  const size = 1 << shift;
  const p = qIdx(prod, shift), c = qIdx(cons, shift);
  return qWrp(prod, shift) === qWrp(cons, shift) ? size - (p - c) : c - p;
}
/** queue_consumed: CONS has moved past the entry at `prod`. */
export function qConsumed(cons: number, prod: number, shift: number): boolean {
  const ci = qIdx(cons, shift), pi = qIdx(prod, shift);
  return qWrp(cons, shift) === qWrp(prod, shift) ? ci > pi : ci <= pi;
}

export interface CmdqOptions {
  /** ARM_SMMU_OPT_MSIPOLL: IDR0.MSI on a coherent SMMU. */
  msiPoll: boolean;
  log: (m: string) => void;
  /**
   * Runs while the submitter waits without progress: the GERROR interrupt handler, which Linux
   * runs concurrently with a spinning submitter (a CMDQ error freezes CONS until it is acked).
   */
  onStall: () => void;
}

export class CommandQueue {
  /** Software copy of PROD (index + wrap). */
  prod = 0;
  /** Last CONS read from the SMMU. */
  cons = 0;
  constructor(
    private readonly mmio: SmmuMmio,
    private readonly memory: AddressSpace,
    readonly base: number,
    readonly shift: number,
    private readonly o: CmdqOptions,
  ) {}

  /** Q_BASE value: RA, address, LOG2SIZE. */
  get qBase(): bigint {
    return R.SMMU_CMDQ_BASE_RA_MASK | (BigInt(this.base) & R.SMMU_CMDQ_BASE_ADDR_MASK) | BigInt(this.shift);
  }
  slotAddr(p: number): number {
    return this.base + qIdx(p, this.shift) * 16;
  }
  reset(): void {
    this.prod = this.cons = 0;
  }

  private readCons(): number {
    this.cons = this.mmio.read32(R.SMMU_CMDQ_CONS);
    return this.cons;
  }

  /** Waits for `n` free slots (arm_smmu_cmdq_poll_until_not_full). */
  private waitSpace(n: number): boolean {
    for (let i = 0; i < POLL_LIMIT; i++) {
      if (qSpace(this.prod, this.readCons(), this.shift) >= n) return true;
      this.o.onStall();
    }
    this.o.log('CMDQ timeout');
    return false;
  }

  /**
   * arm_smmu_cmdq_issue_cmdlist: queues `cmds` (and a CMD_SYNC when `sync`), rings the doorbell,
   * and for a sync waits until the SMMU has consumed it. 0 or -ETIMEDOUT.
   */
  issue(cmds: readonly Cmd[], sync: boolean): number {
    const n = cmds.length + (sync ? 1 : 0);
    if (n === 0) return 0;
    if (n > 1 << this.shift) throw new Error('arm-smmu-v3: command batch larger than the queue');
    if (!this.waitSpace(n)) return -ETIMEDOUT;
    for (const c of cmds) this.write(c);
    let syncAt = -1;
    if (sync) {
      syncAt = this.prod;
      this.write(cmdSync(this.o.msiPoll ? this.slotAddr(syncAt) : 0));
    }
    // dma_wmb(), then the doorbell.
    this.mmio.write32(R.SMMU_CMDQ_PROD, this.prod);
    if (!sync) return 0;
    return this.o.msiPoll ? this.pollMsi(syncAt) : this.pollCons(syncAt);
  }

  private write(c: Cmd): void {
    const a = this.slotAddr(this.prod);
    this.memory.write64(a, c[0]!);
    this.memory.write64(a + 8, c[1]!);
    this.prod = qInc(this.prod, this.shift);
  }

  /** __arm_smmu_cmdq_poll_until_consumed (CS = SEV / no MSI). */
  private pollCons(syncAt: number): number {
    for (let i = 0; i < POLL_LIMIT; i++) {
      if (qConsumed(this.readCons(), syncAt, this.shift)) return 0;
      this.o.onStall();
    }
    return this.timeout(syncAt);
  }

  /** __arm_smmu_cmdq_poll_until_msi: the SMMU's MSI write zeroes the first word of the CMD_SYNC slot. */
  private pollMsi(syncAt: number): number {
    const a = this.slotAddr(syncAt);
    for (let i = 0; i < POLL_LIMIT; i++) {
      if (this.memory.read(a, 4) === 0) {
        this.readCons();
        return 0;
      }
      this.o.onStall();
    }
    return this.timeout(syncAt);
  }

  private timeout(syncAt: number): number {
    this.o.log(`CMD_SYNC timeout at ${hex(syncAt, 8)} [hwprod ${hex(this.mmio.read32(R.SMMU_CMDQ_PROD), 8)}, hwcons ${hex(this.readCons(), 8)}]`);
    return -ETIMEDOUT;
  }
}

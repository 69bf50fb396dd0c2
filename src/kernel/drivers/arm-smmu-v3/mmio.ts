// The SMMU's register window as the driver reaches it: 32/64-bit accesses at base + offset in
// the system AddressSpace (readl_relaxed / writel / readq / writeq), and the register
// handshakes Linux builds on them.
import type { AddressSpace } from '../../../bridge/address-space.ts';

/** Bounded poll count standing in for Linux's 1 s ARM_SMMU_POLL_TIMEOUT_US (no time passes in the model). */
export const POLL_LIMIT = 1000;

export class SmmuMmio {
  constructor(readonly memory: AddressSpace, readonly base: number) {}
  read32(off: number): number {
    return this.memory.read(this.base + off, 4) >>> 0;
  }
  write32(off: number, v: number): void {
    this.memory.write(this.base + off, 4, v >>> 0);
  }
  read64(off: number): bigint {
    return this.memory.read64(this.base + off);
  }
  write64(off: number, v: bigint): void {
    this.memory.write64(this.base + off, BigInt.asUintN(64, v));
  }
  /** Polls `off` until `cond` holds (readl_relaxed_poll_timeout); false on timeout. */
  poll(off: number, cond: (v: number) => boolean): boolean {
    for (let i = 0; i < POLL_LIMIT; i++) if (cond(this.read32(off))) return true;
    return false;
  }
  /** arm_smmu_write_reg_sync: write, then wait until the ACK register reads the same value. */
  writeRegSync(val: number, off: number, ackOff: number): boolean {
    this.write32(off, val);
    return this.poll(ackOff, (v) => v === val >>> 0);
  }
}

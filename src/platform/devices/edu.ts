// A device compatible with QEMU's educational PCI device "edu" (hw/misc/edu.c,
// docs/specs/edu.rst): 1234:11e8 rev 0x10, class word 0x00ff, one 1 MiB 32-bit BAR, a 64-bit
// single-vector MSI capability, INTx pin A, and a 4 KiB DMA buffer at device address 0x40000.
//
// Register behaviour matches QEMU 7.2 byte for byte, including its access rules (4- or
// 8-byte accesses only; below 0x80 only 4-byte ones answer; misaligned or smaller pieces
// are rejected by the memory core and read 0). Deliberate deviations, both forced by
// determinism:
//  - the factorial is computed synchronously on the write to 0x08 (QEMU uses a thread, so
//    "computing" is visible for a while there; a correct driver polls and sees the same
//    result). n! is taken modulo 2^32 as QEMU's uint32 loop does (0 for n >= 34).
//  - a DMA whose device-side range falls outside the 4 KiB buffer (edu_check_range) is a
//    fatal hw_error in QEMU 7.2 (the emulator aborts) and a logged guest error followed by an
//    out-of-bounds copy in later QEMU. Here it is a traced guest error ("edu-dma-range"):
//    no data moves, and the command completes (RUN clears, the interrupt is raised if asked),
//    like later QEMU's control flow. Zero-length transfers count as out of range (7.2's check).
import type { VirtualClock, Timer } from '../../bridge/clock.ts';
import type { TraceHook } from '../../bridge/types.ts';
import { base64ToBytes, bytesToBase64 } from '../../bridge/snapshot.ts';
import { PciFunction } from '../pci/function.ts';
import { ALL_ACCESS_SIZES, qemuRegionHandler } from '../../bridge/qemu-access.ts';
import * as G from '../../regs/generated/edu.ts';

// Register offsets, bits and the device's identity come from regmaps/edu.json; the names
// below are the ones the rest of the code base (and the demo) already use.
export const EDU_VENDOR_ID = G.EDU_PCI_ID_VENDOR;
export const EDU_DEVICE_ID = G.EDU_PCI_ID_DEVICE;
export const EDU_REVISION = G.EDU_PCI_ID_REVISION;
export const EDU_BAR0_SIZE = G.edu.size;
/**
 * QEMU sets the 16-bit class word at 0x0a to PCI_CLASS_OTHERS (0x00ff), so the bytes read
 * base class 0x00, sub-class 0xff, prog-if 0: dword 0x08 is 0x00ff0010.
 */
export const EDU_CLASS_CODE = G.EDU_PCI_ID_CLASS_CODE;

/** BAR0 register offsets. */
export const EDU_REG = {
  ID: G.EDU_ID,
  LIVENESS: G.EDU_LIVENESS,
  FACTORIAL: G.EDU_FACTORIAL,
  STATUS: G.EDU_STATUS,
  IRQ_STATUS: G.EDU_IRQ_STATUS,
  IRQ_RAISE: G.EDU_IRQ_RAISE,
  IRQ_ACK: G.EDU_IRQ_ACK,
  DMA_SRC: G.EDU_DMA_SRC,
  DMA_DST: G.EDU_DMA_DST,
  DMA_CNT: G.EDU_DMA_CNT,
  DMA_CMD: G.EDU_DMA_CMD,
} as const;

export const EDU_ID_VALUE = G.EDU_ID_RESET;
export const EDU_STATUS_COMPUTING = G.EDU_STATUS_COMPUTING_MASK;
export const EDU_STATUS_IRQFACT = G.EDU_STATUS_IRQFACT_MASK;
export const EDU_FACT_IRQ = G.EDU_IRQ_FACTORIAL;
export const EDU_DMA_IRQ = G.EDU_IRQ_DMA;
// DMA_CMD is a 64-bit register, so its masks are bigints.
export const EDU_DMA_RUN = G.EDU_DMA_CMD_RUN_MASK;
export const EDU_DMA_DIR_TO_RAM = BigInt(G.EDU_DMA_CMD_DIRECTION_TO_RAM) << BigInt(G.EDU_DMA_CMD_DIRECTION_SHIFT);
export const EDU_DMA_RAISE_IRQ = G.EDU_DMA_CMD_IRQ_MASK;
/** Device address of the DMA buffer and its size. */
export const EDU_DMA_START = G.EDU_DMA_BUFFER_START;
export const EDU_DMA_SIZE = G.EDU_DMA_BUFFER_SIZE;
/** QEMU's default dma_mask property: 28 bits. */
export const EDU_DEFAULT_DMA_MASK = (1n << 28n) - 1n;
/** Delay between the command write and the transfer (QEMU's dma_timer). */
export const EDU_DMA_DELAY_MS = 100;

const U64 = (1n << 64n) - 1n;

export interface EduOptions {
  readonly name?: string;
  /** The machine's virtual clock (drives the DMA timer). */
  readonly clock: VirtualClock;
  /** The dma_mask property (default 2^28 - 1). */
  readonly dmaMask?: bigint;
  /** Guest-error traces; default: the PCI host's trace hook. */
  readonly trace?: TraceHook;
}

export class EduDevice extends PciFunction {
  readonly buffer = new Uint8Array(EDU_DMA_SIZE);
  dmaMask: bigint;
  trace: TraceHook | undefined;
  private addr4 = 0;
  private fact = 0;
  private status = 0;
  private irqStatus = 0;
  private dmaSrc = 0n;
  private dmaDst = 0n;
  private dmaCnt = 0n;
  private dmaCmd = 0n;
  private readonly timer: Timer;
  private readonly clock: VirtualClock;

  constructor(opts: EduOptions) {
    if (!opts?.clock) throw new TypeError('EduDevice: options.clock (a VirtualClock) is required');
    const name = opts.name ?? 'edu';
    const handler = qemuRegionHandler({
      minSize: 4,
      maxSize: 8,
      read: (off) => this.read32(off),
      write: (off, _size, value) => this.write32(off, value),
      read64: (off) => this.read64(off),
      write64: (off, value) => this.write64(off, value),
    });
    super({
      name, vendorId: EDU_VENDOR_ID, deviceId: EDU_DEVICE_ID, revision: EDU_REVISION, classCode: EDU_CLASS_CODE,
      subsystemVendorId: G.EDU_PCI_ID_SUBSYSTEM_VENDOR, subsystemId: G.EDU_PCI_ID_SUBSYSTEM, interruptPin: 1,
      qemuDeviceAreaWritable: true,
      msi: { vectors: 1, address64: true, perVectorMask: false },
      bars: [{ index: 0, kind: 'mem32', size: EDU_BAR0_SIZE, name: `${name}-mmio`, handler, validSizes: ALL_ACCESS_SIZES, unaligned: true }],
    });
    this.clock = opts.clock;
    this.dmaMask = BigInt.asUintN(64, opts.dmaMask ?? EDU_DEFAULT_DMA_MASK);
    this.trace = opts.trace;
    this.timer = opts.clock.createTimer(`${name}.dma`, () => this.dmaTimer());
  }

  // ---- registers ---------------------------------------------------------------------------

  private read32(off: number): number {
    switch (off) {
      case EDU_REG.ID: return EDU_ID_VALUE;
      case EDU_REG.LIVENESS: return this.addr4;
      case EDU_REG.FACTORIAL: return this.fact;
      case EDU_REG.STATUS: return this.status;
      case EDU_REG.IRQ_STATUS: return this.irqStatus;
      case EDU_REG.DMA_SRC: return Number(this.dmaSrc & 0xffffffffn);
      case EDU_REG.DMA_DST: return Number(this.dmaDst & 0xffffffffn);
      case EDU_REG.DMA_CNT: return Number(this.dmaCnt & 0xffffffffn);
      case EDU_REG.DMA_CMD: return Number(this.dmaCmd & 0xffffffffn);
      default: return 0xffffffff;
    }
  }

  private read64(off: number): bigint {
    // Below 0x80 only 4-byte accesses answer; the rest read all-ones.
    switch (off) {
      case EDU_REG.DMA_SRC: return this.dmaSrc;
      case EDU_REG.DMA_DST: return this.dmaDst;
      case EDU_REG.DMA_CNT: return this.dmaCnt;
      case EDU_REG.DMA_CMD: return this.dmaCmd;
      default: return U64;
    }
  }

  private write32(off: number, value: number): void {
    const v = value >>> 0;
    switch (off) {
      case EDU_REG.LIVENESS:
        this.addr4 = ~v >>> 0;
        return;
      case EDU_REG.FACTORIAL:
        if (this.status & EDU_STATUS_COMPUTING) return;
        this.fact = v;
        this.status |= EDU_STATUS_COMPUTING;
        this.computeFactorial();
        return;
      case EDU_REG.STATUS:
        // Only "raise interrupt after factorial" is writable; COMPUTING is read-only.
        this.status = v & EDU_STATUS_IRQFACT ? this.status | EDU_STATUS_IRQFACT : this.status & ~EDU_STATUS_IRQFACT;
        return;
      case EDU_REG.IRQ_RAISE:
        this.raiseIrq(v);
        return;
      case EDU_REG.IRQ_ACK:
        this.lowerIrq(v);
        return;
      default:
        if (off >= EDU_REG.DMA_SRC) this.write64(off, BigInt(v));
    }
  }

  private write64(off: number, v: bigint): void {
    // 8-byte writes below 0x80 are ignored (the 4-byte pieces never get here as 8).
    if (off < EDU_REG.DMA_SRC) return;
    const running = (this.dmaCmd & EDU_DMA_RUN) !== 0n;
    switch (off) {
      case EDU_REG.DMA_SRC:
        if (!running) this.dmaSrc = v;
        return;
      case EDU_REG.DMA_DST:
        if (!running) this.dmaDst = v;
        return;
      case EDU_REG.DMA_CNT:
        if (!running) this.dmaCnt = v;
        return;
      case EDU_REG.DMA_CMD:
        // A write without RUN is ignored; a new command while one runs is ignored too
        // (and does not re-arm the timer).
        if ((v & EDU_DMA_RUN) === 0n || running) return;
        this.dmaCmd = v;
        this.timer.mod((this.clock.nowMs() + EDU_DMA_DELAY_MS) * 1e6);
        return;
      default:
        return;
    }
  }

  private computeFactorial(): void {
    let n = this.fact;
    let r = 1;
    // n! has at least 32 factors of two from n = 34 on, so the 32-bit product is 0.
    if (n >= 34) r = 0;
    else while (n > 0) r = Math.imul(r, n--) >>> 0;
    this.fact = r >>> 0;
    this.status &= ~EDU_STATUS_COMPUTING;
    if (this.status & EDU_STATUS_IRQFACT) this.raiseIrq(EDU_FACT_IRQ);
  }

  // ---- interrupts ----------------------------------------------------------------------------

  private raiseIrq(val: number): void {
    this.irqStatus = (this.irqStatus | val) >>> 0;
    if (this.irqStatus === 0) return;
    // Every raise with a non-zero status sends another message; INTx is a level.
    if (this.msiEnabled) this.sendMsi(0);
    else this.setIntx(true);
  }

  private lowerIrq(val: number): void {
    this.irqStatus = (this.irqStatus & ~val) >>> 0;
    if (this.irqStatus === 0 && !this.msiEnabled) this.setIntx(false);
  }

  get interruptStatus(): number {
    return this.irqStatus;
  }

  // ---- DMA -----------------------------------------------------------------------------------

  private inBuffer(start: bigint, size: bigint): boolean {
    // QEMU 7.2 edu_check_range, in 64-bit arithmetic.
    const end1 = BigInt.asUintN(64, start + size);
    const dmaStart = BigInt(EDU_DMA_START);
    const end2 = dmaStart + BigInt(EDU_DMA_SIZE);
    return start >= dmaStart && start < end2 && end1 > start && end1 <= end2;
  }

  private clamp(addr: bigint): number {
    const res = addr & this.dmaMask;
    if (res !== addr) (this.trace ?? this.host?.trace)?.({ kind: 'guest-error', source: this.name, what: 'edu-dma-clamp', from: addr.toString(16), to: res.toString(16) });
    return Number(res);
  }

  private dmaTimer(): void {
    if ((this.dmaCmd & EDU_DMA_RUN) === 0n) return;
    const toRam = (this.dmaCmd & EDU_DMA_DIR_TO_RAM) !== 0n;
    const devAddr = toRam ? this.dmaSrc : this.dmaDst;
    const cnt = this.dmaCnt;
    if (!this.inBuffer(devAddr, cnt)) {
      (this.trace ?? this.host?.trace)?.({ kind: 'guest-error', source: this.name, what: 'edu-dma-range', start: devAddr.toString(16), count: cnt.toString(16) });
    } else {
      const off = Number(devAddr) - EDU_DMA_START;
      const part = this.buffer.subarray(off, off + Number(cnt));
      const port = this.dma;
      if (port !== null) {
        if (toRam) port.write(this.clamp(this.dmaDst), part);
        else port.read(this.clamp(this.dmaSrc), part);
      }
    }
    this.dmaCmd &= ~EDU_DMA_RUN;
    if (this.dmaCmd & EDU_DMA_RAISE_IRQ) this.raiseIrq(EDU_DMA_IRQ);
  }

  /** Virtual time (ns) at which the pending DMA runs, or -1. */
  get dmaDeadline(): number {
    return this.timer.deadline;
  }

  // ---- snapshots -----------------------------------------------------------------------------

  protected override get snapshotType(): string {
    return 'edu';
  }

  protected override saveState(): Record<string, unknown> {
    return {
      addr4: this.addr4, fact: this.fact, status: this.status, irqStatus: this.irqStatus,
      dma: [this.dmaSrc, this.dmaDst, this.dmaCnt, this.dmaCmd].map((x) => x.toString(16)),
      dmaMask: this.dmaMask.toString(16), dmaDeadline: this.timer.deadline, buffer: bytesToBase64(this.buffer),
    };
  }

  protected override loadState(s: Record<string, unknown>): void {
    const st = s as { addr4: number; fact: number; status: number; irqStatus: number; dma: string[]; dmaMask: string; dmaDeadline: number; buffer: string };
    this.addr4 = st.addr4 >>> 0;
    this.fact = st.fact >>> 0;
    this.status = st.status >>> 0;
    this.irqStatus = st.irqStatus >>> 0;
    const [src, dst, cnt, cmd] = st.dma.map((x) => BigInt('0x' + x));
    this.dmaSrc = src!;
    this.dmaDst = dst!;
    this.dmaCnt = cnt!;
    this.dmaCmd = cmd!;
    this.dmaMask = BigInt('0x' + st.dmaMask);
    this.buffer.set(base64ToBytes(st.buffer, EDU_DMA_SIZE));
    if (st.dmaDeadline >= 0) this.timer.mod(st.dmaDeadline);
    else this.timer.del();
  }
}

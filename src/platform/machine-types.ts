// What a machine must offer the qtest front end (src/qtest/). The machines themselves
// (q35-like, arm-virt-like) live next to this file; the qtest layer only sees these types.

/** A machine as selected by a QEMU-style command line (`-machine`, `-m`, `-device`). */
export interface MachineConfig {
  machine: 'q35' | 'virt';
  /** Machine properties in command-line order of appearance, e.g. { 'kernel-irqchip': 'split' } or { iommu: 'smmuv3' }. */
  machineProps: Record<string, string>;
  /** Guest RAM size in bytes, from `-m` (QEMU default 128 MiB, rounded up to 8 KiB as QEMU does). */
  memoryBytes: number;
  /** `-device driver,k=v,...` in command-line order; `id=` and `addr=` stay in props. */
  devices: { driver: string; props: Record<string, string> }[];
}

/**
 * One address space as the qtest commands see it: the system memory space, or the x86
 * I/O-port space. Values are in the target's byte order interpretation, exactly what a
 * CPU load/store of that size would return (QEMU's qtest tswaps for the same effect).
 * Unassigned addresses answer as QEMU does: memory reads 0, I/O ports read all ones.
 */
export interface QtestMemory {
  read(addr: number, size: 1 | 2 | 4): number;
  write(addr: number, size: 1 | 2 | 4, value: number): void;
  read64(addr: number): bigint;
  write64(addr: number, value: bigint): void;
  /** Fills `dst` from `addr` upward; returns a MemTx (0 = OK). Unassigned bytes read as 0. */
  readBytes(addr: number, dst: Uint8Array): number;
  writeBytes(addr: number, src: Uint8Array): number;
}

export interface QtestMachine {
  /** 'q35' | 'virt' */
  readonly name: string;
  /** The system memory address space (what the first CPU sees). */
  readonly memory: QtestMemory;
  /** The x86 port space; null on virt, where in* read all ones and out* are dropped, as QEMU does on arm. */
  readonly io: QtestMemory | null;
  readonly bigEndian: boolean;
  /**
   * Virtual clock in ns, starting at 0 when the machine is created.
   * clockStep(ns) advances by ns (ns >= 0; 0 just reads the clock) running every timer
   * that falls due on the way; clockStep() advances to the next timer deadline, or stays
   * put when no timer is armed (QEMU semantics). Returns the new time.
   */
  clockStep(ns?: number): number;
  /** Advance to `ns` (nothing happens if the clock is already past it). Returns the new time. */
  clockSet(ns: number): number;
  /**
   * Intercept the unnamed GPIO inputs ('in') or outputs ('out') of the device at `path`
   * (qtest irq_intercept_in/out, e.g. 'ioapic' or '/machine/q35/ioapic' on q35): from then
   * on every level change on line N calls sink(N, level) instead of reaching its normal
   * destination. Returns false if no device answers to `path` ("FAIL Unknown device").
   * A device with no unnamed GPIOs is accepted and simply never calls the sink.
   */
  interceptIrqs(path: string, direction: 'in' | 'out', sink: (line: number, level: boolean) => void): boolean;
  /**
   * Optional, recommended: resolve a QOM-style path as QEMU's object_resolve_path does
   * (absolute, or a partial path naming a single device) to the device's canonical
   * absolute path; null if nothing or several things match. The protocol needs device
   * identity, not just success: QEMU allows one intercepted device, answers OK to a second
   * intercept of the *same* device under any name, "FAIL Unknown device" to an unknown
   * path and "FAIL IRQ intercept already enabled" otherwise. Without this method the path
   * text stands for the device, so a second intercept under another name (alias or
   * unknown) gets "already enabled". When present, interceptIrqs and setIrqIn receive the
   * canonical path.
   */
  resolveDevice?(path: string): string | null;
  /**
   * Optional: force input `line` of the GPIO list `name` (null = the unnamed list) of the
   * device at `path` to `level` (qtest `set_irq_in`). Returns false if there is no such
   * input; absent, set_irq_in answers FAIL.
   */
  setIrqIn?(path: string, name: string | null, line: number, level: number): boolean;
}

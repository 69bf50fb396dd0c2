// A small QtestMachine for the qtest front end's own tests: sparse RAM from 0 up to the
// configured size, holes that read 0 (QEMU's unassigned memory), an optional I/O space
// whose unassigned ports read all ones, a virtual clock with timers, and one fake
// interrupt controller ("/machine/q35/ioapic", also reachable as "ioapic").
import type { MachineConfig, QtestMachine, QtestMemory } from '../../src/platform/machine-types.ts';

const PAGE = 4096;

class SparseRam implements QtestMemory {
  private pages = new Map<number, Uint8Array>();
  constructor(private readonly size: number) {}

  private byte(addr: number): number {
    if (addr >= this.size) return 0;
    return this.pages.get(Math.floor(addr / PAGE))?.[addr % PAGE] ?? 0;
  }
  private setByte(addr: number, v: number): void {
    if (addr >= this.size) return;
    const n = Math.floor(addr / PAGE);
    let p = this.pages.get(n);
    if (!p) this.pages.set(n, (p = new Uint8Array(PAGE)));
    p[addr % PAGE] = v & 0xff;
  }
  read(addr: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.byte(addr + i);
    return v;
  }
  write(addr: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) this.setByte(addr + i, Math.floor(value / 256 ** i));
  }
  read64(addr: number): bigint {
    return (BigInt(this.read(addr + 4, 4)) << 32n) | BigInt(this.read(addr, 4));
  }
  write64(addr: number, value: bigint): void {
    this.write(addr, 4, Number(value & 0xffffffffn));
    this.write(addr + 4, 4, Number(value >> 32n));
  }
  readBytes(addr: number, dst: Uint8Array): number {
    for (let i = 0; i < dst.length; i++) dst[i] = this.byte(addr + i);
    return 0;
  }
  writeBytes(addr: number, src: Uint8Array): number {
    for (let i = 0; i < src.length; i++) this.setByte(addr + i, src[i]!);
    return 0;
  }
}

/** Port space with a single latch register at port 0x510; every other port is unassigned. */
class FakePorts implements QtestMemory {
  latch = 0;
  log: string[] = [];
  read(addr: number, size: 1 | 2 | 4): number {
    if (addr === 0x510) return this.latch & (2 ** (size * 8) - 1);
    return 2 ** (size * 8) - 1;
  }
  write(addr: number, size: 1 | 2 | 4, value: number): void {
    this.log.push(`out${size} ${addr.toString(16)} ${value.toString(16)}`);
    if (addr === 0x510) this.latch = value;
  }
  read64(): bigint {
    return (1n << 64n) - 1n;
  }
  write64(): void {}
  readBytes(_addr: number, dst: Uint8Array): number {
    dst.fill(0xff);
    return 1;
  }
  writeBytes(): number {
    return 1;
  }
}

export interface FakeOptions {
  bigEndian?: boolean;
  withPorts?: boolean;
  /** Leave out resolveDevice, to exercise the protocol's fallback. */
  noResolve?: boolean;
}

export const FAKE_IOAPIC = '/machine/q35/ioapic';

export class FakeMachine implements QtestMachine {
  readonly name: string;
  readonly memory: SparseRam;
  readonly io: FakePorts | null;
  readonly bigEndian: boolean;
  now = 0;
  timers: { at: number; fn: () => void }[] = [];
  sink: ((line: number, level: boolean) => void) | null = null;
  intercepted: { device: string; direction: string } | null = null;
  gpioIn = new Map<number, number>();
  declare resolveDevice?: (path: string) => string | null;

  constructor(readonly config: MachineConfig, options: FakeOptions = {}) {
    this.name = config.machine;
    this.memory = new SparseRam(config.memoryBytes);
    this.io = options.withPorts === false ? null : new FakePorts();
    this.bigEndian = options.bigEndian ?? false;
    if (!options.noResolve) {
      this.resolveDevice = (path) => {
        if (path === 'ioapic' || path === FAKE_IOAPIC) return FAKE_IOAPIC;
        if (path === '/machine/q35') return path;
        return null;
      };
    }
  }

  /** What a device model would do: drive line `line` of the interrupt controller. */
  raise(line: number, level: boolean): void {
    this.sink?.(line, level);
  }

  addTimer(at: number, fn: () => void): void {
    this.timers.push({ at, fn });
    this.timers.sort((a, b) => a.at - b.at);
  }

  private runUntil(dest: number): number {
    while (this.timers.length > 0 && this.timers[0]!.at <= dest) {
      const t = this.timers.shift()!;
      this.now = t.at;
      t.fn();
    }
    this.now = Math.max(this.now, dest);
    return this.now;
  }

  clockStep(ns?: number): number {
    if (ns === undefined) return this.timers.length ? this.runUntil(this.timers[0]!.at) : this.now;
    return this.runUntil(this.now + ns);
  }

  clockSet(ns: number): number {
    return this.runUntil(Math.max(ns, this.now));
  }

  interceptIrqs(device: string, direction: 'in' | 'out', sink: (line: number, level: boolean) => void): boolean {
    if (device !== FAKE_IOAPIC && device !== 'ioapic' && device !== '/machine/q35') return false;
    this.intercepted = { device, direction };
    this.sink = sink;
    return true;
  }

  setIrqIn(device: string, name: string | null, line: number, level: number): boolean {
    if (device !== FAKE_IOAPIC || name !== null || line < 0 || line >= 24) return false;
    this.gpioIn.set(line, level);
    return true;
  }
}

export function fakeConfig(machine: 'q35' | 'virt' = 'q35', memoryBytes = 128 * 1024 * 1024): MachineConfig {
  return { machine, machineProps: {}, memoryBytes, devices: [] };
}

// A small firmware-like enumerator for demos: numbers the buses depth-first, sizes every BAR
// by writing all-ones and reading back (through config cycles, as firmware does), packs
// BARs into the machine's windows largest first, programs bridge windows around what lies
// below, and turns on decoding and bus mastering. qtest scripts program BARs themselves.
import type { PciBridge } from './bridge.ts';
import type { PciBus } from './bus.ts';
import type { PciFunction } from './function.ts';
import type { PciHost } from './host.ts';
import { barOffset } from './bar.ts';
import {
  PCI_BASE_ADDRESS_MEM_PREFETCH, PCI_BASE_ADDRESS_MEM_TYPE_64, PCI_BASE_ADDRESS_SPACE_IO,
  PCI_BRIDGE_IO_GRANULE, PCI_BRIDGE_MEM_GRANULE, PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY, PCI_IO_BASE, PCI_IO_LIMIT, PCI_MEMORY_BASE, PCI_MEMORY_LIMIT,
  PCI_NUM_BARS_TYPE0, PCI_NUM_BARS_TYPE1, PCI_PREF_BASE_UPPER32, PCI_PREF_LIMIT_UPPER32,
  PCI_PREF_MEMORY_BASE, PCI_PREF_MEMORY_LIMIT, PCI_PRIMARY_BUS, PCI_SECONDARY_BUS, PCI_SUBORDINATE_BUS,
} from './regs.ts';

export interface ResourceWindows {
  /** Non-prefetchable 32-bit MMIO window [base, base+size). */
  readonly mmio32: { readonly base: number; readonly size: number };
  /** Optional 64-bit (prefetchable) window; without it 64-bit BARs go in mmio32. */
  readonly mmio64?: { readonly base: number; readonly size: number };
  /** I/O-port window (e.g. 0x1000..0xffff on q35). */
  readonly io?: { readonly base: number; readonly size: number };
  /** Turn on bus mastering too (default true). */
  readonly busMaster?: boolean;
}

export interface Assignment {
  readonly fn: PciFunction;
  readonly bar: number;
  readonly address: number;
  readonly size: number;
}

class Cursor {
  constructor(public next: number, readonly end: number, readonly what: string) {}
  take(size: number, align: number): number {
    const a = Math.ceil(this.next / align) * align;
    if (a + size > this.end) throw new RangeError(`assignResources: the ${this.what} window is too small (need ${size} bytes at ${a.toString(16)})`);
    this.next = a + size;
    return a;
  }
  alignTo(g: number): void {
    this.next = Math.ceil(this.next / g) * g;
  }
}

/** Assigns bus numbers and BAR addresses to everything below `host`. Returns what was assigned. */
export function assignResources(host: PciHost, win: ResourceWindows): Assignment[] {
  const out: Assignment[] = [];
  const cw = (f: PciFunction, off: number, len: 1 | 2 | 4, v: number) => host.configWrite(f.busNumber, f.devfn, off, len, v, true);
  const cr = (f: PciFunction, off: number, len: 1 | 2 | 4) => host.configRead(f.busNumber, f.devfn, off, len, true);

  // 1. Bus numbers, depth-first (Linux/SeaBIOS order).
  let nextBus = host.rootBusNumber + 1;
  const number = (bus: PciBus) => {
    for (const br of bus.bridges()) {
      const sec = nextBus++;
      if (sec > 255) throw new RangeError('assignResources: more than 256 buses');
      cw(br, PCI_PRIMARY_BUS, 1, bus.number);
      cw(br, PCI_SECONDARY_BUS, 1, sec);
      cw(br, PCI_SUBORDINATE_BUS, 1, 0xff);
      number(br.secondary);
      cw(br, PCI_SUBORDINATE_BUS, 1, nextBus - 1);
    }
  };
  number(host.rootBus);

  // 2. BARs, per bus, largest first; bridges get windows around their children.
  const mem = new Cursor(win.mmio32.base, win.mmio32.base + win.mmio32.size, 'mmio32');
  const pref = win.mmio64 ? new Cursor(win.mmio64.base, win.mmio64.base + win.mmio64.size, 'mmio64') : mem;
  const io = win.io ? new Cursor(win.io.base, win.io.base + win.io.size, 'io') : null;
  const master = win.busMaster ?? true;

  const assignBus = (bus: PciBus) => {
    for (const f of bus.functions()) {
      if (f.isBridge) {
        const br = f as PciBridge;
        mem.alignTo(PCI_BRIDGE_MEM_GRANULE);
        if (pref !== mem) pref.alignTo(PCI_BRIDGE_MEM_GRANULE);
        io?.alignTo(PCI_BRIDGE_IO_GRANULE);
        const m0 = mem.next, p0 = pref.next, i0 = io?.next ?? 0;
        assignBars(br, PCI_NUM_BARS_TYPE1);
        assignBus(br.secondary);
        mem.alignTo(PCI_BRIDGE_MEM_GRANULE);
        if (pref !== mem) pref.alignTo(PCI_BRIDGE_MEM_GRANULE);
        io?.alignTo(PCI_BRIDGE_IO_GRANULE);
        setWindow16(br, PCI_MEMORY_BASE, PCI_MEMORY_LIMIT, m0, mem.next);
        if (pref !== mem) {
          setWindow16(br, PCI_PREF_MEMORY_BASE, PCI_PREF_MEMORY_LIMIT, p0, pref.next);
          cw(br, PCI_PREF_BASE_UPPER32, 4, Math.floor(p0 / 2 ** 32));
          cw(br, PCI_PREF_LIMIT_UPPER32, 4, Math.floor(Math.max(p0, pref.next - 1) / 2 ** 32));
        } else {
          cw(br, PCI_PREF_MEMORY_BASE, 2, 0xfff0); // closed: base > limit
          cw(br, PCI_PREF_MEMORY_LIMIT, 2, 0);
        }
        if (io !== null && io.next > i0) {
          cw(br, PCI_IO_BASE, 1, (i0 >> 8) & 0xf0);
          cw(br, PCI_IO_LIMIT, 1, ((io.next - 1) >> 8) & 0xf0);
        } else {
          cw(br, PCI_IO_BASE, 1, 0xf0);
          cw(br, PCI_IO_LIMIT, 1, 0);
        }
        enable(br);
      } else {
        assignBars(f, PCI_NUM_BARS_TYPE0);
        enable(f);
      }
    }
  };

  const setWindow16 = (br: PciBridge, baseReg: number, limitReg: number, start: number, end: number) => {
    if (end > start) {
      cw(br, baseReg, 2, Math.floor(start / 0x10000) & 0xfff0);
      cw(br, limitReg, 2, Math.floor((end - 1) / 0x10000) & 0xfff0);
    } else {
      cw(br, baseReg, 2, 0xfff0);
      cw(br, limitReg, 2, 0);
    }
  };

  const assignBars = (f: PciFunction, numBars: number) => {
    const found: Array<{ bar: number; size: number; io: boolean; is64: boolean; prefetch: boolean }> = [];
    for (let i = 0; i < numBars; i++) {
      const off = barOffset(i);
      const orig = cr(f, off, 4);
      cw(f, off, 4, 0xffffffff);
      const lo = cr(f, off, 4);
      cw(f, off, 4, orig);
      if (lo === 0) continue;
      const isIo = (lo & PCI_BASE_ADDRESS_SPACE_IO) !== 0;
      const is64 = !isIo && (lo & PCI_BASE_ADDRESS_MEM_TYPE_64) !== 0;
      let size: number;
      if (is64) {
        const origHi = cr(f, off + 4, 4);
        cw(f, off + 4, 4, 0xffffffff);
        const hi = cr(f, off + 4, 4);
        cw(f, off + 4, 4, origHi);
        // The read-back is ~(size - 1) over 64 bits with the type nibble: size = 2^64 - mask.
        size = Number((1n << 64n) - ((BigInt(hi >>> 0) << 32n) | BigInt((lo & 0xfffffff0) >>> 0)));
      } else {
        size = 2 ** 32 - ((lo & (isIo ? 0xfffffffc : 0xfffffff0)) >>> 0);
      }
      found.push({ bar: i, size, io: isIo, is64, prefetch: (lo & PCI_BASE_ADDRESS_MEM_PREFETCH) !== 0 });
      if (is64) i++;
    }
    found.sort((a, b) => b.size - a.size);
    for (const b of found) {
      const cur = b.io ? io : b.is64 && b.prefetch ? pref : mem;
      if (cur === null) continue;
      const addr = cur.take(b.size, b.size);
      const off = barOffset(b.bar);
      cw(f, off, 4, addr % 2 ** 32);
      if (b.is64) cw(f, off + 4, 4, Math.floor(addr / 2 ** 32));
      out.push({ fn: f, bar: b.bar, address: addr, size: b.size });
    }
  };

  const enable = (f: PciFunction) => {
    const cmd = cr(f, PCI_COMMAND, 2);
    cw(f, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY | (io !== null ? PCI_COMMAND_IO : 0) | (master ? PCI_COMMAND_MASTER : 0));
  };

  assignBus(host.rootBus);
  return out;
}

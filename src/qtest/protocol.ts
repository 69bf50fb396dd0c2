// The qtest text protocol of QEMU (system/qtest.c, softmmu/qtest.c in 7.2), independent of
// any transport: feed it the bytes a client sends, it answers through `send`.
//
// Requests are lines; a line is split at every single space (so "readl  0x10" has an empty
// argument, exactly as g_strsplit does). Every reply is one line. "IRQ raise N" /
// "IRQ lower N" lines are asynchronous notifications for intercepted interrupt lines; they
// are emitted when the level changes, which in this deterministic model is always during
// the command that caused it, hence before that command's reply.
//
// Malformed requests. QEMU 7.2 g_assert()s on most of them and dies (SIGABRT, "Bail out!"
// on stdout): a missing argument, a number it cannot parse, a port above 0xffff, "read"
// of 0 bytes, an empty line. A dead server helps nobody, so iommu-model answers those with
// a "FAIL <reason>" line and carries on: libqtest asserts that a reply starts with "OK", so
// a client still stops at the same request, now with a readable reason. QEMU's own
// non-fatal answers are reproduced as they are: "FAIL Unknown command 'x'", "FAIL Unknown
// device", "FAIL IRQ intercept already enabled", "ERR invalid argument size" (write /
// b64write with fewer than 3 data characters, sent without a log prefix) and a bare
// "FAIL" from module_load.

import type { QtestMachine, QtestMemory } from '../platform/machine-types.ts';
import { base64Decode, base64Encode } from './base64.ts';
import { parseI64, parseInt32, parseU64 } from './numbers.ts';

export interface QtestProtocolOptions {
  /**
   * Receives the session log in QEMU's -qtest-log format ("[R +t] request",
   * "[S +t] reply"). The time stamps are the *virtual* clock in seconds, not QEMU's wall
   * clock, so that a log is as deterministic as the session it records.
   */
  log?: (text: string) => void;
}

/** Largest `read`/`b64read` length: the hex or base64 reply must fit in one JS string. */
export const MAX_READ_BYTES = 128 * 1024 * 1024;
/** Largest `write`/`b64write`/`memset` length (QEMU would g_malloc it; we refuse rather than exhaust memory). */
export const MAX_WRITE_BYTES = 1024 * 1024 * 1024;

/** Highest address + 1 that a JS number carries exactly; beyond it nothing is mapped on any modelled machine. */
const ADDRESS_LIMIT = 2n ** 53n;
/** Chunk size for memset, so a large fill needs no large buffer. */
const MEMSET_CHUNK = 64 * 1024;

/** Raised inside the interpreter to turn into a FAIL reply. */
class Fail {
  constructor(readonly reason: string) {}
}

/** A reply QEMU sends without the log prefix ("ERR invalid argument size"). */
class Unprefixed {
  constructor(readonly text: string) {}
}
const ERR_ARG_SIZE = new Unprefixed('ERR invalid argument size');

function hex16(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

/** QEMU's hex2nib: -1 for a non-hex character (the byte then becomes garbage, as in QEMU). */
function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

export class QtestProtocol {
  private inbuf = '';
  private irqLevels = new Map<number, boolean>();
  private interceptedDevice: string | null = null;
  private isOpen = false;
  /** Last virtual time the machine reported, for log time stamps (reading the clock must not run timers). */
  private clockNs = 0;
  private readonly onIrq = (line: number, level: boolean): void => this.irqChanged(line, level);

  constructor(
    private readonly machine: QtestMachine,
    private readonly send: (text: string) => void,
    private readonly options: QtestProtocolOptions = {},
  ) {}

  /** The virtual time the machine last reported (0 before any clock command). */
  get virtualClockNs(): number {
    return this.clockNs;
  }

  /** The client connected (QEMU's CHR_EVENT_OPENED): forget reported IRQ levels, start the log. */
  opened(): void {
    this.irqLevels.clear();
    this.isOpen = true;
    this.options.log?.(`[I ${this.stamp()}] OPENED\n`);
  }

  /** The client went away (CHR_EVENT_CLOSED). */
  closed(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.options.log?.(`[I +${this.stamp()}] CLOSED\n`);
  }

  /** Bytes from the client (as a latin1 string, one char per byte); complete lines run at once. */
  feed(chunk: string): void {
    this.inbuf += chunk;
    let nl: number;
    while ((nl = this.inbuf.indexOf('\n')) >= 0) {
      const line = this.inbuf.slice(0, nl);
      this.inbuf = this.inbuf.slice(nl + 1);
      this.command(line);
    }
  }

  /** Run one request line (without its '\n'). */
  command(line: string): void {
    const words = line.split(' ');
    this.options.log?.(`[R +${this.stamp()}]${words.map((w) => ' ' + w).join('')}\n`);
    let reply: string | Unprefixed;
    try {
      reply = this.dispatch(words);
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      reply = `FAIL ${e.reason}`;
    }
    if (reply instanceof Unprefixed) this.reply(reply.text, false);
    else this.reply(reply);
  }

  private stamp(): string {
    return (this.clockNs / 1e9).toFixed(6);
  }

  private reply(text: string, prefixed = true): void {
    if (prefixed) this.options.log?.(`[S +${this.stamp()}] `);
    this.options.log?.(`${text}\n`);
    this.send(`${text}\n`);
  }

  private irqChanged(line: number, level: boolean): void {
    if ((this.irqLevels.get(line) ?? false) === level) return;
    this.irqLevels.set(line, level);
    this.reply(`IRQ ${level ? 'raise' : 'lower'} ${line}`);
  }

  // ---- argument helpers -------------------------------------------------------------

  private arg(words: string[], index: number): string {
    const w = words[index];
    if (w === undefined) throw new Fail(`missing argument for '${words[0]}'`);
    return w;
  }

  private u64(words: string[], index: number): bigint {
    const w = this.arg(words, index);
    const v = parseU64(w);
    if (v === null) throw new Fail(`invalid number '${w}'`);
    return v;
  }

  private i64(words: string[], index: number): bigint {
    const w = this.arg(words, index);
    const v = parseI64(w);
    if (v === null) throw new Fail(`invalid number '${w}'`);
    return v;
  }

  private int(words: string[], index: number): number {
    const w = this.arg(words, index);
    const v = parseInt32(w);
    if (v === null) throw new Fail(`invalid number '${w}'`);
    return v;
  }

  private port(words: string[]): number {
    const addr = this.u64(words, 1);
    if (addr > 0xffffn) throw new Fail(`port address 0x${addr.toString(16)} out of range (max 0xffff)`);
    return Number(addr);
  }

  private length(words: string[], index: number, max: number): number {
    const len = this.u64(words, index);
    if (len > BigInt(max)) throw new Fail(`length 0x${len.toString(16)} too large (at most 0x${max.toString(16)})`);
    return Number(len);
  }

  /** The address as a number, or -1 when [addr, addr+size) lies beyond what any machine maps. */
  private static addr(addr: bigint, size: number): number {
    return addr + BigInt(size) > ADDRESS_LIMIT ? -1 : Number(addr);
  }

  private readBytes(addr: bigint, len: number): Uint8Array {
    const data = new Uint8Array(len);
    const a = QtestProtocol.addr(addr, len);
    if (a >= 0) this.machine.memory.readBytes(a, data);
    return data;
  }

  private writeBytes(addr: bigint, data: Uint8Array): void {
    const a = QtestProtocol.addr(addr, data.length);
    if (a >= 0) this.machine.memory.writeBytes(a, data);
  }

  /** The device a path names: canonical when the machine can resolve paths, else the path text itself. */
  private resolve(path: string): string | null {
    return this.machine.resolveDevice ? this.machine.resolveDevice(path) : path;
  }

  private clock(ns: number): string {
    this.clockNs = ns;
    return `OK ${ns}`;
  }

  // ---- the commands ---------------------------------------------------------------

  private dispatch(words: string[]): string | Unprefixed {
    const cmd = words[0]!;
    const mem: QtestMemory = this.machine.memory;
    switch (cmd) {
      case '':
        // QEMU asserts on an empty request line only when the whole line is empty;
        // a line starting with a space is an unknown command ''.
        if (words.length === 1) throw new Fail('empty request');
        return `FAIL Unknown command ''`;

      case 'irq_intercept_in':
      case 'irq_intercept_out': {
        const path = this.arg(words, 1);
        const device = this.resolve(path);
        if (device === null) return 'FAIL Unknown device';
        if (this.interceptedDevice !== null) {
          return this.interceptedDevice === device ? 'OK' : 'FAIL IRQ intercept already enabled';
        }
        const direction = cmd === 'irq_intercept_in' ? 'in' : 'out';
        if (!this.machine.interceptIrqs(device, direction, this.onIrq)) return 'FAIL Unknown device';
        this.interceptedDevice = device;
        return 'OK';
      }

      case 'set_irq_in': {
        const path = this.arg(words, 1);
        const name = this.arg(words, 2);
        this.arg(words, 3);
        this.arg(words, 4);
        const device = this.resolve(path);
        if (device === null) return 'FAIL Unknown device';
        const line = this.int(words, 3);
        const level = this.int(words, 4);
        const gpio = name === 'unnamed-gpio-in' ? null : name;
        if (!this.machine.setIrqIn || !this.machine.setIrqIn(device, gpio, line, level)) {
          throw new Fail(`no input ${line} in GPIO list '${name}' of ${device}`);
        }
        return 'OK';
      }

      case 'outb':
      case 'outw':
      case 'outl': {
        this.arg(words, 2);
        const port = this.port(words);
        const value = this.u64(words, 2);
        const size = cmd === 'outb' ? 1 : cmd === 'outw' ? 2 : 4;
        // cpu_outb/w/l take uint8/16/32: the value is truncated, as C does.
        const v = Number(BigInt.asUintN(size * 8, value));
        this.machine.io?.write(port, size, v);
        return 'OK';
      }

      case 'inb':
      case 'inw':
      case 'inl': {
        const port = this.port(words);
        const size = cmd === 'inb' ? 1 : cmd === 'inw' ? 2 : 4;
        // With no port space (arm) QEMU's unassigned I/O reads all ones of the access size.
        const value = this.machine.io ? this.machine.io.read(port, size) >>> 0 : 2 ** (size * 8) - 1;
        return `OK 0x${value.toString(16).padStart(4, '0')}`;
      }

      case 'writeb':
      case 'writew':
      case 'writel':
      case 'writeq': {
        this.arg(words, 2);
        const addr = this.u64(words, 1);
        const value = this.u64(words, 2);
        if (cmd === 'writeq') {
          const a = QtestProtocol.addr(addr, 8);
          if (a >= 0) mem.write64(a, value);
        } else {
          const size = cmd === 'writeb' ? 1 : cmd === 'writew' ? 2 : 4;
          const a = QtestProtocol.addr(addr, size);
          if (a >= 0) mem.write(a, size, Number(BigInt.asUintN(size * 8, value)));
        }
        return 'OK';
      }

      case 'readb':
      case 'readw':
      case 'readl':
      case 'readq': {
        const addr = this.u64(words, 1);
        let value: bigint;
        if (cmd === 'readq') {
          const a = QtestProtocol.addr(addr, 8);
          value = a >= 0 ? BigInt.asUintN(64, mem.read64(a)) : 0n;
        } else {
          const size = cmd === 'readb' ? 1 : cmd === 'readw' ? 2 : 4;
          const a = QtestProtocol.addr(addr, size);
          value = a >= 0 ? BigInt(mem.read(a, size) >>> 0) : 0n;
        }
        return `OK 0x${hex16(value)}`;
      }

      case 'read': {
        this.arg(words, 2);
        const addr = this.u64(words, 1);
        const len = this.length(words, 2, MAX_READ_BYTES);
        if (len === 0) throw new Fail('read of 0 bytes'); // QEMU 7.2: g_assert(len)
        const data = this.readBytes(addr, len);
        return `OK 0x${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex')}`;
      }

      case 'b64read': {
        this.arg(words, 2);
        const addr = this.u64(words, 1);
        const len = this.length(words, 2, MAX_READ_BYTES);
        // 0 bytes is legal here and gives "OK " (an empty base64 string after the space).
        return `OK ${base64Encode(this.readBytes(addr, len))}`;
      }

      case 'write': {
        this.arg(words, 2);
        const hex = this.arg(words, 3);
        const addr = this.u64(words, 1);
        const len = this.length(words, 2, MAX_WRITE_BYTES);
        if (hex.length < 3) return ERR_ARG_SIZE;
        // As QEMU: the first two characters (normally "0x") are skipped unchecked; byte i
        // comes from characters 2i+2, 2i+3 while they exist, zeros fill the rest; a
        // non-hex character counts as -1 in QEMU's arithmetic, so it is reproduced.
        const data = new Uint8Array(len);
        for (let i = 0; i < len && i * 2 + 4 <= hex.length; i++) {
          const hi = hexNibble(hex.charCodeAt(i * 2 + 2));
          const lo = hexNibble(hex.charCodeAt(i * 2 + 3));
          data[i] = ((hi << 4) | lo) & 0xff;
        }
        this.writeBytes(addr, data);
        return 'OK';
      }

      case 'b64write': {
        this.arg(words, 2);
        const b64 = this.arg(words, 3);
        const addr = this.u64(words, 1);
        const len = this.length(words, 2, MAX_WRITE_BYTES);
        if (b64.length < 3) return ERR_ARG_SIZE;
        // QEMU writes SIZE bytes from its in-place decode buffer even when the data decodes
        // to fewer bytes, so the tail is whatever the buffer held (leftover base64 text,
        // then heap). That is undefined, not a behaviour to copy: the tail is zeros here,
        // like `write`'s documented zero fill. Extra decoded bytes are dropped, as in QEMU.
        const decoded = base64Decode(b64);
        const data = new Uint8Array(len);
        data.set(decoded.subarray(0, len));
        this.writeBytes(addr, data);
        return 'OK';
      }

      case 'memset': {
        this.arg(words, 2);
        this.arg(words, 3);
        const addr = this.u64(words, 1);
        const len = this.length(words, 2, MAX_WRITE_BYTES);
        const pattern = Number(this.u64(words, 3) & 0xffn); // memset() uses the low byte
        const chunk = new Uint8Array(Math.min(len, MEMSET_CHUNK)).fill(pattern);
        for (let done = 0; done < len; done += chunk.length) {
          const n = Math.min(chunk.length, len - done);
          this.writeBytes(addr + BigInt(done), n === chunk.length ? chunk : chunk.subarray(0, n));
        }
        return 'OK';
      }

      case 'endianness':
        return this.machine.bigEndian ? 'OK big' : 'OK little';

      case 'clock_step': {
        if (words[1] === undefined) return this.clock(this.machine.clockStep());
        const ns = this.i64(words, 1);
        // QEMU warps to now + ns only while the clock is behind: a negative step does nothing.
        return this.clock(this.machine.clockStep(ns > 0n ? Number(ns) : 0));
      }

      case 'clock_set': {
        const ns = this.i64(words, 1);
        return this.clock(this.machine.clockSet(ns > 0n ? Number(ns) : 0));
      }

      case 'module_load':
        // No loadable modules exist here; QEMU answers a bare FAIL for a module it cannot load.
        return 'FAIL';

      default:
        return `FAIL Unknown command '${cmd}'`;
    }
  }
}

// The subset of QEMU's command line that `iommu-model qtest` accepts: enough to run the
// same qtest scripts and libqtest-based tests that run against qemu-system-x86_64 /
// qemu-system-aarch64. Option syntax follows QEMU: "-opt value" or "--opt value"; option
// values are QemuOpts lists "first,key=value,..." where ",," is a literal comma and a bare
// "key" means key=on.

import type { MachineConfig } from '../platform/machine-types.ts';
import { parseSizeMiB } from './numbers.ts';

export type QtestChannel = { kind: 'stdio' } | { kind: 'unix'; path: string };

export interface QtestCommandLine {
  config: MachineConfig;
  /** Where the qtest protocol runs (`-qtest`; stdio when the option is absent). */
  qtest: QtestChannel;
  /** QMP monitor (`-mon chardev=ID,mode=control` or `-qmp`), if any. */
  qmp?: QtestChannel;
  /** `-qtest-log`: undefined = log to stderr (QEMU's default), 'none' = no log, else a file path. */
  log?: string;
  /** `-S`: start with the VM stopped (only visible through QMP query-status). */
  startStopped: boolean;
}

/** A command-line mistake; the message is what follows "iommu-model: ". */
export class CommandLineError extends Error {}

/** QEMU's default RAM size (MachineClass default_ram_size for q35 and virt). */
export const DEFAULT_RAM_BYTES = 128 * 1024 * 1024;

/** Split a QemuOpts string into its items, honouring ",," as an escaped comma. */
export function splitOpts(text: string): string[] {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ',') {
      if (text[i + 1] === ',') {
        cur += ',';
        i++;
        continue;
      }
      items.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  items.push(cur);
  return items;
}

/**
 * Parse "first,k=v,..." into the implied first value (when the first item has no '=')
 * and the properties. Empty items (a trailing comma, as some QEMU tests pass) are skipped.
 */
function parseOpts(option: string, text: string, impliedKey: string): { implied?: string; props: Record<string, string> } {
  const props: Record<string, string> = {};
  let implied: string | undefined;
  splitOpts(text).forEach((item, index) => {
    if (item === '') return;
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (index === 0) implied = item;
      else props[item] = 'on';
      return;
    }
    const key = item.slice(0, eq);
    if (key === '') throw new CommandLineError(`${option} ${text}: Invalid parameter ''`);
    if (key === impliedKey) implied = item.slice(eq + 1);
    else props[key] = item.slice(eq + 1);
  });
  return { implied, props };
}

/** QEMU machine type names we model, including versioned aliases (pc-q35-7.2, virt-7.2). */
function machineKind(type: string): 'q35' | 'virt' | null {
  if (type === 'q35' || /^pc-q35-\d+\.\d+$/.test(type)) return 'q35';
  if (type === 'virt' || /^virt-\d+\.\d+$/.test(type)) return 'virt';
  return null;
}

/**
 * Accelerators are accepted and ignored: no guest code ever runs in iommu-model, so every
 * accelerator behaves as QEMU's qtest one (the virtual clock only moves on clock_step /
 * clock_set). Tests commonly pass "-accel kvm -accel tcg" ahead of libqtest's "-accel qtest".
 */
const ACCELERATORS = new Set(['qtest', 'tcg', 'kvm']);

/** Options that take no value and change nothing here (the devices they add or remove are not modelled). */
const IGNORED_FLAGS = new Set(['nodefaults', 'no-user-config', 'nographic', 'no-reboot', 'no-shutdown']);
/** Options whose only accepted value is "none" (everything they would create is absent anyway). */
const NONE_ONLY = new Set(['display', 'serial', 'monitor', 'parallel', 'vga', 'net', 'audio']);

type Chardev = { id: string; channel: QtestChannel };

function parseChannel(option: string, spec: string, chardevs: Map<string, Chardev>): QtestChannel {
  if (spec === 'stdio') return { kind: 'stdio' };
  if (spec.startsWith('unix:')) {
    const items = splitOpts(spec.slice(5));
    const path = items[0]!;
    if (path === '') throw new CommandLineError(`${option} ${spec}: missing socket path`);
    for (const item of items.slice(1)) {
      // QEMU's legacy syntax: unix:PATH[,server=on|off][,wait=on|off]. iommu-model only
      // connects to a socket somebody else listens on (what libqtest does).
      if (item === 'server' || item === 'server=on') {
        throw new CommandLineError(`${option} ${spec}: server sockets are not supported; iommu-model connects to a listening socket`);
      }
      if (item !== 'server=off' && !item.startsWith('wait=') && item !== '') {
        throw new CommandLineError(`${option} ${spec}: unsupported socket option '${item}'`);
      }
    }
    return { kind: 'unix', path };
  }
  if (spec.startsWith('chardev:')) {
    const dev = chardevs.get(spec.slice(8));
    if (!dev) throw new CommandLineError(`${option} ${spec}: chardev '${spec.slice(8)}' not found`);
    return dev.channel;
  }
  throw new CommandLineError(`${option} ${spec}: unsupported character device (use stdio, unix:PATH or chardev:ID)`);
}

function parseChardev(text: string): Chardev {
  const { implied: backend, props } = parseOpts('-chardev', text, 'backend');
  const id = props['id'];
  if (!id) throw new CommandLineError(`-chardev ${text}: Parameter 'id' is missing`);
  if (backend === 'stdio') {
    return { id, channel: { kind: 'stdio' } };
  }
  if (backend === 'socket') {
    const path = props['path'];
    if (!path) throw new CommandLineError(`-chardev ${text}: only unix sockets (path=...) are supported`);
    if (props['server'] !== undefined && props['server'] !== 'off') {
      throw new CommandLineError(`-chardev ${text}: server sockets are not supported; iommu-model connects to a listening socket`);
    }
    return { id, channel: { kind: 'unix', path } };
  }
  throw new CommandLineError(`-chardev ${text}: unsupported chardev backend '${backend ?? ''}' (use socket or stdio)`);
}

function parseMemory(text: string): number {
  const { implied: size, props } = parseOpts('-m', text, 'size');
  const extra = Object.keys(props);
  if (extra.length > 0) {
    throw new CommandLineError(`-m ${text}: '${extra[0]}' is not supported (memory hotplug is not modelled)`);
  }
  if (size === undefined) throw new CommandLineError(`-m ${text}: missing size`);
  const bytes = parseSizeMiB(size);
  if (bytes === null) {
    throw new CommandLineError(
      `-m ${text}: Parameter 'size' expects a non-negative number below 2^64 ` +
        '(optional suffix B, K, M, G, T, P or E; MiB without a suffix)',
    );
  }
  // As QEMU's parse_memory_options: 0 means "the default", sizes round up to 8 KiB.
  if (bytes === 0n) return DEFAULT_RAM_BYTES;
  const aligned = (bytes + 8191n) & ~8191n;
  if (aligned > BigInt(Number.MAX_SAFE_INTEGER)) throw new CommandLineError(`-m ${text}: ram size too large`);
  return Number(aligned);
}

/** Parse the arguments that follow `iommu-model qtest`. Throws CommandLineError. */
export function parseQtestCommandLine(argv: readonly string[]): QtestCommandLine {
  let machine: 'q35' | 'virt' | undefined;
  const machineProps: Record<string, string> = {};
  let memoryBytes = DEFAULT_RAM_BYTES;
  const devices: MachineConfig['devices'] = [];
  let qtestSpec: string | undefined;
  let log: string | undefined;
  let startStopped = false;
  const chardevs = new Map<string, Chardev>();
  const monitors: string[] = [];
  let qmpSpec: string | undefined;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw new CommandLineError(`${arg}: unexpected argument (QEMU-style options expected)`);
    }
    const name = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    const value = (): string => {
      const v = argv[i + 1];
      if (v === undefined) throw new CommandLineError(`-${name}: requires an argument`);
      i++;
      return v;
    };
    if (IGNORED_FLAGS.has(name)) continue;
    if (NONE_ONLY.has(name)) {
      const v = value();
      if (v !== 'none') throw new CommandLineError(`-${name} ${v}: not supported (only '-${name} none')`);
      continue;
    }
    switch (name) {
      case 'machine':
      case 'M': {
        const text = value();
        const { implied, props } = parseOpts(`-${name}`, text, 'type');
        if (implied !== undefined) {
          const kind = machineKind(implied);
          if (kind === null) {
            throw new CommandLineError(`-${name} ${text}: unsupported machine type '${implied}' (supported: q35, virt)`);
          }
          machine = kind;
        }
        // QEMU merges repeated -machine options; "accel" is the old way to pick an accelerator.
        for (const [k, v] of Object.entries(props)) {
          if (k === 'accel') {
            for (const a of v.split(':')) {
              if (!ACCELERATORS.has(a)) throw new CommandLineError(`-${name} ${text}: invalid accelerator ${a}`);
            }
            continue;
          }
          machineProps[k] = v;
        }
        break;
      }
      case 'm':
        memoryBytes = parseMemory(value());
        break;
      case 'device': {
        const text = value();
        const { implied: driver, props } = parseOpts('-device', text, 'driver');
        if (!driver) throw new CommandLineError(`-device ${text}: Parameter 'driver' is missing`);
        devices.push({ driver, props });
        break;
      }
      case 'accel': {
        const text = value();
        const { implied: accel } = parseOpts('-accel', text, 'accel');
        if (!accel || !ACCELERATORS.has(accel)) throw new CommandLineError(`-accel ${text}: invalid accelerator ${accel ?? ''}`);
        break;
      }
      case 'qtest':
        qtestSpec = value();
        break;
      case 'qtest-log':
        log = value();
        break;
      case 'chardev': {
        const dev = parseChardev(value());
        if (chardevs.has(dev.id)) throw new CommandLineError(`-chardev: attempt to add duplicate property '${dev.id}'`);
        chardevs.set(dev.id, dev);
        break;
      }
      case 'mon': {
        const text = value();
        const { implied: chardev, props } = parseOpts('-mon', text, 'chardev');
        if (!chardev) throw new CommandLineError(`-mon ${text}: Parameter 'chardev' is missing`);
        if ((props['mode'] ?? 'readline') !== 'control') {
          throw new CommandLineError(`-mon ${text}: only mode=control (QMP) is supported; the human monitor is not`);
        }
        monitors.push(chardev);
        break;
      }
      case 'qmp':
        qmpSpec = value();
        break;
      case 'S':
        startStopped = true;
        break;
      case 'name':
      case 'run-with':
        // -name only labels the process; -run-with exit-with-parent is implied: iommu-model
        // exits when its qtest channel closes.
        value();
        break;
      default:
        throw new CommandLineError(`-${name}: invalid option`);
    }
  }

  if (machine === undefined) {
    throw new CommandLineError('no machine selected: pass -machine q35 or -machine virt');
  }
  const qtest = qtestSpec === undefined ? ({ kind: 'stdio' } as const) : parseChannel('-qtest', qtestSpec, chardevs);

  let qmp: QtestChannel | undefined;
  if (qmpSpec !== undefined) qmp = parseChannel('-qmp', qmpSpec, chardevs);
  for (const id of monitors) {
    const dev = chardevs.get(id);
    if (!dev) throw new CommandLineError(`-mon chardev=${id}: chardev '${id}' not found`);
    if (qmp !== undefined) throw new CommandLineError(`-mon chardev=${id}: only one QMP monitor is supported`);
    qmp = dev.channel;
  }
  if (qmp?.kind === 'stdio' && qtest.kind === 'stdio') {
    throw new CommandLineError('stdio cannot carry both the qtest protocol and QMP');
  }

  const result: QtestCommandLine = {
    config: { machine, machineProps, memoryBytes, devices },
    qtest,
    startStopped,
  };
  if (qmp !== undefined) result.qmp = qmp;
  if (log !== undefined) result.log = log;
  return result;
}

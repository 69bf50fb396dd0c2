// `-device` handling shared by the boards: QEMU-style property parsing and errors, and the
// edu device placed on the root bus where QEMU would put it.
import type { VirtualClock } from '../../bridge/clock.ts';
import { EduDevice } from '../devices/edu.ts';
import type { PciBus } from '../pci/bus.ts';
import { parseDevfn } from '../pci/bus.ts';
import type { PciFunction } from '../pci/function.ts';
import { PCI_HEADER_TYPE, PCI_HEADER_TYPE_MFD } from '../pci/regs.ts';

/** Thrown for a configuration QEMU would refuse; the message follows QEMU's wording. */
export class MachineConfigError extends Error {
  override name = 'MachineConfigError';
}

export interface PlacedDevice {
  readonly driver: string;
  readonly fn: PciFunction;
  /** QOM path QEMU gives it: /machine/peripheral/<id> or /machine/peripheral-anon/device[N]. */
  readonly path: string;
}

/** First free slot (function 0 free) on the bus, scanning upward like pci_bus_devfn_available. */
export function firstFreeDevfn(bus: PciBus, driver: string): number {
  for (let devfn = 0; devfn < 256; devfn += 8) if (bus.at(devfn) === null) return devfn;
  throw new MachineConfigError(`-device ${driver}: PCI: no slot/function available for ${driver}, all in use or reserved`);
}

/**
 * QEMU's uint64 property parser (qemu_strtou64 base 0, with the 0x/0 prefixes). Like
 * strtoull it takes a leading '-' and wraps (dma_mask=-1 is 2^64-1: QEMU 7.2 accepts it).
 */
export function parseU64Property(driver: string, prop: string, text: string, where = `-device ${driver},${prop}=${text}`): bigint {
  const t = text.trim();
  let v: bigint;
  try {
    const m = /^([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(t);
    if (!m) throw new Error('bad');
    const digits = m[2]!;
    v = /^0[0-7]+$/.test(digits) ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
    if (v >= 1n << 64n) throw new Error('range');
    if (m[1] === '-') v = ((1n << 64n) - v) & ((1n << 64n) - 1n);
  } catch {
    throw new MachineConfigError(`${where}: Parameter '${prop}' expects integer`);
  }
  return v;
}

/** QOM type names QEMU prints for the functions our boards create (pci_dev->name). */
const QEMU_TYPE_NAMES: Record<string, string> = { 'ich9-lpc': 'ICH9-LPC', 'ich9-smbus': 'ICH9-SMB' };
/** The id= of each placed device, for QEMU's "in use by TYPE,id=ID" message. */
const deviceIds = new WeakMap<PciFunction, string>();

function describeOccupant(fn: PciFunction): string {
  return `${QEMU_TYPE_NAMES[fn.name] ?? fn.name},id=${deviceIds.get(fn) ?? '(null)'}`;
}

/** Where QEMU's root buses are called pcie.0 (q35 and virt alike; pci.0 is the i440fx name). */
const ROOT_BUS = 'pcie.0';

/**
 * Creates an edu device from its -device properties and plugs it into `bus`. `ids` holds
 * the id= values already taken on the command line (QEMU refuses duplicates).
 */
export function placeEdu(bus: PciBus, clock: VirtualClock, props: Record<string, string>, anonIndex: number, ids: Set<string> = new Set()): PlacedDevice {
  const spec = '-device edu' + Object.entries(props).map(([k, v]) => `,${k}=${v}`).join('');
  let devfn = -1;
  let dmaMask: bigint | undefined;
  for (const [k, v] of Object.entries(props)) {
    if (k === 'id' || k === 'bus') continue;
    if (k === 'addr') {
      try {
        devfn = parseDevfn(v.replace(/^0x/i, ''));
      } catch {
        throw new MachineConfigError(`${spec}: Property 'edu.addr' doesn't take value '${v}'`);
      }
    } else if (k === 'dma_mask') {
      dmaMask = parseU64Property('edu', k, v, spec);
    } else {
      throw new MachineConfigError(`${spec}: Property 'edu.${k}' not found`);
    }
  }
  if (props.bus !== undefined && props.bus !== ROOT_BUS) {
    throw new MachineConfigError(`${spec}: Bus '${props.bus}' not found`);
  }
  if (props.id !== undefined && ids.has(props.id)) throw new MachineConfigError(`${spec}: Duplicate ID '${props.id}' for device`);
  if (devfn < 0) devfn = firstFreeDevfn(bus, 'edu');
  else if (bus.at(devfn) !== null) {
    throw new MachineConfigError(`${spec}: PCI: slot ${devfn >> 3} function ${devfn & 7} not available for edu, in use by ${describeOccupant(bus.at(devfn)!)}`);
  }
  checkMultifunction(bus, devfn, spec);
  const edu = new EduDevice({ clock, ...(dmaMask !== undefined ? { dmaMask } : {}) });
  bus.addFunction(edu, devfn);
  if (props.id !== undefined) {
    ids.add(props.id);
    deviceIds.set(edu, props.id);
  }
  const path = props.id !== undefined ? `/machine/peripheral/${props.id}` : `/machine/peripheral-anon/device[${anonIndex}]`;
  return { driver: 'edu', fn: edu, path };
}

/**
 * QEMU's pci_init_multifunction rules for a single-function device such as edu: a function
 * other than 0 needs function 0 absent or multifunction, and function 0 needs the other
 * functions of its slot empty.
 */
function checkMultifunction(bus: PciBus, devfn: number, spec: string): void {
  const slot = devfn >> 3;
  const fn = devfn & 7;
  const where = slot.toString(16);
  if (fn !== 0) {
    const f0 = bus.at(devfn & ~7);
    if (f0 !== null && (f0.cfg.get8(PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MFD) === 0) {
      throw new MachineConfigError(`${spec}: PCI: single function device can't be populated in function ${where}.${fn}`);
    }
    return;
  }
  for (let f = 1; f < 8; f++) {
    if (bus.at(devfn + f) !== null) {
      throw new MachineConfigError(`${spec}: PCI: ${where}.0 indicates single function, but ${where}.${f} is already populated.`);
    }
  }
}

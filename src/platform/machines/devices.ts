// `-device` handling shared by the boards: QEMU-style property parsing and errors, and the
// edu device placed on the root bus where QEMU would put it.
import type { VirtualClock } from '../../bridge/clock.ts';
import { EduDevice } from '../devices/edu.ts';
import type { PciBus } from '../pci/bus.ts';
import { parseDevfn } from '../pci/bus.ts';
import type { PciFunction } from '../pci/function.ts';

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

/** QEMU's uint64 property parser (qemu_strtou64 base 0, with the 0x/0 prefixes). */
export function parseU64Property(driver: string, prop: string, text: string): bigint {
  const t = text.trim();
  let v: bigint;
  try {
    if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(t)) throw new Error('bad');
    v = /^0[0-7]+$/.test(t) ? BigInt('0o' + t.slice(1)) : BigInt(t);
  } catch {
    throw new MachineConfigError(`-device ${driver},${prop}=${text}: Parameter '${prop}' expects a number`);
  }
  if (v >= 1n << 64n) throw new MachineConfigError(`-device ${driver},${prop}=${text}: Parameter '${prop}' expects a number`);
  return v;
}

/** Creates an edu device from its -device properties and plugs it into `bus`. */
export function placeEdu(bus: PciBus, clock: VirtualClock, props: Record<string, string>, anonIndex: number): PlacedDevice {
  let devfn = -1;
  let dmaMask: bigint | undefined;
  for (const [k, v] of Object.entries(props)) {
    if (k === 'id' || k === 'bus') continue;
    if (k === 'addr') {
      try {
        devfn = parseDevfn(v.replace(/^0x/i, ''));
      } catch {
        throw new MachineConfigError(`-device edu,addr=${v}: Property 'edu.addr' doesn't take value '${v}'`);
      }
    } else if (k === 'dma_mask') {
      dmaMask = parseU64Property('edu', k, v);
    } else {
      throw new MachineConfigError(`-device edu,${k}=${v}: Property 'edu.${k}' not found`);
    }
  }
  if (props.bus !== undefined && props.bus !== 'pcie.0' && props.bus !== 'pci.0') {
    throw new MachineConfigError(`-device edu,bus=${props.bus}: Bus '${props.bus}' not found`);
  }
  if (devfn < 0) devfn = firstFreeDevfn(bus, 'edu');
  else if (bus.at(devfn) !== null) {
    throw new MachineConfigError(`-device edu,addr=${props.addr}: PCI: slot ${devfn >> 3} function ${devfn & 7} not available for edu, in use by ${bus.at(devfn)!.name}`);
  }
  const edu = new EduDevice({ clock, ...(dmaMask !== undefined ? { dmaMask } : {}) });
  bus.addFunction(edu, devfn);
  const path = props.id !== undefined ? `/machine/peripheral/${props.id}` : `/machine/peripheral-anon/device[${anonIndex}]`;
  return { driver: 'edu', fn: edu, path };
}

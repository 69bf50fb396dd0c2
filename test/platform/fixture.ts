// A small q35-shaped platform for the PCI/edu tests: RAM at 0 in a memory space that reads
// 0 in holes (as QEMU's system memory), a 64 KiB I/O space that reads all-ones in holes,
// CF8/CFC mapped there, an ECAM window, a 24-input interrupt controller and an MSI router.
import { AddressSpace } from '../../src/bridge/address-space.ts';
import { VirtualClock } from '../../src/bridge/clock.ts';
import { CallbackRam } from '../../src/bridge/guest-ram.ts';
import { InterruptController, MsiRouter } from '../../src/bridge/irq.ts';
import type { TraceEvent } from '../../src/bridge/types.ts';
import { ConfigPorts, EcamWindow } from '../../src/platform/pci/config-access.ts';
import { PciHost } from '../../src/platform/pci/host.ts';
import { createQ35HostBridge } from '../../src/platform/pci/topology.ts';

export const RAM_SIZE = 0x400000;
export const ECAM_BASE = 0xb0000000;

export function platform(opts: { ecamBaseBus?: number; ecamBuses?: number } = {}) {
  const ramBytes = new Uint8Array(RAM_SIZE);
  const ram = new CallbackRam(RAM_SIZE, {
    read: (off, dst) => dst.set(ramBytes.subarray(off, off + dst.length)),
    write: (off, src) => ramBytes.set(src, off),
  });
  const events: TraceEvent[] = [];
  const trace = (e: TraceEvent) => void events.push(e);
  const memory = new AddressSpace({ name: 'memory', unmappedRead: 'zero' });
  memory.mapRam(0, ram);
  const io = new AddressSpace({ name: 'io', size: 0x10000 });
  const ioapic = new InterruptController('ioapic', 24);
  const msi = new MsiRouter(memory, 0xfee00000, 0x100000);
  const clock = new VirtualClock();
  // Test routing: root-bus device D pin P goes to input 16 + ((D + P) mod 8).
  const host = new PciHost({ memory, io, msi, intx: { controller: ioapic, map: (devfn, pin) => 16 + (((devfn >> 3) + pin) & 7) }, trace });
  host.rootBus.addFunction(createQ35HostBridge(), 0);
  const ports = new ConfigPorts(host);
  ports.map(io);
  const ecam = new EcamWindow(host, { baseBus: opts.ecamBaseBus ?? 0, buses: opts.ecamBuses ?? 256 });
  ecam.map(memory, ECAM_BASE);
  return { ramBytes, memory, io, ioapic, msi, clock, host, ports, ecam, events, trace };
}

export type Platform = ReturnType<typeof platform>;

/** CF8/CFC config read, as firmware does it. */
export function cfgRead(p: Platform, bus: number, devfn: number, reg: number, size: 1 | 2 | 4): number {
  p.io.write(0xcf8, 4, (0x80000000 | (bus << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0);
  return p.io.read(0xcfc + (reg & 3), size);
}

export function cfgWrite(p: Platform, bus: number, devfn: number, reg: number, size: 1 | 2 | 4, value: number): void {
  p.io.write(0xcf8, 4, (0x80000000 | (bus << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0);
  p.io.write(0xcfc + (reg & 3), size, value);
}

/** ECAM config accesses through the memory space. */
export function ecamRead(p: Platform, bus: number, devfn: number, reg: number, size: 1 | 2 | 4): number {
  return p.memory.read(ECAM_BASE + p.ecam.offsetOf(bus, devfn, reg), size);
}

export function ecamWrite(p: Platform, bus: number, devfn: number, reg: number, size: 1 | 2 | 4, value: number): void {
  p.memory.write(ECAM_BASE + p.ecam.offsetOf(bus, devfn, reg), size, value);
}

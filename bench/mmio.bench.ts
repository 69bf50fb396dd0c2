// MMIO register access through the AddressSpace (target: >= 20 M accesses/s), with the same
// accesses made directly on the device handler as the in-run reference.
import { AddressSpace } from '../src/bridge/address-space.ts';
import type { MmioHandler } from '../src/bridge/types.ts';
import { measure, report, type BenchResult } from './harness.ts';

const N = 2_000_000;

/** A plain 32-bit register bank: the cheapest possible device, so the cost measured is dispatch. */
function plainBank(): MmioHandler {
  const regs = new Uint32Array(64);
  return {
    read: (off) => regs[off >>> 2]!,
    write: (off, _size, v) => {
      regs[off >>> 2] = v;
    },
  };
}

export function runMmioBench(extra: Array<{ name: string; handler: MmioHandler; offsets: number[] }> = []): BenchResult[] {
  const results: BenchResult[] = [];
  const dev = plainBank();
  const direct = measure('handler called directly (reference)', N, () => {
    let acc = 0;
    for (let i = 0; i < N; i++) {
      dev.write((i & 15) << 2, 4, i);
      acc ^= dev.read((i & 15) << 2, 4);
    }
    if (acc === 0.5) console.log(acc);
  });
  results.push({ ...direct, opsPerSec: direct.opsPerSec * 2, nsPerOp: direct.nsPerOp / 2 });

  const as = new AddressSpace({ name: 'mem', unmappedRead: 'zero' });
  // A realistic map: RAM-sized holes and a few devices, so lookups are not trivially single-entry.
  for (let i = 0; i < 8; i++) as.mapMmio(0x10000000 + i * 0x100000, { name: `dev${i}`, size: 0x1000, handler: plainBank() });
  as.mapMmio(0x09050000, { name: 'target', size: 0x1000, handler: dev, validSizes: 4 | 8 });
  const viaAs = measure('AddressSpace write+read, same device', N, () => {
    let acc = 0;
    for (let i = 0; i < N; i++) {
      as.write(0x09050000 + ((i & 15) << 2), 4, i);
      acc ^= as.read(0x09050000 + ((i & 15) << 2), 4);
    }
    if (acc === 0.5) console.log(acc);
  });
  results.push({ ...viaAs, opsPerSec: viaAs.opsPerSec * 2, nsPerOp: viaAs.nsPerOp / 2 });

  const alternating = measure('AddressSpace reads alternating two devices', N, () => {
    let acc = 0;
    for (let i = 0; i < N; i++) acc ^= as.read(i & 1 ? 0x09050004 : 0x10300004, 4);
    if (acc === 0.5) console.log(acc);
  });
  results.push(alternating);

  report(results, results[0]);
  for (const e of extra) {
    const space = new AddressSpace({ name: 'mem', unmappedRead: 'zero' });
    space.mapMmio(0x09050000, { name: e.name, size: 0x20000, handler: e.handler, validSizes: 4 | 8 });
    const offs = e.offsets;
    const m = offs.length;
    const direct = measure(`${e.name}: read() called directly (reference)`, N, () => {
      let acc = 0;
      for (let i = 0; i < N; i++) acc ^= e.handler.read(offs[i % m]!, 4);
      if (acc === 0.5) console.log(acc);
    });
    const r = measure(`${e.name}: read through AddressSpace`, N, () => {
      let acc = 0;
      for (let i = 0; i < N; i++) acc ^= space.read(0x09050000 + offs[i % m]!, 4);
      if (acc === 0.5) console.log(acc);
    });
    results.push(direct, r);
    report([direct, r], direct);
  }
  return results;
}

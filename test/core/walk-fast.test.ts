// The walk engine's plain-table fast path (assembly/walk/fast.ts) must never change an
// outcome: for every format that declares one, walks with the fast path and walks where the
// decoder sees every descriptor agree on every byte of the result record and of memory (A/D
// updates), over random tables built mostly from table-like descriptors with random extra bits
// (reserved, PS, A, X, XD, APTable, high address bits) so that both sides of each pattern bit
// are exercised.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';

const RAM_SIZE = 64 << 10; // 16 tables of 4 KiB
const ram = new TestRam(RAM_SIZE);
const w = new Walker(ram.core);
const e = ram.core.exports;

function rng(seed: number): () => number {
  let x = seed | 0 || 0x2545f491;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Per format: bits usually set (each cleared 1 time in 10) and bits each set 1 time in 8. */
interface Pattern {
  base: bigint;
  noise: readonly number[];
}
const VTD_SS: Pattern = { base: 3n, noise: [2, 7, 8, 9, 11, 52, 62, 63, 40, 47] };
const VTD_FS: Pattern = { base: 7n, noise: [3, 4, 5, 6, 7, 8, 52, 63, 40, 47] };
const TCE: Pattern = { base: 3n, noise: [2, 40, 52, 56, 57, 62, 63] };
const VMSA: Pattern = { base: 3n, noise: [6, 7, 10, 11, 51, 52, 53, 54, 59, 60, 61, 62, 63, 40, 47] };

function fill(seed: number, pat: Pattern, bigEndian: boolean): void {
  const r = rng(seed);
  const dv = new DataView(ram.bytes().buffer, ram.bytes().byteOffset, RAM_SIZE);
  for (let off = 0; off < RAM_SIZE; off += 8) {
    let d: bigint;
    if (r() % 100 < 8) d = 0n;
    else {
      const page = BigInt(RAM_BASE + (r() % (RAM_SIZE >>> 12)) * 4096);
      d = page;
      for (let b = 0; b < 3; b++) if (((pat.base >> BigInt(b)) & 1n) !== 0n && r() % 10 !== 0) d |= 1n << BigInt(b);
      for (const b of pat.noise) if (r() % 8 === 0) d |= 1n << BigInt(b);
    }
    dv.setBigUint64(off, d, !bigEndian);
  }
}

function resultBytes(): string {
  const p = e.walk_result_ptr();
  return Buffer.from(new Uint8Array(e.memory.buffer, p, A.RES_BYTES)).toString('hex');
}

/** Walks every (iova, acc) twice - decoder only, then fast path - from the same memory, comparing. */
function differential(configure: () => number, walks: readonly [number, number][]): void {
  const before = ram.bytes().slice();
  const slow: string[] = [];
  e.walk_fast_enable(0);
  const cfgSlow = configure();
  for (const [va, acc] of walks) {
    w.walkAcc(va, acc);
    slow.push(resultBytes());
  }
  const memSlow = ram.bytes().slice();
  ram.bytes().set(before);
  e.walk_fast_enable(1);
  const cfgFast = configure();
  assert.is(cfgFast, cfgSlow, 'setup outcome');
  walks.forEach(([va, acc], i) => {
    w.walkAcc(va, acc);
    const got = resultBytes();
    if (got !== slow[i]) assert.unreachable(`iova 0x${va.toString(16)} acc ${acc}: fast ${got} vs decoder ${slow[i]}`);
  });
  assert.ok(Buffer.from(ram.bytes()).equals(Buffer.from(memSlow)), 'memory after hardware updates');
}

const walks = (bits: number) =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** Math.min(bits, 52) - 1 }), fc.integer({ min: 0, max: 7 })), { minLength: 20, maxLength: 40 });
const RUNS = 60;
const root = RAM_BASE;

test('VT-d second stage: fast path and decoder agree (AW 3/4/5 levels, SSEE, SSADE, SLLPS, SC)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom(39, 48, 52), fc.integer({ min: 0, max: 63 }), walks(57), (seed, aw, haw, flags, ws) => {
      fill(seed, VTD_SS, false);
      differential(() => {
        w.configureVtdSs({ root, aw, haw, pages2M: (flags & 1) !== 0, pages1G: (flags & 2) !== 0, snoop: (flags & 4) !== 0, tm: (flags & 8) !== 0, exec: (flags & 16) !== 0, accessDirty: (flags & 32) !== 0 });
        return w.configError;
      }, ws);
    }),
    { numRuns: RUNS },
  );
});

test('VT-d first stage: fast path and decoder agree (4/5 levels, NXE, A/D, WPE, SMEP)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.constantFrom(4, 5), fc.constantFrom(39, 48), fc.integer({ min: 0, max: 31 }), walks(48), (seed, levels, haw, flags, ws) => {
      fill(seed, VTD_FS, false);
      differential(() => {
        w.configureVtdFs({ root, levels, haw, nxe: (flags & 1) !== 0, pages1G: (flags & 2) !== 0, accessDirty: (flags & 4) !== 0, wpe: (flags & 8) !== 0, smep: (flags & 16) !== 0 });
        return w.configError;
      }, ws);
    }),
    { numRuns: RUNS },
  );
});

test('POWER TCE: fast path and decoder agree (big- and little-endian, 1-5 levels)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), walks(57), (seed, levels, le, ws) => {
      fill(seed, TCE, !le);
      differential(() => w.configureTce({ table: root, pageShift: 12, levels, levelBits: 9, littleEndian: le }), ws);
    }),
    { numRuns: RUNS },
  );
});

test('VMSAv8-64 stage 1: fast path and decoder agree (APTable/XNTable, HA/HD, output sizes)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 16, max: 39 }), fc.constantFrom(32, 40, 48), fc.integer({ min: 0, max: 7 }), walks(48), (seed, t0sz, oas, flags, ws) => {
      fill(seed, VMSA, false);
      differential(() => w.configureS1({ ttb0: root, t0sz, oas, ha: (flags & 1) !== 0, hd: (flags & 2) !== 0, hpd0: (flags & 4) !== 0 }), ws);
    }),
    { numRuns: RUNS },
  );
});

test.run();

// Full table walks (no TLB): VMSAv8-64 stage 1, 4K granule, 48-bit input, four levels to a
// 4 KiB page, over 64 MiB of guest RAM holding 16 Ki mapped pages scattered over the input
// space (so the walks touch many tables). Measured, in the same run:
//   - the WASM engine, one walk per call (Walker.walkAcc + the outputAddress getter),
//   - the WASM engine, batched (Walker.walkBatch, 256 walks per boundary crossing),
//   - the pure-TypeScript reference walker (test/core/ref/vmsav8.ts: full semantics, bigints),
//   - a minimal TypeScript walker (numbers, 4K stage 1 only, AF/AP read check only): the
//     cheapest honest JS walk, to show what the WASM engine costs or buys over plain JS.
// Every walker's answers are checked against the others before timing.
import { Core } from '../src/core/core.ts';
import { WasmRam } from '../src/bridge/guest-ram.ts';
import { Walker } from '../src/core/walk.ts';
import * as A from '../src/core/walk-abi.ts';
import { RefMemory, refWalkS1, type RefS1 } from '../test/core/ref/vmsav8.ts';
import { measure, report, type BenchResult } from './harness.ts';

const BASE = 0x4000_0000;
const RAM = 64 << 20;
const PAGES = 1 << 14;
const N = 1 << 18; // walks per round

/** Builds the tables; returns the mapped input addresses. */
function build(mem: Uint32Array): number[] {
  let next = BASE + 0x1000;
  const alloc = () => {
    const a = next;
    next += 0x1000;
    return a;
  };
  const vas: number[] = [];
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < PAGES; i++) {
    // 64 clusters of 256 pages each, scattered over the 48-bit space.
    const cluster = i >>> 8;
    const va = (cluster * 0x3_1f4b_2000_0000 + ((rnd() >>> 8) % 0x40000) * 0x1000) % 2 ** 48;
    let table = BASE;
    for (let lvl = 0; lvl < 3; lvl++) {
      const shift = 39 - 9 * lvl;
      const w = ((table - BASE) >>> 2) + (Math.floor(va / 2 ** shift) % 512) * 2;
      if (mem[w] === 0) {
        mem[w] = (alloc() | 3) >>> 0;
        mem[w + 1] = 0;
      }
      table = (mem[w]! & ~0xfff) >>> 0;
    }
    const w = ((table - BASE) >>> 2) + (Math.floor(va / 4096) % 512) * 2;
    const pa = 0x1_0000_0000 + i * 0x1000;
    mem[w] = ((pa % 2 ** 32) | 0x443 | 0x40) >>> 0; // page, AF, SH=0b00, AP[1]
    mem[w + 1] = Math.floor(pa / 2 ** 32);
    vas.push(va + (i % 4096));
  }
  return vas;
}

/** Minimal TS walker: 4 levels, 4K, reads 32-bit halves, checks valid/table/AF and nothing else. */
function tsWalk(mem: Uint32Array, va: number): number {
  let table = BASE;
  for (let lvl = 0; lvl < 4; lvl++) {
    const shift = 39 - 9 * lvl;
    const w = ((table - BASE) >>> 2) + (Math.floor(va / 2 ** shift) % 512) * 2;
    const lo = mem[w]!;
    const hi = mem[w + 1]!;
    if ((lo & 1) === 0) return -1;
    const addr = (lo & ~0xfff) >>> 0;
    if (lvl === 3) {
      if ((lo & 0x400) === 0) return -1;
      return (hi & 0xffff) * 2 ** 32 + addr + (va % 4096);
    }
    if ((lo & 2) === 0) return -1;
    table = addr;
  }
  return -1;
}

export function runWalkBench(): BenchResult[] {
  const core = new Core();
  const ram = new WasmRam(core, RAM);
  core.exports.ram_map(BASE, RAM, ram.coreOffset);
  const view = ram.view();
  const mem = new Uint32Array(view.buffer, view.byteOffset, RAM >>> 2);
  const vas = build(mem);
  const w = new Walker(core);
  w.configureS1({ ttb0: BASE, t0sz: 16 });
  const refCfg: RefS1 = {
    ttb0: BigInt(BASE), ttb1: 0n, t0sz: 16, t1sz: 16, tg0: 4096, tg1: 4096, epd0: false, epd1: true, ips: 48, oasLimit: 48,
    ha: false, hd: false, affd: false, tbi0: false, tbi1: false, hpd0: false, hpd1: false, wxn: false, va52: false,
  };
  const refMem = new RefMemory().add(BASE, view);
  const acc = { write: false, exec: false, priv: true };

  // The order of walks: a pseudo-random permutation, so consecutive walks rarely share tables.
  const order = new Float64Array(N);
  const SPREAD = Number(process.env.WALK_SPREAD ?? vas.length);
  for (let i = 0; i < N; i++) order[i] = vas[((i * 7919) % vas.length) % SPREAD]!;
  for (let i = 0; i < 2048; i++) {
    const va = order[i]!;
    const st = w.walkAcc(va, A.ACC_PRIV);
    const oa = w.outputAddress;
    const r = refWalkS1(refCfg, refMem, BigInt(va), acc);
    if (st !== A.ST_OK || r.status !== A.ST_OK || Number(r.oa) !== oa || tsWalk(mem, va) !== oa) {
      throw new Error(`walk bench: walkers disagree at 0x${va.toString(16)} (wasm ${st}/${oa}, ref ${r.status}/${r.oa}, ts ${tsWalk(mem, va)})`);
    }
  }

  const results: BenchResult[] = [];
  const tsMin = measure('minimal TS walker (numbers, reference)', N, () => {
    let x = 0;
    for (let i = 0; i < N; i++) x += tsWalk(mem, order[i]!);
    if (x === 0.5) console.log(x);
  });
  const REF_N = N >>> 6;
  const ref = measure('TS reference walker (test/core/ref, bigint)', REF_N, () => {
    let x = 0n;
    for (let i = 0; i < REF_N; i++) x += refWalkS1(refCfg, refMem, BigInt(order[i]!), acc).oa;
    if (x === 1n) console.log(x);
  }, 3);
  const single = measure('WASM engine, one walk per call', N, () => {
    let x = 0;
    for (let i = 0; i < N; i++) {
      w.walkAcc(order[i]!, A.ACC_PRIV);
      x += w.outputAddress;
    }
    if (x === 0.5) console.log(x);
  });
  const out = new Float64Array(N);
  const st = new Uint32Array(N);
  const batched = measure('WASM engine, batched (256 per call)', N, () => {
    w.walkBatch(order, A.ACC_PRIV, out, st);
  });
  results.push(tsMin, ref, single, batched);
  report(results, tsMin);
  console.log(`WASM one walk per call vs TS reference walker: ${(ref.nsPerOp / single.nsPerOp).toFixed(1)}x; batched: ${(ref.nsPerOp / batched.nsPerOp).toFixed(1)}x`);
  return results;
}

if (process.argv[1]?.endsWith('/walk.bench.ts')) runWalkBench();

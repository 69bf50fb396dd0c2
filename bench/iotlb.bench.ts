// IOTLB hits (targets: >= 60 M hits/s per call, >= 200 M hits/s batched), with the pure-TS
// Map-based reference TLB (test/core/ref/iotlb.ts) measured on the same iova streams in the same
// run. Every measured loop checks its hit count, so a benchmark of misses cannot pass as hits.
import { Core } from '../src/core/core.ts';
import { Iotlb, IotlbKind as K } from '../src/core/iotlb.ts';
import { RefIotlb } from '../test/core/ref/iotlb.ts';
import { measure, report, type BenchResult } from './harness.ts';

const N = 1 << 20; // lookups per round
const BATCH = 4096;
const KB4 = 0x1000;
const VMID = 1;
const ASID = 7;
const BASE = 0x1_0000_0000;

/** A stream of `N` iovas: random pages of the working set, random offsets (deterministic). */
function randomStream(pages: number): Float64Array {
  const s = new Float64Array(N);
  let x = 0x2545f491;
  for (let i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    s[i] = BASE + (r % pages) * KB4 + ((r >>> 20) & 0xff8);
  }
  return s;
}

/** DMA-like stream: 64-byte bursts walking through consecutive pages of the working set. */
function streamingStream(pages: number): Float64Array {
  const s = new Float64Array(N);
  for (let i = 0; i < N; i++) s[i] = BASE + ((i >>> 6) % pages) * KB4 + (i & 63) * 64;
  return s;
}

function populate(t: Iotlb, ref: RefIotlb, pages: number): void {
  const put = (asid: number, iova: number, pa: number, shift: number) => {
    t.insert({ kind: K.SMMU_S1, vmid: VMID, asid }, { iova, pa, pageShift: shift, perm: 3, level: shift === 12 ? 3 : 2, granuleShift: 12 });
    ref.insert({
      kind: K.SMMU_S1, vmid: VMID, asid, did: 0, pasid: 0, liobn: 0, base: BigInt(iova), shift, out: BigInt(pa),
      perm: 3, attr: 0, attr2: 0, level: shift === 12 ? 3 : 2, granuleShift: 12, global: false, table: false,
    });
  };
  for (let p = 0; p < pages; p++) put(ASID, BASE + p * KB4, 0x8_0000_0000 + p * 0x3000, 12);
  // Other contexts and a block size in the same TLB, as a real SMMU would have.
  for (let p = 0; p < 64; p++) put(ASID + 1, BASE + p * KB4, 0x9_0000_0000 + p * KB4, 12);
  for (let b = 0; b < 8; b++) put(ASID, 0x40_0000_0000 + b * 0x20_0000, 0xa_0000_0000 + b * 0x20_0000, 21);
}

/**
 * The measured loops, as methods of one object (as a model calls its TLB): no closure-context
 * specialization, so the order of the measurements does not change their results.
 */
class Workload {
  constructor(
    readonly t: Iotlb,
    readonly ref: RefIotlb,
    readonly stream: Float64Array,
  ) {}
  reference(): void {
    const { ref, stream } = this;
    let hits = 0;
    for (let i = 0; i < N; i++) if (ref.lookup(K.SMMU_S1, VMID, ASID, 0, 0, 0, stream[i]!) >= 0) hits++;
    if (hits !== N) throw new Error(`reference: ${N - hits} misses`);
  }
  perCall(): void {
    const { t, stream } = this;
    let hits = 0;
    let acc = 0;
    for (let i = 0; i < N; i++) {
      if (t.lookup(K.SMMU_S1, VMID, ASID, 0, 0, 0, stream[i]!)) {
        hits++;
        acc += t.pa;
      }
    }
    if (hits !== N || acc === 0) throw new Error(`per call: ${N - hits} misses`);
  }
  batched(): void {
    const { t, stream } = this;
    const inp = t.batchIova;
    let hits = 0;
    for (let off = 0; off < N; off += BATCH) {
      inp.set(stream.subarray(off, off + BATCH));
      hits += t.lookupBatch(K.SMMU_S1, VMID, ASID, 0, 0, 0, BATCH);
    }
    if (hits !== N) throw new Error(`batched: ${N - hits} misses`);
  }
}

export function runIotlbBench(): BenchResult[] {
  const all: BenchResult[] = [];
  // One core for every configuration: Iotlb.lookup then always calls the same wasm export, as
  // in a machine (a second Core instance would make that call site polymorphic, and V8 stops
  // inlining the JS-to-wasm call: about 35% slower per call).
  const core = new Core();
  for (const pages of [64, 1024]) {
    const t = new Iotlb(core, { entries: 4096, ways: 4, batchCapacity: BATCH });
    const ref = new RefIotlb();
    populate(t, ref, pages);
    const evicted = t.stats().evictions;
    if (evicted !== 0) throw new Error(`iotlb bench: the working set does not fit (${evicted} evictions)`);
    const results: BenchResult[] = [];
    for (const [label, stream] of [
      ['random pages', randomStream(pages)],
      ['64-byte DMA bursts', streamingStream(pages)],
    ] as const) {
      const w = new Workload(t, ref, stream);
      const name = `${pages} pages, ${label}:`;
      results.push(
        measure(`${name} TS Map reference`, N, () => w.reference()),
        measure(`${name} lookup() + pa per call`, N, () => w.perCall()),
        measure(`${name} lookupBatch(${BATCH})`, N, () => w.batched()),
      );
    }
    report(results, results[0]);
    all.push(...results);
  }
  return all;
}

// `node --import tsx bench/iotlb.bench.ts` runs it alone.
if (process.argv[1]?.endsWith('/iotlb.bench.ts')) {
  console.log(`node ${process.version}, ${process.arch}\n`);
  console.log('== IOTLB hits (targets: >= 60 M/s per call, >= 200 M/s batched)');
  runIotlbBench();
}

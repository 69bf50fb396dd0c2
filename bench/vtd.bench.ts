// VT-d translate through the model's public API (Vtd.translate: context entry resolved from the
// context cache, then the core's IOTLB or a second-stage walk), per call, against the core alone
// (the same kind of Translator called directly) and a pure-TS reference (a Map TLB over a minimal
// number-only 3-level walker of the same tables). "Batched" is the core's batch API on the
// context's tables (the model itself has no batch entry point yet).
import { Access } from '../src/bridge/types.ts';
import { Walker } from '../src/core/walk.ts';
import { Iotlb, IotlbKind } from '../src/core/iotlb.ts';
import { Translator } from '../src/core/translate.ts';
import * as R from '../src/regs/generated/vtd.ts';
import { vtdFixture, sid } from '../test/hw/vtd/fixture.ts';
import { measure, report, type BenchResult } from './harness.ts';
import { RefTranslate, type Format } from './translate.bench.ts';

const N = 1 << 17;
const PAGES = 4096;
const HOT = 64;

export function runVtdBench(): BenchResult[] {
  const t = vtdFixture();
  const s = sid(0, 4, 0);
  const top = t.newTable();
  for (let i = 0; i < PAGES; i++) t.map(top, i * 0x1000, 0x20_0000 + (i % 64) * 0x1000);
  t.contextEntry(s, { SLPTPTR: top >> 12, TT: 0 }, { DID: 5 });
  t.bringUp();
  const req = { requester: { name: 'edu', segment: 0, requesterId: s, streamId: s }, iova: 0, access: Access.READ };
  if (!t.vtd.translate({ ...req, iova: 0x1000 }).ok) throw new Error('vtd bench: setup does not translate');

  const hot = new Float64Array(N);
  const miss = new Float64Array(N);
  let x = 0x2545f491;
  for (let i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    hot[i] = ((x >>> 0) % HOT) * 0x1000 + ((x >>> 20) & 0xff8);
    miss[i] = ((i * 769) % PAGES) * 0x1000 + 8;
  }
  const w = new Walker(t.core);
  w.configureVtdSs({ root: top, aw: 1, haw: 39 });
  const core = new Translator(t.core, { walker: w, tlb: new Iotlb(t.core, { entries: 1024, ways: 4 }), kind: IotlbKind.VTD_SS, did: 77 });
  const view = t.ram.view();
  const dv = new DataView(view.buffer, view.byteOffset, view.byteLength);
  const fmt: Format = {
    name: 'vtd', kind: IotlbKind.VTD_SS, pageShift: 12, build: () => {}, configure: () => 0,
    tsWalk: (d, root, va) => {
      let tb = root;
      for (let l = 2; l >= 0; l--) {
        const off = tb + (Math.floor(va / 2 ** (12 + 9 * l)) % 512) * 8;
        const lo = d.getUint32(off, true);
        if ((lo & 3) === 0) return -1;
        const a = (d.getUint32(off + 4, true) & 0xfffff) * 2 ** 32 + ((lo & ~0xfff) >>> 0);
        if (l === 0) return a + (va % 4096);
        tb = a;
      }
      return -1;
    },
  };
  const out = new Float64Array(N);
  const st = new Uint32Array(N);
  const all: BenchResult[] = [];
  for (const [label, s0] of [['IOTLB hits', hot], ['misses (walk + insert)', miss]] as const) {
    const refT = new RefTranslate(dv, top, fmt, 1024);
    const ref = measure(`TS reference ${label}`, N, () => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += refT.translate(s0[i]!);
      if (sum < 0) throw new Error('fault');
    }, 5);
    const one = measure(`core alone ${label}: Translator per call`, N, () => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += core.translate(s0[i]!, 0);
      if (sum < 0) throw new Error('fault');
    }, 5);
    const bat = measure(`core alone ${label}: batched`, N, () => {
      if (core.translateBatch(s0, 0, out, st) !== N) throw new Error('fault');
    }, 5);
    const model = measure(`VT-d ${label}: translate() per call`, N, () => {
      let sum = 0;
      for (let i = 0; i < N; i++) {
        req.iova = s0[i]!;
        const r = t.vtd.translate(req);
        if (r.ok) sum += r.pa;
      }
      if (sum === 0.5) console.log(sum);
    }, 5);
    report([ref, one, bat, model], ref);
    all.push(ref, one, bat, model);
  }
  if ((t.r32(R.VTD_FSTS) & R.VTD_FSTS_PPF_MASK) !== 0) throw new Error('vtd bench: faults were recorded');
  return all;
}

if (process.argv[1]?.endsWith('/vtd.bench.ts')) runVtdBench();

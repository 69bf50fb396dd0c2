// SMMUv3 translate through the model's public API (Smmuv3.translate / translateBatch): the STE
// and CD are resolved from the configuration cache, then the core's IOTLB answers (hits) or the
// table walker runs and inserts (misses). Measured in the same run against the core alone (the
// same Translator called directly, no STE/CD lookup) and a pure-TS reference (a Map TLB over a
// minimal number-only walker of the same tables).
import { Access } from '../src/bridge/types.ts';
import { Translator } from '../src/core/translate.ts';
import { IotlbKind } from '../src/core/iotlb.ts';
import { Walker } from '../src/core/walk.ts';
import * as A from '../src/core/walk-abi.ts';
import { CDTAB, RAM_BASE, STRTAB, buildS1, linuxCd, s1Ste, smmuFixture } from '../test/hw/smmuv3/fixture.ts';
import { measure, report, type BenchResult } from './harness.ts';
import { FORMATS, RefTranslate } from './translate.bench.ts';

const SID = 8;
const PAGES = 4096;
const HOT = 64;
const N = 1 << 17;

export function runSmmuv3Bench(): BenchResult[] {
  const t = smmuFixture({ iotlb: { entries: 1024, ways: 4 } });
  t.bringUp();
  const maps = [];
  for (let i = 0; i < PAGES; i++) maps.push({ iova: i * 0x1000, pa: RAM_BASE + 0x10_0000 + (i % 64) * 0x1000 });
  const ttb = buildS1(t.put64, maps);
  t.putWords(CDTAB, linuxCd(ttb, 1));
  t.putWords(STRTAB + SID * 64, s1Ste(CDTAB));
  const req = { requester: { name: 'dev', segment: 0, requesterId: SID, streamId: SID }, iova: 0, access: Access.READ };
  const hot = new Float64Array(N);
  const miss = new Float64Array(N);
  let x = 0x2545f491;
  for (let i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    hot[i] = ((x >>> 0) % HOT) * 0x1000 + ((x >>> 20) & 0xff8);
    miss[i] = ((i * 769) % PAGES) * 0x1000 + 8; // 4096 pages through a 1024-entry IOTLB: every access misses
  }
  if (!t.smmu.translate({ ...req, iova: hot[0]! }).ok) throw new Error('smmuv3 bench: setup does not translate');

  // The core alone: a Translator on a walker configured like the CD, its own IOTLB tags.
  const w = new Walker(t.core);
  w.configureS1({ ttb0: ttb, t0sz: 16, oas: 44, oasLimit: 44 });
  const core = new Translator(t.core, { walker: w, tlb: t.smmu.iotlb, kind: IotlbKind.SMMU_S1, vmid: 0, asid: 99 });
  // The pure-TS reference: a 1024-page FIFO Map TLB over a minimal number-only VMSA walker,
  // reading the same tables (bench/translate.bench.ts). Its table walker is relative to the
  // RAM base, like the fixture's DataView.
  const view = t.ram.view();
  const dv = new DataView(view.buffer, view.byteOffset, view.byteLength);
  const vmsa = { ...FORMATS[0]!, tsWalk: (d: DataView, root: number, va: number) => walkRel(d, root, va) };
  const out = new Float64Array(N);
  const st = new Uint32Array(N);

  const results: BenchResult[] = [];
  const row = (label: string, s: Float64Array) => {
    const model = measure(`SMMUv3 ${label}: translate() per call`, N, () => {
      let sum = 0;
      for (let i = 0; i < N; i++) {
        req.iova = s[i]!;
        const r = t.smmu.translate(req);
        if (r.ok) sum += r.pa;
      }
      if (sum === 0.5) console.log(sum);
    }, 5);
    const batch = measure(`SMMUv3 ${label}: translateBatch()`, N, () => {
      if (t.smmu.translateBatch(SID, s, Access.READ, out, st) !== N) throw new Error('fault in the benchmark');
    }, 5);
    const coreOne = measure(`core alone ${label}: Translator per call`, N, () => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += core.translate(s[i]!, 0);
      if (sum < 0) throw new Error('fault in the benchmark');
    }, 5);
    const refT = new RefTranslate(dv, ttb, vmsa, 1024);
    const ref = measure(`TS reference ${label}: Map TLB + TS walker`, N, () => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += refT.translate(s[i]!);
      if (sum < 0) throw new Error('fault in the benchmark');
    }, 5);
    report([ref, coreOne, model, batch], ref);
    results.push(ref, coreOne, model, batch);
  };
  row('IOTLB hits', hot);
  row('misses (walk + insert)', miss);
  const stats = t.smmu.iotlb.stats();
  console.log(`(IOTLB: ${stats.hits} hits, ${stats.misses} misses over the run; events written: ${t.r32(0x100a8)})`);
  void A;
  return results;
}

/** 4-level 4K walk over the fixture's RAM (DataView at RAM_BASE); output or -1. */
function walkRel(dv: DataView, root: number, va: number): number {
  let t = root;
  for (let l = 3; l >= 0; l--) {
    const off = t - RAM_BASE + (Math.floor(va / 2 ** (12 + 9 * l)) % 512) * 8;
    const lo = dv.getUint32(off, true);
    const hi = dv.getUint32(off + 4, true);
    if ((lo & 3) !== 3) return -1;
    const addr = (hi & 0xfffff) * 2 ** 32 + ((lo & ~0xfff) >>> 0);
    if (l === 0) return addr + (va % 4096);
    t = addr;
  }
  return -1;
}

if (process.argv[1]?.endsWith('/smmuv3.bench.ts')) runSmmuv3Bench();

// Replacement and bookkeeping: deterministic victims (lowest invalid way, else the set's
// round-robin way), identical runs give identical evictions, capacity and statistics counters,
// in-place updates, geometry errors, snapshot/restore of the whole cache state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Core } from '../../src/core/core.ts';
import { Iotlb, IotlbKind as K } from '../../src/core/iotlb.ts';

const KB4 = 0x1000;

function put(t: Iotlb, page: number, asid = 1, perm = 3): number {
  return t.insert({ kind: K.SMMU_S1, vmid: 1, asid }, { iova: page * KB4, pa: 0x8000_0000 + page * KB4, pageShift: 12, perm, level: 3 });
}
function hit(t: Iotlb, page: number, asid = 1): boolean {
  return t.lookup(K.SMMU_S1, 1, asid, 0, 0, 0, page * KB4 + 0x10) === 1;
}
const cachedPages = (t: Iotlb) =>
  t
    .entries()
    .map((e) => Number(e.iova) / KB4)
    .sort((a, b) => a - b);

test('one set of 4 ways: the fifth insert evicts the first (round robin), the sixth the second', () => {
  const t = new Iotlb(new Core(), { entries: 4, ways: 4 });
  for (let p = 0; p < 4; p++) put(t, p);
  assert.equal(cachedPages(t), [0, 1, 2, 3]);
  put(t, 4);
  assert.equal(cachedPages(t), [1, 2, 3, 4]);
  put(t, 5);
  assert.equal(cachedPages(t), [2, 3, 4, 5]);
  assert.is(t.stats().evictions, 2);
  assert.is(t.stats().valid, 4);
});

test('an invalid way is filled before any valid entry is evicted, and lookups do not change the victim', () => {
  const t = new Iotlb(new Core(), { entries: 4, ways: 4 });
  for (let p = 0; p < 4; p++) put(t, p);
  t.tlbiNhVa(1, 1, 2 * KB4); // frees way 2
  for (let i = 0; i < 10; i++) hit(t, 0); // hits never protect or doom an entry
  put(t, 10);
  assert.equal(cachedPages(t), [0, 1, 3, 10], 'the freed way took the insert, nothing evicted');
  assert.is(t.stats().evictions, 0);
  put(t, 11); // full again: round robin starts at way 0
  assert.equal(cachedPages(t), [1, 3, 10, 11]);
});

test('the same sequence of calls gives the same evictions and the same contents, slot for slot', () => {
  const run = () => {
    const t = new Iotlb(new Core(), { entries: 64, ways: 4 });
    const log: string[] = [];
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 2000; i++) {
      const page = Math.floor(rnd() * 300);
      const before = t.stats().evictions;
      if (rnd() < 0.1) t.tlbiNhVaa(1, page * KB4);
      else if (!hit(t, page, 1 + (page & 1))) put(t, page, 1 + (page & 1));
      if (t.stats().evictions !== before) log.push(`${i}:${page}`);
    }
    return { log, entries: t.entries(), stats: t.stats() };
  };
  const a = run();
  const b = run();
  assert.ok(a.log.length > 100, 'the workload evicts');
  assert.equal(a.log, b.log);
  assert.equal(a.entries, b.entries);
  assert.equal(a.stats, b.stats);
});

test('capacity: no more valid entries than sets x ways; evictions count displaced valid entries', () => {
  const t = new Iotlb(new Core(), { entries: 32, ways: 2 });
  assert.is(t.capacity, 32);
  assert.is(t.sets, 16);
  for (let p = 0; p < 500; p++) put(t, p);
  const s = t.stats();
  assert.is(s.valid, 32);
  assert.is(s.inserts, 500);
  assert.is(s.evictions, 500 - 32);
  assert.is(t.entries().length, 32);
});

test('ways that are not a power of two: capacity is exactly sets x ways', () => {
  const t = new Iotlb(new Core(), { entries: 6, ways: 6 });
  for (let p = 0; p < 20; p++) put(t, p);
  assert.is(t.stats().valid, 6);
  assert.equal(cachedPages(t), [14, 15, 16, 17, 18, 19]);
});

test('counters: hits, misses, inserts, updates, invalidated; resetStats keeps the entries', () => {
  const t = new Iotlb(new Core());
  put(t, 1);
  put(t, 2);
  put(t, 1, 1, 1); // same tag and page: updated in place
  assert.ok(hit(t, 1));
  assert.is(t.perm, 1, 'the update replaced the permissions');
  assert.ok(hit(t, 2));
  assert.not.ok(hit(t, 3));
  assert.not.ok(hit(t, 1, 2), 'another ASID');
  assert.equal(t.stats(), { hits: 2, misses: 2, inserts: 3, updates: 1, evictions: 0, invalidated: 0, valid: 2 });
  assert.is(t.tlbiNhAll(1), 2);
  assert.equal(t.stats(), { hits: 2, misses: 2, inserts: 3, updates: 1, evictions: 0, invalidated: 2, valid: 0 });
  put(t, 5);
  t.resetStats();
  assert.equal(t.stats(), { hits: 0, misses: 0, inserts: 0, updates: 0, evictions: 0, invalidated: 0, valid: 1 });
  assert.ok(hit(t, 5));
});

test('batched lookups count like single ones', () => {
  const t = new Iotlb(new Core(), { batchCapacity: 16 });
  put(t, 1);
  const inp = t.batchIova;
  inp.set([KB4, KB4 + 8, 2 * KB4, KB4 + 0xfff]);
  assert.is(t.lookupBatch(K.SMMU_S1, 1, 1, 0, 0, 0, 4), 3);
  assert.equal(Array.from(t.batchPa.subarray(0, 4)), [0x8000_1000, 0x8000_1008, -1, 0x8000_1fff]);
  assert.equal(Array.from(t.batchPerm.subarray(0, 4)), [3, 3, -1, 3]);
  assert.is(t.stats().hits, 3);
  assert.is(t.stats().misses, 1);
  assert.throws(() => t.lookupBatch(K.SMMU_S1, 1, 1, 0, 0, 0, 17), /n must be in 0\.\.16/);
});

test('geometry and argument errors are RangeErrors that say what was wrong', () => {
  const core = new Core();
  assert.throws(() => new Iotlb(core, { entries: 12, ways: 4 }), /entries must be ways \(4\) x a power of two/);
  assert.throws(() => new Iotlb(core, { ways: 65 }), /ways must be an integer in 1\.\.64/);
  const t = new Iotlb(core, { entries: 8, ways: 2 });
  assert.throws(() => t.insert({ kind: K.SMMU_S1 }, { iova: 0, pa: 0, pageShift: 11, perm: 0 }), /pageShift must be an integer in 12\.\.63/);
  assert.throws(() => t.insert({ kind: K.VTD_FS, pasid: 1 << 20 }, { iova: 0, pa: 0, pageShift: 12, perm: 0 }), /pasid must be/);
  assert.throws(() => t.insert({ kind: K.SMMU_S1 }, { iova: -4096, pa: 0, pageShift: 12, perm: 0 }), /iova must be a non-negative integer/);
  assert.throws(() => t.insert({ kind: K.SMMU_S1 }, { iova: 0, pa: 0, pageShift: 12, perm: 2 ** 31 }), /perm must be an integer in 0\.\.0x7fffffff/);
});

test('snapshot/restore carries entries, round-robin state and counters to another TLB', () => {
  const a = new Iotlb(new Core(), { entries: 8, ways: 2 });
  for (let p = 0; p < 20; p++) put(a, p);
  hit(a, 19);
  const snap = JSON.parse(JSON.stringify(a.snapshot()));
  const b = new Iotlb(new Core(), { entries: 8, ways: 2 });
  // b has its own history first: entries and micro-TLB lines the restore must replace.
  for (let p = 0; p < 30; p++) {
    b.insert({ kind: K.SMMU_S1, vmid: 1, asid: 1 }, { iova: p * KB4, pa: 0x7000_0000, pageShift: 12, perm: 1 });
    hit(b, p);
  }
  b.restore(snap);
  for (let p = 0; p < 30; p++) {
    const inA = hit(a, p) ? a.pa : -1;
    assert.is(hit(b, p) ? b.pa : -1, inA, `page ${p} after restore`);
  }
  assert.equal(b.entries(), a.entries());
  assert.equal(b.stats(), a.stats());
  // Same future: the same inserts evict the same entries.
  for (let p = 100; p < 110; p++) {
    put(a, p);
    put(b, p);
  }
  assert.equal(b.entries(), a.entries());
  assert.ok(hit(b, 109));
  assert.throws(() => new Iotlb(new Core(), { entries: 8, ways: 4 }).restore(snap), /geometry 4x2 differs from this TLB's 2x4/);
});

test('restore carries the micro-TLB state consistently: an invalidated translation stays invalidated', () => {
  const a = new Iotlb(new Core());
  put(a, 1);
  assert.ok(hit(a, 1)); // memoized in the micro-TLB
  a.tlbiNhVa(1, 1, KB4);
  const snap = a.snapshot();
  const b = new Iotlb(new Core());
  put(b, 9); // b has now made as many changes as a had when it memoized page 1
  b.restore(snap);
  assert.not.ok(hit(b, 1));
});

test.run();

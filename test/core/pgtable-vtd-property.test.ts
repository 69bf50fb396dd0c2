// Random map/unmap sequences on the VT-d second-stage writer against a model of Linux's
// generic_pt rules written as a list of leaves (no tables): map picks one leaf size for the
// whole range (the largest supported size to which iova and paddr are aligned and not above
// the largest power of two <= len) and stops at the first slot overlapping an existing leaf
// (-EADDRINUSE, counting the slots before); unmap removes whole leaves from iova on, stops at
// a hole, and removes nothing when iova is inside a leaf. After every step iova_to_phys, the
// WASM walker and the reference walker must agree with the model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Core } from '../../src/core/core.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import { PageArena } from '../../src/core/pgtable-arena.ts';
import { VtdSsPageTable, EADDRINUSE } from '../../src/core/pgtable-vtd.ts';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { RefMemory } from './ref/vmsav8.ts';
import { refVtdSsWalk } from './ref/vtd-ss.ts';

const BASE = 0x40000000;
const K4 = 0x1000;
const M2 = 0x200000;
const G1 = 0x40000000;

interface Leaf {
  iova: number;
  pa: number;
  size: number;
  prot: number;
}

class Model {
  leaves: Leaf[] = [];
  constructor(readonly bitmap: number) {}
  covering(a: number): Leaf | undefined {
    return this.leaves.find((l) => a >= l.iova && a < l.iova + l.size);
  }
  overlaps(a: number, size: number): boolean {
    return this.leaves.some((l) => l.iova < a + size && a < l.iova + l.size);
  }
  map(iova: number, pa: number, pgsize: number, pgcount: number, prot: number): { ret: number; mapped: number } {
    const len = pgsize * pgcount;
    let s: number;
    if (pgsize === K4 && pgcount === 1) s = K4;
    else {
      const hp = 2 ** Math.floor(Math.log2(len));
      s = 0;
      for (const c of [K4, M2, G1]) if (this.bitmap & c && iova % c === 0 && pa % c === 0 && c <= hp) s = c;
    }
    for (let a = iova; a <= iova + len - 1; a += s) {
      if (this.overlaps(a, s)) return { ret: -EADDRINUSE, mapped: a - iova };
      this.leaves.push({ iova: a, pa: pa + (a - iova), size: s, prot });
    }
    return { ret: 0, mapped: Math.ceil(len / s) * s };
  }
  unmap(iova: number, len: number): number {
    let cur = iova;
    let total = 0;
    for (;;) {
      const l = this.covering(cur);
      if (l === undefined || l.iova !== cur) break;
      this.leaves.splice(this.leaves.indexOf(l), 1);
      total += l.size;
      cur += l.size;
      if (cur > iova + len - 1) break;
    }
    return total;
  }
  phys(a: number): number {
    const l = this.covering(a);
    return l === undefined ? 0 : l.pa + (a - l.iova);
  }
}

type Op =
  | { kind: 'map'; page: number; count: number; big: boolean; delta: number; prot: number }
  | { kind: 'unmap'; page: number; count: number; big: boolean };

const WINDOW_PAGES = 4096; // 16 MiB of IOVA, eight 2M slots
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    page: fc.oneof(fc.integer({ min: 0, max: WINDOW_PAGES - 1 }), fc.integer({ min: 0, max: 7 }).map((x) => x * 512)),
    count: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 500, max: 1100 })),
    big: fc.boolean(),
    delta: fc.constantFrom(G1, 2 * G1, G1 + K4, G1 + M2),
    prot: fc.constantFrom(1, 2, 3),
  }),
  fc.record({
    kind: fc.constant('unmap' as const),
    page: fc.oneof(fc.integer({ min: 0, max: WINDOW_PAGES - 1 }), fc.integer({ min: 0, max: 7 }).map((x) => x * 512)),
    count: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 500, max: 2000 })),
    big: fc.boolean(),
  }),
);

test('random map/unmap sequences agree with the leaf model, iova_to_phys, the WASM walker and the reference walker', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.boolean(), (ops, with2M) => {
      const core = new Core();
      const ram = new WasmRam(core, 16 << 20);
      core.exports.ram_map(BASE, ram.size, ram.coreOffset);
      const arena = new PageArena(BASE, BASE + ram.size);
      const pt = new VtdSsPageTable(core, { addressWidth: 48, pages2M: with2M, pages1G: true }, arena);
      const model = new Model(pt.geometry.pgsizeBitmap);
      const w = new Walker(core);
      assert.is(w.configureVtdSs(pt.walkerConfig()), A.CFG_OK);
      const mem = new RefMemory().add(BASE, ram.view());
      const refCfg = { root: BigInt(pt.root), aw: 2, haw: 48, mgaw: 0, sllps2m: with2M, sllps1g: true, snp: false, tm: false, exec: false, ad: false };
      const probes = new Set<number>([0, K4, M2 - K4, M2, 3 * M2 + 0x123]);
      for (const op of ops) {
        const iova = op.big ? Math.floor(op.page / 512) * M2 : op.page * K4;
        const pgsize = op.big ? M2 : K4;
        const count = op.big ? Math.max(1, Math.min(3, op.count % 4)) : op.count;
        if (op.kind === 'map') {
          const pa = iova + op.delta;
          const got = pt.mapPages(iova, pa, pgsize, count, op.prot);
          const want = model.map(iova, pa, pgsize, count, op.prot);
          assert.equal(got, want, `map ${iova.toString(16)} -> ${pa.toString(16)} ${pgsize.toString(16)} x ${count}`);
        } else {
          const got = pt.unmap(iova, pgsize, count);
          assert.is(got, model.unmap(iova, pgsize * count), `unmap ${iova.toString(16)} ${pgsize.toString(16)} x ${count}`);
        }
        probes.add(iova).add(iova + 0x7ff).add(iova + pgsize * count - 1).add(iova + pgsize * count);
      }
      for (const a of probes) {
        const leaf = model.covering(a);
        assert.is(pt.iovaToPhys(a), model.phys(a), `iova_to_phys ${a.toString(16)}`);
        w.walk(a, 'read');
        const r = w.result();
        const ref = refVtdSsWalk(mem, refCfg, BigInt(a), false, false);
        if (leaf === undefined || !(leaf.prot & 1)) {
          assert.not.ok(r.ok, `walk ${a.toString(16)} must fault`);
          assert.is.not(ref.status, A.ST_OK);
        } else {
          assert.equal([r.ok, r.outputAddress, 2 ** r.pageShift, r.perm & 3], [true, model.phys(a), leaf.size, leaf.prot], `walk ${a.toString(16)}`);
          assert.equal([ref.status, Number(ref.oa), 2 ** ref.pageShift], [A.ST_OK, model.phys(a), leaf.size]);
        }
      }
      // Every table page the writer holds is reachable from the top, and destroy gives all back.
      assert.is(pt.liveTables(), pt.tables().length);
      assert.is(arena.live, pt.liveTables());
      pt.destroy();
      assert.is(arena.live, 0);
    }),
    { numRuns: 80, seed: 0x5eed },
  );
});

test.run();

// Differential property: random sequences of inserts, lookups and invalidations (every named
// command, random ranges, TTL/TG with and without strict hints) against the pure-TS reference
// TLB (test/core/ref/iotlb.ts), on a wasm TLB big enough never to evict. After every step the
// cached entries are the same set, every invalidation removes the same number of entries, and
// every lookup gives an answer the reference allows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Core } from '../../src/core/core.ts';
import { Iotlb, IotlbKind as K, smmuTlbiRange, vtdAmRange } from '../../src/core/iotlb.ts';
import { RefIotlb, type RefEntry, type RefScope } from './ref/iotlb.ts';

const KINDS = [K.SMMU_S1, K.SMMU_S2, K.SMMU_NESTED, K.SMMU_EL2, K.VTD_SS, K.VTD_FS, K.VTD_NESTED, K.VTD_PT, K.TCE, K.SOC];
const SHIFTS = [12, 14, 16, 21, 25, 30];
const SPAN = 0x1_0000_0000; // addresses within 4 GiB so pages collide often

type Op =
  | { op: 'insert'; kind: number; vmid: number; asid: number; did: number; pasid: number; liobn: number; iova: number; shift: number; pa: number; perm: number; global: boolean; table: boolean; level: number; granule: number; atLast: boolean }
  | { op: 'lookup'; kind: number; vmid: number; asid: number; did: number; pasid: number; liobn: number; iova: number; table: boolean; again: boolean }
  | { op: 'inv'; which: number; vmid: number; asid: number; did: number; pasid: number; liobn: number; addr: number; leaf: boolean; ttl: number; tg: number; num: number; scale: number; am: number };

const small = fc.nat(2);
const tiny = fc.nat(1);
const addr = fc.oneof(fc.nat(SPAN / 0x1000 - 1).map((p) => p * 0x1000), fc.nat(63).map((p) => 0x4000_0000 + p * 0x1000));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      kind: fc.constantFrom(...KINDS),
      vmid: tiny,
      asid: small,
      did: tiny,
      pasid: small,
      liobn: tiny,
      iova: addr,
      shift: fc.constantFrom(...SHIFTS),
      pa: fc.nat(0xf_ffff).map((p) => p * 0x1000),
      perm: fc.nat(15),
      global: fc.boolean(),
      table: fc.boolean(),
      level: fc.integer({ min: 1, max: 3 }),
      granule: fc.constantFrom(0, 12, 16),
      atLast: fc.boolean(), // at the address and tag of the previous lookup
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('lookup' as const),
      kind: fc.constantFrom(...KINDS),
      vmid: tiny,
      asid: small,
      did: tiny,
      pasid: small,
      liobn: tiny,
      iova: fc.oneof(addr, fc.nat(SPAN - 1)),
      table: fc.boolean(),
      again: fc.boolean(), // repeat the previous lookup (micro-TLB memo after changes)
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('inv' as const),
      which: fc.nat(25),
      vmid: tiny,
      asid: small,
      did: tiny,
      pasid: small,
      liobn: tiny,
      addr,
      leaf: fc.boolean(),
      ttl: fc.nat(3),
      tg: fc.nat(3),
      num: fc.nat(31),
      scale: fc.nat(20),
      am: fc.nat(20),
    }),
  },
);

const S1 = [K.SMMU_S1, K.SMMU_NESTED];
const VTD = [K.VTD_SS, K.VTD_FS, K.VTD_NESTED, K.VTD_PT];
const G: Record<number, number> = { 1: 12, 2: 14, 3: 16 };

/** Runs invalidation `o` on both TLBs; returns [wasm removed, reference removed]. */
function invalidate(t: Iotlb, ref: RefIotlb, o: Extract<Op, { op: 'inv' }>): [number, number] {
  const r = (s: RefScope) => ref.invalidate(s);
  const tlbi = { leaf: o.leaf, ttl: o.ttl, tg: o.tg, num: o.num, scale: o.scale };
  const sm = smmuTlbiRange(o.addr, o.tg, o.num, o.scale);
  const hint = { ttl: o.tg ? o.ttl : 0, granuleShift: G[o.tg] ?? 0, leafOnly: o.leaf };
  const am = vtdAmRange(o.addr, o.am);
  switch (o.which) {
    case 0: return [t.tlbiNhAll(o.vmid), r({ kinds: S1, vmid: o.vmid })];
    case 1: return [t.tlbiNhAsid(o.vmid, o.asid), r({ kinds: S1, vmid: o.vmid, asid: o.asid, keepGlobal: true })];
    case 2: return [t.tlbiNhVa(o.vmid, o.asid, o.addr, tlbi), r({ kinds: S1, vmid: o.vmid, asid: o.asid, ...sm, ...hint })];
    case 3: return [t.tlbiNhVaa(o.vmid, o.addr, tlbi), r({ kinds: S1, vmid: o.vmid, ...sm, ...hint })];
    case 4: return [t.tlbiEl2All(), r({ kinds: [K.SMMU_EL2] })];
    case 5: return [t.tlbiEl2Asid(o.asid), r({ kinds: [K.SMMU_EL2], asid: o.asid, keepGlobal: true })];
    case 6: return [t.tlbiEl2Va(o.asid, o.addr, tlbi), r({ kinds: [K.SMMU_EL2], asid: o.asid, ...sm, ...hint })];
    case 7: return [t.tlbiEl2Vaa(o.addr, tlbi), r({ kinds: [K.SMMU_EL2], ...sm, ...hint })];
    case 8: return [t.tlbiS12Vmall(o.vmid), r({ kinds: [...S1, K.SMMU_S2], vmid: o.vmid })];
    case 9: return [t.tlbiS2Ipa(o.vmid, o.addr, tlbi), r({ kinds: [K.SMMU_S2], vmid: o.vmid, ...sm, ...hint })];
    case 10: return [t.tlbiNsnhAll(), r({ kinds: [...S1, K.SMMU_S2] })];
    case 11: return [t.iotlbGlobal(), r({ kinds: VTD })];
    case 12: return [t.iotlbDomain(o.did), r({ kinds: VTD, did: o.did })];
    case 13:
      return [
        t.iotlbPage(o.did, o.addr, o.am, o.leaf),
        r({ kinds: [K.VTD_SS, K.VTD_PT], did: o.did, ...am, leafOnly: o.leaf }) + r({ kinds: [K.VTD_FS, K.VTD_NESTED], did: o.did, leafOnly: o.leaf }),
      ];
    case 14: return [t.piotlbPasid(o.did, o.pasid), r({ kinds: [K.VTD_FS, K.VTD_NESTED, K.VTD_PT], did: o.did, pasid: o.pasid, keepGlobal: true })];
    case 15: return [t.piotlbPage(o.did, o.pasid, o.addr, o.am, o.leaf), r({ kinds: [K.VTD_FS, K.VTD_NESTED], did: o.did, pasid: o.pasid, ...am, leafOnly: o.leaf })];
    case 16: return [t.tceKillAll(), r({ kinds: [K.TCE] })];
    case 17: return [t.tceKillPe(o.liobn), r({ kinds: [K.TCE], liobn: o.liobn })];
    case 18: {
      const shift = 12 + (o.am % 20);
      const size = 1n << BigInt(shift);
      return [t.tceKillOne(o.liobn, o.addr, shift), r({ kinds: [K.TCE], liobn: o.liobn, start: BigInt(o.addr) & ~(size - 1n), size })];
    }
    case 19: return [t.tceInvalidatePages(o.liobn, o.addr, o.num, 12), r({ kinds: [K.TCE], liobn: o.liobn, start: BigInt(o.addr), size: BigInt(o.num) << 12n })];
    case 20: return [t.socFlushAll(), r({ kinds: [K.SOC] })];
    case 21: return [t.socFlushAsid(o.asid), r({ kinds: [K.SOC], asid: o.asid })];
    case 22: return [t.socFlushRange(o.addr, o.num * 0x1000 + 1, o.asid), r({ kinds: [K.SOC], asid: o.asid, start: BigInt(o.addr), size: BigInt(o.num * 0x1000 + 1) })];
    case 23: return [t.invalidateAll(), r({ kinds: KINDS })];
    case 24: return [t.invalidate({ kinds: [K.SMMU_S1, K.VTD_FS], asid: o.asid }), r({ kinds: [K.SMMU_S1, K.VTD_FS], asid: o.asid })];
    default: return [t.invalidate({ kinds: KINDS, start: o.addr, size: o.num * 0x1000 }), r({ kinds: KINDS, start: BigInt(o.addr), size: BigInt(o.num * 0x1000) })];
  }
}

const canon = (e: { kind: number; vmid: number; asid: number; did: number; pasid: number; liobn: number; pageShift?: number; shift?: number; global: boolean; table: boolean; perm: number }, base: bigint, out: bigint) =>
  [e.kind, e.vmid, e.global ? '*' : e.asid, e.did, e.global ? '*' : e.pasid, e.liobn, base, e.pageShift ?? e.shift, e.global, e.table, out, e.perm].join(':');

function check(strictHints: boolean): void {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 80, size: 'max' }), (ops) => {
      const t = new Iotlb(new Core(), { entries: 8192, ways: 16, strictHints });
      const ref = new RefIotlb(strictHints);
      let last: Extract<Op, { op: 'lookup' }> | undefined;
      for (let o of ops) {
        if (o.op === 'insert' && o.atLast && last) o = { ...o, kind: last.kind, vmid: last.vmid, asid: last.asid, did: last.did, pasid: last.pasid, liobn: last.liobn, iova: last.iova, table: last.table };
        if (o.op === 'lookup') {
          if (o.again && last) o = last;
          last = o;
        }
        if (o.op === 'insert') {
          const base = BigInt(o.iova) & ~((1n << BigInt(o.shift)) - 1n);
          const e: RefEntry = {
            kind: o.kind, vmid: o.vmid, asid: o.asid, did: o.did, pasid: o.pasid, liobn: o.liobn,
            base, shift: o.shift, out: BigInt(o.pa) - (o.table ? 0n : BigInt(o.iova) - base),
            perm: o.perm, attr: 0, attr2: 0, level: o.level, granuleShift: o.granule, global: o.global && !o.table, table: o.table,
          };
          if (e.out < 0n) continue;
          t.insert(o, { iova: o.iova, pa: o.pa, pageShift: o.shift, perm: o.perm, global: o.global, table: o.table, level: o.level, granuleShift: o.granule });
          ref.insert(e);
        } else if (o.op === 'lookup') {
          const got = o.table
            ? t.lookupTable(o.kind, o.vmid, o.asid, o.did, o.pasid, o.liobn, o.iova)
            : t.lookup(o.kind, o.vmid, o.asid, o.did, o.pasid, o.liobn, o.iova);
          // Any entry the reference would accept at the smallest matching page size.
          const want = ref.find(o.kind, o.vmid, o.asid, o.did, o.pasid, o.liobn, o.iova, o.table);
          assert.is(got === 1, want !== undefined, `lookup ${JSON.stringify(o)}`);
          if (want !== undefined) {
            assert.is(t.pageShift, want.shift);
            const ok = ref
              .all()
              .filter((x) => x.table === o.table && x.kind === o.kind && x.vmid === o.vmid && x.did === o.did && x.liobn === o.liobn && x.shift === want.shift)
              .filter((x) => x.global || (x.asid === o.asid && x.pasid === o.pasid))
              .filter((x) => x.base <= BigInt(o.iova) && BigInt(o.iova) < x.base + (1n << BigInt(x.shift)))
              .some((x) => x.perm === t.perm && (o.table ? x.out : x.out + BigInt(o.iova) - x.base) === t.paBig);
            assert.ok(ok, `lookup answer ${t.paBig} perm ${t.perm} is one the reference allows`);
          }
        } else {
          const [a, b] = invalidate(t, ref, o);
          assert.is(a, b, `removed count of ${JSON.stringify(o)}`);
        }
        const mine = t.entries().map((e) => canon(e, e.iova, e.pa)).sort();
        const theirs = ref.all().map((e) => canon(e, e.base, e.out)).sort();
        assert.equal(mine, theirs, `after ${JSON.stringify(o)}`);
      }
      assert.is(t.stats().evictions, 0, 'the TLB was big enough that only invalidations removed entries');
    }),
    { numRuns: 150 },
  );
}

test('random inserts, lookups and invalidations match the reference TLB', () => check(false));
test('... and with strict TTL/TG hints', () => check(true));

test.run();

// Property tests: the WASM walk engine and the pure-TypeScript reference walker
// (test/core/ref/vmsav8.ts) agree on every field of every result, and on every byte of memory
// after hardware AF/dirty updates, for random configurations (granules, TxSZ, SL0, IPS/PS,
// EPD, TBI, HA/HD/AFFD, HPD, WXN, XNX, FWB, LPA) over RAM densely filled with random
// descriptors (invalid, table, block, page; random AP/XN/AF/DBM/APTable bits; addresses in RAM,
// outside all memory, or beyond the output size) and random addresses and accesses.
// 150 runs per property by default (~3 s); WALK_PROP_RUNS=2000 for a longer hunt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker, type Granule } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { RefMemory, refCheckS1, refCheckS2, refWalkS1, refWalkS2, type RefAccess, type RefResult, type RefS1, type RefS2 } from './ref/vmsav8.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';

const RAM_SIZE = 256 << 10;
const ram = new TestRam(RAM_SIZE);
const w1 = new Walker(ram.core);
const w2 = new Walker(ram.core);

/** xorshift32: fills RAM deterministically from a seed (fast-check picks seeds and shrinks them). */
function rng(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** How the random descriptors lean: percentages of invalid entries, addresses in RAM, AF set, bit 6 (AP[1] / S2AP read) set. */
interface Bias {
  invalid: number;
  inRam: number;
  af: number;
  bit6: number;
}
const MIXED: Bias = { invalid: 12, inRam: 85, af: 85, bit6: 50 };
/** Nested walks need many stage-2 walks to succeed in a row: fewer dead ends. */
const PERMISSIVE: Bias = { invalid: 4, inRam: 93, af: 95, bit6: 85 };

function fillRandomTables(seed: number, bias: Bias = MIXED): void {
  const r = rng(seed);
  const v = ram.bytes();
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const pct = () => r() % 100;
  for (let off = 0; off < RAM_SIZE; off += 8) {
    let lo: number;
    let hi: number;
    const kind = pct();
    if (kind < bias.invalid) {
      lo = r() & ~1; // invalid: every other bit random
      hi = r();
    } else {
      // Address: mostly a 4K (or 64K) slot of RAM, sometimes elsewhere.
      const where = pct();
      let aLo: number;
      let aHi = 0;
      if (where < bias.inRam) {
        const slot = r() % (RAM_SIZE >>> 12);
        aLo = RAM_BASE + (pct() < 50 ? slot & ~15 : slot) * 4096;
      } else if (where < bias.inRam + (100 - bias.inRam) / 3) {
        aLo = r() & 0xfffff000;
      } else if (where < bias.inRam + ((100 - bias.inRam) * 2) / 3) {
        aLo = r() & 0xfffff000;
        aHi = r() & 0xffff;
      } else {
        aLo = RAM_BASE + (r() % (RAM_SIZE >>> 12)) * 4096;
        aHi = 1 << (r() % 16);
      }
      const type = kind < 65 ? 3 : r() & 1 ? 1 : 3;
      let attrs = r() & 0xffc & ~(1 << 10) & ~(1 << 6); // bits 11:2 random, AF and bit 6 below
      if (pct() < bias.af) attrs |= 1 << 10;
      if (pct() < bias.bit6) attrs |= 1 << 6;
      lo = ((aLo & 0xfffff000) | attrs | type) >>> 0;
      hi = aHi;
      // Upper attributes: DBM(51) contiguous(52) PXN(53) UXN(54), APTable/XNTable/PXNTable/NSTable (59-63).
      for (const b of [51, 52, 53, 54]) if (pct() < 25) hi |= 1 << (b - 32);
      for (const b of [59, 60, 61, 62, 63]) if (pct() < 12) hi |= 1 << (b - 32);
      if (pct() < 5) hi |= (r() & 7) << 16; // bits 50:48
      hi >>>= 0;
    }
    dv.setUint32(off, lo, true);
    dv.setUint32(off + 4, hi, true);
  }
}

const granule = fc.constantFrom<Granule>(4096, 16384, 65536);
const oasBits = fc.constantFrom(32, 36, 40, 42, 44, 48, 52);
const txsz = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 16, max: 39 }) }, { weight: 1, arbitrary: fc.integer({ min: 10, max: 50 }) });
/** Table base: a RAM slot plus random low bits (masked by the walker), or elsewhere. */
const tableBase = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.integer({ min: 0, max: RAM_SIZE / 4096 - 1 }), fc.integer({ min: 0, max: 511 })).map(([s, o]) => RAM_BASE + s * 4096 + o * 8) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 20 }).map((x) => 2 ** 36 + x * 4096) },
);

const s1Config = fc.record({
  ttb0: tableBase, ttb1: tableBase, t0sz: txsz, t1sz: txsz, tg0: granule, tg1: granule,
  epd1: fc.boolean(),
  ips: oasBits, oasLimit: fc.constantFrom(40, 44, 48, 52),
  ha: fc.boolean(), hd: fc.boolean(), affd: fc.boolean(), tbi0: fc.boolean(), tbi1: fc.boolean(),
  hpd0: fc.boolean(), hpd1: fc.boolean(), wxn: fc.boolean(), va52: fc.boolean(),
  epd0Roll: fc.integer({ min: 0, max: 9 }),
}).map(({ epd0Roll, ...c }) => ({ ...c, epd0: epd0Roll === 0 })); // EPD0 one time in ten

/** Stage 2: T0SZ and SL0 are usually consistent (otherwise almost every draw is a bad configuration). */
const s2Config = fc.record({
  vttb: tableBase, tg: granule, t0sz: fc.integer({ min: 16, max: 40 }), sl0Roll: fc.integer({ min: 0, max: 9 }), sl0Any: fc.integer({ min: 0, max: 3 }),
  ps: oasBits, oasLimit: fc.constantFrom(40, 44, 48, 52),
  ha: fc.boolean(), hd: fc.boolean(), affd: fc.boolean(), fwb: fc.boolean(), xnx: fc.boolean(),
}).map((c) => {
  const g = Math.log2(c.tg);
  const ok: number[] = [];
  for (let sl0 = 0; sl0 <= 2; sl0++) {
    const level = g === 12 ? 2 - sl0 : 3 - sl0;
    const bits = 64 - c.t0sz - ((3 - level) * (g - 3) + g);
    if (bits >= 1 && bits <= g - 3 + 4) ok.push(sl0);
  }
  const { sl0Roll, sl0Any, ...rest } = c;
  const sl0 = sl0Roll > 0 && ok.length > 0 ? ok[sl0Roll % ok.length]! : sl0Any;
  return { ...rest, sl0 };
});

/** Access: read or write, privileged or not, an instruction fetch one time in five. */
const access = fc.record({ write: fc.boolean(), priv: fc.boolean(), execRoll: fc.integer({ min: 0, max: 4 }) })
  .map(({ execRoll, ...a }): RefAccess => ({ ...a, exec: execRoll === 0 }));

/** Input addresses: in the TTB0 range, in the TTB1 range, tagged, or anything. */
const address = (lowBits: number, highBits: number) =>
  fc.tuple(fc.integer({ min: 0, max: 9 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 255 })).map(([k, x, tag]) => {
    const lowMask = (1n << BigInt(lowBits)) - 1n;
    if (k < 4) return x & lowMask; // TTB0 region
    if (k < 7) return ((1n << 64n) - (1n << BigInt(highBits))) | (x & ((1n << BigInt(highBits)) - 1n)); // TTB1 region
    if (k < 9) return (BigInt(tag) << 56n) | (x & lowMask) | (k === 8 ? 1n << 55n : 0n); // tagged (TBI)
    return x;
  });

const clampIn = (tsz: number) => Math.min(64, Math.max(12, 64 - tsz));
/** A stage-1 configuration with 24 accesses aimed mostly at its two input ranges. */
const s1Scenario = s1Config.chain((c) =>
  fc.tuple(fc.constant(c), fc.array(fc.tuple(address(clampIn(c.t0sz), clampIn(c.t1sz)), access), { minLength: 24, maxLength: 24 })),
);
/** A stage-2 configuration with 24 accesses, mostly inside its IPA range. */
const s2Scenario = s2Config.chain((c) =>
  fc.tuple(fc.constant(c), fc.array(fc.tuple(address(clampIn(c.t0sz), 48), access), { minLength: 24, maxLength: 24 })),
);

function toRefS1(c: (typeof s1Config) extends fc.Arbitrary<infer T> ? T : never): RefS1 {
  return { ...c, ttb0: BigInt(c.ttb0), ttb1: BigInt(c.ttb1) };
}
function toRefS2(c: (typeof s2Config) extends fc.Arbitrary<infer T> ? T : never): RefS2 {
  return { ...c, vttb: BigInt(c.vttb) };
}

/** The WASM result record as reference-shaped values. */
function wasmResult(): RefResult {
  const u = new Uint32Array(ram.core.exports.memory.buffer);
  const i = new Int32Array(ram.core.exports.memory.buffer);
  const f = new Float64Array(ram.core.exports.memory.buffer);
  const p = ram.core.exports.walk_result_ptr();
  const W = (o: number) => u[(p + o) >>> 2]!;
  const D = (o: number) => f[(p + o) >>> 3]!;
  return {
    status: W(A.RES_STATUS), reason: W(A.RES_REASON), oa: BigInt(D(A.RES_OA)), ipa: BigInt(D(A.RES_IPA)),
    perm: W(A.RES_PERM), permAll: W(A.RES_PERM_ALL), pageShift: W(A.RES_PAGE_SHIFT), level: i[(p + A.RES_LEVEL) >>> 2]!,
    stage: W(A.RES_STAGE), flags: W(A.RES_FLAGS), attrs: W(A.RES_ATTRS), s2Attrs: W(A.RES_S2_ATTRS),
    s2Level: i[(p + A.RES_S2_LEVEL) >>> 2]!, s2PageShift: W(A.RES_S2_PAGE_SHIFT),
    entryAddr: BigInt(D(A.RES_ENTRY_ADDR)), entry: (BigInt(W(A.RES_ENTRY_HI)) << 32n) | BigInt(W(A.RES_ENTRY_LO)),
  };
}

const show = (r: RefResult) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v));

function compareRun(mem: RefMemory, walks: [bigint, RefAccess][], wasm: (va: bigint, a: RefAccess) => void, ref: (va: bigint, a: RefAccess) => RefResult): void {
  for (const [va, a] of walks) {
    wasm(va, a);
    const got = wasmResult();
    const want = ref(va, a);
    if (show(got) !== show(want)) {
      assert.unreachable(`va 0x${va.toString(16)} ${JSON.stringify(a)}\n  wasm ${show(got)}\n  ref  ${show(want)}`);
    }
  }
  const mine = Buffer.from(ram.bytes());
  const theirs = Buffer.from(mem.blocks[0]!.bytes);
  if (!mine.equals(theirs)) {
    let k = 0;
    while (mine[k] === theirs[k]) k++;
    assert.unreachable(`memory differs at 0x${(RAM_BASE + k).toString(16)} after hardware updates`);
  }
}

const seed = fc.integer({ min: 1, max: 0x7fffffff });
const bias = fc.constantFrom(MIXED, PERMISSIVE);
const NUM_RUNS = Number(process.env.WALK_PROP_RUNS ?? 150);

test('stage 1: WASM and reference agree on every result, fault and memory update', () => {
  let ok = 0;
  const statuses = new Set<number>();
  fc.assert(
    fc.property(seed, bias, s1Scenario, (sd, b, [c, walks]) => {
      fillRandomTables(sd, b);
      const mem = ram.refCopy();
      const rc = toRefS1(c);
      assert.is(w1.nest(null), w1.configError);
      const code = w1.configureS1({ ...c, granule0: c.tg0, granule1: c.tg1, oas: c.ips });
      assert.is(code, refCheckS1(rc), 'configuration outcome');
      compareRun(mem, walks.map(([va, a]) => [va & ((1n << 64n) - 1n), a]),
        (va, a) => { const st = w1.walk(va, a.write ? 'write' : 'read', a.priv, a.exec); statuses.add(st); if (st === 0) ok++; },
        (va, a) => refWalkS1(rc, mem, va, a));
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  );
  // The generator must reach every outcome, or the property proves little.
  for (const st of [A.ST_OK, A.ST_TRANSLATION, A.ST_ADDR_SIZE, A.ST_ACCESS, A.ST_PERMISSION, A.ST_EXT_ABORT, A.ST_BAD_CONFIG]) {
    assert.ok(statuses.has(st), `status ${st} reached`);
  }
  assert.ok(ok > NUM_RUNS * 2, `${ok} successful walks`);
});

test('stage 2: WASM and reference agree (concatenation, SL0, S2AP, XNX, FWB, PS)', () => {
  const statuses = new Set<number>();
  fc.assert(
    fc.property(seed, bias, s2Scenario, (sd, b, [c, walks]) => {
      fillRandomTables(sd, b);
      const mem = ram.refCopy();
      const rc = toRefS2(c);
      const code = w2.configureS2({ ...c, granule: c.tg });
      assert.is(code, refCheckS2(rc), 'configuration outcome');
      compareRun(mem, walks.map(([va, a]) => [va & ((1n << 52n) - 1n), a]),
        (va, a) => statuses.add(w2.walk(va, a.write ? 'write' : 'read', a.priv, a.exec)),
        (va, a) => refWalkS2(rc, mem, va, a));
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  );
  for (const st of [A.ST_OK, A.ST_TRANSLATION, A.ST_ADDR_SIZE, A.ST_ACCESS, A.ST_PERMISSION, A.ST_EXT_ABORT, A.ST_BAD_CONFIG]) {
    assert.ok(statuses.has(st), `status ${st} reached`);
  }
});

test('nested: WASM and reference agree, including stage-2 faults on stage-1 table fetches', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(seed, s1Scenario, s2Config, (sd, [c1, walks], c2) => {
      fillRandomTables(sd, PERMISSIVE);
      const mem = ram.refCopy();
      const r1 = toRefS1(c1);
      const r2 = toRefS2(c2);
      w2.configureS2({ ...c2, granule: c2.tg });
      w1.configureS1({ ...c1, granule0: c1.tg0, granule1: c1.tg1, oas: c1.ips });
      const code = w1.nest(w2);
      const want = refCheckS1(r1) !== A.CFG_OK ? refCheckS1(r1) : refCheckS2(r2) !== A.CFG_OK ? A.CFG_NESTING : A.CFG_OK;
      assert.is(code, want, 'nesting outcome');
      compareRun(mem, walks.map(([va, a]) => [va & ((1n << 64n) - 1n), a]),
        (va, a) => {
          const st = w1.walk(va, a.write ? 'write' : 'read', a.priv, a.exec);
          seen.add(`${st}/${w1.stage}/${w1.flags & (A.F_NESTED_TT | A.F_NESTED)}`);
        },
        (va, a) => refWalkS1(r1, mem, va, a, r2));
      w1.nest(null);
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  );
  // Reached: nested success, stage-2 faults during table fetches and on the final address.
  assert.ok(seen.has(`${A.ST_OK}/1/${A.F_NESTED}`), [...seen].join(' '));
  assert.ok([...seen].some((s) => s.endsWith(`/2/${A.F_NESTED_TT}`)), [...seen].join(' '));
  assert.ok([...seen].some((s) => s.startsWith(`${A.ST_TRANSLATION}/2/`) && s.endsWith(`${A.F_NESTED}`)), [...seen].join(' '));
});

test.run();

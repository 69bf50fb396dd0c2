// VT-d first-stage (x86-64 paging) tables through the WASM walk engine: vtd.md 3.4 facts
// (P, R/W, U/S, A/D, PS with FS1GP, XD with NXE, reserved bits, canonical inputs, supervisor
// requests, the fault reason for each), nesting over a second-stage context, and a
// differential property test against test/core/ref/vtd-fs.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import {
  VTD_FR_SM_EXEC, VTD_FR_SM_FS_P, VTD_FR_SM_FS_RSVD, VTD_FR_SM_NON_CANONICAL, VTD_FR_SM_US, VTD_FR_SM_WRITE,
} from '../../src/regs/generated/vtd.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { configureRaw } from './ref/vtd-ctx.ts';
import { refVtdFsWalk, type RefVtdFs } from './ref/vtd-fs.ts';

const P = 1n;
const RW = 2n;
const US = 4n;
const PWT = 8n;
const PCD = 16n;
const ACC = 1n << 5n;
const DIRTY = 1n << 6n;
const PS = 1n << 7n;
const G = 1n << 8n;
const XD = 1n << 63n;
const T = (n: number) => RAM_BASE + n * 0x1000;
const VA = 0x0000_7654_3219_8abc;
const idx = (va: bigint | number, level: number) => Number((BigInt(va) >> BigInt(12 + 9 * (level - 1))) & 0x1ffn);

interface Cfg {
  levels?: number;
  haw?: number;
  flags?: number;
}
function fs(t: TestRam, cfg: Cfg = {}, root = T(0), under?: Walker) {
  const w = new Walker(t.core);
  const err = configureRaw(w, A.FMT_VTD_FS, [cfg.levels ?? 4, cfg.haw ?? 48, cfg.flags ?? A.VFF_NXE], [root], under);
  return { w, err };
}
/** Table entries (P|RW|US|A plus `tbl`) from the top down to `leafLevel`, then `leaf`. */
function chain(leaf: bigint, leafLevel = 1, cfg: Cfg = {}, tbl = P | RW | US | ACC, va: bigint | number = VA) {
  const t = new TestRam();
  const top = cfg.levels ?? 4;
  let n = 0;
  for (let l = top; l > leafLevel; l--, n++) t.set(T(n) + idx(va, l) * 8, BigInt(T(n + 1)) | tbl);
  const leafAddr = T(n) + idx(va, leafLevel) * 8;
  t.set(leafAddr, leaf);
  const { w, err } = fs(t, cfg);
  assert.is(err, A.CFG_OK);
  return { t, w, leafAddr };
}

/** The scalable-mode fault reason for a first-stage outcome (vtd.md 3.4). */
function fr(w: Walker): number {
  const byReason: Record<number, number> = {
    [A.R_INPUT_RANGE]: VTD_FR_SM_NON_CANONICAL, [A.R_INVALID]: VTD_FR_SM_FS_P, [A.R_RESERVED]: VTD_FR_SM_FS_RSVD,
    [A.R_PERM_USER]: VTD_FR_SM_US, [A.R_PERM_WRITE]: VTD_FR_SM_WRITE, [A.R_PERM_EXEC]: VTD_FR_SM_EXEC,
  };
  return byReason[w.reason] ?? -1;
}

test('4-level and 5-level paging down to a 4 KiB page: OA, level, PWT/PCD/PAT and G', () => {
  for (const levels of [4, 5]) {
    const { w, leafAddr } = chain(0x8765_4000n | P | RW | US | ACC | PWT | PCD | PS | G, 1, { levels });
    assert.is(w.walk(VA, 'read'), A.ST_OK);
    const r = w.result();
    assert.equal([r.outputAddress, r.pageShift, r.level, r.stage, r.entryAddress], [0x8765_4000 + 0xabc, 12, 1, 1, leafAddr]);
    assert.is(r.attrs.memAttr, 7, 'PWT | PCD << 1 | PAT (bit 7 of a 4 KiB PTE) << 2');
    assert.is(r.attrs.nG, false);
  }
});

test('PS: 2 MiB pages in a PDE always, 1 GiB pages in a PDPTE only with FS1GP; bit 12 of a large leaf is PAT', () => {
  let { w } = chain(0x8060_0000n | (1n << 12n) | P | RW | US | PS, 2);
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x8060_0000 + (VA % 2 ** 21), 21, 2]);
  assert.is(w.result().attrs.memAttr, 4);
  ({ w } = chain(0x1_4000_0000n | P | RW | US | PS, 3, { flags: A.VFF_NXE | A.VFF_1G }));
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x1_4000_0000 + (VA % 2 ** 30), 30, 3]);
  ({ w } = chain(0x1_4000_0000n | P | RW | US | PS, 3));
  assert.is(w.walk(VA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level, fr(w)], [A.R_RESERVED, 3, VTD_FR_SM_FS_RSVD]);
});

test('reserved: PS in a PML4E/PML5E, frame bits 20:13 / 29:13 of large leaves, address bits at and above HAW', () => {
  for (const levels of [4, 5]) {
    const { w } = chain(0x80_0000_0000n | P | RW | US | PS, levels, { levels, flags: A.VFF_NXE | A.VFF_1G });
    assert.is(w.walk(VA, 'read'), A.ST_TRANSLATION);
    assert.equal([w.reason, w.level], [A.R_RESERVED, levels]);
  }
  let { w } = chain(0x8060_0000n | (1n << 13n) | P | PS, 2);
  assert.is(w.walk(VA, 'read', true), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 2]);
  ({ w } = chain(0x4000_0000n | (1n << 29n) | P | PS, 3, { flags: A.VFF_1G }));
  assert.is(w.walk(VA, 'read', true), A.ST_TRANSLATION);
  ({ w } = chain(0x4000_0000n | (1n << 40n) | P, 1, { haw: 40 }));
  assert.is(w.walk(VA, 'read', true), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 1]);
  ({ w } = chain(0x4000_0000n | P, 1, { haw: 40 }, P | RW | US | (1n << 45n)));
  assert.is(w.walk(VA, 'read', true), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 4]);
  // Ignored bits: 11:9 and 62:52.
  ({ w } = chain(0x4000_0000n | P | (7n << 9n) | (0x7ffn << 52n), 1, {}, P | RW | US | (0x7ffn << 52n)));
  assert.is(w.walk(VA, 'read', true), A.ST_OK);
});

test('P = 0 at any level faults there (0x71)', () => {
  for (const lvl of [4, 3, 2, 1]) {
    const t = new TestRam();
    let n = 0;
    for (let l = 4; l > lvl; l--, n++) t.set(T(n) + idx(VA, l) * 8, BigInt(T(n + 1)) | P | RW | US);
    t.set(T(n) + idx(VA, lvl) * 8, 0x8000_0000n | RW | US | PS);
    const { w } = fs(t);
    assert.is(w.walk(VA, 'read', true), A.ST_TRANSLATION);
    assert.equal([w.reason, w.level, fr(w)], [A.R_INVALID, lvl, VTD_FR_SM_FS_P]);
  }
});

test('non-canonical inputs fault before the walk (0x80): 48-bit for 4 levels, 57-bit for 5', () => {
  const t = new TestRam();
  let { w } = fs(t);
  assert.is(w.walk(0x0000_8000_0000_0000, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, fr(w), w.result().entryAddress], [A.R_INPUT_RANGE, VTD_FR_SM_NON_CANONICAL, -1]);
  assert.is(w.walk(0xffff_7fff_ffff_f000n, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INPUT_RANGE);
  assert.is(w.walk(0xffff_8000_0000_0000n, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INVALID, 'canonical upper half: walked (empty table)');
  ({ w } = fs(t, { levels: 5 }));
  assert.is(w.walk(0x0000_8000_0000_0000, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INVALID);
  assert.is(w.walk(0x0100_0000_0000_0000n, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INPUT_RANGE);
  assert.is(w.walk(0xff00_0000_0000_0000n, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INVALID);
});

test('U/S = 0 at any level: a user request faults (0x81), a supervisor request does not', () => {
  const { w } = chain(0x8765_4000n | P | RW | US, 1, {}, P | RW);
  assert.is(w.walk(VA, 'read', false), A.ST_PERMISSION);
  assert.equal([w.reason, w.level, fr(w)], [A.R_PERM_USER, 1, VTD_FR_SM_US]);
  assert.is(w.walk(VA, 'write', true), A.ST_OK);
  const r = w.result();
  assert.equal([r.permUnprivileged, r.permPrivileged], [0, A.PERM_R | A.PERM_W | A.PERM_X]);
});

test('R/W = 0 at any level: user writes fault (0x85); supervisor writes fault only with WPE', () => {
  let { w } = chain(0x8765_4000n | P | RW | US, 1, {}, P | US);
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  assert.is(w.walk(VA, 'write'), A.ST_PERMISSION);
  assert.equal([w.reason, fr(w)], [A.R_PERM_WRITE, VTD_FR_SM_WRITE]);
  assert.is(w.walk(VA, 'write', true), A.ST_OK);
  ({ w } = chain(0x8765_4000n | P | US, 1, { flags: A.VFF_NXE | A.VFF_WPE }));
  assert.is(w.walk(VA, 'write', true), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_WRITE);
});

test('XD with NXE forbids execution (0x82) at any level; without NXE bit 63 is reserved', () => {
  let { w } = chain(0x8765_4000n | P | RW | US, 1, {}, P | RW | US | XD);
  assert.is(w.walk(VA, 'read', false, false), A.ST_OK);
  assert.is(w.walk(VA, 'read', false, true), A.ST_PERMISSION);
  assert.equal([w.reason, fr(w)], [A.R_PERM_EXEC, VTD_FR_SM_EXEC]);
  assert.is(w.walk(VA, 'read', true, true), A.ST_PERMISSION);
  ({ w } = chain(0x8765_4000n | P | RW | US | XD, 1, { flags: 0 }));
  assert.is(w.walk(VA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 1]);
});

test('SMEP: supervisor execution of a user page faults; of a supervisor page it does not', () => {
  let { w } = chain(0x8765_4000n | P | RW | US, 1, { flags: A.VFF_NXE | A.VFF_SMEP });
  assert.is(w.walk(VA, 'read', true, true), A.ST_PERMISSION);
  assert.is(w.reason, A.R_PERM_EXEC);
  assert.is(w.walk(VA, 'read', false, true), A.ST_OK);
  ({ w } = chain(0x8765_4000n | P | RW, 1, { flags: A.VFF_NXE | A.VFF_SMEP }));
  assert.is(w.walk(VA, 'read', true, true), A.ST_OK);
});

test('hardware A/D: A set in every entry walked, D in the leaf on a write; a faulting access leaves the leaf alone', () => {
  const { t, w, leafAddr } = chain(0x8765_4000n | P | US, 1, { flags: A.VFF_NXE | A.VFF_AD }, P | RW | US);
  assert.is(w.walk(VA, 'write'), A.ST_PERMISSION);
  assert.is(t.get(leafAddr), 0x8765_4000n | P | US);
  assert.is(t.get(T(0) + idx(VA, 4) * 8), BigInt(T(1)) | P | RW | US | ACC, 'tables passed are accessed');
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  assert.is(t.get(leafAddr), 0x8765_4000n | P | US | ACC);
  t.set(leafAddr, 0x8765_4000n | P | US | RW);
  assert.is(w.walk(VA, 'write'), A.ST_OK);
  assert.is(t.get(leafAddr), 0x8765_4000n | P | US | RW | ACC | DIRTY);
  const r = w.result();
  assert.ok(r.updated && r.attrs.af && (w.attrs & A.A_DIRTY) !== 0);
});

test('nested over a second-stage context: tables and output are guest-physical, translated by stage 2', () => {
  const t = new TestRam(1 << 20);
  // Stage 2 (VT-d SS, 3-level, 39-bit): identity-map the first 2 MiB of RAM with 4 KiB pages, except
  // that GPA page T(20) maps to T(21); everything else is not present.
  const s2Root = T(40);
  t.set(s2Root + idx(RAM_BASE, 3) * 8, BigInt(T(41)) | 3n);
  t.set(T(41) + idx(RAM_BASE, 2) * 8, BigInt(T(42)) | 3n);
  for (let i = 0; i < 32; i++) t.set(T(42) + (idx(RAM_BASE, 1) + i) * 8, BigInt(T(i === 20 ? 21 : i)) | 3n);
  const s2 = new Walker(t.core);
  assert.is(configureRaw(s2, A.FMT_VTD_SS, [1, 48, 0, 0], [s2Root]), A.CFG_OK);
  // Stage 1: 4 levels T(0)..T(3), leaf -> GPA T(20) + offset.
  for (let l = 4, n = 0; l > 1; l--, n++) t.set(T(n) + idx(VA, l) * 8, BigInt(T(n + 1)) | P | RW | US);
  t.set(T(3) + idx(VA, 1) * 8, BigInt(T(20)) | P | RW | US);
  const { w, err } = fs(t, {}, T(0), s2);
  assert.is(err, A.CFG_OK);
  assert.is(w.walk(VA, 'write'), A.ST_OK);
  const r = w.result();
  assert.equal([r.outputAddress, r.ipa, r.nested], [T(21) + 0xabc, T(20) + 0xabc, true]);
  // A stage-1 table whose GPA stage 2 does not map: a stage-2 fault while fetching a table.
  t.set(T(1) + idx(VA, 3) * 8, BigInt(RAM_BASE + 0x10_0000) | P | RW | US);
  assert.is(w.walk(VA, 'read'), A.ST_TRANSLATION);
  const f = w.result();
  assert.equal([f.stage, f.nestedTableFetch, f.reason], [2, true, 'invalidDescriptor']);
});

test('configuration: 4 or 5 levels, host width 32..52', () => {
  const t = new TestRam();
  assert.is(fs(t, { levels: 3 }).err, A.CFG_START_LEVEL);
  assert.is(fs(t, { haw: 53 }).err, A.CFG_OUTPUT_SIZE);
  assert.is(fs(t, { levels: 5, haw: 52 }).err, A.CFG_OK);
});

test('property: the WASM walk and the reference agree on random x86-64 tables', () => {
  const NT = 16;
  const seen = new Set<string>();
  const entryArb = fc.record({
    kind: fc.integer({ min: 0, max: 11 }), // 0 not present, 1..8 table, 9..11 leaf
    next: fc.nat(NT - 1),
    bits: fc.constantFrom(P | RW | US, P | RW | US, P | RW | US | ACC, P | RW, P | US, P, P | RW | US | XD, P | RW | US | ACC | DIRTY),
    extra: fc.constantFrom(0n, 0n, 0n, PS, PS, 1n << 12n, 1n << 13n, 1n << 50n, PWT | PCD | G),
    frame: fc.nat(0x3ffff),
    big: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.record({ levels: fc.constantFrom(4 as const, 5 as const), haw: fc.constantFrom(39, 48, 52), flags: fc.nat(31) }),
      fc.array(entryArb, { minLength: 48, maxLength: 48 }),
      fc.array(fc.tuple(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat(7), fc.boolean()), { minLength: 8, maxLength: 8 }),
      (cfg, entries, walks0) => {
        const t = new TestRam(NT * 4096);
        const n = cfg.levels === 5 ? 57 : 48;
        // Mostly canonical addresses: sign-extend from bit n-1 unless the flag says keep raw.
        const walks = walks0.map(([v, acc, raw]) => [raw ? v : BigInt.asUintN(64, BigInt.asIntN(n, v)), acc] as const);
        walks.forEach(([va], i) => {
          let tbl = 0;
          for (let l = cfg.levels; l >= 1; l--) {
            const e = entries[(i * 5 + l) % entries.length]!;
            let v: bigint;
            if (e.kind === 0) v = e.bits & ~P;
            else if (e.kind <= 8 && l > 1) v = BigInt(T(e.next)) | e.bits | (e.kind === 1 ? e.extra : 0n);
            else v = (BigInt(e.frame) << (e.big ? 30n : 21n)) | e.bits | e.extra;
            t.set(T(tbl) + idx(va, l) * 8, v);
            if (e.kind >= 1 && e.kind <= 8) tbl = e.next;
          }
        });
        const ref = t.refCopy();
        const c: RefVtdFs = {
          root: BigInt(T(0)), levels: cfg.levels, haw: cfg.haw, nxe: (cfg.flags & A.VFF_NXE) !== 0, fs1gp: (cfg.flags & A.VFF_1G) !== 0,
          ad: (cfg.flags & A.VFF_AD) !== 0, wpe: (cfg.flags & A.VFF_WPE) !== 0, smep: (cfg.flags & A.VFF_SMEP) !== 0,
        };
        const { w, err } = fs(t, cfg);
        assert.is(err, A.CFG_OK);
        for (const [va, accBits] of walks) {
          const access = { write: (accBits & 1) !== 0, exec: (accBits & 2) !== 0 && (accBits & 1) === 0, priv: (accBits & 4) !== 0 };
          const want = refVtdFsWalk(ref, c, va, access);
          const st = w.walk(va, access.write ? 'write' : 'read', access.priv, access.exec);
          const ctx = `va ${va.toString(16)} ${JSON.stringify(access)}`;
          seen.add(st === A.ST_OK ? `ok${w.pageShift}` : `${st}/${w.reason}`);
          assert.equal([st, w.reason, w.level, BigInt(w.result().entryAddress)], [want.status, want.reason, want.level, want.entryAddr], ctx);
          if (st === A.ST_OK || st === A.ST_PERMISSION) {
            assert.equal([BigInt(w.outputAddress), w.pageShift, w.perm, w.permAll, w.attrs], [want.oa, want.pageShift, want.perm, want.permAll, want.attrs], ctx);
          }
          for (const [pa, v] of want.writes) assert.is(t.get(Number(pa)), v, `${ctx}: update at ${pa.toString(16)}`);
        }
      },
    ),
    { numRuns: 300, seed: 0xf5 },
  );
  for (const k of ['ok12', 'ok21', 'ok30', `${A.ST_TRANSLATION}/${A.R_INVALID}`, `${A.ST_TRANSLATION}/${A.R_RESERVED}`,
    `${A.ST_TRANSLATION}/${A.R_INPUT_RANGE}`, `${A.ST_PERMISSION}/${A.R_PERM_USER}`, `${A.ST_PERMISSION}/${A.R_PERM_WRITE}`,
    `${A.ST_PERMISSION}/${A.R_PERM_EXEC}`, `${A.ST_EXT_ABORT}/${A.R_WALK_ABORT}`]) {
    assert.ok(seen.has(k), `outcome ${k} never generated (seen ${[...seen].join(' ')})`);
  }
});

test.run();

// VT-d second-stage tables through the WASM walk engine: the facts of vtd.md 3.1-3.3 (levels
// per AW, entry bits, large pages under SLLPS, reserved bits per level, fault per failure),
// and a differential property test against the reference walker (test/core/ref/vtd-ss.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import {
  VTD_FR_ADDR_BEYOND_MGAW, VTD_FR_CONTEXT_ENTRY_INV, VTD_FR_PAGING_ENTRY_INV, VTD_FR_PAGING_ENTRY_RSVD, VTD_FR_READ,
  VTD_FR_WRITE,
} from '../../src/regs/generated/vtd.ts';
import { RAM_BASE, TestRam } from './ref/tables.ts';
import { configureRaw } from './ref/vtd-ctx.ts';
import { refVtdSsWalk, type RefVtdSs } from './ref/vtd-ss.ts';

const R = 1n;
const W = 2n;
const X = 4n;
const PS = 1n << 7n;
const ACC = 1n << 8n;
const DIRTY = 1n << 9n;
const SNP = 1n << 11n;
const T = (n: number) => RAM_BASE + n * 0x1000; // table n
const IOVA = 0x0123_4567_89ab; // a 48-bit address with a distinct index at every level

/** Index of `iova` at VT-d level L (1 = PTE): bits 12 + 9(L-1) + 8 .. 12 + 9(L-1). */
const idx = (iova: number, level: number) => Number((BigInt(iova) >> BigInt(12 + 9 * (level - 1))) & 0x1ffn);

interface Cfg {
  aw?: number;
  haw?: number;
  mgaw?: number;
  flags?: number;
}
function ss(t: TestRam, root: number, cfg: Cfg = {}) {
  const w = new Walker(t.core);
  const cfgErr = configureRaw(w, A.FMT_VTD_SS, [cfg.aw ?? 2, cfg.haw ?? 48, cfg.mgaw ?? 0, cfg.flags ?? 0], [root]);
  return { w, cfgErr };
}

/** Tables T(0) (top) .. down to `leafLevel`, with `leaf` there; `table` overrides table entries' bits. */
function chain(aw: number, leafLevel: number, leaf: bigint, iova = IOVA, tableBits = R | W, cfg: Cfg = {}) {
  const t = new TestRam();
  const top = aw + 2;
  let n = 0;
  for (let l = top; l > leafLevel; l--, n++) t.set(T(n) + idx(iova, l) * 8, BigInt(T(n + 1)) | tableBits);
  t.set(T(n) + idx(iova, leafLevel) * 8, leaf);
  const { w, cfgErr } = ss(t, T(0), { aw, ...cfg });
  assert.is(cfgErr, A.CFG_OK);
  return { t, w, leafAddr: T(n) + idx(iova, leafLevel) * 8 };
}

/** The legacy-mode fault reason a VT-d unit records for a second-stage walk outcome (vtd.md 3.3 / 5.1). */
function legacyFr(r: { status: number; reason: number; level: number }, write: boolean, topLevel: number): number {
  if (r.status === A.ST_EXT_ABORT) return r.level === topLevel ? VTD_FR_CONTEXT_ENTRY_INV : VTD_FR_PAGING_ENTRY_INV;
  if (r.reason === A.R_INPUT_RANGE) return VTD_FR_ADDR_BEYOND_MGAW;
  if (r.reason === A.R_RESERVED) return VTD_FR_PAGING_ENTRY_RSVD;
  if (r.reason === A.R_INVALID) return write ? VTD_FR_WRITE : VTD_FR_READ;
  if (r.reason === A.R_PERM_WRITE) return VTD_FR_WRITE;
  if (r.reason === A.R_PERM_READ) return VTD_FR_READ;
  return -1;
}

test('AW 1/2/3 walk 3/4/5 levels of 512 8-byte entries down to a 4 KiB PTE (level 1)', () => {
  for (const aw of [1, 2, 3]) {
    const iova = aw === 1 ? IOVA % 2 ** 39 : IOVA;
    const { w, leafAddr } = chain(aw, 1, 0x8765_4000n | R | W, iova);
    assert.is(w.walk(iova, 'read'), A.ST_OK, `aw ${aw}`);
    const r = w.result();
    assert.is(r.outputAddress, 0x8765_4000 + (iova % 4096));
    assert.equal([r.pageShift, r.level, r.stage, r.perm & 3], [12, 1, 2, 3]);
    assert.is(r.entryAddress, leafAddr);
  }
});

test('the table address is bits 51:12 of the entry; bits 61:52 and 63 are ignored', () => {
  const ign = (0x3ffn << 52n) | (1n << 63n);
  const { w } = chain(2, 1, 0x8765_4000n | R | W | ign, IOVA, R | W | ign);
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x8765_4000 + (IOVA % 4096));
});

test('2 MiB pages (PS in a PDE) and 1 GiB pages (PS in a PDPE) when SLLPS allows them', () => {
  let { w } = chain(2, 2, 0x8060_0000n | R | PS, IOVA, R | W, { flags: A.VSF_2M });
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x8060_0000 + (IOVA % 2 ** 21), 21, 2]);
  ({ w } = chain(2, 3, 0x1_4000_0000n | R | PS, IOVA, R | W, { flags: A.VSF_1G }));
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x1_4000_0000 + (IOVA % 2 ** 30), 30, 3]);
  // With AW 1 the PDPE is the top level and may still map 1 GiB.
  const iova = IOVA % 2 ** 39;
  ({ w } = chain(1, 3, 0x1_4000_0000n | R | PS, iova, R | W, { flags: A.VSF_1G }));
  assert.is(w.walk(iova, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x1_4000_0000 + (iova % 2 ** 30));
});

test('PS where SLLPS gives no large page, or in a PML4E/PML5E, is a reserved-bit fault (0x0C)', () => {
  let { w } = chain(2, 2, 0x8060_0000n | R | PS, IOVA, R | W, { flags: A.VSF_1G });
  assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 2]);
  ({ w } = chain(2, 3, 0x4000_0000n | R | PS, IOVA, R | W, { flags: A.VSF_2M }));
  assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 3]);
  for (const aw of [2, 3]) {
    ({ w } = chain(aw, aw + 2, 0x80_0000_0000n | R | PS, IOVA, R | W, { flags: A.VSF_2M | A.VSF_1G }));
    assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
    assert.equal([w.reason, w.level], [A.R_RESERVED, aw + 2]);
    assert.is(legacyFr(w, false, aw + 2), VTD_FR_PAGING_ENTRY_RSVD);
  }
});

test('an entry with R = W = 0 is not present at every level: read fault 0x06, write fault 0x05 there', () => {
  for (let lvl = 4; lvl >= 1; lvl--) {
    const t = new TestRam();
    let n = 0;
    for (let l = 4; l > lvl; l--, n++) t.set(T(n) + idx(IOVA, l) * 8, BigInt(T(n + 1)) | R | W);
    t.set(T(n) + idx(IOVA, lvl) * 8, 0x8765_4000n | X | ACC | PS); // no R, no W: other bits do not matter
    const { w } = ss(t, T(0));
    assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
    assert.equal([w.reason, w.level], [A.R_INVALID, lvl]);
    assert.is(legacyFr(w, false, 4), VTD_FR_READ);
    assert.is(w.walk(IOVA, 'write'), A.ST_TRANSLATION);
    assert.is(legacyFr(w, true, 4), VTD_FR_WRITE);
  }
});

test('read needs R and write needs W at every level; the fault is at the first level that denies', () => {
  // Write-only table at level 3: reads fault there (0x06), writes go through.
  const t = new TestRam();
  t.set(T(0) + idx(IOVA, 4) * 8, BigInt(T(1)) | R | W);
  t.set(T(1) + idx(IOVA, 3) * 8, BigInt(T(2)) | W);
  t.set(T(2) + idx(IOVA, 2) * 8, BigInt(T(3)) | R | W);
  t.set(T(3) + idx(IOVA, 1) * 8, 0x8765_4000n | R | W);
  const { w } = ss(t, T(0));
  assert.is(w.walk(IOVA, 'read'), A.ST_PERMISSION);
  assert.equal([w.reason, w.level, legacyFr(w, false, 4)], [A.R_PERM_READ, 3, VTD_FR_READ]);
  assert.is(w.walk(IOVA, 'write'), A.ST_OK);
  assert.is(w.perm & 3, A.PERM_W, 'granted permissions are the AND over the levels');
  // Read-only PDE: writes fault at level 2 (0x05).
  t.set(T(1) + idx(IOVA, 3) * 8, BigInt(T(2)) | R | W);
  t.set(T(2) + idx(IOVA, 2) * 8, BigInt(T(3)) | R);
  assert.is(w.walk(IOVA, 'write'), A.ST_PERMISSION);
  assert.equal([w.reason, w.level, legacyFr(w, true, 4)], [A.R_PERM_WRITE, 2, VTD_FR_WRITE]);
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.is(w.perm & 3, A.PERM_R);
  // Read-only leaf.
  t.set(T(2) + idx(IOVA, 2) * 8, BigInt(T(3)) | R | W);
  t.set(T(3) + idx(IOVA, 1) * 8, 0x8765_4000n | R);
  assert.is(w.walk(IOVA, 'write'), A.ST_PERMISSION);
  assert.equal([w.reason, w.level], [A.R_PERM_WRITE, 1]);
});

test('reserved bits at each level: address bits at and above HAW, bit 62, bit 11 outside leaves', () => {
  for (const lvl of [4, 3, 2, 1]) {
    for (const [bad, why] of [[1n << 40n, 'bit 40 with HAW 39'], [1n << 62n, 'bit 62'], [SNP, 'bit 11']] as const) {
      if (lvl === 1 && bad === SNP) continue; // a leaf: see the SNP test
      const t = new TestRam();
      let n = 0;
      for (let l = 4; l > 1; l--, n++) t.set(T(n) + idx(IOVA, l) * 8, BigInt(T(n + 1)) | R | W | (l === lvl ? bad : 0n));
      t.set(T(n) + idx(IOVA, 1) * 8, 0x8765_4000n | R | W | (lvl === 1 ? bad : 0n));
      const { w } = ss(t, T(0), { haw: 39 });
      assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION, `${why} at level ${lvl}`);
      assert.equal([w.reason, w.level], [A.R_RESERVED, lvl], `${why} at level ${lvl}`);
      assert.is(legacyFr(w, false, 4), VTD_FR_PAGING_ENTRY_RSVD);
    }
  }
  // Address bit 38 is below HAW 39: a legal frame.
  const { w } = chain(2, 1, (1n << 38n) | R, IOVA, R | W, { haw: 39 });
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 2 ** 38 + (IOVA % 4096));
});

test('large-page frames: bits 20:12 of a 2 MiB leaf and 29:12 of a 1 GiB leaf are reserved', () => {
  let { w } = chain(2, 2, 0x8060_0000n | (1n << 20n) | R | PS, IOVA, R | W, { flags: A.VSF_2M });
  assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 2]);
  ({ w } = chain(2, 3, 0x4000_0000n | (1n << 21n) | R | PS, IOVA, R | W, { flags: A.VSF_1G }));
  assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 3]);
  ({ w } = chain(2, 3, 0x4000_0000n | (1n << 12n) | R | PS, IOVA, R | W, { flags: A.VSF_1G }));
  assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
});

test('SNP (bit 11) in a leaf: reserved without snoop control, the snoop attribute with it', () => {
  let { w } = chain(2, 1, 0x8765_4000n | R | SNP);
  assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.level], [A.R_RESERVED, 1]);
  ({ w } = chain(2, 1, 0x8765_4000n | R | SNP, IOVA, R | W, { flags: A.VSF_SNP }));
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.ok((w.attrs & A.A_SNP) !== 0);
  ({ w } = chain(2, 2, 0x8060_0000n | R | SNP | PS, IOVA, R | W, { flags: A.VSF_SNP | A.VSF_2M }));
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.ok((w.attrs & A.A_SNP) !== 0);
});

test('bit 62 in a leaf is allowed only when the model allows the old TM bit', () => {
  let { w } = chain(2, 1, 0x8765_4000n | R | (1n << 62n));
  assert.is(w.walk(IOVA, 'read'), A.ST_TRANSLATION);
  ({ w } = chain(2, 1, 0x8765_4000n | R | (1n << 62n), IOVA, R | W, { flags: A.VSF_TM }));
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
});

test('EMT (bits 5:3) and IPAT (bit 6) of the leaf are reported as the memory attribute', () => {
  const { w } = chain(2, 1, 0x8765_4000n | R | (6n << 3n) | (1n << 6n));
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.is(w.result().attrs.memAttr, 6 | 8);
});

test('inputs at or above min(MGAW, AGAW width) fault before any table is read (0x04)', () => {
  const t = new TestRam();
  let { w } = ss(t, T(0), { aw: 1 });
  assert.is(w.walk(2 ** 39, 'read'), A.ST_TRANSLATION);
  assert.equal([w.reason, w.result().entryAddress], [A.R_INPUT_RANGE, -1]);
  assert.is(legacyFr(w, false, 3), VTD_FR_ADDR_BEYOND_MGAW);
  ({ w } = ss(t, T(0), { aw: 2, mgaw: 40 }));
  assert.is(w.walk(2 ** 40, 'write'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INPUT_RANGE);
  assert.is(w.walk(2 ** 40 - 1, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INVALID, 'just below the limit the walk reads the (empty) table');
  ({ w } = ss(t, T(0), { aw: 3 }));
  assert.is(w.walk(2 ** 52, 'read'), A.ST_TRANSLATION);
  assert.is(w.reason, A.R_INVALID, '57-bit AGAW accepts a 53-bit address');
});

test('a table nobody backs: 0x03 for the top-level table, 0x07 below it', () => {
  const t = new TestRam();
  let { w } = ss(t, 0x10_0000_0000);
  assert.is(w.walk(IOVA, 'read'), A.ST_EXT_ABORT);
  assert.is(legacyFr(w, false, 4), VTD_FR_CONTEXT_ENTRY_INV);
  t.set(T(0) + idx(IOVA, 4) * 8, 0x10_0000_0000n | R | W);
  ({ w } = ss(t, T(0)));
  assert.is(w.walk(IOVA, 'read'), A.ST_EXT_ABORT);
  assert.equal([w.reason, w.level, legacyFr(w, false, 4)], [A.R_WALK_ABORT, 3, VTD_FR_PAGING_ENTRY_INV]);
});

test('SSADE: hardware sets A in every entry walked and D in the leaf on a write only', () => {
  const { t, w, leafAddr } = chain(2, 1, 0x8765_4000n | R | W, IOVA, R | W, { flags: A.VSF_AD });
  assert.is(w.walk(IOVA, 'read'), A.ST_OK);
  assert.is(t.get(T(0) + idx(IOVA, 4) * 8), BigInt(T(1)) | R | W | ACC);
  assert.is(t.get(T(2) + idx(IOVA, 2) * 8), BigInt(T(3)) | R | W | ACC);
  assert.is(t.get(leafAddr), 0x8765_4000n | R | W | ACC);
  assert.ok(w.result().attrs.af && w.result().updated);
  assert.ok((w.attrs & A.A_DIRTY) === 0);
  assert.is(w.walk(IOVA, 'write'), A.ST_OK);
  assert.is(t.get(leafAddr), 0x8765_4000n | R | W | ACC | DIRTY);
  assert.ok((w.attrs & A.A_DIRTY) !== 0);
  // Without SSADE nothing is written.
  const plain = chain(2, 1, 0x8765_4000n | R | W);
  assert.is(plain.w.walk(IOVA, 'write'), A.ST_OK);
  assert.is(plain.t.get(plain.leafAddr), 0x8765_4000n | R | W);
  assert.not.ok(plain.w.result().updated);
});

test('execute: checked against X at every level with SSEE; a plain read without it', () => {
  let { w } = chain(2, 1, 0x8765_4000n | R, IOVA, R | W | X, { flags: A.VSF_EXEC });
  assert.is(w.walk(IOVA, 'read', false, true), A.ST_PERMISSION);
  assert.equal([w.reason, w.level], [A.R_PERM_EXEC, 1]);
  ({ w } = chain(2, 1, 0x8765_4000n | R | X, IOVA, R | W, { flags: A.VSF_EXEC }));
  assert.is(w.walk(IOVA, 'read', false, true), A.ST_PERMISSION);
  assert.is(w.level, 4);
  ({ w } = chain(2, 1, 0x8765_4000n | R | X, IOVA, R | W | X, { flags: A.VSF_EXEC }));
  assert.is(w.walk(IOVA, 'read', false, true), A.ST_OK);
  assert.is(w.perm, A.PERM_R | A.PERM_X);
  ({ w } = chain(2, 1, 0x8765_4000n | R, IOVA, R | W));
  assert.is(w.walk(IOVA, 'read', false, true), A.ST_OK);
  assert.is(w.perm, A.PERM_R | A.PERM_X);
});

test('configuration: AW outside 1..3 and host widths outside 32..52 are invalid', () => {
  const t = new TestRam();
  assert.is(ss(t, T(0), { aw: 0 }).cfgErr, A.CFG_INPUT_SIZE);
  assert.is(ss(t, T(0), { aw: 4 }).cfgErr, A.CFG_INPUT_SIZE);
  assert.is(ss(t, T(0), { haw: 53 }).cfgErr, A.CFG_OUTPUT_SIZE);
  const { w } = ss(t, T(0), { haw: 31 });
  assert.is(w.walk(0, 'read'), A.ST_BAD_CONFIG);
});

test('property: the WASM walk and the reference agree on random tables and addresses', () => {
  // Tables: 16 pages; entries are drawn from a small alphabet of interesting bit patterns so
  // every fault kind and leaf size shows up.
  const NT = 16;
  const entryArb = fc.record({
    kind: fc.integer({ min: 0, max: 11 }), // 0 empty, 1..8 table (leaf at level 1), 9..11 leaf
    next: fc.nat(NT - 1),
    perm: fc.constantFrom(7, 7, 7, 3, 3, 1, 2, 4),
    extra: fc.constantFrom(0n, 0n, 0n, PS, SNP, 1n << 62n, 1n << 45n, ACC, (1n << 20n) | PS, (1n << 29n) | PS, 0x3ffn << 52n),
    frame: fc.nat(0xfffff),
    big: fc.boolean(),
    ps: fc.boolean(),
  });
  const cfgArb = fc.record({
    aw: fc.integer({ min: 1, max: 3 }),
    haw: fc.constantFrom(39, 46, 48, 52),
    mgaw: fc.constantFrom(0, 39, 45, 48),
    flags: fc.nat(63),
  });
  const seen = new Set<string>();
  fc.assert(
    fc.property(cfgArb, fc.array(entryArb, { minLength: 64, maxLength: 64 }), fc.array(fc.tuple(fc.bigInt({ min: 0n, max: (1n << 57n) - 1n }), fc.nat(2)), { minLength: 8, maxLength: 8 }), (cfg, entries, walks) => {
      const t = new TestRam(NT * 4096);
      // Place each entry at the index the walks will use, in a table chosen by the entry.
      const levels = cfg.aw + 2;
      for (let i = 0; i < walks.length; i++) {
        const iova = walks[i]![0];
        let tbl = 0;
        for (let l = levels; l >= 1; l--) {
          const e = entries[(i * 5 + l) % entries.length]!;
          const index = Number((iova >> BigInt(12 + 9 * (l - 1))) & 0x1ffn);
          let v: bigint;
          if (e.kind === 0) v = 0n;
          else if (e.kind <= 8 && l > 1) v = BigInt(T(e.next)) | BigInt(e.perm) | (e.kind === 1 ? e.extra : 0n);
          else v = (BigInt(e.frame) << (e.big ? 30n : 21n)) | BigInt(e.perm) | e.extra | (e.ps ? PS : 0n);
          t.set(T(tbl) + index * 8, v);
          if (e.kind > 0 && e.kind <= 8) tbl = e.next;
        }
      }
      const ref = t.refCopy();
      const c: RefVtdSs = {
        root: BigInt(T(0)), aw: cfg.aw, haw: cfg.haw, mgaw: cfg.mgaw, sllps2m: (cfg.flags & A.VSF_2M) !== 0,
        sllps1g: (cfg.flags & A.VSF_1G) !== 0, snp: (cfg.flags & A.VSF_SNP) !== 0, tm: (cfg.flags & A.VSF_TM) !== 0,
        exec: (cfg.flags & A.VSF_EXEC) !== 0, ad: (cfg.flags & A.VSF_AD) !== 0,
      };
      const { w, cfgErr } = ss(t, T(0), cfg);
      assert.is(cfgErr, A.CFG_OK);
      for (const [iova, kind] of walks) {
        const va = iova >> BigInt(57 - (30 + 9 * cfg.aw) - (kind === 2 ? 1 : 0)); // mostly in range, sometimes one bit over
        const write = kind === 1;
        const exec = kind === 2;
        const want = refVtdSsWalk(ref, c, va, write, exec);
        const st = w.walk(va, write ? 'write' : 'read', false, exec);
        const got = w.result();
        const ctx = `va ${va.toString(16)} ${write ? 'W' : exec ? 'X' : 'R'}`;
        seen.add(st === A.ST_OK ? `ok${want.pageShift}` : `${st}/${want.reason}`);
        assert.equal([st, w.reason, got.level], [want.status, want.reason, want.level], ctx);
        assert.is(BigInt(got.entryAddress), want.entryAddr, ctx);
        if (st === A.ST_OK) {
          assert.equal([BigInt(got.outputAddress), got.pageShift, got.perm, w.attrs], [want.oa, want.pageShift, want.perm, want.attrs], ctx);
          assert.is(got.entry, want.entry, ctx);
        }
        for (const [pa, v] of want.writes) assert.is(t.get(Number(pa)), v, `${ctx}: update at ${pa.toString(16)}`);
      }
    }),
    { numRuns: 300, seed: 0x5eed },
  );
  // The generator reaches every outcome the format has.
  const kinds = ['ok12', 'ok21', 'ok30', `${A.ST_TRANSLATION}/${A.R_INVALID}`, `${A.ST_TRANSLATION}/${A.R_RESERVED}`,
    `${A.ST_TRANSLATION}/${A.R_INPUT_RANGE}`, `${A.ST_PERMISSION}/${A.R_PERM_READ}`, `${A.ST_PERMISSION}/${A.R_PERM_WRITE}`,
    `${A.ST_PERMISSION}/${A.R_PERM_EXEC}`, `${A.ST_EXT_ABORT}/${A.R_WALK_ABORT}`];
  for (const k of kinds) assert.ok(seen.has(k), `outcome ${k} never generated (seen: ${[...seen].join(' ')})`);
});

test.run();

// VMSAv8-64 stage 1 through the WASM walk engine: spec facts (smmuv3.md f.1-f.4, Arm ARM
// walk order), one test per fault and per geometry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Walker, type VmsaS1Config } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import {
  SMMU_EVENT_F_ACCESS, SMMU_EVENT_F_ADDR_SIZE, SMMU_EVENT_F_PERMISSION, SMMU_EVENT_F_TRANSLATION, SMMU_EVENT_F_WALK_EABT,
  SMMU_EVT_FAULT_CLASS_IN, SMMU_EVT_FAULT_CLASS_TT,
} from '../../src/regs/generated/smmuv3.ts';
import { RAM_BASE, TestRam, block, idx, page, table } from './ref/tables.ts';

const L0 = RAM_BASE;
const L1 = RAM_BASE + 0x1000;
const L2 = RAM_BASE + 0x2000;
const L3 = RAM_BASE + 0x3000;
const VA = 0x0000_1234_5678_9abc;
const OA_PAGE = 0x8765_4000;

/** 4K granule, 48-bit: L0 -> L1 -> L2 -> L3 for VA, leaf `leafDesc` at L3 (or at `leafLevel`). */
function fourLevel(leafDesc: bigint, leafLevel = 3, cfg: Partial<VmsaS1Config> = {}) {
  const t = new TestRam();
  const tables = [L0, L1, L2, L3];
  for (let l = 0; l < leafLevel; l++) t.set(tables[l]! + idx(VA, l) * 8, table(tables[l + 1]!));
  t.set(tables[leafLevel]! + idx(VA, leafLevel) * 8, leafDesc);
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: L0, t0sz: 16, ...cfg }), A.CFG_OK);
  return { t, w };
}

test('4K, 48-bit input: four levels from level 0 to a page; OA = page | offset', () => {
  const { w } = fourLevel(page(OA_PAGE, { ap: 0b01, attr: 1, sh: 3, ng: true }));
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  const r = w.result();
  assert.is(r.outputAddress, OA_PAGE + 0xabc);
  assert.is(r.pageShift, 12);
  assert.is(r.level, 3);
  assert.is(r.stage, 1);
  assert.is(r.entryAddress, L3 + idx(VA, 3) * 8);
  assert.is(r.entry, page(OA_PAGE, { ap: 0b01, attr: 1, sh: 3, ng: true }));
  assert.equal([r.attrs.memAttr, r.attrs.sh, r.attrs.nG, r.attrs.af], [1, 3, true, true]);
  assert.is(r.smmuEvent, null);
});

test('blocks: 1 GiB at level 1 and 2 MiB at level 2 (4K granule)', () => {
  let { w } = fourLevel(block(0x1_4000_0000, { ap: 0b01 }), 1);
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x1_4000_0000 + (VA % 2 ** 30));
  assert.equal([w.pageShift, w.level], [30, 1]);
  ({ w } = fourLevel(block(0x8060_0000, { ap: 0b01 }), 2));
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x8060_0000 + (VA % 2 ** 21));
  assert.equal([w.pageShift, w.level], [21, 2]);
});

test('block bits below the block size are ignored in the output address', () => {
  const { w } = fourLevel(block(0x8060_0000 + 0x1f_f000, { ap: 0b01 }), 2);
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x8060_0000 + (VA % 2 ** 21));
});

test('translation fault at each level on an invalid descriptor, reported at that level', () => {
  for (let level = 0; level <= 3; level++) {
    const { w } = fourLevel(0x8000_0000n /* bit 0 clear */, level);
    assert.is(w.walk(VA, 'read'), A.ST_TRANSLATION, `level ${level}`);
    const r = w.result();
    assert.is(r.level, level);
    assert.is(r.reason, 'invalidDescriptor');
    assert.equal(r.smmuEvent, { id: SMMU_EVENT_F_TRANSLATION, s2: false, class: SMMU_EVT_FAULT_CLASS_IN });
  }
});

test('0b01 at level 3 is reserved and a level-0 block does not exist with 4K: translation faults', () => {
  let { w } = fourLevel(block(OA_PAGE), 3);
  assert.is(w.walk(VA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.result().reason, w.level], ['reservedDescriptor', 3]);
  ({ w } = fourLevel(block(0), 0));
  assert.is(w.walk(VA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.result().reason, w.level], ['blockLevel', 0]);
});

test('T0SZ sets the start level: 39-bit input starts at level 1; addresses above it fault at level 0', () => {
  const t = new TestRam();
  const va = 0x12_3456_7000;
  t.set(L1 + idx(va, 1) * 8, table(L2));
  t.set(L2 + idx(va, 2) * 8, table(L3));
  t.set(L3 + idx(va, 3) * 8, page(OA_PAGE));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: L1, t0sz: 25 }), A.CFG_OK);
  assert.is(w.walk(va, 'read', true), A.ST_OK);
  assert.is(w.outputAddress, OA_PAGE);
  assert.is(w.walk(2 ** 39 + va, 'read', true), A.ST_TRANSLATION);
  assert.equal([w.result().reason, w.level], ['inputRange', 0]);
});

test('TTB1 region: all-ones upper bits use TTB1; mixed upper bits fault; EPD1 disables it', () => {
  const t = new TestRam();
  const va = 0xffff_8000_0020_1000n; // T1SZ=16: bits 63:48 all ones
  t.set(L0 + idx(va, 0) * 8, table(L1));
  t.set(L1 + idx(va, 1) * 8, table(L2));
  t.set(L2 + idx(va, 2) * 8, block(0x9000_0000));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: L3, t0sz: 16, ttb1: L0, t1sz: 16 }), A.CFG_OK);
  assert.is(w.walk(va, 'read', true), A.ST_OK);
  assert.is(w.outputAddress, 0x9000_1000);
  assert.ok(w.result().ttb1);
  assert.is(w.walk(0x8000_8000_0020_1000n, 'read', true), A.ST_TRANSLATION);
  assert.is(w.result().reason, 'inputRange');
  w.configureS1({ ttb0: L3, t0sz: 16, ttb1: L0, t1sz: 16, epd1: true });
  assert.is(w.walk(va, 'read', true), A.ST_TRANSLATION);
  assert.equal([w.result().reason, w.level, w.result().ttb1], ['regionDisabled', 0, true]);
});

test('EPD0 makes every TTB0 walk a translation fault at level 0', () => {
  const { w } = fourLevel(page(OA_PAGE), 3, { epd0: true });
  assert.is(w.walk(VA, 'read'), A.ST_TRANSLATION);
  assert.equal([w.result().reason, w.level, w.result().entryAddress], ['regionDisabled', 0, -1]);
});

test('TBI0 ignores bits 63:56 for TTB0 addresses; without it they fault', () => {
  const { w } = fourLevel(page(OA_PAGE, { ap: 0b01 }), 3, { tbi0: true });
  const tagged = (0x5an << 56n) | BigInt(VA);
  assert.is(w.walk(tagged, 'read'), A.ST_OK);
  assert.is(w.outputAddress, OA_PAGE + 0xabc);
  w.configureS1({ ttb0: L0, t0sz: 16 });
  assert.is(w.walk(tagged, 'read'), A.ST_TRANSLATION);
});

test('address size faults: TTB, next-level table and output address beyond IPS', () => {
  // TTB above 2^40 with IPS = 40 bits: level 0.
  let { w } = fourLevel(page(OA_PAGE));
  assert.is(w.configureS1({ ttb0: 2 ** 40 + L0, t0sz: 16, oas: 40 }), A.CFG_OK);
  assert.is(w.walk(VA, 'read', true), A.ST_ADDR_SIZE);
  assert.equal([w.result().reason, w.level], ['baseSize', 0]);
  assert.equal(w.result().smmuEvent, { id: SMMU_EVENT_F_ADDR_SIZE, s2: false, class: SMMU_EVT_FAULT_CLASS_IN });
  // Table descriptor at level 1 holding a 2^40+ address: fault at level 1.
  const r2 = fourLevel(page(OA_PAGE), 3, { oas: 40 });
  r2.t.set(L1 + idx(VA, 1) * 8, table(2 ** 40 + L2));
  assert.is(r2.w.walk(VA, 'read', true), A.ST_ADDR_SIZE);
  assert.equal([r2.w.result().reason, r2.w.level], ['tableSize', 1]);
  // Output 2^40 + x with IPS 40: fault at the leaf level; with IPS 48 it translates.
  ({ w } = fourLevel(page(2 ** 40 + OA_PAGE), 3, { oas: 40 }));
  assert.is(w.walk(VA, 'read', true), A.ST_ADDR_SIZE);
  assert.equal([w.result().reason, w.level], ['outputSize', 3]);
  ({ w } = fourLevel(page(2 ** 40 + OA_PAGE), 3, { oas: 48 }));
  assert.is(w.walk(VA, 'read', true), A.ST_OK);
  assert.is(w.outputAddress, 2 ** 40 + OA_PAGE + 0xabc);
});

test('IPS is capped by the implementation limit and at 48 bits without the 64K granule', () => {
  let { w } = fourLevel(page(2 ** 44 + OA_PAGE), 3, { oas: 48, oasLimit: 44 });
  assert.is(w.walk(VA, 'read', true), A.ST_ADDR_SIZE);
  ({ w } = fourLevel(page(OA_PAGE), 3, { oas: 52, oasLimit: 52 }));
  assert.is(w.walk(VA, 'read', true), A.ST_OK);
});

test('access flag: AF=0 faults; HA sets AF in memory; AFFD treats it as set', () => {
  const leafAddr = L3 + idx(VA, 3) * 8;
  let { t, w } = fourLevel(page(OA_PAGE, { af: false }));
  assert.is(w.walk(VA, 'read', true), A.ST_ACCESS);
  assert.equal([w.result().reason, w.level, w.outputAddress], ['accessFlag', 3, OA_PAGE + 0xabc]);
  assert.equal(w.result().smmuEvent, { id: SMMU_EVENT_F_ACCESS, s2: false, class: SMMU_EVT_FAULT_CLASS_IN });
  ({ t, w } = fourLevel(page(OA_PAGE, { af: false }), 3, { ha: true }));
  assert.is(w.walk(VA, 'read', true), A.ST_OK);
  assert.ok(w.result().updated);
  assert.ok(w.result().attrs.af);
  assert.is(t.get(leafAddr), page(OA_PAGE, { af: true }));
  ({ t, w } = fourLevel(page(OA_PAGE, { af: false }), 3, { affd: true }));
  assert.is(w.walk(VA, 'read', true), A.ST_OK);
  assert.not.ok(w.result().updated);
  assert.is(t.get(leafAddr), page(OA_PAGE, { af: false }));
});

test('HA never sets AF on a walk that ends in a permission fault', () => {
  const { t, w } = fourLevel(page(OA_PAGE, { af: false, ap: 0b10 }), 3, { ha: true });
  assert.is(w.walk(VA, 'write', true), A.ST_PERMISSION);
  assert.is(t.get(L3 + idx(VA, 3) * 8), page(OA_PAGE, { af: false, ap: 0b10 }));
});

test('AP[2:1]: read-only pages refuse writes; AP[1]=0 refuses unprivileged access', () => {
  const cases: [number, boolean, 'read' | 'write', number][] = [
    // ap, privileged, access, expected status
    [0b00, true, 'write', A.ST_OK],
    [0b00, false, 'read', A.ST_PERMISSION],
    [0b01, false, 'write', A.ST_OK],
    [0b10, true, 'read', A.ST_OK],
    [0b10, true, 'write', A.ST_PERMISSION],
    [0b10, false, 'read', A.ST_PERMISSION],
    [0b11, false, 'read', A.ST_OK],
    [0b11, false, 'write', A.ST_PERMISSION],
  ];
  for (const [ap, priv, access, st] of cases) {
    const { w } = fourLevel(page(OA_PAGE, { ap }));
    assert.is(w.walk(VA, access, priv), st, `AP=${ap.toString(2)} ${priv ? 'privileged' : 'unprivileged'} ${access}`);
    if (st === A.ST_PERMISSION) {
      assert.is(w.result().reason, access === 'write' ? 'permWrite' : 'permRead');
      assert.equal(w.result().smmuEvent, { id: SMMU_EVENT_F_PERMISSION, s2: false, class: SMMU_EVT_FAULT_CLASS_IN });
    }
  }
  const { w } = fourLevel(page(OA_PAGE, { ap: 0b11 }));
  w.walk(VA, 'read', true);
  assert.equal([w.result().permPrivileged, w.result().permUnprivileged], [A.PERM_R | A.PERM_X, A.PERM_R | A.PERM_X]);
});

test('execute-never: UXN for unprivileged, PXN for privileged, and EL0-writable is never privileged-executable', () => {
  let { w } = fourLevel(page(OA_PAGE, { ap: 0b11, uxn: true }));
  assert.is(w.walk(VA, 'read', false, true), A.ST_PERMISSION);
  assert.is(w.result().reason, 'permExec');
  assert.is(w.walk(VA, 'read', true, true), A.ST_OK);
  ({ w } = fourLevel(page(OA_PAGE, { ap: 0b11, pxn: true })));
  assert.is(w.walk(VA, 'read', true, true), A.ST_PERMISSION);
  assert.is(w.walk(VA, 'read', false, true), A.ST_OK);
  ({ w } = fourLevel(page(OA_PAGE, { ap: 0b01 })));
  assert.is(w.walk(VA, 'read', true, true), A.ST_PERMISSION);
  assert.is(w.walk(VA, 'read', false, true), A.ST_OK);
});

test('WXN: writable memory is execute-never', () => {
  const { w } = fourLevel(page(OA_PAGE, { ap: 0b00 }), 3, { wxn: true });
  assert.is(w.walk(VA, 'read', true, true), A.ST_PERMISSION);
  w.configureS1({ ttb0: L0, t0sz: 16 });
  assert.is(w.walk(VA, 'read', true, true), A.ST_OK);
});

test('hierarchical attributes: APTable, XNTable, PXNTable restrict the levels below; HPD ignores them', () => {
  const withTable = (bits: Parameters<typeof table>[1], cfg: Partial<VmsaS1Config> = {}) => {
    const r = fourLevel(page(OA_PAGE, { ap: 0b01 }), 3, cfg);
    r.t.set(L1 + idx(VA, 1) * 8, table(L2, bits));
    return r.w;
  };
  let w = withTable({ apTable: 0b10 });
  assert.is(w.walk(VA, 'write', true), A.ST_PERMISSION);
  assert.is(w.walk(VA, 'read', false), A.ST_OK);
  w = withTable({ apTable: 0b01 });
  assert.is(w.walk(VA, 'read', false), A.ST_PERMISSION);
  assert.is(w.walk(VA, 'write', true), A.ST_OK);
  w = withTable({ xnTable: true });
  assert.is(w.walk(VA, 'read', false, true), A.ST_PERMISSION);
  w = withTable({ pxnTable: true, apTable: 0b10 });
  assert.is(w.walk(VA, 'read', true, true), A.ST_PERMISSION);
  w = withTable({ apTable: 0b11, xnTable: true }, { hpd0: true });
  assert.is(w.walk(VA, 'write', false, false), A.ST_OK);
  assert.is(w.walk(VA, 'read', false, true), A.ST_OK);
  w = withTable({ nsTable: true });
  w.walk(VA, 'read');
  assert.ok(w.result().attrs.nsTable);
});

test('dirty state (HA+HD): a write to a writable-clean page (DBM=1, AP[2]=1) clears AP[2]', () => {
  const leafAddr = L3 + idx(VA, 3) * 8;
  const clean = page(OA_PAGE, { ap: 0b10, dbm: true });
  let { t, w } = fourLevel(clean, 3, { ha: true, hd: true });
  assert.is(w.walk(VA, 'read', true), A.ST_OK);
  assert.is(w.perm & A.PERM_W, 0); // clean: not writable until written
  assert.is(t.get(leafAddr), clean);
  assert.is(w.walk(VA, 'write', true), A.ST_OK);
  assert.is(t.get(leafAddr), page(OA_PAGE, { ap: 0b00, dbm: true }));
  assert.ok(w.result().updated);
  // HD without HA has no effect; without HD, DBM is ignored.
  ({ t, w } = fourLevel(clean, 3, { hd: true }));
  assert.is(w.walk(VA, 'write', true), A.ST_PERMISSION);
  ({ t, w } = fourLevel(clean, 3, { ha: true }));
  assert.is(w.walk(VA, 'write', true), A.ST_PERMISSION);
});

test('external abort: a table outside all memory, and a TTB outside all memory', () => {
  const r = fourLevel(page(OA_PAGE));
  r.t.set(L2 + idx(VA, 2) * 8, table(0x10_0000_0000));
  assert.is(r.w.walk(VA, 'read', true), A.ST_EXT_ABORT);
  const res = r.w.result();
  assert.equal([res.level, res.reason, res.entryAddress], [3, 'walkAbort', 0x10_0000_0000 + idx(VA, 3) * 8]);
  assert.equal(res.smmuEvent, { id: SMMU_EVENT_F_WALK_EABT, s2: false, class: SMMU_EVT_FAULT_CLASS_TT });
  assert.is(r.w.configureS1({ ttb0: 0x2000_0000, t0sz: 16 }), A.CFG_OK);
  assert.is(r.w.walk(VA, 'read', true), A.ST_EXT_ABORT);
  assert.is(r.w.level, 0);
});

test('table reads outside core RAM go to the embedder memory when there is one', () => {
  const r = fourLevel(page(OA_PAGE));
  const EXT = 0x10_0000_0000;
  r.t.set(L2 + idx(VA, 2) * 8, table(EXT));
  r.t.core.external = {
    read(gpa, dst) {
      if (gpa !== EXT + idx(VA, 3) * 8) return false;
      new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, page(0x7000_0000), true);
      return true;
    },
    write: () => false,
  };
  assert.is(r.w.walk(VA, 'read', true), A.ST_OK);
  assert.is(r.w.outputAddress, 0x7000_0abc);
});

test('16K granule, 48-bit: start level 0 resolves one bit; 16K pages and 32 MiB blocks', () => {
  const t = new TestRam();
  const g = 14;
  const va = 0x8765_4321_2345;
  const T = [RAM_BASE, RAM_BASE + 0x4000, RAM_BASE + 0x8000, RAM_BASE + 0xc000];
  t.set(T[0]! + (Math.floor(va / 2 ** 47) & 1) * 8, table(T[1]!));
  t.set(T[1]! + idx(va, 1, g) * 8, table(T[2]!));
  t.set(T[2]! + idx(va, 2, g) * 8, table(T[3]!));
  t.set(T[3]! + idx(va, 3, g) * 8, page(0x1234_c000, { ap: 0b01 }));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: T[0]!, t0sz: 16, granule0: 16384 }), A.CFG_OK);
  assert.is(w.walk(va, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x1234_c000 + (va % 16384), 14, 3]);
  t.set(T[2]! + idx(va, 2, g) * 8, block(0x4_0200_0000, { ap: 0b01 }));
  assert.is(w.walk(va, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x4_0200_0000 + (va % 2 ** 25), 25, 2]);
  t.set(T[1]! + idx(va, 1, g) * 8, block(0)); // no level-1 blocks with 16K
  assert.is(w.walk(va, 'read'), A.ST_TRANSLATION);
  assert.is(w.result().reason, 'blockLevel');
});

test('64K granule, 48-bit: start level 1 with 6 bits; 64K pages, 512 MiB blocks; 4 TiB level-1 blocks only with LPA', () => {
  const t = new TestRam();
  const g = 16;
  const va = 0x8765_4321_2345;
  const T = [RAM_BASE, RAM_BASE + 0x1_0000, RAM_BASE + 0x2_0000];
  t.set(T[0]! + Math.floor(va / 2 ** 42) * 8, table(T[1]!));
  t.set(T[1]! + idx(va, 2, g) * 8, table(T[2]!));
  t.set(T[2]! + idx(va, 3, g) * 8, page(0x1235_0000, { ap: 0b01 }));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: T[0]!, t0sz: 16, granule0: 65536 }), A.CFG_OK);
  assert.is(w.walk(va, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x1235_0000 + (va % 65536), 16, 3]);
  t.set(T[1]! + idx(va, 2, g) * 8, block(0x6_0000_0000, { ap: 0b01 }));
  assert.is(w.walk(va, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x6_0000_0000 + (va % 2 ** 29), 29, 2]);
  t.set(T[0]! + Math.floor(va / 2 ** 42) * 8, block(0x4000_0000_0000, { ap: 0b01 }));
  assert.is(w.walk(va, 'read'), A.ST_TRANSLATION);
  assert.is(w.result().reason, 'blockLevel');
  assert.is(w.configureS1({ ttb0: T[0]!, t0sz: 16, granule0: 65536, oas: 52, oasLimit: 52 }), A.CFG_OK);
  assert.is(w.walk(va, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x4000_0000_0000 + (va % 2 ** 42), 42, 1]);
});

test('64K granule with 52-bit output: OA[51:48] in descriptor bits [15:12]; an address size fault below 52 bits', () => {
  const t = new TestRam();
  const va = 0x1_2345;
  const T = [RAM_BASE, RAM_BASE + 0x1_0000, RAM_BASE + 0x2_0000];
  t.set(T[0]!, table(T[1]!));
  t.set(T[1]!, table(T[2]!));
  t.set(T[2]! + 1 * 8, page(0x0000_1234_5678_0000n | (0xan << 12n), { ap: 0b01 }));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: T[0]!, t0sz: 16, granule0: 65536, oas: 52, oasLimit: 52 }), A.CFG_OK);
  assert.is(w.walk(va, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0xa_1234_5678_0000 + 0x2345);
  assert.is(w.configureS1({ ttb0: T[0]!, t0sz: 16, granule0: 65536, oas: 48, oasLimit: 52 }), A.CFG_OK);
  assert.is(w.walk(va, 'read'), A.ST_ADDR_SIZE);
  assert.is(w.result().reason, 'outputSize');
  // Without FEAT_LPA those bits are not address bits at all.
  assert.is(w.configureS1({ ttb0: T[0]!, t0sz: 16, granule0: 65536, oas: 48, oasLimit: 48 }), A.CFG_OK);
  assert.is(w.walk(va, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x1234_5678_0000 + 0x2345);
});

test('64K granule, 52-bit input (VA52): T0SZ=12 starts at level 1 with 10 bits', () => {
  const t = new TestRam();
  const va = 0x000f_0000_0001_0000; // bit 51..48 set
  const T = [RAM_BASE, RAM_BASE + 0x1_0000, RAM_BASE + 0x2_0000];
  t.set(T[0]! + Math.floor(va / 2 ** 42) * 8, table(T[1]!));
  t.set(T[1]!, table(T[2]!));
  t.set(T[2]! + 8, page(0x5_0000, { ap: 0b01 }));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: T[0]!, t0sz: 12, granule0: 65536 }), A.CFG_INPUT_SIZE);
  assert.is(w.walk(va, 'read'), A.ST_BAD_CONFIG);
  assert.is(w.configureS1({ ttb0: T[0]!, t0sz: 12, granule0: 65536, va52: true }), A.CFG_OK);
  assert.is(w.walk(va, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x5_0000);
});

test('the root table address ignores bits below the root table size', () => {
  const t = new TestRam();
  const va = 0x12_3456_7000; // 39-bit: level 1 root, 512 entries = 4 KiB
  t.set(L1 + idx(va, 1) * 8, block(0x8000_0000));
  const w = new Walker(t.core);
  w.configureS1({ ttb0: L1 + 0xff0, t0sz: 25 });
  assert.is(w.walk(va, 'read', true), A.ST_OK);
  assert.is(w.outputAddress, 0x8000_0000 + (va % 2 ** 30));
});

test('attributes: AttrIndx, NS, SH, nG, contiguous hint, DBM', () => {
  const { w } = fourLevel(page(OA_PAGE, { attr: 5, ns: true, sh: 2, ng: true, contiguous: true, dbm: true, ap: 0b01 }));
  assert.is(w.walk(VA, 'read'), A.ST_OK);
  const a = w.result().attrs;
  assert.equal([a.memAttr, a.ns, a.sh, a.nG, a.contiguous, a.dbm, a.af], [5, true, 2, true, true, true, true]);
});

test('invalid configurations are outcomes, not exceptions; API misuse throws', () => {
  const t = new TestRam();
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: L0, t0sz: 15 }), A.CFG_INPUT_SIZE);
  assert.is(w.configureS1({ ttb0: L0, t0sz: 49 }), A.CFG_INPUT_SIZE);
  assert.is(w.configureS1({ ttb0: L0, t0sz: 16, oas: 50 }), A.CFG_OUTPUT_SIZE);
  assert.is(w.walk(0, 'read'), A.ST_BAD_CONFIG);
  assert.is(w.result().fault, 'badConfig');
  assert.is(w.result().smmuEvent, null);
  // a disabled region's fields are not checked
  assert.is(w.configureS1({ ttb0: L0, t0sz: 16, t1sz: 3, epd1: true }), A.CFG_OK);
  assert.throws(() => w.configureS1({ ttb0: -1, t0sz: 16 }), /ttb0/);
  assert.throws(() => w.configureS1({ ttb0: 0, t0sz: 16, granule0: 8192 as 4096 }), /granule0/);
  assert.throws(() => w.walk(0.5), /iova/);
  assert.throws(() => w.walk(-1n), /iova/);
});

test.run();

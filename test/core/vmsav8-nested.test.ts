// Nested VMSAv8-64 (stage 1 over stage 2, SMMU STE.Config = 0b111, smmuv3.md f.5): the TTB and
// every stage-1 table address are IPAs translated by stage 2 before the fetch; the stage-1
// output is translated by stage 2 with the original access. Faults say which stage, and
// whether stage 2 failed while fetching a stage-1 table (S2=1, CLASS=TT) or on the final
// address (S2=1, CLASS=IN).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Walker } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import {
  SMMU_EVENT_F_PERMISSION, SMMU_EVENT_F_TRANSLATION, SMMU_EVENT_F_ACCESS, SMMU_EVT_FAULT_CLASS_IN, SMMU_EVT_FAULT_CLASS_TT,
} from '../../src/regs/generated/smmuv3.ts';
import { RAM_BASE, TestRam, block, idx, page, table } from './ref/tables.ts';

// Physical layout: stage-2 tables at RAM_BASE + 0x0000.., stage-1 tables at RAM_BASE + 0x10_0000..
// Stage 2 (4K, 32-bit IPA, start level 1) maps IPA 0x8000_0000 + x -> RAM_BASE + x with 2 MiB blocks
// for the first 4 MiB (x < 0x40_0000), and IPA 0x1000_0000 (data) -> 0x9_0000_0000 with one 2 MiB block.
const S2_L1 = RAM_BASE;
const S2_L2 = RAM_BASE + 0x1000;
const S2_L2_DATA = RAM_BASE + 0x2000;
const IPA_RAM = 0x8000_0000;
const S1_PA = RAM_BASE + 0x10_0000;
const S1_IPA = IPA_RAM + 0x10_0000;
const VA = 0x12_3456_7abc; // 39-bit stage 1: levels 1..3
const DATA_IPA = 0x1000_0000;

function setup(opts: { s2Table?: bigint; s2Data?: bigint; s1Leaf?: bigint; s1ha?: boolean } = {}) {
  const t = new TestRam(4 << 20);
  t.set(S2_L1 + 2 * 8, table(S2_L2)); // IPA 0x8000_0000..0xbfff_ffff
  t.set(S2_L2 + 0 * 8, opts.s2Table ?? block(RAM_BASE, { stage: 2 }));
  t.set(S2_L2 + 1 * 8, opts.s2Table ?? block(RAM_BASE + 0x20_0000, { stage: 2 }));
  t.set(S2_L1 + 0 * 8, table(S2_L2_DATA)); // IPA 0..0x3fff_ffff
  t.set(S2_L2_DATA + idx(DATA_IPA, 2) * 8, opts.s2Data ?? block(0x9_0000_0000, { stage: 2, attr: 0xf }));
  // Stage-1 tables at IPA S1_IPA (= PA S1_PA): level 1 -> level 2 -> level 3.
  t.set(S1_PA + idx(VA, 1) * 8, table(S1_IPA + 0x1000));
  t.set(S1_PA + 0x1000 + idx(VA, 2) * 8, table(S1_IPA + 0x2000));
  t.set(S1_PA + 0x2000 + idx(VA, 3) * 8, opts.s1Leaf ?? page(DATA_IPA + 0x5000, { ap: 0b01, attr: 1 }));
  const w2 = new Walker(t.core);
  assert.is(w2.configureS2({ vttb: S2_L1, t0sz: 32, sl0: 1, ps: 40 }), A.CFG_OK);
  const w1 = new Walker(t.core);
  assert.is(w1.configureS1({ ttb0: S1_IPA, t0sz: 25, oas: 32, ha: opts.s1ha }), A.CFG_OK);
  assert.is(w1.nest(w2), A.CFG_OK);
  return { t, w1, w2 };
}

test('a nested walk: tables fetched through stage 2, output translated by stage 2', () => {
  const { w1 } = setup();
  assert.is(w1.walk(VA, 'read'), A.ST_OK);
  const r = w1.result();
  assert.is(r.ipa, DATA_IPA + 0x5000 + 0xabc);
  assert.is(r.outputAddress, 0x9_0000_0000 + 0x5000 + 0xabc);
  assert.ok(r.nested);
  assert.equal([r.stage, r.level, r.s2Level], [1, 3, 2]);
  assert.equal([r.pageShift, r.s2PageShift], [12, 21]); // the smaller of the two
  assert.is(r.entryAddress, S1_PA + 0x2000 + idx(VA, 3) * 8); // the stage-1 leaf, physically
  assert.equal([r.attrs.memAttr, r.s2Attrs?.memAttr], [1, 0xf]);
});

test('permissions are the intersection of both stages', () => {
  const { w1 } = setup({ s2Data: block(0x9_0000_0000, { stage: 2, s2ap: 0b01 }) });
  assert.is(w1.walk(VA, 'read'), A.ST_OK);
  assert.is(w1.perm, A.PERM_R | A.PERM_X); // S1 grants RWX to EL0, S2 only read + exec
  assert.is(w1.walk(VA, 'write'), A.ST_PERMISSION);
  const r = w1.result();
  assert.equal([r.stage, r.nestedTableFetch, r.nested, r.ipa], [2, false, true, DATA_IPA + 0x5abc]);
  assert.equal(r.smmuEvent, { id: SMMU_EVENT_F_PERMISSION, s2: true, class: SMMU_EVT_FAULT_CLASS_IN });
});

test('a stage-1 fault under nesting is a stage-1 fault', () => {
  const { w1 } = setup({ s1Leaf: page(DATA_IPA, { ap: 0b11 }) });
  assert.is(w1.walk(VA, 'write'), A.ST_PERMISSION);
  assert.equal([w1.stage, w1.flags & A.F_NESTED_TT], [1, 0]);
  assert.equal(w1.result().smmuEvent?.s2, false);
});

test('stage-1 hierarchical attributes survive the stage-2 walks made between levels', () => {
  const { t, w1 } = setup();
  t.set(S1_PA + idx(VA, 1) * 8, table(S1_IPA + 0x1000, { apTable: 0b10 })); // no writes below level 1
  assert.is(w1.walk(VA, 'read'), A.ST_OK);
  assert.is(w1.result().permUnprivileged & A.PERM_W, 0);
  assert.is(w1.walk(VA, 'write'), A.ST_PERMISSION);
  assert.equal([w1.stage, w1.level, w1.result().reason], [1, 3, 'permWrite']);
});

test('the TTB is an IPA: stage 2 failing to translate it is a nested table-fetch fault', () => {
  const { w1 } = setup();
  w1.configureS1({ ttb0: 0xc000_0000, t0sz: 25, oas: 32 }); // IPA with no stage-2 mapping
  assert.is(w1.walk(VA, 'read'), A.ST_TRANSLATION);
  const r = w1.result();
  assert.equal([r.stage, r.nestedTableFetch, r.level, r.reason], [2, true, 1, 'invalidDescriptor']);
  assert.is(r.ipa, 0xc000_0000 + idx(VA, 1) * 8);
  assert.equal(r.smmuEvent, { id: SMMU_EVENT_F_TRANSLATION, s2: true, class: SMMU_EVT_FAULT_CLASS_TT });
});

test('a lower stage-1 table outside the stage-2 input range faults at stage 2 during the fetch', () => {
  const { t, w1 } = setup();
  t.set(S1_PA + 0x1000 + idx(VA, 2) * 8, table(0x1_0000_0000)); // IPA beyond the 32-bit S2 input
  // With a 32-bit stage-1 output size, stage 1 itself refuses the table address first.
  assert.is(w1.walk(VA, 'read'), A.ST_ADDR_SIZE);
  assert.equal([w1.stage, w1.result().reason, w1.level], [1, 'tableSize', 2]);
  assert.is(w1.configureS1({ ttb0: S1_IPA, t0sz: 25, oas: 40 }), A.CFG_OK); // nesting is kept
  assert.is(w1.walk(VA, 'read'), A.ST_TRANSLATION);
  const r = w1.result();
  assert.equal([r.stage, r.nestedTableFetch, r.level, r.reason], [2, true, 0, 'inputRange']);
  assert.is(r.ipa, 0x1_0000_0000 + idx(VA, 3) * 8);
});

test('stage-2 permission and access-flag faults on a stage-1 table fetch', () => {
  // S1 tables in stage-2 memory without read permission.
  let { w1 } = setup({ s2Table: block(RAM_BASE, { stage: 2, s2ap: 0b10 }) });
  assert.is(w1.walk(VA, 'read'), A.ST_PERMISSION);
  let r = w1.result();
  assert.equal([r.stage, r.nestedTableFetch, r.reason], [2, true, 'permRead']);
  assert.equal(r.smmuEvent, { id: SMMU_EVENT_F_PERMISSION, s2: true, class: SMMU_EVT_FAULT_CLASS_TT });
  ({ w1 } = setup({ s2Table: block(RAM_BASE, { stage: 2, af: false }) }));
  assert.is(w1.walk(VA, 'read'), A.ST_ACCESS);
  r = w1.result();
  assert.equal(r.smmuEvent, { id: SMMU_EVENT_F_ACCESS, s2: true, class: SMMU_EVT_FAULT_CLASS_TT });
});

test('a stage-1 hardware AF update is a stage-2 write: refused when the table page is read-only at stage 2', () => {
  let { t, w1 } = setup({ s1Leaf: page(DATA_IPA, { ap: 0b01, af: false }), s1ha: true });
  assert.is(w1.walk(VA, 'read'), A.ST_OK);
  assert.ok(w1.result().updated);
  assert.is(t.get(S1_PA + 0x2000 + idx(VA, 3) * 8), page(DATA_IPA, { ap: 0b01, af: true }));
  ({ t, w1 } = setup({ s1Leaf: page(DATA_IPA, { ap: 0b01, af: false }), s1ha: true, s2Table: block(RAM_BASE, { stage: 2, s2ap: 0b01 }) }));
  assert.is(w1.walk(VA, 'read'), A.ST_PERMISSION);
  const r = w1.result();
  assert.equal([r.stage, r.nestedTableFetch, r.reason], [2, true, 'permWrite']);
  assert.is(t.get(S1_PA + 0x2000 + idx(VA, 3) * 8), page(DATA_IPA, { ap: 0b01, af: false }));
});

test('nesting rules: only under a valid stage-2 context, one level deep', () => {
  const { t, w1, w2 } = setup();
  const other = new Walker(t.core);
  other.configureS1({ ttb0: S1_IPA, t0sz: 25 });
  assert.is(other.nest(w1), A.CFG_NESTING); // under a stage-1 context
  assert.is(other.walk(VA, 'read'), A.ST_BAD_CONFIG);
  assert.is(other.nest(null), A.CFG_OK);
  const s2bad = new Walker(t.core);
  s2bad.configureS2({ vttb: S2_L1, t0sz: 32, sl0: 3 });
  assert.is(other.nest(s2bad), A.CFG_NESTING);
  // A stage-2 context that becomes invalid later makes nested walks fail cleanly.
  w2.configureS2({ vttb: S2_L1, t0sz: 32, sl0: 3 });
  assert.is(w1.walk(VA, 'read'), A.ST_BAD_CONFIG);
  assert.is(w1.result().nestedTableFetch, true);
  assert.throws(() => w1.nest(new Walker(new TestRam().core)), /another core/);
});

test.run();

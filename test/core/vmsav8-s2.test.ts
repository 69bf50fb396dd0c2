// VMSAv8-64 stage 2 through the WASM walk engine: SL0 start levels, concatenated start tables,
// S2AP / XN / XNX permissions, access flag, PS address-size checks (smmuv3.md f.2-f.4).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Walker, type VmsaS2Config } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { SMMU_EVENT_F_PERMISSION, SMMU_EVENT_F_TRANSLATION, SMMU_EVT_FAULT_CLASS_IN } from '../../src/regs/generated/smmuv3.ts';
import { RAM_BASE, TestRam, block, idx, page, table } from './ref/tables.ts';

const S2 = { stage: 2 as const };

function s2(t: TestRam, cfg: Partial<VmsaS2Config> & { t0sz: number; sl0: number }): Walker {
  const w = new Walker(t.core);
  assert.is(w.configureS2({ vttb: RAM_BASE, ...cfg }), A.CFG_OK);
  return w;
}

test('4K, 40-bit IPA, SL0=1: level 1 start with two concatenated tables (Linux s2-4k-ias40-oas40)', () => {
  const t = new TestRam();
  const ipa = 0x80_1234_5678; // bit 39 set: second concatenated table
  const root = RAM_BASE;
  const index = Math.floor(ipa / 2 ** 30); // 10 bits: 0..1023
  assert.is(index, 512);
  t.set(root + index * 8, table(RAM_BASE + 0x2000));
  t.set(RAM_BASE + 0x2000 + idx(ipa, 2) * 8, block(0x7_0000_0000, S2));
  const w = s2(t, { t0sz: 24, sl0: 1 });
  assert.is(w.walk(ipa, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level, w.stage], [0x7_0000_0000 + (ipa % 2 ** 21), 21, 2, 2]);
  assert.is(w.result().entryAddress, RAM_BASE + 0x2000 + idx(ipa, 2) * 8);
});

test('16 concatenated tables is the maximum: 4K, 43-bit IPA at level 1; 44 bits is a bad configuration', () => {
  const t = new TestRam();
  const ipa = 0x7ff_c000_1000; // top index 8191 -> last entry of the last of 16 tables
  t.set(RAM_BASE + 8191 * 8, block(0x1_0000_0000, S2));
  const w = s2(t, { t0sz: 21, sl0: 1 });
  assert.is(w.walk(ipa, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x1_0000_0000 + (ipa % 2 ** 30));
  assert.is(w.result().entryAddress, RAM_BASE + 15 * 4096 + 511 * 8);
  assert.is(w.configureS2({ vttb: RAM_BASE, t0sz: 20, sl0: 1 }), A.CFG_START_LEVEL);
  assert.is(w.walk(ipa, 'read'), A.ST_BAD_CONFIG);
});

test('SL0 start levels: 4K 0/1/2 -> levels 2/1/0, 16K and 64K 0/1/2 -> 3/2/1; SL0=3 reserved; too few entries rejected', () => {
  const t = new TestRam();
  const w = new Walker(t.core);
  const ok = (cfg: Partial<VmsaS2Config>) => w.configureS2({ vttb: RAM_BASE, t0sz: 32, sl0: 0, ...cfg });
  assert.is(ok({ t0sz: 32, sl0: 0 }), A.CFG_OK); // 4K level 2: 32-21 = 11 bits = 4 tables
  assert.is(ok({ t0sz: 32, sl0: 1 }), A.CFG_OK); // level 1: 2 bits
  assert.is(ok({ t0sz: 32, sl0: 2 }), A.CFG_START_LEVEL); // level 0 would resolve no bit
  assert.is(ok({ t0sz: 16, sl0: 2 }), A.CFG_OK);
  assert.is(ok({ t0sz: 16, sl0: 1 }), A.CFG_START_LEVEL); // 18 bits = 512 tables
  assert.is(ok({ sl0: 3 }), A.CFG_START_LEVEL);
  assert.is(ok({ granule: 16384, t0sz: 28, sl0: 1 }), A.CFG_OK); // 36 bits at level 2: 36-25 = 11
  assert.is(ok({ granule: 65536, t0sz: 22, sl0: 1 }), A.CFG_OK); // 42 bits at level 2: 42-29 = 13
  assert.is(ok({ granule: 65536, t0sz: 16, sl0: 2 }), A.CFG_START_LEVEL); // level 1 needs 52-bit PA
  assert.is(ok({ granule: 65536, t0sz: 16, sl0: 2, ps: 52, oasLimit: 52 }), A.CFG_OK);
});

test('an IPA above the input size is a stage-2 translation fault at level 0', () => {
  const t = new TestRam();
  const w = s2(t, { t0sz: 32, sl0: 1 });
  assert.is(w.walk(2 ** 32, 'read'), A.ST_TRANSLATION);
  const r = w.result();
  assert.equal([r.reason, r.level, r.stage], ['inputRange', 0, 2]);
  assert.equal(r.smmuEvent, { id: SMMU_EVENT_F_TRANSLATION, s2: true, class: SMMU_EVT_FAULT_CLASS_IN });
});

test('S2AP: bit 6 grants reads, bit 7 writes; XN forbids execution', () => {
  const t = new TestRam();
  const w = s2(t, { t0sz: 32, sl0: 1 });
  const put = (d: bigint) => {
    t.set(RAM_BASE, table(RAM_BASE + 0x1000));
    t.set(RAM_BASE + 0x1000, table(RAM_BASE + 0x2000));
    t.set(RAM_BASE + 0x2000, d);
  };
  put(page(0x5000, { ...S2, s2ap: 0b01 }));
  assert.is(w.walk(0x10, 'read'), A.ST_OK);
  assert.is(w.walk(0x10, 'write'), A.ST_PERMISSION);
  assert.is(w.result().reason, 'permWrite');
  assert.equal(w.result().smmuEvent, { id: SMMU_EVENT_F_PERMISSION, s2: true, class: SMMU_EVT_FAULT_CLASS_IN });
  put(page(0x5000, { ...S2, s2ap: 0b10 }));
  assert.is(w.walk(0x10, 'write'), A.ST_OK);
  assert.is(w.walk(0x10, 'read'), A.ST_PERMISSION);
  assert.is(w.result().reason, 'permRead');
  put(page(0x5000, { ...S2, s2ap: 0b11, uxn: true }));
  assert.is(w.walk(0x10, 'read', true, true), A.ST_PERMISSION);
  assert.is(w.result().reason, 'permExec');
  put(page(0x5000, { ...S2, s2ap: 0b11, pxn: true })); // bit 53 alone means nothing without XNX
  assert.is(w.walk(0x10, 'read', true, true), A.ST_OK);
  // Privilege does not matter at stage 2 for data.
  put(page(0x5000, { ...S2, s2ap: 0b11 }));
  assert.equal([w.walk(0x10, 'write', false), w.walk(0x10, 'write', true)], [A.ST_OK, A.ST_OK]);
});

test('FEAT_XNX: XN[1:0] = 01 forbids privileged execution only, 11 unprivileged only, 10 both', () => {
  const t = new TestRam();
  const w = s2(t, { t0sz: 32, sl0: 1, xnx: true });
  t.set(RAM_BASE, table(RAM_BASE + 0x1000));
  t.set(RAM_BASE + 0x1000, table(RAM_BASE + 0x2000));
  const cases: [boolean, boolean, number, number][] = [
    // pxn(bit53), uxn(bit54), privileged exec, unprivileged exec
    [false, false, A.ST_OK, A.ST_OK],
    [true, false, A.ST_PERMISSION, A.ST_OK],
    [false, true, A.ST_PERMISSION, A.ST_PERMISSION],
    [true, true, A.ST_OK, A.ST_PERMISSION],
  ];
  for (const [pxn, uxn, p, u] of cases) {
    t.set(RAM_BASE + 0x2000, page(0x5000, { ...S2, pxn, uxn }));
    assert.equal([w.walk(0x10, 'read', true, true), w.walk(0x10, 'read', false, true)], [p, u], `XN=${+uxn}${+pxn}`);
  }
});

test('stage-2 access flag: fault, S2HA update, S2AFFD', () => {
  const t = new TestRam();
  const leaf = page(0x5000, { ...S2, af: false });
  t.set(RAM_BASE, table(RAM_BASE + 0x1000));
  t.set(RAM_BASE + 0x1000, table(RAM_BASE + 0x2000));
  t.set(RAM_BASE + 0x2000, leaf);
  const w = s2(t, { t0sz: 32, sl0: 1 });
  assert.is(w.walk(0x10, 'read'), A.ST_ACCESS);
  assert.is(w.stage, 2);
  w.configureS2({ vttb: RAM_BASE, t0sz: 32, sl0: 1, affd: true });
  assert.is(w.walk(0x10, 'read'), A.ST_OK);
  assert.is(t.get(RAM_BASE + 0x2000), leaf);
  w.configureS2({ vttb: RAM_BASE, t0sz: 32, sl0: 1, ha: true });
  assert.is(w.walk(0x10, 'read'), A.ST_OK);
  assert.is(t.get(RAM_BASE + 0x2000), leaf | (1n << 10n));
});

test('stage-2 dirty state: a write to DBM=1, S2AP[1]=0 sets S2AP[1] (S2HA+S2HD)', () => {
  const t = new TestRam();
  const clean = page(0x5000, { ...S2, s2ap: 0b01, dbm: true });
  t.set(RAM_BASE, table(RAM_BASE + 0x1000));
  t.set(RAM_BASE + 0x1000, table(RAM_BASE + 0x2000));
  t.set(RAM_BASE + 0x2000, clean);
  const w = s2(t, { t0sz: 32, sl0: 1, ha: true, hd: true });
  assert.is(w.walk(0x10, 'read'), A.ST_OK);
  assert.is(t.get(RAM_BASE + 0x2000), clean);
  assert.is(w.walk(0x10, 'write'), A.ST_OK);
  assert.is(t.get(RAM_BASE + 0x2000), clean | (1n << 7n));
});

test('PS address size: VTTB, table and output addresses beyond the effective PS', () => {
  const t = new TestRam();
  t.set(RAM_BASE, table(RAM_BASE + 0x1000));
  t.set(RAM_BASE + 0x1000, table(RAM_BASE + 0x2000));
  t.set(RAM_BASE + 0x2000, page(0x1_0000_0000, S2));
  const w = s2(t, { t0sz: 32, sl0: 1, ps: 32 });
  assert.is(w.walk(0x10, 'read'), A.ST_ADDR_SIZE);
  assert.equal([w.result().reason, w.level], ['outputSize', 3]);
  w.configureS2({ vttb: RAM_BASE, t0sz: 32, sl0: 1, ps: 36 });
  assert.is(w.walk(0x10, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x1_0000_0010);
  t.set(RAM_BASE + 0x1000, table(2 ** 36 + RAM_BASE));
  assert.is(w.walk(0x10, 'read'), A.ST_ADDR_SIZE);
  assert.equal([w.result().reason, w.level], ['tableSize', 2]);
  w.configureS2({ vttb: 2 ** 36, t0sz: 32, sl0: 1, ps: 36 });
  assert.is(w.walk(0x10, 'read'), A.ST_ADDR_SIZE);
  assert.equal([w.result().reason, w.level], ['baseSize', 0]);
  // effective PS = min(S2PS, implementation limit)
  w.configureS2({ vttb: RAM_BASE, t0sz: 32, sl0: 1, ps: 48, oasLimit: 32 });
  t.set(RAM_BASE + 0x1000, table(RAM_BASE + 0x2000));
  assert.is(w.walk(0x10, 'read'), A.ST_ADDR_SIZE);
});

test('stage-2 attributes: MemAttr[3:0], SH, FWB flag', () => {
  const t = new TestRam();
  t.set(RAM_BASE, table(RAM_BASE + 0x1000));
  t.set(RAM_BASE + 0x1000, block(0x20_0000, { ...S2, attr: 0xf, sh: 3 }));
  const w = s2(t, { t0sz: 32, sl0: 1 });
  assert.is(w.walk(0x10, 'read'), A.ST_OK);
  assert.equal([w.result().attrs.memAttr, w.result().attrs.sh, w.result().attrs.fwb], [0xf, 3, false]);
  w.configureS2({ vttb: RAM_BASE, t0sz: 32, sl0: 1, fwb: true });
  t.set(RAM_BASE + 0x1000, block(0x20_0000, { ...S2, attr: 0x6, sh: 3 }));
  assert.is(w.walk(0x10, 'read'), A.ST_OK);
  assert.equal([w.result().attrs.memAttr, w.result().attrs.fwb], [0x6, true]);
});

test('16K and 64K stage 2 walks', () => {
  const t = new TestRam();
  // 16K, 36-bit IPA, SL0=1 (level 2, 11 bits = 2048 entries = one 16K table)
  const ipa = 0xa_bcde_f123;
  t.set(RAM_BASE + idx(ipa, 2, 14) * 8, table(RAM_BASE + 0x4000));
  t.set(RAM_BASE + 0x4000 + idx(ipa, 3, 14) * 8, page(0x3_0000_4000, S2));
  let w = s2(t, { granule: 16384, t0sz: 28, sl0: 1 });
  assert.is(w.walk(ipa, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift], [0x3_0000_4000 + (ipa % 16384), 14]);
  // 64K, 42-bit IPA, SL0=1 (level 2, 13 bits)
  const t2 = new TestRam();
  t2.set(RAM_BASE + Math.floor(ipa / 2 ** 29) * 8, block(0x2_2000_0000, S2));
  w = s2(t2, { granule: 65536, t0sz: 22, sl0: 1 });
  assert.is(w.walk(ipa, 'read'), A.ST_OK);
  assert.equal([w.outputAddress, w.pageShift, w.level], [0x2_2000_0000 + (ipa % 2 ** 29), 29, 2]);
});

test.run();

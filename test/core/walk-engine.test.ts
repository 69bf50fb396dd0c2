// The walk engine's generic behaviour through the facade: result record reads, batched walks,
// the context pool, 64-bit inputs, and views that survive linear-memory growth.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Walker, granuleFromTg0, granuleFromTg1, oasBitsFromCode, configErrorName, smmuEventFor } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import { SMMU_EVENT_F_WALK_EABT, SMMU_EVT_FAULT_CLASS_TT } from '../../src/regs/generated/smmuv3.ts';
import { RAM_BASE, TestRam, block, page, table } from './ref/tables.ts';

/** 4K, 39-bit stage 1 at RAM_BASE: 1 GiB block for VA [0, 1G) -> 0x1_0000_0000; pages for [1G, 1G+2M). */
function simple(): { t: TestRam; w: Walker } {
  const t = new TestRam();
  t.set(RAM_BASE + 0 * 8, block(0x1_0000_0000, { ap: 0b01 }));
  t.set(RAM_BASE + 1 * 8, table(RAM_BASE + 0x1000));
  t.set(RAM_BASE + 0x1000, table(RAM_BASE + 0x2000));
  for (let i = 0; i < 512; i += 2) t.set(RAM_BASE + 0x2000 + i * 8, page(0x2_0000_0000 + i * 0x1000, { ap: i % 4 ? 0b11 : 0b01 }));
  const w = new Walker(t.core);
  assert.is(w.configureS1({ ttb0: RAM_BASE, t0sz: 25 }), A.CFG_OK);
  return { t, w };
}

test('hot-path getters and result() describe the same walk', () => {
  const { w } = simple();
  assert.is(w.walk(0x4000_2123, 'read'), A.ST_OK);
  const r = w.result();
  assert.equal([w.status, w.outputAddress, w.perm, w.permAll, w.pageShift, w.level, w.stage, w.flags, w.reason, w.attrs],
    [r.status, r.outputAddress, r.perm, r.permPrivileged | (r.permUnprivileged << 3), r.pageShift, r.level, r.stage, 0, 0, w.attrs]);
  assert.is(r.outputAddress, 0x2_0000_2123);
});

test('walkBatch gives the same answers as single walks, over more than one buffer load', () => {
  const { w } = simple();
  const n = 700;
  const iovas = new Float64Array(n);
  const acc = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    iovas[i] = i % 3 === 0 ? i * 0x10_0000 : 0x4000_0000 + (i % 512) * 0x1000 + i;
    acc[i] = i % 5 === 0 ? A.ACC_WRITE : 0;
  }
  const out = new Float64Array(n);
  const st = new Uint32Array(n);
  const info = new Uint32Array(n);
  const ok = w.walkBatch(iovas, acc, out, st, info);
  let okSingle = 0;
  for (let i = 0; i < n; i++) {
    const s = w.walkAcc(iovas[i]!, acc[i]!);
    if (s === A.ST_OK) okSingle++;
    assert.is(st[i], s, `status ${i}`);
    assert.is(out[i], w.outputAddress, `oa ${i}`);
    assert.is(info[i], w.permAll | (w.pageShift << 8), `info ${i}`);
  }
  assert.is(ok, okSingle);
  assert.ok(ok > 100 && ok < n);
});

test('64-bit inputs: a bigint reaches the TTB1 region; a number above 2^53 is refused', () => {
  const { t, w } = simple();
  w.configureS1({ ttb0: RAM_BASE, t0sz: 25, ttb1: RAM_BASE, t1sz: 25 });
  assert.is(w.walk(0xffff_ff80_0000_1234n, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x1_0000_1234);
  assert.ok(w.result().ttb1);
  assert.throws(() => w.walk(2 ** 60), /bigint/);
  void t;
});

test('the context pool: 32 walkers per core, dispose() frees a slot, cores are independent', () => {
  const t = new TestRam();
  const ws: Walker[] = [];
  for (let i = 0; i < A.MAX_CTX; i++) ws.push(new Walker(t.core));
  assert.throws(() => new Walker(t.core), /in use/);
  const freed = ws[7]!.slot;
  ws[7]!.dispose();
  const again = new Walker(t.core);
  assert.is(again.slot, freed);
  assert.is(again.walk(0, 'read'), A.ST_BAD_CONFIG); // a reused slot starts unconfigured
  assert.throws(() => ws[7]!.configureS1({ ttb0: 0, t0sz: 16 }), /dispose/);
  assert.is(new Walker(new TestRam().core).slot, 0);
});

test('views follow linear memory when it grows after the walker was created', () => {
  const { t, w } = simple();
  const before = t.core.exports.memory.buffer;
  new WasmRam(t.core, 4 << 20); // grows memory: old typed arrays detach
  assert.ok(t.core.exports.memory.buffer !== before);
  assert.is(w.walk(0x4000_2010, 'read'), A.ST_OK);
  assert.is(w.outputAddress, 0x2_0000_2010);
  assert.is(w.configureS1({ ttb0: RAM_BASE, t0sz: 25 }), A.CFG_OK);
});

test('stage-1 walk aborts map to F_WALK_EABT with CLASS=TT', () => {
  assert.equal(smmuEventFor(A.ST_EXT_ABORT, 1, 0), { id: SMMU_EVENT_F_WALK_EABT, s2: false, class: SMMU_EVT_FAULT_CLASS_TT });
  assert.is(smmuEventFor(A.ST_OK, 1, 0), null);
  assert.is(smmuEventFor(A.ST_BAD_CONFIG, 1, 0), null);
});

test('register-field helpers: TG0/S2TG, TG1 and IPS/PS encodings', () => {
  assert.equal([0, 1, 2, 3].map(granuleFromTg0), [4096, 65536, 16384, undefined]);
  assert.equal([0, 1, 2, 3].map(granuleFromTg1), [undefined, 16384, 4096, 65536]);
  assert.equal([0, 1, 2, 3, 4, 5, 6, 7].map(oasBitsFromCode), [32, 36, 40, 42, 44, 48, 52, undefined]);
  assert.is(configErrorName(A.CFG_START_LEVEL), 'startLevel');
});

test('raw contexts: parameters written by hand are set up lazily on the next walk', () => {
  const { t } = simple();
  const e = t.core.exports;
  const slot = 20;
  const ctx = e.walk_ctx_ptr(slot);
  const u = new Uint32Array(e.memory.buffer);
  const f = new Float64Array(e.memory.buffer);
  e.walk_ctx_clear(slot);
  u[(ctx + A.CTX_FMT) >>> 2] = A.FMT_VMSA_S1;
  u[(ctx + A.CTX_P) / 4 + A.VP_TG0] = 12;
  u[(ctx + A.CTX_P) / 4 + A.VP_T0SZ] = 25;
  u[(ctx + A.CTX_P) / 4 + A.VP_OAS] = 48;
  u[(ctx + A.CTX_P) / 4 + A.VP_OASLIM] = 48;
  u[(ctx + A.CTX_P) / 4 + A.VP_FLAGS] = A.VF_EPD1;
  f[(ctx + A.CTX_A) / 8] = RAM_BASE;
  u[(ctx + A.CTX_STATE) >>> 2] = A.CS_DIRTY;
  assert.is(e.walk_va(slot, 0x1234, A.ACC_PRIV), A.ST_OK);
  assert.is(u[(ctx + A.CTX_STATE) >>> 2], A.CS_READY);
  assert.is(e.walk_va64(slot, 0x1234, 0xffffffff, A.ACC_PRIV), A.ST_TRANSLATION); // TTB1: EPD1
  u[(ctx + A.CTX_FMT) >>> 2] = 99;
  u[(ctx + A.CTX_STATE) >>> 2] = A.CS_DIRTY;
  assert.is(e.walk_va(slot, 0x1234, 0), A.ST_BAD_CONFIG);
  assert.is(u[(ctx + A.CTX_CFG_ERR) >>> 2], A.CFG_FORMAT);
});

test.run();

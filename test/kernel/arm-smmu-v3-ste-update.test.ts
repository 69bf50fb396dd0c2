// Live STE updates with Linux's discipline (smmuv3.md h.3, the expectations of Linux's
// arm-smmu-v3-test.c), observed on the real SMMU model: every STE store and every command the
// driver writes is recorded in order. Also the command-queue error recovery (c.3, e.1) and the
// event-queue overflow protocol (d.2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../src/regs/generated/smmuv3.ts';
import { IOMMU_READ, IOMMU_WRITE } from '../../src/kernel/iommu/types.ts';
import { VIRT_SMMU_IRQ } from '../../src/platform/machines/virt.ts';
import { EDU_SID, cmdsSince, fieldOf, steSyncs, traceFrom, virtSmmu, type StepRec, type Virt } from './arm-smmu-v3-fixture.ts';

const PA = 0x4100_0000;
const IOVA = 0x10_0000;
const ATTR_TYPES_OVR = new Map([[R.SMMU_IDR1, (x: number) => x | R.SMMU_IDR1_ATTR_TYPES_OVR_MASK]]);
const cfgOf = (w0: bigint) => fieldOf(w0, R.SMMU_STE_CONFIG_MASK);

/** Runs `change` and returns the STE trace of edu's stream plus the STE before and after. */
function observe(v: Virt, change: () => void) {
  const before = v.ste(EDU_SID);
  const mark = v.rec.ops.length;
  change();
  const tr = traceFrom(v, mark, EDU_SID, before);
  return { before, after: v.ste(EDU_SID), tr, syncs: steSyncs(tr, EDU_SID), mark };
}

/** KUnit's checks for a hitless transition: V stays 1, word 0 is only ever the old or the new one, final = target. */
function assertHitless(o: ReturnType<typeof observe>, nSyncs: number, what: string) {
  assert.is(o.syncs.length, nSyncs, `${what}: ${nSyncs} CFGI_STE + CMD_SYNC`);
  const steWrites = o.tr.filter((s): s is Extract<StepRec, { t: 'ste' }> => s.t === 'ste');
  assert.ok(steWrites.every((s) => s.word !== 0 || (s.value & 1n) === 1n), `${what}: V never cleared`);
  for (const snap of o.syncs) assert.ok(snap[0] === o.before[0] || snap[0] === o.after[0], `${what}: word 0 is old or new at every sync`);
}

function withDma(v: Virt) {
  const dom = v.core.iommuGetDomainForDev(v.edu)!;
  v.core.iommuMap(dom, IOVA, PA, 0x2000, IOMMU_READ | IOMMU_WRITE);
  return dom;
}

test('S1 <-> abort (DMA ownership): hitless, 2 syncs each way, PREFETCH_CONFIG after the STE', () => {
  const v = virtSmmu();
  withDma(v);
  const g = v.edu.iommu!.group!;
  const toAbort = observe(v, () => v.core.iommuGroupClaimDmaOwner(g, 'vfio'));
  assertHitless(toAbort, 2, 'S1 -> abort');
  assert.is(toAbort.after[0], 0x1n);
  assert.ok(toAbort.after.slice(1).every((w) => w === 0n), 'bits no longer used are cleared in the last step');
  // The STE's first change is word 0 (the critical word); the prefetch hint follows the STE syncs.
  const ops = cmdsSince(v, toAbort.mark).map((c) => c.op);
  assert.is(ops[ops.lastIndexOf(R.SMMU_CMD_OP_CFGI_STE) + 2], R.SMMU_CMD_OP_PREFETCH_CONFIG);
  const back = observe(v, () => v.core.iommuGroupReleaseDmaOwner(g));
  assertHitless(back, 2, 'abort -> S1');
  assert.is(cfgOf(back.after[0]!), R.SMMU_STE_CONFIG_S1_TRANS);
  assert.ok(v.roundTrip(IOVA, PA, IOVA + 0x1000, PA + 0x1000));
});

test('S1 <-> bypass without IDR1.ATTR_TYPES_OVR (QEMU): hitless, 2 syncs; the CD is written before the STE that uses it', () => {
  const v = virtSmmu({ eduProps: { dma_mask: String(2 ** 32 - 1) } });
  withDma(v);
  const g = v.edu.iommu!.group!;
  const toId = observe(v, () => v.core.setGroupType(g, 'identity'));
  assertHitless(toId, 2, 'S1 -> bypass');
  assert.equal(toId.after.slice(0, 2), [0x9n, 0n]);
  const toDma = observe(v, () => v.core.setGroupType(g, 'DMA'));
  assertHitless(toDma, 2, 'bypass -> S1');
  const ops = cmdsSince(v, toDma.mark).map((c) => c.op);
  assert.ok(ops.indexOf(R.SMMU_CMD_OP_CFGI_CD) >= 0 && ops.lastIndexOf(R.SMMU_CMD_OP_CFGI_CD) < ops.indexOf(R.SMMU_CMD_OP_CFGI_STE), 'CD 0 valid before the STE points at it');
  v.core.iommuMap(v.core.iommuGetDomainForDev(v.edu)!, IOVA, PA, 0x2000, IOMMU_READ | IOMMU_WRITE);
  assert.ok(v.roundTrip(IOVA, PA, IOVA + 0x1000, PA + 0x1000));
});

test('S1 <-> bypass with IDR1.ATTR_TYPES_OVR (SHCFG = incoming in bypass, as in Linux KUnit): hitless, 3 syncs', () => {
  const v = virtSmmu({ patch: ATTR_TYPES_OVR });
  withDma(v);
  const g = v.edu.iommu!.group!;
  const toId = observe(v, () => v.core.setGroupType(g, 'identity'));
  assertHitless(toId, 3, 'S1 -> bypass');
  assert.is(fieldOf(toId.after[1]!, R.SMMU_STE_SHCFG_MASK), R.SMMU_STE_SHCFG_INCOMING);
  // Step 1 set SHCFG while Config was still S1 (an ignored bit then), before word 0 changed.
  const first = toId.tr.find((s) => s.t === 'ste')!;
  assert.equal(first, { t: 'ste', word: 1, value: toId.before[1]! | (1n << 44n) });
  const toDma = observe(v, () => v.core.setGroupType(g, 'DMA'));
  assertHitless(toDma, 3, 'bypass -> S1');
  assert.is(fieldOf(toDma.after[1]!, R.SMMU_STE_SHCFG_MASK), 0, 'SHCFG cleared once unused');
});

test('CD-table pointer and S1DSS changed together: breaking update, V = 0 first, 3 syncs, DMA works after it', () => {
  const v = virtSmmu();
  withDma(v);
  const old = v.ste(EDU_SID);
  // A copy of the CD at a new address (RAM the driver does not use).
  const oldCd = Number(old[0]! & R.SMMU_STE_S1CONTEXTPTR_MASK);
  const newCd = 0x4400_0000;
  for (let i = 0; i < 8; i++) v.m.memory.write64(newCd + 8 * i, v.ram64(oldCd + 8 * i));
  const target = [...old];
  target[0] = (old[0]! & ~R.SMMU_STE_S1CONTEXTPTR_MASK) | BigInt(newCd);
  target[1] = (old[1]! & ~R.SMMU_STE_S1DSS_MASK) | BigInt(R.SMMU_STE_S1DSS_BYPASS);
  let how = '';
  const o = observe(v, () => (how = v.smmu.writeSte(EDU_SID, target)));
  assert.is(how, 'breaking');
  const stores = o.tr.filter((s) => s.t === 'ste');
  assert.equal(stores[0], { t: 'ste', word: 0, value: 0n }, 'word 0 = 0 (V = 0) first');
  assert.is(o.syncs.length, 3);
  assert.is(o.syncs[0]![0], 0n, 'first sync sees an invalid STE');
  assert.equal(o.after, target);
  assert.ok(v.roundTrip(IOVA, PA, IOVA + 0x1000, PA + 0x1000), 'translation through the moved CD');
});

test('no used bit changes: the write touches nothing and syncs nothing', () => {
  const v = virtSmmu();
  const cur = v.ste(EDU_SID);
  const o = observe(v, () => assert.is(v.smmu.writeSte(EDU_SID, cur), 'none'));
  assert.is(o.syncs.length, 0);
  assert.is(o.tr.filter((s) => s.t === 'ste').length, 0);
});

test('CERROR_ILL: the GERROR interrupt fires, the bad slot is rewritten as CMD_SYNC, GERRORN = GERROR, the queue moves on', () => {
  const v = virtSmmu();
  const pulses: number[] = [];
  v.m.irqs.listen((line, level) => level && pulses.push(line));
  const prod0 = v.r32(R.SMMU_CMDQ_PROD);
  const bad = [0x7fn | (0x1234n << 32n), 0n]; // opcode 0x7F: not a command
  assert.is(v.smmu.issueSync([bad]), 0, 'the submitter completes after recovery');
  assert.ok(pulses.includes(VIRT_SMMU_IRQ + 3), 'gerror SPI (74 + 3)');
  assert.is(v.r32(R.SMMU_GERRORN), v.r32(R.SMMU_GERROR), 'acknowledged');
  assert.is(v.r32(R.SMMU_GERROR) & R.SMMU_GERROR_CMDQ_ERR_MASK, R.SMMU_GERROR_CMDQ_ERR_MASK, 'CMDQ_ERR toggled once');
  assert.is(v.r32(R.SMMU_CMDQ_CONS) & 0xfffff, v.r32(R.SMMU_CMDQ_PROD), 'everything consumed');
  const base = Number(v.r64(R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_ADDR_MASK);
  assert.is(Number(v.ram64(base + prod0 * 16) & 0xffn), R.SMMU_CMD_OP_SYNC, 'the illegal command became a CMD_SYNC');
  assert.ok(v.smmu.dmesg.some((l) => /CMDQ error \(cons 0x01[0-9a-f]{6}\): Illegal command/.test(l)));
  assert.ok(v.smmu.dmesg.some((l) => /skipping command in error state/.test(l)));
  // The queue keeps working.
  withDma(v);
  assert.ok(v.roundTrip(IOVA, PA, IOVA + 0x1000, PA + 0x1000));
  assert.is(v.smmu.handleGerror(), 0, 'nothing pending');
});

test('event queue overflow: records lost while full, "events lost" reported, OVFLG acknowledged through CONS.OVACKFLG', () => {
  // A 4-entry event queue (IDR1.EVENTQS = 2).
  const v = virtSmmu({ patch: new Map([[R.SMMU_IDR1, (x: number) => (x & ~R.SMMU_IDR1_EVENTQS_MASK) | (2 << R.SMMU_IDR1_EVENTQS_SHIFT)]]) });
  for (let i = 0; i < 6; i++) v.dma(0x20_0000 + i * 0x1000, 0x40000, 4, false); // unmapped: one F_TRANSLATION each
  assert.is((v.r32(R.SMMU_EVENTQ_PROD) & R.SMMU_EVENTQ_PROD_OVFLG_MASK) >>> 0, R.SMMU_EVENTQ_PROD_OVFLG_MASK >>> 0, 'PROD.OVFLG toggled');
  const ev = v.smmu.handleEvents();
  assert.is(ev.length, 4, 'the queue held four');
  assert.equal(ev.map((e) => Number(e.iova)), [0x20_0000, 0x20_1000, 0x20_2000, 0x20_3000]);
  assert.ok(v.smmu.dmesg.some((l) => /EVTQ overflow detected -- events lost/.test(l)));
  assert.is((v.r32(R.SMMU_EVENTQ_CONS) & R.SMMU_EVENTQ_CONS_OVACKFLG_MASK) >>> 0, R.SMMU_EVENTQ_CONS_OVACKFLG_MASK >>> 0);
  v.dma(0x30_0000, 0x40000, 4, false);
  const more = v.smmu.handleEvents();
  assert.equal(more.map((e) => Number(e.iova)), [0x30_0000], 'recording resumes');
  assert.is(v.smmu.dmesg.filter((l) => /events lost/.test(l)).length, 1, 'reported once');
});

test.run();

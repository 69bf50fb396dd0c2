// arm-smmu-v3 probe and bring-up (smmuv3.md h.1, h.2, b.1, a.4), checked in the hardware's
// registers and in guest memory - not in the driver's bookkeeping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../src/regs/generated/smmuv3.ts';
import { Core } from '../../src/core/core.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import { AddressSpace } from '../../src/bridge/address-space.ts';
import { Smmuv3 } from '../../src/hw/smmuv3/smmuv3.ts';
import { IommuCore } from '../../src/kernel/iommu/core.ts';
import { KernelError } from '../../src/kernel/errors.ts';
import { armSmmuV3Probe } from '../../src/kernel/drivers/arm-smmu-v3/index.ts';
import { virtSmmu } from './arm-smmu-v3-fixture.ts';

const CR0_ALL_QEMU = R.SMMU_CR0_CMDQEN_MASK | R.SMMU_CR0_EVENTQEN_MASK | R.SMMU_CR0_SMMUEN_MASK;

test('bring-up on QEMU virt: CR0ACK = CMDQEN|EVENTQEN|SMMUEN, IRQs acked, GERROR clear, every command consumed', () => {
  const v = virtSmmu();
  assert.is(v.r32(R.SMMU_CR0ACK), CR0_ALL_QEMU);
  assert.is(v.r32(R.SMMU_CR0), CR0_ALL_QEMU);
  assert.is(v.r32(R.SMMU_IRQ_CTRLACK), R.SMMU_IRQ_CTRL_EVENTQ_IRQEN_MASK | R.SMMU_IRQ_CTRL_GERROR_IRQEN_MASK);
  assert.is(v.r32(R.SMMU_GERROR), v.r32(R.SMMU_GERRORN));
  assert.is(v.r32(R.SMMU_GERROR), 0);
  assert.is(v.r32(R.SMMU_CMDQ_CONS), v.r32(R.SMMU_CMDQ_PROD), 'CONS caught up with PROD');
  assert.is(v.r32(R.SMMU_CMDQ_CONS) & R.SMMU_CMDQ_CONS_ERR_MASK, 0);
  assert.is(v.r32(R.SMMU_CR1), 0xd75, 'tables and queues ISH, WB');
  assert.is(v.r32(R.SMMU_CR2), R.SMMU_CR2_PTM_MASK | R.SMMU_CR2_RECINVSID_MASK);
  // SIDSIZE 16 > SPLIT 8: two levels, SPLIT 8, LOG2SIZE 16 (0x10210, b.1).
  assert.is(v.r32(R.SMMU_STRTAB_BASE_CFG), 0x10210);
  assert.ok((v.r64(R.SMMU_STRTAB_BASE) & R.SMMU_STRTAB_BASE_RA_MASK) !== 0n, 'STRTAB_BASE.RA');
  assert.ok((v.r64(R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_RA_MASK) !== 0n, 'CMDQ_BASE.RA');
  assert.ok((v.r64(R.SMMU_EVENTQ_BASE) & R.SMMU_EVENTQ_BASE_WA_MASK) !== 0n, 'EVENTQ_BASE.WA');
  // Queues: as large as Linux allows (2^18 commands, 2^17 events), naturally aligned.
  const cmdq = v.r64(R.SMMU_CMDQ_BASE);
  assert.is(Number(cmdq & R.SMMU_CMDQ_BASE_LOG2SIZE_MASK), 18);
  assert.is(Number(cmdq & R.SMMU_CMDQ_BASE_ADDR_MASK) % (2 ** 18 * 16), 0);
  assert.is(Number(v.r64(R.SMMU_EVENTQ_BASE) & R.SMMU_EVENTQ_BASE_LOG2SIZE_MASK), 17);
  assert.is(v.r32(R.SMMU_EVENTQ_PROD), 0);
  assert.is(v.r32(R.SMMU_EVENTQ_CONS), 0);
});

test('bring-up commands in the queue: CFGI_ALL (CFGI_STE_RANGE, RANGE 31) + SYNC, TLBI_NSNH_ALL + SYNC, in that order and first', () => {
  const v = virtSmmu({ probeDevices: false });
  const base = Number(v.r64(R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_ADDR_MASK);
  const ops = [0, 1, 2, 3].map((i) => v.ram64(base + 16 * i));
  assert.equal(ops.map((w) => Number(w & 0xffn)), [R.SMMU_CMD_OP_CFGI_STE_RANGE, R.SMMU_CMD_OP_SYNC, R.SMMU_CMD_OP_TLBI_NSNH_ALL, R.SMMU_CMD_OP_SYNC]);
  assert.is(v.ram64(base + 8) & 0x1fn, 31n, 'RANGE = 31: every SID');
  assert.is(v.r32(R.SMMU_CMDQ_PROD), 4, 'no HYP: no TLBI_EL2_ALL');
  // The register writes happen in h.2's order: CR0 cleared before CR1/CR2/tables, SMMUEN last.
  const w = v.rec.ops.filter((o) => o.kind === 'w32' && o.addr >= 0x0905_0000 && o.addr < 0x0907_0000).map((o) => [o.addr - 0x0905_0000, o.value]);
  const cr0 = w.filter(([a]) => a === R.SMMU_CR0).map(([, x]) => x);
  assert.equal(cr0, [0, 0x8, 0xc, 0xd], 'CR0: off, CMDQEN, +EVENTQEN, +SMMUEN - one enable at a time');
  const idx = (off: number) => w.findIndex(([a]) => a === off);
  assert.ok(idx(R.SMMU_CR1) > idx(R.SMMU_CR0) && idx(R.SMMU_STRTAB_BASE_CFG) > idx(R.SMMU_CR2));
  assert.ok(idx(R.SMMU_EVENTQ_PROD) > 0 && idx(R.SMMU_EVENTQ_PROD) < w.findIndex(([a, x]) => a === R.SMMU_CR0 && x === 0xc), 'EVENTQ PROD (page 1) reset before EVENTQEN');
  const irq = w.filter(([a]) => a === R.SMMU_IRQ_CTRL).map(([, x]) => x);
  assert.equal(irq, [0, 5], 'IRQ_CTRL: 0, then EVENTQ|GERROR');
});

test('stream table: L2 tables appear with the first stream of a bus (SPAN = SPLIT + 1), STEs abort by default', () => {
  const v = virtSmmu({ probeDevices: false });
  const base = Number(v.r64(R.SMMU_STRTAB_BASE) & R.SMMU_STRTAB_BASE_ADDR_MASK);
  assert.is(v.ram64(base), 0n, 'no L1 descriptor before a device of bus 0 is probed');
  v.core.busIommuProbe(v.scan.devices);
  const l1 = v.ram64(base);
  assert.is(Number(l1 & R.SMMU_L1STD_SPAN_MASK), 9);
  const l2 = Number(l1 & R.SMMU_L1STD_L2PTR_MASK);
  assert.is(l2 % (256 * 64), 0, 'L2 table (256 STEs) aligned to its size');
  // A SID of bus 0 that no device uses: the abort STE (V=1, Config=0 -> 0x1).
  assert.is(v.ram64(l2 + 0x30 * 64), 0x1n);
  assert.is(v.ram64(base + 8), 0n, 'bus 1 has no L2 table');
});

test('linear stream table when SIDSIZE <= 8; bypass option gives bypass STEs', () => {
  const sid8 = new Map([[R.SMMU_IDR1, (x: number) => (x & ~R.SMMU_IDR1_SIDSIZE_MASK) | 8]]);
  const v = virtSmmu({ patch: sid8, probeDevices: false });
  assert.is(v.r32(R.SMMU_STRTAB_BASE_CFG), 8, 'FMT linear, LOG2SIZE 8');
  const base = Number(v.r64(R.SMMU_STRTAB_BASE) & R.SMMU_STRTAB_BASE_ADDR_MASK);
  assert.is(v.ram64(base + 255 * 64), 0x1n);
  const b = virtSmmu({ patch: sid8, probeDevices: false, opts: { bypass: true } });
  const bb = Number(b.r64(R.SMMU_STRTAB_BASE) & R.SMMU_STRTAB_BASE_ADDR_MASK);
  assert.is(b.ram64(bb + 3 * 64), 0x9n, 'bypass STE: V | Config 0b100');
  assert.is(b.ram64(bb + 3 * 64 + 8), 0n, 'no SHCFG without IDR1.ATTR_TYPES_OVR');
});

const refuse = (name: string, off: number, f: (x: number) => number, msg: RegExp) =>
  test(`probe refuses ${name} with -ENXIO (h.1)`, () => {
    try {
      virtSmmu({ patch: new Map([[off, f]]) });
      assert.unreachable('probe should fail');
    } catch (e) {
      assert.instance(e, KernelError);
      assert.is((e as KernelError).errno, 'ENXIO');
      assert.match((e as KernelError).message, msg);
    }
  });
refuse('an SMMU without stage 1 and stage 2', R.SMMU_IDR0, (x) => x & ~(R.SMMU_IDR0_S1P_MASK | R.SMMU_IDR0_S2P_MASK), /no translation support/);
refuse('CMDQS = 6 (one batch would not fit)', R.SMMU_IDR1, (x) => (x & ~R.SMMU_IDR1_CMDQS_MASK) | (6 << R.SMMU_IDR1_CMDQS_SHIFT), /command queue size <= 64 entries/);
refuse('TABLES_PRESET (embedded implementation)', R.SMMU_IDR1, (x) => x | R.SMMU_IDR1_TABLES_PRESET_MASK, /embedded implementation/);
refuse('AArch32-only table format', R.SMMU_IDR0, (x) => (x & ~R.SMMU_IDR0_TTF_MASK) | (R.SMMU_IDR0_TTF_AARCH32 << R.SMMU_IDR0_TTF_SHIFT), /AArch64 table format/);
refuse('big-endian-only tables on a little-endian CPU', R.SMMU_IDR0, (x) => (x & ~R.SMMU_IDR0_TTENDIAN_MASK) | (R.SMMU_IDR0_TTENDIAN_BE << R.SMMU_IDR0_TTENDIAN_SHIFT), /endianness/);

test('CMDQS = 7 is accepted; a stopped-but-enabled SMMU is reset with GBPA.ABORT first', () => {
  const v = virtSmmu({ patch: new Map([[R.SMMU_IDR1, (x: number) => (x & ~R.SMMU_IDR1_CMDQS_MASK) | (7 << R.SMMU_IDR1_CMDQS_SHIFT)]]) });
  assert.is(Number(v.r64(R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_LOG2SIZE_MASK), 7);
  assert.is(v.r32(R.SMMU_CR0ACK), CR0_ALL_QEMU);
  // Probe a second driver instance on the now-enabled SMMU.
  const again = armSmmuV3Probe(new IommuCore(), v.m.memory, 0x0905_0000, { memBase: 0x4500_0000, memSize: 0x100_0000, wasm: v.m.core });
  assert.ok(again.dmesg.some((l) => /SMMU currently enabled! Resetting/.test(l)));
  assert.ok((v.r32(R.SMMU_GBPA) & R.SMMU_GBPA_ABORT_MASK) !== 0, 'GBPA.ABORT set through the update handshake');
  assert.is(v.r32(R.SMMU_CR0ACK), CR0_ALL_QEMU);
});

/** An SMMU with every feature of the model ('full': S1+S2, MSI, PRI, ATS, HTTU, 2-level CDs) on its own bus. */
function fullSmmu(ramSize: number, pool: { memBase: number; memSize: number }) {
  const core = new Core();
  const ram = new WasmRam(core, ramSize);
  core.exports.ram_map(0x4000_0000, ramSize, ram.coreOffset);
  const memory = new AddressSpace({ name: 'system', size: 2 ** 52, unmappedRead: 'zero' });
  memory.mapRam(0x4000_0000, ram);
  const hw = new Smmuv3({ core, memory, preset: 'full' });
  memory.mapMmio(0x0905_0000, hw.mmio);
  const kcore = new IommuCore();
  const drv = armSmmuV3Probe(kcore, memory, 0x0905_0000, { ...pool, wasm: core });
  return { memory, hw, drv, kcore, r32: (o: number) => memory.read(0x0905_0000 + o, 4), r64: (o: number) => memory.read64(0x0905_0000 + o) };
}

test('full-featured SMMU: PRIQ and ATS check enabled too, CMD_SYNC completed by MSI into its own slot', () => {
  const s = fullSmmu(64 << 20, { memBase: 0x4100_0000, memSize: 0x200_0000 });
  const all = CR0_ALL_QEMU | R.SMMU_CR0_PRIQEN_MASK | R.SMMU_CR0_ATSCHK_MASK;
  assert.is(s.r32(R.SMMU_CR0ACK), all);
  assert.is(s.r32(R.SMMU_IRQ_CTRLACK), 7);
  assert.is(s.r32(R.SMMU_CMDQ_CONS), s.r32(R.SMMU_CMDQ_PROD));
  const base = Number(s.r64(R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_ADDR_MASK);
  const sync = [s.memory.read64(base + 16), s.memory.read64(base + 24)];
  assert.is(Number((sync[1]! & R.SMMU_CMD_SYNC_MSIADDR_MASK)), base + 16, 'MSIADDR = the CMD_SYNC slot itself');
  assert.is(Number(sync[0]! & 0xffffffffn), 0, 'the SMMU wrote MSIDATA 0 over the first word');
  assert.is(Number((sync[0]! & R.SMMU_CMD_SYNC_CS_MASK) >> BigInt(R.SMMU_CMD_SYNC_CS_SHIFT)), 0, 'CS field overwritten with the opcode word');
  assert.ok(s.drv.capable(null as never, 'DIRTY_TRACKING'), 'HTTU dirty + coherent: DIRTY_TRACKING');
  assert.is(Math.floor(s.drv.pgsizeBitmap / 2 ** 42) % 2, 1, 'OAS 52: 4 TiB blocks of the 64K granule');
});

test('queues shrink until they fit the memory the driver has (arm_smmu_init_one_queue)', () => {
  const s = fullSmmu(64 << 20, { memBase: 0x4100_0000, memSize: 0x3c_0000 });
  const shift = (o: number) => Number(s.r64(o) & 0x1fn);
  assert.ok(shift(R.SMMU_CMDQ_BASE) < 18 && shift(R.SMMU_EVENTQ_BASE) < 17 && shift(R.SMMU_PRIQ_BASE) < 18);
  assert.ok(s.drv.dmesg.some((l) => /allocated \d+ entries for priq/.test(l)));
  assert.is(s.r32(R.SMMU_CR0ACK) & R.SMMU_CR0_SMMUEN_MASK, 1);
});

test('PRI queue: an unexpected page request is reported and its group denied with CMD_PRI_RESP (RESP 0) once LAST arrives', () => {
  const s = fullSmmu(64 << 20, { memBase: 0x4100_0000, memSize: 0x200_0000 });
  assert.ok(s.hw.pageRequest({ sid: 0x10, addr: 0x5000, read: true, prgi: 3 }));
  assert.ok(s.hw.pageRequest({ sid: 0x10, ssid: 7, addr: 0x6000, write: true, prgi: 3, last: true }));
  const prod0 = s.r32(R.SMMU_CMDQ_PROD);
  const reqs = s.drv.handlePriq();
  assert.equal(reqs.map((r) => [r.sid, r.ssid, r.grpid, r.last, Number(r.addr)]), [[0x10, null, 3, false, 0x5000], [0x10, 7, 3, true, 0x6000]]);
  assert.is(s.r32(R.SMMU_PRIQ_CONS), s.r32(R.SMMU_PRIQ_PROD), 'PRIQ_CONS (page 1) caught up');
  assert.is(s.r32(R.SMMU_CMDQ_PROD) - prod0, 1, 'one response, for the last request of the group');
  const base = Number(s.r64(R.SMMU_CMDQ_BASE) & R.SMMU_CMDQ_BASE_ADDR_MASK);
  const [dw0, dw1] = [s.memory.read64(base + prod0 * 16), s.memory.read64(base + prod0 * 16 + 8)];
  assert.is(Number(dw0 & 0xffn), R.SMMU_CMD_OP_PRI_RESP);
  assert.is(Number(dw0 >> 32n), 0x10, 'SID');
  assert.is(Number(dw1 & 0x1ffn), 3, 'PRGI');
  assert.is(Number((dw1 >> 12n) & 3n), 0, 'RESP = deny');
  assert.is(s.r32(R.SMMU_CMDQ_CONS), s.r32(R.SMMU_CMDQ_PROD), 'accepted (IDR0.PRI)');
  assert.ok(s.drv.dmesg.some((l) => /unexpected PRI request received/.test(l)));
});

test.run();

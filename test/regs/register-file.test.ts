// RegisterFile: guest-visible access semantics, hardware-side API, hooks, resets, dumps.
// Expected behaviour comes from the reference sheets (QEMU 7.2 / spec) where a real register
// exhibits it, and from a small synthetic block for kinds the real maps do not use (RES1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressSpace } from '../../src/bridge/address-space.ts';
import type { TraceEvent } from '../../src/bridge/types.ts';
import { RegisterFile } from '../../src/regs/register-file.ts';
import { smmuv3 } from '../../src/regs/generated/smmuv3.ts';
import { vtd } from '../../src/regs/generated/vtd.ts';
import type { BlockDesc } from '../../src/regs/types.ts';

/** A synthetic block exercising every access kind in one register. */
const KINDS: BlockDesc = {
  block: 'kinds', title: 'access kinds', prefix: 'K', description: 'test', size: 0x10,
  registers: [
    {
      name: 'MIX', offset: 0, width: 32, access: 'RW', resetLo: 0x8000_00f0, resetHi: 0, description: 'mixed',
      count: 1, stride: 0, aliases: [], implemented: true, preserveOnReset: false,
      fields: [
        { name: 'RW', msb: 3, lsb: 0, width: 4, access: 'RW', description: '', enum: [], preserveOnReset: false },
        { name: 'RO', msb: 7, lsb: 4, width: 4, access: 'RO', description: '', enum: [], preserveOnReset: false },
        { name: 'W1C', msb: 11, lsb: 8, width: 4, access: 'RW1C', description: '', enum: [], preserveOnReset: false },
        { name: 'WO', msb: 15, lsb: 12, width: 4, access: 'WO', description: '', enum: [], preserveOnReset: false },
        { name: 'Z', msb: 19, lsb: 16, width: 4, access: 'RES0', description: '', enum: [], preserveOnReset: false },
        { name: 'ONE', msb: 31, lsb: 31, width: 1, access: 'RES1', description: '', enum: [], preserveOnReset: false },
      ],
    },
  ],
  structures: [],
  constants: [],
};

test('every access kind in one register', () => {
  const rf = new RegisterFile(KINDS);
  assert.is(rf.read(0, 4), 0x8000_00f0, 'reset: RO=0xF, RES1 reads 1');
  rf.set('MIX', rf.get('MIX') | 0x0000_0500); // hardware sets W1C bits 8 and 10
  rf.write(0, 4, 0x0007_f1a5);
  // RW <- 5; RO unchanged (0xF); W1C: bit 8 written 1 -> cleared, bit 10 written 0 -> kept;
  // WO stored but reads 0; RES0 ignored; RES1 still reads 1.
  assert.is(rf.read(0, 4), 0x8000_04f5);
  assert.is(rf.getField('MIX', 'WO'), 0xf, 'the WO bits were stored for the device');
  assert.is(rf.getField('MIX', 'Z'), 0, 'RES0 bits are not stored');
  rf.write(0, 4, 0);
  assert.is(rf.read(0, 4) >>> 31, 1, 'writing 0 does not clear RES1');
});

test('RO register: SMMU IDR1 ignores writes', () => {
  const rf = new RegisterFile(smmuv3);
  rf.write(0x004, 4, 0);
  assert.is(rf.read(0x004, 4), 0x02730010);
});

test('RW register keeps only its field bits: CR0 = SMMUEN..ATSCHK [4:0] + VMW [8:6]', () => {
  const rf = new RegisterFile(smmuv3);
  rf.write(0x020, 4, 0xffffffff);
  assert.is(rf.read(0x020, 4), 0x1df);
});

test('RW1C: VT-d FSTS PFO/IQE clear on 1; PPF and FRI are read-only', () => {
  const rf = new RegisterFile(vtd);
  rf.set('FSTS', 0x0000_0313 | 0x10); // FRI=3, IQE, PPF, PFO set by hardware
  rf.write(0x034, 4, 0x0000_0001); // clear PFO only
  assert.is(rf.read(0x034, 4), 0x0000_0312 | 0x10);
  rf.write(0x034, 4, 0xffffffff); // PPF (RO) and FRI (RO) survive
  assert.is(rf.read(0x034, 4), 0x0000_0302);
});

test('RW1C in a 64-bit register: Linux clears FRCD.F by writing 0x80000000 to dword +12', () => {
  const rf = new RegisterFile(vtd);
  const hi = rf.ref('FRCD_HI[0]');
  rf.field('FRCD_HI[0]', 'F').set(1);
  rf.field('FRCD_HI[0]', 'FR').set(0x06);
  rf.field('FRCD_HI[0]', 'SID').set(0x0018);
  assert.is(rf.read(0x22c, 4) >>> 31, 1, 'F visible in the high dword');
  rf.write(0x22c, 4, 0x8000_0000);
  assert.is(rf.getField('FRCD_HI[0]', 'F'), 0);
  assert.is(rf.getField('FRCD_HI[0]', 'FR'), 0x06, 'the reason survives');
  assert.is(hi.getLo(), 0x18, 'the low dword is untouched');
});

test('WO: GCMD reads 0, the write hook sees the command', () => {
  const rf = new RegisterFile(vtd);
  const seen: number[] = [];
  rf.onWrite('GCMD', (v) => seen.push(v));
  rf.write(0x018, 4, 0x8000_0000);
  assert.is(rf.read(0x018, 4), 0);
  assert.equal(seen, [0x8000_0000]);
});

test('64-bit register as two halves and as one access', () => {
  const rf = new RegisterFile(smmuv3);
  rf.write(0x080, 4, 0x1234_5000);
  rf.write(0x084, 4, 0x0000_0abc);
  assert.is(rf.read64(0x080), 0x0000_0abc_1234_5000n);
  assert.is(rf.get64('STRTAB_BASE'), 0x0000_0abc_1234_5000n);
  rf.write64(0x080, 0x4000_0fed_cba9_8740n);
  assert.is(rf.read(0x080, 4), 0xcba9_8740);
  assert.is(rf.read(0x084, 4), 0x4000_0fed);
  // CMDQ_BASE keeps LOG2SIZE[4:0], ADDR[51:5], RA[62]: bit 63 and bits 61:52 drop.
  rf.write64(0x090, 0xffff_ffff_ffff_ffffn);
  assert.is(rf.read64(0x090), 0x400f_ffff_ffff_ffffn);
});

test('FieldRef on a field straddling bit 32 (STRTAB_BASE.ADDR[51:6])', () => {
  const rf = new RegisterFile(smmuv3);
  const addr = rf.field('STRTAB_BASE', 'ADDR');
  addr.set(0x3fff_ffff_ffff); // the 46-bit maximum
  assert.is(addr.get(), 0x3fff_ffff_ffff);
  assert.is(rf.get64('STRTAB_BASE'), 0x000f_ffff_ffff_ffc0n, 'exactly bits 51:6');
  addr.set(0x1234_5678_9a);
  assert.is(rf.get64('STRTAB_BASE'), 0x1234_5678_9an << 6n);
  rf.field('STRTAB_BASE', 'RA').set(1);
  assert.is(addr.get(), 0x1234_5678_9a, 'setting RA leaves ADDR alone');
  assert.is(addr.max, 2 ** 46 - 1);
  assert.throws(() => addr.set(2 ** 46), /STRTAB_BASE\.ADDR: .* does not fit in 46 bits/);
});

test('write hooks: which halves a write touched (VT-d CCMD acts on 64-bit or high writes)', () => {
  const rf = new RegisterFile(vtd);
  const calls: [number, number, number, number, number][] = [];
  rf.onWrite('CCMD', (nv, ov, halves, nh, oh) => calls.push([nv, ov, halves, nh, oh]));
  rf.write(0x028, 4, 0x0001_0005); // SID=1, DID=5
  rf.write(0x02c, 4, 0xa000_0000); // ICC | CIRG=domain
  rf.write64(0x028, 0xe000_0000_0000_0000n);
  assert.equal(calls, [
    [0x0001_0005, 0, 1, 0, 0],
    [0x0001_0005, 0x0001_0005, 2, 0xa000_0000, 0],
    [0, 0x0001_0005, 3, 0xe000_0000, 0xa000_0000],
  ]);
  rf.onWrite('CCMD', null);
  rf.write(0x028, 4, 1);
  assert.is(calls.length, 3, 'removed hook is not called');
});

test('write hook fires on every write, also when nothing changes (doorbells)', () => {
  const rf = new RegisterFile(smmuv3);
  let kicks = 0;
  rf.onWrite('CMDQ_PROD', () => kicks++);
  rf.write(0x098, 4, 3);
  rf.write(0x098, 4, 3);
  assert.is(kicks, 2);
});

test('a device built on hooks: CR0 -> CR0ACK, GERROR/GERRORN toggles, GCMD/GSTS, CCMD self-clear', () => {
  const s = new RegisterFile(smmuv3);
  s.onWrite('CR0', (v) => s.set('CR0ACK', v & 0x1df));
  s.write(0x020, 4, 0x8);
  assert.is(s.read(0x024, 4), 0x8, 'Linux polls CR0ACK == CR0');
  // GERROR: hardware toggles; active while GERROR != GERRORN; software acks by copying.
  const raise = (bit: number) => {
    if (((s.get('GERROR') ^ s.get('GERRORN')) & bit) === 0) s.set('GERROR', s.get('GERROR') ^ bit);
  };
  raise(1);
  assert.is((s.read(0x060, 4) ^ s.read(0x064, 4)) & 1, 1, 'CMDQ_ERR active');
  s.write(0x064, 4, s.read(0x060, 4));
  assert.is((s.read(0x060, 4) ^ s.read(0x064, 4)) & 1, 0, 'acknowledged');

  const v = new RegisterFile(vtd);
  const TE = 1 << 31, SRTP = 1 << 30, QIE = 1 << 26;
  v.onWrite('GCMD', (cmd) => {
    let sts = v.get('GSTS') & ~(TE | QIE);
    sts |= cmd & (TE | QIE); // persistent bits follow the command
    if (cmd & SRTP) sts |= SRTP; // one-shot latches RTPS
    v.set('GSTS', sts >>> 0);
  });
  v.write(0x018, 4, SRTP >>> 0);
  v.write(0x018, 4, (TE | QIE) >>> 0);
  assert.is(v.read(0x01c, 4), (TE | SRTP | QIE) >>> 0);
  v.onWrite('CCMD', (_lo, _olo, halves, hi) => {
    if ((halves & 2) !== 0 && hi >>> 31 === 1) {
      const cirg = (hi >>> 29) & 3;
      v.setHi('CCMD', ((hi & ~(1 << 31)) & ~(3 << 27)) | (cirg << 27)); // ICC clears, CAIG = CIRG
    }
  });
  v.write64(0x028, 0xa000_0000_0000_0005n); // ICC | CIRG=global | DID 5
  // ICC self-cleared, CIRG kept (bits 62:61 = 1), CAIG = 1 (bits 60:59), DID kept.
  assert.is(v.read64(0x028), 0x2800_0000_0000_0005n);
});

test('read hooks compute the guest value (FSTS.PPF derived from FRCD.F)', () => {
  const rf = new RegisterFile(vtd);
  const f = rf.field('FRCD_HI[0]', 'F');
  rf.onRead('FSTS', () => (rf.get('FSTS') & ~2) | (f.get() << 1));
  assert.is(rf.read(0x034, 4), 0);
  f.set(1);
  assert.is(rf.read(0x034, 4), 2);
  assert.is(rf.read(0x034, 1), 2, 'sub-word reads go through the hook');
  // 64-bit register hooks get the half index.
  rf.onRead('IQH', (half) => (half === 0 ? 0x40 : 0x1));
  assert.is(rf.read64(0x080), 0x1_0000_0040n);
  rf.onRead('IQH', null);
  assert.is(rf.read64(0x080), 0n);
});

test('sub-word accesses: byte enables, no collateral RW1C clearing', () => {
  const rf = new RegisterFile(smmuv3);
  rf.write(0x020, 4, 0x1c0); // VMW = 7
  rf.write(0x020, 1, 0x0d);
  assert.is(rf.read(0x020, 4), 0x10d, 'byte 0 rewrote VMW[7:6]; VMW[8] in byte 1 is untouched');
  assert.is(rf.read(0x045, 1), 0x10, 'GBPA byte 1 of 0x00001000');
  assert.is(rf.read(0x044, 2), 0x1000);
  const v = new RegisterFile(vtd);
  v.field('FRCD_HI[0]', 'F').set(1);
  v.field('FRCD_HI[0]', 'FR').set(0xff);
  v.write(0x22c, 1, 0xff); // byte holding FR bits 39:32 only: FR is RO
  assert.is(v.getField('FRCD_HI[0]', 'F'), 1, 'a write to another byte does not clear F');
  v.write(0x22f, 1, 0x80);
  assert.is(v.getField('FRCD_HI[0]', 'F'), 0);
  // An unaligned 4-byte read spanning CR0 and CR0ACK.
  rf.write(0x020, 4, 0x0000_0001);
  rf.set('CR0ACK', 0x1);
  assert.is(rf.read(0x022, 4), 0x0001_0000);
});

test('unassigned offsets read 0, ignore writes and are traced', () => {
  const events: TraceEvent[] = [];
  const rf = new RegisterFile(smmuv3, { trace: (e) => events.push(e) });
  assert.is(rf.read(0x030, 4), 0);
  rf.write(0x030, 4, 0xffff);
  assert.is(rf.read(0x030, 4), 0);
  assert.equal(events.slice(0, 2).map((e) => [e.kind, e.op, e.offset]), [['mmio-unassigned', 'read', 0x30], ['mmio-unassigned', 'write', 0x30]]);
  assert.is(events[0]!.source, 'smmuv3');
});

test('registers not implemented by default are RAZ/WI until included', () => {
  const plain = new RegisterFile(smmuv3);
  plain.write64(0x0c0, 0x1234_5000n);
  assert.is(plain.read64(0x0c0), 0n, 'PRIQ_BASE: QEMU has no PRI queue');
  assert.throws(() => plain.get64('PRIQ_BASE'), /PRIQ_BASE of smmuv3 is not modelled in this instance/);
  const pri = new RegisterFile(smmuv3, { include: ['PRIQ_BASE', 'PRIQ_PROD'] });
  pri.write64(0x0c0, 0x1234_5000n);
  assert.is(pri.read64(0x0c0), 0x1234_5000n);
  const all = new RegisterFile(vtd, { include: 'all' });
  all.write(0x064, 4, 0x8000_0000);
  assert.is(all.read(0x064, 4), 0x8000_0000, 'PMEN.EPM is RW once modelled');
  assert.ok(all.has('MTRR_PHYSMASK[9]'));
  assert.throws(() => new RegisterFile(smmuv3, { include: ['PRIQ_BSE'] }), /options\.include names no register "PRIQ_BSE".*PRIQ_BASE/);
});

test('aliases: EVENTQ_PROD/CONS also answer at the page-0 slots (QEMU)', () => {
  const rf = new RegisterFile(smmuv3);
  rf.write(0x100ac, 4, 5);
  assert.is(rf.read(0x0ac, 4), 5);
  rf.write(0x0a8, 4, 0x8000_0007);
  assert.is(rf.read(0x100a8, 4), 0x8000_0007);
});

test('reset overrides (per-property CAP/ECAP) and their errors', () => {
  const aw48 = new RegisterFile(vtd, { resets: { CAP: 0x00d2008c_222f0606n, ECAP: 0xf00f5a } });
  assert.is(aw48.read64(0x008), 0x00d2008c222f0606n);
  assert.is(aw48.read64(0x010), 0xf00f5an);
  aw48.reset();
  assert.is(aw48.read64(0x008), 0x00d2008c222f0606n, 'overrides are the instance reset values');
  const smmu = new RegisterFile(smmuv3, { resets: { IDR0: 0x0d44101a } });
  assert.is(smmu.read(0, 4), 0x0d44101a);
  assert.throws(() => new RegisterFile(vtd, { resets: { CAPP: 1n } }), /options\.resets names no register "CAPP".*CAP/);
  assert.throws(() => new RegisterFile(smmuv3, { resets: { IDR0: 0x1_0000_0000 } }), /options\.resets\.IDR0 = 0x100000000 does not fit the 32-bit register/);
  assert.throws(() => new RegisterFile(smmuv3, { resets: { IDR0: 1.5 } }), /options\.resets\.IDR0 must be an integer/);
  assert.throws(() => new RegisterFile(smmuv3, { resets: { PRIQ_BASE: 0n } }), /PRIQ_BASE: register is not modelled/);
  const frcd = new RegisterFile(vtd, { resets: { FRCD_HI: 1n << 63n } });
  assert.is(frcd.getField('FRCD_HI[0]', 'F'), 1, 'the base name sets every array element');
});

test('device reset keeps what QEMU keeps; power-on reset clears it', () => {
  const rf = new RegisterFile(smmuv3);
  rf.write(0x028, 4, 0xd75); // CR1 (Linux value)
  rf.write(0x020, 4, 0xd);
  rf.write64(0x090, 0x8000_0000n | 10n); // CMDQ_BASE: address + LOG2SIZE 10
  rf.write(0x098, 4, 7);
  rf.reset();
  assert.is(rf.read(0x028, 4), 0xd75, 'CR1 is not re-reset');
  assert.is(rf.read(0x020, 4), 0, 'CR0 is');
  assert.is(rf.read64(0x090), 0x8000_0000n | 19n, 'queue base keeps its address, LOG2SIZE back to 19');
  assert.is(rf.read(0x098, 4), 0, 'CMDQ_PROD is reset');
  rf.reset({ powerOn: true });
  assert.is(rf.read(0x028, 4), 0);
  assert.is(rf.read64(0x090), 19n);
});

test('array counts can grow with the window', () => {
  const rf = new RegisterFile(vtd, { counts: { FRCD_LO: 4, FRCD_HI: 4 }, size: 0x260 });
  assert.ok(rf.has('FRCD_HI[3]'));
  rf.field('FRCD_HI[3]', 'F').set(1);
  assert.is(rf.read(0x25c, 4), 0x8000_0000);
  assert.throws(() => new RegisterFile(vtd, { counts: { FRCD_HI: 4 } }), /register FRCD_HI\[1\] at 0x00000238 does not fit in the 560-byte window/);
  assert.throws(() => new RegisterFile(vtd, { counts: { CAP: 2 } }), /register CAP is not an array register/);
});

test('API misuse throws with the argument named', () => {
  const rf = new RegisterFile(smmuv3);
  assert.throws(() => rf.read(0x20000, 4), /access of 4 bytes at offset 131072 is outside the 131072-byte window/);
  assert.throws(() => rf.write(-4, 4, 0), /outside the/);
  assert.throws(() => rf.read(0, 8 as 4), /size must be 1, 2 or 4 \(use read64 for 8\)/);
  assert.throws(() => rf.get('CR9'), /no register "CR9" in smmuv3\. Did you mean: .*CR0/);
  assert.throws(() => rf.get('STRTAB_BASE'), /STRTAB_BASE is 64-bit: use get64/);
  assert.throws(() => rf.setField('CR0', 'VMW', 8), /CR0\.VMW: 8 does not fit in 3 bits/);
  assert.throws(() => rf.getField('CR0', 'SMMUENN'), /register CR0 has no field "SMMUENN"\. Did you mean: SMMUEN/);
  assert.throws(() => rf.set('CR0', 2 ** 32), /CR0: 4294967296 is not a 32-bit value/);
  assert.throws(() => rf.set('CR0', 0.5), /CR0: 0\.5 is not a 32-bit value/);
  rf.set('GERROR_IRQ_CFG1', 1 << 31);
  assert.is(rf.get('GERROR_IRQ_CFG1'), 0x8000_0000, 'int32 bit patterns are accepted and read back unsigned');
  const v = new RegisterFile(vtd);
  assert.throws(() => v.get64('FRCD_HI'), /FRCD_HI is an array of 1: name an element, e\.g\. FRCD_HI\[0\]/);
});

test('dump(): offset, name, value and decoded non-zero fields', () => {
  const rf = new RegisterFile(smmuv3);
  rf.write(0x020, 4, 0xd);
  rf.write(0x088, 4, 0x10210);
  const text = rf.dump();
  assert.match(text, /^0x00020 CR0\s+0x0000000d\s+SMMUEN=1 EVENTQEN=1 CMDQEN=1$/m);
  assert.match(text, /^0x00088 STRTAB_BASE_CFG\s+0x00010210\s+LOG2SIZE=0x10 SPLIT=8 FMT=TWO_LEVEL$/m);
  assert.match(text, /^0x00004 IDR1\s+0x02730010\s+SIDSIZE=0x10 EVENTQS=0x13 CMDQS=0x13$/m);
  assert.match(text, /^0x000a0 EVENTQ_BASE\s+0x0000000000000013\s+LOG2SIZE=0x13$/m);
  assert.match(text, /^0x00024 CR0ACK\s+0x00000000$/m, 'zero registers are listed without fields');
  assert.not.match(text, /PRIQ_BASE/, 'absent registers are not dumped');
  const short = rf.dump({ zeros: false });
  assert.not.match(short, /CR0ACK/);
  const v = new RegisterFile(vtd);
  assert.match(v.dump(), /^0x038 FECTL\s+0x80000000\s+IM=1$/m);
  assert.match(v.dump(), /^0x228 FRCD_HI\[0\]\s+0x0000000000000000$/m);
});

test('dumpObject(): structured values and enum names', () => {
  const rf = new RegisterFile(smmuv3);
  rf.write(0x088, 4, 0x10210);
  const o = rf.dumpObject();
  assert.is(o.block, 'smmuv3');
  const cfg = o.registers.find((r) => r.name === 'STRTAB_BASE_CFG')!;
  assert.equal(cfg, { name: 'STRTAB_BASE_CFG', offset: 0x88, width: 32, value: '0x00010210', fields: { LOG2SIZE: 16, SPLIT: 8, FMT: 1 }, enums: { FMT: 'TWO_LEVEL' } });
  const gcmd = new RegisterFile(vtd);
  gcmd.write(0x018, 4, 0x8000_0000);
  assert.is(gcmd.dumpObject().registers.find((r) => r.name === 'GCMD')!.value, '0x00000000', 'guest view');
  assert.is(gcmd.dumpObject({ view: 'stored' }).registers.find((r) => r.name === 'GCMD')!.value, '0x80000000', 'stored view');
});

test('state() / loadState() round trip and errors', () => {
  const a = new RegisterFile(smmuv3);
  a.write64(0x080, 0x4000_1234_5000n);
  a.write(0x020, 4, 0xd);
  const saved = JSON.parse(JSON.stringify(a.state()));
  const b = new RegisterFile(smmuv3);
  b.loadState(saved);
  assert.is(b.dump(), a.dump());
  assert.throws(() => b.loadState({ CR7: '0x1' }), /loadState: no register "CR7"/);
  assert.throws(() => b.loadState({ CR0: '0x100000000' }), /register CR0: 0x100000000 does not fit in 32 bits/);
  assert.throws(() => b.loadState({ CR0: 5 as unknown as string }), /register CR0: expected a hex string/);
});

test('through an AddressSpace: 64-bit accesses use read64/write64', () => {
  const rf = new RegisterFile(smmuv3);
  const space = new AddressSpace({ name: 'sys' });
  space.mapMmio(0x0905_0000, { name: 'smmuv3', size: rf.size, handler: rf, validSizes: 4 | 8 });
  let halves = 0;
  rf.onWrite('STRTAB_BASE', (_a, _b, h) => (halves = h));
  space.write64(0x0905_0080, 0x1_2345_6000n);
  assert.is(halves, 3, 'one 64-bit access, one hook call');
  assert.is(space.read64(0x0905_0080), 0x1_2345_6000n);
  assert.is(space.read(0x0905_0004, 4), 0x02730010);
});

test.run();

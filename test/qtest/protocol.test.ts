import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QtestProtocol } from '../../src/qtest/protocol.ts';
import { FAKE_IOAPIC, FakeMachine, fakeConfig, type FakeOptions } from './fake-machine.ts';
import { replayFixtureFile } from './replay.ts';

function session(options: FakeOptions = {}, machineKind: 'q35' | 'virt' = 'q35') {
  const machine = new FakeMachine(fakeConfig(machineKind), options);
  let out = '';
  const logText: string[] = [];
  const proto = new QtestProtocol(machine, (t) => (out += t), { log: (t) => logText.push(t) });
  proto.opened();
  /** Run one request; returns everything it printed, lines joined by '\n'. */
  const run = (line: string): string => {
    out = '';
    proto.command(line);
    const o = out;
    out = '';
    return o;
  };
  return { machine, proto, run, logText, take: () => { const o = out; out = ''; return o; } };
}

test('q35-basic.txt: the recorded QEMU 7.2 replies, byte for byte, on a RAM-only machine', () => {
  // RAM, holes, unassigned ports, data commands, FAIL/ERR replies, clock: every fact in
  // this transcript is QEMU's, and none needs a device.
  const r = replayFixtureFile(new URL('./fixtures/q35-basic.txt', import.meta.url), (c) => new FakeMachine(c));
  assert.ok(r.requests > 50);
  assert.is(r.report, '');
});

test('reply formats: readX is "OK 0x%016x", inX is "OK 0x%04x" (wider values unpadded)', () => {
  const { run, machine } = session();
  machine.io!.latch = 0x12345678;
  assert.is(run('readb 0x0'), 'OK 0x0000000000000000\n');
  assert.is(run('inb 0x510'), 'OK 0x0078\n');
  assert.is(run('inw 0x510'), 'OK 0x5678\n');
  assert.is(run('inl 0x510'), 'OK 0x12345678\n');
  assert.is(run('inl 0x511'), 'OK 0xffffffff\n');
  assert.is(run('writeq 0x100 0xfedcba9876543210'), 'OK\n');
  assert.is(run('readq 0x100'), 'OK 0xfedcba9876543210\n');
  assert.is(run('read 0x100 3'), 'OK 0x103254\n');
  assert.is(run('b64read 0x100 2'), 'OK EDI=\n');
});

test('out* truncate the value to the access size and reach the port space', () => {
  const { run, machine } = session();
  assert.is(run('outb 0x510 0x1ff'), 'OK\n');
  assert.is(run('outw 0x80 0x12345'), 'OK\n');
  assert.is(run('outl 0xffff -1'), 'OK\n');
  assert.equal(machine.io!.log, ['out1 510 ff', 'out2 80 2345', 'out4 ffff ffffffff']);
});

test('virt (no port space): in* read all ones of the size, out* are accepted and dropped', () => {
  const { run } = session({ withPorts: false }, 'virt');
  assert.is(run('inb 0x80'), 'OK 0x00ff\n');
  assert.is(run('inw 0x80'), 'OK 0xffff\n');
  assert.is(run('inl 0x80'), 'OK 0xffffffff\n');
  assert.is(run('outl 0x80 0'), 'OK\n');
  assert.is(run('endianness'), 'OK little\n');
});

test('endianness of a big-endian machine', () => {
  assert.is(session({ bigEndian: true }).run('endianness'), 'OK big\n');
});

test('write: first two characters skipped unchecked, zero fill, non-hex digits as QEMU computes them', () => {
  const { run } = session();
  run('memset 0x200 4 0xee');
  assert.is(run('write 0x200 4 0xab'), 'OK\n');
  assert.is(run('read 0x200 4'), 'OK 0xab000000\n');
  // hex2nib gives -1: (-1 << 4) | 1 = 0xf1 ; (1 << 4) | -1 = 0xff ; both bad = 0xff
  assert.is(run('write 0x200 3 0xZ11ZZZ'), 'OK\n');
  assert.is(run('read 0x200 3'), 'OK 0xf1ffff\n');
  // an odd trailing digit is not used (the pair is incomplete) and the byte is zero
  assert.is(run('write 0x200 2 0x123'), 'OK\n');
  assert.is(run('read 0x200 2'), 'OK 0x1200\n');
  assert.is(run('write 0x200 1 12'), 'ERR invalid argument size\n');
});

test('b64write: short data is zero filled (QEMU writes leftover buffer bytes), long data truncated', () => {
  const { run } = session();
  run('memset 0x300 8 0xee');
  assert.is(run('b64write 0x300 4 AQI='), 'OK\n');
  assert.is(run('read 0x300 5'), 'OK 0x01020000ee\n');
  assert.is(run('b64write 0x300 2 AQIDBA=='), 'OK\n');
  assert.is(run('read 0x300 5'), 'OK 0x01020000ee\n');
  assert.is(run('b64write 0x300 1 !!'), 'ERR invalid argument size\n');
});

test('malformed requests that make QEMU 7.2 abort get FAIL replies and the session goes on', () => {
  const { run } = session();
  const cases: [string, string][] = [
    ['readl', "FAIL missing argument for 'readl'"],
    ['readl zz', "FAIL invalid number 'zz'"],
    ['readl 0x', "FAIL invalid number '0x'"],
    ['readl 12abc', "FAIL invalid number '12abc'"],
    ['readl 08', "FAIL invalid number '08'"],
    ['readl 0x1ffffffffffffffff', "FAIL invalid number '0x1ffffffffffffffff'"],
    ['readl  0x10', "FAIL invalid number ''"],
    ['writel 0x10', "FAIL missing argument for 'writel'"],
    ['outb 0x10000 1', 'FAIL port address 0x10000 out of range (max 0xffff)'],
    ['inb -1', 'FAIL port address 0xffffffffffffffff out of range (max 0xffff)'],
    ['outb 0x80', "FAIL missing argument for 'outb'"],
    ['read 0x1000 0', 'FAIL read of 0 bytes'],
    ['read 0x1000', "FAIL missing argument for 'read'"],
    ['write 0x1000 1', "FAIL missing argument for 'write'"],
    ['memset 0x1000 1', "FAIL missing argument for 'memset'"],
    ['b64write 0x1000 1', "FAIL missing argument for 'b64write'"],
    ['irq_intercept_in', "FAIL missing argument for 'irq_intercept_in'"],
    ['set_irq_in ioapic unnamed-gpio-in 0', "FAIL missing argument for 'set_irq_in'"],
    ['clock_step ten', "FAIL invalid number 'ten'"],
    ['clock_set', "FAIL missing argument for 'clock_set'"],
    ['clock_set 0x8000000000000000', "FAIL invalid number '0x8000000000000000'"],
    ['', 'FAIL empty request'],
    ['read 0 0x8000001', 'FAIL length 0x8000001 too large (at most 0x8000000)'],
  ];
  for (const [req, reply] of cases) assert.is(run(req), reply + '\n', req);
  // ...and a well-formed request still works afterwards
  assert.is(run('endianness'), 'OK little\n');
});

test('words split on single spaces like g_strsplit: a leading space is an empty command name', () => {
  const { run } = session();
  assert.is(run(' readl 0'), "FAIL Unknown command ''\n");
  assert.is(run('readl 0 '), 'OK 0x0000000000000000\n');
  assert.is(run('readl\t0'), "FAIL Unknown command 'readl\t0'\n");
  // a CR is part of the last word, as in QEMU
  assert.is(run('readl 0\r'), "FAIL invalid number '0\r'\n");
  // strtoull skips leading white space other than the separator
  assert.is(run('readl \t0x0'), 'OK 0x0000000000000000\n');
});

test('addresses beyond 2^53 behave as unassigned memory', () => {
  const { run } = session();
  assert.is(run('writeq 0xfffffffffffffff8 1'), 'OK\n');
  assert.is(run('readq 0xfffffffffffffff8'), 'OK 0x0000000000000000\n');
  assert.is(run('read 0x20000000000000 2'), 'OK 0x0000\n');
});

test('feed: partial lines wait for their newline; several lines in one chunk run in order', () => {
  const machine = new FakeMachine(fakeConfig());
  let out = '';
  const proto = new QtestProtocol(machine, (t) => (out += t));
  proto.opened();
  proto.feed('writeb 0x10 0x');
  assert.is(out, '');
  proto.feed('42\nreadb 0x');
  assert.is(out, 'OK\n');
  proto.feed('10\nendianness\nfoo');
  assert.is(out, 'OK\nOK 0x0000000000000042\nOK little\n');
  proto.feed('\n');
  assert.is(out, "OK\nOK 0x0000000000000042\nOK little\nFAIL Unknown command 'foo'\n");
});

test('IRQ lines: only on level changes, before the reply of the request that caused them', () => {
  const { run, machine, proto, take } = session();
  assert.is(run('irq_intercept_in ioapic'), 'OK\n');
  assert.equal(machine.intercepted, { device: FAKE_IOAPIC, direction: 'in' });
  // a timer that raises line 20 then lowers it (like edu's INTx) and one that lowers line 3
  machine.addTimer(100, () => machine.raise(20, true));
  machine.addTimer(150, () => machine.raise(20, true)); // no change: no line
  machine.addTimer(200, () => machine.raise(3, false)); // already low: no line
  machine.addTimer(250, () => machine.raise(20, false));
  assert.is(run('clock_step 120'), 'IRQ raise 20\nOK 120\n');
  assert.is(run('clock_step'), 'OK 150\n');
  assert.is(run('clock_step'), 'OK 200\n');
  assert.is(run('clock_set 1000'), 'IRQ lower 20\nOK 1000\n');
  assert.is(run('clock_step'), 'OK 1000\n');
  // levels are forgotten when a new client connects (CHR_EVENT_OPENED)
  machine.raise(7, true);
  assert.is(take(), 'IRQ raise 7\n');
  machine.raise(7, true);
  assert.is(take(), '');
  proto.opened();
  machine.raise(7, true);
  assert.is(take(), 'IRQ raise 7\n');
});

test('irq_intercept: unknown device, same device under another name, a second device', () => {
  const { run } = session();
  assert.is(run('irq_intercept_out nosuch'), 'FAIL Unknown device\n');
  assert.is(run('irq_intercept_in /machine/q35/ioapic'), 'OK\n');
  assert.is(run('irq_intercept_out ioapic'), 'OK\n');
  assert.is(run('irq_intercept_in nosuch'), 'FAIL Unknown device\n');
  assert.is(run('irq_intercept_out /machine/q35'), 'FAIL IRQ intercept already enabled\n');
});

test('irq_intercept without resolveDevice: the path text stands for the device', () => {
  const { run, machine } = session({ noResolve: true });
  assert.is(run('irq_intercept_in nosuch'), 'FAIL Unknown device\n');
  assert.is(run('irq_intercept_in ioapic'), 'OK\n');
  assert.equal(machine.intercepted, { device: 'ioapic', direction: 'in' });
  assert.is(run('irq_intercept_in ioapic'), 'OK\n');
  assert.is(run('irq_intercept_in /machine/q35/ioapic'), 'FAIL IRQ intercept already enabled\n');
});

test('set_irq_in: named list, line and level reach the machine; errors are FAIL', () => {
  const { run, machine } = session();
  assert.is(run('set_irq_in ioapic unnamed-gpio-in 5 1'), 'OK\n');
  assert.is(machine.gpioIn.get(5), 1);
  assert.is(run('set_irq_in nosuch unnamed-gpio-in 5 1'), 'FAIL Unknown device\n');
  assert.is(run('set_irq_in ioapic unnamed-gpio-in 99 1'), `FAIL no input 99 in GPIO list 'unnamed-gpio-in' of ${FAKE_IOAPIC}\n`);
  assert.is(run('set_irq_in ioapic unnamed-gpio-in 0x80000000 1'), "FAIL invalid number '0x80000000'\n");
});

test('clock: negative steps and past targets leave the clock; values print as decimal ns', () => {
  const { run } = session();
  assert.is(run('clock_step 0x10'), 'OK 16\n');
  assert.is(run('clock_step -100'), 'OK 16\n');
  assert.is(run('clock_set -5'), 'OK 16\n');
  assert.is(run('clock_set 1000000000000'), 'OK 1000000000000\n');
});

test('log: QEMU -qtest-log layout, stamped with the virtual clock in seconds', () => {
  const { run, logText } = session();
  run('clock_step 1500000');
  run('readb 0');
  run('write 0 1 0');
  assert.equal(logText.join(''), [
    '[I 0.000000] OPENED',
    '[R +0.000000] clock_step 1500000',
    '[S +0.001500] OK 1500000',
    '[R +0.001500] readb 0',
    '[S +0.001500] OK 0x0000000000000000',
    '[R +0.001500] write 0 1 0',
    'ERR invalid argument size',
    '',
  ].join('\n'));
});

test.run();

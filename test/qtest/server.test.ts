import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { MachineConfig } from '../../src/platform/machine-types.ts';
import { runQtest } from '../../src/qtest/main.ts';
import { FakeMachine } from './fake-machine.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qtest-test-'));
let n = 0;
const sockPath = (kind: string) => path.join(tmp, `${kind}-${++n}.sock`);

function stdio(input = '') {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  if (input) stdin.write(input);
  return { io: { stdin, stdout, stderr, handleSignals: false }, stdin, out: () => out, err: () => err };
}

const factory = (c: MachineConfig) => new FakeMachine(c);

/** Listen on a fresh unix socket; resolves with the accepted connection. */
function listen(p: string): { accepted: Promise<net.Socket>; server: net.Server } {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  server.listen(p);
  return { accepted, server };
}

/** Collect what arrives on a socket until `count` complete lines ("\n") are there. */
function lines(sock: net.Socket, count: number): Promise<string[]> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const parts = buf.split('\n');
      if (parts.length - 1 >= count) {
        sock.off('data', onData);
        resolve(parts.slice(0, count));
      }
    };
    sock.on('data', onData);
  });
}

test('unix transport: connects to the listening socket, partial lines, replies in order, EOF ends with 0', async () => {
  const p = sockPath('qtest');
  const { accepted, server } = listen(p);
  const s = stdio();
  const done = runQtest(['-machine', 'q35', '-qtest', `unix:${p}`, '-qtest-log', 'none'], factory, s.io);
  const sock = await accepted;
  const got = lines(sock, 4);
  sock.write('endianness\nwritel 0x1000 0x1234');
  sock.write('5678\nreadl 0x10');
  sock.write('00\nfoo\n');
  assert.equal(await got, ['OK little', 'OK', 'OK 0x0000000012345678', "FAIL Unknown command 'foo'"]);
  sock.end();
  assert.is(await done, 0);
  assert.is(s.err(), '');
  server.close();
});

test('libqtest handshake: QMP greeting and qmp_capabilities, endianness, then QMP quit ends with 0', async () => {
  const qp = sockPath('qtest');
  const mp = sockPath('qmp');
  const q = listen(qp);
  const m = listen(mp);
  const s = stdio();
  const done = runQtest(
    ['-qtest', `unix:${qp}`, '-qtest-log', '/dev/null', '-chardev', `socket,path=${mp},id=char0`, '-mon', 'chardev=char0,mode=control', '-display', 'none', '-machine', 'q35', '-accel', 'qtest'],
    factory,
    s.io,
  );
  const qsock = await q.accepted;
  const msock = await m.accepted;
  const greeting = await lines(msock, 1);
  assert.match(greeting[0]!, /^\{"QMP": \{"version": \{"qemu": \{"micro": 0, "minor": 2, "major": 7\}, "package": "iommu-model"\}, "capabilities": \["oob"\]\}\}\r$/);
  const caps = lines(msock, 1);
  msock.write('{"execute": "qmp_capabilities"}');
  assert.equal(await caps, ['{"return": {}}\r']);
  const e = lines(qsock, 2);
  qsock.write('endianness\nclock_step 5\n');
  assert.equal(await e, ['OK little', 'OK 5']);
  const bye = lines(msock, 2);
  msock.write('{"execute": "quit"}');
  assert.equal(await bye, [
    '{"timestamp": {"seconds": 0, "microseconds": 0}, "event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}}\r',
    '{"return": {}}\r',
  ]);
  assert.is(await done, 0);
  q.server.close();
  m.server.close();
});

test('stdio transport: replies on stdout, QEMU-style log on stderr by default, end of input ends with 0', async () => {
  const s = stdio('readb 0x10\nwriteb 0x10 7\nreadb 0x10\n');
  s.stdin.end();
  assert.is(await runQtest(['-machine', 'q35'], factory, s.io), 0);
  assert.is(s.out(), 'OK 0x0000000000000000\nOK\nOK 0x0000000000000007\n');
  assert.is(
    s.err(),
    '[I 0.000000] OPENED\n[R +0.000000] readb 0x10\n[S +0.000000] OK 0x0000000000000000\n' +
      '[R +0.000000] writeb 0x10 7\n[S +0.000000] OK\n[R +0.000000] readb 0x10\n' +
      '[S +0.000000] OK 0x0000000000000007\n[I +0.000000] CLOSED\n',
  );
});

test('-qtest-log FILE receives the log; -qtest-log none writes nothing', async () => {
  const logFile = path.join(tmp, 'log.txt');
  const s = stdio('clock_step 2000\n');
  s.stdin.end();
  assert.is(await runQtest(['-M', 'virt', '-qtest', 'stdio', '-qtest-log', logFile], factory, s.io), 0);
  assert.is(fs.readFileSync(logFile, 'utf8'), '[I 0.000000] OPENED\n[R +0.000000] clock_step 2000\n[S +0.000002] OK 2000\n[I +0.000002] CLOSED\n');
  assert.is(s.err(), '');
  const s2 = stdio('endianness\n');
  s2.stdin.end();
  assert.is(await runQtest(['-M', 'virt', '-qtest-log', 'none'], factory, s2.io), 0);
  assert.is(s2.out(), 'OK little\n');
  assert.is(s2.err(), '');
});

test('errors: "iommu-model: <message>" on stderr and status 1', async () => {
  const run = async (argv: string[], f: (c: MachineConfig) => FakeMachine = factory) => {
    const s = stdio();
    const code = await runQtest(argv, f, s.io);
    return { code, err: s.err(), out: s.out() };
  };
  assert.equal(await run(['-machine', 'q35', '-bogus']), { code: 1, err: 'iommu-model: -bogus: invalid option\n', out: '' });
  const throwing = () => {
    throw new Error("-device frob: 'frob' is not a valid device model name");
  };
  assert.equal(await run(['-machine', 'q35', '-device', 'frob'], throwing), {
    code: 1,
    err: "iommu-model: -device frob: 'frob' is not a valid device model name\n",
    out: '',
  });
  const missing = path.join(tmp, 'nobody-listens.sock');
  assert.equal(await run(['-machine', 'q35', '-qtest', `unix:${missing}`]), {
    code: 1,
    err: `iommu-model: -qtest unix:${missing}: Failed to connect to '${missing}': No such file or directory\n`,
    out: '',
  });
  assert.equal((await run(['-machine', 'q35', '-qtest-log', path.join(tmp, 'no/such/dir/log')])).code, 1);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { parseFixture } from './fixture.ts';
import { FakeMachine } from './fake-machine.ts';
import { replayFixture } from './replay.ts';

test('fixture format: args, requests, recorded and synthesized replies, waits', () => {
  const f = parseFixture('# c\n$ -machine q35\n$ -m 256\n> readl 0\n< IRQ raise 1\n< OK 0x0\n~ 100\n~ 50\n> clock_step\n<= OK 5\n> b64read 0 0\n< OK \n');
  assert.equal(f.args, ['-machine', 'q35', '-m', '256']);
  assert.equal(f.steps, [
    { request: 'readl 0', replies: ['IRQ raise 1', 'OK 0x0'], synthesized: [false, false], waitMs: 0, line: 4 },
    { request: 'clock_step', replies: ['OK 5'], synthesized: [true], waitMs: 150, line: 9 },
    { request: 'b64read 0 0', replies: ['OK '], synthesized: [false], waitMs: 0, line: 11 },
  ]);
  assert.throws(() => parseFixture('< OK\n'), /fixture line 1: reply before any request/);
  assert.throws(() => parseFixture('> a\nOK\n'), /fixture line 2: cannot parse 'OK'/);
});

test('replay reports each differing request with expected and actual lines', () => {
  const text = '$ -machine q35\n> writeb 0 1\n< OK\n> readb 0\n< OK 0x0000000000000002\n> endianness\n< OK little\n';
  const r = replayFixture(text, (c) => new FakeMachine(c), 'x.txt');
  assert.is(r.requests, 3);
  assert.equal(r.mismatches, [{ line: 4, request: 'readb 0', expected: ['OK 0x0000000000000002'], actual: ['OK 0x0000000000000001'] }]);
  assert.is(r.report, 'x.txt:4: > readb 0\n  - OK 0x0000000000000002\n  + OK 0x0000000000000001');
});

test('every fixture parses, names a machine the command line accepts, and has a reply for every request', async () => {
  const dir = new URL('./fixtures/', import.meta.url);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.txt'));
  assert.ok(files.length >= 8);
  const { parseQtestCommandLine } = await import('../../src/qtest/cmdline.ts');
  for (const f of files) {
    const fx = parseFixture(fs.readFileSync(new URL(f, dir), 'utf8'));
    parseQtestCommandLine(fx.args);
    for (const s of fx.steps) {
      assert.ok(s.replies.length >= 1, `${f}:${s.line}`);
      assert.ok(s.replies.every((l) => l !== ''), `${f}:${s.line} empty reply`);
    }
  }
});

test.run();

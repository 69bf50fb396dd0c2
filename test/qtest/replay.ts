// Replays a recorded QEMU transcript (fixtures/*.txt) against any machine factory and
// compares the replies line by line. The lead's machine tests use it like:
//   const r = replayFixtureFile(new URL('./fixtures/q35-edu.txt', import.meta.url), createMachine);
//   assert.is(r.report, '');
import fs from 'node:fs';
import type { MachineConfig, QtestMachine } from '../../src/platform/machine-types.ts';
import { parseQtestCommandLine } from '../../src/qtest/cmdline.ts';
import { QtestProtocol } from '../../src/qtest/protocol.ts';
import { parseFixture } from './fixture.ts';

export interface ReplayMismatch {
  /** 1-based line of the request in the fixture. */
  line: number;
  request: string;
  expected: string[];
  actual: string[];
}

export interface ReplayResult {
  /** Requests replayed. */
  requests: number;
  mismatches: ReplayMismatch[];
  /** Empty when everything matched, else one block per mismatch ("- expected" / "+ actual"). */
  report: string;
}

export function replayFixture(text: string, createMachine: (c: MachineConfig) => QtestMachine, name = 'fixture'): ReplayResult {
  const fixture = parseFixture(text);
  const { config } = parseQtestCommandLine(fixture.args);
  const machine = createMachine(config);
  let out = '';
  const protocol = new QtestProtocol(machine, (t) => (out += t));
  protocol.opened();
  const mismatches: ReplayMismatch[] = [];
  for (const step of fixture.steps) {
    out = '';
    protocol.command(step.request);
    const actual = out.split('\n').slice(0, -1);
    const same = actual.length === step.replies.length && actual.every((l, i) => l === step.replies[i]);
    if (!same) mismatches.push({ line: step.line, request: step.request, expected: step.replies, actual });
  }
  const report = mismatches
    .map(
      (m) =>
        `${name}:${m.line}: > ${m.request}\n` +
        m.expected.map((l) => `  - ${l}`).join('\n') +
        '\n' +
        m.actual.map((l) => `  + ${l}`).join('\n'),
    )
    .join('\n');
  return { requests: fixture.steps.length, mismatches, report };
}

export function replayFixtureFile(file: string | URL, createMachine: (c: MachineConfig) => QtestMachine): ReplayResult {
  const name = typeof file === 'string' ? file : file.pathname;
  return replayFixture(fs.readFileSync(file, 'utf8'), createMachine, name.split('/').pop());
}

// Records a qtest fixture against a real QEMU (not part of the test suite):
//   node --import tsx test/qtest/record.ts qemu-system-x86_64 test/qtest/fixtures/NAME.txt
// It reads the fixture's "$" arguments, "~" waits and ">" requests, runs QEMU with
//   ARGS -qtest stdio -qtest-log none -display none -nodefaults -serial none -monitor none
// plus, on x86, "-bios HLT" (64 KiB of HLT instructions, so the firmware touches nothing
// while the virtual clock runs) and, on other targets, "-S", then rewrites the "<" lines
// with what QEMU answered. "<=" lines (answers this QEMU build cannot give) are kept and
// their requests are not sent; comments are kept.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFixture } from './fixture.ts';

const [qemu, file] = process.argv.slice(2);
if (!qemu || !file) {
  console.error('usage: record.ts QEMU-BINARY FIXTURE');
  process.exit(2);
}
const text = fs.readFileSync(file, 'utf8');
const fixture = parseFixture(text);
const extra = ['-qtest', 'stdio', '-qtest-log', 'none', '-display', 'none', '-nodefaults', '-serial', 'none', '-monitor', 'none'];
if (qemu.includes('x86_64') || qemu.includes('i386')) {
  const hlt = path.join(os.tmpdir(), 'qtest-record-hlt.bin');
  fs.writeFileSync(hlt, Buffer.alloc(65536, 0xf4));
  extra.push('-bios', hlt);
} else if (text.split('\n').some((l) => l.startsWith('~'))) {
  // Sessions that wait for the virtual clock cannot use -S (a stopped VM's clock does not
  // move): boot a firmware whose every word is the A64 instruction "b ." (0x14000000), so the
  // CPU spins at 0 and touches nothing. An AArch64 CPU is needed: with firmware and the default
  // 32-bit cortex-a15, virt turns highmem (and its high ECAM window) off.
  const spin = path.join(os.tmpdir(), 'qtest-record-spin-a64.bin');
  const b = Buffer.alloc(65536);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(0x14000000, i);
  fs.writeFileSync(spin, b);
  extra.push('-cpu', 'cortex-a57', '-bios', spin);
} else {
  extra.push('-S');
}
const child = spawn(qemu, [...fixture.args, ...extra], { stdio: ['pipe', 'pipe', 'inherit'] });
let buf = '';
const waiters: ((line: string) => void)[] = [];
const lines: string[] = [];
child.stdout.setEncoding('latin1');
child.stdout.on('data', (d: string) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const l = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  }
});
const nextLine = (): Promise<string> =>
  lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => waiters.push(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const recorded = new Map<number, string[]>();
for (const step of fixture.steps) {
  if (step.waitMs) await sleep(step.waitMs);
  if (step.synthesized.some((s) => s)) continue;
  child.stdin.write(step.request + '\n');
  const got: string[] = [];
  for (;;) {
    const l = await nextLine();
    got.push(l);
    if (!l.startsWith('IRQ ')) break;
  }
  recorded.set(step.line, got);
}
child.kill('SIGTERM');

const out: string[] = [];
let current = 0;
text.split('\n').forEach((line, i) => {
  if (line.startsWith('< ') || line === '<') {
    if (!recorded.has(current)) out.push(line);
    return;
  }
  out.push(line);
  if (line.startsWith('> ')) {
    current = i + 1;
    for (const r of recorded.get(current) ?? []) out.push(`< ${r}`);
  }
});
fs.writeFileSync(file, out.join('\n'));
console.log(`recorded ${recorded.size} requests into ${file}`);

// Conformance: the page-table writer against the Linux io-pgtable-arm vectors recorded from
// drivers/iommu/io-pgtable-arm.c (shared/vectors/linux-io-pgtable, beside the repository).
// Every op's return values and TLB callbacks, live table allocations, every iova_to_phys
// sample with its walk, every table page entry for entry (physical addresses included, through
// the recording allocator's rules) and every prot-matrix row must agree. The vectors are never
// edited: a disagreement is a finding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayPgtableVectors, replaySequence } from '../../src/core/pgtable-vectors.ts';
import { runVectors } from '../../src/cli/vectors.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = path.resolve(root, '../shared/vectors/linux-io-pgtable');
const EXPECTED_FILES = 13;

function requireDir(): void {
  if (!existsSync(path.join(DIR, 'index.json'))) {
    assert.unreachable(
      `the io-pgtable vectors are missing: expected ${DIR}/index.json (shared/vectors/linux-io-pgtable beside the repository)`,
    );
  }
}

interface IndexEntry {
  file: string;
  bytes: number;
  sha256: string;
  kind: string;
  ops?: number;
  iova_to_phys_samples?: number;
  pages?: number;
  rows?: number;
}
function index(): IndexEntry[] {
  requireDir();
  return JSON.parse(readFileSync(path.join(DIR, 'index.json'), 'utf8')).files;
}
const load = (file: string) => JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));

test('the vectors folder holds the 13 files of its index, unmodified (size and sha256)', () => {
  const files = index();
  assert.is(files.length, EXPECTED_FILES);
  for (const f of files) {
    const bytes = readFileSync(path.join(DIR, f.file));
    assert.is(bytes.length, f.bytes, `${f.file}: size`);
    assert.is(createHash('sha256').update(bytes).digest('hex'), f.sha256, `${f.file}: sha256`);
  }
});

// One test per file, so a failure names the file; the check count proves nothing was skipped.
const listed: IndexEntry[] = existsSync(path.join(DIR, 'index.json')) ? index() : [];
if (listed.length === 0) {
  test('replay every io-pgtable vectors file', () => requireDir());
}
for (const f of listed) {
  test(`replay ${f.file}: every check agrees with Linux`, () => {
    const report = replayPgtableVectors(load(f.file));
    const expectedChecks = f.kind === 'prot-matrix' ? f.rows! : 2 + f.ops! + f.iova_to_phys_samples! + f.pages! + 2;
    assert.is(report.failed, 0, `${f.file}: ${report.failed} failed\n${report.failures.slice(0, 20).join('\n')}`);
    assert.is(report.passed, expectedChecks, `${f.file}: number of checks`);
  });
}

test('the replay notices a wrong return value, TLB callback, PTE, sample or allocation count', () => {
  requireDir();
  const base = load('s1-4k-ias48-oas48.json');
  const mutate = (fn: (d: any) => void): string[] => {
    const d = structuredClone(base);
    fn(d);
    return replaySequence(d).failures;
  };
  const firstMap = base.ops.findIndex((o: any) => o.op === 'map' && o.ret === 0);
  const withTlb = base.ops.findIndex((o: any) => o.tlb.length > 0);
  const cases: Array<[string, (d: any) => void, RegExp]> = [
    ['map ret', (d) => (d.ops[firstMap].ret = -17), /ret want -17 got 0/],
    ['mapped', (d) => (d.ops[firstMap].mapped = '0x1'), /mapped want 0x1/],
    ['tlb', (d) => d.ops[withTlb].tlb.pop(), /tlb want/],
    ['live', (d) => (d.ops[firstMap].live_table_allocations_after += 1), /live_table_allocations_after/],
    ['sample', (d) => (d.iova_to_phys[0].phys = '0x1234'), /phys want 0x1234/],
    ['walk', (d) => (d.iova_to_phys[0].walk_ptes[0] = '0x0000000000000000'), /walk_ptes/],
    ['pte', (d) => (d.pages[1].entries[0][1] = '0x0000000000000001'), /entry \d+ want 0x0000000000000001/],
    ['page pa', (d) => (d.pages[1].pa = '0x50000000'), /pa want 0x50000000/],
    ['register', (d) => (d.registers.tcr.tsz = 17), /tcr\.tsz want 17 got 16/],
  ];
  for (const [what, fn, re] of cases) {
    const failures = mutate(fn);
    assert.ok(failures.some((f) => re.test(f)), `${what}: ${failures.join(' | ') || 'no failure reported'}`);
  }
});

test('iommu-model vectors: "N passed, N failed" per file; exit 1 on a failure, 2 on a file it cannot replay', () => {
  requireDir();
  const out: string[] = [];
  const log = console.log;
  const err = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void out.push(a.join(' '));
  const tmp = mkdtempSync(path.join(tmpdir(), 'pgtable-vectors-'));
  try {
    const good = path.join(DIR, 's2-4k-ias40-oas40.json');
    assert.is(runVectors([good]), 0);
    assert.match(out.join('\n'), /s2-4k-ias40-oas40\.json: 596 passed, 0 failed/);
    const doc = load('s2-4k-ias40-oas40.json');
    doc.ops[0].ret = -34;
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify(doc));
    out.length = 0;
    assert.is(runVectors([bad]), 1);
    assert.match(out.join('\n'), /bad\.json: 595 passed, 1 failed/);
    assert.match(out.join('\n'), /FAIL op 0 map/);
    out.length = 0;
    assert.is(runVectors([path.join(DIR, 'index.json')]), 2);
    assert.match(out.join('\n'), /not an io-pgtable vectors file/);
    out.length = 0;
    assert.is(runVectors([DIR]), 0);
    assert.is(out.filter((l) => / passed, 0 failed$/.test(l)).length, EXPECTED_FILES);
  } finally {
    console.log = log;
    console.error = err;
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();

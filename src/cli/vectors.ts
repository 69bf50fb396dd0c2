// `iommu-model vectors <file.json|dir>...`: replays recorded conformance vectors against the
// model and prints, per file, "N passed, N failed" (one check per op, sample, table page or
// row). Exit code 1 when any check fails, 2 on unusable input.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { replayPgtableVectors } from '../core/pgtable-vectors.ts';

const USAGE = `usage: iommu-model vectors [--verbose] <file.json|directory>...
  Replays Linux io-pgtable-arm vectors (schemas linux-io-pgtable-arm-vectors/1 and
  linux-io-pgtable-arm-prot-matrix/1); a directory means every such file in it.
  --verbose  print every failed check (default: the first 10 per file)`;

function expand(arg: string): string[] {
  const st = statSync(arg);
  if (!st.isDirectory()) return [arg];
  return readdirSync(arg)
    .filter((f) => f.endsWith('.json') && f !== 'index.json')
    .sort()
    .map((f) => path.join(arg, f));
}

export function runVectors(args: string[]): number {
  const verbose = args.includes('--verbose') || args.includes('-v');
  const paths = args.filter((a) => a !== '--verbose' && a !== '-v');
  if (paths.length === 0 || paths.includes('--help') || paths.includes('-h')) {
    console.log(USAGE);
    return paths.length === 0 ? 2 : 0;
  }
  let files: string[];
  try {
    files = paths.flatMap(expand);
  } catch (e) {
    console.error(`iommu-model vectors: ${(e as Error).message}`);
    return 2;
  }
  let anyFailed = false;
  let unusable = false;
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      console.error(`${file}: cannot read JSON (${(e as Error).message})`);
      unusable = true;
      continue;
    }
    let report;
    try {
      report = replayPgtableVectors(doc);
    } catch (e) {
      console.error(`${file}: ${(e as Error).message}`);
      unusable = true;
      continue;
    }
    console.log(`${file}: ${report.passed} passed, ${report.failed} failed`);
    const shown = verbose ? report.failures : report.failures.slice(0, 10);
    for (const f of shown) console.log(`  FAIL ${f}`);
    if (shown.length < report.failures.length) console.log(`  ... ${report.failures.length - shown.length} more (--verbose shows all)`);
    if (report.failed > 0) anyFailed = true;
  }
  return anyFailed ? 1 : unusable ? 2 : 0;
}

// Runs every test file under test/ with uvu (TypeScript through tsx) and ends with the
// plain summary line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pattern = process.argv[2] ?? '\\.test\\.ts$';
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), 'test', pattern],
  { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, maxBuffer: 1 << 28 },
);
const out = (res.stdout ?? '') + (res.stderr ?? '');
process.stdout.write(out);
const num = (label) => Number((out.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
const total = num('Total');
const passed = num('Passed');
const skipped = num('Skipped');
if (!Number.isFinite(total) || !Number.isFinite(passed)) {
  console.log('test runner did not report totals (a test file crashed before running?)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const failed = total - passed - (Number.isFinite(skipped) ? skipped : 0);
const bad = failed > 0 || res.status !== 0;
console.log(`${passed} passed, ${bad && failed === 0 ? 1 : failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(bad ? 1 : 0);

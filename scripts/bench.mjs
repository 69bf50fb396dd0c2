// `npm run bench`: bundles bench/run.ts with esbuild (as the package itself is bundled), then runs
// it with plain node. Running the TypeScript sources through a per-file loader instead adds a
// property lookup to every imported constant, which distorts hot paths several-fold.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const esbuild = path.join(root, 'node_modules', '.bin', 'esbuild');
const out = path.join(root, 'build', 'bench.mjs');
execFileSync(esbuild, [path.join(root, 'bench', 'run.ts'), '--bundle', '--platform=node', '--format=esm', '--target=node20', `--outfile=${out}`, '--log-level=warning'], { stdio: 'inherit' });
execFileSync(process.execPath, [out], { stdio: 'inherit' });

// Build step 1 (run by scripts/build.mjs): regmaps/*.json -> src/regs/generated/*.ts and
// assembly/generated/*.ts. Exits 1, naming file and register/field, if any regmap is invalid.
//
// Usage: node --import tsx scripts/gen-regmaps.ts [--regmaps DIR] [--ts-out DIR] [--as-out DIR] [--quiet]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../src/regs/generate.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function option(name: string, fallback: string): string {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) {
    console.error(`gen-regmaps: ${name} needs a folder argument`);
    process.exit(2);
  }
  return path.resolve(v);
}

const known = new Set(['--regmaps', '--ts-out', '--as-out', '--quiet']);
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (!known.has(a)) {
    console.error(`gen-regmaps: unknown argument "${a}" (known: ${[...known].join(', ')})`);
    process.exit(2);
  }
  if (a !== '--quiet') i++;
}

const result = generate({
  regmapsDir: option('--regmaps', path.join(root, 'regmaps')),
  tsOut: option('--ts-out', path.join(root, 'src/regs/generated')),
  asOut: option('--as-out', path.join(root, 'assembly/generated')),
  root,
});

if (!result.ok) {
  for (const e of result.errors) console.error(e);
  console.error(`gen-regmaps: ${result.errors.length} problem(s) in regmaps; nothing generated`);
  process.exit(1);
}
if (!args.includes('--quiet')) {
  const changed = result.written.length + result.removed.length;
  console.log(`gen-regmaps: ${result.blocks.map((b) => b.block).join(', ')}: ${changed === 0 ? 'up to date' : `${result.written.length} written, ${result.removed.length} removed`}`);
}

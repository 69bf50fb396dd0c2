// The README's code example runs as written (against the sources instead of the package).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

test('the README example runs and prints what its comments say', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(code, 'README has a ts example');
  const file = fileURLToPath(new URL('./.readme-example.tmp.ts', import.meta.url));
  writeFileSync(file, code!.replace("from 'iommu-model'", "from '../src/index.ts'"));
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    await import(file);
  } finally {
    console.log = log;
    rmSync(file, { force: true });
  }
  assert.equal(lines.slice(0, 2), ['29c08086', '78']);
});

test.run();

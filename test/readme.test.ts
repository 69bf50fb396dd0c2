// The README's code example runs as written (against the sources instead of the package).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

async function runExample(index: number): Promise<string[]> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)][index]?.[1];
  assert.ok(code, `README has ts example #${index}`);
  const file = fileURLToPath(new URL(`./.readme-example-${index}.tmp.ts`, import.meta.url));
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
  return lines;
}

test('the README bridge example runs and prints what its comments say', async () => {
  const lines = await runExample(0);
  assert.equal(lines.slice(0, 2), ['29c08086', '78']);
});

test('the README SMMUv3 example runs and prints what its comments say', async () => {
  const lines = await runExample(1);
  assert.equal(lines, ['d40101a', 'false']);
});

test('the README page-table example runs and prints what its comments say', async () => {
  const lines = await runExample(2);
  assert.equal(lines.slice(0, 3), ['2097152', '410abcde', '2097152']);
  assert.equal(lines.slice(4), ['true 41234234', 'permission 3']);
});

test.run();

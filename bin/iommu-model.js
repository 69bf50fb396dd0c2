#!/usr/bin/env node
// Entry point of the `iommu-model` command: runs the bundled CLI built by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('iommu-model: dist/cli.js is missing; run `npm run build` first (npm start and npm test do it for you)');
  process.exit(1);
}
await import(cli.href);

// The regmap build step: read regmaps/*.json, validate each, emit the TypeScript and
// AssemblyScript modules. Files are rewritten only when their content changes (so tsx and
// asc caches stay warm) and stale generated files of removed blocks are deleted.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emitAs, emitAsIndex, emitTs, emitTsIndex } from './codegen.ts';
import { normalizeRegmap, type RawRegmap } from './normalize.ts';
import { blockSymbols } from './symbols.ts';
import type { BlockDesc } from './types.ts';
import { validateRegmap } from './validate.ts';

export interface GenerateOptions {
  /** Folder holding <block>.json files (schema.json is skipped). */
  readonly regmapsDir: string;
  /** Output folder of the TypeScript modules. */
  readonly tsOut: string;
  /** Output folder of the AssemblyScript modules. */
  readonly asOut: string;
  /** Paths in messages are made relative to this folder (default: process.cwd()). */
  readonly root?: string;
}

export interface GenerateResult {
  /** False when any file failed validation; nothing is written then. */
  readonly ok: boolean;
  readonly errors: readonly string[];
  /** Files written because their content changed (or were missing). */
  readonly written: readonly string[];
  /** Stale generated files removed. */
  readonly removed: readonly string[];
  readonly blocks: readonly BlockDesc[];
}

/** Validates every regmap and loads it; errors name the file (relative to `root`). */
export function loadRegmaps(regmapsDir: string, root = process.cwd()): { errors: string[]; blocks: BlockDesc[] } {
  const errors: string[] = [];
  const blocks: BlockDesc[] = [];
  const files = readdirSync(regmapsDir).filter((f) => f.endsWith('.json') && f !== 'schema.json').sort();
  if (files.length === 0) errors.push(`${path.relative(root, regmapsDir) || '.'}: no regmap files (*.json) found`);
  const prefixes = new Map<string, string>();
  const owners = new Map<string, { file: string; origin: string }>();
  for (const f of files) {
    const full = path.join(regmapsDir, f);
    const rel = path.relative(root, full);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(full, 'utf8'));
    } catch (e) {
      errors.push(`${rel}: not valid JSON: ${(e as Error).message}`);
      continue;
    }
    const errs = validateRegmap(json, rel);
    if (errs.length > 0) {
      errors.push(...errs);
      continue;
    }
    const desc = normalizeRegmap(json as RawRegmap);
    const other = prefixes.get(desc.prefix);
    if (other !== undefined) errors.push(`${rel}: prefix: "${desc.prefix}" is already used by ${other}; generated names would collide`);
    prefixes.set(desc.prefix, rel);
    // One prefix may extend another (PCI, PCI_EXP): the generated index re-exports every
    // block, so a name must also be unique across files.
    for (const sym of blockSymbols(desc)) {
      const prev = owners.get(sym.id);
      if (prev !== undefined && prev.file !== rel) errors.push(`${rel}: ${sym.origin}: generated name ${sym.id} collides with ${prev.origin} of ${prev.file}`);
      else owners.set(sym.id, { file: rel, origin: sym.origin });
    }
    blocks.push(desc);
  }
  return { errors, blocks };
}

function writeIfChanged(file: string, text: string, written: string[]): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  writeFileSync(file, text);
  written.push(file);
}

export function generate(opts: GenerateOptions): GenerateResult {
  const root = opts.root ?? process.cwd();
  const { errors, blocks } = loadRegmaps(opts.regmapsDir, root);
  if (errors.length > 0) return { ok: false, errors, written: [], removed: [], blocks: [] };

  const written: string[] = [];
  const removed: string[] = [];
  const names = blocks.map((b) => b.block);
  const rel = (b: BlockDesc) => path.relative(root, path.join(opts.regmapsDir, `${b.block}.json`)).split(path.sep).join('/');
  const outputs: [string, Map<string, string>][] = [
    [opts.tsOut, new Map([...blocks.map((b): [string, string] => [`${b.block}.ts`, emitTs(b, rel(b))]), ['index.ts', emitTsIndex(names)]])],
    [opts.asOut, new Map([...blocks.map((b): [string, string] => [`${b.block}.ts`, emitAs(b, rel(b))]), ['index.ts', emitAsIndex(names)]])],
  ];
  for (const [dir, files] of outputs) {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of files) writeIfChanged(path.join(dir, name), text, written);
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.ts') && !files.has(name)) {
        rmSync(path.join(dir, name));
        removed.push(path.join(dir, name));
      }
    }
  }
  return { ok: true, errors: [], written, removed, blocks };
}

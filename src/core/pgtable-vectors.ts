// Replay of the Linux io-pgtable-arm vectors (schemas linux-io-pgtable-arm-vectors/1 and
// linux-io-pgtable-arm-prot-matrix/1) against the page-table writer. Every recorded op,
// iova_to_phys sample, table page and prot-matrix row is one check; a disagreement is reported
// with what differed. Used by the tests (test/vectors/) and by `iommu-model vectors`.
import { Core } from './core.ts';
import { LpaePageTable, IOMMU_PROT, IO_PGTABLE_QUIRKS, LPAE_FORMATS, type LpaeFormat, type TlbOps } from './pgtable.ts';
import { PageArena } from './pgtable-arena.ts';

export const SEQUENCE_SCHEMA = 'linux-io-pgtable-arm-vectors/1';
export const PROT_MATRIX_SCHEMA = 'linux-io-pgtable-arm-prot-matrix/1';

export interface ReplayReport {
  schema: string;
  passed: number;
  failed: number;
  /** One line per failed check: what was checked and what differed. */
  failures: string[];
}

/** RAM given to each replay for its tables (the arena never needs more than a few hundred pages). */
const ARENA_BYTES = 16 << 20;
const U64 = (1n << 64n) - 1n;
const hex = (v: number | bigint): string => `0x${BigInt(v).toString(16)}`;
const pte16 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;
const big = (s: string | number): bigint => BigInt(s);

class Tally {
  passed = 0;
  failures: string[] = [];
  check(what: string, problems: string[]): void {
    if (problems.length === 0) this.passed++;
    else this.failures.push(`${what}: ${problems.join('; ')}`);
  }
  guard(what: string, fn: () => string[]): void {
    let problems: string[];
    try {
      problems = fn();
    } catch (e) {
      problems = [`threw ${(e as Error).message}`];
    }
    this.check(what, problems);
  }
  report(schema: string): ReplayReport {
    return { schema, passed: this.passed, failed: this.failures.length, failures: this.failures };
  }
}

function diff(problems: string[], what: string, want: unknown, got: unknown): void {
  if (want !== got) problems.push(`${what} want ${String(want)} got ${String(got)}`);
}

/** A core with RAM at the arena's base and a writer configured as in the file. */
function setup(fmt: LpaeFormat, cfg: { ias: number; oas: number; pgsizeBitmap: number; quirks: number; coherentWalk: boolean; hostPageSize?: number }, base: number, tlb: TlbOps) {
  const core = new Core();
  if (core.exports.ram_map(base, ARENA_BYTES, core.alloc(ARENA_BYTES)) < 0) throw new Error('cannot map arena RAM');
  const arena = new PageArena(base, base + ARENA_BYTES);
  const pt = new LpaePageTable(core, { fmt, ...cfg }, arena, tlb);
  return { core, arena, pt };
}

/** Records TLB callbacks in the vectors' notation. */
function tlbRecorder(): { ops: TlbOps; log: string[][] } {
  const log: string[][] = [];
  return {
    log,
    ops: {
      flushWalk: (iova, size, granule) => void log.push(['flush_walk', hex(iova), hex(size), hex(granule)]),
      addPage: (iova, granule) => void log.push(['add_page', hex(iova), hex(granule), hex(granule)]),
    },
  };
}

function formatOf(fmt: unknown): LpaeFormat {
  if (typeof fmt !== 'string' || !(fmt in LPAE_FORMATS)) throw new Error(`unsupported format ${String(fmt)}`);
  return fmt as LpaeFormat;
}

function protValue(names: string[]): number {
  let v = 0;
  for (const n of names) {
    const b = IOMMU_PROT[n];
    if (b === undefined) throw new Error(`unknown prot flag ${n}`);
    v |= b;
  }
  return v;
}

// The vectors are plain JSON; fields are read as the README's schema describes them.
type Json = any;

/** Replays a linux-io-pgtable-arm-vectors/1 file. */
export function replaySequence(doc: Json): ReplayReport {
  const t = new Tally();
  const c = doc.config;
  const fmt = formatOf(c.fmt);
  let quirks = Number(big(c.quirks_value));
  for (const q of c.quirks as string[]) {
    if (IO_PGTABLE_QUIRKS[q] === undefined) throw new Error(`unknown quirk ${q}`);
  }
  const rec = tlbRecorder();
  const base = Number(big(doc.allocator?.phys_base ?? '0x40000000'));
  const { arena, pt } = setup(
    fmt,
    { ias: c.ias_requested, oas: c.oas_requested, pgsizeBitmap: Number(big(c.pgsize_bitmap_requested)), quirks, coherentWalk: c.coherent_walk, hostPageSize: c.host_page_size },
    base,
    rec.ops,
  );
  quirks = pt.config.quirks;

  // Config and registers.
  t.check('config', (() => {
    const p: string[] = [];
    const g = pt.config;
    diff(p, 'ias', c.ias, g.ias);
    diff(p, 'oas', c.oas, g.oas);
    diff(p, 'pgsize_bitmap', c.pgsize_bitmap, hex(g.pgsizeBitmap));
    diff(p, 'granule', c.granule, g.granule);
    diff(p, 'bits_per_level', c.bits_per_level, g.bitsPerLevel);
    diff(p, 'start_level', c.start_level, g.startLevel);
    diff(p, 'levels', c.levels, g.levels);
    diff(p, 'pgd_bits', c.pgd_bits, g.pgdBits);
    diff(p, 'pgd_bytes', c.pgd_bytes, g.pgdBytes);
    diff(p, 'ptes_per_table', c.ptes_per_table, g.ptesPerTable);
    return p;
  })());
  t.check('registers', (() => {
    const p: string[] = [];
    const r = doc.registers;
    const mine = pt.registers;
    if (mine.kind === 's1') {
      diff(p, 'ttbr', r.ttbr, hex(mine.ttbr));
      for (const k of ['ips', 'tg', 'sh', 'orgn', 'irgn', 'tsz'] as const) diff(p, `tcr.${k}`, r.tcr?.[k], mine.tcr[k]);
      diff(p, 'tcr_composed', r.tcr_composed, hex(mine.tcrComposed));
      diff(p, 'mair', r.mair, hex(mine.mair));
    } else if (mine.kind === 's2') {
      diff(p, 'vttbr', r.vttbr, hex(mine.vttbr));
      for (const k of ['ps', 'tg', 'sh', 'orgn', 'irgn', 'sl', 'tsz'] as const) diff(p, `vtcr.${k}`, r.vtcr?.[k], mine.vtcr[k]);
      diff(p, 'vtcr_composed', r.vtcr_composed, hex(mine.vtcrComposed));
    } else p.push('no Mali registers in this schema');
    return p;
  })());

  // Ops.
  let warn = 0;
  let warnOnce = 0;
  for (const op of doc.ops as Json[]) {
    t.guard(`op ${op.i} ${op.op} iova ${op.iova} pgsize ${op.pgsize} x${op.pgcount} (${op.intent})`, () => {
      const p: string[] = [];
      rec.log.length = 0;
      const iova = big(op.iova);
      const pgsize = big(op.pgsize);
      const safe = iova <= BigInt(Number.MAX_SAFE_INTEGER);
      if (op.op === 'map') {
        const paddr = big(op.paddr);
        const prot = protValue(op.prot);
        diff(p, 'prot_value', op.prot_value, prot);
        let ret: number;
        let mapped: number;
        if (safe && paddr <= BigInt(Number.MAX_SAFE_INTEGER)) {
          const r = pt.map(Number(iova), Number(paddr), Number(pgsize), op.pgcount, prot);
          ret = r < 0 ? r : 0;
          mapped = r < 0 ? 0 : r;
        } else ({ ret, mapped } = pt.mapPages(iova, paddr, pgsize, op.pgcount, prot));
        diff(p, 'ret', op.ret, ret);
        diff(p, 'mapped', op.mapped, hex(mapped));
      } else if (op.op === 'unmap') {
        const r = safe ? pt.unmap(Number(iova), Number(pgsize), op.pgcount) : pt.unmapPages(iova, pgsize, op.pgcount);
        diff(p, 'ret', op.ret, hex(BigInt.asUintN(64, BigInt(r))));
        if (op.ret_as_errno !== undefined) diff(p, 'ret_as_errno', op.ret_as_errno, r);
      } else p.push(`unknown op "${op.op}"`);
      const want = JSON.stringify(op.tlb);
      const got = JSON.stringify(rec.log);
      if (want !== got) p.push(`tlb want ${want} got ${got}`);
      const w = pt.warnings();
      const dw = w.warn - warn;
      const dwo = w.warnOnce - warnOnce;
      warn = w.warn;
      warnOnce = w.warnOnce;
      // A WARN_ONCE site prints only once per boot, so the recording counts it or not depending on history.
      if (!(op.warnings === dw + dwo || (dwo > 0 && op.warnings === dw))) p.push(`warnings want ${op.warnings} got ${dw}${dwo ? ` + ${dwo} WARN_ONCE` : ''}`);
      diff(p, 'live_table_allocations_after', op.live_table_allocations_after, pt.liveTables());
      diff(p, 'arena live blocks', op.live_table_allocations_after, arena.live);
      return p;
    });
  }

  // iova_to_phys samples, with the walk.
  for (const s of doc.iova_to_phys as Json[]) {
    t.guard(`iova_to_phys ${s.iova} (${s.source})`, () => {
      const p: string[] = [];
      const iova = big(s.iova);
      diff(p, 'phys', s.phys, hex(pt.iovaToPhys(iova <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(iova) : iova)));
      const w = pt.walk(iova);
      diff(p, 'walk_ret', s.walk_ret, w.ret);
      diff(p, 'walk_ptes', JSON.stringify(s.walk_ptes), JSON.stringify(w.ptes.map(pte16)));
      return p;
    });
  }

  // Tables, page for page.
  let mine: ReturnType<LpaePageTable['tables']> = [];
  let dumpError = '';
  try {
    mine = pt.tables();
  } catch (e) {
    dumpError = `reading the replayed tables threw ${(e as Error).message}`;
  }
  const byKey = new Map(mine.map((pg) => [`${pg.level}:${hex(pg.iovaBase)}`, pg]));
  for (const want of doc.pages as Json[]) {
    t.guard(`page level ${want.level} iova_base ${want.iova_base}`, () => {
      const p: string[] = [];
      if (dumpError) return [dumpError];
      const got = byKey.get(`${want.level}:${want.iova_base}`);
      if (got === undefined) return ['missing from the replayed tables'];
      diff(p, 'pa', want.pa, hex(got.pa));
      diff(p, 'table_bytes', want.table_bytes, got.tableBytes);
      diff(p, 'alloc_bytes', want.alloc_bytes, arena.allocatedBytes(got.pa));
      const we = new Map<number, string>((want.entries as [number, string][]).map(([i, v]) => [i, v]));
      const ge = new Map<number, string>(got.entries.map(([i, v]) => [i, pte16(v)]));
      for (const [i, v] of we) if (ge.get(i) !== v) p.push(`entry ${i} want ${v} got ${ge.get(i) ?? 'none'}`);
      for (const [i, v] of ge) if (!we.has(i)) p.push(`entry ${i} want none got ${v}`);
      return p;
    });
  }
  t.check('page set', (() => {
    const wantKeys = new Set((doc.pages as Json[]).map((pg) => `${pg.level}:${pg.iova_base}`));
    const extra = mine.filter((pg) => !wantKeys.has(`${pg.level}:${hex(pg.iovaBase)}`));
    const p = extra.map((pg) => `unexpected table at level ${pg.level} iova_base ${hex(pg.iovaBase)}`);
    if (dumpError) p.push(dumpError);
    const order = mine.map((pg) => hex(pg.pa)).join(',');
    const wantOrder = (doc.pages as Json[]).map((pg) => pg.pa).join(',');
    if (p.length === 0 && order !== wantOrder) p.push('depth-first order of tables differs');
    return p;
  })());
  t.guard('free_io_pgtable_ops', () => {
    const p: string[] = [];
    pt.destroy();
    diff(p, 'live blocks after free', doc.summary?.live_after_free ?? 0, arena.live);
    return p;
  });
  return t.report(SEQUENCE_SCHEMA);
}

/** Replays a linux-io-pgtable-arm-prot-matrix/1 file: every row of every variant. */
export function replayProtMatrix(doc: Json): ReplayReport {
  const t = new Tally();
  const ATTR_MASK = U64 ^ 0x0000_ffff_ffff_f000n; // the PTE with bits 47:12 cleared
  for (const v of doc.variants as Json[]) {
    const fmt = formatOf(v.fmt);
    const quirks = Number(big(v.quirks_value));
    const rec = tlbRecorder();
    let pt: LpaePageTable;
    try {
      ({ pt } = setup(fmt, { ias: 48, oas: 48, pgsizeBitmap: 0x40201000, quirks, coherentWalk: true }, 0x40000000, rec.ops));
    } catch (e) {
      for (const row of v.rows as Json[]) t.check(`${v.variant} prot ${row.prot_value}`, [`setup threw ${(e as Error).message}`]);
      continue;
    }
    for (const row of v.rows as Json[]) {
      t.guard(`${v.variant} prot ${row.prot_value} [${(row.prot as string[]).join(',')}]`, () => {
        const p: string[] = [];
        const prot = protValue(row.prot);
        diff(p, 'prot_value', row.prot_value, prot);
        const paddr = Number(big(row.paddr));
        // The page at iova = paddr; the block 1 GiB higher so the two never share a level-2 entry.
        const pageIova = paddr;
        const blockIova = paddr + 0x40000000;
        const pr = pt.map(pageIova, paddr, 0x1000, 1, prot);
        diff(p, 'page_map_ret', row.page_map_ret, pr < 0 ? pr : 0);
        const pw = pt.walk(pageIova);
        diff(p, 'page_pte_l3', row.page_pte_l3, pte16(pw.ptes[3]));
        diff(p, 'page_attr_bits', row.page_attr_bits, pte16(pw.ptes[3] & ATTR_MASK));
        diff(p, 'table_pte_l0', row.table_pte_l0, pte16(pw.ptes[0]));
        diff(p, 'table_pte_l1', row.table_pte_l1, pte16(pw.ptes[1]));
        const br = pt.map(blockIova, paddr, 0x200000, 1, prot);
        diff(p, 'block_map_ret', row.block_map_ret, br < 0 ? br : 0);
        const bw = pt.walk(blockIova);
        const blockPte = bw.ptes[2];
        diff(p, 'block_pte_l2', row.block_pte_l2, pte16(blockPte));
        diff(p, 'block_attr_bits', row.block_attr_bits, pte16(blockPte & ATTR_MASK));
        if (rec.log.length) p.push(`unexpected TLB callbacks ${JSON.stringify(rec.log)}`);
        return p;
      });
    }
    pt.destroy();
  }
  return t.report(PROT_MATRIX_SCHEMA);
}

/** Replays one vectors document of either schema. */
export function replayPgtableVectors(doc: Json): ReplayReport {
  if (doc?.schema === SEQUENCE_SCHEMA) return replaySequence(doc);
  if (doc?.schema === PROT_MATRIX_SCHEMA) return replayProtMatrix(doc);
  throw new Error(`not an io-pgtable vectors file (schema ${JSON.stringify(doc?.schema)}; expected ${SEQUENCE_SCHEMA} or ${PROT_MATRIX_SCHEMA})`);
}

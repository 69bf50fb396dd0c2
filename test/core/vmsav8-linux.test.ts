// Conformance against Linux's io-pgtable-arm (shared/vectors/linux-io-pgtable): the final
// tables Linux built are loaded into guest RAM at their physical addresses and every
// iova_to_phys sample is walked with the file's TCR/VTCR fields. Linux's software walk and
// the architected walk must agree, with one deliberate difference: Linux masks input bits at
// or above ias (README, "beyond_ias_alias"), while the hardware walk raises a translation
// fault for them (smmuv3.md f.1/f.3); the masked alias must then give Linux's answer.
//
// prot-matrix.json gives, for every IOMMU_* prot combination, the leaf Linux writes; the walker
// must decode each into exactly the permissions and attributes the prot asked for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { Walker, oasBitsFromCode, granuleFromTg0 } from '../../src/core/walk.ts';
import * as A from '../../src/core/walk-abi.ts';
import { TestRam, table } from './ref/tables.ts';

const DIR = new URL('../../../shared/vectors/linux-io-pgtable/', import.meta.url);
const have = existsSync(new URL('index.json', DIR));

interface Sample { iova: string; phys: string; source: string; walk_ret: number; walk_ptes: string[] }
interface Page { pa: string; level: number; entries: [number, string][] }
interface VectorFile {
  config: { name: string; fmt: string; ias: number; oas: number; start_level: number };
  registers: {
    ttbr?: string; tcr?: { ips: number; tg: number; tsz: number };
    vttbr?: string; vtcr?: { ps: number; tg: number; tsz: number; sl: number };
  };
  iova_to_phys: Sample[];
  pages: Page[];
}

const files = ['s1', 's2'].flatMap((s) =>
  ['ias32-oas32', 'ias32-oas40', 'ias32-oas48', 'ias40-oas40', 'ias40-oas48', 'ias48-oas48'].map((c) => `${s}-4k-${c}.json`),
);

test('the io-pgtable vectors are present beside the repository', () => {
  assert.ok(have, `expected ${new URL('index.json', DIR).pathname} (shared/vectors/linux-io-pgtable beside the repository)`);
});

function load(name: string): { f: VectorFile; t: TestRam; w: Walker } {
  const f = JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as VectorFile;
  const base = 0x4000_0000;
  const top = Math.max(...f.pages.map((p) => Number(BigInt(p.pa)))) + 0x1_0000;
  const t = new TestRam(Math.ceil((top - base) / 0x1_0000) * 0x1_0000, base);
  for (const p of f.pages) for (const [i, pte] of p.entries) t.set(Number(BigInt(p.pa)) + i * 8, BigInt(pte));
  const w = new Walker(t.core);
  let cfg: number;
  if (f.registers.tcr) {
    const tcr = f.registers.tcr;
    cfg = w.configureS1({ ttb0: Number(BigInt(f.registers.ttbr!)), t0sz: tcr.tsz, granule0: granuleFromTg0(tcr.tg), oas: oasBitsFromCode(tcr.ips) });
  } else {
    const v = f.registers.vtcr!;
    cfg = w.configureS2({ vttb: Number(BigInt(f.registers.vttbr!)), t0sz: v.tsz, sl0: v.sl, granule: granuleFromTg0(v.tg), ps: oasBitsFromCode(v.ps) });
  }
  assert.is(cfg, A.CFG_OK, `${name}: registers accepted`);
  return { f, t, w };
}

/** The level at which Linux's walk stopped on an invalid entry: the first entry read that is not a table. */
function linuxStopLevel(s: Sample, start: number): number {
  for (let l = start; l <= 3; l++) {
    const pte = BigInt(s.walk_ptes[l]!);
    if ((pte & 3n) !== 3n || l === 3) return l;
  }
  return 3;
}

for (const name of have ? files : []) {
  test(`${name}: every iova_to_phys sample walks to Linux's answer`, () => {
    const { f, w } = load(name);
    const ias = f.config.ias;
    let translated = 0;
    let faults = 0;
    let aliases = 0;
    for (const s of f.iova_to_phys) {
      const iova = Number(BigInt(s.iova));
      const where = `${name} iova ${s.iova} (${s.source})`;
      let ia = iova;
      if (s.source === 'beyond_ias_alias' || iova >= 2 ** ias) {
        // Hardware: an input address above the configured size is a translation fault at level 0.
        assert.is(w.walk(iova, 'read', true), A.ST_TRANSLATION, where);
        assert.equal([w.result().reason, w.level], ['inputRange', 0], where);
        ia = iova % 2 ** ias; // Linux's answer is that of the in-range alias
        aliases++;
      }
      let st = w.walk(ia, 'read', true);
      if (st === A.ST_PERMISSION && w.stage === 2) st = w.walk(ia, 'write', true); // write-only S2 mapping
      if (s.walk_ret === 0) {
        assert.is(st, A.ST_OK, where);
        assert.is(w.outputAddress, Number(BigInt(s.phys)), where);
        assert.is(w.result().entry, BigInt(s.walk_ptes[w.level]!), `${where}: leaf entry`);
        translated++;
      } else {
        assert.is(s.walk_ret, -22);
        assert.is(st, A.ST_TRANSLATION, where);
        assert.is(w.result().reason, 'invalidDescriptor', where);
        assert.is(w.level, linuxStopLevel(s, f.config.start_level), `${where}: level`);
        faults++;
      }
    }
    assert.ok(translated > 10, `${name}: ${translated} translated samples`);
    assert.ok(faults > 0, `${name}: ${faults} faulting samples`);
    if (ias < 48) assert.ok(aliases > 0);
  });
}

interface ProtRow {
  prot: string[]; page_map_ret: number; page_pte_l3: string; block_pte_l2: string; table_pte_l0: string; table_pte_l1: string;
}
interface ProtVariant { variant: string; fmt: string; rows: ProtRow[] }

test('prot-matrix: every Linux leaf decodes to the permissions and attributes its prot asked for', () => {
  assert.ok(have);
  const m = JSON.parse(readFileSync(new URL('prot-matrix.json', DIR), 'utf8')) as { variants: ProtVariant[] };
  let checked = 0;
  for (const v of m.variants) {
    const s2 = v.fmt === 'ARM_64_LPAE_S2';
    for (const row of v.rows) {
      if (row.page_map_ret !== 0) {
        assert.not.ok(row.prot.includes('READ') || row.prot.includes('WRITE'), 'only maps without access fail');
        continue;
      }
      const has = (p: string) => row.prot.includes(p);
      for (const kind of ['page', 'block'] as const) {
        const t = new TestRam();
        const base = t.base;
        t.set(base, BigInt(row.table_pte_l0)); // -> base + 0x1000
        t.set(base + 0x1000, BigInt(row.table_pte_l1)); // -> base + 0x2000
        if (kind === 'page') {
          t.set(base + 0x2000, table(base + 0x3000));
          t.set(base + 0x3000, BigInt(row.page_pte_l3));
        } else {
          t.set(base + 0x2000, BigInt(row.block_pte_l2));
        }
        const w = new Walker(t.core);
        if (s2) w.configureS2({ vttb: base, t0sz: 16, sl0: 2, fwb: v.variant.includes('fwb') });
        else w.configureS1({ ttb0: base, t0sz: 16, ha: true, hd: v.variant.includes('hd') });
        const where = `${v.variant} ${kind} [${row.prot.join(',')}]`;
        w.walk(0x123, has('READ') ? 'read' : 'write', true);
        assert.is(w.status, A.ST_OK, where);
        const r = w.result();
        const R = A.PERM_R, W = A.PERM_W, X = A.PERM_X;
        if (s2) {
          const rw = (has('READ') ? R : 0) | (has('WRITE') ? W : 0);
          const exp = rw | (has('NOEXEC') ? 0 : X);
          assert.equal([r.permPrivileged, r.permUnprivileged], [exp, exp], where);
          const memAttr = has('MMIO') ? 0x1 : has('CACHE') ? (v.variant.includes('fwb') ? 0x6 : 0xf) : 0x5;
          assert.is(r.attrs.memAttr, memAttr, where);
        } else {
          const w0 = has('WRITE'); // WRITE alone still gives a read/write mapping
          const user = !has('PRIV');
          const priv = R | (w0 ? W : 0) | (has('NOEXEC') || (user && w0) ? 0 : X);
          const unpriv = user ? R | (w0 ? W : 0) | (has('NOEXEC') ? 0 : X) : 0;
          assert.equal([r.permPrivileged, r.permUnprivileged], [priv, unpriv], where);
          assert.is(r.attrs.memAttr, has('MMIO') ? 2 : has('CACHE') ? 1 : 0, where);
          assert.ok(r.attrs.nG, where);
          assert.is(r.attrs.ns, v.variant.includes('ns'), where);
          assert.is(r.attrs.nsTable, v.variant.includes('ns'), where);
          assert.is(r.attrs.dbm, v.variant.includes('hd') && w0, where);
        }
        assert.is(r.attrs.sh, has('CACHE') ? 3 : 2, where);
        assert.ok(r.attrs.af, where);
        assert.is(r.pageShift, kind === 'page' ? 12 : 21, where);
        checked++;
      }
    }
  }
  assert.is(checked, 5 * 48 * 2);
});

test.run();

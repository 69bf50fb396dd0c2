// Pure-TypeScript reference IOTLB: unbounded (no sets, no evictions), written from the
// invalidation rules (smmuv3.md c.1/c.2, vtd.md 4.3, power-tce.md B5) rather than from the
// wasm code. Tests use it as the differential oracle (with a wasm TLB big enough never to
// evict); bench/iotlb.bench.ts measures it as the Map-based baseline.
//
// Layout: Map<liobn, Map<kind|vmid|did, Context>>; a context holds, per page shift present,
// Map<page number, entries of that page> (several ASIDs/PASIDs, global or not).

export interface RefEntry {
  kind: number;
  vmid: number;
  asid: number;
  did: number;
  pasid: number;
  liobn: number;
  /** Input page base and size. */
  base: bigint;
  shift: number;
  /** Output address of the page base (leaf) or the table address. */
  out: bigint;
  perm: number;
  attr: number;
  attr2: number;
  level: number;
  granuleShift: number;
  global: boolean;
  table: boolean;
}

export interface RefScope {
  kinds: readonly number[];
  vmid?: number;
  asid?: number;
  did?: number;
  pasid?: number;
  liobn?: number;
  start?: bigint;
  size?: bigint;
  leafOnly?: boolean;
  keepGlobal?: boolean;
  /** Honoured only by a strict-hints reference. */
  ttl?: number;
  granuleShift?: number;
}

/** An entry as stored: the output address also as a number, for the lookup fast path. */
type Stored = RefEntry & { outNum: number; size: number };

class Context {
  /** Page shifts present, ascending, and the page sizes they mean. */
  shifts: number[] = [];
  sizes: number[] = [];
  readonly byShift = new Map<number, Map<number, Stored[]>>();
  reindex(): void {
    this.shifts = [...this.byShift.keys()].sort((a, b) => a - b);
    this.sizes = this.shifts.map((s) => 2 ** s);
  }
}

export class RefIotlb {
  private readonly contexts = new Map<number, Map<number, Context>>();
  // The last context found (lookups come in runs for one device).
  private lastKey = -1;
  private lastLiobn = -1;
  private lastCtx: Context | undefined;
  constructor(readonly strictHints = false) {}

  private ctx(kind: number, vmid: number, did: number, liobn: number, create: boolean): Context | undefined {
    const key = kind * 2 ** 32 + vmid * 2 ** 16 + did;
    if (key === this.lastKey && liobn === this.lastLiobn && this.lastCtx !== undefined) return this.lastCtx;
    const c = this.ctxSlow(key, liobn, create);
    if (c !== undefined) {
      this.lastKey = key;
      this.lastLiobn = liobn;
      this.lastCtx = c;
    }
    return c;
  }

  private ctxSlow(key: number, liobn: number, create: boolean): Context | undefined {
    let byLiobn = this.contexts.get(liobn);
    if (byLiobn === undefined) {
      if (!create) return undefined;
      byLiobn = new Map();
      this.contexts.set(liobn, byLiobn);
    }
    let c = byLiobn.get(key);
    if (c === undefined && create) {
      c = new Context();
      byLiobn.set(key, c);
    }
    return c;
  }

  insert(entry: RefEntry): void {
    const e: Stored = { ...entry, outNum: Number(entry.out), size: 2 ** entry.shift };
    const c = this.ctx(e.kind, e.vmid, e.did, e.liobn, true)!;
    let pages = c.byShift.get(e.shift);
    if (pages === undefined) {
      pages = new Map();
      c.byShift.set(e.shift, pages);
      c.reindex();
    }
    const page = Number(e.base >> BigInt(e.shift));
    let list = pages.get(page);
    if (list === undefined) {
      list = [];
      pages.set(page, list);
    }
    const same = list.findIndex(
      (x) => x.table === e.table && x.global === e.global && (e.global || (x.asid === e.asid && x.pasid === e.pasid)),
    );
    if (same >= 0) list[same] = e;
    else list.push(e);
  }

  /** The leaf (or, with `table`, walk-cache) entry translating `iova`, smallest page first. */
  find(kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: number, table = false): Stored | undefined {
    const c = this.ctx(kind, vmid, did, liobn, false);
    if (c === undefined) return undefined;
    for (let i = 0; i < c.shifts.length; i++) {
      const list = c.byShift.get(c.shifts[i]!)!.get(Math.floor(iova / c.sizes[i]!));
      if (list === undefined) continue;
      for (let j = 0; j < list.length; j++) {
        const e = list[j]!;
        if (e.table === table && (e.global || (e.asid === asid && e.pasid === pasid))) return e;
      }
    }
    return undefined;
  }

  /** Output address of `iova`, or -1 on a miss (numbers: exact below 2^53). */
  lookup(kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: number): number {
    const e = this.find(kind, vmid, asid, did, pasid, liobn, iova);
    if (e === undefined) return -1;
    return e.outNum + (iova - Math.floor(iova / e.size) * e.size);
  }

  /** Every entry, in no particular order. */
  all(): RefEntry[] {
    const out: RefEntry[] = [];
    for (const byLiobn of this.contexts.values())
      for (const c of byLiobn.values()) for (const pages of c.byShift.values()) for (const list of pages.values()) out.push(...list);
    return out;
  }

  /** Whether `e` is in `scope` (the rules every invalidation method composes). */
  static inScope(e: RefEntry, s: RefScope, strictHints: boolean): boolean {
    if (!s.kinds.includes(e.kind)) return false;
    if (e.table && s.leafOnly) return false;
    if (s.vmid !== undefined && e.vmid !== s.vmid) return false;
    if (s.did !== undefined && e.did !== s.did) return false;
    if (s.liobn !== undefined && e.liobn !== s.liobn) return false;
    if (e.global) {
      // A global entry serves every ASID/PASID: ASID/PASID-scoped commands keep it, by-address
      // commands naming one ASID/PASID remove it.
      if (s.keepGlobal) return false;
    } else {
      if (s.asid !== undefined && e.asid !== s.asid) return false;
      if (s.pasid !== undefined && e.pasid !== s.pasid) return false;
    }
    if (s.start !== undefined && s.size !== undefined) {
      const end = e.base + (1n << BigInt(e.shift));
      // Overlap at 4 KiB granularity: ranges are whole 4 KiB pages.
      const rs = s.start & ~0xfffn;
      const re = (s.start + s.size + 0xfffn) & ~0xfffn;
      if (re <= rs || !(e.base < re && end > rs)) return false;
    }
    if (strictHints && s.ttl && s.granuleShift && !e.table) {
      if (e.level !== s.ttl) return false;
      if (e.granuleShift !== 0 && e.granuleShift !== s.granuleShift) return false;
    }
    return true;
  }

  invalidate(s: RefScope): number {
    let n = 0;
    for (const byLiobn of this.contexts.values())
      for (const c of byLiobn.values())
        for (const [shift, pages] of c.byShift) {
          for (const [page, list] of pages) {
            const keep = list.filter((e) => !RefIotlb.inScope(e, s, this.strictHints));
            n += list.length - keep.length;
            if (keep.length === 0) pages.delete(page);
            else if (keep.length !== list.length) pages.set(page, keep);
          }
          if (pages.size === 0) {
            c.byShift.delete(shift);
            c.reindex();
          }
        }
    return n;
  }
}

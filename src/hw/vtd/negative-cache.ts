// Caching mode (CAP.CM = 1, vtd.md 1.3): the unit may cache not-present translations, so
// software must invalidate the IOTLB after making a page present (Linux does; it is what lets an
// emulated IOMMU shadow every mapping). This remembers pages whose walk found no entry, per
// domain, until an IOTLB invalidation covers them. The IOTLB itself caches only successes.
const PAGE_SHIFT = 12;

export class NegativeCache {
  private readonly byDid = new Map<number, Set<number>>();

  has(did: number, iova: number): boolean {
    return this.byDid.get(did)?.has(Math.floor(iova / 2 ** PAGE_SHIFT)) ?? false;
  }
  add(did: number, iova: number): void {
    let s = this.byDid.get(did);
    if (s === undefined) this.byDid.set(did, (s = new Set()));
    s.add(Math.floor(iova / 2 ** PAGE_SHIFT));
  }
  clear(): void {
    this.byDid.clear();
  }
  dropDomain(did: number): void {
    this.byDid.delete(did);
  }
  /** Page-selective: the 2^am pages at addr (aligned down to that size). */
  dropPages(did: number, addr: bigint, am: number): void {
    const s = this.byDid.get(did);
    if (s === undefined) return;
    const n = 2 ** am;
    const first = Number(addr >> BigInt(PAGE_SHIFT)) - (Number(addr >> BigInt(PAGE_SHIFT)) % n);
    for (const p of [...s]) if (p >= first && p < first + n) s.delete(p);
  }
}

// "Did you mean" candidates for a misspelt register/field/block name: names containing the
// query (or contained in it), then names within a small edit distance, case-insensitively.

function distance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Up to `max` names close to `query`, best first. */
export function closeNames(query: string, names: Iterable<string>, max = 5): string[] {
  const q = query.toUpperCase();
  const scored: { name: string; score: number }[] = [];
  for (const name of names) {
    const n = name.toUpperCase();
    if (n === q) continue;
    const d = distance(q, n);
    const contains = q.length >= 2 && (n.includes(q) || q.includes(n));
    const limit = Math.max(1, Math.floor(Math.max(q.length, n.length) / 3));
    if (contains || d <= limit) scored.push({ name, score: contains ? d / 100 : d });
  }
  scored.sort((x, y) => x.score - y.score || (x.name < y.name ? -1 : 1));
  return scored.slice(0, max).map((s) => s.name);
}

/** " Did you mean: A, B?" or "" when nothing is close. */
export function didYouMean(query: string, names: Iterable<string>): string {
  const c = closeNames(query, names);
  return c.length > 0 ? ` Did you mean: ${c.join(', ')}?` : '';
}

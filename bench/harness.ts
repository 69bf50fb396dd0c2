// Minimal benchmark harness: runs a body for a fixed number of iterations after a warm-up,
// repeats, and keeps the best round (least disturbed by the other core's load).

export interface BenchResult {
  name: string;
  opsPerSec: number;
  nsPerOp: number;
}

export function measure(name: string, opsPerRound: number, body: () => void, rounds = 7): BenchResult {
  body(); // warm-up: let the JIT settle
  body();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    body();
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt < best) best = dt;
  }
  const nsPerOp = best / opsPerRound;
  return { name, opsPerSec: 1e9 / nsPerOp, nsPerOp };
}

export function report(results: BenchResult[], reference?: BenchResult): void {
  for (const r of results) {
    const ratio = reference && r !== reference ? `  (${(reference.nsPerOp / r.nsPerOp).toFixed(2)}x vs ${reference.name})` : '';
    console.log(`${r.name.padEnd(48)} ${(r.opsPerSec / 1e6).toFixed(1).padStart(7)} M ops/s  ${r.nsPerOp.toFixed(1).padStart(6)} ns/op${ratio}`);
  }
}

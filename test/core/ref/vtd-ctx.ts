// Test helper: configures a walk context of a non-VMSA format by writing its raw parameters
// (CTX_P) and addresses (CTX_A) as the format's header documents them, then runs setup.
// The typed facade (src/core/walk.ts) has configure methods for VMSA only so far.
import type { Walker } from '../../../src/core/walk.ts';
import * as A from '../../../src/core/walk-abi.ts';

/** Writes format `fmt` with parameters `p` and addresses `a` into `w`'s context; returns CFG_*. */
export function configureRaw(w: Walker, fmt: number, p: readonly number[], a: readonly number[], nestUnder?: Walker): number {
  const e = w.core.exports;
  const ctx = e.walk_ctx_ptr(w.slot);
  const buf = e.memory.buffer;
  const u32 = new Uint32Array(buf);
  const f64 = new Float64Array(buf);
  u32[(ctx + A.CTX_FMT) >>> 2] = fmt;
  for (let i = 0; i < 12; i++) u32[((ctx + A.CTX_P) >>> 2) + i] = p[i] ?? 0;
  for (let i = 0; i < 4; i++) f64[((ctx + A.CTX_A) >>> 3) + i] = a[i] ?? 0;
  u32[(ctx + A.CTX_NEXT) >>> 2] = nestUnder === undefined ? 0 : nestUnder.slot + 1;
  u32[(ctx + A.CTX_STATE) >>> 2] = A.CS_DIRTY;
  return e.walk_setup(w.slot);
}

// The TypeScript mirror of the walk engine's layout (src/core/walk-abi.ts) must match the
// module: the facade writes contexts and reads results at these offsets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Core } from '../../src/core/core.ts';
import * as A from '../../src/core/walk-abi.ts';

test('every layout number agrees with walk_abi()', () => {
  const core = new Core();
  A.ABI_KEYS.forEach((v, key) => assert.is(core.exports.walk_abi(key), v, `walk_abi(${key})`));
  assert.is(core.exports.walk_abi(A.ABI_KEYS.length), -1);
});

test('the result record and contexts are 8-byte aligned and do not overlap', () => {
  const core = new Core();
  const res = core.exports.walk_result_ptr();
  assert.is(res % 8, 0);
  const ctx0 = core.exports.walk_ctx_ptr(0);
  const ctxN = core.exports.walk_ctx_ptr(A.MAX_CTX - 1) + A.CTX_BYTES;
  assert.is(ctx0 % 8, 0);
  assert.ok(res + A.RES_BYTES <= ctx0 || res >= ctxN);
  assert.is(core.exports.walk_ctx_ptr(A.MAX_CTX), 0);
  assert.is(core.exports.walk_ctx_ptr(-1), 0);
});

test('an unconfigured context answers ST_BAD_CONFIG, never a trap', () => {
  const core = new Core();
  assert.is(core.exports.walk_va(3, 0x1000, 0), A.ST_BAD_CONFIG);
  assert.is(core.exports.walk_setup(3), A.CFG_UNCONFIGURED);
});

test.run();

// Every fault reason code the engine can report (R_* in walk-abi.ts, mirrored from
// assembly/walk/layout.ts) has its own name in the decoded result, so result().reason never
// falls back to 'none' for a real fault (DART's subpage and x86's user/supervisor faults
// were added after the first table of names).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as A from '../../src/core/walk-abi.ts';
import { REASON_NAMES } from '../../src/core/walk.ts';

test('each R_* code maps to a distinct reason name', () => {
  const codes = Object.entries(A).filter(([k]) => /^R_[A-Z_]+$/.test(k)) as Array<[string, number]>;
  assert.ok(codes.length >= 17);
  for (const [k, v] of codes) {
    const name = REASON_NAMES[v];
    assert.ok(name !== undefined, `${k} = ${v} has no name`);
    if (k !== 'R_NONE') assert.is.not(name, 'none', `${k} decodes as 'none'`);
  }
  assert.is(new Set(codes.map(([, v]) => REASON_NAMES[v])).size, codes.length);
  assert.is(REASON_NAMES[A.R_SUBPAGE], 'subpage');
  assert.is(REASON_NAMES[A.R_PERM_USER], 'permUser');
  assert.is(REASON_NAMES[A.R_PERM_READ], 'permRead');
});

test.run();

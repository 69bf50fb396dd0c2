import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemTx } from '../../src/bridge/types.ts';
test('enum', () => { assert.is(MemTx.DECODE_ERROR, 1); });
test.run();

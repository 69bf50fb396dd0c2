// The core reads guest-physical memory from its own RAM with plain loads, from embedder
// memory through callbacks, and reports an external abort (never a trap) for addresses
// nothing backs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Core } from '../../src/core/core.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';

test('a read inside core RAM is a plain little-endian load', () => {
  const core = new Core();
  const ram = new WasmRam(core, 0x10000);
  core.exports.ram_map(0x80000000, ram.size, ram.coreOffset);
  ram.view().set([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11], 0x18);
  assert.is(core.exports.mem_read64_lo(0x80000018) >>> 0, 0x55667788);
  assert.is(core.exports.mem_read64_hi() >>> 0, 0x11223344);
  assert.is(core.exports.mem_aborted(), 0);
});

test('a read outside core RAM goes to the embedder; with nothing there it aborts', () => {
  const core = new Core();
  assert.is(core.exports.mem_read64_lo(0x1000), 0);
  assert.is(core.exports.mem_aborted(), 1); // no external memory: external abort
  const asked: number[] = [];
  core.external = {
    read(gpa, dst) {
      asked.push(gpa);
      if (gpa >= 0x100000) return false;
      dst.set([1, 2, 3, 4, 5, 6, 7, 8]);
      return true;
    },
    write: () => false,
  };
  assert.is(core.exports.mem_read64_lo(0x2000) >>> 0, 0x04030201);
  assert.is(core.exports.mem_read64_hi() >>> 0, 0x08070605);
  assert.is(core.exports.mem_aborted(), 0);
  core.exports.mem_read64_lo(0x200000);
  assert.is(core.exports.mem_aborted(), 1);
  assert.equal(asked, [0x2000, 0x200000]);
});

test.run();

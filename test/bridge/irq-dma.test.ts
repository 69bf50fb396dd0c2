import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressSpace } from '../../src/bridge/address-space.ts';
import { WasmRam } from '../../src/bridge/guest-ram.ts';
import { Core } from '../../src/core/core.ts';
import { InterruptController, MsiRouter } from '../../src/bridge/irq.ts';
import { DmaPort, formatBdf, pciRequester } from '../../src/bridge/dma.ts';
import { Access, MemTx, type TranslateRequest } from '../../src/bridge/types.ts';

function machine() {
  const core = new Core();
  const ram = new WasmRam(core, 0x10000);
  const mem = new AddressSpace({ name: 'mem', unmappedRead: 'zero' });
  mem.mapRam(0, ram);
  return { ram, mem };
}

test('a wired line reports only level changes to every listener', () => {
  const ic = new InterruptController('ioapic', 24);
  const seen: string[] = [];
  const stop = ic.listen((l, lv) => seen.push(`${l}:${lv ? 'raise' : 'lower'}`));
  const line = ic.line(10);
  line.raise();
  line.raise();
  line.lower();
  stop();
  line.raise();
  assert.equal(seen, ['10:raise', '10:lower']);
  assert.is(ic.level(10), true);
  assert.throws(() => ic.line(24), /line 24 does not exist \(0\.\.23\)/);
});

test('an MSI inside the interrupt window goes to the embedder; elsewhere it is a memory write', () => {
  const { ram, mem } = machine();
  const msi = new MsiRouter(mem, 0xfee00000, 0x100000);
  const got: Array<[number, number]> = [];
  msi.listen((a, d) => got.push([a, d]));
  const rid = pciRequester('edu', 0, 0x20);
  msi.deliver(0xfee01000, 0x4041, rid);
  msi.deliver(0x100, 0xdeadbeef, rid);
  assert.equal(got, [[0xfee01000, 0x4041]]);
  assert.equal([...ram.view().subarray(0x100, 0x104)], [0xef, 0xbe, 0xad, 0xde]);
});

test('requester IDs are bus<<8 | devfn and print as bb:dd.f', () => {
  const r = pciRequester('edu', 0x01, (4 << 3) | 2);
  assert.is(r.requesterId, 0x0122);
  assert.is(r.streamId, 0x0122);
  assert.is(formatBdf(r.requesterId), '01:04.2');
  assert.throws(() => pciRequester('x', 256, 0), /bus must be 0\.\.255/);
});

test('without an IOMMU, DMA goes straight to memory; with bus mastering off it goes nowhere', () => {
  const { ram, mem } = machine();
  const port = new DmaPort(pciRequester('edu', 0, 0x20), mem);
  assert.is(port.write(0x1000, new Uint8Array([1, 2, 3])), MemTx.OK);
  assert.equal([...ram.view().subarray(0x1000, 0x1003)], [1, 2, 3]);
  port.setEnabled(false);
  assert.is(port.write(0x1000, new Uint8Array([9, 9, 9])), MemTx.DECODE_ERROR);
  assert.equal([...ram.view().subarray(0x1000, 0x1003)], [1, 2, 3]);
  const dst = new Uint8Array([7, 7, 7]);
  assert.is(port.read(0x1000, dst), MemTx.DECODE_ERROR);
  assert.equal([...dst], [0, 0, 0]);
});

test('with a translator, DMA is translated page by page and a faulting page is aborted', () => {
  const { ram, mem } = machine();
  const port = new DmaPort(pciRequester('edu', 0, 0x20), mem);
  const asked: TranslateRequest[] = [];
  port.setTranslator({
    translate(req) {
      asked.push(req);
      const page = Math.floor(req.iova / 4096);
      if (page === 0x11) return { ok: false, fault: 'F_TRANSLATION' };
      return { ok: true, pa: 0x3000 + (page - 0x10) * 0x2000 + (req.iova % 4096), perm: Access.READ | Access.WRITE, pageSize: 4096 };
    },
  });
  const src = new Uint8Array(4096 + 8).fill(0x5a);
  assert.is(port.write(0x10ffc, src), MemTx.ERROR);
  assert.equal(asked.map((r) => r.iova), [0x10ffc, 0x11000, 0x12000]);
  assert.equal([...ram.view().subarray(0x3ffc, 0x4000)], [0x5a, 0x5a, 0x5a, 0x5a]); // page 0x10
  assert.equal([...ram.view().subarray(0x7000, 0x7004)], [0x5a, 0x5a, 0x5a, 0x5a]); // page 0x12 -> 0x7000
  assert.is(ram.view()[0x5000], 0); // the faulting page wrote nothing
  assert.is(asked[0]!.access, Access.WRITE);
  assert.is(asked[0]!.requester.requesterId, 0x20);
});

test.run();

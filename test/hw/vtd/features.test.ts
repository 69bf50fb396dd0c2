// -device intel-iommu properties -> CAP/ECAP, checked against the values QEMU 7.2.22 reads back
// for each property set (qemu-system-x86_64 -machine q35 -device intel-iommu,PROPS, readq of
// 0xfed90008 / 0xfed90010; vtd.md 1.2), and QEMU's refusals with its own words.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { capabilities, featuresFromQemuProps, frcdOffset } from '../../../src/hw/vtd/features.ts';
import * as R from '../../../src/regs/generated/vtd.ts';
import { vtdFixture } from './fixture.ts';

const MEASURED: [string, bigint, bigint][] = [
  ['', 0x00d2008c22260206n, 0x0000000000f00f4an],
  ['aw-bits=48', 0x00d2008c222f0606n, 0x0000000000f00f4an],
  ['caching-mode=on', 0x00d2008c22260286n, 0x0000000000f00f4an],
  ['x-scalable-mode=on', 0x00d2008c22260206n, 0x0000480080f00f4an],
  ['intremap=off', 0x00d2008c22260206n, 0x0000000000000f42n],
  ['device-iotlb=on', 0x00d2008c22260206n, 0x0000000000f00f4en],
  ['snoop-control=on', 0x00d2008c22260206n, 0x0000000000f00fcan],
  ['x-scalable-mode=on,x-pasid-mode=on', 0x00d2008c22260206n, 0x0000490080f00f4an],
  ['dma-drain=off', 0x0012008c22260206n, 0x0000000000f00f4an],
  ['dma-translation=off', 0x00d2008c22260006n, 0x0000000000f00f4an],
  ['pt=off', 0x00d2008c22260206n, 0x0000000000f00f0an],
  ['x-buggy-eim=on,eim=on', 0x00d2008c22260206n, 0x0000000000f00f5an],
];

const props = (s: string): Record<string, string> =>
  Object.fromEntries(s === '' ? [] : s.split(',').map((kv) => kv.split('=') as [string, string]));

for (const [p, cap, ecap] of MEASURED) {
  test(`intel-iommu${p ? ',' + p : ''}: CAP 0x${cap.toString(16)} ECAP 0x${ecap.toString(16)} as QEMU 7.2`, () => {
    const c = capabilities(featuresFromQemuProps(props(p)));
    assert.is(c.cap.toString(16), cap.toString(16));
    assert.is(c.ecap.toString(16), ecap.toString(16));
  });
}

test('QEMU 7.2 refusals (TCG, no KVM irqchip) with its messages', () => {
  const refuse = (p: string) => {
    try {
      featuresFromQemuProps(props(p));
      return 'OK';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.is(refuse('eim=on'), 'eim=on requires accel=kvm,kernel-irqchip=split');
  assert.is(refuse('aw-bits=40'), 'Supported values for aw-bits are: 39, 48');
  assert.is(refuse('x-pasid-mode=on'), 'Need to set scalable mode for PASID');
  assert.is(refuse('x-scalable-mode=on,dma-drain=off'), 'Need to set dma_drain for scalable mode');
  assert.is(refuse('eim=on,intremap=off'), 'eim=on cannot be selected without intremap=on');
  assert.is(refuse('x-scalable-mode=on,x-pasid-mode=on,device-iotlb=on'), 'PASID based device IOTLB is not supported');
  assert.is(refuse('caching-mode=foo'), "Parameter 'caching-mode' expects 'on' or 'off'");
  assert.is(refuse('eim=foo'), "Parameter 'eim' does not accept value 'foo'");
  assert.is(refuse('foo=1'), "Property 'intel-iommu.foo' not found");
  assert.is(refuse('aw-bits=x'), "Parameter 'aw-bits' expects integer");
});

test('the register window ends after the last fault-recording register (0x230 with one, as QEMU)', () => {
  const t = vtdFixture();
  assert.is(t.vtd.regs.size, 0x230);
  assert.is(frcdOffset(0), R.VTD_FRCD_LO);
  const t4 = vtdFixture({ features: { faultRecords: 4 } });
  assert.is(t4.vtd.regs.size, 0x260);
  assert.is(Number((t4.r64(R.VTD_CAP) & R.VTD_CAP_NFR_MASK) >> BigInt(R.VTD_CAP_NFR_SHIFT)), 3, 'NFR = records - 1');
});

test('API misuse names the field', () => {
  assert.throws(() => vtdFixture({ features: { awBits: 40 as 39 } }), /awBits must be 39 or 48/);
  assert.throws(() => vtdFixture({ features: { faultRecords: 0 } }), /faultRecords/);
  assert.throws(() => vtdFixture({ features: { pasid: true } }), /pasid needs scalableMode/);
});

test.run();

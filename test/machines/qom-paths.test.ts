// Which names qtest's irq_intercept_in/out accept, and which device's inputs then report.
// Facts from QEMU 7.2 (one session per name, `irq_intercept_out NAME`): on q35 OK for
// /machine/q35, /machine/q35/ioapic, /machine/q35/mch, /machine/q35/pcie.0, "ioapic", "mch",
// "q35", /machine/unattached/device[0..24], the peripheral containers and device paths;
// FAIL Unknown device for /machine/i440fx and device[25]. On virt (-device edu -device
// edu,id=second): OK for /machine/unattached/device[0..40] (device[1] is the GIC: intercepting
// it shows edu's INTx as "IRQ raise 4"), /machine/peripheral-anon/device[0],
// /machine/peripheral/second, "second" and "device[1]" (unique); FAIL for "gic",
// /machine/unattached/gic, /machine/gpex, gpex-root, device[41], peripheral-anon/device[1]
// and the ambiguous "device[0]".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMachine, Q35Machine, VirtMachine } from '../../src/platform/machines/index.ts';
import { QtestProtocol } from '../../src/qtest/protocol.ts';
import type { MachineConfig } from '../../src/platform/machine-types.ts';

/** Reply of `irq_intercept_out name` in a fresh session. */
function intercept(config: Partial<MachineConfig> & Pick<MachineConfig, 'machine'>, name: string, dir: 'in' | 'out' = 'out'): string {
  let out = '';
  const p = new QtestProtocol(createMachine(config), (t) => (out += t));
  p.opened();
  p.command(`irq_intercept_${dir} ${name}`);
  return out.trim();
}

const edu = (props: Record<string, string> = {}) => ({ driver: 'edu', props });

test('q35: names QEMU 7.2 resolves to a device', () => {
  const cfg = { machine: 'q35' as const, devices: [edu()] };
  for (const n of ['/machine/q35', '/machine/q35/ioapic', '/machine/q35/mch', '/machine/q35/pcie.0', 'ioapic', 'mch', 'q35',
    '/machine/unattached/device[0]', '/machine/unattached/device[24]', '/machine/peripheral-anon/device[0]',
    '/machine/unattached', '/machine/peripheral']) {
    assert.is(intercept(cfg, n), 'OK', n);
  }
  for (const n of ['/machine/i440fx', '/machine/unattached/device[25]', 'nosuch']) assert.is(intercept(cfg, n), 'FAIL Unknown device', n);
});

test('virt: names QEMU 7.2 resolves to a device (the GIC is /machine/unattached/device[1])', () => {
  const cfg = { machine: 'virt' as const, devices: [edu(), edu({ id: 'second' })] };
  for (const n of ['/machine/unattached/device[0]', '/machine/unattached/device[1]', '/machine/unattached/device[40]',
    '/machine/peripheral-anon/device[0]', '/machine/peripheral/second', 'second', 'device[1]']) {
    assert.is(intercept(cfg, n), 'OK', n);
  }
  for (const n of ['gic', '/machine/unattached/gic', '/machine/gpex', 'gpex-root', '/machine/unattached/device[41]',
    '/machine/peripheral-anon/device[1]', 'device[0]']) {
    assert.is(intercept(cfg, n), 'FAIL Unknown device', n);
  }
});

test('resolveDevice: absolute paths exactly, partial paths when unique', () => {
  const m = createMachine({ machine: 'q35', devices: [edu(), edu({ id: 'x' }), edu()] });
  assert.is(m.resolveDevice('ioapic'), '/machine/q35/ioapic');
  assert.is(m.resolveDevice('/machine/peripheral-anon/device[1]'), '/machine/peripheral-anon/device[1]');
  assert.is(m.resolveDevice('x'), '/machine/peripheral/x');
  assert.is(m.resolveDevice('device[1]'), null, 'both unattached and peripheral-anon have a device[1]');
  assert.is(m.resolveDevice('/machine/peripheral/y'), null);
  assert.is(m.resolveDevice('q35/ioapic'), '/machine/q35/ioapic');
});

test('only the interrupt controller reports: edu INTx is seen through the IOAPIC/GIC, not through edu', () => {
  for (const [machine, ctrl, line] of [['q35', 'ioapic', 21], ['virt', '/machine/unattached/device[1]', 4]] as const) {
    for (const [target, expectIrq] of [[ctrl, true], ['/machine/peripheral-anon/device[0]', false]] as const) {
      let out = '';
      const m = createMachine({ machine, devices: [edu({ addr: '01.0' })] });
      const p = new QtestProtocol(m, (t) => (out += t));
      p.opened();
      p.command(`irq_intercept_in ${target}`);
      const fn = (m as Q35Machine | VirtMachine).pci.rootBus.at(8)!;
      fn.setIntx(true);
      assert.is(out.includes(`IRQ raise ${line}`), expectIrq, `${machine} ${target}: ${out}`);
    }
  }
});

test.run();

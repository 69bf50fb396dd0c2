// What createMachine refuses, and with which words. The -device/-machine messages are QEMU
// 7.2's stderr text (after the "qemu-system-x86_64: " prefix), observed by running QEMU with
// each command line; the memory-size limit is ours (RAM lives in wasm32 memory).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMachine, MachineConfigError } from '../../src/platform/machines/index.ts';
import { parseQtestCommandLine } from '../../src/qtest/cmdline.ts';

/** Builds the machine for a QEMU command line; returns the error message or 'OK'. */
function outcome(cmdline: string): string {
  try {
    createMachine(parseQtestCommandLine(cmdline.split(' ')).config);
    return 'OK';
  } catch (e) {
    assert.instance(e, MachineConfigError, `${cmdline}: a MachineConfigError`);
    return (e as Error).message;
  }
}

const QEMU_ANSWERS: [string, string][] = [
  ['-machine q35 -device edu,addr=04.0 -device edu,addr=04.0', '-device edu,addr=04.0: PCI: slot 4 function 0 not available for edu, in use by edu,id=(null)'],
  ['-machine q35 -device edu,id=foo,addr=04.0 -device edu,addr=04.0', '-device edu,addr=04.0: PCI: slot 4 function 0 not available for edu, in use by edu,id=foo'],
  ['-machine q35 -device edu,addr=00.0', '-device edu,addr=00.0: PCI: slot 0 function 0 not available for edu, in use by mch,id=(null)'],
  ['-machine q35 -device edu,addr=1f.0', '-device edu,addr=1f.0: PCI: slot 31 function 0 not available for edu, in use by ICH9-LPC,id=(null)'],
  ['-machine q35 -device edu,addr=1f.2', '-device edu,addr=1f.2: PCI: slot 31 function 2 not available for edu, in use by ich9-ahci,id=(null)'],
  ['-machine q35 -device edu,addr=1f.3', '-device edu,addr=1f.3: PCI: slot 31 function 3 not available for edu, in use by ICH9-SMB,id=(null)'],
  ['-machine q35 -device edu,addr=1f.1 -device edu,addr=1f.1', '-device edu,addr=1f.1: PCI: slot 31 function 1 not available for edu, in use by edu,id=(null)'],
  ['-machine q35 -device edu,addr=04.0 -device edu,addr=04.1', "-device edu,addr=04.1: PCI: single function device can't be populated in function 4.1"],
  ['-machine q35 -device edu,addr=04.1 -device edu,addr=04.0', '-device edu,addr=04.0: PCI: 4.0 indicates single function, but 4.1 is already populated.'],
  ['-machine q35 -device edu,addr=zz', "-device edu,addr=zz: Property 'edu.addr' doesn't take value 'zz'"],
  ['-machine q35 -device edu,addr=20.0', "-device edu,addr=20.0: Property 'edu.addr' doesn't take value '20.0'"],
  ['-machine q35 -device edu,addr=04.8', "-device edu,addr=04.8: Property 'edu.addr' doesn't take value '04.8'"],
  ['-machine q35 -device edu,addr=0x20', "-device edu,addr=0x20: Property 'edu.addr' doesn't take value '0x20'"],
  ['-machine q35 -device edu,addr=4.0.0', "-device edu,addr=4.0.0: Property 'edu.addr' doesn't take value '4.0.0'"],
  ['-machine q35 -device edu,dma_mask=abc', "-device edu,dma_mask=abc: Parameter 'dma_mask' expects integer"],
  ['-machine q35 -device edu,dma_mask=1x', "-device edu,dma_mask=1x: Parameter 'dma_mask' expects integer"],
  ['-machine q35 -device edu,dma_mask=0x10000000000000000', "-device edu,dma_mask=0x10000000000000000: Parameter 'dma_mask' expects integer"],
  ['-machine q35 -device edu,foo=1', "-device edu,foo=1: Property 'edu.foo' not found"],
  ['-machine q35 -device nosuch', "-device nosuch: 'nosuch' is not a valid device model name"],
  ['-machine q35 -device edu,bus=pci.0', "-device edu,bus=pci.0: Bus 'pci.0' not found"],
  ['-machine q35 -device edu,bus=nosuch', "-device edu,bus=nosuch: Bus 'nosuch' not found"],
  ['-machine q35 -device edu,id=a -device edu,id=a,addr=09.0', "-device edu,id=a,addr=09.0: Duplicate ID 'a' for device"],
  ['-machine q35,foo=bar', "Property 'pc-q35-7.2-machine.foo' not found"],
  ['-machine virt -device edu,addr=00.0', '-device edu,addr=00.0: PCI: slot 0 function 0 not available for edu, in use by gpex-root,id=(null)'],
  ['-machine virt -device edu,bus=pci.0', "-device edu,bus=pci.0: Bus 'pci.0' not found"],
  ['-machine virt,foo=bar', "Property 'virt-7.2-machine.foo' not found"],
  // QEMU prints the error and its hint on two lines.
  ['-machine virt,iommu=foo', 'Invalid iommu value\nValid values are none, smmuv3.'],
  ['-machine virt -device nosuch', "-device nosuch: 'nosuch' is not a valid device model name"],
];

for (const [cmdline, message] of QEMU_ANSWERS) {
  test(`refused as QEMU 7.2 refuses: ${cmdline}`, () => {
    assert.is(outcome(cmdline), message);
  });
}

// Command lines QEMU 7.2 starts with (it ran them without an error).
for (const cmdline of [
  '-machine q35 -device edu,addr=4',
  '-machine q35 -device edu,addr=0x4.1',
  '-machine q35 -device edu,addr=1f.1', // 1f.0 (ICH9-LPC) is multifunction
  '-machine q35 -device edu,addr=04.1 -device edu',
  '-machine q35 -device edu,dma_mask=-1', // strtoull-style wrap to 2^64-1
  '-machine q35 -device edu,bus=pcie.0',
  '-machine virt -device edu,bus=pcie.0',
]) {
  test(`accepted as QEMU 7.2 accepts: ${cmdline}`, () => {
    assert.is(outcome(cmdline), 'OK');
  });
}

test('createMachine: unknown machine, memory sizes outside the wasm32 core (our own limits)', () => {
  assert.throws(() => createMachine({ machine: 'pc' as 'q35' }), (e: Error) => e instanceof MachineConfigError && /unsupported machine type 'pc'/.test(e.message));
  for (const bytes of [0, -1, 1.5, 0xffff0000 + 1, 2 ** 32]) {
    assert.throws(() => createMachine({ machine: 'q35', memoryBytes: bytes }), (e: Error) => e instanceof MachineConfigError && /memory size/.test(e.message), String(bytes));
  }
  assert.is(createMachine({ machine: 'virt', memoryBytes: 64 * 1024 }).ramSize, 64 * 1024);
});

test.run();

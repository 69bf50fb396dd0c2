import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandLineError, DEFAULT_RAM_BYTES, parseQtestCommandLine, splitOpts } from '../../src/qtest/cmdline.ts';

const parse = (s: string) => parseQtestCommandLine(s.split(' '));
function fails(s: string, message: string): void {
  try {
    parse(s);
  } catch (e) {
    assert.instance(e, CommandLineError, s);
    assert.is((e as Error).message, message, s);
    return;
  }
  assert.unreachable(`accepted: ${s}`);
}

test('the command line the brief shows: q35, devices in order with their properties', () => {
  const r = parse('-machine q35,kernel-irqchip=split -m 1G -device intel-iommu,intremap=on,x-scalable-mode=on,aw-bits=48 -device edu,addr=04.0,dma_mask=0xffffffff -accel qtest -qtest stdio -display none -nodefaults -serial none -monitor none');
  assert.equal(r.config, {
    machine: 'q35',
    machineProps: { 'kernel-irqchip': 'split' },
    memoryBytes: 1 << 30,
    devices: [
      { driver: 'intel-iommu', props: { intremap: 'on', 'x-scalable-mode': 'on', 'aw-bits': '48' } },
      { driver: 'edu', props: { addr: '04.0', dma_mask: '0xffffffff' } },
    ],
  });
  assert.equal(r.qtest, { kind: 'stdio' });
  assert.is(r.qmp, undefined);
  assert.is(r.log, undefined);
  assert.is(r.startStopped, false);
});

test('virt with iommu=smmuv3 via -M; default RAM is 128 MiB; no -qtest means stdio', () => {
  const r = parse('-M virt,iommu=smmuv3');
  assert.is(r.config.machine, 'virt');
  assert.equal(r.config.machineProps, { iommu: 'smmuv3' });
  assert.is(r.config.memoryBytes, DEFAULT_RAM_BYTES);
  assert.is(DEFAULT_RAM_BYTES, 128 * 1024 * 1024);
  assert.equal(r.qtest, { kind: 'stdio' });
});

test("libqtest's qtest_init command line (7.2 and newer)", () => {
  const r = parseQtestCommandLine([
    '-qtest', 'unix:/tmp/qtest-42.sock', '-qtest-log', '/dev/null',
    '-chardev', 'socket,path=/tmp/qtest-42.qmp,id=char0', '-mon', 'chardev=char0,mode=control',
    '-display', 'none', '-audio', 'none', '-run-with', 'exit-with-parent=on', '-S',
    '-accel', 'kvm', '-accel', 'tcg', '-machine', 'pc-q35-9.1,', '-device', 'edu', '-accel', 'qtest',
  ]);
  assert.equal(r.qtest, { kind: 'unix', path: '/tmp/qtest-42.sock' });
  assert.equal(r.qmp, { kind: 'unix', path: '/tmp/qtest-42.qmp' });
  assert.is(r.log, '/dev/null');
  assert.is(r.startStopped, true);
  assert.is(r.config.machine, 'q35');
  assert.equal(r.config.machineProps, {});
  assert.equal(r.config.devices, [{ driver: 'edu', props: {} }]);
});

test('repeated -machine options merge; accel= is taken out; --long options; -qtest chardev:ID', () => {
  const r = parseQtestCommandLine(['--machine', 'accel=qtest', '-machine', 'type=virt,iommu=smmuv3,highmem', '-chardev', 'socket,id=q,path=/tmp/s', '-qtest', 'chardev:q', '-qtest-log', 'none']);
  assert.is(r.config.machine, 'virt');
  assert.equal(r.config.machineProps, { iommu: 'smmuv3', highmem: 'on' });
  assert.equal(r.qtest, { kind: 'unix', path: '/tmp/s' });
  assert.is(r.log, 'none');
});

test('-m follows QEMU: suffixes, MiB default, 0 = default, rounded up to 8 KiB, size=', () => {
  const mem = (m: string) => parse(`-machine q35 -m ${m}`).config.memoryBytes;
  assert.is(mem('256'), 256 << 20);
  assert.is(mem('256M'), 256 << 20);
  assert.is(mem('2g'), 2 * 2 ** 30);
  assert.is(mem('1.5G'), 1.5 * 2 ** 30);
  assert.is(mem('0'), DEFAULT_RAM_BYTES);
  assert.is(mem('100k'), 106496);
  assert.is(mem('size=64M'), 64 << 20);
});

test('QemuOpts escaping: ",," is a literal comma', () => {
  assert.equal(splitOpts('a,b=c,,d,e'), ['a', 'b=c,d', 'e']);
  const r = parse('-machine q35 -device edu,id=x,,y');
  assert.equal(r.config.devices[0]!.props, { id: 'x,y' });
});

test('errors name the option and say what is wrong', () => {
  fails('-machine q35 -foo', '-foo: invalid option');
  fails('-machine q35 --bogus 1', '-bogus: invalid option');
  fails('-machine pc', "-machine pc: unsupported machine type 'pc' (supported: q35, virt)");
  fails('-M none', "-M none: unsupported machine type 'none' (supported: q35, virt)");
  fails('-m 128', 'no machine selected: pass -machine q35 or -machine virt');
  fails('-machine q35 -m foo', "-m foo: Parameter 'size' expects a non-negative number below 2^64 (optional suffix B, K, M, G, T, P or E; MiB without a suffix)");
  fails('-machine q35 -m 1G,slots=2,maxmem=4G', "-m 1G,slots=2,maxmem=4G: 'slots' is not supported (memory hotplug is not modelled)");
  fails('-machine q35 -m', '-m: requires an argument');
  fails('-machine q35 -device addr=04.0', "-device addr=04.0: Parameter 'driver' is missing");
  fails('-machine q35 -accel hvf', '-accel hvf: invalid accelerator hvf');
  fails('-machine q35,accel=kvm:xen', '-machine q35,accel=kvm:xen: invalid accelerator xen');
  fails('-machine q35 -display gtk', "-display gtk: not supported (only '-display none')");
  fails('-machine q35 -serial stdio', "-serial stdio: not supported (only '-serial none')");
  fails('-machine q35 -qtest tcp:localhost:4444', '-qtest tcp:localhost:4444: unsupported character device (use stdio, unix:PATH or chardev:ID)');
  fails('-machine q35 -qtest unix:/tmp/x,server=on,wait=off', '-qtest unix:/tmp/x,server=on,wait=off: server sockets are not supported; iommu-model connects to a listening socket');
  fails('-machine q35 -qtest unix:', '-qtest unix:: missing socket path');
  fails('-machine q35 -qtest chardev:nope', "-qtest chardev:nope: chardev 'nope' not found");
  fails('-machine q35 -chardev socket,path=/tmp/x', "-chardev socket,path=/tmp/x: Parameter 'id' is missing");
  fails('-machine q35 -chardev pty,id=a', "-chardev pty,id=a: unsupported chardev backend 'pty' (use socket or stdio)");
  fails('-machine q35 -chardev socket,id=a,path=/x,server=on', '-chardev socket,id=a,path=/x,server=on: server sockets are not supported; iommu-model connects to a listening socket');
  fails('-machine q35 -chardev socket,id=a,path=/x -chardev stdio,id=a', "-chardev: attempt to add duplicate property 'a'");
  fails('-machine q35 -chardev socket,id=a,path=/x -mon chardev=a', '-mon chardev=a: only mode=control (QMP) is supported; the human monitor is not');
  fails('-machine q35 -mon chardev=zz,mode=control', "-mon chardev=zz: chardev 'zz' not found");
  fails('-machine q35 -chardev stdio,id=m -mon chardev=m,mode=control', 'stdio cannot carry both the qtest protocol and QMP');
  fails('-machine q35 edu', 'edu: unexpected argument (QEMU-style options expected)');
});

test.run();

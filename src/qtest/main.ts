// `iommu-model qtest ...`: a QEMU-compatible qtest server. Parses QEMU's command line,
// builds the machine, then serves the qtest protocol (and QMP when asked) until the qtest
// channel closes, QMP "quit" arrives, or SIGTERM/SIGINT/SIGHUP (libqtest's qtest_quit()
// sends SIGTERM and requires exit status 0, as QEMU gives).
//
// Differences from QEMU, on purpose: when the qtest channel reaches end of file the
// process exits with status 0 (QEMU 7.2 keeps running with nobody to talk to), and there
// is no vCPU, so every accelerator option means "qtest".

import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { MachineConfig, QtestMachine } from '../platform/machine-types.ts';
import { CommandLineError, parseQtestCommandLine, type QtestChannel } from './cmdline.ts';
import { QtestProtocol } from './protocol.ts';
import { QmpResponder } from './qmp.ts';
import { connectUnix, pump, socketChannel, stdioChannel, writerFor, type Channel } from './server.ts';

export interface QtestStdio {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Whether to end the session on SIGTERM/SIGINT/SIGHUP (default true; tests turn it off). */
  handleSignals?: boolean;
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Run a qtest session. Resolves with the process exit status: 0 after a normal end,
 * 1 after a command-line, machine-creation or connection error (reported on stderr as
 * "iommu-model: <message>"). The caller exits with it, e.g.
 * `process.exit(await runQtest(argv, createMachine))`.
 */
export async function runQtest(
  argv: readonly string[],
  createMachine: (c: MachineConfig) => QtestMachine,
  stdio: QtestStdio = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const fail = (message: string): number => {
    stdio.stderr.write(`iommu-model: ${message}\n`);
    return 1;
  };

  let cmdline;
  try {
    cmdline = parseQtestCommandLine(argv);
  } catch (e) {
    if (e instanceof CommandLineError) return fail(e.message);
    throw e;
  }

  let machine: QtestMachine;
  try {
    machine = createMachine(cmdline.config);
  } catch (e) {
    // The machine factory reports configuration mistakes (unknown -device, bad property) as Errors.
    return fail(e instanceof Error ? e.message : String(e));
  }

  let logFd: number | null = null;
  let log: ((text: string) => void) | undefined;
  if (cmdline.log === undefined) {
    log = (text) => stdio.stderr.write(text);
  } else if (cmdline.log !== 'none') {
    try {
      logFd = fs.openSync(cmdline.log, 'w+');
    } catch (e) {
      return fail(`-qtest-log ${cmdline.log}: ${(e as Error).message}`);
    }
    const fd = logFd;
    log = (text) => fs.writeSync(fd, text, null, 'latin1');
  }

  const open = async (option: string, spec: QtestChannel): Promise<Channel> => {
    if (spec.kind === 'stdio') return stdioChannel(stdio.stdin, stdio.stdout);
    try {
      return socketChannel(await connectUnix(spec.path));
    } catch (e) {
      throw new CommandLineError(`${option} unix:${spec.path}: ${(e as Error).message}`);
    }
  };

  const channels: Channel[] = [];
  let qtestChannel: Channel;
  let qmpChannel: Channel | undefined;
  try {
    // QEMU opens chardevs (the QMP one) before the qtest server; libqtest accepts in the
    // other order, which is fine since both sockets are already listening.
    if (cmdline.qmp) channels.push((qmpChannel = await open('-mon', cmdline.qmp)));
    channels.push((qtestChannel = await open('-qtest', cmdline.qtest)));
  } catch (e) {
    channels.forEach((c) => c.close());
    if (logFd !== null) fs.closeSync(logFd);
    if (e instanceof CommandLineError) return fail(e.message);
    throw e;
  }

  const protocol = new QtestProtocol(machine, writerFor(qtestChannel.output), {
    log: log && ((text) => log!(text)),
  });

  return new Promise<number>((resolve) => {
    let finished = false;
    const onSignal = (): void => finish(0);
    const finish = (status: number): void => {
      if (finished) return;
      finished = true;
      if (stdio.handleSignals !== false) SIGNALS.forEach((s) => process.off(s, onSignal));
      protocol.closed();
      const outputs = channels.map((c) => c.output);
      channels.forEach((c) => c.close());
      if (logFd !== null) fs.closeSync(logFd);
      // Let what was written reach the pipe before the caller exits.
      Promise.all(
        outputs.map((o) => new Promise<void>((r) => (o.destroyed || o.writableEnded ? r() : o.write('', () => r())))),
      ).then(() => resolve(status));
    };
    if (stdio.handleSignals !== false) SIGNALS.forEach((s) => process.on(s, onSignal));

    if (qmpChannel) {
      const qmpOut = qmpChannel.output;
      const qmp = new QmpResponder(
        writerFor(qmpOut),
        { quit: () => qmpOut.write('', () => finish(0)) },
        // Event time stamps follow the virtual clock (deterministic), as the qtest log does.
        () => protocol.virtualClockNs,
        cmdline.startStopped,
      );
      // The QMP channel closing does not end the session (QEMU keeps running too).
      void pump({ opened: () => qmp.greet(), feed: (c) => qmp.feed(c), closed: () => {} }, qmpChannel.input);
    }
    void pump(protocol, qtestChannel.input).then(() => finish(0));
  });
}

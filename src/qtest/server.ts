// Transports for the qtest protocol and QMP: stdio, or a unix socket that iommu-model
// *connects* to (QEMU's "-qtest unix:PATH" is a client socket; libqtest listens). Bytes are
// handled as latin1 so every byte maps to one character and nothing is re-encoded: a reply
// echoes exactly the bytes of the request it quotes. Input is processed strictly in arrival
// order and replies are written in the order they are produced.

import net from 'node:net';
import type { Readable, Writable } from 'node:stream';

/** What a transport drives: QtestProtocol and QmpResponder both fit. */
export interface StreamConsumer {
  opened(): void;
  feed(chunk: string): void;
  closed(): void;
}

/** A connected channel: where requests come from and replies go. */
export interface Channel {
  readonly input: Readable;
  readonly output: Writable;
  /** Release the channel (a socket is closed; stdio is only detached). */
  close(): void;
}

/** Writes text to `output` byte for byte; silently drops it once the stream is gone (a client that hung up). */
export function writerFor(output: Writable): (text: string) => void {
  return (text) => {
    if (output.destroyed || output.writableEnded) return;
    output.write(Buffer.from(text, 'latin1'));
  };
}

/**
 * Feed everything `input` delivers to `consumer` until the input ends, then tell it the
 * channel closed. Resolves at that point. A reset connection counts as a close.
 */
export function pump(consumer: StreamConsumer, input: Readable): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      input.off('data', onData);
      consumer.closed();
      resolve();
    };
    const onData = (chunk: Buffer | string): void => {
      consumer.feed(typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    };
    consumer.opened();
    input.on('data', onData);
    input.once('end', finish);
    input.once('close', finish);
    input.once('error', finish);
  });
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ECONNREFUSED: 'Connection refused',
  EACCES: 'Permission denied',
  ENOTSOCK: 'Socket operation on non-socket',
  ENAMETOOLONG: 'File name too long',
};

/** Connect to a listening unix socket. Rejects with an Error worded like QEMU's. */
export function connectUnix(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    const onError = (err: NodeJS.ErrnoException): void => {
      const reason = (err.code && STRERROR[err.code]) ?? err.message;
      reject(new Error(`Failed to connect to '${path}': ${reason}`));
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      sock.off('error', onError);
      // Errors after the connection exists (a peer reset) end the session through 'close'.
      sock.on('error', () => {});
      resolve(sock);
    });
  });
}

/** A channel over a connected socket. */
export function socketChannel(sock: net.Socket): Channel {
  return { input: sock, output: sock, close: () => sock.destroy() };
}

/** A channel over the process's (or a test's) standard streams; closing only detaches. */
export function stdioChannel(input: Readable, output: Writable): Channel {
  return {
    input,
    output,
    close: () => {
      input.pause();
      // process.stdin must not keep the process alive once the session is over.
      (input as Readable & { unref?: () => void }).unref?.();
    },
  };
}

// Helpers for the versioned snapshots every model produces.
import type { SnapshotData } from './types.ts';

/** Checks that `data` is a snapshot of `type` at `version`; throws a message naming the mismatch. */
export function expectSnapshot(data: SnapshotData, type: string, version: number): unknown {
  if (data === null || typeof data !== 'object') throw new TypeError(`restore(${type}): expected a snapshot object, got ${data === null ? 'null' : typeof data}`);
  if (data.type !== type) throw new Error(`restore(${type}): snapshot is of type "${String(data.type)}"`);
  if (data.version !== version) throw new Error(`restore(${type}): snapshot version ${String(data.version)} is not supported (expected ${version})`);
  return data.state;
}

/** Encodes bytes for a JSON snapshot. */
export function bytesToBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

export function base64ToBytes(s: string, expectedLength?: number): Uint8Array {
  const b = new Uint8Array(Buffer.from(s, 'base64'));
  if (expectedLength !== undefined && b.length !== expectedLength) {
    throw new Error(`snapshot: expected ${expectedLength} bytes, got ${b.length}`);
  }
  return b;
}

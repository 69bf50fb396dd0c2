// Guest RAM backings. The default lives in the WASM core's linear memory so the table
// walker reads it with plain loads; the alternative reaches embedder-owned memory through
// callbacks, for RAM that cannot live inside our module.
import { Core } from '../core/core.ts';

/** A block of RAM, addressed by offsets from its start. */
export interface GuestRam {
  readonly name: string;
  readonly size: number;
  /** True when `view()` gives direct access to the bytes (fast paths use it). */
  readonly direct: boolean;
  /** The bytes of this RAM block; for callback RAM, throws (use read/write). */
  view(): Uint8Array;
  read(offset: number, dst: Uint8Array): void;
  write(offset: number, src: Uint8Array): void;
  /** The core whose linear memory holds this RAM, when it does (the walker needs it). */
  readonly core: Core | null;
  /** Offset of byte 0 of this RAM inside the core's linear memory (valid when core !== null). */
  readonly coreOffset: number;
}

/** RAM carved out of the WASM core's linear memory (zero-copy for walker and embedder). */
export class WasmRam implements GuestRam {
  readonly direct = true;
  readonly coreOffset: number;
  private cached: Uint8Array | null = null;
  private cachedBuffer: ArrayBufferLike | null = null;

  constructor(readonly core: Core, readonly size: number, readonly name = 'ram') {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`WasmRam: size must be a positive integer, got ${size}`);
    this.coreOffset = core.alloc(size);
  }

  /**
   * The RAM bytes, valid until the core's memory grows again (allocating more RAM in the
   * same core). Machines allocate all RAM when they are built, so a view taken after
   * construction stays valid.
   */
  view(): Uint8Array {
    const all = this.core.bytes();
    if (this.cached === null || this.cachedBuffer !== all.buffer) {
      this.cached = all.subarray(this.coreOffset, this.coreOffset + this.size);
      this.cachedBuffer = all.buffer;
    }
    return this.cached;
  }

  read(offset: number, dst: Uint8Array): void {
    dst.set(this.view().subarray(offset, offset + dst.length));
  }

  write(offset: number, src: Uint8Array): void {
    this.view().set(src, offset);
  }
}

/** Callbacks through which embedder-owned RAM is reached. */
export interface RamCallbacks {
  read(offset: number, dst: Uint8Array): void;
  write(offset: number, src: Uint8Array): void;
}

/** RAM owned by the embedder; every access goes through its callbacks. */
export class CallbackRam implements GuestRam {
  readonly direct = false;
  readonly core = null;
  readonly coreOffset = -1;

  constructor(readonly size: number, private readonly cb: RamCallbacks, readonly name = 'ram') {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`CallbackRam: size must be a positive integer, got ${size}`);
    if (typeof cb?.read !== 'function' || typeof cb?.write !== 'function') {
      throw new TypeError('CallbackRam: callbacks must provide read(offset, dst) and write(offset, src)');
    }
  }

  view(): Uint8Array {
    throw new Error(`CallbackRam "${this.name}": its bytes live in the embedder; use read()/write()`);
  }

  read(offset: number, dst: Uint8Array): void {
    this.cb.read(offset, dst);
  }

  write(offset: number, src: Uint8Array): void {
    this.cb.write(offset, src);
  }
}

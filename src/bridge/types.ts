// The contract between the models and an embedding emulator.
//
// Addresses are plain numbers: every physical address these machines can produce
// (at most 52 bits) is exact in a double, and numbers keep the hot paths free of BigInt.
// Values of 1, 2 and 4 bytes are unsigned numbers; 8-byte values are bigint at the
// public edge (exact 64-bit), and devices may implement them natively or let the
// address space split them into two little-endian 4-byte halves.

/** Size in bytes of one MMIO / port access. */
export type AccessSize = 1 | 2 | 4 | 8;

/** Outcome of a memory transaction, mirroring QEMU's MemTxResult. */
export enum MemTx {
  OK = 0,
  /** Nothing answered at this address (master abort). */
  DECODE_ERROR = 1,
  /** The target or an IOMMU in the path rejected the access. */
  ERROR = 2,
}

/**
 * A device's register window. Offsets are relative to the start of the region.
 * `read`/`write` see only 1-, 2- and 4-byte accesses; an 8-byte access calls
 * `read64`/`write64` when present, otherwise it becomes two 4-byte accesses, low half
 * first (which is how a 64-bit register written as two halves behaves anyway).
 */
export interface MmioHandler {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
  read64?(offset: number): bigint;
  write64?(offset: number, value: bigint): void;
}

/** Description of an MMIO (or port I/O) region to map into an AddressSpace. */
export interface MmioRegionSpec {
  /** Used in traces and error messages, e.g. "smmuv3", "edu.bar0". */
  readonly name: string;
  readonly size: number;
  readonly handler: MmioHandler;
  /**
   * Access sizes the device decodes, as a bit mask of sizes (bit 1=1 byte, 2=2 bytes,
   * 4=4 bytes, 8=8 bytes). Default: all four. An access of another size is not
   * delivered: it reads as `invalidRead` and the write is dropped, both traced.
   */
  readonly validSizes?: number;
  /**
   * Whether accesses not aligned to their size are delivered (default false: a misaligned
   * access is rejected like a wrong size). For QEMU's exact splitting of oversized and
   * misaligned accesses into valid pieces, wrap the handler with qemuRegionHandler()
   * (src/bridge/qemu-access.ts) and map it with all sizes valid and `unaligned: true`.
   */
  readonly unaligned?: boolean;
  /** Value of a rejected-size read (default 0, as QEMU's unassigned_mem_read). */
  readonly invalidRead?: 'zero' | 'ones';
}

/** Direction of a DMA or translation request. */
export enum Access {
  READ = 1,
  WRITE = 2,
  EXEC = 4,
}

/**
 * Who issues a DMA: a PCI function (segment, bus, devfn) or a platform master. The IOMMU
 * models derive their own identifiers from it: VT-d source-id = requesterId, SMMUv3
 * StreamID = requesterId (on the virt machine), ITS/DART device IDs likewise.
 */
export interface DmaRequester {
  /** Human-readable name for traces ("edu@00:04.0"). */
  readonly name: string;
  /** PCI segment (domain), 0 on every machine modelled so far. */
  readonly segment: number;
  /** 16-bit PCI requester ID, bus << 8 | devfn (after DMA aliasing where the topology applies it). */
  readonly requesterId: number;
  /** Stream/device ID for non-PCI IOMMUs; equals requesterId for PCI functions. */
  readonly streamId: number;
}

/** A translation request as the IOMMU models will see it. */
export interface TranslateRequest {
  readonly requester: DmaRequester;
  readonly iova: number;
  readonly access: Access;
  readonly pasid?: number;
  readonly privileged?: boolean;
}

/** Result of a successful translation. */
export interface TranslateOk {
  readonly ok: true;
  readonly pa: number;
  /** Access bits granted (Access flags). */
  readonly perm: number;
  /** Size in bytes of the translated page (translation valid for the whole aligned page). */
  readonly pageSize: number;
}

/** A translation failure: the model has already recorded the architected fault. */
export interface TranslateFault {
  readonly ok: false;
  /** Architected fault name, e.g. "F_TRANSLATION" or "VTD_FR_PAGING_ENTRY_RSVD". */
  readonly fault: string;
  /** Extra architected detail the model chose to expose (level, stage, record address). */
  readonly detail?: Readonly<Record<string, number | string | boolean>>;
}

export type TranslateResult = TranslateOk | TranslateFault;

/** Anything that can stand between a DMA master and memory (an IOMMU). */
export interface DmaTranslator {
  translate(req: TranslateRequest): TranslateResult;
}

/** Embedder callback for a wired interrupt line. */
export type IrqCallback = (line: number, level: boolean) => void;
/** Embedder callback for a message-signalled interrupt (address is exact up to 2^53). */
export type MsiCallback = (address: number, data: number, requester: DmaRequester | null) => void;

/** One traced event; `kind` names its family, the rest is event-specific plain data. */
export interface TraceEvent {
  readonly kind: string;
  readonly source: string;
  readonly [key: string]: unknown;
}
export type TraceHook = (event: TraceEvent) => void;

/** Versioned, JSON-serialisable state of one model. */
export interface SnapshotData {
  readonly type: string;
  readonly version: number;
  readonly state: unknown;
}

/** Implemented by every device model, so an emulator can save and migrate. */
export interface Snapshottable {
  snapshot(): SnapshotData;
  /** Throws an Error naming the mismatch if `data` is not this model's type/version. */
  restore(data: SnapshotData): void;
}

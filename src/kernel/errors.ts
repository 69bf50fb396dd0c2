// Linux errno values and the typed error the kernel layer's public API throws. Driver callbacks
// follow the kernel contract instead: they return 0 or a negative errno (see iommu/types.ts).

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EOVERFLOW: 75,
  EPROBE_DEFER: 517,
} as const;
export type ErrnoName = keyof typeof ERRNO;

const BY_NUMBER = new Map<number, ErrnoName>(Object.entries(ERRNO).map(([k, v]) => [v, k as ErrnoName]));

/** The errno name of a (positive or negative) errno number, or `E<n>` when unknown. */
export function errnoName(n: number): string {
  return BY_NUMBER.get(Math.abs(n)) ?? `E${Math.abs(n)}`;
}

/**
 * A Linux error, as the kernel layer's public functions report it: `err.errno` is the name
 * ('EBUSY'), `err.code` the positive number (16), `err.fn` the Linux function that failed.
 */
export class KernelError extends Error {
  readonly code: number;
  constructor(
    readonly errno: ErrnoName | string,
    readonly fn: string,
    detail: string,
  ) {
    super(`${fn}: -${errno}: ${detail}`);
    this.name = 'KernelError';
    this.code = (ERRNO as Record<string, number>)[errno] ?? 0;
  }
}

/** Throws a KernelError for a negative return value `ret`; returns `ret` otherwise. */
export function check(ret: number, fn: string, detail: string): number {
  if (ret < 0) throw new KernelError(errnoName(ret), fn, detail);
  return ret;
}

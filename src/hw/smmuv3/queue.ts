// SMMUv3 circular-queue pointers (smmuv3.md e.3): a queue of 2^N entries has pointers whose
// bits [N-1:0] are the index and bit N the wrap flag; empty = equal, full = same index with
// different wrap. Bits above N (OVFLG, ERR) are not part of the pointer.

/** The pointer value (index + wrap) of a register value, for a queue of 2^log2 entries. */
export function qptr(reg: number, log2: number): number {
  return reg & ((2 << log2) - 1);
}
export function qindex(ptr: number, log2: number): number {
  return ptr & ((1 << log2) - 1);
}
export function qwrap(ptr: number, log2: number): number {
  return (ptr >>> log2) & 1;
}
export function qempty(prod: number, cons: number, log2: number): boolean {
  return qptr(prod, log2) === qptr(cons, log2);
}
export function qfull(prod: number, cons: number, log2: number): boolean {
  return qindex(prod, log2) === qindex(cons, log2) && qwrap(prod, log2) !== qwrap(cons, log2);
}
/** ptr + 1 modulo 2^(log2 + 1). */
export function qinc(ptr: number, log2: number): number {
  return (qptr(ptr, log2) + 1) & ((2 << log2) - 1);
}

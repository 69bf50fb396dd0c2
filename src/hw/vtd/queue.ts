// The invalidation queue (vtd.md 4.1, 4.5): IQA gives the ring (4 KiB * 2^QS, 128- or 256-bit
// descriptors), software moves IQT, hardware consumes from IQH and advances it past each valid
// descriptor. An error stops processing with IQH on the failing descriptor.
import * as R from '../../regs/generated/vtd.ts';
import { MemTx } from '../../bridge/types.ts';
import type { AddressSpace } from '../../bridge/address-space.ts';
import type { RegisterFile } from '../../regs/register-file.ts';
import type { VtdFeatures } from './features.ts';
import { executeDescriptor, type InvalidationTarget } from './invalidation.ts';
import { aboveHaw, toWords } from './fields.ts';

/** IQH/IQT hold the descriptor index << 4 (128-bit) or << 5 (256-bit). */
const QI_INDEX_SHIFT = R.VTD_IQT_QT_SHIFT;
/** The queue is 4 KiB * 2^QS: 2^(QS + 8) 128-bit descriptors. */
const QI_MIN_ENTRIES_LOG2 = 8;
const DESC_BYTES = 16;

/**
 * Runs the descriptors from IQH up to IQT. Returns IQEI_NONE when the queue is empty, else the
 * IQERCD.IQEI code of the error that stopped it (IQH left on the failing descriptor).
 */
export function runQueue(
  regs: RegisterFile, memory: AddressSpace, f: Readonly<VtdFeatures>, target: InvalidationTarget,
  traced?: (index: number, type: number, error: number) => void,
): number {
  const iqa = regs.get64('IQA');
  // DW = 1 (256-bit) exists only with scalable-mode support (it reads 0 otherwise).
  const dw = f.scalableMode && (iqa & R.VTD_IQA_DW_MASK) !== 0n ? 1 : 0;
  const entries = 2 ** (Number(iqa & R.VTD_IQA_QS_MASK) + QI_MIN_ENTRIES_LOG2 - dw);
  const base = Number(iqa & R.VTD_IQA_IQA_MASK & ~aboveHaw(f.awBits));
  const size = DESC_BYTES << dw;
  const iqt = regs.get64('IQT') & R.VTD_IQT_QT_MASK;
  // A 256-bit queue indexes in 32-byte steps: IQT bit 4 set is a misaligned tail.
  if (dw === 1 && (iqt & (1n << BigInt(QI_INDEX_SHIFT))) !== 0n) return R.VTD_IQERCD_IQEI_TAIL_MISALIGNED;
  const tail = Number(iqt >> BigInt(QI_INDEX_SHIFT + dw));
  if (tail >= entries) return R.VTD_IQERCD_IQEI_TAIL_INVALID;
  let head = Number((regs.get64('IQH') & R.VTD_IQH_QH_MASK) >> BigInt(QI_INDEX_SHIFT + dw)) % entries;
  while (head !== tail) {
    const b = new Uint8Array(size);
    if (memory.readBytes(base + head * size, b) !== MemTx.OK) return R.VTD_IQERCD_IQEI_FETCH_ERROR;
    const words = toWords(b, size / 8);
    const err = executeDescriptor(target, words);
    traced?.(head, Number(words[0]! & R.VTD_INV_DESC_TYPE_MASK), err);
    if (err !== R.VTD_IQERCD_IQEI_NONE) return err;
    head = (head + 1) % entries;
    regs.set64('IQH', BigInt(head) << BigInt(QI_INDEX_SHIFT + dw));
  }
  return R.VTD_IQERCD_IQEI_NONE;
}

// The stream table in guest memory (smmuv3.md b.1, h.1 step 5; arm_smmu_init_strtab_{linear,2lvl},
// arm_smmu_init_l2_strtab): linear when the SMMU has no 2-level support or SIDSIZE <= SPLIT,
// else an L1 table of descriptors (at most 2^17) with 256-STE L2 tables allocated when a stream
// first appears, filled with the initial STE, and published by writing the L1 descriptor
// (SPAN = SPLIT + 1).
import type { AddressSpace } from '../../../bridge/address-space.ts';
import * as R from '../../../regs/generated/smmuv3.ts';
import { ERRNO } from '../../errors.ts';
import type { DmaPool } from './dma-pool.ts';
import { STRTAB_SPLIT, type SmmuFeatures } from './features.ts';
import { set, setAddr, words } from './fields.ts';
import { STE_QWORDS } from './ste.ts';

/** STRTAB_L1_SZ_SHIFT (1 MiB of L1 descriptors at most) minus log2(8-byte descriptor). */
const STRTAB_L1_MAX_SHIFT = 20 - 3;
const STE_BYTES = STE_QWORDS * 8;

export class StreamTable {
  readonly twoLevel: boolean;
  /** Table (linear) or L1 table (2-level) address. */
  readonly base: number;
  /** STRTAB_BASE_CFG value. */
  readonly cfg: number;
  /** Number of STEs (linear) or L1 descriptors (2-level). */
  readonly numEnts: number;
  private readonly l2 = new Map<number, number>();

  private constructor(
    private readonly memory: AddressSpace,
    private readonly pool: DmaPool,
    private readonly initialSte: readonly bigint[],
    twoLevel: boolean, base: number, cfg: number, numEnts: number,
  ) {
    this.twoLevel = twoLevel;
    this.base = base;
    this.cfg = cfg;
    this.numEnts = numEnts;
  }

  /** arm_smmu_init_strtab: -ENOMEM when the table cannot be allocated. */
  static create(memory: AddressSpace, pool: DmaPool, f: SmmuFeatures, initialSte: readonly bigint[], log: (m: string) => void): StreamTable | number {
    if (f.twoLvlStrtab) {
      let size = Math.min(STRTAB_L1_MAX_SHIFT, f.sidBits - STRTAB_SPLIT);
      const numEnts = 2 ** size;
      size += STRTAB_SPLIT;
      if (size < f.sidBits) log(`2-level strtab only covers ${size}/${f.sidBits} bits of SID`);
      const base = pool.alloc(numEnts * 8);
      if (base < 0) {
        log(`failed to allocate l1 stream table (${numEnts * 8} bytes)`);
        return -ERRNO.ENOMEM;
      }
      const cfg = (R.SMMU_STRTAB_BASE_CFG_FMT_TWO_LEVEL << R.SMMU_STRTAB_BASE_CFG_FMT_SHIFT) |
        (size << R.SMMU_STRTAB_BASE_CFG_LOG2SIZE_SHIFT) | (STRTAB_SPLIT << R.SMMU_STRTAB_BASE_CFG_SPLIT_SHIFT);
      return new StreamTable(memory, pool, initialSte, true, base, cfg, numEnts);
    }
    const numEnts = 2 ** f.sidBits;
    const base = pool.alloc(numEnts * STE_BYTES);
    if (base < 0) {
      log(`failed to allocate linear stream table (${numEnts * STE_BYTES} bytes)`);
      return -ERRNO.ENOMEM;
    }
    const t = new StreamTable(memory, pool, initialSte, false, base, (R.SMMU_STRTAB_BASE_CFG_FMT_LINEAR << R.SMMU_STRTAB_BASE_CFG_FMT_SHIFT) | (f.sidBits << R.SMMU_STRTAB_BASE_CFG_LOG2SIZE_SHIFT), numEnts);
    t.fill(base, numEnts);
    return t;
  }

  /** STRTAB_BASE: address with the read-allocate hint. */
  get strtabBase(): bigint {
    return (BigInt(this.base) & R.SMMU_STRTAB_BASE_ADDR_MASK) | R.SMMU_STRTAB_BASE_RA_MASK;
  }

  private fill(at: number, n: number): void {
    for (let i = 0; i < n; i++) for (let q = 0; q < STE_QWORDS; q++) if (this.initialSte[q] !== 0n) this.memory.write64(at + i * STE_BYTES + q * 8, this.initialSte[q]!);
  }

  /** arm_smmu_init_sid_strtab: makes sure `sid` has an STE (allocating its L2 table); 0 or -ENOMEM. */
  initSid(sid: number): number {
    if (!this.twoLevel) return 0;
    const l1 = Math.floor(sid / 2 ** STRTAB_SPLIT);
    if (this.l2.has(l1)) return 0;
    const n = 2 ** STRTAB_SPLIT;
    const l2 = this.pool.alloc(n * STE_BYTES);
    if (l2 < 0) return -ERRNO.ENOMEM;
    this.fill(l2, n);
    this.l2.set(l1, l2);
    // The STEs are initialised before the descriptor makes them reachable.
    const d = words(1);
    set(d, 'L1STD', 'SPAN', STRTAB_SPLIT + 1);
    setAddr(d, 'L1STD', 'L2PTR', l2);
    this.memory.write64(this.base + l1 * 8, d[0]!);
    return 0;
  }

  /** Guest-physical address of the STE of `sid` (after initSid). */
  steAddr(sid: number): number {
    if (!this.twoLevel) return this.base + sid * STE_BYTES;
    const l2 = this.l2.get(Math.floor(sid / 2 ** STRTAB_SPLIT));
    if (l2 === undefined) throw new Error(`arm-smmu-v3: no L2 stream table for SID 0x${sid.toString(16)}`);
    return l2 + (sid % 2 ** STRTAB_SPLIT) * STE_BYTES;
  }
}

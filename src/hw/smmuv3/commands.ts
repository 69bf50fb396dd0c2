// SMMUv3 command execution (smmuv3.md c.1-c.3). Each command takes effect before the queue
// moves past it, so a CMD_SYNC completes at once: every earlier command has completed.
//
// Legality choices (tested in test/hw/smmuv3/commands.test.ts), following the spec's rule that
// a command for a feature the SMMU does not implement is CERROR_ILL:
// * TLBI_NH_* need stage 1; TLBI_S12_VMALL / TLBI_S2_IPA need stage 2 (QEMU 7.2 ignores them);
//   TLBI_EL2_* need IDR0.HYP and TLBI_EL3_* a secure SMMU (neither modelled); ATC_INV needs ATS
//   and PRI_RESP needs PRI (QEMU ignores all of these).
// * SSEC = 1 on the non-secure queue is CERROR_ILL (QEMU does this for CFGI_*).
// * CMD_RESUME / CMD_STALL_TERM are CERROR_ILL: no stalls (IDR0.STALL_MODEL = 0b01; IHI 0070
//   4.7.1-4.7.2). QEMU ignores them.
// (The rules above are the spec's, IHI 0070 4.4.2-4.7: an implementation lacking the feature
// raises CERROR_ILL.)
// * Without stage 2, VMID fields are ignored: every entry is tagged VMID 0.
import * as R from '../../regs/generated/smmuv3.ts';
import type { Smmuv3 } from './smmuv3.ts';
import { fld, fldn } from './fields.ts';

export interface CommandOutcome {
  /** CERROR_* code when the command failed (1 ILL, 2 ABT, 3 ATC_INV_SYNC). */
  error?: number;
}

const ILL = { error: 1 } as const;
const OK: CommandOutcome = {};

function tlbiFields(w: readonly bigint[]) {
  return {
    leaf: fld(w, 'CMD_TLBI', 'LEAF') !== 0n,
    ttl: fldn(w, 'CMD_TLBI', 'TTL'),
    tg: fldn(w, 'CMD_TLBI', 'TG'),
    num: fldn(w, 'CMD_TLBI', 'NUM'),
    scale: fldn(w, 'CMD_TLBI', 'SCALE'),
  };
}

/** Executes one command (two doublewords) on `smmu`. */
export function executeCommand(smmu: Smmuv3, w: readonly bigint[]): CommandOutcome {
  const f = smmu.features;
  const op = fldn(w, 'CMD', 'OPCODE');
  const tlb = smmu.iotlb;
  const vmidOf = () => (f.stage2 ? fldn(w, 'CMD_TLBI', 'VMID') : 0);
  const addr = () => fld(w, 'CMD_TLBI', 'ADDR') << 12n;
  const ssec = () => fld(w, 'CMD', 'SSEC') !== 0n;
  switch (op) {
    case R.SMMU_CMD_OP_PREFETCH_CONFIG:
    case R.SMMU_CMD_OP_PREFETCH_ADDR:
      return OK; // hints: no architectural effect
    case R.SMMU_CMD_OP_CFGI_STE: {
      if (ssec()) return ILL;
      const sid = fldn(w, 'CMD_CFGI', 'SID');
      smmu.invalidateStreams(sid, sid);
      return OK;
    }
    case R.SMMU_CMD_OP_CFGI_STE_RANGE: {
      if (ssec()) return ILL;
      const range = fldn(w, 'CMD_CFGI_RANGE', 'RANGE');
      if (range === R.SMMU_CMD_CFGI_RANGE_RANGE_ALL) smmu.invalidateStreams(0, 2 ** 32 - 1); // CMD_CFGI_ALL
      else {
        const span = 2 ** (range + 1);
        const first = Math.floor(fldn(w, 'CMD_CFGI_RANGE', 'SID') / span) * span;
        smmu.invalidateStreams(first, first + span - 1);
      }
      return OK;
    }
    case R.SMMU_CMD_OP_CFGI_CD: {
      if (ssec()) return ILL;
      smmu.invalidateCds(fldn(w, 'CMD_CFGI', 'SID'), fldn(w, 'CMD_CFGI', 'SSID'));
      return OK;
    }
    case R.SMMU_CMD_OP_CFGI_CD_ALL:
      if (ssec()) return ILL;
      smmu.invalidateCds(fldn(w, 'CMD_CFGI', 'SID'));
      return OK;
    case R.SMMU_CMD_OP_TLBI_NH_ALL:
      if (!f.stage1) return ILL;
      tlb.tlbiNhAll(vmidOf());
      return OK;
    case R.SMMU_CMD_OP_TLBI_NH_ASID:
      if (!f.stage1) return ILL;
      tlb.tlbiNhAsid(vmidOf(), fldn(w, 'CMD_TLBI', 'ASID'));
      return OK;
    case R.SMMU_CMD_OP_TLBI_NH_VA:
      if (!f.stage1) return ILL;
      tlb.tlbiNhVa(vmidOf(), fldn(w, 'CMD_TLBI', 'ASID'), addr(), tlbiFields(w));
      return OK;
    case R.SMMU_CMD_OP_TLBI_NH_VAA:
      if (!f.stage1) return ILL;
      tlb.tlbiNhVaa(vmidOf(), addr(), tlbiFields(w));
      return OK;
    case R.SMMU_CMD_OP_TLBI_S12_VMALL:
      if (!f.stage2) return ILL;
      tlb.tlbiS12Vmall(vmidOf());
      return OK;
    case R.SMMU_CMD_OP_TLBI_S2_IPA:
      if (!f.stage2) return ILL;
      tlb.tlbiS2Ipa(vmidOf(), addr() & 0x000f_ffff_ffff_f000n, tlbiFields(w));
      return OK;
    case R.SMMU_CMD_OP_TLBI_NSNH_ALL:
      tlb.tlbiNsnhAll();
      return OK;
    case R.SMMU_CMD_OP_ATC_INV:
      // No endpoint ATC is modelled: the invalidation completes at once.
      return f.ats ? OK : ILL;
    case R.SMMU_CMD_OP_PRI_RESP:
      return f.pri ? OK : ILL;
    case R.SMMU_CMD_OP_SYNC: {
      const cs = fldn(w, 'CMD_SYNC', 'CS');
      if (cs === 3) return ILL; // reserved completion signal
      smmu.syncSignal(cs, Number(fld(w, 'CMD_SYNC', 'MSIADDR') << 2n), fldn(w, 'CMD_SYNC', 'MSIDATA'));
      return OK;
    }
    default:
      // Unknown opcodes, TLBI_EL2_* (no HYP), TLBI_EL3_* (no secure side), CFGI_VMS_PIDM (no MPAM),
      // RESUME / STALL_TERM (no stalls).
      return ILL;
  }
}

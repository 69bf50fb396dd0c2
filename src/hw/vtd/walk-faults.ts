// Which legacy fault reason a failed second-stage walk gives (vtd.md 3.3, 5.1; the mapping is
// also documented in assembly/formats/vtd-ss.ts).
import * as R from '../../regs/generated/vtd.ts';
import * as A from '../../core/walk-abi.ts';

/**
 * `status`/`reason`/`level` are the walk's (Translator.outcome()); `levels` is the table's
 * depth (AW + 2), so a fetch error at that level is a bad table pointer in the context entry.
 */
export function walkFaultReason(status: number, reason: number, level: number, levels: number, write: boolean): number {
  if (status === A.ST_EXT_ABORT) return level >= levels ? R.VTD_FR_CONTEXT_ENTRY_INV : R.VTD_FR_PAGING_ENTRY_INV;
  if (reason === A.R_INPUT_RANGE) return R.VTD_FR_ADDR_BEYOND_MGAW;
  if (reason === A.R_RESERVED) return R.VTD_FR_PAGING_ENTRY_RSVD;
  if (reason === A.R_PERM_WRITE) return R.VTD_FR_WRITE;
  if (reason === A.R_PERM_READ || reason === A.R_PERM_EXEC) return R.VTD_FR_READ;
  // Not present (R = W = 0): the request's own permission is what is missing.
  return write ? R.VTD_FR_WRITE : R.VTD_FR_READ;
}

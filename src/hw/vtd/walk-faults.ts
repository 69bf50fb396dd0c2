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

/**
 * Scalable-mode reasons (vtd.md 5.2): second-stage lookup errors SSL.x (0x78-0x7B), first-stage
 * lookup errors SFL.x (0x70-0x73, 0x91), and the general checks SGN.x on the final permissions
 * (0x81 user, 0x82 execute, 0x83 input beyond the width, 0x85 write, 0x86 read).
 */
export function scalableWalkFaultReason(status: number, reason: number, level: number, levels: number, stage: number): number {
  const top = level >= levels;
  if (stage === 2) {
    if (status === A.ST_EXT_ABORT) return top ? R.VTD_FR_SM_SS_ROOT : R.VTD_FR_SM_SS_READ;
    if (reason === A.R_INPUT_RANGE) return R.VTD_FR_SM_ADDR_BEYOND_MAX;
    if (reason === A.R_RESERVED) return R.VTD_FR_SM_SS_RSVD;
    if (reason === A.R_INVALID) return R.VTD_FR_SM_SS_PERM;
  } else {
    if (reason === A.R_UPDATE_ABORT) return R.VTD_FR_SM_FS_AD_FAILED;
    if (status === A.ST_EXT_ABORT) return top ? R.VTD_FR_SM_FS_ROOT : R.VTD_FR_SM_FS_READ;
    if (reason === A.R_INPUT_RANGE) return R.VTD_FR_SM_NON_CANONICAL;
    if (reason === A.R_RESERVED) return R.VTD_FR_SM_FS_RSVD;
    if (reason === A.R_INVALID) return R.VTD_FR_SM_FS_P;
    if (reason === A.R_PERM_USER) return R.VTD_FR_SM_US;
  }
  if (reason === A.R_PERM_WRITE) return R.VTD_FR_SM_WRITE;
  if (reason === A.R_PERM_EXEC) return R.VTD_FR_SM_EXEC;
  return R.VTD_FR_SM_READ;
}

// Command building (arm_smmu_cmdq_build_cmd, smmuv3.md c.1): 16-byte commands as two 64-bit
// words, fields by their regmap names.
import * as R from '../../../regs/generated/smmuv3.ts';
import { set, setAddr, words } from './fields.ts';

export type Cmd = bigint[];

function op(opcode: number): Cmd {
  return set(words(2), 'CMD', 'OPCODE', opcode);
}

export const cmdPrefetchConfig = (sid: number): Cmd => set(op(R.SMMU_CMD_OP_PREFETCH_CONFIG), 'CMD_PREFETCH', 'SID', sid);
export const cmdCfgiSte = (sid: number, leaf = true): Cmd => set(set(op(R.SMMU_CMD_OP_CFGI_STE), 'CMD_CFGI', 'SID', sid), 'CMD_CFGI', 'LEAF', leaf);
/** CMDQ_OP_CFGI_ALL: CFGI_STE_RANGE with RANGE = 31 (c.1; no opcode of its own). */
export const cmdCfgiAll = (): Cmd => set(op(R.SMMU_CMD_OP_CFGI_STE_RANGE), 'CMD_CFGI_RANGE', 'RANGE', 31);
export function cmdCfgiCd(sid: number, ssid: number, leaf = true): Cmd {
  const c = op(R.SMMU_CMD_OP_CFGI_CD);
  set(c, 'CMD_CFGI', 'SSID', ssid);
  set(c, 'CMD_CFGI', 'SID', sid);
  return set(c, 'CMD_CFGI', 'LEAF', leaf);
}
/** TLBI_NH_ASID carries the VMID too (0 for stage-1 domains: VMID 0 is reserved for them). */
export const cmdTlbiNhAsid = (asid: number, vmid = 0): Cmd => set(set(op(R.SMMU_CMD_OP_TLBI_NH_ASID), 'CMD_TLBI', 'ASID', asid), 'CMD_TLBI', 'VMID', vmid);
export const cmdTlbiS12Vmall = (vmid: number): Cmd => set(op(R.SMMU_CMD_OP_TLBI_S12_VMALL), 'CMD_TLBI', 'VMID', vmid);
export const cmdTlbiEl2All = (): Cmd => op(R.SMMU_CMD_OP_TLBI_EL2_ALL);
export const cmdTlbiNsnhAll = (): Cmd => op(R.SMMU_CMD_OP_TLBI_NSNH_ALL);

/** The fields of a by-address TLBI (NH_VA, EL2_VA, S2_IPA); num/scale/tg 0 = not a range. */
export interface TlbiVa {
  opcode: number;
  asid: number;
  vmid: number;
  addr: number;
  leaf: boolean;
  num: number;
  scale: number;
  tg: number;
  ttl: number;
}
export function cmdTlbiVa(t: TlbiVa): Cmd {
  const c = op(t.opcode);
  set(c, 'CMD_TLBI', 'NUM', t.num);
  set(c, 'CMD_TLBI', 'SCALE', t.scale);
  set(c, 'CMD_TLBI', 'VMID', t.vmid);
  if (t.opcode !== R.SMMU_CMD_OP_TLBI_S2_IPA) set(c, 'CMD_TLBI', 'ASID', t.asid);
  set(c, 'CMD_TLBI', 'LEAF', t.leaf);
  set(c, 'CMD_TLBI', 'TTL', t.ttl);
  set(c, 'CMD_TLBI', 'TG', t.tg);
  // VA_MASK / IPA_MASK: address bits [63:12] in place.
  return setAddr(c, 'CMD_TLBI', 'ADDR', t.addr);
}

/** MSH = inner shareable, MSIATTR = outer/inner write-back (Linux's values for every CMD_SYNC). */
const ARM_SMMU_SH_ISH = 3;
const ARM_SMMU_MEMATTR_OIWB = 0xf;
/**
 * CMD_SYNC: with an MSI address (MSI polling) CS = IRQ and the completion write aimed at it,
 * otherwise CS = SEV and the driver polls CMDQ_CONS (h.2, last paragraph).
 */
export function cmdSync(msiAddr = 0): Cmd {
  const c = op(R.SMMU_CMD_OP_SYNC);
  if (msiAddr !== 0) {
    set(c, 'CMD_SYNC', 'CS', R.SMMU_CMD_SYNC_CS_IRQ);
    setAddr(c, 'CMD_SYNC', 'MSIADDR', msiAddr);
  } else {
    set(c, 'CMD_SYNC', 'CS', R.SMMU_CMD_SYNC_CS_SEV);
  }
  set(c, 'CMD_SYNC', 'MSH', ARM_SMMU_SH_ISH);
  return set(c, 'CMD_SYNC', 'MSIATTR', ARM_SMMU_MEMATTR_OIWB);
}

/** enum pri_resp. */
export const PRI_RESP_DENY = 0;
export const PRI_RESP_FAIL = 1;
export const PRI_RESP_SUCC = 2;
/** CMD_PRI_RESP: answer page request group `grpid` of (sid, ssid). */
export function cmdPriResp(sid: number, ssid: number | null, grpid: number, resp: number): Cmd {
  const c = op(R.SMMU_CMD_OP_PRI_RESP);
  set(c, 'CMD_PRI_RESP', 'SSV', ssid !== null);
  set(c, 'CMD_PRI_RESP', 'SSID', ssid ?? 0);
  set(c, 'CMD_PRI_RESP', 'SID', sid);
  set(c, 'CMD_PRI_RESP', 'PRGI', grpid);
  return set(c, 'CMD_PRI_RESP', 'RESP', resp);
}

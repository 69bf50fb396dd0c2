// SMMUv3 event records (smmuv3.md d.1): 32 bytes, built field by field from the regmap's
// EVT_* structure layouts.
import * as R from '../../regs/generated/smmuv3.ts';

/** An event before it is written: the fields the record layouts name. */
export interface SmmuEvent {
  id: number;
  sid: number;
  /** Substream (SSV = 1) when defined. */
  ssid?: number;
  /** Fault details (translation-class and walk-abort records). */
  inputAddr?: bigint;
  ipa?: bigint;
  fetchAddr?: bigint;
  rnw?: boolean;
  pnu?: boolean;
  ind?: boolean;
  s2?: boolean;
  cls?: number;
  reason?: number;
}

/** Event names by id, for traces and TranslateFault.fault. */
export const EVENT_NAMES: Readonly<Record<number, string>> = {
  [R.SMMU_EVENT_F_UUT]: 'F_UUT',
  [R.SMMU_EVENT_C_BAD_STREAMID]: 'C_BAD_STREAMID',
  [R.SMMU_EVENT_F_STE_FETCH]: 'F_STE_FETCH',
  [R.SMMU_EVENT_C_BAD_STE]: 'C_BAD_STE',
  [R.SMMU_EVENT_F_BAD_ATS_TREQ]: 'F_BAD_ATS_TREQ',
  [R.SMMU_EVENT_F_STREAM_DISABLED]: 'F_STREAM_DISABLED',
  [R.SMMU_EVENT_F_TRANSL_FORBIDDEN]: 'F_TRANSL_FORBIDDEN',
  [R.SMMU_EVENT_C_BAD_SUBSTREAMID]: 'C_BAD_SUBSTREAMID',
  [R.SMMU_EVENT_F_CD_FETCH]: 'F_CD_FETCH',
  [R.SMMU_EVENT_C_BAD_CD]: 'C_BAD_CD',
  [R.SMMU_EVENT_F_WALK_EABT]: 'F_WALK_EABT',
  [R.SMMU_EVENT_F_TRANSLATION]: 'F_TRANSLATION',
  [R.SMMU_EVENT_F_ADDR_SIZE]: 'F_ADDR_SIZE',
  [R.SMMU_EVENT_F_ACCESS]: 'F_ACCESS',
  [R.SMMU_EVENT_F_PERMISSION]: 'F_PERMISSION',
  [R.SMMU_EVENT_F_TLB_CONFLICT]: 'F_TLB_CONFLICT',
  [R.SMMU_EVENT_F_CFG_CONFLICT]: 'F_CFG_CONFLICT',
  [R.SMMU_EVENT_E_PAGE_REQUEST]: 'E_PAGE_REQUEST',
  [R.SMMU_EVENT_F_VMS_FETCH]: 'F_VMS_FETCH',
};

const put = (w: bigint[], word: number, shift: number, mask: bigint, v: bigint | number | boolean) => {
  const x = typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v);
  w[word] = (w[word]! & ~mask) | ((x << BigInt(shift)) & mask);
};

/** The 32-byte record of `e` as four little-endian doublewords. */
export function encodeEvent(e: SmmuEvent): bigint[] {
  const w = [0n, 0n, 0n, 0n];
  put(w, R.SMMU_EVT_EVENTID_WORD, R.SMMU_EVT_EVENTID_SHIFT, R.SMMU_EVT_EVENTID_MASK, e.id);
  put(w, R.SMMU_EVT_SID_WORD, R.SMMU_EVT_SID_SHIFT, R.SMMU_EVT_SID_MASK, e.sid >>> 0);
  if (e.ssid !== undefined) {
    // C_BAD_SUBSTREAMID reports the SSID without SSV (smmuv3.md d.1).
    if (e.id !== R.SMMU_EVENT_C_BAD_SUBSTREAMID) put(w, R.SMMU_EVT_SSV_WORD, R.SMMU_EVT_SSV_SHIFT, R.SMMU_EVT_SSV_MASK, 1);
    put(w, R.SMMU_EVT_SSID_WORD, R.SMMU_EVT_SSID_SHIFT, R.SMMU_EVT_SSID_MASK, e.ssid);
  }
  switch (e.id) {
    case R.SMMU_EVENT_F_TRANSLATION:
    case R.SMMU_EVENT_F_ADDR_SIZE:
    case R.SMMU_EVENT_F_ACCESS:
    case R.SMMU_EVENT_F_PERMISSION:
      put(w, R.SMMU_EVT_FAULT_PNU_WORD, R.SMMU_EVT_FAULT_PNU_SHIFT, R.SMMU_EVT_FAULT_PNU_MASK, e.pnu ?? false);
      put(w, R.SMMU_EVT_FAULT_IND_WORD, R.SMMU_EVT_FAULT_IND_SHIFT, R.SMMU_EVT_FAULT_IND_MASK, e.ind ?? false);
      put(w, R.SMMU_EVT_FAULT_RNW_WORD, R.SMMU_EVT_FAULT_RNW_SHIFT, R.SMMU_EVT_FAULT_RNW_MASK, e.rnw ?? false);
      put(w, R.SMMU_EVT_FAULT_S2_WORD, R.SMMU_EVT_FAULT_S2_SHIFT, R.SMMU_EVT_FAULT_S2_MASK, e.s2 ?? false);
      put(w, R.SMMU_EVT_FAULT_CLASS_WORD, R.SMMU_EVT_FAULT_CLASS_SHIFT, R.SMMU_EVT_FAULT_CLASS_MASK, e.cls ?? 0);
      put(w, R.SMMU_EVT_FAULT_INPUT_ADDR_WORD, R.SMMU_EVT_FAULT_INPUT_ADDR_SHIFT, R.SMMU_EVT_FAULT_INPUT_ADDR_MASK, e.inputAddr ?? 0n);
      put(w, R.SMMU_EVT_FAULT_IPA_WORD, R.SMMU_EVT_FAULT_IPA_SHIFT, R.SMMU_EVT_FAULT_IPA_MASK, (e.ipa ?? 0n) >> BigInt(R.SMMU_EVT_FAULT_IPA_SHIFT));
      break;
    case R.SMMU_EVENT_F_WALK_EABT:
      put(w, R.SMMU_EVT_WALK_EABT_REASON_WORD, R.SMMU_EVT_WALK_EABT_REASON_SHIFT, R.SMMU_EVT_WALK_EABT_REASON_MASK, e.reason ?? 0);
      put(w, R.SMMU_EVT_WALK_EABT_PNU_WORD, R.SMMU_EVT_WALK_EABT_PNU_SHIFT, R.SMMU_EVT_WALK_EABT_PNU_MASK, e.pnu ?? false);
      put(w, R.SMMU_EVT_WALK_EABT_IND_WORD, R.SMMU_EVT_WALK_EABT_IND_SHIFT, R.SMMU_EVT_WALK_EABT_IND_MASK, e.ind ?? false);
      put(w, R.SMMU_EVT_WALK_EABT_RNW_WORD, R.SMMU_EVT_WALK_EABT_RNW_SHIFT, R.SMMU_EVT_WALK_EABT_RNW_MASK, e.rnw ?? false);
      put(w, R.SMMU_EVT_WALK_EABT_S2_WORD, R.SMMU_EVT_WALK_EABT_S2_SHIFT, R.SMMU_EVT_WALK_EABT_S2_MASK, e.s2 ?? false);
      put(w, R.SMMU_EVT_WALK_EABT_CLASS_WORD, R.SMMU_EVT_WALK_EABT_CLASS_SHIFT, R.SMMU_EVT_WALK_EABT_CLASS_MASK, e.cls ?? 0);
      put(w, R.SMMU_EVT_WALK_EABT_INPUT_ADDR_WORD, R.SMMU_EVT_WALK_EABT_INPUT_ADDR_SHIFT, R.SMMU_EVT_WALK_EABT_INPUT_ADDR_MASK, e.inputAddr ?? 0n);
      put(w, R.SMMU_EVT_WALK_EABT_FETCH_ADDR_WORD, R.SMMU_EVT_WALK_EABT_FETCH_ADDR_SHIFT, R.SMMU_EVT_WALK_EABT_FETCH_ADDR_MASK, (e.fetchAddr ?? 0n) >> BigInt(R.SMMU_EVT_WALK_EABT_FETCH_ADDR_SHIFT));
      break;
    case R.SMMU_EVENT_F_STE_FETCH:
    case R.SMMU_EVENT_F_CD_FETCH:
      put(w, R.SMMU_EVT_FETCH_REASON_WORD, R.SMMU_EVT_FETCH_REASON_SHIFT, R.SMMU_EVT_FETCH_REASON_MASK, e.reason ?? 0);
      put(w, R.SMMU_EVT_FETCH_FETCH_ADDR_WORD, R.SMMU_EVT_FETCH_FETCH_ADDR_SHIFT, R.SMMU_EVT_FETCH_FETCH_ADDR_MASK, (e.fetchAddr ?? 0n) >> BigInt(R.SMMU_EVT_FETCH_FETCH_ADDR_SHIFT));
      break;
    case R.SMMU_EVENT_F_TRANSL_FORBIDDEN:
      put(w, R.SMMU_EVT_TRANSL_FORBIDDEN_RNW_WORD, R.SMMU_EVT_TRANSL_FORBIDDEN_RNW_SHIFT, R.SMMU_EVT_TRANSL_FORBIDDEN_RNW_MASK, e.rnw ?? false);
      put(w, R.SMMU_EVT_TRANSL_FORBIDDEN_INPUT_ADDR_WORD, R.SMMU_EVT_TRANSL_FORBIDDEN_INPUT_ADDR_SHIFT, R.SMMU_EVT_TRANSL_FORBIDDEN_INPUT_ADDR_MASK, e.inputAddr ?? 0n);
      break;
  }
  return w;
}

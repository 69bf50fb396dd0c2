// Event records decoded the way arm_smmu_decode_event / arm_smmu_dump_event report them
// (smmuv3.md d.1): the event's name, stream and substream, faulting address, direction,
// stage and class.
import * as R from '../../../regs/generated/smmuv3.ts';
import { get, getn, hex } from './fields.ts';

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
/** CLASS (dw1[41:40]): what the faulting access was doing. */
export const EVENT_CLASS = ['CD', 'TT', 'IN', 'RESERVED'] as const;

export interface SmmuEventReport {
  id: number;
  name: string;
  sid: number;
  /** SubstreamID when SSV = 1, else null. */
  ssid: number | null;
  /** Input address (translation-class faults, F_UUT, F_TRANSL_FORBIDDEN). */
  iova: bigint | null;
  /** IPA of a stage-2 fault. */
  ipa: bigint | null;
  /** Fetch address (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT). */
  fetchAddr: bigint | null;
  read: boolean | null;
  priv: boolean | null;
  instruction: boolean | null;
  s2: boolean | null;
  class: (typeof EVENT_CLASS)[number] | null;
  stall: boolean;
  stag: number;
  /** The master the SID belongs to (its device name), when known. */
  client: string | null;
  raw: bigint[];
}

const isFault = (id: number) => id >= R.SMMU_EVENT_F_TRANSLATION && id <= R.SMMU_EVENT_F_PERMISSION;

export function decodeEvent(w: readonly bigint[], client: (sid: number) => string | null): SmmuEventReport {
  const id = getn(w, 'EVT', 'EVENTID');
  const sid = getn(w, 'EVT', 'SID');
  const r: SmmuEventReport = {
    id, name: EVENT_NAMES[id] ?? `UNKNOWN(${hex(id, 2)})`, sid,
    ssid: getn(w, 'EVT', 'SSV') ? getn(w, 'EVT', 'SSID') : null,
    iova: null, ipa: null, fetchAddr: null, read: null, priv: null, instruction: null, s2: null, class: null,
    stall: false, stag: 0, client: client(sid), raw: [...w],
  };
  if (isFault(id) || id === R.SMMU_EVENT_F_WALK_EABT) {
    const S = isFault(id) ? 'EVT_FAULT' : 'EVT_WALK_EABT';
    r.iova = get(w, S, 'INPUT_ADDR');
    r.read = getn(w, S, 'RNW') === 1;
    r.priv = getn(w, S, 'PNU') === 1;
    r.instruction = getn(w, S, 'IND') === 1;
    r.s2 = getn(w, S, 'S2') === 1;
    r.class = EVENT_CLASS[getn(w, S, 'CLASS')]!;
    if (isFault(id)) {
      r.stall = getn(w, S, 'STALL') === 1;
      r.stag = getn(w, S, 'STAG');
      if (r.s2) r.ipa = get(w, S, 'IPA') << 12n;
    } else {
      r.fetchAddr = get(w, S, 'FETCH_ADDR') << 3n;
    }
  } else if (id === R.SMMU_EVENT_F_STE_FETCH || id === R.SMMU_EVENT_F_CD_FETCH) {
    r.fetchAddr = get(w, 'EVT_FETCH', 'FETCH_ADDR') << 3n;
  } else if (id === R.SMMU_EVENT_F_UUT) {
    r.iova = get(w, 'EVT_UUT', 'INPUT_ADDR');
    r.read = getn(w, 'EVT_UUT', 'RNW') === 1;
  } else if (id === R.SMMU_EVENT_F_TRANSL_FORBIDDEN) {
    r.iova = get(w, 'EVT_TRANSL_FORBIDDEN', 'INPUT_ADDR');
    r.read = getn(w, 'EVT_TRANSL_FORBIDDEN', 'RNW') === 1;
  }
  return r;
}

/** The kernel log lines for one event ("event 0x10 received:" + decoded summary + raw dwords). */
export function formatEvent(e: SmmuEventReport): string[] {
  const parts = [`event ${hex(e.id, 2)} received: ${e.name}`, `client ${e.client ?? '(unknown)'}`, `sid ${hex(e.sid)}`, `ssid ${e.ssid === null ? '(none)' : hex(e.ssid)}`];
  if (e.iova !== null) parts.push(`iova ${hex(e.iova)}`);
  if (e.ipa !== null) parts.push(`ipa ${hex(e.ipa)}`);
  if (e.fetchAddr !== null) parts.push(`fetch ${hex(e.fetchAddr)}`);
  if (e.priv !== null) parts.push(e.priv ? 'priv' : 'unpriv', e.instruction ? 'inst' : 'data');
  if (e.read !== null) parts.push(e.read ? 'read' : 'write');
  if (e.s2 !== null) parts.push(e.s2 ? 's2' : 's1');
  if (e.class !== null) parts.push(`class ${e.class}`);
  if (e.stall) parts.push(`stag ${hex(e.stag)}`);
  return [parts.join(' '), ...e.raw.map((x) => `\t${hex(x, 16)}`)];
}

// Typed configurations of the non-VMSA table formats, turned into the raw context parameters
// each format documents in its header (assembly/formats/*.ts). Walker.configure* write them.
// Out-of-range numbers throw (API misuse); values the hardware could hold but the format
// rejects are not thrown but answered as CFG_* by the setup, like a bad context entry.
import * as A from './walk-abi.ts';

/** Intel VT-d second stage (context entry / PASID entry SSPTPTR, AW, and CAP/ECAP features). */
export interface VtdSsConfig {
  /** SLPTPTR / SSPTPTR: the top table's address (bits 11:0 ignored). */
  root: number;
  /** AW code of the context or PASID entry: 1 = 39-bit (3 levels), 2 = 48-bit, 3 = 57-bit. */
  aw: number;
  /** Host address width (QEMU aw-bits; CAP.MGAW + 1): entry address bits at and above are reserved. Default 48. */
  haw?: number;
  /** Input limit in bits (CAP.MGAW + 1); default: the AW width. */
  mgaw?: number;
  /** CAP.SLLPS: 2 MiB and 1 GiB leaves. */
  pages2M?: boolean;
  pages1G?: boolean;
  /** ECAP.SC (snoop control): SNP is allowed in leaves. */
  snoop?: boolean;
  /** Bit 62 (TM) allowed in leaves. */
  tm?: boolean;
  /** PASID entry SSEE: execute requests check X. */
  exec?: boolean;
  /** PASID entry SSADE: hardware sets A/D. */
  accessDirty?: boolean;
}

/** Intel VT-d first stage (x86-64 4/5-level paging from a scalable-mode PASID entry). */
export interface VtdFsConfig {
  /** FSPTPTR (bits 11:0 ignored). */
  root: number;
  /** 4 or 5 (PASID entry FLPM). */
  levels: number;
  /** Host address width; default 48. */
  haw?: number;
  /** XD (bit 63) is execute-disable (the PASID entry's NXE); otherwise bit 63 is reserved. */
  nxe?: boolean;
  /** CAP.FS1GP: 1 GiB leaves. */
  pages1G?: boolean;
  /** Hardware sets A and D. */
  accessDirty?: boolean;
  /** PASID entry WPE: supervisor writes honour R/W. */
  wpe?: boolean;
  /** PASID entry SMEP. */
  smep?: boolean;
}

/** IBM POWER TCE table (a PHB TVE or an sPAPR window). */
export interface TceConfig {
  /** Top-level table address (bits 11:0 ignored). */
  table: number;
  /** TCE page shift: 12, 16, 21, 24, 28 or 30. */
  pageShift: number;
  /** Number of levels, 1..5. */
  levels: number;
  /** log2 entries per level table (9 for a 4 KiB level). */
  levelBits: number;
  /** Entries in host (little-endian) order, as an sPAPR model keeps them; PHB tables are big-endian. */
  littleEndian?: boolean;
}

/** Flat single-level tables: MediaTek M4U v1 and Tegra GART. */
export interface FlatConfig {
  table: number;
  /** Aperture base (aligned to its size). */
  aperture: number;
  /** Bit number of VALID (1 MediaTek v1, 31 GART). */
  validBit: number;
  /** One past the top PA bit of the entry (32 MediaTek v1, 31 GART). */
  addrTop: number;
  /** log2 of the aperture size (32 MediaTek v1, 25 GART). */
  inBits: number;
}

/** Apple DART. */
export interface DartConfig {
  /** 1 = DART1 PTEs (t8020), 2 = DART2 PTEs (t6000/t8110). */
  pte: 1 | 2;
  /** log2 DART page: 12 or 14. */
  pageShift: number;
  /** Tables below the TTBR: 2, or 3 (t8110 FOUR_LEVEL). */
  tables: number;
  /** Top-table address per TTBR (1 on t8110, 4 on t8020); null = TTBR VALID clear. */
  ttbrs: readonly (number | null)[];
  /** Input address bits (t8020: 32; t8110: PARAMS3 VA_WIDTH). */
  ias: number;
}

/** Rockchip v1 / v2. */
export interface RockchipConfig {
  version: 1 | 2;
  /** Directory Table address. */
  dt: number;
}

/** A format id with its raw parameters and addresses. */
export interface RawConfig {
  fmt: number;
  p: number[];
  a: number[];
}

function int(name: string, v: number | undefined, dflt: number, max = 0xffffffff): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 0 || x > max) throw new RangeError(`Walker: ${name} must be an integer in 0..${max}, got ${String(v)}`);
  return x;
}
function address(name: string, v: number | undefined): number {
  const x = v ?? 0;
  if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`Walker: ${name} must be a non-negative safe integer address, got ${String(v)}`);
  return x;
}
const bit = (b: boolean | undefined, f: number) => (b ? f : 0);

export function vtdSsRaw(c: VtdSsConfig): RawConfig {
  const p: number[] = [];
  p[A.VSP_AW] = int('aw', c.aw, 0);
  p[A.VSP_HAW] = int('haw', c.haw, 48);
  p[A.VSP_MGAW] = int('mgaw', c.mgaw, 0);
  p[A.VSP_FLAGS] =
    bit(c.pages2M, A.VSF_2M) | bit(c.pages1G, A.VSF_1G) | bit(c.snoop, A.VSF_SNP) | bit(c.tm, A.VSF_TM) |
    bit(c.exec, A.VSF_EXEC) | bit(c.accessDirty, A.VSF_AD);
  return { fmt: A.FMT_VTD_SS, p, a: [address('root', c.root)] };
}

export function vtdFsRaw(c: VtdFsConfig): RawConfig {
  const p: number[] = [];
  p[A.VFP_LEVELS] = int('levels', c.levels, 4);
  p[A.VFP_HAW] = int('haw', c.haw, 48);
  p[A.VFP_FLAGS] =
    bit(c.nxe, A.VFF_NXE) | bit(c.pages1G, A.VFF_1G) | bit(c.accessDirty, A.VFF_AD) | bit(c.wpe, A.VFF_WPE) | bit(c.smep, A.VFF_SMEP);
  return { fmt: A.FMT_VTD_FS, p, a: [address('root', c.root)] };
}

export function tceRaw(c: TceConfig): RawConfig {
  const p: number[] = [];
  p[A.TP_PAGE] = int('pageShift', c.pageShift, 12);
  p[A.TP_LEVELS] = int('levels', c.levels, 1);
  p[A.TP_LBITS] = int('levelBits', c.levelBits, 9);
  p[A.TP_FLAGS] = bit(c.littleEndian, A.TF_LE);
  return { fmt: A.FMT_TCE, p, a: [address('table', c.table)] };
}

export function flatRaw(c: FlatConfig): RawConfig {
  const p: number[] = [];
  p[A.FP_VALID] = int('validBit', c.validBit, 0);
  p[A.FP_ADDRTOP] = int('addrTop', c.addrTop, 32);
  p[A.FP_INBITS] = int('inBits', c.inBits, 32);
  return { fmt: A.FMT_FLAT, p, a: [address('table', c.table), address('aperture', c.aperture)] };
}

export function dartRaw(c: DartConfig): RawConfig {
  if (c.ttbrs.length < 1 || c.ttbrs.length > 4) throw new RangeError(`Walker: a DART SID has 1 to 4 TTBRs, got ${c.ttbrs.length}`);
  const p: number[] = [];
  p[A.DP_PTE] = int('pte', c.pte, 2);
  p[A.DP_PAGE] = int('pageShift', c.pageShift, 14);
  p[A.DP_TABLES] = int('tables', c.tables, 2);
  p[A.DP_TTBRS] = c.ttbrs.length;
  p[A.DP_IAS] = int('ias', c.ias, 32);
  let valid = 0;
  const a: number[] = [];
  c.ttbrs.forEach((t, i) => {
    if (t !== null) valid |= 1 << i;
    a[i] = t === null ? 0 : address(`ttbrs[${i}]`, t);
  });
  p[A.DP_VALID] = valid;
  return { fmt: A.FMT_DART, p, a };
}

export function rockchipRaw(c: RockchipConfig): RawConfig {
  const p: number[] = [];
  p[A.RKP_VERSION] = int('version', c.version, 1);
  return { fmt: A.FMT_ROCKCHIP, p, a: [address('dt', c.dt)] };
}

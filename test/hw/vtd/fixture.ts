// Test fixture: a VT-d unit on its own (core + RAM at 0 + system memory + an MSI sink), with
// helpers that program it the way a driver does: registers through MMIO at 0xFED90000, root and
// context entries, second-stage tables and invalidation descriptors in guest memory, all built
// from named regmap fields so tests state them the way the spec does.
import { Core } from '../../../src/core/core.ts';
import { WasmRam } from '../../../src/bridge/guest-ram.ts';
import { AddressSpace } from '../../../src/bridge/address-space.ts';
import { Access, type TranslateResult } from '../../../src/bridge/types.ts';
import { Vtd, type VtdOptions } from '../../../src/hw/vtd/vtd.ts';
import { build, fromWords, setFld, toWords } from '../../../src/hw/vtd/fields.ts';
import * as R from '../../../src/regs/generated/vtd.ts';

export const RAM_SIZE = 8 << 20;
export const VTD_BASE = 0xfed90000;
// Guest-memory layout used by the tests.
export const ROOT = 0x10_0000;
export const CTX = 0x11_0000; // context tables, one 4 KiB page per bus from here
export const IQ = 0x20_0000; // invalidation queue (QS = 0: 256 128-bit descriptors)
export const STATUS = 0x21_0000; // wait-descriptor status words
export const PGT = 0x40_0000; // second-stage tables allocated from here
export const DATA = 0x60_0000; // pages DMA lands in

export interface Msi {
  address: number;
  data: number;
}

export function sid(bus: number, dev: number, fn: number): number {
  return (bus << 8) | (dev << 3) | fn;
}

export function vtdFixture(opts: Partial<VtdOptions> = {}) {
  const core = new Core();
  const ram = new WasmRam(core, RAM_SIZE);
  core.exports.ram_map(0, RAM_SIZE, ram.coreOffset);
  const memory = new AddressSpace({ name: 'system', size: 2 ** 52, unmappedRead: 'zero' });
  memory.mapRam(0, ram);
  const msis: Msi[] = [];
  const vtd = new Vtd({ core, memory, msi: (address, data) => msis.push({ address, data }), ...opts });
  memory.mapMmio(VTD_BASE, vtd.mmio);
  const view = () => ram.view();
  const dv = () => new DataView(view().buffer, view().byteOffset, RAM_SIZE);
  const w32 = (off: number, v: number) => memory.write(VTD_BASE + off, 4, v >>> 0);
  const r32 = (off: number) => memory.read(VTD_BASE + off, 4);
  const w64 = (off: number, v: bigint) => memory.write64(VTD_BASE + off, v);
  const r64 = (off: number) => memory.read64(VTD_BASE + off);
  const put64 = (pa: number, v: bigint) => dv().setBigUint64(pa, BigInt.asUintN(64, v), true);
  const get64 = (pa: number) => dv().getBigUint64(pa, true);
  const get32 = (pa: number) => dv().getUint32(pa, true);
  const putWords = (pa: number, words: readonly bigint[]) => view().set(fromWords(words), pa);
  const getWords = (pa: number, n: number) => toWords(view().subarray(pa, pa + 8 * n), n);

  /** Root entry of `bus` -> the context table at CTX + bus * 4 KiB. */
  const rootEntry = (bus: number, fields: Record<string, bigint | number> = {}) =>
    putWords(ROOT + bus * 16, build(2, 'ROOT_ENTRY', { P: 1, CTP: (CTX + bus * 0x1000) >> 12, ...fields }));
  /** Context entry of source ID `s` (root entry written too). */
  const contextEntry = (s: number, fields: Record<string, bigint | number>, w1: Record<string, bigint | number> = {}) => {
    rootEntry(s >> 8);
    const e = build(2, 'CONTEXT_ENTRY', { P: 1, AW: R.VTD_CONTEXT_ENTRY_AW_AW_39, ...fields, ...w1 });
    putWords(CTX + (s >> 8) * 0x1000 + (s & 0xff) * 16, e);
    return e;
  };

  let nextTable = PGT;
  const alloc = () => {
    const t = nextTable;
    nextTable += 0x1000;
    view().fill(0, t, t + 0x1000);
    return t;
  };
  /** A new empty top-level second-stage table. */
  const newTable = () => alloc();
  /**
   * Maps `iova` -> `pa` in the `levels`-deep table at `top`: non-leaf entries R|W, the leaf with
   * `perm` (R, W bits) at `leafLevel` (1 = 4 KiB, 2 = 2 MiB with PS, 3 = 1 GiB with PS).
   */
  const map = (top: number, iova: number, pa: number, perm: { r?: boolean; w?: boolean; extra?: bigint } = { r: true, w: true }, levels = 3, leafLevel = 1) => {
    let table = top;
    for (let l = levels; l > leafLevel; l--) {
      const idx = Math.floor(iova / 2 ** (12 + 9 * (l - 1))) % 512;
      const a = table + idx * 8;
      let e = get64(a);
      if ((e & 3n) === 0n) {
        e = build(1, 'SS_PTE', { R: 1, W: 1, ADDR: alloc() >> 12 })[0]!;
        put64(a, e);
      }
      table = Number(e & R.VTD_SS_PTE_ADDR_MASK);
    }
    const idx = Math.floor(iova / 2 ** (12 + 9 * (leafLevel - 1))) % 512;
    const leaf = setFld(build(1, 'SS_PTE', { R: perm.r ? 1 : 0, W: perm.w ? 1 : 0, ADDR: Math.floor(pa / 4096), PS: leafLevel > 1 ? 1 : 0 }), 'SS_PTE', 'A', 0);
    put64(table + idx * 8, leaf[0]! | (perm.extra ?? 0n));
    return table + idx * 8;
  };

  /** Latches ROOT (SRTP) and turns translation on, as Linux does (GCMD from a persistent shadow). */
  const bringUp = (o: { te?: boolean } = {}) => {
    w64(R.VTD_RTADDR, BigInt(ROOT));
    w32(R.VTD_GCMD, R.VTD_GCMD_SRTP_MASK);
    if (o.te ?? true) w32(R.VTD_GCMD, R.VTD_GCMD_TE_MASK);
  };

  let qiTail = 0;
  /** IQT = 0, IQA = IQ (QS 0, 128-bit), GCMD.QIE (keeping the other persistent enables as they are). */
  const enableQi = (iqa: bigint = BigInt(IQ)) => {
    w64(R.VTD_IQT, 0n);
    qiTail = 0;
    w64(R.VTD_IQA, iqa);
    w32(R.VTD_GCMD, (r32(R.VTD_GSTS) & (R.VTD_GSTS_TES_MASK | R.VTD_GSTS_IRES_MASK | R.VTD_GSTS_CFIS_MASK)) | R.VTD_GCMD_QIE_MASK);
  };
  /** Writes descriptors at the tail and moves IQT past them (a 32-bit store, as Linux does). */
  const submit = (...descs: bigint[][]) => {
    for (const d of descs) {
      putWords(IQ + qiTail * 16, d);
      qiTail = (qiTail + 1) % 256;
    }
    w32(R.VTD_IQT, qiTail << 4);
  };

  const dma = (s: number, iova: number, write = false): TranslateResult =>
    vtd.translate({ requester: { name: `dev${s}`, segment: 0, requesterId: s, streamId: s }, iova, access: write ? Access.WRITE : Access.READ });

  /** FRCD i as its two quadwords. */
  const frcd = (i = 0) => ({ lo: r64(R.VTD_FRCD_LO + 16 * i), hi: r64(R.VTD_FRCD_HI + 16 * i) });
  const frcdField = (i: number, name: string) => {
    const hi = frcd(i).hi;
    const consts = R as unknown as Record<string, bigint | number>;
    return Number((hi & (consts[`VTD_FRCD_HI_${name}_MASK`] as bigint)) >> BigInt(consts[`VTD_FRCD_HI_${name}_SHIFT`] as number));
  };

  return {
    core, ram, memory, vtd, msis, w32, r32, w64, r64, put64, get64, get32, putWords, getWords,
    rootEntry, contextEntry, newTable, map, bringUp, enableQi, submit, dma, frcd, frcdField,
  };
}

/** Descriptor builders (vtd.md 4.2), from named regmap fields. */
export const desc = {
  cc: (g: number, f: Record<string, number> = {}) => build(2, 'INV_CC', { TYPE: R.VTD_INV_TYPE_CC, G: g, ...f }),
  iotlb: (g: number, f: Record<string, number | bigint> = {}) => build(2, 'INV_IOTLB', { TYPE: R.VTD_INV_TYPE_IOTLB, G: g, ...f }),
  wait: (f: Record<string, number | bigint>) => build(2, 'INV_WAIT', { TYPE: R.VTD_INV_TYPE_WAIT, ...f }),
  iec: (f: Record<string, number> = {}) => build(2, 'INV_IEC', { TYPE: R.VTD_INV_TYPE_IEC, ...f }),
  devtlb: (f: Record<string, number | bigint> = {}) => build(2, 'INV_DEVTLB', { TYPE: R.VTD_INV_TYPE_DEVTLB, ...f }),
};

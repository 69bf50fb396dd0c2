// Which requester IDs a function's DMA can carry, with Linux's pci_for_each_dma_alias
// semantics (drivers/pci/search.c), and the one ID the IOMMU actually sees on the wire.
//
// The rules, walking from the function up to the root bus:
//  - the function's own RID, then every devfn of its quirk alias list (dma_alias_mask) on its bus;
//  - a bridge flagged XLATE_ROOT ends the walk (translation happens there);
//  - PCIe root ports and switch ports add nothing: native PCIe carries the RID through;
//  - a PCIe-to-PCI/PCI-X bridge (PCIe type 7) takes ownership of transactions from below and
//    uses its *secondary bus number with devfn 00.0* (PCIe-to-PCI/PCI-X Bridge spec 1.0 §2.3),
//    unless flagged NO_ALIAS (bridges integrated with their devices, e.g. ASPEED AST1150);
//  - a PCI/PCI-X-to-PCIe bridge (type 8) uses its own RID;
//  - a conventional (non-PCIe) bridge uses its own RID, or (secondary bus, 00.0) when flagged
//    PCIE_BRIDGE_ALIAS (some ASMedia/Tundra parts).
// The walk continues above an aliasing bridge, so nested bridges yield several aliases;
// the last one is what reaches the root complex (QEMU's pci_req_id_cache_get agrees).
import type { PciBridge } from './bridge.ts';
import type { PciFunction } from './function.ts';
import { PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_PCI_BRIDGE } from './regs.ts';

/** Callback of forEachDmaAlias: `owner` is the function the alias belongs to (the bridge for bridge aliases). Return true to stop. */
export type DmaAliasCallback = (owner: PciFunction, rid: number) => boolean | void;

/** Calls `cb` for every requester ID `fn`'s DMA may carry. Returns true if a callback stopped the walk. */
export function forEachDmaAlias(fn: PciFunction, cb: DmaAliasCallback): boolean {
  if (fn.bus === null) throw new Error(`forEachDmaAlias(${fn.name}): the function is not on a bus`);
  if (cb(fn, fn.rid) === true) return true;
  const busNr = fn.busNumber & 0xff;
  for (const devfn of sortedUnique(fn.dmaAliases)) {
    if (cb(fn, (busNr << 8) | devfn) === true) return true;
  }
  for (let bus = fn.bus; bus.parent !== null; bus = bus.parent.bus!) {
    const br = bus.parent;
    const alias = bridgeAlias(br);
    if (alias === STOP) return false;
    if (alias !== NONE && cb(br, alias) === true) return true;
    if (br.bus === null) break;
  }
  return false;
}

/** The requester ID the root complex (and so the IOMMU) receives for `fn`'s DMA. */
export function wireRequesterId(fn: PciFunction): number {
  if (fn.bus === null) throw new Error(`wireRequesterId(${fn.name}): the function is not on a bus`);
  let rid = fn.dmaSourceDevfn !== undefined ? ((fn.busNumber & 0xff) << 8) | fn.dmaSourceDevfn : fn.rid;
  for (let bus = fn.bus; bus.parent !== null; bus = bus.parent.bus!) {
    const alias = bridgeAlias(bus.parent);
    if (alias === STOP) break;
    if (alias !== NONE) rid = alias;
    if (bus.parent.bus === null) break;
  }
  return rid;
}

/** Every requester ID of `fn` as an array (convenience for tests and the kernel layer). */
export function dmaAliases(fn: PciFunction): Array<{ owner: PciFunction; rid: number }> {
  const out: Array<{ owner: PciFunction; rid: number }> = [];
  forEachDmaAlias(fn, (owner, rid) => {
    out.push({ owner, rid });
  });
  return out;
}

const NONE = -1;
const STOP = -2;

function bridgeAlias(br: PciBridge): number {
  if (br.xlateRoot) return STOP;
  const sec00 = (br.secondaryBusNumber & 0xff) << 8;
  if (br.isExpress) {
    switch (br.pcieType) {
      case PCI_EXP_TYPE_PCI_BRIDGE:
        return br.noAlias ? NONE : sec00;
      case PCI_EXP_TYPE_PCIE_BRIDGE:
        return br.rid;
      default:
        // Root ports, switch ports (and any other PCIe type): the RID passes through.
        return NONE;
    }
  }
  return br.pcieBridgeAlias ? sec00 : br.rid;
}

function sortedUnique(a: readonly number[]): number[] {
  return [...new Set(a)].sort((x, y) => x - y);
}

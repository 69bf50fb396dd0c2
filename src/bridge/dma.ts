// DMA from a device: who is asking (DmaRequester) and the path to memory (DmaPort). With no
// IOMMU the port goes straight to the address space; with one, every page is translated
// first and a fault aborts that part of the transfer, as on hardware where the IOMMU
// completes a faulting request with an error (reads then return zeros to the device,
// matching QEMU's unassigned reads).
import { AddressSpace } from './address-space.ts';
import { Access, MemTx, type DmaRequester, type DmaTranslator, type TraceHook } from './types.ts';

/** The requester identity of PCI function bus:dev.fn (segment 0 unless given). */
export function pciRequester(name: string, bus: number, devfn: number, segment = 0): DmaRequester {
  if (!Number.isInteger(bus) || bus < 0 || bus > 255) throw new RangeError(`pciRequester: bus must be 0..255, got ${bus}`);
  if (!Number.isInteger(devfn) || devfn < 0 || devfn > 255) throw new RangeError(`pciRequester: devfn must be 0..255, got ${devfn}`);
  const rid = (bus << 8) | devfn;
  return { name, segment, requesterId: rid, streamId: rid };
}

/** Formats a requester ID as bb:dd.f. */
export function formatBdf(rid: number): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(rid >> 8, 2)}:${h((rid >> 3) & 0x1f, 2)}.${rid & 7}`;
}

export class DmaPort {
  private translator: DmaTranslator | null = null;
  private enabled = true;
  trace: TraceHook | undefined;

  constructor(public requester: DmaRequester, private readonly memory: AddressSpace) {}

  /** Puts an IOMMU in front of this device (null removes it). */
  setTranslator(t: DmaTranslator | null): void {
    this.translator = t;
  }

  /** Bus-master enable: when off, the device's DMA goes nowhere. */
  setEnabled(on: boolean): void {
    this.enabled = on;
  }

  get busMaster(): boolean {
    return this.enabled;
  }

  /** Reads `dst.length` bytes at device address `addr`. */
  read(addr: number, dst: Uint8Array): MemTx {
    return this.transfer(addr, dst, Access.READ);
  }

  /** Writes `src` at device address `addr`. */
  write(addr: number, src: Uint8Array): MemTx {
    return this.transfer(addr, src, Access.WRITE);
  }

  private transfer(addr: number, buf: Uint8Array, access: Access): MemTx {
    if (!this.enabled) {
      // Bus mastering off: the request never leaves the function (QEMU disables the
      // device's bus-master address space, so reads see unassigned memory: zeros).
      if (access === Access.READ) buf.fill(0);
      this.trace?.({ kind: 'dma-blocked', source: this.requester.name, addr, len: buf.length, write: access === Access.WRITE });
      return MemTx.DECODE_ERROR;
    }
    this.trace?.({ kind: 'dma', source: this.requester.name, addr, len: buf.length, write: access === Access.WRITE });
    const t = this.translator;
    if (t === null) return access === Access.READ ? this.memory.readBytes(addr, buf) : this.memory.writeBytes(addr, buf);
    let result = MemTx.OK;
    let done = 0;
    while (done < buf.length) {
      const iova = addr + done;
      const r = t.translate({ requester: this.requester, iova, access });
      if (!r.ok) {
        // The rest of this page is aborted; the model has recorded the fault.
        const n = Math.min(buf.length - done, 4096 - (iova % 4096));
        if (access === Access.READ) buf.fill(0, done, done + n);
        result = MemTx.ERROR;
        done += n;
        continue;
      }
      const inPage = r.pageSize - (iova % r.pageSize);
      const n = Math.min(buf.length - done, inPage);
      const part = buf.subarray(done, done + n);
      const rr = access === Access.READ ? this.memory.readBytes(r.pa, part) : this.memory.writeBytes(r.pa, part);
      if (rr !== MemTx.OK) result = rr;
      done += n;
    }
    return result;
  }
}

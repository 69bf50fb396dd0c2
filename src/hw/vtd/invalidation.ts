// Invalidation descriptors (vtd.md 4.2, 4.3): decode, the reserved-field and type checks that
// make a descriptor invalid (FSTS.IQE with an IQERCD.IQEI code), and the effect of each on the
// model's caches. The queue mechanics (IQA/IQH/IQT) are the model's; this file handles one
// descriptor at a time.
import * as R from '../../regs/generated/vtd.ts';
import type { VtdFeatures } from './features.ts';
import { QEMU_MAMV } from './features.ts';
import { fld, fldn, hasReserved } from './fields.ts';

/** What descriptors act on. */
export interface InvalidationTarget {
  readonly features: Readonly<VtdFeatures>;
  /** Context-cache invalidation: all, one domain, or one source ID under a function mask. */
  contextInvalidate(scope: { did?: number; sid?: number; fm?: number }): void;
  iotlbGlobal(): void;
  iotlbDomain(did: number): void;
  iotlbPage(did: number, addr: bigint, am: number, ih: boolean): void;
  piotlbPasid(did: number, pasid: number): void;
  piotlbPage(did: number, pasid: number, addr: bigint, am: number, ih: boolean): void;
  /** PASID-cache invalidation (scalable mode). */
  pasidCacheInvalidate(scope: { did?: number; pasid?: number }): void;
  /** Interrupt-entry-cache invalidation: all, or 2^im entries from index. */
  iecInvalidate(scope: { index?: number; im?: number }): void;
  /** Invalidation wait: status write of 32 bits. */
  statusWrite(addr: number, data: number): void;
  /** Invalidation wait with IF: ICS.IWC and the completion event. */
  waitInterrupt(): void;
}

/** 0 when the descriptor completed, else the IQERCD.IQEI code of the error. */
export type DescriptorOutcome = number;

const OK = R.VTD_IQERCD_IQEI_NONE;
const BAD_TYPE = R.VTD_IQERCD_IQEI_TYPE_INVALID;
const RSVD = R.VTD_IQERCD_IQEI_RSVD_FIELD;

/**
 * Executes one descriptor: `words` holds 2 quadwords (128-bit queue) or 4 (256-bit queue, where
 * the upper two of every descriptor type handled here are reserved).
 */
export function executeDescriptor(t: InvalidationTarget, words: readonly bigint[]): DescriptorOutcome {
  const f = t.features;
  // Types are 4 bits plus type-high bits 11:9 (zero for every type defined so far).
  const type = fldn(words, 'INV_DESC', 'TYPE');
  if (fldn(words, 'INV_DESC', 'TYPE_HI') !== 0) return BAD_TYPE;
  const check = (struct: string, extra: readonly bigint[] = []): boolean => !hasReserved(words, struct, extra);
  switch (type) {
    case R.VTD_INV_TYPE_CC: {
      if (!check('INV_CC')) return RSVD;
      const g = fldn(words, 'INV_CC', 'G');
      // In scalable mode the DID of a context-cache invalidation is ignored (vtd.md 4.3): a
      // domain-selective request flushes everything.
      if (g === R.VTD_INV_CC_G_GLOBAL || (g === R.VTD_INV_CC_G_DOMAIN && f.scalableMode)) t.contextInvalidate({});
      else if (g === R.VTD_INV_CC_G_DOMAIN) t.contextInvalidate({ did: fldn(words, 'INV_CC', 'DID') });
      else if (g === R.VTD_INV_CC_G_DEVICE) t.contextInvalidate({ sid: fldn(words, 'INV_CC', 'SID'), fm: fldn(words, 'INV_CC', 'FM') });
      else return RSVD;
      return OK;
    }
    case R.VTD_INV_TYPE_IOTLB: {
      if (!check('INV_IOTLB')) return RSVD;
      const g = fldn(words, 'INV_IOTLB', 'G');
      const did = fldn(words, 'INV_IOTLB', 'DID');
      if (g === R.VTD_INV_IOTLB_G_GLOBAL) t.iotlbGlobal();
      else if (g === R.VTD_INV_IOTLB_G_DOMAIN) t.iotlbDomain(did);
      else if (g === R.VTD_INV_IOTLB_G_PAGE) {
        const am = fldn(words, 'INV_IOTLB', 'AM');
        // An address mask beyond CAP.MAMV is an invalid descriptor.
        if (am > QEMU_MAMV) return RSVD;
        t.iotlbPage(did, fld(words, 'INV_IOTLB', 'ADDR') << BigInt(R.VTD_INV_IOTLB_ADDR_SHIFT), am, fldn(words, 'INV_IOTLB', 'IH') !== 0);
      } else return RSVD;
      return OK;
    }
    case R.VTD_INV_TYPE_DEVTLB:
      // No device TLB is modelled (ECAP.DT forwards to ATS devices, none here): it completes.
      if (!f.deviceIotlb) return BAD_TYPE;
      return check('INV_DEVTLB') ? OK : RSVD;
    case R.VTD_INV_TYPE_IEC: {
      if (!f.intremap) return BAD_TYPE;
      if (!check('INV_IEC')) return RSVD;
      if (fldn(words, 'INV_IEC', 'G') === R.VTD_INV_IEC_G_GLOBAL) t.iecInvalidate({});
      else t.iecInvalidate({ index: fldn(words, 'INV_IEC', 'IIDX'), im: fldn(words, 'INV_IEC', 'IM') });
      return OK;
    }
    case R.VTD_INV_TYPE_WAIT: {
      // PD (drain page requests) needs ECAP.PDS, which this unit does not have: reserved.
      if (!check('INV_WAIT', [R.VTD_INV_WAIT_PD_MASK])) return RSVD;
      // Everything before this descriptor has completed (processing is synchronous), so the
      // wait signals at once; with neither SW nor IF it is a plain fence.
      if (fldn(words, 'INV_WAIT', 'SW') !== 0) {
        t.statusWrite(Number(words[1]! & R.VTD_INV_WAIT_STADDR_MASK), fldn(words, 'INV_WAIT', 'STDATA'));
      }
      if (fldn(words, 'INV_WAIT', 'IF') !== 0) t.waitInterrupt();
      return OK;
    }
    case R.VTD_INV_TYPE_PIOTLB: {
      // PASID-based descriptors exist only in scalable mode.
      if (!f.scalableMode) return BAD_TYPE;
      if (!check('INV_PIOTLB')) return RSVD;
      const g = fldn(words, 'INV_PIOTLB', 'G');
      const did = fldn(words, 'INV_PIOTLB', 'DID');
      const pasid = fldn(words, 'INV_PIOTLB', 'PASID');
      if (g === R.VTD_INV_PIOTLB_G_PASID) t.piotlbPasid(did, pasid);
      else if (g === R.VTD_INV_PIOTLB_G_PAGE) {
        const am = fldn(words, 'INV_PIOTLB', 'AM');
        if (am > QEMU_MAMV) return RSVD;
        t.piotlbPage(did, pasid, fld(words, 'INV_PIOTLB', 'ADDR') << BigInt(R.VTD_INV_PIOTLB_ADDR_SHIFT), am, fldn(words, 'INV_PIOTLB', 'IH') !== 0);
      } else return RSVD;
      return OK;
    }
    case R.VTD_INV_TYPE_PC: {
      if (!f.scalableMode) return BAD_TYPE;
      if (!check('INV_PC')) return RSVD;
      const g = fldn(words, 'INV_PC', 'G');
      const did = fldn(words, 'INV_PC', 'DID');
      if (g === R.VTD_INV_PC_G_GLOBAL) t.pasidCacheInvalidate({});
      else if (g === R.VTD_INV_PC_G_DOMAIN) t.pasidCacheInvalidate({ did });
      else if (g === R.VTD_INV_PC_G_PASID) t.pasidCacheInvalidate({ did, pasid: fldn(words, 'INV_PC', 'PASID') });
      else return RSVD;
      return OK;
    }
    default:
      // 0, PASID-based device-TLB (no ATS), page-group/stream responses (no page requests), and
      // undefined codes.
      return BAD_TYPE;
  }
}

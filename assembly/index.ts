// Entry point of build/core.wasm: re-exports every module of the translation core.
// Each area keeps its own exports file so work on one never edits another's lines.
export { ram_alloc, ram_map, ram_unmap_all, ram_translate, ram_read64_lo, ram_hi } from './ram';
export { mem_read64_lo, mem_read64_hi, mem_aborted } from './mem';
export * from './pgtable/index';
export * from './iotlb/exports';
export * from './walk/api';
export * from './xlate/exports';
export * from './pgtable/vtd-exports';
export * from './pgtable/soc-exports';

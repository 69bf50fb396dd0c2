// Entry point of build/core.wasm: re-exports every module of the translation core.
export { ram_alloc, ram_map, ram_unmap_all, ram_translate, ram_read64_lo, ram_hi } from './ram';

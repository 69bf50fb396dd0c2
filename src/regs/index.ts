// Public surface of the register runtime. The generated constants live in
// ./generated/index.ts (built from regmaps/ by scripts/gen-regmaps.ts).
export { RegisterFile } from './register-file.ts';
export type { DumpOptions, DumpedRegister, ReadHook, RegisterFileOptions, RegisterInfo, WriteHook } from './register-file.ts';
export { FieldRef, RegRef } from './refs.ts';
export { StructView, structOf } from './struct-view.ts';
export type {
  Access, BlockDesc, ConstTableDesc, EnumValue, FieldDesc, RegisterDesc, RegWidth, StructDesc, StructFieldDesc, VariantDesc,
} from './types.ts';
export { BLOCKS } from './generated/index.ts';

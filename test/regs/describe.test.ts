// `iommu-model describe`: listings, register/field/structure/constant pages, and errors that
// name what was not found with close candidates. Values checked come from the sheets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describe } from '../../src/cli/describe.ts';

const throwsWith = (fn: () => unknown, ...parts: (string | RegExp)[]) => {
  let msg = '';
  try {
    fn();
  } catch (e) {
    msg = (e as Error).message;
  }
  assert.ok(msg !== '', 'expected an Error');
  for (const p of parts) {
    if (typeof p === 'string') assert.ok(msg.includes(p), `message lacks ${JSON.stringify(p)}:\n${msg}`);
    else assert.match(msg, p);
  }
};

test('block listing: offset, width, access, reset, name', () => {
  const out = describe(['smmuv3']);
  assert.match(out, /^smmuv3: ARM SMMUv3/);
  assert.match(out, /MMIO window 0x20000 bytes/);
  assert.match(out, /^0x00004\s+32\s+RO\s+0x02730010\s+IDR1$/m);
  assert.match(out, /^0x00044\s+32\s+RW\s+0x00001000\s+GBPA$/m);
  assert.match(out, /^0x00080\s+64\s+RW\s+0x0000000000000000\s+STRTAB_BASE$/m);
  assert.match(out, /^0x100a8\s+32\s+RW\s+0x00000000\s+EVENTQ_PROD \(also at 0x000a8\)$/m);
  assert.match(out, /^0x000c0\s+64\s+RW\s+0x0000000000000000\s+PRIQ_BASE \*$/m, 'absent registers are starred');
  assert.match(out, /structures: L1STD \(8 B\), STE \(64 B\)/);
  assert.match(out, /constants: CMD_OP \(25\), EVENT \(19\), CERROR \(4\)/);
  const lines = out.split('\n').filter((l) => /^0x[0-9a-f]{5} /.test(l)).map((l) => parseInt(l.slice(2, 7), 16));
  assert.equal(lines, [...lines].sort((a, b) => a - b), 'sorted by offset');
  const v = describe(['vtd']);
  assert.match(v, /^0x008\s+64\s+RO\s+0x00d2008c22260206\s+CAP$/m);
  assert.match(v, /^0x228\s+64\s+RO\s+0x0000000000000000\s+FRCD_HI\[0\.\.0\] \(stride 0x10\)$/m);
});

test('register page: every field with bits, access, reset, enum values; reserved bits', () => {
  const out = describe(['smmuv3', 'CR0']);
  assert.match(out, /^smmuv3 CR0 @ 0x020: 32-bit, access RW, reset 0x00000000$/m);
  assert.match(out, /^\[0\]\s+SMMUEN\s+RW\s+0\s+Translation enable/m);
  assert.match(out, /^\[3\]\s+CMDQEN\s+RW\s+0\s/m);
  assert.match(out, /^\[8:6\]\s+VMW\s+RW\s+0\s/m);
  assert.match(out, /reserved \(read 0, writes ignored\): \[31:9\], \[5\]/);
  const fectl = describe(['vtd', 'FECTL']);
  assert.match(fectl, /reset 0x80000000/);
  assert.match(fectl, /^\[31\]\s+IM\s+RW\s+1\s/m, 'field reset derived from the register reset');
  assert.match(fectl, /^\[30\]\s+IP\s+RO\s+0\s/m);
  const cfg = describe(['smmuv3', 'STRTAB_BASE_CFG']);
  assert.match(cfg, /values: 0 = LINEAR, 1 = TWO_LEVEL/);
  const cons = describe(['smmuv3', 'CMDQ_CONS']);
  assert.match(cons, /values: constants table CERROR \(iommu-model describe smmuv3 CERROR\)/);
  assert.match(describe(['smmuv3', 'IDR4']), /no fields: the whole register is RO/);
});

test('field page: position, reset, generated constant names', () => {
  const out = describe(['smmuv3', 'CR0.SMMUEN']);
  assert.match(out, /^smmuv3 CR0\.SMMUEN: bits \[0\] of CR0 \(0x020\), access RW, reset 0$/m);
  assert.match(out, /shift 0, width 1, mask 0x00000001/);
  assert.match(out, /constants: SMMU_CR0_SMMUEN_SHIFT, SMMU_CR0_SMMUEN_WIDTH, SMMU_CR0_SMMUEN_MASK/);
  const mgaw = describe(['vtd', 'cap.mgaw']);
  assert.match(mgaw, /^vtd CAP\.MGAW: bits \[21:16\] of CAP \(0x008\), access RO, reset 0x26$/m, 'case-insensitive; MGAW = 38');
  const f = describe(['vtd', 'FRCD_HI[0].F']);
  assert.match(f, /bits \[63\] of FRCD_HI \(0x228\), access RW1C/);
});

test('structures and constants tables', () => {
  const ste = describe(['smmuv3', 'STE']);
  assert.match(ste, /^smmuv3 STE: 64-byte structure of 64-bit little-endian words$/m);
  assert.match(ste, /^0\s+\[3:1\]\s+CONFIG\s+/m);
  assert.match(ste, /values: 0 = ABORT, 4 = BYPASS, 5 = S1_TRANS, 6 = S2_TRANS, 7 = NESTED/);
  const s1dss = describe(['smmuv3', 'STE.S1DSS']);
  assert.match(s1dss, /word 1 bits \[1:0\] \(structure bits \[65:64\], byte offset 8\)/);
  assert.match(s1dss, /constants: SMMU_STE_S1DSS_WORD, SMMU_STE_S1DSS_SHIFT/);
  const ops = describe(['smmuv3', 'CMD_OP']);
  assert.match(ops, /^0x46\s+SYNC\s+/m);
  assert.match(ops, /^0x03\s+CFGI_STE\s+/m);
  assert.match(describe(['smmuv3', 'CMD_OP.SYNC']), /^smmuv3 CMD_OP\.SYNC = 0x46 \(70\)$/m);
  assert.match(describe(['vtd', 'FR.CONTEXT_ENTRY_P']), /= 0x02 /);
  assert.match(describe(['vtd', 'FR.CONTEXT_ENTRY_P']), /constant: VTD_FR_CONTEXT_ENTRY_P/);
});

test('errors name what was not found and close candidates', () => {
  throwsWith(() => describe(['smmu']), 'unknown block "smmu"', 'known blocks: edu, pci, pci_acs, pci_exp, pci_msi, smmuv3, vtd', 'Did you mean: smmuv3');
  throwsWith(() => describe(['smmuv3', 'CRO']), 'unknown register "CRO" in smmuv3', /Did you mean: .*CR0/);
  throwsWith(() => describe(['smmuv3', 'CR0.SMMUENN']), 'unknown field "SMMUENN" in register CR0 of smmuv3', 'Did you mean: SMMUEN');
  throwsWith(() => describe(['smmuv3', 'STE.CONFG']), 'unknown field "CONFG" in structure STE', 'CONFIG');
  throwsWith(() => describe(['smmuv3', 'CMD_OP.SYN']), 'unknown value "SYN" in constants table CMD_OP', 'SYNC');
  throwsWith(() => describe(['vtd', 'XYZZY']), 'unknown register "XYZZY" in vtd');
  throwsWith(() => describe([]), 'usage: iommu-model describe <block>', 'blocks: edu, pci, pci_acs, pci_exp, pci_msi, smmuv3, vtd');
  throwsWith(() => describe(['smmuv3', 'CR0', 'extra']), 'at most two arguments');
});

test('PCI and edu blocks: byte/word registers and layout variants', () => {
  const edu = describe(['edu']);
  assert.match(edu, /^0x000\s+32\s+RO\s+0x010000ed\s+ID$/m);
  assert.match(edu, /^0x098\s+64\s+RW\s+0x0000000000000000\s+DMA_CMD$/m);
  const field = describe(['pci', 'COMMAND.MEMORY']);
  assert.match(field, /^pci COMMAND\.MEMORY: bits \[1\] of COMMAND \(0x004\), access RW, reset 0$/m);
  assert.match(field, /shift 1, width 1, mask 0x0002/);
  assert.match(field, /constants: PCI_COMMAND_MEMORY_SHIFT, PCI_COMMAND_MEMORY_WIDTH, PCI_COMMAND_MEMORY_MASK/);
  const list = describe(['pci']);
  assert.match(list, /^0x018\s+8\s+RW\s+0x00\s+PRIMARY_BUS \[TYPE1\]$/m);
  assert.match(list, /^0x034\s+8\s+RO\s+0x00\s+CAPABILITY_LIST$/m);
  assert.match(list, /^\[TYPE0\] Type 0 header/m);
  assert.match(describe(['pci', 'bridge_control']), /16-bit, access RW, reset 0x0000; only in the TYPE1 layout/);
});

test.run();

// The `iommu-model` command: a thin dispatcher over the sub-commands.
import { describe } from './describe.ts';
import { runDemo } from './demo.ts';
import { runQtest } from '../qtest/main.ts';
import { createMachine } from '../platform/machines/index.ts';
import { runVectors } from './vectors.ts';

const HELP = `iommu-model — register-accurate IOMMU hardware models

Usage:
  iommu-model demo                          boot a machine, run edu DMA into guest RAM, dump registers
  iommu-model describe <block> [reg[.field]] print a register map entry from regmaps/
                                            (blocks: smmuv3, vtd)
  iommu-model qtest [QEMU-style options]    speak QEMU's qtest protocol, e.g.
        iommu-model qtest -machine q35 -device edu -qtest stdio
  iommu-model vectors <file.json|dir>...    replay conformance vectors (Linux io-pgtable-arm);
                                            prints "N passed, N failed" per file
  iommu-model --help                        this text

Docs: README.md; register maps: regmaps/README.md.`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(HELP);
      return 0;
    case 'describe':
      try {
        console.log(describe(rest));
        return 0;
      } catch (e) {
        console.error(`iommu-model describe: ${(e as Error).message}`);
        return 2;
      }
    case 'demo':
      return runDemo(rest);
    case 'qtest':
      return runQtest(rest, createMachine);
    case 'vectors':
      return runVectors(rest);
    default:
      console.error(`iommu-model: unknown command "${cmd}" (try --help)`);
      return 2;
  }
}

const code = await main(process.argv.slice(2));
if (code !== 0) process.exitCode = code;

// `npm run bench`: every benchmark, each printing its ratio against an in-run reference.
import { runMmioBench } from './mmio.bench.ts';
import { runPgtableBench } from './pgtable.bench.ts';
import { runWalkBench } from './walk.bench.ts';
import { runIotlbBench } from './iotlb.bench.ts';
import { runTranslateBench } from './translate.bench.ts';
import { runSmmuv3Bench } from './smmuv3.bench.ts';
import { runSocPgtableBench } from './pgtable-soc.bench.ts';
import { runKernelBench } from './kernel.bench.ts';
import { runVtdBench } from './vtd.bench.ts';
import { RegisterFile } from '../src/regs/register-file.ts';
import { BLOCKS } from '../src/regs/generated/index.ts';

console.log(`node ${process.version}, ${process.arch}\n`);
console.log('== MMIO register access (target >= 20 M accesses/s through the AddressSpace)');
const smmu = new RegisterFile(BLOCKS.smmuv3!);
const vtd = new RegisterFile(BLOCKS.vtd!);
const offsets = (rf: RegisterFile, names: string[]) => names.map((n) => rf.registers().find((r) => r.name === n)!.offset);
runMmioBench([
  { name: 'SMMUv3 regfile', handler: smmu, offsets: offsets(smmu, ['IDR0', 'IDR1', 'IDR5', 'CR0', 'CR0ACK', 'GERROR', 'CMDQ_PROD', 'CMDQ_CONS']) },
  { name: 'VT-d regfile', handler: vtd, offsets: offsets(vtd, ['VER', 'CAP', 'ECAP', 'GSTS', 'FSTS', 'FECTL', 'IQH', 'IQT']) },
]);

console.log('\n== Page-table writer, VMSAv8-64 S1 4K (target: map >= 10 M pages/s)');
runPgtableBench();

console.log('\n== Full walks, VMSAv8-64 S1 4K, 4 levels (WASM vs the pure-TS reference walker)');
runWalkBench();

console.log('\n== IOTLB hits (WASM vs a pure-TS Map-based reference TLB)');
runIotlbBench();

console.log('\n== Translate = IOTLB lookup + walk on a miss + insert (targets: per call >= 60 M hits/s and >= 15 M misses/s; batched >= 200 M hits/s; >= 1.5x / 3x the TS reference)');
runTranslateBench();

console.log('\n== SMMUv3 translate through the public API (STE/CD resolved) vs the core alone and a TS reference');
runSmmuv3Bench();

console.log('\n== Page-table writers: POWER TCE and SoC formats');
runSocPgtableBench();

console.log('\n== Kernel layer on arm-smmu-v3 + the SMMUv3 model: iommu_map/unmap and the DMA API');
runKernelBench();

console.log('\n== VT-d translate through the public API (context resolved) vs the core alone and a TS reference');
runVtdBench();

// `npm run bench`: every benchmark, each printing its ratio against an in-run reference.
import { runMmioBench } from './mmio.bench.ts';

console.log(`node ${process.version}, ${process.arch}\n`);
console.log('== MMIO register access (target >= 20 M accesses/s through the AddressSpace)');
runMmioBench();

// arm_smmu_write_entry (smmuv3.md h.3): updates a live STE or CD in place so that the SMMU,
// which may fetch the entry at any sync point, only ever sees the old or the new
// configuration. "Used bits" are the bits the hardware reads for an entry's configuration;
// bits it ignores may change freely.
//  * one 64-bit word differs in used bits (the critical word) -> hitless: write the ignored
//    bits of every other word, sync; store the critical word, sync; write the full target
//    (clearing bits now unused), sync;
//  * two or more -> breaking: word 0 = 0 (V = 0), sync; words 1..n-1, sync; word 0, sync;
//  * none -> write the target (only ignored bits change).
// A step syncs only if it changed memory (entry_set).

export interface EntryWriter {
  /** Entry size in 64-bit words (8 for STE and CD). */
  readonly qwords: number;
  /** The entry as it is in memory now. */
  read(): bigint[];
  /** One 64-bit store (WRITE_ONCE) of word i. */
  writeWord(i: number, v: bigint): void;
  /** Make the SMMU drop what it cached (CFGI_STE / CFGI_CD for every stream) + CMD_SYNC. */
  sync(): void;
  /** The used bits of an entry value (arm_smmu_get_ste_used / arm_smmu_get_cd_used). */
  used(entry: readonly bigint[]): bigint[];
}

/** arm_smmu_entry_qword_diff: bitmap of words whose used bits must change; fills `unusedUpdate`. */
export function entryQwordDiff(w: EntryWriter, entry: readonly bigint[], target: readonly bigint[], unusedUpdate: bigint[]): number {
  const curUsed = w.used(entry);
  const targetUsed = w.used(target);
  let diff = 0;
  for (let i = 0; i < w.qwords; i++) {
    // The make functions never set a bit the used function does not report (WARN_ON_ONCE).
    if ((target[i]! & ~targetUsed[i]!) !== 0n) throw new Error(`arm-smmu-v3: target entry word ${i} sets unused bits`);
    // Bits can change because they are not currently being used.
    unusedUpdate[i] = (entry[i]! & curUsed[i]!) | (target[i]! & ~curUsed[i]!);
    // Used bits that still differ after that update need the entry to change configuration.
    if ((unusedUpdate[i]! & targetUsed[i]!) !== target[i]!) diff |= 1 << i;
  }
  return diff;
}

function entrySet(w: EntryWriter, entry: bigint[], target: readonly bigint[], start: number, len: number): boolean {
  let changed = false;
  for (let i = start; len !== 0; len--, i++) {
    if (entry[i] !== target[i]) {
      w.writeWord(i, target[i]!);
      entry[i] = target[i]!;
      changed = true;
    }
  }
  if (changed) w.sync();
  return changed;
}

/** Which path the update took (for traces and tests). */
export type EntryUpdate = 'hitless' | 'breaking' | 'unused-only' | 'none';

export function writeEntry(w: EntryWriter, target: readonly bigint[]): EntryUpdate {
  const entry = w.read();
  const unusedUpdate = new Array<bigint>(w.qwords).fill(0n);
  const diff = entryQwordDiff(w, entry, target, unusedUpdate);
  const popcount = diff.toString(2).replace(/0/g, '').length;
  if (popcount === 1) {
    const critical = Math.log2(diff & -diff);
    // The critical word is written whole in the next step; skipping its unused bits here can save a sync.
    unusedUpdate[critical] = entry[critical]!;
    entrySet(w, entry, unusedUpdate, 0, w.qwords);
    entrySet(w, entry, target, critical, 1);
    entrySet(w, entry, target, 0, w.qwords);
    return 'hitless';
  }
  if (diff !== 0) {
    unusedUpdate[0] = 0n;
    entrySet(w, entry, unusedUpdate, 0, 1);
    entrySet(w, entry, target, 1, w.qwords - 1);
    entrySet(w, entry, target, 0, 1);
    return 'breaking';
  }
  // No used bit changes: Linux WARNs if anything had to be written at all.
  return entrySet(w, entry, target, 0, w.qwords) ? 'unused-only' : 'none';
}

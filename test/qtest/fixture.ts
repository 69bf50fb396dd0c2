// The qtest transcript format of test/qtest/fixtures/*.txt (see fixtures/README.md):
//   # comment
//   $ ARGS            machine command line (QEMU syntax; shell-like word split on spaces)
//   > REQUEST         one qtest request line
//   < REPLY           a reply line as QEMU 7.2 printed it (IRQ lines included, in order)
//   <= REPLY          a reply taken from QEMU's source because the recording build could
//                     not produce it (Debian's 7.2 has no qtest accelerator: clock_step /
//                     clock_set answer "FAIL Unknown command" there)
//   ~ MS              recording only: let MS ms of wall time pass (QEMU ran its guest
//                     clock in real time); ignored on replay, where clock_step does that

export interface FixtureStep {
  request: string;
  /** Expected reply lines, in order (IRQ notifications first, the reply last). */
  replies: string[];
  /** Parallel to `replies`: true where the line came from the source, not a recording. */
  synthesized: boolean[];
  /** Wall-clock wait before sending, for the recorder. */
  waitMs: number;
  /** 1-based line of the request in the fixture file. */
  line: number;
}

export interface Fixture {
  args: string[];
  steps: FixtureStep[];
}

export function parseFixture(text: string): Fixture {
  const args: string[] = [];
  const steps: FixtureStep[] = [];
  let pendingWait = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) return;
    const where = `fixture line ${index + 1}`;
    if (line.startsWith('$ ')) {
      args.push(...line.slice(2).split(' ').filter((w) => w !== ''));
    } else if (line.startsWith('> ')) {
      steps.push({ request: line.slice(2), replies: [], synthesized: [], waitMs: pendingWait, line: index + 1 });
      pendingWait = 0;
    } else if (line.startsWith('<= ') || line.startsWith('< ') || line === '<') {
      const step = steps[steps.length - 1];
      if (!step) throw new Error(`${where}: reply before any request`);
      const synthesized = line.startsWith('<= ');
      step.replies.push(synthesized ? line.slice(3) : line.slice(2));
      step.synthesized.push(synthesized);
    } else if (line.startsWith('~ ')) {
      pendingWait += Number(line.slice(2));
    } else {
      throw new Error(`${where}: cannot parse '${line}'`);
    }
  });
  return { args, steps };
}

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualClock } from '../../src/bridge/clock.ts';

test('timers fire in deadline order, ties in arming order, each at its own time', () => {
  const c = new VirtualClock();
  const seen: string[] = [];
  const a = c.createTimer('a', (t) => seen.push(`a@${t}`));
  const b = c.createTimer('b', (t) => seen.push(`b@${t}`));
  const d = c.createTimer('d', (t) => seen.push(`d@${t}`));
  b.mod(300);
  a.mod(100);
  d.mod(300);
  assert.is(c.step(1000), 1000);
  assert.equal(seen, ['a@100', 'b@300', 'd@300']);
});

test('step() with no argument goes to the next deadline only; with nothing armed the clock stays', () => {
  const c = new VirtualClock();
  assert.is(c.step(), 0);
  const t = c.createTimer('t', () => {});
  t.mod(100_000_000);
  assert.is(t.deadline, 100_000_000);
  assert.is(c.step(), 100_000_000);
  assert.is(t.deadline, -1);
  assert.is(c.step(), 100_000_000);
});

test('a timer re-armed from its callback fires again within the same step', () => {
  const c = new VirtualClock();
  let n = 0;
  const t = c.createTimer('tick', (now) => {
    n++;
    if (n < 3) t.mod(now + 10);
  });
  t.mod(10);
  c.step(100);
  assert.is(n, 3);
  assert.is(c.now(), 100);
});

test('del() disarms; advanceTo never goes backwards; bad steps are refused', () => {
  const c = new VirtualClock();
  let fired = false;
  const t = c.createTimer('t', () => (fired = true));
  t.mod(5);
  t.del();
  c.step(10);
  assert.is(fired, false);
  assert.is(c.advanceTo(3), 10);
  assert.is(c.nowMs(), 0);
  assert.throws(() => c.step(-1), /non-negative/);
  assert.throws(() => t.mod(NaN), /finite/);
});

test.run();

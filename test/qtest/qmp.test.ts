import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QmpResponder, qmpJson } from '../../src/qtest/qmp.ts';

function responder(startStopped = false) {
  let out = '';
  let quits = 0;
  const q = new QmpResponder((t) => (out += t), { quit: () => quits++ }, () => 2_500_000_000, startStopped);
  return { q, take: () => { const o = out; out = ''; return o; }, quits: () => quits };
}

test('JSON text as QEMU writes it', () => {
  assert.is(qmpJson({ return: {} }), '{"return": {}}');
  assert.is(qmpJson({ a: [1, 'x'], b: { c: null, d: true } }), '{"a": [1, "x"], "b": {"c": null, "d": true}}');
});

test('the exchange captured from QEMU 7.2 (greeting layout, negotiation, errors, id placement)', () => {
  const { q, take } = responder(true);
  q.greet();
  assert.is(take(), '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "iommu-model"}, "capabilities": ["oob"]}}\r\n');
  q.feed('{"execute": "query-status"}');
  assert.is(take(), `{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}\r\n`);
  q.feed('{"execute": "qmp_capabilities"}');
  assert.is(take(), '{"return": {}}\r\n');
  q.feed('{"execute": "qmp_capabilities"}');
  assert.is(take(), '{"error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}\r\n');
  q.feed('{"execute": "foo", "id": 7}');
  assert.is(take(), '{"id": 7, "error": {"class": "CommandNotFound", "desc": "The command foo has not been found"}}\r\n');
  q.feed('{"execute": "query-status", "id": "x"}');
  assert.is(take(), '{"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": "x"}\r\n');
  q.feed('garbage ');
  assert.is(take(), `{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword 'garbage'"}}\r\n`);
});

test('stream framing: split objects, several per chunk, braces inside strings, single quotes', () => {
  const { q, take } = responder();
  q.feed("{'execute': 'qmp_capa");
  assert.is(take(), '');
  q.feed("bilities'}{\"execute\": \"query-status\", \"id\": \"}{\"}");
  assert.is(take(), '{"return": {}}\r\n{"return": {"status": "running", "singlestep": false, "running": true}, "id": "}{"}\r\n');
  q.feed('{"execute": "stop"}{"execute": "query-status"}');
  assert.is(take(), '{"return": {}}\r\n{"return": {"status": "paused", "singlestep": false, "running": false}}\r\n');
  q.feed('[1]{"id": 1}');
  assert.is(take(), `{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}\r\n{"id": 1, "error": {"class": "GenericError", "desc": "QMP input lacks member 'execute'"}}\r\n`);
});

test('quit: SHUTDOWN event first (virtual-clock time stamp), then the return, then the quit callback', () => {
  const { q, take, quits } = responder();
  q.feed('{"execute":"qmp_capabilities"}');
  take();
  q.feed('{"execute":"quit"}');
  assert.is(take(), '{"timestamp": {"seconds": 2, "microseconds": 500000}, "event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}}\r\n{"return": {}}\r\n');
  assert.is(quits(), 1);
});

test.run();

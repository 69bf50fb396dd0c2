// A minimal QMP (QEMU Machine Protocol) responder: just what libqtest and simple scripts
// need around a qtest session. libqtest's qtest_init() reads the greeting and sends
// qmp_capabilities; tests may ask query-status / query-version, and "quit" to end.
// Replies follow QEMU 7.2's text exactly (key order, ", " and ": " separators, "\r\n"),
// as captured from qemu-system-x86_64 7.2 (see test/qtest/fixtures/README.md).

/** Reported in the greeting and query-version: the QEMU protocol level we follow. */
export const QMP_VERSION = { qemu: { micro: 0, minor: 2, major: 7 }, package: 'iommu-model' } as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON the way QEMU's qobject_to_json writes it: ", " between members, ": " after keys. */
export function qmpJson(v: Json): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(qmpJson).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${qmpJson(x)}`).join(', ')}}`;
}

/** Rewrites QEMU's single-quoted JSON extension ('str') into standard JSON. */
function normaliseQuotes(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === "'") {
      let s = '';
      let j = i + 1;
      while (j < text.length && text[j] !== "'") {
        if (text[j] === '\\') {
          s += text[j + 1] === "'" ? "'" : text.slice(j, j + 2);
          j += 2;
        } else {
          s += text[j] === '"' ? '\\"' : text[j];
          j++;
        }
      }
      out += `"${s}"`;
      i = j;
    } else {
      out += c;
    }
  }
  return out;
}

export interface QmpEvents {
  /** A "quit" was acknowledged: the process should end (exit status 0). */
  quit(): void;
}

export class QmpResponder {
  private buf = '';
  private depth = 0;
  private quote: string | null = null;
  private escaped = false;
  private start = -1;
  private negotiated = false;
  private status: 'prelaunch' | 'running' | 'paused';

  constructor(
    private readonly send: (text: string) => void,
    private readonly events: QmpEvents,
    /** Virtual clock in ns, for event time stamps (deterministic, unlike QEMU's wall clock). */
    private readonly clockNs: () => number,
    startStopped = false,
  ) {
    this.status = startStopped ? 'prelaunch' : 'running';
  }

  /** The greeting QEMU sends as soon as the monitor connection opens. */
  greet(): void {
    this.emit({ QMP: { version: QMP_VERSION as unknown as Json, capabilities: ['oob'] } });
  }

  /** Bytes from the client; every complete top-level JSON value is executed. */
  feed(chunk: string): void {
    for (const c of chunk) {
      this.buf += c;
      const pos = this.buf.length - 1;
      if (this.quote) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === this.quote) this.quote = null;
        continue;
      }
      if (c === '"' || c === "'") {
        this.quote = c;
      } else if (c === '{' || c === '[') {
        if (this.depth++ === 0) this.start = pos;
      } else if (c === '}' || c === ']') {
        if (this.depth > 0 && --this.depth === 0) {
          const text = this.buf.slice(this.start, pos + 1);
          this.buf = '';
          this.handle(text);
        }
      } else if (this.depth === 0 && /\s/.test(c)) {
        const token = this.buf.trim();
        this.buf = '';
        if (token) this.parseError(token);
      }
    }
  }

  private parseError(token: string): void {
    this.emit({ error: { class: 'GenericError', desc: `JSON parse error, invalid keyword '${token}'` } });
  }

  private emit(v: Json): void {
    this.send(`${qmpJson(v)}\r\n`);
  }

  private handle(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(normaliseQuotes(text));
    } catch {
      this.emit({ error: { class: 'GenericError', desc: 'JSON parse error' } });
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      this.emit({ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } });
      return;
    }
    const req = msg as Record<string, Json>;
    const id = req['id'];
    const error = (cls: string, desc: string): void =>
      this.emit(id === undefined ? { error: { class: cls, desc } } : { id, error: { class: cls, desc } });
    const ok = (ret: Json): void => this.emit(id === undefined ? { return: ret } : { return: ret, id });
    const cmd = req['execute'] ?? req['exec-oob'];
    if (typeof cmd !== 'string') {
      error('GenericError', "QMP input lacks member 'execute'");
      return;
    }
    if (!this.negotiated) {
      if (cmd !== 'qmp_capabilities') {
        error('CommandNotFound', "Expecting capabilities negotiation with 'qmp_capabilities'");
        return;
      }
      this.negotiated = true;
      ok({});
      return;
    }
    switch (cmd) {
      case 'qmp_capabilities':
        error('CommandNotFound', 'Capabilities negotiation is already complete, command ignored');
        return;
      case 'query-status':
        ok({ status: this.status, singlestep: false, running: this.status === 'running' });
        return;
      case 'query-version':
        ok(QMP_VERSION as unknown as Json);
        return;
      case 'cont':
        this.status = 'running';
        ok({});
        return;
      case 'stop':
        if (this.status === 'running') this.status = 'paused';
        ok({});
        return;
      case 'quit': {
        // QEMU 7.2 emits the SHUTDOWN event before the return (captured).
        const ns = this.clockNs();
        this.emit({
          timestamp: { seconds: Math.floor(ns / 1e9), microseconds: Math.floor((ns % 1e9) / 1e3) },
          event: 'SHUTDOWN',
          data: { guest: false, reason: 'host-qmp-quit' },
        });
        ok({});
        this.events.quit();
        return;
      }
      default:
        error('CommandNotFound', `The command ${cmd} has not been found`);
    }
  }
}

// Base64 as GLib's g_base64_encode / g_base64_decode, which QEMU's b64read / b64write use.
// Encoding is standard RFC 4648 with '=' padding. Decoding follows GLib's leniency:
// characters outside the alphabet are skipped, '=' counts as a zero sextet that trims the
// output of its quantum, and a trailing incomplete quantum (fewer than 4 sextets) is dropped.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const RANK = new Int8Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) RANK[ALPHABET.charCodeAt(i)] = i;

export function base64Encode(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

export function base64Decode(text: string): Uint8Array {
  const out: number[] = [];
  let quantum = 0;
  let count = 0;
  let pads = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let sextet: number;
    if (code === 61 /* '=' */) {
      sextet = 0;
      pads++;
    } else {
      sextet = code < 256 ? RANK[code]! : -1;
      if (sextet < 0) continue;
    }
    quantum = (quantum << 6) | sextet;
    if (++count === 4) {
      const bytes = [(quantum >>> 16) & 0xff, (quantum >>> 8) & 0xff, quantum & 0xff];
      out.push(...bytes.slice(0, 3 - Math.min(pads, 2)));
      quantum = 0;
      count = 0;
      pads = 0;
    }
  }
  return Uint8Array.from(out);
}

#!/usr/bin/env node
// The least a Node.js MQTT broker can do for benchmark scenario 4 (QoS 0 at a fixed rate):
// answer CONNECT/SUBSCRIBE/PINGREQ and copy each PUBLISH to every subscriber, through
// node:net with nothing else. Its latency is the floor Wharf's MQTT path is compared with
// in docs/performance.md ("Latency at 1,000 msg/s"). Not a broker: no sessions, no QoS 1/2,
// no auth, no limits; for measurement only.
// With --raw the same relay runs on libuv's TCP handle through Node's internal bindings
// (scripts/lib/raw-tcp.mjs): the floor below the public `net` API.
// Usage: node scripts/mqtt-relay-floor.mjs [port] [--raw]   (default 21899, on 127.0.0.1)
import net from 'node:net';
import { listenRaw } from './lib/raw-tcp.mjs';
const subs = new Set();
const port = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 21899);
/** One connection: `s` has write(buf) and end(); returns the data handler. */
const relay = (s) => {
  let buf = Buffer.alloc(0);
  return (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (;;) {
      if (buf.length < 2) break;
      let len = 0, mul = 1, i = 1, b;
      do { if (i >= buf.length) return; b = buf[i++]; len += (b & 127) * mul; mul *= 128; } while (b & 128);
      if (buf.length < i + len) break;
      const pkt = buf.subarray(0, i + len); buf = buf.subarray(i + len);
      const type = pkt[0] >> 4;
      if (type === 1) s.write(Buffer.from([0x20, 2, 0, 0]));
      else if (type === 8) { subs.add(s); const pid = pkt.subarray(i, i + 2); s.write(Buffer.concat([Buffer.from([0x90, 3]), pid, Buffer.from([0])])); }
      else if (type === 3) { const copy = Buffer.from(pkt); for (const t of subs) t.write(copy); }
      else if (type === 12) s.write(Buffer.from([0xd0, 0]));
      else if (type === 14) s.end();
    }
  };
};
if (process.argv.includes('--raw')) {
  listenRaw(port, (c) => {
    const s = { write: (b) => c.write(b), end: () => c.close() };
    c.ondata = relay(s);
    c.onclose = () => subs.delete(s);
  });
} else {
  net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', relay(s));
    s.on('close', () => subs.delete(s));
    s.on('error', () => {});
  }).listen(port, '127.0.0.1');
}

#!/usr/bin/env node
// The floor of a Node.js broker's memory per idle connection (docs/performance.md): a plain
// `net` server that answers an MQTT CONNECT with CONNACK and holds the socket, nothing else.
// With --raw it does the same on libuv's TCP handle through Node's internal bindings
// (scripts/lib/raw-tcp.mjs): the floor below the public `net` API.
// Measure it like a broker:
//   node scripts/net-floor-server.mjs 23999 [--raw] &
//   node bin/wharf.js bench --protocol mqtt --host 127.0.0.1 --port 23999 \
//     --idle-connections 10000 --connect-concurrency 100 --hold 2 --broker-pid $! --quiet
import { createServer } from 'node:net';
import { listenRaw } from './lib/raw-tcp.mjs';

const port = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 23999);
const CONNACK = Buffer.from([0x20, 2, 0, 0]);
if (process.argv.includes('--raw')) {
  const held = new Set();
  listenRaw(port, (c) => {
    held.add(c);
    c.ondata = () => c.write(CONNACK);
    c.onclose = () => held.delete(c);
  });
} else {
  createServer((socket) => {
    socket.setNoDelay(true);
    socket.once('data', () => socket.write(CONNACK));
    socket.on('error', () => undefined);
  }).listen(port, '127.0.0.1');
}

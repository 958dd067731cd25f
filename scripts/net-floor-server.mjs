#!/usr/bin/env node
// The floor of a Node.js broker's memory per idle connection (docs/performance.md): a plain
// `net` server that answers an MQTT CONNECT with CONNACK and holds the socket, nothing else.
// Measure it like a broker:
//   node scripts/net-floor-server.mjs 23999 & 
//   node bin/wharf.js bench --protocol mqtt --host 127.0.0.1 --port 23999 \
//     --idle-connections 10000 --connect-concurrency 100 --hold 2 --broker-pid $! --quiet
import { createServer } from 'node:net';

const port = Number(process.argv[2] ?? 23999);
const CONNACK = Buffer.from([0x20, 2, 0, 0]);
createServer((socket) => {
  socket.setNoDelay(true);
  socket.once('data', () => socket.write(CONNACK));
  socket.on('error', () => undefined);
}).listen(port, '127.0.0.1');

/** The WebSocket listener's own rules (src/server/server.ts, src/transport/ws-stream.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startTestBroker } from '../../helpers/broker.js';

// MQTT 3.1.1 CONNECT, clean session, keepalive 60, client id "a".
const connect311 = Buffer.from([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x61]);

interface Outcome {
  readonly messages: Buffer[];
  readonly closeCode: number;
}

function exchange(url: string, protocol: string, send: (ws: WebSocket) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [protocol]);
    const messages: Buffer[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no close within 5 s'));
    }, 5000);
    ws.on('open', () => send(ws));
    ws.on('message', (d: Buffer) => {
      messages.push(d);
      // A CONNACK means the broker accepted the frame: close ourselves and report it.
      ws.close();
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ messages, closeCode: code });
    });
  });
}

test('MQTT over WebSocket: binary CONNECT is answered, a text frame closes the connection [MQTT-6.0.0-1]', async () => {
  const b = await startTestBroker();
  try {
    const url = `ws://127.0.0.1:${b.ports.ws}/mqtt`;
    const binary = await exchange(url, 'mqtt', (ws) => ws.send(connect311, { binary: true }));
    assert.equal(binary.messages.length, 1);
    assert.equal(binary.messages[0]![0], 0x20, 'CONNACK');
    const text = await exchange(url, 'mqtt', (ws) => ws.send(connect311.toString('latin1'), { binary: false }));
    assert.equal(text.messages.length, 0, 'no CONNACK for a text frame');
    assert.equal(text.closeCode, 1003);
  } finally {
    await b.stop();
  }
});

test('a WebSocket message larger than the message size limit plus headroom is refused (1009) before it is buffered whole', async () => {
  const b = await startTestBroker({ config: { limits: { maxMessageSize: 4096 } } });
  try {
    const url = `ws://127.0.0.1:${b.ports.ws}/stomp`;
    const big = await exchange(url, 'v12.stomp', (ws) => ws.send(Buffer.alloc(2 * 1024 * 1024, 0x41)));
    assert.equal(big.closeCode, 1009, 'message too big');
    // The listener still serves a well-behaved client afterwards.
    const ok = await exchange(url, 'v12.stomp', (ws) => ws.send('CONNECT\naccept-version:1.2\nhost:/\n\n\0'));
    assert.match(ok.messages[0]!.toString(), /^CONNECTED/);
  } finally {
    await b.stop();
  }
});

/** The WebSocket listener's own rules (src/server/server.ts, src/transport/ws-stream.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { connect as netConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { receiptFrom, stompjs } from '../stomp/helpers.js';
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

/**
 * Opens a WebSocket by hand and starts one masked binary message that announces `declared`
 * bytes but sends only `sent` of them. Resolves with whether the server closed the
 * connection within `waitMs` (it must not wait for the rest of a message from a peer that
 * has not logged in).
 */
function partialMessage(port: number, path: string, protocol: string, declared: number, sent: number, waitMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port });
    let upgraded = false;
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, waitMs);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      if (upgraded) resolve(true);
      else reject(new Error('closed before the upgrade'));
    });
    s.on('data', (d) => {
      if (upgraded) return;
      assert.match(d.toString('latin1'), /^HTTP\/1\.1 101/);
      upgraded = true;
      // RFC 6455 §5.2: FIN + binary, MASK + 64-bit length, masking key, then payload.
      const header = Buffer.alloc(14);
      header[0] = 0x82;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(declared), 2);
      header.writeUInt32BE(0x01020304, 10);
      s.write(header);
      const chunk = Buffer.alloc(64 * 1024, 0x55);
      for (let n = 0; n < sent; n += chunk.length) s.write(chunk.subarray(0, Math.min(chunk.length, sent - n)));
    });
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
    );
  });
}

test('before login a WebSocket peer may send limits.webSocketUnauthenticatedBytes, not a whole big message', async () => {
  const b = await startTestBroker({ config: { limits: { webSocketUnauthenticatedBytes: 256 * 1024 } } });
  try {
    // 1 MiB of a 4 MiB message: ws alone would buffer it and wait for the rest (maxPayload
    // is maxMessageSize + 1 MiB); the budget ends the connection instead.
    for (const [path, protocol] of [['/mqtt', 'mqtt'], ['/stomp', 'v12.stomp']] as const) {
      assert.equal(await partialMessage(b.ports.ws, path, protocol, 4 * 1024 * 1024, 1024 * 1024, 5000), true, `${protocol}: closed before the message ended`);
    }
    // Within the budget nothing happens: the broker waits for the rest as usual.
    assert.equal(await partialMessage(b.ports.ws, '/mqtt', 'mqtt', 4 * 1024 * 1024, 128 * 1024, 1500), false, 'a peer within the budget is not cut off');

    // After login the budget is gone: real clients send messages far above it.
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const sub = await mqtt.connectAsync(`ws://127.0.0.1:${b.ports.ws}/mqtt`, { clientId: 'ws-big-sub', reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(`ws://127.0.0.1:${b.ports.ws}/mqtt`, { clientId: 'ws-big-pub', reconnectPeriod: 0 });
    try {
      await sub.subscribeAsync('ws/big', { qos: 1 });
      const got = new Promise<Buffer>((resolve) => sub.once('message', (_t, payload) => resolve(payload)));
      await pub.publishAsync('ws/big', big, { qos: 1 });
      assert.equal((await got).length, big.length);
    } finally {
      await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
    }
    const client = await stompjs(b.ports, 'ws');
    try {
      const receipt = receiptFrom(client, 'big');
      client.publish({ destination: '/queue/ws-big', body: 'b'.repeat(1024 * 1024), headers: { receipt: 'big' } });
      await receipt;
    } finally {
      await client.deactivate();
    }
  } finally {
    await b.stop();
  }
});

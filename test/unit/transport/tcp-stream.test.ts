import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { socketStream } from '../../../src/transport/tcp-stream.js';

/** A connected pair: the server side wrapped as a ByteStream, the client side reading raw. */
async function pair(): Promise<{ server: Socket; client: Socket; close(): void }> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  const [server] = (await once(srv, 'connection')) as [Socket];
  await once(client, 'connect');
  return {
    server,
    client,
    close() {
      client.destroy();
      server.destroy();
      srv.close();
    },
  };
}

async function readBytes(s: Socket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const [chunk] = (await once(s, 'data')) as [Buffer];
    parts.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(parts);
}

/** Every buffer handed to `socket.write`, in order (the socket still writes them). */
function recordWrites(socket: Socket): Buffer[] {
  const written: Buffer[] = [];
  const orig = socket.write.bind(socket);
  socket.write = ((chunk: Buffer) => {
    written.push(chunk);
    return orig(chunk);
  }) as typeof socket.write;
  return written;
}

test('corked writes leave in order as one socket write at uncork; nothing before', async () => {
  const p = await pair();
  const stream = socketStream(p.server, 'tcp');
  const written = recordWrites(p.server);
  const writes = (): number[] => written.map((b) => b.length);
  stream.cork();
  assert.equal(stream.write(Buffer.from('ab')), true);
  assert.equal(stream.write(Buffer.from('cde')), true);
  assert.equal(stream.write(Buffer.from('f')), true);
  assert.deepEqual(writes(), [], 'nothing reaches the socket while corked');
  stream.uncork();
  assert.deepEqual(writes(), [6], 'one write of the three chunks');
  assert.equal((await readBytes(p.client, 6)).toString(), 'abcdef');
  // Uncorked: straight through.
  stream.write(Buffer.from('g'));
  assert.deepEqual(writes(), [6, 1]);
  assert.equal((await readBytes(p.client, 1)).toString(), 'g');
  p.close();
});

test('a batch holding a buffer over 4 KiB is written without copying it', async () => {
  const p = await pair();
  const stream = socketStream(p.server, 'tcp');
  const written = recordWrites(p.server);
  const head = Buffer.from('hd');
  const body = Buffer.alloc(8192, 3);
  stream.cork();
  stream.write(head);
  stream.write(body);
  stream.uncork();
  assert.ok(written.includes(body), 'the large body went to the socket as the same buffer');
  assert.deepEqual(await readBytes(p.client, 2 + 8192), Buffer.concat([head, body]));
  p.close();
});

test('a batch reaching 64 KiB goes out at once; large batches and end() keep every byte in order', async () => {
  const p = await pair();
  const stream = socketStream(p.server, 'tcp');
  const written = recordWrites(p.server);
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(4096, i));
  stream.cork();
  for (const c of chunks.slice(0, 16)) stream.write(c); // 64 KiB: flushed early
  assert.equal(written.length, 1);
  for (const c of chunks.slice(16)) stream.write(c);
  stream.end(); // flushes the rest before ending
  const got = await readBytes(p.client, 40 * 4096);
  assert.deepEqual(got, Buffer.concat(chunks));
  p.close();
});

test('a corked write says false while the socket waits for drain, and drain comes', async () => {
  const p = await pair();
  const stream = socketStream(p.server, 'tcp');
  p.client.pause(); // nobody reads: the kernel buffers fill, then the socket's own buffer
  const big = Buffer.alloc(1 << 20);
  let filled = false;
  for (let i = 0; i < 64 && !filled; i++) filled = !stream.write(big);
  assert.ok(filled, 'the socket reached its high-water mark');
  stream.cork();
  assert.equal(stream.write(Buffer.from('x')), false, 'batched write while the socket needs drain');
  stream.uncork();
  const drained = once(p.server, 'drain');
  p.client.resume();
  await drained;
  stream.cork();
  assert.equal(stream.write(Buffer.from('y')), true, 'after drain a batched write is accepted');
  stream.uncork();
  p.close();
});

test('destroy() drops a pending batch and later writes report false', async () => {
  const p = await pair();
  const stream = socketStream(p.server, 'tcp');
  stream.cork();
  stream.write(Buffer.from('lost'));
  stream.destroy();
  assert.equal(stream.write(Buffer.from('x')), false);
  stream.uncork(); // nothing to flush, must not throw
  await once(p.client, 'close');
  p.close();
});

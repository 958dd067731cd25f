// For measuring only (docs/performance.md "Below the net API"): a TCP server on libuv's TCP
// handle through Node's internal bindings (process.binding('tcp_wrap'), deprecated,
// DEP0111), with none of net.Socket's stream machinery. It answers one question: how low
// would a Node.js broker's memory and latency floor go if it left the public `net` API?
// Wharf does not use this. No backpressure, no half-close, no error reporting.

const { TCP, constants } = process.binding('tcp_wrap');
const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset } = process.binding('stream_wrap');

function noop() {}

/**
 * Listens on 127.0.0.1:port; onConnection(conn) gets { write(buf), close(), ondata, onclose }.
 */
export function listenRaw(port, onConnection) {
  const server = new TCP(constants.SERVER);
  if (server.bind('127.0.0.1', port) !== 0 || server.listen(4096) !== 0) throw new Error(`cannot listen on ${port}`);
  server.onconnection = (err, handle) => {
    if (err) return;
    handle.setNoDelay(true);
    const conn = {
      ondata: noop,
      onclose: noop,
      closed: false,
      write(buf) {
        const req = new WriteWrap();
        req.handle = handle;
        req.oncomplete = noop;
        req.async = false;
        if (handle.writeBuffer(req, buf) !== 0) conn.close();
      },
      close() {
        if (conn.closed) return;
        conn.closed = true;
        handle.readStop();
        handle.close(() => conn.onclose());
      },
    };
    handle.onread = (arrayBuffer) => {
      const n = streamBaseState[kReadBytesOrError];
      if (n < 0) conn.close();
      else if (n > 0) conn.ondata(Buffer.from(arrayBuffer, streamBaseState[kArrayBufferOffset], n));
    };
    handle.readStart();
    onConnection(conn);
  };
  return server;
}

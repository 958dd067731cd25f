# stomp.py 8.0.0 scenarios against Wharf. Prints one "OK <name>" line per passed
# scenario and exits non-zero on the first failure (the message says what differed).
import sys
import threading
import time
import stomp

host, port = sys.argv[1], int(sys.argv[2])
which = sys.argv[3:]  # scenario names to run (all when empty)


class Collector(stomp.ConnectionListener):
    def __init__(self):
        self.messages = []
        self.errors = []
        self.receipts = []
        self.cond = threading.Condition()

    def on_receipt(self, frame):
        with self.cond:
            self.receipts.append(frame.headers.get('receipt-id'))
            self.cond.notify_all()

    def wait_receipt(self, rid, timeout=5.0):
        end = time.time() + timeout
        with self.cond:
            while rid not in self.receipts:
                left = end - time.time()
                if left <= 0:
                    raise AssertionError('no RECEIPT %r (have %r)' % (rid, self.receipts))
                self.cond.wait(left)

    def on_message(self, frame):
        with self.cond:
            self.messages.append(frame)
            self.cond.notify_all()

    def on_error(self, frame):
        with self.cond:
            self.errors.append(frame)
            self.cond.notify_all()

    def wait(self, n, timeout=5.0):
        end = time.time() + timeout
        with self.cond:
            while len(self.messages) < n:
                left = end - time.time()
                if left <= 0:
                    raise AssertionError('expected %d messages, got %d: %r' % (n, len(self.messages), [m.body for m in self.messages]))
                self.cond.wait(left)
        return self.messages


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def connect(cls, **kw):
    conn = cls([(host, port)], **kw)
    listener = Collector()
    conn.set_listener('', listener)
    conn.connect('guest', 'guest', wait=True)
    return conn, listener


def v12_client_individual():
    conn, l = connect(stomp.Connection12)
    conn.subscribe('/queue/py-ci', id='s1', ack='client-individual')
    for b in ('a', 'b', 'c'):
        conn.send('/queue/py-ci', b)
    msgs = l.wait(3)
    check([m.body for m in msgs] == ['a', 'b', 'c'], 'order %r' % [m.body for m in msgs])
    conn.ack(msgs[1].headers['ack'])
    conn.nack(msgs[0].headers['ack'])  # requeued (RabbitMQ default)
    msgs = l.wait(4)
    check(msgs[3].body == 'a' and msgs[3].headers.get('redelivered') == 'true', 'redelivery %r' % msgs[3].headers)
    conn.ack(msgs[3].headers['ack'])
    conn.ack(msgs[2].headers['ack'])
    conn.disconnect()


def v11_heartbeats_and_ack():
    conn, l = connect(stomp.Connection11, heartbeats=(500, 500))
    conn.subscribe('/queue/py-11', id='s11', ack='client')
    conn.send('/queue/py-11', 'x', headers={'x-note': 'a:b'})
    m = l.wait(1)[0]
    check(m.headers.get('x-note') == 'a:b', 'header escaping %r' % m.headers)
    conn.ack(m.headers['message-id'], 's11')
    time.sleep(2.0)  # several heart-beat periods both ways
    check(conn.is_connected(), 'heart-beats kept the connection up')
    check(not l.errors, 'no ERROR frames %r' % [e.headers for e in l.errors])
    conn.disconnect()


def v10_basic():
    conn, l = connect(stomp.Connection10)
    conn.subscribe('/queue/py-10', ack='client')
    conn.send('/queue/py-10', 'ten')
    m = l.wait(1)[0]
    check(m.body == 'ten', 'body %r' % m.body)
    conn.ack(m.headers['message-id'], receipt='acked')
    l.wait_receipt('acked')
    conn.disconnect()
    # The ACK took effect: a new subscriber gets nothing, only what is sent next.
    conn, l = connect(stomp.Connection10)
    conn.subscribe('/queue/py-10', ack='auto')
    conn.send('/queue/py-10', 'eleven')
    msgs = l.wait(1)
    time.sleep(0.2)
    check([x.body for x in l.messages] == ['eleven'], 'acked message not redelivered %r' % [x.body for x in l.messages])
    conn.disconnect()


def transactions():
    conn, l = connect(stomp.Connection12)
    conn.subscribe('/queue/py-tx', id='t', ack='auto')
    tx = conn.begin()
    conn.send('/queue/py-tx', 'held', transaction=tx)
    time.sleep(0.3)
    check(len(l.messages) == 0, 'nothing before COMMIT')
    conn.commit(tx)
    check(l.wait(1)[0].body == 'held', 'delivered after COMMIT')
    tx2 = conn.begin()
    conn.send('/queue/py-tx', 'dropped', transaction=tx2)
    conn.abort(tx2)
    time.sleep(0.3)
    check(len(l.messages) == 1, 'aborted send not delivered')
    conn.disconnect()


def topic_and_receipt():
    conn, l = connect(stomp.Connection12)
    conn.subscribe('/topic/py.news', id='n', headers={'receipt': 'sub-r'})
    l.wait_receipt('sub-r')
    conn.send('/topic/py.news', 'headline', headers={'persistent': 'true', 'receipt': 'send-r'})
    l.wait_receipt('send-r')
    m = l.wait(1)[0]
    check(m.headers['destination'] == '/topic/py.news', 'destination %r' % m.headers)
    check(m.headers.get('persistent') == 'true', 'persistent %r' % m.headers)
    conn.disconnect(receipt='bye')
    check('bye' in l.receipts, 'DISCONNECT receipt %r' % l.receipts)


def error_frame():
    conn, l = connect(stomp.Connection12)
    conn.send('/unknown/dest', 'x')
    end = time.time() + 5
    while not l.errors and time.time() < end:
        time.sleep(0.05)
    check(l.errors and l.errors[0].headers.get('message'), 'ERROR with message header')
    time.sleep(0.3)
    check(not conn.is_connected(), 'closed after ERROR')


SCENARIOS = [v12_client_individual, v11_heartbeats_and_ack, v10_basic, transactions, topic_and_receipt, error_frame]
for s in SCENARIOS:
    if which and s.__name__ not in which:
        continue
    s()
    print('OK ' + s.__name__, flush=True)

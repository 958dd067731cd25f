# pika against Wharf: confirms, mandatory returns, get, nack/reject, tx, qos,
# exchange-to-exchange bindings, a channel error and a 406 on inequivalent redeclare.
# Prints one "OK <name>" line per check; any failure raises (non-zero exit).
import sys
import pika
from pika.exceptions import ChannelClosedByBroker, UnroutableError

host, port = sys.argv[1], int(sys.argv[2])
conn = pika.BlockingConnection(pika.ConnectionParameters(host, port))


def ok(name):
    print("OK %s" % name)
    sys.stdout.flush()


ch = conn.channel()
ch.confirm_delivery()
ch.queue_declare(queue='py-conf', durable=True)
for i in range(20):
    ch.basic_publish(exchange='', routing_key='py-conf', body='m%d' % i,
                     properties=pika.BasicProperties(delivery_mode=2), mandatory=True)
ok('confirms')
try:
    ch.basic_publish(exchange='amq.direct', routing_key='nowhere', body='x', mandatory=True)
    raise SystemExit('expected UnroutableError')
except UnroutableError:
    ok('mandatory-return')

method, props, body = ch.basic_get(queue='py-conf', auto_ack=False)
assert body == b'm0', body
assert method.message_count == 19, method.message_count
ch.basic_nack(delivery_tag=method.delivery_tag, requeue=True)
method, props, body = ch.basic_get(queue='py-conf', auto_ack=False)
assert body == b'm0' and method.redelivered, (body, method.redelivered)
ch.basic_reject(delivery_tag=method.delivery_tag, requeue=False)
# m0 was dropped by the reject: m1 is next, 18 remain after it
method, _, body = ch.basic_get(queue='py-conf', auto_ack=True)
assert body == b'm1' and method.message_count == 18, (body, method.message_count)
ch.queue_declare(queue='py-empty')
assert ch.basic_get(queue='py-empty', auto_ack=True) == (None, None, None)
ok('get-nack-reject')

tx = conn.channel()
tx.queue_declare(queue='py-tx')
tx.tx_select()
tx.basic_publish(exchange='', routing_key='py-tx', body='in-tx')
assert tx.queue_declare(queue='py-tx', passive=True).method.message_count == 0
tx.tx_commit()
assert tx.queue_declare(queue='py-tx', passive=True).method.message_count == 1
tx.basic_publish(exchange='', routing_key='py-tx', body='rolled-back')
tx.tx_rollback()
assert tx.queue_declare(queue='py-tx', passive=True).method.message_count == 1
ok('tx')

q = conn.channel()
q.basic_qos(prefetch_count=2)
q.queue_declare(queue='py-qos')
for i in range(5):
    q.basic_publish(exchange='', routing_key='py-qos', body=str(i))
seen = []
q.basic_consume(queue='py-qos', on_message_callback=lambda c, m, p, b: seen.append(m.delivery_tag))
conn.process_data_events(time_limit=0.3)
assert len(seen) == 2, seen
q.basic_ack(delivery_tag=seen[-1], multiple=True)
conn.process_data_events(time_limit=0.3)
assert len(seen) == 4, seen
ok('qos')

e = conn.channel()
e.exchange_declare(exchange='py-src', exchange_type='topic')
e.exchange_declare(exchange='py-dst', exchange_type='fanout')
e.exchange_bind(destination='py-dst', source='py-src', routing_key='a.#')
e.queue_declare(queue='py-e2e')
e.queue_bind(queue='py-e2e', exchange='py-dst')
e.basic_publish(exchange='py-src', routing_key='a.b.c', body='through')
conn.process_data_events(time_limit=0.1)
m, _, b = e.basic_get(queue='py-e2e', auto_ack=True)
assert b == b'through', b
ok('exchange-bind')

bad = conn.channel()
try:
    bad.queue_declare(queue='py-missing', passive=True)
    raise SystemExit('expected 404')
except ChannelClosedByBroker as err:
    assert err.reply_code == 404, err
    assert "NOT_FOUND - no queue 'py-missing' in vhost '/'" == err.reply_text, err.reply_text
ok('404')

bad = conn.channel()
bad.queue_declare(queue='py-ineq', durable=True)
try:
    bad.queue_declare(queue='py-ineq', durable=False)
    raise SystemExit('expected 406')
except ChannelClosedByBroker as err:
    assert err.reply_code == 406, err
ok('406')
conn.close()
ok('closed')

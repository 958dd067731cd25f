# pika against Wharf (or RabbitMQ): x-death as pika decodes it, consumer cancel
# notification, direct reply-to, exclusive/auto-delete queues, passive declare.
# Prints one "OK <name>" line per check; any failure raises (non-zero exit).
import datetime
import sys
import pika
from pika.exceptions import ChannelClosedByBroker

host, port = sys.argv[1], int(sys.argv[2])
conn = pika.BlockingConnection(pika.ConnectionParameters(host, port))


def ok(name):
    print("OK %s" % name)
    sys.stdout.flush()


def wait_get(ch, queue):
    for _ in range(100):
        method, props, body = ch.basic_get(queue=queue, auto_ack=True)
        if method is not None:
            return method, props, body
        conn.sleep(0.02)
    raise SystemExit('nothing arrived in %s' % queue)


ch = conn.channel()
for q in ('py-dlx-src', 'py-dlx-dead', 'py-ttl-src'):
    ch.queue_delete(queue=q)
ch.exchange_declare(exchange='py-dlx', exchange_type='fanout')
ch.queue_declare(queue='py-dlx-dead')
ch.queue_bind(queue='py-dlx-dead', exchange='py-dlx')
ch.queue_declare(queue='py-dlx-src', arguments={'x-dead-letter-exchange': 'py-dlx'})
ch.basic_publish(exchange='', routing_key='py-dlx-src', body='poison',
                 properties=pika.BasicProperties(headers={'app': 'x'}))
method = None
for _ in range(100):
    method, _, _ = ch.basic_get(queue='py-dlx-src', auto_ack=False)
    if method is not None:
        break
    conn.sleep(0.02)
ch.basic_reject(delivery_tag=method.delivery_tag, requeue=False)
_, props, body = wait_get(ch, 'py-dlx-dead')
assert body == b'poison', body
deaths = props.headers['x-death']
assert isinstance(deaths, list) and len(deaths) == 1, deaths
d = deaths[0]
assert d['count'] == 1 and isinstance(d['count'], int), d
assert d['reason'] == 'rejected', d
assert d['queue'] == 'py-dlx-src', d
assert d['exchange'] == '', d
assert d['routing-keys'] == ['py-dlx-src'], d
assert isinstance(d['time'], datetime.datetime), type(d['time'])
assert props.headers['app'] == 'x'
assert props.headers['x-first-death-reason'] == 'rejected'
ok('x-death-rejected')

ch.queue_declare(queue='py-ttl-src', arguments={'x-dead-letter-exchange': 'py-dlx'})
ch.basic_publish(exchange='', routing_key='py-ttl-src', body='short-lived',
                 properties=pika.BasicProperties(expiration='10'))
_, props, body = wait_get(ch, 'py-dlx-dead')
assert body == b'short-lived', body
assert props.expiration is None, props.expiration
d = props.headers['x-death'][0]
assert d['reason'] == 'expired' and d['original-expiration'] == '10', d
ok('x-death-expired')

# consumer cancel notification: the queue is deleted under the consumer
cancelled = []
c2 = conn.channel()
c2.queue_declare(queue='py-doomed')
c2.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.consumer_tag))
tag = c2.basic_consume(queue='py-doomed', on_message_callback=lambda *a: None, auto_ack=True)
ch.queue_delete(queue='py-doomed')
for _ in range(50):
    conn.process_data_events(time_limit=0.05)
    if cancelled:
        break
assert cancelled == [tag], (cancelled, tag)
ok('consumer-cancel-notify')

# direct reply-to: a request/response with the pseudo-queue
srv = conn.channel()
srv.queue_declare(queue='py-rpc-direct')


def on_request(c, method, props, body):
    c.basic_publish(exchange='', routing_key=props.reply_to, body=b're:' + body,
                    properties=pika.BasicProperties(correlation_id=props.correlation_id))


srv.basic_consume(queue='py-rpc-direct', on_message_callback=on_request, auto_ack=True)
cli = conn.channel()
replies = []
cli.basic_consume(queue='amq.rabbitmq.reply-to', auto_ack=True,
                  on_message_callback=lambda c, m, p, b: replies.append((p.correlation_id, b)))
cli.basic_publish(exchange='', routing_key='py-rpc-direct', body=b'ping',
                  properties=pika.BasicProperties(reply_to='amq.rabbitmq.reply-to', correlation_id='k1'))
for _ in range(50):
    conn.process_data_events(time_limit=0.05)
    if replies:
        break
assert replies == [('k1', b're:ping')], replies
ok('direct-reply-to')

# server-named exclusive queue; passive declare of it from another connection is 405
q = ch.queue_declare(queue='', exclusive=True).method.queue
assert q.startswith('amq.gen-'), q
other = pika.BlockingConnection(pika.ConnectionParameters(host, port))
oc = other.channel()
try:
    oc.queue_declare(queue=q, passive=True)
    raise SystemExit('expected 405')
except ChannelClosedByBroker as err:
    assert err.reply_code == 405, err
other.close()
ok('exclusive')

for x in ('py-dlx-src', 'py-dlx-dead', 'py-ttl-src', 'py-rpc-direct'):
    ch.queue_delete(queue=x)
ch.exchange_delete(exchange='py-dlx')
conn.close()
ok('closed')

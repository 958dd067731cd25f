# RabbitMQ tutorials 3-5: emit_log / receive_logs over a fanout ('logs'), direct
# ('direct_logs') or topic ('topic_logs') exchange.
#   emit:    host port emit <kind> <routing_key> <message>
#   receive: host port receive <kind> <count> <binding_key>...
import sys
import pika

host, port, role, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
exchange = {'fanout': 'logs', 'direct': 'direct_logs', 'topic': 'topic_logs'}[kind]
connection = pika.BlockingConnection(pika.ConnectionParameters(host, port))
channel = connection.channel()
channel.exchange_declare(exchange=exchange, exchange_type=kind)

if role == 'emit':
    routing_key, message = sys.argv[5], sys.argv[6]
    channel.basic_publish(exchange=exchange, routing_key=routing_key, body=message)
    print(" [x] Sent %r:%r" % (routing_key, message))
else:
    count = int(sys.argv[5])
    keys = sys.argv[6:] or ['']
    result = channel.queue_declare(queue='', exclusive=True)
    queue_name = result.method.queue
    for key in keys:
        channel.queue_bind(exchange=exchange, queue=queue_name, routing_key=key)
    got = []

    def callback(ch, method, properties, body):
        print("GOT %s %s" % (method.routing_key, body.decode()))
        sys.stdout.flush()
        got.append(body)
        if len(got) >= count:
            ch.stop_consuming()

    channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)
    print("READY")
    sys.stdout.flush()
    connection.call_later(10, channel.stop_consuming)
    channel.start_consuming()
connection.close()

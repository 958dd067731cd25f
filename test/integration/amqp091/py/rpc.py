# RabbitMQ tutorial 6: rpc_server.py (role server, answers `count` calls) and
# rpc_client.py (role client, calls fib(n) for each n given).
import sys
import uuid
import pika

host, port, role = sys.argv[1], int(sys.argv[2]), sys.argv[3]
connection = pika.BlockingConnection(pika.ConnectionParameters(host, port))
channel = connection.channel()


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


if role == 'server':
    count = int(sys.argv[4])
    channel.queue_declare(queue='rpc_queue')
    served = []

    def on_request(ch, method, props, body):
        n = int(body)
        ch.basic_publish(exchange='', routing_key=props.reply_to,
                         properties=pika.BasicProperties(correlation_id=props.correlation_id),
                         body=str(fib(n)))
        ch.basic_ack(delivery_tag=method.delivery_tag)
        served.append(n)
        if len(served) >= count:
            ch.stop_consuming()

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue='rpc_queue', on_message_callback=on_request)
    print("READY")
    sys.stdout.flush()
    connection.call_later(15, channel.stop_consuming)
    channel.start_consuming()
else:
    result = channel.queue_declare(queue='', exclusive=True)
    callback_queue = result.method.queue
    state = {'response': None, 'corr_id': None}

    def on_response(ch, method, props, body):
        if state['corr_id'] == props.correlation_id:
            state['response'] = body

    channel.basic_consume(queue=callback_queue, on_message_callback=on_response, auto_ack=True)
    for arg in sys.argv[4:]:
        state['response'] = None
        state['corr_id'] = str(uuid.uuid4())
        channel.basic_publish(exchange='', routing_key='rpc_queue',
                              properties=pika.BasicProperties(reply_to=callback_queue,
                                                              correlation_id=state['corr_id']),
                              body=arg)
        deadline = 0
        while state['response'] is None and deadline < 100:
            connection.process_data_events(time_limit=0.1)
            deadline += 1
        print("fib(%s) = %s" % (arg, state['response'].decode() if state['response'] else None))
        sys.stdout.flush()
connection.close()

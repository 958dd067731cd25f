# RabbitMQ tutorial 2: "new_task.py" (role task) and "worker.py" (role worker).
# worker: prefetch_count=1, manual ack; exits after `count` messages or 15 s.
import sys
import time
import pika

host, port, role = sys.argv[1], int(sys.argv[2]), sys.argv[3]
connection = pika.BlockingConnection(pika.ConnectionParameters(host, port))
channel = connection.channel()
channel.queue_declare(queue='task_queue', durable=True)

if role == 'task':
    for message in sys.argv[4:]:
        channel.basic_publish(
            exchange='',
            routing_key='task_queue',
            body=message,
            properties=pika.BasicProperties(delivery_mode=pika.spec.PERSISTENT_DELIVERY_MODE))
        print(" [x] Sent %s" % message)
else:
    count = int(sys.argv[4])
    done = []

    def callback(ch, method, properties, body):
        time.sleep(body.count(b'.') * 0.05)
        print("DONE %s" % body.decode())
        sys.stdout.flush()
        ch.basic_ack(delivery_tag=method.delivery_tag)
        done.append(body)
        if len(done) >= count:
            ch.stop_consuming()

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue='task_queue', on_message_callback=callback)
    print("READY")
    sys.stdout.flush()
    connection.call_later(15, channel.stop_consuming)
    channel.start_consuming()
connection.close()

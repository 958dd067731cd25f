# RabbitMQ tutorial 1 "receive.py": consume until one message arrived (bounded by a timer).
import sys
import pika

connection = pika.BlockingConnection(pika.ConnectionParameters(sys.argv[1], int(sys.argv[2])))
channel = connection.channel()
channel.queue_declare(queue='hello')


def callback(ch, method, properties, body):
    print(" [x] Received %r" % body.decode())
    sys.stdout.flush()
    ch.stop_consuming()


channel.basic_consume(queue='hello', on_message_callback=callback, auto_ack=True)
connection.call_later(10, channel.stop_consuming)
channel.start_consuming()
connection.close()

# RabbitMQ tutorial 1 "send.py", unchanged except host/port (taken from argv).
import sys
import pika

connection = pika.BlockingConnection(pika.ConnectionParameters(sys.argv[1], int(sys.argv[2])))
channel = connection.channel()
channel.queue_declare(queue='hello')
channel.basic_publish(exchange='', routing_key='hello', body='Hello World!')
print(" [x] Sent 'Hello World!'")
connection.close()

# A publishing pika connection is told about a resource alarm (connection.blocked).
import sys
import pika

params = pika.ConnectionParameters(sys.argv[1], int(sys.argv[2]))
connection = pika.BlockingConnection(params)
state = {'reason': None}


def on_blocked(conn, frame):
    state['reason'] = frame.method.reason


connection.add_on_connection_blocked_callback(on_blocked)
channel = connection.channel()
channel.queue_declare(queue='py-blocked')
# a publishing connection is the one RabbitMQ notifies
channel.basic_publish(exchange='', routing_key='py-blocked', body='before the alarm')
print("READY")
sys.stdout.flush()
for _ in range(50):
    connection.process_data_events(time_limit=0.1)
    if state['reason'] is not None:
        break
print("BLOCKED %s" % state['reason'])
connection.close()

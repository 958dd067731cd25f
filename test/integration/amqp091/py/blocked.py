# Connect while a resource alarm is on: pika reports connection.blocked.
import sys
import pika

params = pika.ConnectionParameters(sys.argv[1], int(sys.argv[2]))
connection = pika.BlockingConnection(params)
state = {'reason': None}


def on_blocked(conn, frame):
    state['reason'] = frame.method.reason


connection.add_on_connection_blocked_callback(on_blocked)
print("READY")
sys.stdout.flush()
for _ in range(50):
    connection.process_data_events(time_limit=0.1)
    if state['reason'] is not None:
        break
print("BLOCKED %s" % state['reason'])
connection.close()

# The program from issue 5, unchanged except for host/port (from argv) and a short
# wait before disconnect, as the issue allows.
import sys
import time
import stomp

host, port = sys.argv[1], int(sys.argv[2])

class MyListener(stomp.ConnectionListener):
    def on_message(self, frame):
        print(f"Received: {frame.body}")

conn = stomp.Connection([(host, port)])
conn.set_listener('', MyListener())
conn.connect(wait=True)
conn.subscribe(destination='/queue/test', id=1, ack='auto')
conn.send(body='Hello STOMP!', destination='/queue/test')
time.sleep(0.5)
conn.disconnect()

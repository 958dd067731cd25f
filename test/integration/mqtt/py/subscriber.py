# The paho-mqtt program, unchanged except for the host/port (from argv) and a
# bounded wait instead of loop_forever (also from argv, in seconds).
import sys
import time
import paho.mqtt.client as mqtt

HOST = sys.argv[1]
PORT = int(sys.argv[2])
WAIT = float(sys.argv[3])

def on_message(client, userdata, message):
    print(f"Received message: {message.payload.decode()}")
client = mqtt.Client()
client.connect(HOST, PORT, 60)
client.subscribe("test/topic")
client.on_message = on_message
client.loop_start()
time.sleep(WAIT)
client.loop_stop()

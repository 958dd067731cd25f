# paho-mqtt round trip for the interop tests: connect with the given protocol version
# (31 = MQTT 3.1 "MQIsdp", 311, 5) over "tcp" or "websockets" (path /mqtt), subscribe to a
# topic at QoS 2, publish one message to it at QoS 2, print what arrives, disconnect.
# Bounded: gives up after 10 seconds.
import sys
import threading
import paho.mqtt.client as mqtt

host, port, version, transport, topic, payload = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
protocol = {"31": mqtt.MQTTv31, "311": mqtt.MQTTv311, "5": mqtt.MQTTv5}[version]
got = threading.Event()
subscribed = threading.Event()

def on_message(client, userdata, message):
    print(f"received {message.topic} {message.payload.decode()} qos={message.qos}", flush=True)
    got.set()

def on_subscribe(client, userdata, mid, granted, properties=None):
    codes = [getattr(g, "value", g) for g in granted]
    print(f"granted {codes}", flush=True)
    subscribed.set()

client = mqtt.Client(client_id=f"paho-rt-{version}-{transport}", protocol=protocol, transport=transport)
if transport == "websockets":
    client.ws_set_options(path="/mqtt")
client.on_message = on_message
client.on_subscribe = on_subscribe
client.connect(host, port, 30)
client.loop_start()
client.subscribe(topic, qos=2)
if not subscribed.wait(10):
    print("no suback", flush=True)
info = client.publish(topic, payload, qos=2)
info.wait_for_publish(timeout=10)
print("published" if info.is_published() else "not published", flush=True)
got.wait(10)
client.disconnect()
client.loop_stop()

# paho-mqtt publisher for the interop tests: publish one message with the given protocol
# version (31 = MQTT 3.1 "MQIsdp", 311, 5) and QoS, wait for the handshake, disconnect.
import sys
import paho.mqtt.client as mqtt

host, port, version, topic, payload, qos = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
protocol = {"31": mqtt.MQTTv31, "311": mqtt.MQTTv311, "5": mqtt.MQTTv5}[version]
client = mqtt.Client(client_id=f"paho-pub-{version}", protocol=protocol)
client.connect(host, port, 30)
client.loop_start()
info = client.publish(topic, payload, qos=qos)
info.wait_for_publish(timeout=5)
print("published" if info.is_published() else "not published", flush=True)
client.disconnect()
client.loop_stop()

"""TLS for every MQTT client of the project (collector, its KPI feed, simulator, `ioc check`):
`mqtts://` URLs connect with TLS, verifying the broker's certificate and host name against
`IOC_MQTT_CA_FILE` (a PEM CA, e.g. the self-signed one of `ioc certs`), or the system's CAs."""

from __future__ import annotations

import ssl

import paho.mqtt.client as mqtt

from ioc.settings import MqttAddress


def apply_tls(client: mqtt.Client, address: MqttAddress) -> None:
    if address.tls:
        client.tls_set(ca_certs=address.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)

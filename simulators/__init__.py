"""Simulators: Cao Bằng's sensors, cameras and service desks, played over real MQTT.

They drive demos and every end-to-end test. Modules:

    devices     the device types: Sensor, Camera, ServiceDesk (frozen dataclasses)
    city        the province model: every district's sensors, cameras and one-stop desk
    rhythm      local time (UTC+7), rush hours, seasons, office hours, smooth noise
    scenarios   normal, flood, border-queue, festival — disturbances along the run's progress
    feeds/      one payload generator per feed (sensor, camera, servicedesk)
    bad         malformed messages the wire contract says to reject
    schedule    the deterministic event schedule: `Simulation`, `iter_messages`, `SimMessage`
    status      one MQTT connection per device for its retained online/offline status
    publisher   `run_simulation(SimConfig) -> SimResult`: rate-controlled QoS 1 publishing

Simulators import only `ioc`, never `collectors` or `dashboards`.
"""

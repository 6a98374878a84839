"""Payload generators, one module per feed: device + simulated time + rng + scenario → payload.

    sensor.payload(sensor, t, rng, scenario, progress)      JSON object or SenML array
    camera.payload(camera, t, rng, scenario, progress)      JSON object (epoch-ms `ts`)
    servicedesk.DeskSimulator(desk, tickets).step(t, ...)   a ticket event, or None

`t` is simulated epoch seconds; `progress` (0–1) is how far the run is along its scenario.
"""

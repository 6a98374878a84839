"""Security payloads: the EDR consoles of the province's agencies and the SOC, played over a day.

Wire form (DESIGN.md, "Wire contract", security): one event per message, `ts` in RFC 3339
+07:00. Devices (declared here, `DEVICES`): one EDR console per provincial department and per
district People's Committee, and the provincial SOC platform of the Sở TT&TT.

Rhythm of an ordinary day: an EDR console detects malware a few times a day, mostly in office
hours, and blocks, quarantines or cleans nearly all of it (≈ 95 %); an unhandled detection may
open an incident (a few a week province-wide), which is contained within hours and resolved
within a day or two. Each console reports its inventory (endpoints, reporting, outdated agents)
every hour; an agency's coverage drifts around 93-99 %, and Sở Y tế's sits under 90 %.

`malware-outbreak` (simulators.scenarios): the outbreak district's consoles detect malware ten
times as often while the arc lasts, each opens one incident (high or critical) in the first
quarter of the run, contains it during the second half and resolves it near the end — so the
run shows open critical incidents, then containment, whatever its length. The SOC opens a
province-level incident for the outbreak too. Times are the simulated times of the messages, so
a test can compute the mean time to contain from the messages themselves.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from simulators import rhythm
from simulators.devices import Topics
from simulators.feeds.base import bad_ts
from simulators.scenarios import Scenario

CITY = "thanh-pho-cao-bang"
DETECTIONS_PER_DAY = 3.0
HANDLED_SHARE = 0.95
INCIDENT_PER_UNHANDLED = 0.3
INVENTORY_EVERY_S = 3600
THREATS = (
    "Trojan.Win32.Agent",
    "Worm.Win32.Conficker",
    "HEUR:Exploit.MSOffice.CVE-2017-11882",
    "Ransom.Win32.LockBit",
    "Backdoor.Win32.PlugX",
    "Adware.JS.Agent",
    "PUA.Win32.Miner",
)
OUTBREAK_THREAT = "Backdoor.Win32.PlugX"


@dataclass(frozen=True, slots=True)
class SecurityConsole(Topics):
    """An agency's EDR console (or the SOC). `endpoints`: its managed computers; `coverage`:
    the usual share of them reporting; `prefix`: the agency's computer-name prefix."""

    feed: ClassVar[str] = "security"
    district: str
    source_id: str
    agency: str
    name_vi: str
    lat: float
    lon: float
    endpoints: int
    prefix: str
    system: str = "edr"
    coverage: float = 0.96
    interval_s: int = 120


def _console(
    district: str,
    agency: str,
    name: str,
    lat: float,
    lon: float,
    endpoints: int,
    prefix: str,
    coverage: float = 0.96,
) -> SecurityConsole:
    return SecurityConsole(
        district,
        f"edr-{agency}",
        agency,
        f"EDR {name}",
        lat,
        lon,
        endpoints,
        prefix,
        coverage=coverage,
    )


_DEPARTMENTS = (  # agency slug, Vietnamese name, endpoints, computer-name prefix
    ("so-tttt", "Sở Thông tin và Truyền thông", 120, "STTTT"),
    ("van-phong-ubnd-tinh", "Văn phòng UBND tỉnh", 160, "VPUB"),
    ("so-tai-chinh", "Sở Tài chính", 90, "STC"),
    ("so-ke-hoach-dau-tu", "Sở Kế hoạch và Đầu tư", 85, "SKHDT"),
    ("so-y-te", "Sở Y tế", 140, "SYT"),
    ("so-giao-duc-dao-tao", "Sở Giáo dục và Đào tạo", 110, "SGDDT"),
    ("so-tai-nguyen-moi-truong", "Sở Tài nguyên và Môi trường", 80, "STNMT"),
    ("so-noi-vu", "Sở Nội vụ", 60, "SNV"),
)
_DISTRICT_OFFICES = (  # district, Vietnamese name, lat, lon, endpoints
    ("thanh-pho-cao-bang", "Thành phố Cao Bằng", 22.6657, 106.2570, 150),
    ("bao-lac", "Bảo Lạc", 22.9513, 105.6700, 70),
    ("bao-lam", "Bảo Lâm", 22.8720, 105.4880, 65),
    ("ha-quang", "Hà Quảng", 22.8950, 106.1070, 75),
    ("ha-lang", "Hạ Lang", 22.7070, 106.6930, 60),
    ("hoa-an", "Hòa An", 22.7070, 106.1880, 80),
    ("nguyen-binh", "Nguyên Bình", 22.6500, 105.9580, 65),
    ("quang-hoa", "Quảng Hòa", 22.6050, 106.4500, 80),
    ("thach-an", "Thạch An", 22.4820, 106.3300, 60),
    ("trung-khanh", "Trùng Khánh", 22.8310, 106.5250, 70),
)
DEVICES: tuple[SecurityConsole, ...] = (
    *(
        _console(
            CITY,
            slug,
            name,
            22.6660 + 0.0007 * i,
            106.2600 + 0.0009 * i,
            n,
            prefix,
            coverage=0.86 if slug == "so-y-te" else 0.96,
        )
        for i, (slug, name, n, prefix) in enumerate(_DEPARTMENTS)
    ),
    *(
        _console(d, f"ubnd-{d}", f"UBND {name}", lat, lon, n, f"UB{d[:3].upper()}")
        for d, name, lat, lon, n in _DISTRICT_OFFICES
    ),
    SecurityConsole(
        CITY,
        "soc-so-tttt",
        "so-tttt",
        "SOC tỉnh Cao Bằng",
        22.6668,
        106.2612,
        0,
        "SOC",
        system="soc",
        interval_s=300,
    ),
)


@dataclass(order=True)
class _Planned:
    t: int
    seq: int
    event: dict[str, Any] = field(compare=False)


class ConsoleSimulator:
    """One console's state: planned events (incident lifecycles), its incident numbers, and
    when it last reported its inventory."""

    def __init__(self, console: SecurityConsole) -> None:
        self.console = console
        self._plan: list[_Planned] = []
        self._seq = 0
        self._incidents = 0
        self._last_inventory = -INVENTORY_EVERY_S
        self.outbreak_opened = False
        self.outbreak_contained = False
        self.outbreak_resolved = False
        self._outbreak_incident = ""
        self._outbreak_severity = "high"

    def _base(self, t: int, event: str) -> dict[str, Any]:
        c = self.console
        return {"ts": rhythm.rfc3339(t), "system": c.system, "agency": c.agency, "event": event}

    def _endpoint(self, rng: random.Random) -> str:
        return f"{self.console.prefix}-PC-{rng.randrange(1, max(2, self.console.endpoints)):03d}"

    def _incident_id(self, t: int) -> str:
        self._incidents += 1
        kind = self.console.system.upper()
        return f"{kind}-{rhythm.local(t).year}-{self.console.agency}-{self._incidents:04d}"

    def _schedule(self, t: int, event: dict[str, Any]) -> None:
        self._seq += 1
        heapq.heappush(self._plan, _Planned(t, self._seq, event))

    def _incident(self, t: int, rng: random.Random, severity: str, threat: str) -> dict[str, Any]:
        """Open an incident now; plan its containment (hours) and resolution (a day or two)."""
        incident = self._incident_id(t)
        opened = {
            **self._base(t, "incident_opened"),
            "severity": severity,
            "incident_id": incident,
            "threat": threat,
        }
        contain_at = t + round(3600 * math.exp(rng.gauss(math.log(3.0), 0.5)))
        resolve_at = contain_at + round(3600 * math.exp(rng.gauss(math.log(20.0), 0.5)))
        for at, event in ((contain_at, "incident_contained"), (resolve_at, "incident_resolved")):
            planned = {**self._base(at, event), "severity": severity, "incident_id": incident}
            self._schedule(at, planned)
        return opened

    def _inventory(self, t: int, rng: random.Random) -> dict[str, Any]:
        c = self.console
        self._last_inventory = t
        share = min(1.0, max(0.5, rng.gauss(c.coverage, 0.01)))
        reporting = round(c.endpoints * share)
        outdated = min(reporting, rhythm.poisson(rng, c.endpoints * 0.04))
        return {
            **self._base(t, "inventory"),
            "endpoints_total": c.endpoints,
            "endpoints_reporting": reporting,
            "agents_outdated": outdated,
        }

    def _outbreak(self, t: int, rng: random.Random, progress: float) -> dict[str, Any] | None:
        """The scenario's own incident: opened early, contained mid-run, resolved late."""
        order = sum(map(ord, self.console.agency)) % 5 * 0.02
        if not self.outbreak_opened and progress >= 0.08 + order:
            self.outbreak_opened = True
            self._outbreak_incident = self._incident_id(t)
            severity = "critical" if order < 0.05 else "high"
            self._outbreak_severity = severity
            return {
                **self._base(t, "incident_opened"),
                "severity": severity,
                "incident_id": self._outbreak_incident,
                "threat": OUTBREAK_THREAT,
            }
        if self.outbreak_opened and not self.outbreak_contained and progress >= 0.5 + order:
            self.outbreak_contained = True
            return {
                **self._base(t, "incident_contained"),
                "severity": self._outbreak_severity,
                "incident_id": self._outbreak_incident,
            }
        if self.outbreak_contained and not self.outbreak_resolved and progress >= 0.85 + order:
            self.outbreak_resolved = True
            return {
                **self._base(t, "incident_resolved"),
                "severity": self._outbreak_severity,
                "incident_id": self._outbreak_incident,
            }
        return None

    def _detection(self, t: int, rng: random.Random, threat: str) -> dict[str, Any]:
        handled = rng.random() < HANDLED_SHARE
        action = (
            rng.choice(("blocked", "quarantined", "quarantined", "cleaned")) if handled else "none"
        )
        severity = rng.choice(("low", "medium", "medium", "high"))
        event = {
            **self._base(t, "malware_detected"),
            "severity": severity,
            "endpoint": self._endpoint(rng),
            "threat": threat,
            "action": action,
        }
        if not handled and rng.random() < INCIDENT_PER_UNHANDLED:
            self._schedule(t + 60, self._incident(t + 60, rng, "high", threat))
        return event

    def step(
        self, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> dict[str, Any] | None:
        """At most one event at simulated time `t` (None: nothing to say now)."""
        hit = scenario.outbreak_hits(self.console.district, progress)
        if scenario.outbreak_district == self.console.district:
            made = self._outbreak(t, rng, progress)
            if made is not None:
                return made
        if self._plan and self._plan[0].t <= t:
            planned = heapq.heappop(self._plan).event
            planned["ts"] = rhythm.rfc3339(t)
            return planned
        if t - self._last_inventory >= INVENTORY_EVERY_S and self.console.system == "edr":
            return self._inventory(t, rng)
        if self.console.system == "soc":
            return None
        dt = rhythm.local(t)
        office = 1.6 if rhythm.in_office_hours(dt) else 0.3
        rate = DETECTIONS_PER_DAY * office * (10.0 if hit else 1.0)
        if rng.random() < rate * self.console.interval_s / 86_400:
            threat = OUTBREAK_THREAT if hit and rng.random() < 0.7 else rng.choice(THREATS)
            return self._detection(t, rng, threat)
        return None


# --- the generator interface (simulators.feeds.base) ---------------------------------------------

FEED = "security"
BAD_KINDS = {
    "bad_time": "bad_time",
    "unknown_severity": "bad_value",
    "inventory_with_event_field": "bad_value",
}


class Generator:
    def __init__(self, consoles: Any) -> None:
        self.consoles = {c.source_id: ConsoleSimulator(c) for c in consoles}

    def valid(
        self,
        device: SecurityConsole,
        t: int,
        rng: random.Random,
        scenario: Scenario,
        progress: float,
    ) -> tuple[Any, Any] | None:
        event = self.consoles[device.source_id].step(t, rng, scenario, progress)
        return None if event is None else (event, event)

    def template(
        self,
        device: SecurityConsole,
        t: int,
        rng: random.Random,
        scenario: Scenario,
        progress: float,
    ) -> Any:
        return {
            "ts": rhythm.rfc3339(t),
            "system": device.system,
            "agency": device.agency,
            "event": "malware_detected",
            "severity": "medium",
            "endpoint": f"{device.prefix}-PC-001",
            "threat": "Trojan.Win32.Agent",
            "action": "blocked",
        }


def generator(devices: Any) -> Generator:
    return Generator(devices)


def refuses(kind: str, body: Any) -> str | None:
    return None


def mutate(kind: str, body: Any, t: int, rng: random.Random) -> Any:
    if kind == "wrong_type":
        body["severity"] = 3
    elif kind == "unknown_name":
        body["username"] = "nguyen.van.a"
    elif kind == "bad_time":
        body = bad_ts(body, t, rng)
    elif kind == "unknown_severity":
        body["severity"] = "urgent"
    elif kind == "inventory_with_event_field":
        body["event"] = "inventory"
        body["endpoints_total"] = 10
        body["endpoints_reporting"] = 9
    return body

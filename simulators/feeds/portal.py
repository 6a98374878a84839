"""Portal payloads: availability checks of the province's ≈ 30 web portals, one a minute each.

Wire form (DESIGN.md, "Wire contract", portal): `{"ts": <epoch ms>, "url": …, "up": true,
"status": 200, "response_ms": 412.0, "tls_days_left": 54}`; a failed check has `up: false` and
an `error`, and only the fields the check got to. Devices (declared here, `DEVICES`): the
province's portal, the public-service portal, the ten districts' portals and the departments'
sites — what `ioc probe` checks in production (the same site ids).

Rhythm: nearly every check is up; responses are slower in office hours (×1.6 at 8-10 h and
14-16 h) and have a heavy tail; one check in ≈ 2,000 times out. Certificates (90 days) renew
30 days before they expire (a site's own phase), except the Sở Nội vụ site, whose certificate
has 6-12 days left and keeps raising the expiry alert. `portal-outage` (simulators.scenarios)
takes one district's portal down (connection refused) for 20 minutes.
"""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass
from typing import Any, ClassVar

from simulators import rhythm
from simulators.devices import Topics
from simulators.feeds.base import bad_ts
from simulators.scenarios import Scenario

CITY = "thanh-pho-cao-bang"
TIMEOUT_RATE = 1 / 2000
CERT_DAYS = 90
RENEW_CYCLE_DAYS = 60  # renewed 30 days before expiry, as certbot does
EXPIRING_SITE = "web-so-noi-vu"


@dataclass(frozen=True, slots=True)
class Portal(Topics):
    """One web portal, checked every `interval_s`; `base_ms` its usual response time."""

    feed: ClassVar[str] = "portal"
    district: str
    source_id: str
    url: str
    name_vi: str
    lat: float
    lon: float
    base_ms: float = 300.0
    interval_s: int = 300


_DISTRICT_PORTALS = (  # district, host label, Vietnamese name, lat, lon
    ("thanh-pho-cao-bang", "thanhpho", "Thành phố Cao Bằng", 22.6660, 106.2560),
    ("bao-lac", "baolac", "Bảo Lạc", 22.9510, 105.6710),
    ("bao-lam", "baolam", "Bảo Lâm", 22.8730, 105.4870),
    ("ha-quang", "haquang", "Hà Quảng", 22.8960, 106.1080),
    ("ha-lang", "halang", "Hạ Lang", 22.7080, 106.6940),
    ("hoa-an", "hoaan", "Hòa An", 22.7080, 106.1890),
    ("nguyen-binh", "nguyenbinh", "Nguyên Bình", 22.6510, 105.9590),
    ("quang-hoa", "quanghoa", "Quảng Hòa", 22.6060, 106.4510),
    ("thach-an", "thachan", "Thạch An", 22.4830, 106.3310),
    ("trung-khanh", "trungkhanh", "Trùng Khánh", 22.8320, 106.5260),
)
_DEPARTMENT_SITES = (  # slug, host label, Vietnamese name
    ("so-tttt", "stttt", "Sở Thông tin và Truyền thông"),
    ("so-tai-chinh", "stc", "Sở Tài chính"),
    ("so-ke-hoach-dau-tu", "skhdt", "Sở Kế hoạch và Đầu tư"),
    ("so-y-te", "syt", "Sở Y tế"),
    ("so-giao-duc-dao-tao", "sgddt", "Sở Giáo dục và Đào tạo"),
    ("so-tai-nguyen-moi-truong", "stnmt", "Sở Tài nguyên và Môi trường"),
    ("so-noi-vu", "snv", "Sở Nội vụ"),
    ("so-xay-dung", "sxd", "Sở Xây dựng"),
    ("so-giao-thong-van-tai", "sgtvt", "Sở Giao thông Vận tải"),
    ("so-nong-nghiep", "snnptnt", "Sở Nông nghiệp và PTNT"),
    ("so-van-hoa-the-thao-du-lich", "svhttdl", "Sở Văn hóa, Thể thao và Du lịch"),
    ("so-lao-dong", "sldtbxh", "Sở Lao động – Thương binh và Xã hội"),
    ("so-cong-thuong", "sct", "Sở Công Thương"),
    ("so-tu-phap", "stp", "Sở Tư pháp"),
    ("cong-an-tinh", "congan", "Công an tỉnh"),
    ("thanh-tra-tinh", "thanhtra", "Thanh tra tỉnh"),
    ("bqlkkt", "bqlkkt", "Ban Quản lý Khu kinh tế"),
    ("hdnd-tinh", "hdnd", "HĐND tỉnh"),
)
DEVICES: tuple[Portal, ...] = (
    Portal(
        CITY,
        "cong-tinh",
        "https://caobang.gov.vn/",
        "Cổng TTĐT tỉnh Cao Bằng",
        22.6655,
        106.2585,
        base_ms=420.0,
    ),
    Portal(
        CITY,
        "dich-vu-cong",
        "https://dichvucong.caobang.gov.vn/",
        "Cổng Dịch vụ công tỉnh",
        22.6652,
        106.2590,
        base_ms=650.0,
    ),
    *(
        Portal(d, f"cong-{d}", f"https://{host}.caobang.gov.vn/", f"Cổng TTĐT {name}", lat, lon)
        for d, host, name, lat, lon in _DISTRICT_PORTALS
    ),
    *(
        Portal(
            CITY,
            f"web-{slug}",
            f"https://{host}.caobang.gov.vn/",
            f"Trang {name}",
            22.6640 + 0.0005 * i,
            106.2540 + 0.0006 * i,
            base_ms=250.0 + 20 * (i % 5),
        )
        for i, (slug, host, name) in enumerate(_DEPARTMENT_SITES)
    ),
)


def tls_days_left(portal: Portal, t: int) -> int:
    """Days until the site's certificate expires (renewed every 90 days at its own phase)."""
    day = t // 86_400
    if portal.source_id == EXPIRING_SITE:
        return 6 + day % 7
    phase = zlib.crc32(portal.source_id.encode()) % RENEW_CYCLE_DAYS
    return CERT_DAYS - (day + phase) % RENEW_CYCLE_DAYS


def payload(
    portal: Portal, t: int, rng: random.Random, scenario: Scenario, progress: float
) -> dict[str, Any]:
    """One check of `portal` at simulated time `t`."""
    base = {"ts": t * 1000, "url": portal.url}
    if scenario.portal_down(portal.source_id, progress):
        return {**base, "up": False, "error": "connection refused: [Errno 111] Connection refused"}
    if rng.random() < TIMEOUT_RATE:
        return {**base, "up": False, "error": "timeout: no response within 10 s"}
    h = rhythm.hour(rhythm.local(t))
    busy = 1.0 + 0.6 * (rhythm.bump(h, 9.0, 1.0) + rhythm.bump(h, 15.0, 1.0))
    response = portal.base_ms * busy * math.exp(rng.gauss(0.0, 0.35))
    return {
        **base,
        "up": True,
        "status": 200,
        "response_ms": round(response, 1),
        "tls_days_left": tls_days_left(portal, t),
    }


# --- the generator interface (simulators.feeds.base) ---------------------------------------------

FEED = "portal"
BAD_KINDS = {"bad_time": "bad_time", "up_as_number": "wrong_type", "bad_status": "bad_value"}


class Generator:
    def valid(
        self, device: Portal, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> tuple[Any, Any]:
        body = payload(device, t, rng, scenario, progress)
        return body, body

    def template(
        self, device: Portal, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> Any:
        return {
            "ts": t * 1000,
            "url": device.url,
            "up": True,
            "status": 200,
            "response_ms": device.base_ms,
            "tls_days_left": tls_days_left(device, t),
        }


def generator(devices: Any) -> Generator:
    return Generator()


def refuses(kind: str, body: Any) -> str | None:
    return None


def mutate(kind: str, body: Any, t: int, rng: random.Random) -> Any:
    if kind == "wrong_type":
        body["response_ms"] = "412 ms"
    elif kind == "unknown_name":
        body["latency_ms"] = 12.0
    elif kind == "bad_time":
        body = bad_ts(body, t, rng)
    elif kind == "up_as_number":
        body["up"] = 1
    elif kind == "bad_status":
        body["status"] = 1200
    return body

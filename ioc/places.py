"""The province's districts (2020 administrative frame) and a few named places.

District slugs are part of the MQTT wire contract (`ioc/<feed>/<district>/<source_id>`) and
become the `district` tag in storage; display names carry their Vietnamese diacritics.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class District:
    slug: str
    name_vi: str
    name_en: str
    lat: float
    lon: float


DISTRICTS: dict[str, District] = {
    d.slug: d
    for d in (
        District("thanh-pho-cao-bang", "Thành phố Cao Bằng", "Cao Bang City", 22.667, 106.258),
        District("bao-lac", "Bảo Lạc", "Bao Lac", 22.951, 105.672),
        District("bao-lam", "Bảo Lâm", "Bao Lam", 22.876, 105.479),
        District("ha-quang", "Hà Quảng", "Ha Quang", 22.900, 106.120),
        District("ha-lang", "Hạ Lang", "Ha Lang", 22.708, 106.698),
        District("hoa-an", "Hòa An", "Hoa An", 22.730, 106.200),
        District("nguyen-binh", "Nguyên Bình", "Nguyen Binh", 22.650, 105.950),
        District("quang-hoa", "Quảng Hòa", "Quang Hoa", 22.530, 106.480),
        District("thach-an", "Thạch An", "Thach An", 22.480, 106.320),
        District("trung-khanh", "Trùng Khánh", "Trung Khanh", 22.830, 106.560),
    )
}


@dataclass(frozen=True, slots=True)
class Place:
    slug: str
    name_vi: str
    district: str
    lat: float
    lon: float


PLACES: dict[str, Place] = {
    p.slug: p
    for p in (
        Place(
            "cao-bang-city-centre", "Trung tâm TP Cao Bằng", "thanh-pho-cao-bang", 22.667, 106.258
        ),
        Place("ban-gioc-waterfall", "Thác Bản Giốc", "trung-khanh", 22.856, 106.722),
        Place("ta-lung-border-gate", "Cửa khẩu Tà Lùng", "quang-hoa", 22.475, 106.578),
        Place("pac-bo-relic-site", "Khu di tích Pác Bó", "ha-quang", 22.983, 106.047),
    )
}

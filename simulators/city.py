"""The simulated Cao Bằng: sensors, cameras and one-stop service desks in the ten districts.

Air, water, weather and noise sensors (some air stations speak SenML), cameras at the city's
crossings and bridges, the border gates (Tà Lùng, Trà Lĩnh, Sóc Giang, Lý Vạn), the sights
(Bản Giốc, Ngườm Ngao, Thang Hen, Pác Bó) and the mountain roads, and one desk per district
(`mot-cua-<district>`). The device types are in `simulators.devices`.

Water gauges carry their flood alarm levels BĐ1/BĐ2/BĐ3 (`alarm`, in cm on the gauge's own
scale, where `base_cm` is the usual dry-season level). The rivers are the real ones — the Bằng
Giang through Hà Quảng, Hòa An, the city and out at Tà Lùng; the Hiến joining it in the city;
the Quây Sơn at Bản Giốc; the Gâm, Neo and Nho Quế in Bảo Lạc and Bảo Lâm; the Bắc Giang in
Thạch An — but the gauge scales and alarm levels are illustrative, not the official ones.
Coordinates are approximate.

    all_devices()               every device: sensors, then cameras, then desks (stable order)
    device_by_source(id)        one device
    SENSORS, CAMERAS, DESKS, SERVICES
"""

from __future__ import annotations

from dataclasses import replace

from ioc.places import DISTRICTS, PLACES
from simulators.devices import AlarmLevels, Camera, Device, Sensor, Service, ServiceDesk

__all__ = [
    "CAMERAS",
    "CITY",
    "DESKS",
    "SENSORS",
    "SERVICES",
    "AlarmLevels",
    "Camera",
    "Device",
    "Sensor",
    "Service",
    "ServiceDesk",
    "all_devices",
    "device_by_source",
]

CITY = "thanh-pho-cao-bang"
PM = ("pm25", "pm10")
PM_NO2 = ("pm25", "pm10", "no2")
ALL: tuple[str, ...] = ()  # every value name of the kind

# --- sensors ------------------------------------------------------------------------------------

# (district, source id, name, lat, lon, urban 0–1, SenML?, value names)
_AIR = (
    (CITY, "air-cao-bang-centre", "Quan trắc KK Trung tâm TP", 22.6663, 106.2579, 1.0, False, ALL),
    (CITY, "air-de-tham", "Quan trắc KK Đề Thám", 22.6502, 106.2335, 0.7, True, ALL),
    (CITY, "air-song-bang", "Quan trắc KK Sông Bằng", 22.6691, 106.2650, 0.8, True, ALL),
    (CITY, "air-hop-giang", "Quan trắc KK Hợp Giang", 22.6648, 106.2527, 0.9, False, ALL),
    ("hoa-an", "air-nuoc-hai", "Quan trắc KK Nước Hai", 22.7368, 106.2004, 0.35, False, PM_NO2),
    ("ha-quang", "air-xuan-hoa", "Quan trắc KK Xuân Hòa", 22.9048, 106.0863, 0.25, True, PM),
    ("trung-khanh", "air-trung-khanh", "QTKK Trùng Khánh", 22.8306, 106.5208, 0.25, False, PM_NO2),
    ("quang-hoa", "air-quang-uyen", "Quan trắc KK Quảng Uyên", 22.6994, 106.4411, 0.3, True, ALL),
    ("quang-hoa", "air-ta-lung", "Quan trắc KK Cửa khẩu Tà Lùng", 22.478, 106.576, 0.5, False, ALL),
    ("bao-lac", "air-bao-lac", "Quan trắc KK Bảo Lạc", 22.9510, 105.6720, 0.2, False, PM),
    ("bao-lam", "air-pac-miau", "Quan trắc KK Pác Miầu", 22.8760, 105.4790, 0.2, False, PM),
    ("nguyen-binh", "air-tinh-tuc", "Quan trắc KK Tĩnh Túc", 22.6360, 105.8770, 0.3, True, PM),
    ("thach-an", "air-dong-khe", "Quan trắc KK Đông Khê", 22.4314, 106.4330, 0.3, False, PM_NO2),
    ("ha-lang", "air-thanh-nhat", "Quan trắc KK Thanh Nhật", 22.7080, 106.6980, 0.15, True, PM),
)

# (district, source id, river, lat, lon, usual dry-season level, BĐ1, BĐ2, BĐ3) — cm
_WATER = (
    (CITY, "water-bang-giang-cao-bang", "Bằng Giang", 22.6672, 106.2622, 180, 600, 750, 900),
    (CITY, "water-hien-cao-bang", "Sông Hiến", 22.6612, 106.2524, 120, 450, 560, 680),
    ("hoa-an", "water-bang-giang-hoa-an", "Bằng Giang", 22.7150, 106.2290, 150, 520, 650, 780),
    ("ha-quang", "water-bang-giang-soc-ha", "Bằng Giang", 22.9420, 106.0330, 90, 380, 470, 560),
    ("quang-hoa", "water-bang-giang-ta-lung", "Bằng Giang", 22.4830, 106.5690, 210, 700, 850, 1000),
    ("trung-khanh", "water-quay-son-ban-gioc", "Quây Sơn", 22.8530, 106.7150, 140, 480, 600, 720),
    ("trung-khanh", "water-quay-son-dam-thuy", "Quây Sơn", 22.8410, 106.6900, 120, 430, 540, 650),
    ("bao-lac", "water-gam-bao-lac", "Sông Gâm", 22.9490, 105.6700, 250, 850, 1050, 1250),
    ("bao-lac", "water-neo-bao-lac", "Sông Neo", 22.9560, 105.6810, 80, 320, 400, 480),
    ("bao-lam", "water-gam-bao-lam", "Sông Gâm", 22.8700, 105.4880, 270, 900, 1100, 1300),
    ("bao-lam", "water-nho-que-ly-bon", "Nho Quế", 22.8300, 105.4300, 160, 560, 700, 840),
    ("thach-an", "water-bac-giang-thach-an", "Bắc Giang", 22.4250, 106.4400, 100, 380, 470, 560),
    ("nguyen-binh", "water-hien-nguyen-binh", "Sông Hiến", 22.6500, 105.9600, 70, 300, 380, 460),
)

# (district, source id, name, lat, lon, elevation m)
_WEATHER = (
    (CITY, "weather-cao-bang", "Trạm khí tượng Cao Bằng", 22.6710, 106.2480, 240),
    ("bao-lac", "weather-bao-lac", "Trạm khí tượng Bảo Lạc", 22.9530, 105.6690, 290),
    ("bao-lam", "weather-bao-lam", "Trạm đo mưa Bảo Lâm", 22.8770, 105.4800, 350),
    ("ha-quang", "weather-ha-quang", "Trạm đo mưa Hà Quảng", 22.9000, 106.1200, 420),
    ("ha-lang", "weather-ha-lang", "Trạm đo mưa Hạ Lang", 22.7080, 106.6980, 450),
    ("hoa-an", "weather-hoa-an", "Trạm đo mưa Hòa An", 22.7300, 106.2000, 230),
    ("nguyen-binh", "weather-nguyen-binh", "Trạm khí tượng Nguyên Bình", 22.6500, 105.9500, 400),
    ("nguyen-binh", "weather-phia-oac", "Trạm khí tượng Phia Oắc", 22.6050, 105.8800, 1930),
    ("quang-hoa", "weather-quang-hoa", "Trạm đo mưa Quảng Hòa", 22.5300, 106.4800, 300),
    ("thach-an", "weather-thach-an", "Trạm đo mưa Thạch An", 22.4800, 106.3200, 550),
    ("trung-khanh", "weather-trung-khanh", "Trạm khí tượng Trùng Khánh", 22.8300, 106.5600, 520),
)

# (district, source id, name, lat, lon, urban 0–1)
_NOISE = (
    (CITY, "noise-kim-dong", "Đo ồn phố Kim Đồng", 22.6660, 106.2575, 1.0),
    (CITY, "noise-cho-xanh", "Đo ồn Chợ Xanh", 22.6673, 106.2560, 0.9),
    (CITY, "noise-de-tham", "Đo ồn QL3 Đề Thám", 22.6505, 106.2330, 0.7),
    (CITY, "noise-song-hien", "Đo ồn cầu Sông Hiến", 22.6615, 106.2530, 0.8),
    ("quang-hoa", "noise-ta-lung", "Đo ồn Cửa khẩu Tà Lùng", 22.4760, 106.5775, 0.6),
    ("trung-khanh", "noise-ban-gioc", "Đo ồn Thác Bản Giốc", 22.8555, 106.7210, 0.2),
)


def _air(d: str, sid: str, name: str, lat: float, lon: float, urban: float, senml: bool,
         names: tuple[str, ...]) -> Sensor:  # fmt: skip
    return Sensor(d, sid, "air", name, lat, lon, 60, names, senml, urban)


def _water(d: str, sid: str, river: str, lat: float, lon: float, base: float, bd1: float,
           bd2: float, bd3: float) -> Sensor:  # fmt: skip
    name = f"Trạm đo {river} – {DISTRICTS[d].name_vi}"
    alarm = AlarmLevels(bd1, bd2, bd3)
    return Sensor(d, sid, "water", name, lat, lon, 60, urban=0.0, river=river, base_cm=base,
                  alarm=alarm)  # fmt: skip


def _weather(d: str, sid: str, name: str, lat: float, lon: float, elevation: float) -> Sensor:
    return Sensor(d, sid, "weather", name, lat, lon, 60, urban=0.1, elevation_m=elevation)


def _noise(d: str, sid: str, name: str, lat: float, lon: float, urban: float) -> Sensor:
    return Sensor(d, sid, "noise", name, lat, lon, 30, urban=urban)


SENSORS: tuple[Sensor, ...] = (
    *(_air(*row) for row in _AIR),
    *(_water(*row) for row in _WATER),
    *(_weather(*row) for row in _WEATHER),
    *(_noise(*row) for row in _NOISE),
)

# --- cameras ------------------------------------------------------------------------------------

# (site = source id, district, name, lat, lon, profile, size, travellers a day, crowd warn, crit);
# district None = a place of `ioc.places.PLACES`, with its district and coordinates.
_CAMERAS = (
    ("cao-bang-city-centre", None, "Ngã tư Kim Đồng – Vườn Cam", 0, 0, "urban", 1.2, 0, 0, 0),
    ("bang-giang-bridge", CITY, "Cầu Bằng Giang", 22.6674, 106.2618, "urban", 1.0, 0, 0, 0),
    ("song-hien-bridge", CITY, "Cầu Sông Hiến", 22.6618, 106.2528, "urban", 0.9, 0, 0, 0),
    ("de-tham-ql3", CITY, "QL3 – Đề Thám", 22.6500, 106.2338, "urban", 0.8, 0, 0, 0),
    ("cho-xanh-market", CITY, "Chợ Xanh", 22.6671, 106.2562, "urban", 0.7, 0, 80, 160),
    ("ta-lung-border-gate", None, "Cửa khẩu quốc tế Tà Lùng", 0, 0, "border", 1.3, 650, 0, 0),
    ("tra-linh-border-gate", "trung-khanh", "CK Trà Lĩnh", 22.835, 106.324, "border", 1, 320, 0, 0),
    ("soc-giang-border-gate", "ha-quang", "CK Sóc Giang", 22.956, 106.01, "border", 0.5, 120, 0, 0),
    ("ly-van-border-gate", "ha-lang", "CK Lý Vạn", 22.7090, 106.7810, "border", 0.4, 80, 0, 0),
    ("ban-gioc-waterfall", None, "Thác Bản Giốc", 0, 0, "tourist", 1.0, 0, 150, 300),
    ("nguom-ngao-cave", "trung-khanh", "Động Ngườm Ngao", 22.85, 106.7, "tourist", 0.5, 0, 90, 180),
    ("thang-hen-lake", "trung-khanh", "Hồ Thang Hen", 22.790, 106.343, "tourist", 0.3, 0, 80, 160),
    ("pac-bo-relic-site", None, "Khu di tích Pác Bó", 0, 0, "tourist", 0.7, 0, 120, 240),
    ("ma-phuc-pass", "quang-hoa", "Đèo Mã Phục (QL3)", 22.7320, 106.3520, "road", 0.8, 0, 0, 0),
    ("khau-coc-cha-pass", "bao-lac", "Đèo Khau Cốc Chà", 22.9250, 105.7350, "road", 0.4, 0, 0, 0),
    ("dong-khe-ql4a", "thach-an", "QL4A – Đông Khê", 22.4310, 106.4340, "road", 0.7, 0, 0, 0),
    ("nguyen-binh-ql34", "nguyen-binh", "QL34 – Nguyên Bình", 22.65, 105.95, "road", 0.5, 0, 0, 0),
    ("pac-miau-centre", "bao-lam", "Trung tâm Pác Miầu", 22.8765, 105.4795, "road", 0.4, 0, 0, 0),
    ("nuoc-hai-ql3", "hoa-an", "QL3 – Nước Hai", 22.7360, 106.2010, "road", 0.6, 0, 0, 0),
)


def _camera(site: str, district: str | None, name: str, lat: float, lon: float, profile: str,
            size: float, travellers: float, warn: int, crit: int) -> Camera:  # fmt: skip
    if district is None:
        place = PLACES[site]
        district, lat, lon = place.district, place.lat, place.lon
    return Camera(district, site, site, name, lat, lon, profile, 60, size, travellers, warn, crit)


CAMERAS: tuple[Camera, ...] = tuple(_camera(*row) for row in _CAMERAS)

# --- service desks ------------------------------------------------------------------------------

_ANY = ("counter", "online_l3", "online_l4", "app")
_FULL = ("counter", "online_l4", "app")  # "toàn trình": apply and pay online (level 4)
_PART = ("counter", "online_l3")  # "một phần": apply online, collect at the counter (level 3)
_HOTLINE = ("hotline_1022",)

# (slug, name, legal time limit in working days, channels, relative demand)
_SERVICES = (
    ("dang-ky-khai-sinh", "Đăng ký khai sinh", 1, _ANY, 3.0),
    ("dang-ky-ket-hon", "Đăng ký kết hôn", 3, _PART, 1.0),
    ("chung-thuc-ban-sao", "Chứng thực bản sao từ bản chính", 1, ("counter",), 4.0),
    ("xac-nhan-tinh-trang-hon-nhan", "Xác nhận tình trạng hôn nhân", 3, _ANY, 1.5),
    ("dang-ky-thuong-tru", "Đăng ký thường trú", 7, _FULL, 1.2),
    ("dang-ky-kinh-doanh", "Đăng ký hộ kinh doanh", 3, _FULL, 1.5),
    ("cap-giay-phep-xay-dung", "Cấp giấy phép xây dựng nhà ở riêng lẻ", 10, _PART, 1.0),
    ("cap-giay-chung-nhan-quyen-su-dung-dat", "Cấp GCN quyền sử dụng đất", 10, _PART, 1.3),
    ("cap-doi-giay-phep-lai-xe", "Cấp đổi giấy phép lái xe", 5, _FULL, 1.2),
    ("tro-cap-xa-hoi", "Trợ cấp xã hội hằng tháng", 7, _PART, 0.8),
    ("phan-anh-ha-tang-giao-thong", "Phản ánh hạ tầng giao thông", 5, _HOTLINE, 1.0),
    ("phan-anh-moi-truong", "Phản ánh ô nhiễm môi trường", 5, _HOTLINE, 0.8),
    ("phan-anh-trat-tu-do-thi", "Phản ánh trật tự đô thị", 3, _HOTLINE, 0.8),
    ("hoi-dap-thu-tuc-hanh-chinh", "Hỏi đáp thủ tục hành chính", 2, _HOTLINE, 1.5),
    ("bao-tin-thien-tai", "Báo tin thiên tai, ngập lụt", 1, _HOTLINE, 0.3),
)
SERVICES: dict[str, Service] = {row[0]: Service(*row) for row in _SERVICES}
_TOWN_SERVICES = ("cap-giay-phep-xay-dung", "dang-ky-kinh-doanh", "cap-doi-giay-phep-lai-xe")
_TOWNS = (CITY, "quang-hoa", "hoa-an")

# (district, dossiers on a working day, 1022 tickets a day, share of dossiers arriving online)
_DESKS = (
    (CITY, 150, 18, 0.55),
    ("bao-lac", 40, 4, 0.25),
    ("bao-lam", 38, 4, 0.2),
    ("ha-quang", 55, 5, 0.3),
    ("ha-lang", 30, 3, 0.25),
    ("hoa-an", 60, 6, 0.35),
    ("nguyen-binh", 40, 4, 0.25),
    ("quang-hoa", 70, 7, 0.35),
    ("thach-an", 35, 4, 0.25),
    ("trung-khanh", 60, 6, 0.3),
)


def _desk(district: str, per_day: float, hotline: float, online: float) -> ServiceDesk:
    d = DISTRICTS[district]
    name = "Bộ phận Một cửa " + (d.name_vi if district == CITY else f"huyện {d.name_vi}")
    town = district in _TOWNS  # more building permits, businesses and licences
    services = tuple(
        replace(s, weight=s.weight * 1.8) if town and s.slug in _TOWN_SERVICES else s
        for s in SERVICES.values()
    )
    interval = 20 if district == CITY else 30
    return ServiceDesk(district, f"mot-cua-{district}", name, d.lat + 0.001, d.lon + 0.001,
                       per_day, hotline, online, services, interval)  # fmt: skip


DESKS: tuple[ServiceDesk, ...] = tuple(_desk(*row) for row in _DESKS)


def all_devices() -> tuple[Device, ...]:
    """Every simulated device, in a stable order: sensors, cameras, desks, then the devices a
    feed's generator module declares itself (`DEVICES`, e.g. security consoles, portals)."""
    from simulators.feeds import GENERATORS

    declared = (d for module in GENERATORS.values() for d in getattr(module, "DEVICES", ()))
    return (*SENSORS, *CAMERAS, *DESKS, *declared)


def device_by_source(source_id: str) -> Device:
    """The device with this source id (KeyError if none)."""
    for device in all_devices():
        if device.source_id == source_id:
            return device
    raise KeyError(source_id)

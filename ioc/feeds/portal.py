"""The portal feed's schema: one availability check of one web portal per message.

Topic `ioc/portal/<district>/<site_id>`; measurement `portal`; tags `district`, `source` (the
site id); fields `up` (1 up, 0 down: an integer so availability is its mean), `status` (HTTP
status), `response_ms`, `tls_days_left` (days until the certificate expires), `url` and `error`
(strings). The parser is `collectors/feeds/portal.py`, the generator `simulators/feeds/portal.py`,
the prober that produces it for real portals `ioc probe` (`collectors/probe.py`).
"""

from __future__ import annotations

from ioc.feeds.schema import FeedSpec, FieldSpec, Schema

ERROR_MAX_LEN = 200
URL_MAX_LEN = 2048

SPEC = FeedSpec(
    name="portal",
    schema=Schema(
        "portal",
        tags=(),
        fields=(
            FieldSpec("up", "int", "", "mean", "Khả dụng", "Up"),
            FieldSpec("status", "int", "", "last", "Mã HTTP", "HTTP status"),
            FieldSpec("response_ms", "float", "ms", "mean", "Thời gian phản hồi", "Response time"),
            FieldSpec(
                "tls_days_left",
                "int",
                "days",
                "min",
                "Chứng thư số còn hạn",
                "Certificate days left",
            ),
            FieldSpec("url", "str", "", "last"),
            FieldSpec("error", "str", "", "last"),
        ),
    ),
    name_vi="Cổng thông tin",
    name_en="Web portals",
    expected_interval_s=300.0,
    order=4,
    periodic=True,
    count_fields=("up",),
)

"""The one translation table: every label the dashboard shows. Vietnamese first (the default).

`t(key, lang)` looks a label up; district names, place names and KPI names come from their own
registries (`ioc.places`, `ioc.kpis.registry`) through the helpers below, so they are never
re-typed here. Numbers follow the language: 1.234,5 in Vietnamese, 1,234.5 in English.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ioc.feeds import FEEDS
from ioc.kpis.spec import KpiSpec
from ioc.places import DISTRICTS, PLACES

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

_TEXT: dict[str, tuple[str, str]] = {
    # shell and navigation
    "app_title": (
        "Trung tâm Điều hành Thông minh tỉnh Cao Bằng",
        "Cao Bằng Intelligent Operations Center",
    ),
    "app_short": ("IOC Cao Bằng", "Cao Bằng IOC"),
    "switch_lang": ("English", "Tiếng Việt"),
    "page_wall": ("Màn hình tổng hợp", "Wall screen"),
    "page_environment": ("Môi trường", "Environment"),
    "page_traffic": ("Giao thông & camera", "Traffic & cameras"),
    "page_services": ("Dịch vụ công", "Public services"),
    "page_devices": ("Thiết bị & luồng dữ liệu", "Devices & feeds"),
    "page_security": ("An toàn thông tin & cổng TTĐT", "Security & portals"),
    "back_to_wall": ("← Màn hình tổng hợp", "← Wall screen"),
    # wall groups and status
    "group_city": ("Chỉ số đô thị", "City indicators"),
    "group_services": ("Dịch vụ đô thị thông minh", "Smart-service KPIs"),
    "group_security": ("An toàn thông tin", "Information security"),
    "group_health": ("Tình trạng thiết bị", "Device health"),
    "alerts": ("Cảnh báo", "Alerts"),
    "no_alerts": ("Không có cảnh báo", "No alerts"),
    "more_alerts": ("và {n} cảnh báo khác", "and {n} more alerts"),
    "map": ("Bản đồ tỉnh Cao Bằng", "Cao Bằng province map"),
    "map_border": ("Biên giới Việt – Trung", "Vietnam–China border"),
    "map_outline": ("Ranh giới tỉnh (phác họa, gần đúng)", "Province edge (sketch, approximate)"),
    "legend_ok": ("bình thường", "normal"),
    "legend_warning": ("cảnh báo", "warning"),
    "legend_critical": ("nghiêm trọng", "critical"),
    "legend_offline": ("mất kết nối", "offline"),
    "legend_no_data": ("chưa có dữ liệu", "no data"),
    "legend_stale": ("số liệu cũ", "stale"),
    "map_sites": ("Thiết bị (theo huyện)", "Devices (by district)"),
    "map_places": ("Địa điểm trọng điểm", "Key sites"),
    "live_ok": ("Dữ liệu trực tiếp", "Live data"),
    "live_lost": ("MẤT KẾT NỐI dữ liệu trực tiếp", "LIVE DATA CONNECTION LOST"),
    "connection_lost": ("mất kết nối", "connection lost"),
    "push_connecting": ("Đang kết nối tới máy chủ…", "Connecting to the server…"),
    "push_lost": (
        "▲ MẤT KẾT NỐI tới máy chủ — đang kết nối lại; số liệu dưới đây có thể đã cũ",
        "▲ SERVER CONNECTION LOST — reconnecting; the figures below may be out of date",
    ),
    "push_polling": (
        "▲ MẤT KẾT NỐI đẩy trực tiếp — đang kết nối lại; tạm cập nhật mỗi giây",
        "▲ PUSH CONNECTION LOST — reconnecting; refreshing every second meanwhile",
    ),
    "stale": ("DỮ LIỆU CŨ", "STALE"),
    "no_data": ("chưa có dữ liệu", "no data yet"),
    "kpi_engine_stale": ("chỉ số chưa được tính lại", "KPIs not recomputed"),
    "updated_ago": ("cập nhật {age} trước", "updated {age} ago"),
    "status_ok": ("Bình thường", "Normal"),
    "status_warning": ("Cảnh báo", "Warning"),
    "status_critical": ("Nghiêm trọng", "Critical"),
    "status_unrated": ("", ""),
    "status_no_data": ("Chưa có dữ liệu", "No data"),
    "severity_info": ("THÔNG TIN", "INFO"),
    "severity_warning": ("CẢNH BÁO", "WARNING"),
    "severity_critical": ("NGHIÊM TRỌNG", "CRITICAL"),
    "state_pending": ("đang theo dõi", "pending"),
    "state_active": ("chưa xác nhận", "not acknowledged"),
    "state_acknowledged": ("đã xác nhận: {by}", "acknowledged by {by}"),
    "state_cleared": ("đã hết", "cleared"),
    "worst_of": ("kém nhất: {what}", "worst: {what}"),
    # what a tile shows under its value (dashboards.tiles.HINTS)
    "detail_blocked": ("{value} được ngăn chặn", "{value} blocked"),
    "detail_available": ("sẵn sàng 24h: {value}", "{value} up (24 h)"),
    "count_critical": ("{n} nghiêm trọng", "{n} critical"),
    "count_high": ("{n} mức cao", "{n} high"),
    # short tile titles for the wall's band (one line at 1080p; the drill-downs keep the full
    # names, and the band's heading says the group): `wall_<KPI id>`
    "wall_security.open_incidents": ("Sự cố đang mở", "Open incidents"),
    "wall_security.malware_today": ("Mã độc hôm nay", "Malware today"),
    "wall_security.edr_coverage": ("Độ phủ EDR", "EDR coverage"),
    "wall_portal.down": ("Cổng TTĐT ngừng", "Portals down"),
    "wall_devices.online": ("Thiết bị trực tuyến", "Devices online"),
    "wall_devices.online_ratio": ("Tỷ lệ trực tuyến", "Online share"),
    "wall_feeds.completeness": ("Độ đầy đủ dữ liệu", "Data completeness"),
    "count_ok": ("{ok}/{total} bình thường", "{ok}/{total} normal"),
    "in_window_today": ("hôm nay", "today"),
    "in_window_24h": ("24 giờ qua", "last 24 h"),
    "in_window_7d": ("7 ngày", "7 days"),
    "in_window_30d": ("30 ngày", "30 days"),
    "in_window_1h": ("1 giờ qua", "last hour"),
    "in_window_nowcast": ("theo giờ", "hourly"),
    "in_window_now": ("hiện tại", "now"),
    "province": ("Toàn tỉnh", "Province"),
    # why a tile has no value, what is late, what is last known
    "empty_servicedesk.on_time_rate": (
        "chưa có hồ sơ được giải quyết hôm nay",
        "no ticket resolved today yet",
    ),
    "empty_servicedesk.avg_handling_hours": (
        "chưa có hồ sơ được giải quyết hôm nay",
        "no ticket resolved today yet",
    ),
    "empty_servicedesk.satisfaction": (
        "chưa có đánh giá hài lòng hôm nay",
        "no satisfaction score today yet",
    ),
    "empty_servicedesk.online_share": (
        "chưa tiếp nhận hồ sơ hôm nay",
        "no ticket received today yet",
    ),
    "empty_window": ("chưa có giá trị ({window})", "no value yet ({window})"),
    "empty_no_kpi": ("chưa nhận được dữ liệu", "no data received yet"),
    "unrated": ("chưa đặt ngưỡng cảnh báo", "no alert threshold"),
    "last_known_ago": ("số liệu cuối cùng, {age} trước", "last known, {age} ago"),
    "last_known_none": ("chưa có số liệu trước khi mất kết nối", "nothing known before the loss"),
    "last_known_empty": ("chưa có số liệu", "nothing known"),  # a tile's, beside the mark
    "last_known_banner": (
        "MẤT KẾT NỐI dữ liệu trực tiếp — đang hiển thị số liệu cuối cùng lúc {time} ({age} trước)",
        "LIVE DATA CONNECTION LOST — showing the last known data of {time} ({age} ago)",
    ),
    "last_known_alerts": (
        "Cảnh báo cuối cùng đã biết, lúc {time}",
        "Last known alerts, as of {time}",
    ),
    "future_time": ("thời gian dữ liệu ở tương lai: +{age}", "data time in the future: +{age}"),
    "future_label": ("SAI GIỜ", "CLOCK AHEAD"),
    "alerts_open": ("đang mở", "open"),
    "alerts_unacked": ("{n} chưa xác nhận", "{n} not acknowledged"),
    "group_generic": ("{n} cảnh báo {rule}", "{n} alerts {rule}"),
    "group_device.offline": ("{n} thiết bị mất kết nối", "{n} devices offline"),
    "group_water.bd2": ("{n} trạm đo vượt báo động 2", "{n} gauges above alarm level 2"),
    "group_water.bd3": ("{n} trạm đo vượt báo động 3", "{n} gauges above alarm level 3"),
    "group_air.aqi_bad": ("{n} trạm không khí ở mức Xấu", "{n} air stations in band Poor"),
    "group_air.aqi_very_bad": (
        "{n} trạm không khí ở mức Rất xấu",
        "{n} air stations in band Very poor",
    ),
    "group_servicedesk.overdue_many": (
        "{n} nơi có nhiều hồ sơ quá hạn",
        "{n} places with many overdue tickets",
    ),
    "group_traffic.congestion_high": ("{n} điểm ùn tắc", "{n} congested sites"),
    "group_traffic.congestion_severe": (
        "{n} điểm ùn tắc nghiêm trọng",
        "{n} severely congested sites",
    ),
    "group_feeds.completeness_low": (
        "{n} luồng dữ liệu thiếu bản tin",
        "{n} feeds missing readings",
    ),
    "group_open": ("mở danh sách", "open the list"),
    # the system's own health (heartbeats)
    "collectors_n": ("{n} bộ thu", "collectors: {n}"),
    "health_ok": ("Hệ thống hoạt động bình thường", "All parts running"),
    "health_late": ("{part} chậm {age}", "{part} late by {age}"),
    "health_missing": ("{part}: chưa có tín hiệu", "{part}: no heartbeat"),
    "part_collector": ("bộ thu {name}", "collector {name}"),
    "part_collectors": ("bộ thu dữ liệu", "collectors"),
    "part_engine": ("bộ tính chỉ số (KPI)", "KPI engine"),
    "part_live": ("dữ liệu trực tiếp", "live state"),
    # live indicators that are not KPIs
    "ind_temperature": ("Nhiệt độ trung bình", "Mean temperature"),
    "ind_rain": ("Lượng mưa lớn nhất", "Heaviest rain"),
    "ind_noise": ("Tiếng ồn lớn nhất", "Loudest noise"),
    "ind_humidity": ("Độ ẩm trung bình", "Mean humidity"),
    # drill-down controls
    "time_range": ("Khoảng thời gian", "Time range"),
    "range_1h": ("1 giờ", "1 hour"),
    "range_24h": ("24 giờ", "24 hours"),
    "range_7d": ("7 ngày", "7 days"),
    "range_30d": ("30 ngày", "30 days"),
    "range_90d": ("90 ngày", "90 days"),
    "range_1y": ("1 năm", "1 year"),
    "range_custom": ("Tùy chọn", "Custom"),
    "from": ("Từ", "From"),
    "to": ("Đến", "To"),
    "district": ("Huyện / thành phố", "District"),
    "all_districts": ("Tất cả huyện", "All districts"),
    "source": ("Nguồn (thiết bị)", "Source (device)"),
    "all_sources": ("Tất cả nguồn", "All sources"),
    "site": ("Địa điểm", "Site"),
    "all_sites": ("Tất cả địa điểm", "All sites"),
    "kind": ("Loại cảm biến", "Sensor kind"),
    "field": ("Chỉ tiêu", "Measure"),
    "feed": ("Luồng dữ liệu", "Feed"),
    "channel": ("Kênh tiếp nhận", "Channel"),
    "all_channels": ("Tất cả kênh", "All channels"),
    "event": ("Sự kiện", "Event"),
    "history": ("Diễn biến theo thời gian", "History"),
    "breakdown": ("Theo huyện", "By district"),
    "records": ("Bản ghi gốc", "Raw records"),
    "export_csv": ("Xuất CSV", "Export CSV"),
    "export_all": (
        "toàn bộ khoảng thời gian đã chọn, mọi bản ghi",
        "the whole chosen range, every record",
    ),
    "bucket": ("gộp {bucket} / điểm, {agg}", "{bucket} per point, {agg}"),
    "agg_mean": ("trung bình", "mean"),
    "agg_max": ("lớn nhất", "max"),
    "agg_sum": ("tổng", "sum"),
    "agg_count": ("số lượng", "count"),
    "agg_min": ("nhỏ nhất", "min"),
    "agg_last": ("mới nhất", "latest"),
    "storage_error": ("Không đọc được kho dữ liệu: {error}", "Cannot read storage: {error}"),
    "storage_unreadable": ("Không đọc được kho dữ liệu", "Cannot read storage"),
    "bad_range": ("Khoảng thời gian không hợp lệ", "Invalid time range"),
    "rows_shown": ("{n} bản ghi mới nhất (tối đa {limit})", "{n} newest records (at most {limit})"),
    "sources_table": ("Nguồn dữ liệu", "Sources"),
    "last_seen": ("Lần cuối", "Last seen"),
    "age": ("Tuổi dữ liệu", "Age"),
    "online": ("trực tuyến", "online"),
    "state": ("Trạng thái", "State"),
    "offline": ("mất kết nối", "offline"),
    "counters": ("Bộ đếm luồng", "Feed counters"),
    "counters_feed": (
        "{feed}: nhận {received}, lưu {stored}, từ chối {rejected}",
        "{feed}: {received} received, {stored} stored, {rejected} rejected",
    ),
    "source_id": ("Mã nguồn", "Source id"),
    "deadletters": ("Bản tin bị từ chối", "Rejected messages"),
    "time": ("Thời gian", "Time"),
    "ticket_id": ("Mã hồ sơ", "Ticket"),
    "service": ("Thủ tục", "Service"),
    "due_ms": ("Hạn xử lý", "Due"),
    "source_name": ("Tên nguồn", "Source name"),
    "field_interval_s": ("Chu kỳ đếm (giây)", "Counting interval (s)"),
    "field_vehicles_car": ("Ô tô", "Cars"),
    "field_vehicles_motorbike": ("Xe máy", "Motorbikes"),
    "field_vehicles_truck": ("Xe tải", "Trucks"),
    "field_vehicles_bus": ("Xe khách", "Buses"),
    "field_events_count": ("Số sự kiện", "Events"),
    "field_events_max_severity": ("Mức sự kiện cao nhất", "Highest event level"),
    "field_events": ("Sự kiện", "Events"),
    "events": ("Sự kiện camera", "Camera events"),
    "all_events": ("Tất cả sự kiện", "All events"),
    "kind_air": ("Không khí", "Air"),
    "kind_water": ("Nước, mưa", "Water, rain"),
    "kind_weather": ("Thời tiết", "Weather"),
    "kind_noise": ("Tiếng ồn", "Noise"),
    "event_received": ("Tiếp nhận", "Received"),
    "event_assigned": ("Phân công", "Assigned"),
    "event_resolved": ("Giải quyết xong", "Resolved"),
    "event_rejected": ("Từ chối", "Rejected"),
    "event_reopened": ("Mở lại", "Reopened"),
    "channel_online_l3": ("Trực tuyến một phần (mức 3)", "Online, partial (level 3)"),
    "channel_online_l4": ("Trực tuyến toàn trình (mức 4)", "Online, full (level 4)"),
    "channel_counter": ("Tại quầy", "At the counter"),
    "channel_hotline_1022": ("Tổng đài 1022", "Hotline 1022"),
    "channel_app": ("Ứng dụng", "App"),
    "field_tickets": ("Số hồ sơ", "Tickets"),
    "field_readings": ("Số bản tin nhận", "Readings received"),
    "field_online": ("Tỷ lệ trực tuyến", "Share online"),
    # information security (/security)
    "sec_event_malware_detected": ("Phát hiện mã độc", "Malware detected"),
    "sec_event_malware_cleaned": ("Đã làm sạch mã độc", "Malware cleaned"),
    "sec_event_incident_opened": ("Mở sự cố", "Incident opened"),
    "sec_event_incident_contained": ("Khoanh vùng sự cố", "Incident contained"),
    "sec_event_incident_resolved": ("Xử lý xong sự cố", "Incident resolved"),
    "sec_event_endpoint_offline": ("Máy trạm mất kết nối", "Endpoint offline"),
    "sec_event_endpoint_online": ("Máy trạm kết nối lại", "Endpoint online"),
    "sec_event_inventory": ("Kiểm kê máy trạm", "Inventory"),
    "sec_action_none": ("Không xử lý", "None"),
    "sec_action_blocked": ("Đã chặn", "Blocked"),
    "sec_action_quarantined": ("Đã cách ly", "Quarantined"),
    "sec_action_cleaned": ("Đã làm sạch", "Cleaned"),
    "sec_system_edr": ("EDR", "EDR"),
    "sec_system_soc": ("SOC", "SOC"),
    "portal_up": ("Hoạt động", "Up"),
    "portal_down": ("Gián đoạn", "Down"),
    "by_agency": ("Theo cơ quan", "By agency"),
    "by_portal": ("Theo cổng thông tin", "By portal"),
    "col_action": ("Xử lý", "Action"),
    "col_endpoint": ("Máy trạm", "Endpoint"),
    "col_system": ("Hệ thống", "System"),
    "col_url": ("Địa chỉ", "Address"),
    "col_error": ("Lỗi", "Error"),
    "severity_low": ("THẤP", "LOW"),
    "severity_medium": ("TRUNG BÌNH", "MEDIUM"),
    "severity_high": ("CAO", "HIGH"),
    "field_incidents": ("Số sự cố", "Incidents"),
    "incidents": ("Sự cố trong khoảng thời gian", "Incidents in the range"),
    "no_incidents": ("Không có sự cố nào trong khoảng thời gian này", "No incident in this range"),
    "not_contained": ("chưa khoanh vùng", "not contained"),
    "col_incident_id": ("Mã sự cố", "Incident"),
    "col_agency": ("Cơ quan", "Agency"),
    "col_severity": ("Mức độ", "Severity"),
    "col_threat": ("Mối đe dọa", "Threat"),
    "col_opened": ("Mở lúc", "Opened"),
    "col_contained": ("Khoanh vùng lúc", "Contained"),
    "col_resolved": ("Xử lý xong lúc", "Resolved"),
    "col_time_to_contain": ("Thời gian khoanh vùng", "Time to contain"),
    # acknowledgement
    "acknowledge": ("Xác nhận", "Acknowledge"),
    "ack_title": ("Xác nhận cảnh báo", "Acknowledge alert"),
    "ack_by": ("Người xác nhận", "Acknowledged by"),
    "ack_comment": ("Ghi chú", "Comment"),
    "ack_submit": ("Gửi xác nhận", "Send acknowledgement"),
    "cancel": ("Hủy", "Cancel"),
    "ack_forbidden": (
        "Vai trò của bạn không được xác nhận cảnh báo",
        "Your role may not acknowledge alerts",
    ),
    "ack_sent": (
        "Đã gửi xác nhận, đang chờ hệ thống cập nhật",
        "Acknowledgement sent, waiting for the system",
    ),
    "ack_failed": ("Không gửi được: {error}", "Could not send: {error}"),
    "ack_not_active": (
        "Cảnh báo này không còn chờ xác nhận",
        "This alert no longer awaits acknowledgement",
    ),
    # sign-in and access (dashboards/auth)
    "login_title": ("Đăng nhập", "Sign in"),
    "login_username": ("Tên đăng nhập", "User name"),
    "login_password": ("Mật khẩu", "Password"),
    "login_submit": ("Đăng nhập", "Sign in"),
    "login_failed": (
        "Tên đăng nhập hoặc mật khẩu không đúng",
        "Wrong user name or password",
    ),
    "login_refused": (
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {seconds} giây",
        "Too many failed sign-ins. Try again in {seconds} s",
    ),
    "login_expired": ("Phiên đăng nhập đã hết hạn", "Your session has ended"),
    "logout": ("Đăng xuất", "Sign out"),
    "signed_in_as": ("{user} ({role})", "{user} ({role})"),
    "role_viewer": ("xem", "viewer"),
    "role_operator": ("trực ban", "operator"),
    "role_supervisor": ("giám sát", "supervisor"),
    "role_admin": ("quản trị", "admin"),
    "display_title": ("Đăng nhập màn hình hiển thị", "Sign in this display"),
    "display_text": (
        "Trình duyệt này sẽ được đăng nhập lâu dài với quyền xem cho màn hình “{name}”.",
        "This browser will stay signed in with viewer rights as the display “{name}”.",
    ),
    "display_ask": (
        "Mở liên kết đăng nhập một lần do quản trị viên cấp trên trình duyệt của màn hình.",
        "Open the one-time sign-in link an administrator made, on the display's browser.",
    ),
    "display_submit": ("Đăng nhập màn hình này", "Sign in this display"),
    "display_bad": (
        "Liên kết không hợp lệ, đã dùng hoặc đã hết hạn",
        "The link is invalid, used or expired",
    ),
    "page_admin": ("Quản trị", "Administration"),
    "page_audit": ("Nhật ký", "Audit trail"),
    "page_reports": ("Báo cáo", "Reports"),
    "reports_lead": (
        "Báo cáo định kỳ các chỉ số dịch vụ công, đô thị, thiết bị và cảnh báo, tính từ dữ liệu "
        "lịch sử với cùng định nghĩa của màn hình điều hành.",
        "Periodic report of the public-service, city, device and alert indicators, computed "
        "from the history with the wall's own definitions.",
    ),
    "reports_period": ("Kỳ báo cáo", "Period"),
    "reports_day": ("Ngày", "Day"),
    "reports_week": ("Tuần (thứ Hai – Chủ nhật)", "Week (Monday–Sunday)"),
    "reports_month": ("Tháng", "Month"),
    "reports_date": ("Một ngày trong kỳ", "A day in the period"),
    "reports_district": ("Địa bàn", "District"),
    "reports_province": ("Toàn tỉnh", "Whole province"),
    "reports_xlsx": ("Tải Excel (XLSX)", "Download Excel (XLSX)"),
    "reports_html": ("Mở bản in (HTML)", "Open printable (HTML)"),
    "reports_note": (
        "Bản in mở trong trình duyệt: dùng In → Lưu thành PDF. Báo cáo tháng có thể mất vài phút.",
        "The printable version opens in the browser: Print → Save as PDF. A month may take a "
        "few minutes.",
    ),
    "admin_users": ("Người dùng", "Users"),
    "admin_displays": ("Màn hình hiển thị", "Displays"),
    "admin_tokens": ("Mã truy cập API", "API tokens"),
    "admin_name": ("Tên", "Name"),
    "admin_role": ("Vai trò", "Role"),
    "admin_state": ("Trạng thái", "State"),
    "admin_active": ("đang dùng", "active"),
    "admin_disabled": ("đã khóa", "disabled"),
    "admin_add_user": ("Thêm người dùng", "Add user"),
    "admin_set_role": ("Đổi vai trò", "Change role"),
    "admin_set_password": ("Đặt mật khẩu", "Set password"),
    "admin_disable": ("Khóa", "Disable"),
    "admin_enable": ("Mở khóa", "Enable"),
    "admin_add_display": ("Tạo đăng nhập màn hình", "Add display sign-in"),
    "admin_add_token": ("Tạo mã truy cập", "Add token"),
    "admin_revoke": ("Thu hồi", "Revoke"),
    "admin_sessions": ("Trình duyệt đang đăng nhập", "Signed-in browsers"),
    "admin_link_pending": ("liên kết chưa dùng", "link not used yet"),
    "admin_last_used": ("Dùng lần cuối", "Last used"),
    "admin_done": ("Đã thực hiện: {what}", "Done: {what}"),
    "admin_error": ("Không thực hiện được: {error}", "Could not do it: {error}"),
    "admin_secret_once": (
        "Sao chép ngay, sẽ không hiển thị lại: {secret}",
        "Copy it now, it will not be shown again: {secret}",
    ),
    "audit_when": ("Thời gian", "When"),
    "audit_actor": ("Người thực hiện", "Who"),
    "audit_action": ("Hành động", "Action"),
    "audit_target": ("Đối tượng", "What"),
    "audit_client": ("Địa chỉ", "From"),
    "audit_detail": ("Chi tiết", "Detail"),
    "audit_since": ("Từ", "Since"),
    "audit_until": ("Đến", "Until"),
    "audit_filter": ("Lọc", "Filter"),
    "audit_export": ("Xuất CSV", "Export CSV"),
    "audit_count": ("{n} mục (mới nhất trước)", "{n} entries (newest first)"),
    "forbidden": ("Vai trò của bạn không được làm việc này", "Your role may not do this"),
}
# Feed names and field labels are declared with each feed's schema (ioc/feeds/<feed>.py).
_SCHEMA_TEXT: dict[str, tuple[str, str]] = {
    **{f"feed_{name}": (spec.name_vi, spec.name_en) for name, spec in FEEDS.items()},
    **{
        f"field_{f.name}": (f.label_vi, f.label_en)
        for spec in FEEDS.values()
        for f in spec.schema.fields
        if f.label_vi
    },
}
TEXT: Mapping[str, tuple[str, str]] = {**_SCHEMA_TEXT, **_TEXT}

UNITS: Mapping[str, tuple[str, str]] = {
    "tickets": ("hồ sơ", "tickets"),
    "people": ("lượt", "visitors"),
    "readings": ("bản tin", "readings"),
    "incidents": ("sự cố", "incidents"),
    "detections": ("lượt", "detections"),
    "events": ("sự kiện", "events"),
    "endpoints": ("máy", "endpoints"),
    "portals": ("cổng", "portals"),
    "days": ("ngày", "days"),
    "ms": ("ms", "ms"),
    "h": ("giờ", "h"),
    "m": ("m", "m"),
    "%": ("%", "%"),
    "AQI": ("", ""),
    "BĐ": ("", ""),
    "": ("", ""),
}


def lang_of(value: object) -> str:
    """A supported language from user input (URL query), else the default."""
    return value if isinstance(value, str) and value in LANGS else DEFAULT_LANG


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def t(key: str, lang: str, **values: object) -> str:
    """The label `key` in `lang`, with `{placeholders}` filled from `values`."""
    text = _pick(TEXT[key], lang)
    return text.format(**values) if values else text


def unit(name: str, lang: str) -> str:
    pair = UNITS.get(name)
    return _pick(pair, lang) if pair else name


def feed_name(feed: str, lang: str) -> str:
    pair = TEXT.get(f"feed_{feed}")
    return _pick(pair, lang) if pair else feed


def district_name(slug: str, lang: str) -> str:
    district = DISTRICTS.get(slug)
    if district is None:
        return slug
    return district.name_en if lang == "en" else district.name_vi


def place_name(slug: str) -> str:
    """A named place (ioc.places) in Vietnamese (proper names are not translated), else the slug."""
    place = PLACES.get(slug)
    return place.name_vi if place else slug


def kpi_name(spec: KpiSpec, lang: str) -> str:
    return spec.name_en if lang == "en" else spec.name_vi


def number(value: float | None, decimals: int, lang: str) -> str:
    """1234.5 -> "1.234,5" (vi) or "1,234.5" (en); None or NaN -> "—"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def duration(seconds: float, lang: str) -> str:
    """A short age: 5 giây / 3 phút / 2 giờ / 4 ngày (en: 5 s / 3 min / 2 h / 4 d); a negative
    one (a time ahead of now) keeps its sign, "−2 giờ", never shown as 0."""
    if seconds < 0 and int(-seconds) > 0:
        return "−" + duration(-seconds, lang)
    s = max(0, int(seconds))
    if s < 60:
        value, vi, en = s, "giây", "s"
    elif s < 3600:
        value, vi, en = s // 60, "phút", "min"
    elif s < 86400:
        value, vi, en = s // 3600, "giờ", "h"
    else:
        value, vi, en = s // 86400, "ngày", "d"
    return f"{value} {en if lang == 'en' else vi}"

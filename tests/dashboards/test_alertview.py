"""The wall's alert text: the current value split off the message so clamping never hides it."""

import pytest

from dashboards.alertview import split_value


@pytest.mark.parametrize(
    ("text", "head", "value"),
    [
        (
            "Mực nước tại Trạm đo Bằng Giang – Thành phố Cao Bằng vượt báo động 3: 960,0 cm",
            "Mực nước tại Trạm đo Bằng Giang – Thành phố Cao Bằng vượt báo động 3",
            "960,0 cm",
        ),
        (
            "Water at Bằng Giang above alarm level 3: 960.0 cm",
            "Water at Bằng Giang above alarm level 3",
            "960.0 cm",
        ),
        ("Lượt khách: 1.234 lượt", "Lượt khách", "1.234 lượt"),
        ("Nhiệt độ: -3,5 °C", "Nhiệt độ", "-3,5 °C"),
        ("AQI tại Hòa An: 150", "AQI tại Hòa An", "150"),
    ],
)
def test_a_message_ending_in_a_value_gives_the_value_its_own_cell(text, head, value):
    assert split_value(text) == (head, value)


@pytest.mark.parametrize(
    "text",
    [
        "66 thiết bị mất kết nối",
        "Độ phủ EDR tại EDR Sở Y tế chỉ 85,7 %",  # the value is inside the sentence: kept whole
        "Sự cố: EDR-2020-000123",  # an identifier, not a value
        "",
    ],
)
def test_any_other_message_is_kept_whole(text):
    assert split_value(text) == (text, "")

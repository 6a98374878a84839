"""The report as an XLSX workbook (openpyxl): a summary sheet, then one sheet per section with a
header row, one row per district / gauge / site / alert, frozen headers and number formats."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ioc.report.columns import SECTIONS, SEVERITY_VI, Column, local_time
from ioc.report.compute import Report

SUMMARY = "Tổng quan"
_FORMATS = {
    "int": "#,##0",
    "dec1": "#,##0.0",
    "dec2": "#,##0.00",
    "pct": "0.0",
    "time": "dd/mm/yyyy hh:mm",
    "alarm": '"BĐ"0',
}
_HEADER_FILL = PatternFill("solid", fgColor="1F3B57")


def _cell(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.kind == "time":
        return local_time(int(value)).replace(tzinfo=None)  # Excel has no time zones: local time
    if column.key == "severity":
        return SEVERITY_VI.get(str(value), str(value))
    return value


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = SUMMARY
    summary.append([report.title_vi])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["Kỳ báo cáo", report.period.label_vi])
    summary.append(["Từ", local_time(report.period.start_ms).replace(tzinfo=None)])
    summary.append(["Đến (không gồm)", local_time(report.period.end_ms).replace(tzinfo=None)])
    summary.append(["Lập lúc", local_time(report.generated_ms).replace(tzinfo=None)])
    for row in range(3, 6):
        summary.cell(row, 2).number_format = "dd/mm/yyyy hh:mm"
    summary.append([])
    summary.append(["Mục", "Số dòng"])
    for section in SECTIONS:
        summary.append([section.title, len(getattr(report, section.key))])
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 24

    for section in SECTIONS:
        sheet = book.create_sheet(section.title)
        sheet.append([c.label for c in section.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in getattr(report, section.key):
            sheet.append([_cell(row.get(c.key), c) for c in section.columns])
        for index, column in enumerate(section.columns, 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = 30 if column.kind == "text" else 16
            if column.kind != "text":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = _FORMATS[column.kind]
        sheet.freeze_panes = "B2"
        if section.note:
            sheet.append([])
            sheet.append([section.note])
    out = BytesIO()
    book.save(out)
    return out.getvalue()

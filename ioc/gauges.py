"""Water-gauge alarm levels (BĐ1/BĐ2/BĐ3) from a TOML file: `[gauge."<source_id>"] bd1 = …`.

The file is configuration, not code: `IOC_GAUGES_FILE` points at the province's own; the
default (`ioc/data/gauges.toml`) holds the simulated gauges' levels.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ioc.errors import ConfigError
from ioc.kpis.city import GaugeAlarmLevels

DEFAULT_GAUGES_FILE = Path(__file__).parent / "data" / "gauges.toml"


def load_gauges(path: str | Path | None = None) -> dict[str, GaugeAlarmLevels]:
    """source_id -> alarm levels; a missing or malformed file raises ConfigError."""
    file = Path(path) if path else DEFAULT_GAUGES_FILE
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
        return {
            source: GaugeAlarmLevels(float(v["bd1"]), float(v["bd2"]), float(v["bd3"]))
            for source, v in document.get("gauge", {}).items()
        }
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        problem = f"cannot read gauge levels: {exc}"
        raise ConfigError("IOC_GAUGES_FILE", str(file), problem) from None

"""KPIs: the registry of documented specs and the pure formulas that compute them.

- `spec`: `KpiSpec`, `KpiValue`, direction and status, scopes and windows (thresholds are the
  alert rules', ioc.alerts.rules).
- `registry`: `KPIS`, the one registry the wall screen renders.
- `drilldown`: `drilldown_href(spec, value)`, the link from a KPI value to its drill-down page.
- `servicedesk`, `air`, `city`, `health`: the formulas, as folds of readings plus functions of
  the folded state at a time `now`.
- `state`: `KpiState`, all of it in one object for the pipeline, the live state and history.
- `tally`, `frames`: building blocks (bucketed sums, latest values, storage frames -> readings).

No I/O here: callers feed readings in and store `to_dict()` where they like.
"""

from ioc.kpis.drilldown import drilldown_href
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import Derives, Drilldown, KpiSpec, KpiValue

__all__ = ["KPIS", "Derives", "Drilldown", "KpiSpec", "KpiValue", "drilldown_href"]

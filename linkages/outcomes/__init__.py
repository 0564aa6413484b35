"""The C-CFSR outcome measure engine (outcome-measures.md, seed 001).

``compute(measure, foster_care, period_start, periods, by, links, masked, ...)`` returns an
:class:`OutcomeResult` (``.to_json()``, ``.to_csv()``, ``.to_table()``, ``.to_dict()``); the
``linkages outcomes`` command is a thin shell over it. Shared rules live in :mod:`.core`,
measures in :mod:`.measures`, masking in :mod:`.masking`, statistics in :mod:`.stats`, input
file specs in :mod:`.files`.
"""

from linkages.outcomes.core import FosterCare, MeasureInputError, Period, prepare, rolling_periods
from linkages.outcomes.engine import OutcomeResult, compute
from linkages.outcomes.measures import DEFINITIONS_VERSION, MEASURES

__all__ = ["DEFINITIONS_VERSION", "MEASURES", "FosterCare", "MeasureInputError", "OutcomeResult",
           "Period", "compute", "prepare", "rolling_periods"]

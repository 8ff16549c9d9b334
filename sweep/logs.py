"""How a sweep process logs, set once at its start: by the CLI's `main`, and by each worker
process `sweep run` starts (a new interpreter inherits none). Library modules only log.

Sweep's own lines go to stderr. Optuna's per-trial lines are off, since sweep reports each
trial and its failure itself; Optuna's ExperimentalWarning is off, since sweep uses its
experimental heartbeat API knowingly (sweep.optuna_gaps).
"""

from __future__ import annotations

import logging
import sys


def configure_logging(level: int) -> None:
    """Sweep's lines at `level` and above on stderr; Optuna's errors only; no ExperimentalWarning."""
    import warnings

    import optuna

    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

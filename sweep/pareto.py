"""The Pareto front: the trials no other trial beats on every objective at once.

One small function, used by the live progress and by the reports. A point dominates
another if it is at least as good on every objective and strictly better on one.
Points with a NaN anywhere are never on the front (and dominate nothing); exact
duplicates do not dominate each other, so both stay on the front.
"""

from __future__ import annotations

import numpy as np


def pareto_front(points, directions) -> np.ndarray:
    """Boolean mask of the non-dominated rows of `points` (n x m) under `directions`
    ("maximize" / "minimize" per column)."""
    values = np.asarray(points, dtype=float).reshape(len(points), len(directions))
    signs = np.array([-1.0 if direction == "maximize" else 1.0 for direction in directions])
    costs = values * signs  # lower is better in every column now
    valid = ~np.isnan(costs).any(axis=1)
    on_front = valid.copy()
    for index in np.flatnonzero(valid):
        others = costs[valid]
        dominated_by = np.all(others <= costs[index], axis=1) & np.any(others < costs[index], axis=1)
        on_front[index] = not dominated_by.any()
    return on_front

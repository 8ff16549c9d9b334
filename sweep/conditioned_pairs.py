"""The weight pairs a conditioned training draws, and the pairs a preference stands for (numpy only).

Two ways to draw (`[conditioned] draws`):

- **"preference"**: a preference λ uniform on the simplex (Dirichlet(1, 1), as PSL and LibMOON
  draw them), mapped through a reference pair R to the raw pair (λ·R_rating, (1 − λ)·R_retrieval).
  λ ranges over every retrieval / rating ratio of the study's search box, so the draws cover the
  whole range of trade-offs the box holds, and every draw's loss lies between the two reference
  terms. The network sees only the ratio (sweep.conditioned's ratio encoding), so a served pair
  (r, t) means the model trained at its ratio t / r: (3, 0.01) and (30, 0.1) are one model.
- **"example"** / **"batch"**: each weight log-uniform over its range, per example or per batch.
  Over a box of eight decades of ratio and four of scale, draws whose losses lie 10⁵ apart share
  one Adagrad accumulator, and one training learns nothing (benchmarks/conditioned.py, variant
  `log-uniform-box`); kept for comparison and for stored models.
"""

from __future__ import annotations

import math

import numpy as np

PREFERENCE_DRAWS = "preference"
# What the network sees of a pair: both log-weights (draws "example"/"batch"), or only their ratio
# (preference draws, one scale per ratio trained); sweep.conditioned computes each.
WEIGHTS_ENCODING, RATIO_ENCODING = "weights", "ratio"


def draw_weights(rng: np.random.Generator, ranges: dict[str, tuple[float, float]], rows: int,
                 zero_share: float = 0.0) -> np.ndarray:
    """`rows` weight pairs, each weight log-uniform over its (low, high): the study's search distribution;
    with `zero_share`, that share of rows has one weight (either, equally often) set to exactly 0."""
    columns = []
    for name in ("rating_weight", "retrieval_weight"):
        low, high = ranges[name]
        columns.append(np.exp(rng.uniform(math.log(low), math.log(high), size=rows)))
    pairs = np.stack(columns, axis=1)
    if zero_share:
        zeroed = rng.random(rows) < zero_share
        pairs[zeroed, rng.integers(0, 2, size=rows)[zeroed]] = 0.0
    return pairs.astype(np.float32)


def ratio_range(ranges: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """The lowest and highest retrieval / rating ratio of the search box."""
    (rating_low, rating_high), (retrieval_low, retrieval_high) = ranges["rating_weight"], ranges["retrieval_weight"]
    return retrieval_low / rating_high, retrieval_high / rating_low


def preference_range(ranges: dict[str, tuple[float, float]], reference: tuple[float, ...]) -> tuple[float, float]:
    """The preferences λ whose pairs (λ·R_rating, (1 − λ)·R_retrieval) have a ratio inside the search box's."""
    low_ratio, high_ratio = ratio_range(ranges)
    rating, retrieval = reference
    return retrieval / (retrieval + high_ratio * rating), retrieval / (retrieval + low_ratio * rating)


def preference_pairs(preferences: np.ndarray, reference: tuple[float, ...]) -> np.ndarray:
    """Raw pairs (λ·R_rating, (1 − λ)·R_retrieval) for preferences λ on the simplex."""
    preferences = np.asarray(preferences, dtype=np.float64)
    return np.stack([preferences * reference[0], (1.0 - preferences) * reference[1]], axis=1)


def draw_preferences(rng: np.random.Generator, ranges: dict[str, tuple[float, float]],
                     reference: tuple[float, ...], rows: int, zero_share: float = 0.0,
                     bounds: tuple[float, float] | None = None) -> np.ndarray:
    """`rows` raw pairs from preferences drawn uniformly on the simplex (Dirichlet(1, 1), as PSL and
    LibMOON draw them), each mapped through the reference pair to (λ·R_rating, (1 − λ)·R_retrieval), λ
    restricted to the pairs whose ratio lies in the search box. Every draw's loss stays between the two
    reference terms, whatever its ratio: a ratio drawn over the box's eight decades with both weights
    free puts losses 10⁵ apart into one shared Adagrad accumulator (benchmarks/conditioned.py).
    `bounds`: draw λ between these instead (after narrowing)."""
    low, high = bounds or preference_range(ranges, reference)
    pairs = preference_pairs(rng.uniform(low, high, size=rows), reference)
    if zero_share:
        zeroed = rng.random(rows) < zero_share
        side = rng.integers(0, 2, size=rows)
        single = np.where(side[:, None] == 0, [[0.0, reference[1]]], [[reference[0], 0.0]])
        pairs[zeroed] = single[zeroed]
    return pairs.astype(np.float32)


NARROW_POINTS = 9  # preferences evaluated on the validation slice when a training narrows its draws
NARROW_SLICE = 0.05  # the share of training rows held out for it (sweep.data.validation's rule)


def narrowed_bounds(preferences: np.ndarray, metrics: np.ndarray) -> tuple[float, float]:
    """Where the model's own front lies: the preferences from the neighbour below its lowest front point
    to the neighbour above its highest (`preferences` ascending, `metrics` their (top-100, RMSE) on the
    validation slice). A front point at an end keeps that end."""
    from sweep.pareto import pareto_front

    on_front = np.flatnonzero(pareto_front(np.asarray(metrics, dtype=float), ("maximize", "minimize")))
    low, high = max(int(np.min(on_front)) - 1, 0), min(int(np.max(on_front)) + 1, len(preferences) - 1)
    return float(preferences[low]), float(preferences[high])

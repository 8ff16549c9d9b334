"""The two ways a study may name its loss weights, and the one conversion between them.

A study's [search] names either the two weights themselves (`rating_weight`,
`retrieval_weight`) or their ratio and scale: `weight_ratio` = retrieval_weight / rating_weight,
how the two tasks are balanced, and `weight_scale` = rating_weight + retrieval_weight, how large
the whole loss is. The second pair separates what the first mixes: under an optimizer that is
not scale-free (Adagrad with its initial accumulator, plain SGD) the scale acts as a learning
rate, so a front read along the ratio and along the scale says which of the two it is made of.
Whichever a study searches, every trial records both weights (sweep.record), and the trials table
shows both coordinates (sweep.report.table).
"""

from __future__ import annotations

import math

WEIGHTS = ("rating_weight", "retrieval_weight")
RATIO_AND_SCALE = ("weight_ratio", "weight_scale")
COORDINATES = (WEIGHTS, RATIO_AND_SCALE)  # a study searches exactly one of these


def weights_of(weight_ratio: float, weight_scale: float) -> tuple[float, float]:
    """(rating_weight, retrieval_weight) = weight_scale · (1, weight_ratio) / (1 + weight_ratio).

    A ratio of 0 is the ratings-only pair (s, 0) and an infinite one the retrieval-only (0, s), as
    the tutorial's (1, 0) and (0, 1) are; a scale of 0 would leave both tasks out and is refused.
    Written so that neither weight underflows to 0 unless the ratio says so."""
    if not weight_ratio >= 0 or not (0 < weight_scale < math.inf):  # `not >=` also refuses NaN
        raise ValueError(f"no weights at ratio {weight_ratio!r} and scale {weight_scale!r}: "
                         "the ratio must be 0 or more and the scale above 0 and finite")
    if weight_ratio == math.inf:
        return 0.0, float(weight_scale)
    return weight_scale / (1.0 + weight_ratio), weight_scale * (weight_ratio / (1.0 + weight_ratio))


def ratio_and_scale(rating_weight: float, retrieval_weight: float) -> tuple[float, float]:
    """(weight_ratio, weight_scale) of a pair: retrieval / rating (∞ for the retrieval-only pair; NaN
    for (0, 0), which has no ratio, and for a pair not known yet) and their sum."""
    if rating_weight == 0:
        ratio = math.inf if retrieval_weight > 0 else math.nan
    else:
        ratio = retrieval_weight / rating_weight
    return ratio, rating_weight + retrieval_weight

"""The Pareto plot: a panel that shows the front, labels that never collide, uncertainty and weights drawn.

Collisions are checked on the rendered figure: the boxes of every label and every marker
are measured here from matplotlib's renderer and the artists' own sizes, independently of
the placement code.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from sweep.baselines import TUTORIAL
from sweep.report import plots
from sweep.report.hypervolume import FALLBACK_REFERENCE, hypervolume, reference_point
from sweep.report.layout import panel_limits

CONTEXT = {"global_mean_rmse": 1.125, "chance_top_100_accuracy": 0.059, "most_popular_top_100_accuracy": 0.299}


def frame_of(rows) -> pd.DataFrame:
    """A trials table as the report builds it, from (rmse, top-100, log10 ratio[, tutorial pair, p_pareto]) rows."""
    records = []
    for number, row in enumerate(rows):
        rmse, top, ratio, *rest = row
        pair, p_pareto = rest[0] if rest else "", rest[1] if len(rest) > 1 else math.nan
        records.append({"number": number, "state": "COMPLETE", "rmse": rmse, "top_100_accuracy": top,
                        "rmse_std": 0.01, "top_100_accuracy_std": 0.005, "log10_weight_ratio": ratio,
                        "tutorial_pair": pair, "p_pareto": p_pareto, "counts_for_front": True})
    return pd.DataFrame(records)


def tutorial_like() -> pd.DataFrame:
    """A steep front at RMSE 0.95-1.06, the tutorial's three pairs where the tutorial has them (crowded on purpose)."""
    front = [(0.95 + 0.012 * i, 0.08 + 0.024 * i, -5 + 0.5 * i) for i in range(10)]
    inside = [(1.0 + 0.01 * i, 0.06 + 0.015 * i, -4 + 0.3 * i) for i in range(12)]
    pairs = [(1.116, 0.061, -math.inf, "ratings-only", 0.0), (1.13, 0.236, 0.0, "joint", 0.2),
             (3.80, 0.237, math.inf, "retrieval-only", 0.0)]
    return frame_of(front + inside + pairs)


def rendered(figure):
    figure.canvas.draw()
    return figure.canvas.get_renderer()


def marker_boxes(axes) -> list[Bbox]:
    """Every marker drawn in the panel, as a display-space box of its size plus its outline."""
    boxes = []
    for line in axes.lines:
        if line.get_marker() in (None, "None", "", " ") or not line.get_visible():
            continue
        side = (line.get_markersize() + line.get_markeredgewidth()) * axes.figure.dpi / 72.0
        for x, y in line.get_transform().transform(line.get_xydata()):
            boxes.append(Bbox.from_extents(x - side / 2, y - side / 2, x + side / 2, y + side / 2))
    return boxes


def assert_no_collisions(figure) -> list:
    axes = figure.axes[0]
    renderer = rendered(figure)
    texts = [text for text in axes.texts if text.get_visible() and text.get_text()]
    boxes = [Text.get_window_extent(text, renderer) for text in texts]  # the words, not an annotation's leader line
    panel = axes.get_window_extent(renderer)
    for index, (text, box) in enumerate(zip(texts, boxes)):
        assert panel.x0 <= box.x0 and box.x1 <= panel.x1 and panel.y0 <= box.y0 and box.y1 <= panel.y1, text
        for other, other_box in zip(texts[index + 1:], boxes[index + 1:]):
            assert not box.overlaps(other_box), (text.get_text(), other.get_text())
        for marker in marker_boxes(axes):
            assert not box.overlaps(marker), text.get_text()
    return texts


def test_the_panel_runs_from_the_best_trial_past_the_references_and_ignores_a_far_outlier():
    trials = np.array([[0.08, 0.95], [0.28, 1.06], [0.06, 1.12], [0.24, 3.8]])
    front = trials[:2]
    (x0, x1), (y0, y1) = panel_limits(trials, front, rmse_marks=[1.125, 1.113], top_marks=[0.059, 0.299])
    span = 1.125 - 0.95  # the best trial to the farthest reference
    assert x0 == pytest.approx(0.95 - 0.04 * span) and x1 == pytest.approx(1.125 + 0.08 * span)
    assert y0 < 0.059 and 0.299 < y1 < 0.32  # chance to the best (most-popular), a little padding


def test_a_front_that_runs_on_keeps_its_points_within_one_more_panel_width():
    trials = front = np.array([[0.08, 0.95], [0.30, 1.20], [0.31, 1.60]])
    (x0, x1), _ = panel_limits(trials, front, rmse_marks=[1.125], top_marks=[])
    # 1.20 lies within one core width (0.175) past 1.125 and is kept; 1.60 does not and is left to the edge arrow
    assert x0 < 0.95 and 1.20 < x1 < 1.60


def test_the_tutorial_like_front_fills_most_of_the_panel():
    figure, _ = plots.pareto_figure({"s": tutorial_like()}, CONTEXT, "s")
    axes = figure.axes[0]
    (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
    front_rmse = [0.95, 0.95 + 0.012 * 9]
    front_top = [0.08, 0.08 + 0.024 * 9]
    assert (front_rmse[1] - front_rmse[0]) / (x1 - x0) > 0.5  # retrieval-only at RMSE 3.8 no longer squeezes it
    assert (front_top[1] - front_top[0]) / (y1 - y0) > 0.6
    plots.plt.close(figure)


def test_no_label_overlaps_another_or_covers_a_marker_on_a_crowded_plot():
    figure, _ = plots.pareto_figure({"s": tutorial_like()}, CONTEXT, "s", knees={"s": 4},
                                    reference=reference_point(CONTEXT))
    texts = [text.get_text() for text in assert_no_collisions(figure)]
    for published in TUTORIAL:
        assert any(text.startswith(f"tutorial: {published.name}") for text in texts)
    assert {"ours: ratings-only", "ours: joint", "knee: trial 4"} <= set(texts)
    plots.plt.close(figure)


def test_an_off_panel_trial_is_an_arrow_at_the_edge_with_its_value():
    figure, points = plots.pareto_figure({"s": tutorial_like()}, CONTEXT, "s")
    axes = figure.axes[0]
    retrieval_only = next(line for line in axes.lines if line.get_gid() == f"point-{len(points) - 1}")
    assert retrieval_only.get_marker() == ">" and retrieval_only.get_xdata()[0] == axes.get_xlim()[1]
    assert any(text.get_text() == "ours: retrieval-only (RMSE 3.80)" for text in axes.texts)
    assert any(text.get_text() == "tutorial: retrieval-only (RMSE 3.77)" for text in axes.texts)
    plots.plt.close(figure)


def test_every_complete_trial_is_one_hoverable_point():
    frame = tutorial_like()
    frame.loc[3, "state"] = "FAIL"
    figure, points = plots.pareto_figure({"s": frame}, CONTEXT, "s")
    ids = [line.get_gid() for line in figure.axes[0].lines if (line.get_gid() or "").startswith("point-")]
    assert ids == [f"point-{index}" for index in range(len(frame) - 1)] and len(points) == len(ids)
    assert ("s", 3) not in points
    plots.plt.close(figure)


def test_the_colour_scale_spans_the_finite_ratios_and_zero_weights_have_their_own_markers():
    figure, points = plots.pareto_figure({"s": tutorial_like()}, CONTEXT, "s")
    bar = figure.axes[2]  # main panel, overview, colour bar
    ratios = tutorial_like()["log10_weight_ratio"]
    finite = ratios[np.isfinite(ratios)]
    assert bar.get_xlim() == pytest.approx((finite.min(), finite.max()))
    marks = {line.get_gid(): line.get_marker() for line in figure.axes[0].lines if line.get_gid()}
    assert marks["point-22"] == "s"  # ratings-only: a grey square, not the scale's minimum
    assert marks["point-23"] == "o"  # joint: a colour on the scale
    plots.plt.close(figure)


def test_a_trials_outline_grows_with_its_chance_of_being_on_the_front():
    frame = frame_of([(1.0, 0.1, -2.0, "", 0.05), (1.1, 0.2, -1.0, "", 0.5), (0.9, 0.05, -3.0, "", 1.0)])
    figure, _ = plots.pareto_figure({"s": frame}, CONTEXT, "s")
    widths = {line.get_gid(): line.get_markeredgewidth() for line in figure.axes[0].lines if line.get_gid()}
    assert widths["point-0"] < widths["point-1"] < widths["point-2"]
    plots.plt.close(figure)


def test_compare_gives_each_study_its_own_marker_and_keeps_the_legend_off_the_data():
    other = tutorial_like().assign(rmse=lambda f: f["rmse"] + 0.01)
    figure, points = plots.pareto_figure({"a": tutorial_like(), "b": other}, CONTEXT, "a vs b",
                                         knees={"a": 4, "b": 5})
    marks = {line.get_gid(): line.get_marker() for line in figure.axes[0].lines if line.get_gid()}
    first = {marks[f"point-{i}"] for i, (study, _) in enumerate(points) if study == "a" and marks[f"point-{i}"] != ">"}
    second = {marks[f"point-{i}"] for i, (study, _) in enumerate(points) if study == "b" and marks[f"point-{i}"] != ">"}
    assert len(first) == len(second) == 1 and first != second
    renderer = rendered(figure)
    assert not figure.legends[0].get_window_extent(renderer).overlaps(figure.axes[0].get_window_extent(renderer))
    assert_no_collisions(figure)
    plots.plt.close(figure)


rows = st.lists(st.tuples(st.floats(0.9, 1.3), st.floats(0.02, 0.32), st.floats(-6, 1)), min_size=1, max_size=40)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows, pairs=st.permutations(["ratings-only", "joint", "retrieval-only"]), knee=st.integers(0, 39))
def test_labels_never_collide_on_any_study(rows, pairs, knee):
    pair_rows = [(1.113, 0.060, -math.inf, pairs[0]), (1.131, 0.235, 0.0, pairs[1]), (3.77, 0.235, math.inf, pairs[2])]
    frame = frame_of(rows + pair_rows)
    figure, _ = plots.pareto_figure({"s": frame}, CONTEXT, "s", knees={"s": knee % len(frame)},
                                    reference=reference_point(CONTEXT))
    texts = [text.get_text() for text in assert_no_collisions(figure)]
    assert sum(text.startswith(("tutorial:", "ours:", "knee:")) for text in texts) == 7  # all placed in the panel
    plots.plt.close(figure)


# --- hypervolume ---------------------------------------------------------------------------


def test_hypervolume_is_measured_from_the_trivial_baselines_when_recorded():
    assert reference_point(CONTEXT)["top_100_accuracy"] == 0.059 and reference_point(CONTEXT)["rmse"] == 1.125
    assert reference_point(None)["rmse"] == FALLBACK_REFERENCE["rmse"]


def test_hypervolume_is_the_dominated_area_of_a_staircase():
    reference = {"top_100_accuracy": 0.1, "rmse": 1.2}
    # (0.3, 1.0) alone: 0.2 x 0.2; adding (0.2, 0.9) adds the strip 0.1 x 0.1 left of it
    assert hypervolume([(0.3, 1.0)], reference) == pytest.approx(0.04)
    assert hypervolume([(0.3, 1.0), (0.2, 0.9)], reference) == pytest.approx(0.05)
    assert hypervolume([(0.3, 1.0), (0.25, 1.1)], reference) == pytest.approx(0.04)  # dominated: adds nothing
    assert hypervolume([(0.05, 0.9), (0.3, 1.3)], reference) == 0.0  # worse than the reference on one axis

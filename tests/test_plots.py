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
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from sweep.baselines import TUTORIAL
from sweep.report import plots
from sweep.report.hypervolume import FALLBACK_REFERENCE, hypervolume, reference_point
from sweep.report.layout import leader_start, panel_limits

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


def test_a_comparison_of_four_studies_keeps_its_whole_heading_inside_the_figure():
    # one line per study's front makes a five-line heading; none of it may leave the figure's top
    frames = {f"sparse-{name}": tutorial_like().assign(rmse=lambda f, shift=shift: f["rmse"] + shift)
              for name, shift in (("1.0", 0.0), ("0.2", 0.01), ("0.05", 0.02), ("0.01", 0.03))}
    context = {**CONTEXT, "user_item_bias_rmse": 0.94, "most_popular_top_100_accuracy": 0.299}
    figure, _ = plots.pareto_figure(frames, context, "studies " + " vs ".join(frames))
    renderer = rendered(figure)
    heading = figure.axes[0].title
    assert heading.get_text().count("\n") >= 4
    assert heading.get_window_extent(renderer).y1 <= figure.bbox.y1
    assert_no_collisions(figure)
    plots.plt.close(figure)


@pytest.mark.parametrize("knee_trial", [(1.25, 0.25, 0.0), (1.25, 0.125, 0.0)])
def test_a_crowded_right_edge_still_places_every_label_on_the_panel(knee_trial):
    """Joint (ours inside the tutorial's ring) near the right edge, two edge arrows beside it and an
    off-panel knee: the labels placed first must not wall in the later ones."""
    pair_rows = [(1.113, 0.060, -math.inf, "ratings-only"), (1.131, 0.235, 0.0, "joint"),
                 (3.77, 0.235, math.inf, "retrieval-only")]
    figure, _ = plots.pareto_figure({"s": frame_of([knee_trial] + pair_rows)}, CONTEXT, "s", knees={"s": 0},
                                    reference=reference_point(CONTEXT))
    texts = [text.get_text() for text in assert_no_collisions(figure)]
    assert sum(text.startswith(("tutorial:", "ours:", "knee:")) for text in texts) == 7
    plots.plt.close(figure)


def test_a_leader_leaves_its_label_at_the_point_nearest_the_marker():
    box = Bbox.from_extents(0, 0, 100, 10)
    assert leader_start(box, (150, 5)) == (100, 5)  # beside: from the middle of the near side
    assert leader_start(box, (120, 30)) == (100, 10)  # diagonally off: from the near corner
    assert leader_start(box, (40, -20)) == (40, 0)  # below: straight down


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


# --- what a reader can trust: leaders, reference lines, markers -----------------------------


def leader_paths(axes) -> list:
    """Each label's leader as a display-space polyline, with the label it belongs to."""
    leaders = []
    for text in axes.texts:
        arrow = getattr(text, "arrow_patch", None)
        if arrow is not None and text.get_text():
            leaders.append((text, arrow.get_transform().transform_path(arrow.get_path()).vertices))
    return leaders


def passes_through(vertices, box: Bbox) -> bool:
    """Does the polyline pass through the inside of `box`? Checked at 200 points along each segment."""
    for start, end in zip(vertices[:-1], vertices[1:]):
        for step in np.linspace(0, 1, 200):
            x, y = start + step * (end - start)
            if box.x0 < x < box.x1 and box.y0 < y < box.y1:
                return True
    return False


def crowded_figure():
    return plots.pareto_figure({"s": tutorial_like()}, {**CONTEXT, "user_item_bias_rmse": 0.94}, "s",
                               knees={"s": 4}, reference=reference_point(CONTEXT))


def test_every_label_is_joined_to_its_own_marker_by_a_leader_that_crosses_no_other_label():
    figure, _ = crowded_figure()
    axes = figure.axes[0]
    renderer = rendered(figure)
    texts = [text for text in axes.texts if text.get_text()]
    leaders = dict((id(text), path) for text, path in leader_paths(axes))
    assert all(id(text) in leaders for text in texts)  # every label has one
    for text in texts:
        anchor = axes.transData.transform(text.xy)
        assert np.hypot(*(leaders[id(text)][-1] - anchor)) < 6  # ends at its own point (a few px short of it)
        for other in texts:
            if other is not text:
                assert not passes_through(leaders[id(text)], Text.get_window_extent(other, renderer)), \
                    (text.get_text(), other.get_text())
    plots.plt.close(figure)


def test_no_reference_line_runs_through_a_label():
    """Except behind it: a label with no other place may sit on a reference line on an opaque white ground."""
    figure, _ = crowded_figure()
    axes = figure.axes[0]
    renderer = rendered(figure)
    verticals = [CONTEXT["global_mean_rmse"], 0.94]
    horizontals = [CONTEXT["chance_top_100_accuracy"], CONTEXT["most_popular_top_100_accuracy"]]
    for text in (text for text in axes.texts if text.get_text()):
        ground = text.get_bbox_patch()
        if ground is not None and ground.get_facecolor() == (1.0, 1.0, 1.0, 1.0) and text.get_zorder() > 1:
            continue
        box = Text.get_window_extent(text, renderer)
        for rmse in verticals:
            assert not box.x0 <= axes.transData.transform((rmse, 0))[0] <= box.x1, text.get_text()
        for top in horizontals:
            assert not box.y0 <= axes.transData.transform((1.0, top))[1] <= box.y1, text.get_text()
    plots.plt.close(figure)


def covers(upper: Line2D, lower_centre, axes) -> bool:
    """Does a filled marker `upper` cover the point `lower_centre` (display space)?"""
    if upper.get_markerfacecolor() in ("none", "None"):
        return False
    half = upper.get_markersize() * axes.figure.dpi / 72.0 / 2
    x, y = upper.get_transform().transform(upper.get_xydata())[0]
    return abs(x - lower_centre[0]) < half * 0.8 and abs(y - lower_centre[1]) < half * 0.8


def test_no_marker_of_the_tutorial_pairs_methods_or_reference_hides_behind_another():
    frame = tutorial_like()
    frame["method"] = ""
    method = frame.iloc[22].to_dict() | {"number": 25, "method": "normalized", "tutorial_pair": "",
                                         "counts_for_front": False}  # lands on ratings-only, as in the study
    frame = pd.concat([frame, pd.DataFrame([method])], ignore_index=True)
    figure, points = plots.pareto_figure({"s": frame}, CONTEXT, "s", reference=reference_point(CONTEXT))
    axes = figure.axes[0]
    rendered(figure)
    special = {f"point-{index}" for index, (_, number) in enumerate(points) if number in (22, 23, 24, 25)}
    lines = [line for line in axes.lines if line.get_marker() not in (None, "None", "", " ") and len(line.get_xydata())]
    for lower in lines:  # ordinary trials may crowd; what a reader looks for must show
        if lower.get_gid() not in special and lower.get_marker() != "P":
            continue
        centre = lower.get_transform().transform(lower.get_xydata())[0]
        above = [line for line in lines if line is not lower and line.get_zorder() >= lower.get_zorder()]
        assert not any(covers(upper, centre, axes) for upper in above), lower.get_gid() or lower.get_marker()
    # the tutorial's points: rings below ours and wider, so a coincident pair shows as our marker in its ring
    published = [line for line in lines if line.get_markeredgecolor() == "tab:red" and line.get_marker() == "o"]
    ours = [line for line in lines if line.get_gid() in special]
    assert published and max(line.get_zorder() for line in published) < min(line.get_zorder() for line in ours)
    assert all(line.get_markerfacecolor() == "none" for line in published)
    assert min(line.get_markersize() for line in published) > max(line.get_markersize() for line in ours
                                                                   if line.get_marker() != "*")
    plots.plt.close(figure)


def test_error_bars_are_clipped_at_the_panel_with_no_arrows_and_arrows_only_mark_off_panel_trials():
    figure, points = plots.pareto_figure({"s": tutorial_like()}, CONTEXT, "s")
    axes = figure.axes[0]
    (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
    arrows = [line for line in axes.lines if line.get_marker() in ("<", ">", "^", "v")]
    frame = tutorial_like()
    off_panel = frame[~frame["rmse"].between(x0, x1) | ~frame["top_100_accuracy"].between(y0, y1)]
    published_off = [p for p in TUTORIAL if not (x0 <= p.rmse <= x1 and y0 <= p.top_100_accuracy <= y1)]
    assert len(arrows) == len(off_panel) + len(published_off)
    assert not any(text.get_text()[:1].isdigit() for text in axes.texts)  # no bare values of bar ends
    plots.plt.close(figure)


def test_in_a_comparison_evaluations_off_the_front_are_small_and_faint_and_extrapolated_ones_hollow():
    front_study = tutorial_like()
    other = tutorial_like().assign(rmse=lambda f: f["rmse"] + 0.01, in_trained_range=True)
    other.loc[0, "in_trained_range"] = False  # on b's front, outside its trained ranges
    figure, points = plots.pareto_figure({"a": front_study, "b": other}, CONTEXT, "a vs b")
    marks = {line.get_gid(): line for line in figure.axes[0].lines if line.get_gid()}
    index = {point: f"point-{i}" for i, point in enumerate(points)}
    on_front, off_front = marks[index[("b", 1)]], marks[index[("b", 15)]]
    assert off_front.get_markersize() < on_front.get_markersize() and off_front.get_alpha() < 0.5
    assert off_front.get_zorder() < on_front.get_zorder()
    assert marks[index[("b", 0)]].get_markerfacecolor() == "white"
    plots.plt.close(figure)


def test_a_conditioned_models_tutorial_pairs_are_labelled_as_its_evaluations_not_as_the_tutorials_models():
    frame = tutorial_like().assign(conditioned=True, rating_weight=0.5, retrieval_weight=0.5)
    weights = {"ratings-only": (1.0, 0.0), "joint": (1.0, 1.0), "retrieval-only": (0.0, 1.0)}
    for name, (rating, retrieval) in weights.items():
        frame.loc[frame["tutorial_pair"] == name, ["rating_weight", "retrieval_weight"]] = (rating, retrieval)
    figure, _ = plots.pareto_figure({"conditioned": frame}, CONTEXT, "conditioned")
    texts = [text.get_text() for text in figure.axes[0].texts]
    assert not any(text.startswith("ours:") for text in texts)
    assert any(text.startswith("conditioned at (1, 0)") for text in texts)
    assert any(text.startswith("conditioned at (0, 1)") for text in texts)  # off the panel: with its value
    plots.plt.close(figure)


def test_every_text_is_at_least_9_points():
    figure, _ = crowded_figure()
    rendered(figure)
    sizes = [text.get_fontsize() for text in figure.findobj(Text) if text.get_visible() and text.get_text().strip()]
    assert min(sizes) >= 9
    plots.plt.close(figure)


def test_the_title_states_the_front_and_how_the_trivial_baselines_stand_computed_from_the_trials():
    # the trivial pair dominates a trial when its RMSE is at least the bias RMSE and its top-100 at most the most-popular
    frame = frame_of([(0.95, 0.25, 0.0), (1.0, 0.30, 0.5), (0.90, 0.10, -1.0)])
    context = {**CONTEXT, "user_item_bias_rmse": 0.94, "most_popular_top_100_accuracy": 0.299}
    assert plots.headline({"s": frame}, context) == ("Front: RMSE 0.900–1.000, top-100 0.100–0.300; user + item "
                                                      "bias RMSE with most-popular top-100 dominates 1 of 3 trials")
    assert plots.headline({"s": frame}, {**context, "user_item_bias_rmse": 0.8}).endswith("dominates 2 of 3 trials")
    assert plots.headline({"s": frame}, {**context, "user_item_bias_rmse": 0.8, "most_popular_top_100_accuracy": 0.4}
                          ).endswith("dominates every trial")


def test_the_hypervolume_is_drawn_against_trainings_and_seconds_each_kind_counting_its_own_cost():
    from sweep.kinds import CONDITIONED, SWEEP
    from sweep.report.cost import cost_curve

    reference = {"top_100_accuracy": 0.1, "rmse": 1.2, "source": "a point"}
    frame = frame_of([(1.0, 0.3, 0.0), (0.9, 0.2, -1.0)]).assign(n_seeds=2, train_seconds=[10.0, 30.0],
                                                                   evaluate_seconds=[1.0, 3.0], method="")
    per_pair = cost_curve(frame, {"kind": SWEEP}, reference)
    assert per_pair["trainings"].tolist() == [2, 4] and per_pair["seconds"].tolist() == [11.0, 44.0]
    assert per_pair["hypervolume"].tolist() == pytest.approx([0.04, 0.05])  # the staircase above
    conditioned = cost_curve(frame, {"kind": CONDITIONED, "trainings": 3, "training_seconds": 7.0}, reference)
    assert conditioned["trainings"].tolist() == [3, 3]  # every pair evaluated from the same three models
    assert conditioned["seconds"].tolist() == [8.0, 11.0]  # their training, then each evaluation
    figure = plots.hypervolume_figure({"s": frame}, {"s": {"kind": SWEEP}}, "s", reference,
                                      {"hypervolume": 0.1, "name": "the front of study s as stored at t"})
    trainings, seconds = figure.axes[:2]
    assert trainings.get_xscale() == seconds.get_xscale() == "log"
    assert "% of the front of study s" in seconds.child_axes[0].get_ylabel()  # the share names its front
    plots.plt.close(figure)

"""The report's figures: the Pareto plot and the hypervolume against cost (matplotlib, no TensorFlow).

Axes: x = RMSE (lower is better), y = top-100 accuracy (higher is better). The main panel
shows the front (limits from `layout.panel_limits`); what lies beyond it is drawn at the
edge as an arrow with its value and, with everything else, in the overview beside it. A conditioned
study's verification trial (sweep.verification) is a hexagon, dotted to the point it verifies. Every
trial's marker is its own SVG group `point-<i>` (in the order of the returned list), which
the interactive page hooks its tooltips to.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "sweep"  # stable ids: a regenerated SVG is identical
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from sweep.baselines import TUTORIAL  # noqa: E402
from sweep.config import DIRECTION  # noqa: E402
from sweep.pareto import pareto_front  # noqa: E402
from sweep.report.cost import cost_curve  # noqa: E402
from sweep.report.layout import Label, panel_limits, place_labels, spread  # noqa: E402
from sweep.report.methods import METHOD_COLOURS  # noqa: E402

AXES = ("top_100_accuracy", "rmse")  # the plot's y and x, whatever a study's objectives
DIRECTIONS = tuple(DIRECTION[metric] for metric in AXES)
STUDY_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")
STUDY_MARKERS = ("o", "s", "^", "D", "v", "P")
TRIAL_SIZE, TUTORIAL_SIZE, ARROW_SIZE, METHOD_SIZE = 7.0, 13.0, 9.0, 14.0  # marker widths in points
VERIFIED_MARKER, VERIFIED_SIZE = "h", 9.0  # a conditioned study's verification trial (sweep.verification)
FAINT_SIZE = 4.0  # a comparison's evaluations off their study's front
FONT = 9.0  # the smallest text: 9 pt at the saved size
ZERO_WEIGHT_ENDS = {-math.inf: ("ratings-only", "s", "#d9d9d9"), math.inf: ("retrieval-only", "D", "#ffd92f")}
P_PARETO_WIDTHS = (0.1, 0.5, 1.0)  # ring widths shown in the legend


def ring_width(p_pareto: float) -> float:
    """Marker outline in points: thin for a trial rarely on the front, thick for a sure one."""
    return 0.5 if p_pareto is None or math.isnan(p_pareto) else 0.4 + 2.2 * float(p_pareto)


def front_line(points: np.ndarray):
    """Step line through the non-dominated (top-100, RMSE) points, in order of RMSE."""
    mask = pareto_front(points, DIRECTIONS)
    front = points[mask][np.argsort(points[mask][:, 1])]
    return front[:, 1], front[:, 0]


def _complete(frame: pd.DataFrame) -> pd.DataFrame:
    complete = frame[frame["state"] == "COMPLETE"]
    return complete[np.isfinite(complete["rmse"].astype(float)) & np.isfinite(complete["top_100_accuracy"].astype(float))]


def _static(frame: pd.DataFrame) -> pd.DataFrame:
    """The COMPLETE trials of fixed weights: the ones the front, its line and the colour scale are made of."""
    complete = _complete(frame)
    return complete[complete["counts_for_front"].astype(bool)]


def _limits(frames: dict, context: dict | None):
    trials = np.concatenate([_complete(f)[["top_100_accuracy", "rmse"]].to_numpy(float) for f in frames.values()]
                            or [np.empty((0, 2))])
    fronts = [np.column_stack(front_line(_static(f)[["top_100_accuracy", "rmse"]].to_numpy(float))[::-1])
              for f in frames.values() if not _static(f).empty]
    front = np.concatenate(fronts) if fronts else np.empty((0, 2))
    ours = [row.rmse for f in frames.values() for row in _complete(f).itertuples()
            if row.tutorial_pair in ("ratings-only", "joint") or row.log10_weight_ratio == -math.inf]
    rmse_marks = ours + [p.rmse for p in TUTORIAL if p.name != "retrieval-only"]
    top_marks = []
    if context:
        rmse_marks += [context["global_mean_rmse"], *([context["user_item_bias_rmse"]]
                                                      if "user_item_bias_rmse" in context else [])]
        top_marks += [context["chance_top_100_accuracy"], context["most_popular_top_100_accuracy"]]
    return trials, panel_limits(trials, front, rmse_marks, top_marks)


def _edge(x: float, y: float, xlim, ylim):
    """Where an off-panel point is drawn, the arrow marker pointing its way, and its value label."""
    if xlim[0] <= x <= xlim[1] and ylim[0] <= y <= ylim[1]:
        return (x, y), None, None
    cx, cy = min(max(x, xlim[0]), xlim[1]), min(max(y, ylim[0]), ylim[1])
    marker = ">" if x > xlim[1] else "<" if x < xlim[0] else "^" if y > ylim[1] else "v"
    parts = ([f"RMSE {x:.2f}"] if not xlim[0] <= x <= xlim[1] else []) + \
            ([f"top-100 {y:.3f}"] if not ylim[0] <= y <= ylim[1] else [])
    return (cx, cy), marker, ", ".join(parts)


def headline(frames: dict[str, pd.DataFrame], context: dict | None) -> str:
    """What the figure shows, in words computed from its data: each front's reach and how the two
    strong trivial baselines together (user + item bias RMSE, most-popular top-100) stand against the trials."""
    parts, dominated, total = [], 0, 0
    for study, frame in frames.items():
        static = _static(frame)
        if static.empty:
            continue
        front = static[pareto_front(static[list(AXES)].to_numpy(float), DIRECTIONS)]
        reach = (f"RMSE {front['rmse'].min():.3f}–{front['rmse'].max():.3f}, top-100 "
                 f"{front['top_100_accuracy'].min():.3f}–{front['top_100_accuracy'].max():.3f}")
        parts.append(("Front: " if len(frames) == 1 else f"{study}'s front: ") + reach)
        if context and "user_item_bias_rmse" in context:
            bias, popular = context["user_item_bias_rmse"], context["most_popular_top_100_accuracy"]
            below = (static["rmse"] >= bias) & (static["top_100_accuracy"] <= popular)
            dominated += int(below.sum())
            total += len(static)
    if total:
        parts.append("user + item bias RMSE with most-popular top-100 dominates " + ("every trial" if dominated == total else
                                            "no trial" if dominated == 0 else f"{dominated} of {total} trials"))
    return "; ".join(parts) if parts else "no COMPLETE trials"


def _errors(frame: pd.DataFrame) -> tuple:
    return (np.nan_to_num(frame["rmse_std"].to_numpy(float)), np.nan_to_num(frame["top_100_accuracy_std"].to_numpy(float)))


def pareto_figure(frames: dict[str, pd.DataFrame], context: dict | None, title: str, knees: dict | None = None,
                  reference: dict | None = None):
    """Every COMPLETE trial with seed error bars, the front, the tutorial's published points.

    The title states what the data show (`headline`) above `title`. Returns the figure and the
    hoverable points, [(study, trial number)] in the order of their SVG ids point-0, point-1, ….
    """
    knees = knees or {}
    figure = plt.figure(figsize=(11, 7.6), dpi=110)
    heading = title + "\n" + textwrap.fill(headline(frames, context), 100)
    # the panel gives up height to a long heading (one line per study compared), so the heading stays in the figure
    lower = max(0.0, 0.89 - (0.965 - 0.021 * (heading.count("\n") + 1)))
    axes = figure.add_axes((0.075, 0.075, 0.6, 0.815 - lower))
    overview = figure.add_axes((0.745, 0.655 - lower, 0.235, 0.235))
    single = len(frames) == 1
    trials, (xlim, ylim) = _limits(frames, context)
    axes.set_xlim(*xlim)
    axes.set_ylim(*ylim)
    labels: list[tuple] = []  # (text, index of its marker, colour)
    points: list[tuple[str, int]] = []
    marks: list[dict] = []  # every marker of the panel, drawn once all are placed
    legend: list = []
    norm, cmap = Normalize(-1.0, 1.0), plt.get_cmap("viridis")  # the colour scale only a single study uses
    if single:
        ratios = _static(next(iter(frames.values())))["log10_weight_ratio"].to_numpy(float)
        finite = ratios[np.isfinite(ratios)]
        if finite.size:
            norm = Normalize(finite.min(), finite.max())
    extrapolated = verified = False
    for index, (study, frame) in enumerate(frames.items()):
        complete = _complete(frame)
        if complete.empty:
            continue
        colour, shape = STUDY_COLOURS[index % len(STUDY_COLOURS)], STUDY_MARKERS[index % len(STUDY_MARKERS)]
        static = _static(frame)
        on_front = set(static.index[pareto_front(static[list(AXES)].to_numpy(float), DIRECTIONS)])
        shown = complete if single else complete[complete.index.isin(on_front) | (complete["tutorial_pair"] != "")
                                                  | (complete.get("method", "") != "")]
        if not shown.empty:  # in a comparison only the fronts' bars: the rest would bury them
            axes.errorbar(shown["rmse"], shown["top_100_accuracy"], xerr=_errors(shown)[0], yerr=_errors(shown)[1],
                          fmt="none", ecolor="0.6", elinewidth=0.7, alpha=0.6, zorder=1)
        front_x, front_y = front_line(static[["top_100_accuracy", "rmse"]].to_numpy(float))
        axes.step(front_x, front_y, where="post", color="black" if single else colour, linewidth=1.4,
                  zorder=4.4 if not single else 2)
        overview.step(front_x, front_y, where="post", color="black" if single else colour, linewidth=0.8)
        overview.scatter(complete["rmse"], complete["top_100_accuracy"], s=6, color="0.5" if single else colour,
                         zorder=2)
        for row in complete.itertuples():
            ratio, method = row.log10_weight_ratio, getattr(row, "method", "")
            fill, marker, size = (cmap(norm(ratio)) if single and math.isfinite(ratio) else colour), shape, TRIAL_SIZE
            edge, alpha, layer = "black", 1.0, 4.5 if row.Index in on_front else 4
            verifies = getattr(row, "verifies", math.nan)
            if method:
                fill, marker, size = METHOD_COLOURS.get(method, "black"), "*", METHOD_SIZE
            elif verifies == verifies:  # not NaN: a static model at a conditioned pair, tied to it
                marker, size, verified = VERIFIED_MARKER, VERIFIED_SIZE, True
                _verification_line(axes, complete, row, int(verifies), "0.35" if single else colour)
            elif single and ratio in ZERO_WEIGHT_ENDS:
                _, marker, fill = ZERO_WEIGHT_ENDS[ratio]
            elif single and math.isnan(ratio):
                fill = "0.6"
            if not single and row.Index not in on_front and not row.tutorial_pair and not method:
                size, alpha, layer, edge = FAINT_SIZE, 0.35, 3, colour  # evaluations off the front: small, faint
            if getattr(row, "in_trained_range", "") is False:  # extrapolated: hollow
                fill, edge, extrapolated = "white", colour if not single else "black", True
            (px, py), arrow, value = _edge(row.rmse, row.top_100_accuracy, xlim, ylim)
            special = bool(arrow or method or row.tutorial_pair)
            marks.append({"at": (px, py), "true": (row.rmse, row.top_100_accuracy), "special": special,
                          "priority": 0 if row.tutorial_pair else 1, "style": {
                              "marker": arrow or marker, "ms": ARROW_SIZE if arrow else size, "mfc": fill, "mec": edge,
                              "mew": ring_width(row.p_pareto), "alpha": alpha, "zorder": 5.2 if special else layer,
                              "gid": f"point-{len(points)}"}})
            points.append((study, int(row.number)))
            mark = len(marks) - 1
            if method:
                labels.insert(0, (method + (f" ({value})" if value else ""), mark, fill))
            elif row.tutorial_pair:
                # a conditioned model's evaluation at the tutorial's pair is not the tutorial's model: say which it is
                whose = (f"conditioned at ({row.rating_weight:g}, {row.retrieval_weight:g})"
                         if getattr(row, "conditioned", False) else f"ours: {row.tutorial_pair}")
                labels.insert(0, (whose + (f" ({value})" if value else ""), mark, "tab:blue" if single else colour))
            elif value:
                labels.append((f"trial {row.number}: {value}", mark, "0.2"))
            if knees.get(study) == row.number:
                marks.append({"at": (px, py), "true": (px, py), "special": False, "follows": mark,
                              "style": {"marker": "o", "ms": 15, "mfc": "none", "mec": "black", "mew": 1.2,
                                        "zorder": 5.5}})
                labels.insert(0, (f"knee: trial {row.number}" + ("" if single else f" ({study})"), mark, "black"))
        legend.append(Line2D([], [], color="black" if single else colour, marker=None if single else shape,
                             mfc=colour, mec="black", lw=1.4, label="Pareto front" if single else f"{study} (front)"))
        if not single:
            legend.append(Line2D([], [], ls="none", marker=shape, ms=FAINT_SIZE, mfc=colour, mec=colour, alpha=0.35,
                                 label=f"{study}: off its front"))
    for published in TUTORIAL:
        (px, py), arrow, value = _edge(published.rmse, published.top_100_accuracy, xlim, ylim)
        marks.append({"at": (px, py), "true": (published.rmse, published.top_100_accuracy), "special": bool(arrow),
                      "priority": 2, "style": {"marker": arrow or "o", "ms": ARROW_SIZE if arrow else TUTORIAL_SIZE,
                                               "mfc": "tab:red" if arrow else "none", "mec": "tab:red",
                                               "mew": 0.6 if arrow else 1.8, "zorder": 5.1 if arrow else 3.8}})
        labels.insert(0, (f"tutorial: {published.name}" + (f" ({value})" if value else ""), len(marks) - 1,
                               "tab:red"))
    overview.scatter([p.rmse for p in TUTORIAL], [p.top_100_accuracy for p in TUTORIAL], marker="o", s=40,
                     facecolors="none", edgecolors="tab:red", zorder=3)
    _reference_lines(axes, overview, context, legend)
    if reference and xlim[0] <= reference["rmse"] <= xlim[1] and ylim[0] <= reference["top_100_accuracy"] <= ylim[1]:
        at = (reference["rmse"], reference["top_100_accuracy"])
        marks.append({"at": at, "true": at, "special": True, "priority": 3,
                      "style": {"marker": "P", "ms": 10, "mfc": "none", "mec": "0.15", "mew": 1.4, "zorder": 6}})
        labels.append(("hypervolume reference", len(marks) - 1, "0.15"))
    if reference:
        legend.append(Line2D([], [], marker="P", ms=9, mfc="none", mec="0.15", mew=1.4, ls="none",
                             label=f"hypervolume reference point\n(RMSE {reference['rmse']:.3f}, "
                                   f"top-100 {reference['top_100_accuracy']:.3f})"))
    _draw_marks(axes, marks)
    legend += _key_entries(frames, single, knees, extrapolated, any(m["style"]["marker"] in "<>^v" for m in marks),
                           verified)
    unplaced = place_labels(axes, [Label(text, marks[mark]["at"], colour) for text, mark, colour in labels])
    for label in unplaced:  # no free place in the panel: listed in the legend instead of covering anything
        legend.append(Line2D([], [], ls="none", label=f"{label.text}\n  at RMSE {label.anchor[0]:.3f}, "
                                                      f"top-100 {label.anchor[1]:.3f}"))
    overview.add_patch(Rectangle((xlim[0], ylim[0]), xlim[1] - xlim[0], ylim[1] - ylim[0], fill=False, lw=1.0,
                                 ec="tab:blue", zorder=4))
    overview.set_title("every trial (box: main panel)", fontsize=FONT)
    overview.tick_params(labelsize=FONT)
    overview.grid(alpha=0.3)
    if single and norm is not None and len(points):
        bar_axes = figure.add_axes((0.745, 0.575, 0.235, 0.022))
        bar = figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=bar_axes, orientation="horizontal")
        bar.set_label("log10(retrieval_weight / rating_weight)", fontsize=FONT)
        bar.ax.tick_params(labelsize=FONT)
    figure.legend(handles=legend, loc="upper left", bbox_to_anchor=(0.735, 0.5 if single else 0.6), fontsize=FONT,
                  frameon=False, labelspacing=0.35)
    axes.set_xlabel("RMSE on the test split (lower is better)", fontsize=10)
    axes.set_ylabel("top-100 accuracy (higher is better)", fontsize=10)
    axes.tick_params(labelsize=FONT)
    axes.set_title(heading, fontsize=10)
    axes.grid(alpha=0.3)
    return figure, points


def _draw_marks(axes, marks: list[dict]) -> None:
    """Draw every marker; the special ones (the tutorial pairs, methods, edge arrows, the reference point)
    spread apart first (layout.spread) so none hides another, a moved one tied to its place by a thin line."""
    special = sorted((index for index, mark in enumerate(marks) if mark["special"]), key=lambda i: marks[i]["priority"])
    if special:
        centres = axes.transData.transform([marks[i]["at"] for i in special])
        widths = np.array([marks[i]["style"]["ms"] * axes.figure.dpi / 72.0 for i in special])
        moved = axes.transData.inverted().transform(spread(centres, widths))
        for index, position in zip(special, moved, strict=True):
            if np.allclose(position, marks[index]["at"]):
                continue
            if marks[index]["style"]["marker"] not in "<>^v":  # an in-panel point: a line back to its place
                axes.plot([marks[index]["at"][0], position[0]], [marks[index]["at"][1], position[1]], color="0.3",
                          lw=0.6, zorder=5, clip_on=False)
            marks[index]["at"] = tuple(position)
    for mark in marks:
        if "follows" in mark:
            mark["at"] = marks[mark["follows"]]["at"]
        axes.plot(*mark["at"], ls="none", clip_on=False, **mark["style"])


def _reference_lines(axes, overview, context, legend) -> None:
    if not context:
        return
    lines = [("v", context["global_mean_rmse"], "0.4", "--", f"global-mean RMSE {context['global_mean_rmse']:.3f}"),
             ("h", context["chance_top_100_accuracy"], "0.4", ":",
              f"chance top-100 {context['chance_top_100_accuracy']:.3f}"),
             ("h", context["most_popular_top_100_accuracy"], "tab:brown", "-.",
              f"most-popular top-100 {context['most_popular_top_100_accuracy']:.3f}")]
    if "user_item_bias_rmse" in context:
        lines.append(("v", context["user_item_bias_rmse"], "tab:brown", "-.",
                      f"user + item bias RMSE {context['user_item_bias_rmse']:.3f}"))
    for direction, value, colour, style, label in lines:
        for target in (axes, overview):
            draw = target.axvline if direction == "v" else target.axhline
            draw(value, color=colour, linestyle=style, linewidth=0.9, zorder=0)
        legend.append(Line2D([], [], color=colour, ls=style, lw=0.9, label=label))


def _verification_line(axes, complete: pd.DataFrame, row, verified: int, colour) -> None:
    """A dotted line from a verification trial to the conditioned trial whose pair it trained."""
    target = complete[complete["number"] == verified]
    if not target.empty:
        axes.plot([row.rmse, float(target["rmse"].iloc[0])], [row.top_100_accuracy,
                  float(target["top_100_accuracy"].iloc[0])], color=colour, ls=":", lw=0.9, zorder=3.9)


def _key_entries(frames: dict, single: bool, knees: dict, extrapolated: bool, arrows: bool,
                 verified: bool = False) -> list:
    entries = [Line2D([], [], color="0.55", lw=0.8, marker="|", ms=6, label="seed spread (±1 std)"),
               Line2D([], [], marker="o", ms=TUTORIAL_SIZE, mfc="none", mec="tab:red", mew=1.8, ls="none",
                      label="tutorial's published")]
    if single:
        entries += [Line2D([], [], marker=marker, ms=TRIAL_SIZE, mfc=fill, mec="black", ls="none",
                           label=f"{name} (a zero weight)")
                    for name, marker, fill in ZERO_WEIGHT_ENDS.values()]
    if any("method" in f and (f["method"] != "").any() for f in frames.values()):
        entries.append(Line2D([], [], marker="*", ms=11, mfc="0.7", mec="black", ls="none",
                              label="adaptive weighting method (labelled)"))
    if verified:
        entries.append(Line2D([], [], marker="o", ms=TRIAL_SIZE, mfc="0.7", mec="black", ls="none",
                              label="circle: the conditioned model at\na pair (one model for every circle)"))
        entries.append(Line2D([], [], marker=VERIFIED_MARKER, ms=VERIFIED_SIZE, mfc="0.7", mec="black", ls=":",
                              color="0.35", label="verified: a static model trained at a\nconditioned pair (dotted: to it)"))
    if extrapolated:
        entries.append(Line2D([], [], marker="o", ms=TRIAL_SIZE, mfc="white", mec="black", ls="none",
                              label="hollow: extrapolated (outside\nthe trained weight ranges)"))
    if knees:
        entries.append(Line2D([], [], marker="o", ms=12, mfc="none", mec="black", mew=1.2, ls="none", label="knee point"))
    p_values = pd.concat([f["p_pareto"] for f in frames.values()]).astype(float) if frames else pd.Series(dtype=float)
    if p_values.notna().any():
        entries += [Line2D([], [], marker="o", ms=TRIAL_SIZE, mfc="white", mec="black", mew=ring_width(p), ls="none",
                           label=f"outline: p_pareto = {p:g}") for p in P_PARETO_WIDTHS]
    if arrows:
        entries.append(Line2D([], [], marker=">", ms=ARROW_SIZE, mfc="white", mec="black", ls="none",
                              label="beyond the panel (value beside it)"))
    return entries


def hypervolume_figure(frames: dict[str, pd.DataFrame], costs: dict, title: str, reference: dict, share_of: dict):
    """Hypervolume of the trials so far against what they cost: trainings (left) and wall seconds of
    training and evaluation (right), both on log axes, so a conditioned study's few trainings and a
    sweep's many sit on one scale; the right axis as a share of the named front `share_of`
    ({"hypervolume", "name"}). The tutorial's pairs are ringed, adaptive methods starred."""
    figure, panels = plt.subplots(1, 2, figsize=(11, 4.6), dpi=110, sharey=True)
    marked_pairs = marked_methods = False
    highest = 0.0
    for index, (label, frame) in enumerate(frames.items()):
        if frame.empty or label not in costs:
            continue
        curve = cost_curve(frame, costs[label], reference)
        if curve.empty:
            continue
        highest = max(highest, float(curve["hypervolume"].max()))
        colour = STUDY_COLOURS[index % len(STUDY_COLOURS)]
        for axes, column in zip(panels, ("trainings", "seconds"), strict=True):
            x = np.maximum(curve[column].to_numpy(float), 1e-3)
            axes.plot(x, curve["hypervolume"], drawstyle="steps-post", color=colour, lw=1.6, label=label,
                      marker="o" if len(curve) == 1 or np.ptp(x) == 0 else None, ms=5)
            pairs = curve[curve["tutorial_pair"] != ""]
            axes.plot(np.maximum(pairs[column].to_numpy(float), 1e-3), pairs["hypervolume"], ls="none", marker="o",
                      ms=10, mfc="none", mec="tab:red", mew=1.6, zorder=5)
            marked_pairs |= not pairs.empty
            for row in curve[curve["method"] != ""].itertuples():
                axes.plot(max(getattr(row, column), 1e-3), row.hypervolume, ls="none", marker="*", ms=12,
                          mfc=METHOD_COLOURS.get(row.method, "black"), mec="black", mew=0.5, zorder=6)
                marked_methods = True
    for axes, words in zip(panels, ("trainings (models trained, every seed)",
                                    "wall seconds (training + evaluation)"), strict=True):
        axes.set_xscale("log")
        axes.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # 1, 2, 5 per decade: more labels collide
        axes.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        axes.set_xlabel(words, fontsize=10)
        axes.grid(alpha=0.3, which="both")
        axes.tick_params(labelsize=FONT)
    panels[0].set_ylabel("hypervolume", fontsize=10)
    panels[0].set_ylim(bottom=0, top=max(panels[0].get_ylim()[1], 1.08 * highest))  # markers clear of the top edge
    if share_of.get("hypervolume", 0) > 0:
        best = share_of["hypervolume"]
        share = panels[1].secondary_yaxis("right", functions=(lambda v: np.multiply(v, 100 / best),
                                                              lambda p: np.multiply(p, best / 100)))
        share.set_ylabel("% of " + textwrap.fill(share_of["name"], 45), fontsize=FONT)
        share.tick_params(labelsize=FONT)
    handles, _ = panels[0].get_legend_handles_labels()
    if marked_pairs:
        handles.append(Line2D([], [], ls="none", marker="o", ms=10, mfc="none", mec="tab:red", mew=1.6,
                              label="the tutorial's pairs"))
    if marked_methods:
        handles.append(Line2D([], [], ls="none", marker="*", ms=12, mfc="0.7", mec="black",
                              label="adaptive method (judged against the front, never on it)"))
    panels[0].legend(handles=handles, fontsize=FONT, loc="best")
    if not any(cost_curve(frame, costs[label], reference)["seconds"].gt(0).any()
               for label, frame in frames.items() if label in costs and not frame.empty):
        panels[1].text(0.5, 0.5, "seconds not recorded", transform=panels[1].transAxes, ha="center", fontsize=FONT)
    figure.suptitle(f"{title}: hypervolume against what it cost\nfrom top-100 accuracy "
                    f"{reference['top_100_accuracy']:.3f}, RMSE {reference['rmse']:.3f} ({reference['source']})",
                    fontsize=10)
    figure.tight_layout()
    return figure


def weights_figure(frame: pd.DataFrame, steps_by_trial: dict, title: str):
    """Each method's weights over training: log10(retrieval/rating) per step, seeds thin, their mean bold."""
    figure, (ratio_axes, weight_axes) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    complete = frame[(frame["state"] == "COMPLETE") & (frame["method"] != "")]
    one_study = frame["study"].nunique() == 1
    front = frame[frame["pareto"] & np.isfinite(frame["log10_weight_ratio"].astype(float))]
    if not front.empty:
        low, high = front["log10_weight_ratio"].min(), front["log10_weight_ratio"].max()
        ratio_axes.axhspan(low, high, color="0.85", zorder=0, label="static front's range")
    for _, row in complete.iterrows():
        colour = METHOD_COLOURS.get(row["method"], "black")
        steps = [np.array(seed_steps, dtype=float) for seed_steps in steps_by_trial.get((row["study"], row["number"]), [])]
        if not steps:
            continue
        length = min(len(s) for s in steps)
        ratios = np.array([np.log10(s[:length, 1] / s[:length, 0]) for s in steps])
        for seed_ratios in ratios:
            ratio_axes.plot(seed_ratios, color=colour, lw=0.6, alpha=0.5)
        name = row["method"] if one_study else f"{row['study']}: {row['method']}"
        ratio_axes.plot(ratios.mean(axis=0), color=colour, lw=2, label=name)
        mean_weights = np.exp(np.mean([np.log(s[:length]) for s in steps], axis=0))
        weight_axes.plot(mean_weights[:, 0], color=colour, lw=1.6, ls="-")
        weight_axes.plot(mean_weights[:, 1], color=colour, lw=1.6, ls="--")
    ratio_axes.set_xlabel("training step")
    ratio_axes.set_ylabel("log10(retrieval_weight / rating_weight)")
    ratio_axes.set_title("weight ratio (seeds thin, their mean bold)", fontsize=9)
    weight_axes.set_yscale("log")
    weight_axes.set_xlabel("training step")
    weight_axes.set_ylabel("weight (geometric mean over seeds)")
    weight_axes.set_title("each weight (solid: rating, dashed: retrieval)", fontsize=9)
    for axes in (ratio_axes, weight_axes):
        axes.grid(alpha=0.3)
    ratio_axes.legend(fontsize=7, loc="best")
    figure.suptitle(f"{title}: adaptive weights over training", fontsize=10)
    figure.tight_layout()
    return figure


def save(figure, *paths) -> None:
    try:
        for path in paths:
            # fixed metadata so regenerated files are identical
            metadata = {"Date": None} if str(path).endswith(".svg") else {"Software": None}
            figure.savefig(path, metadata=metadata)
    finally:
        plt.close(figure)

"""Where things go on the Pareto plot: the main panel's limits, and labels that never collide.

The panel is sized by what a reader compares, not by the worst trial: RMSE from the best
trial to a little past the reference RMSEs (global mean, ratings-only), top-100 accuracy
from chance to the best. A front that runs on to the right keeps its points up to one more
panel width; anything further (retrieval-only at RMSE ~3.8, a wild error bar) is an outlier,
drawn at the edge by the plot, never allowed to stretch the panel.

Labels are placed greedily: each tries offsets around its point, nearest first, and takes
the first whose box stays inside the panel and touches no marker and no placed label
(boxes measured by matplotlib's renderer). A label with no free place is returned unplaced
for the caller to list elsewhere, so a collision is never the fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.transforms import Bbox

PAD_LEFT, PAD_RIGHT, PAD_Y = 0.04, 0.08, 0.06  # shares of the panel's span
RADII = (9, 15, 24, 36, 52, 72, 96)  # label offsets tried, in points from the anchor
ANGLES = (40, -40, 140, -140, 0, 180, 90, -90, 20, -20, 160, -160, 65, -65, 115, -115)
LEADER_FROM = 24  # offsets at least this far get a thin line back to their point


def _finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float).ravel()
    return values[np.isfinite(values)]


def panel_limits(trials: np.ndarray, front: np.ndarray, rmse_marks, top_marks) -> tuple[tuple, tuple]:
    """((rmse_low, rmse_high), (top_low, top_high)) of the main panel.

    `trials` and `front` are (n, 2) arrays of (top-100 accuracy, RMSE); `rmse_marks` the
    RMSEs a reader compares with (global mean, ratings-only and joint, the tutorial's and
    the study's own), `top_marks` the reference accuracies (chance, most popular).
    """
    trials, front = np.asarray(trials, float).reshape(-1, 2), np.asarray(front, float).reshape(-1, 2)
    rmses, marks = _finite(trials[:, 1]), _finite(rmse_marks)
    if rmses.size == 0 and marks.size == 0:
        return (0.0, 1.0), (0.0, 1.0)
    low = float(min(np.concatenate([rmses, marks])))
    core_high = float(marks.max()) if marks.size else float(_finite(front[:, 1]).max(initial=low))
    width = max(core_high - low, 0.05 * max(abs(low), 1e-3))
    front_rmses = _finite(front[:, 1])
    kept = front_rmses[front_rmses <= core_high + width]
    high = max(core_high, float(kept.max(initial=core_high)))
    span = high - low
    x = (low - PAD_LEFT * span, high + PAD_RIGHT * span)
    inside = trials[(trials[:, 1] >= x[0]) & (trials[:, 1] <= x[1])]
    tops = np.concatenate([_finite(inside[:, 0]), _finite(front[:, 0]), _finite(top_marks)])
    if tops.size == 0:
        return x, (0.0, 1.0)
    top_low, top_high = float(tops.min()), float(tops.max())
    top_span = max(top_high - top_low, 0.01)
    return x, (top_low - PAD_Y * top_span, top_high + PAD_Y * top_span)


@dataclass(frozen=True)
class Label:
    text: str
    anchor: tuple[float, float]  # (RMSE, top-100) in data coordinates
    color: str = "black"
    fontsize: float = 8.0


def marker_boxes(axes) -> list[Bbox]:
    """The display-space box of every marker drawn in the panel (its size plus its outline)."""
    boxes = []
    for line in axes.lines:
        if line.get_marker() in (None, "None", "", " ") or not line.get_visible():
            continue
        half = (line.get_markersize() + line.get_markeredgewidth()) * axes.figure.dpi / 72.0 / 2.0
        for x, y in line.get_transform().transform(line.get_xydata()):
            boxes.append(Bbox.from_extents(x - half, y - half, x + half, y + half))
    return boxes


def _overlaps(box: Bbox, others) -> bool:
    return any(box.overlaps(other) for other in others)


def place_labels(axes, labels: list[Label]) -> list[Label]:
    """Annotate each label at the nearest free offset, clear of every marker already drawn;
    returns the labels that found no place."""
    figure = axes.figure
    figure.canvas.draw()  # the layout is final: boxes measured now hold in the saved files
    renderer = figure.canvas.get_renderer()
    panel = axes.get_window_extent(renderer).shrunk(0.995, 0.995)
    taken, unplaced = marker_boxes(axes), []
    for label in labels:
        annotation = axes.annotate(label.text, label.anchor, xytext=(0, 0), textcoords="offset points",
                                   fontsize=label.fontsize, color=label.color, annotation_clip=False, zorder=6)
        spot = None
        for radius in RADII:
            for angle in ANGLES:
                dx, dy = radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle))
                annotation.xyann = (dx, dy)
                annotation.set_horizontalalignment("left" if dx > 3 else "right" if dx < -3 else "center")
                annotation.set_verticalalignment("bottom" if dy > 3 else "top" if dy < -3 else "center")
                box = annotation.get_window_extent(renderer).expanded(1.0, 1.0).padded(1.5)
                if panel.contains(box.x0, box.y0) and panel.contains(box.x1, box.y1) and not _overlaps(box, taken):
                    spot = (radius, box)
                    break
            if spot:
                break
        if spot is None:
            annotation.remove()
            unplaced.append(label)
            continue
        radius, box = spot
        if radius >= LEADER_FROM:  # far from its point: drawn again with a thin line back to it
            annotation.remove()
            annotation = axes.annotate(label.text, label.anchor, xytext=annotation.xyann, textcoords="offset points",
                                       fontsize=label.fontsize, color=label.color, annotation_clip=False, zorder=6,
                                       ha=annotation.get_horizontalalignment(), va=annotation.get_verticalalignment(),
                                       arrowprops={"arrowstyle": "-", "color": label.color, "lw": 0.6,
                                                   "shrinkA": 1, "shrinkB": 4, "alpha": 0.7})
        taken.append(box)
    return unplaced

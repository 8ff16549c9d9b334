"""Where things go on the Pareto plot: the main panel's limits, and labels that never collide.

The panel is sized by what a reader compares, not by the worst trial: RMSE from the best
trial to a little past the reference RMSEs (global mean, ratings-only), top-100 accuracy
from chance to the best. A front that runs on to the right keeps its points up to one more
panel width; anything further (retrieval-only at RMSE ~3.8, a wild error bar) is an outlier,
drawn at the edge by the plot, never allowed to stretch the panel.

Labels are placed greedily: each tries offsets around its point, nearest first, and takes
the first whose box stays inside the panel, touches no marker, no placed label and no
reference line, and whose leader (the thin line that joins every label to its own marker,
from the box's point nearest the marker) crosses no placed label, while no placed leader
crosses it (boxes measured by matplotlib's renderer). Labels placed first can wall in a later
one where several points crowd a corner, so a pass that leaves labels out is followed by one
that serves those first. A label with no free place after that is returned unplaced for the
caller to list elsewhere, so a collision is never the fallback.

Markers that would sit on one another (an edge arrow on another, a method's star on a
trial) are spread apart by `spread`: a reader must see every marker, and a thin line ties a
moved one to where it belongs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.transforms import Bbox

PAD_LEFT, PAD_RIGHT, PAD_Y = 0.04, 0.08, 0.06  # shares of the panel's span
RADII = (9, 15, 24, 36, 52, 72, 96, 125, 160, 200)  # label offsets tried, in points from the anchor
ANGLES = (40, -40, 140, -140, 0, 180, 90, -90, 20, -20, 160, -160, 65, -65, 115, -115, 100, -100, 80, -80)
REPAIRS = 3  # further greedy passes, each serving first the labels the last one left out
SEPARATION = 1.15  # markers closer than this many half-widths apart are spread


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
    fontsize: float = 9.0  # the report's smallest text


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


def segment_crosses(start, end, box: Bbox, samples: int = 64) -> bool:
    """Does the straight line from `start` to `end` (display coordinates) pass through `box`?"""
    for step in np.linspace(0.0, 1.0, samples):
        x, y = start[0] + step * (end[0] - start[0]), start[1] + step * (end[1] - start[1])
        if box.x0 < x < box.x1 and box.y0 < y < box.y1:
            return True
    return False


def reference_lines(axes) -> list[tuple[str, float]]:
    """The panel's full-width and full-height lines (axvline, axhline) as ("x" or "y", display position)."""
    lines = []
    for line in axes.lines:
        if line.get_marker() not in (None, "None", "", " ") or not line.get_visible():
            continue
        xs, ys = line.get_xdata(), line.get_ydata()
        if len(xs) == 2 and xs[0] == xs[1] and line.get_transform() != axes.transData:  # axvline: data x, axes y
            lines.append(("x", float(axes.transData.transform((xs[0], 0))[0])))
        elif len(ys) == 2 and ys[0] == ys[1] and line.get_transform() != axes.transData:
            lines.append(("y", float(axes.transData.transform((0, ys[0]))[1])))
    return lines


def _crosses_line(box: Bbox, lines) -> bool:
    return any((box.x0 <= position <= box.x1) if axis == "x" else (box.y0 <= position <= box.y1)
               for axis, position in lines)


def leader_start(box: Bbox, anchor) -> tuple[float, float]:
    """Where a label's leader leaves its box: the box's point nearest the anchor, so the leader is the
    shortest line from the words to the marker (a leader from the centre would sweep across the labels
    stacked beside a crowded point)."""
    return min(max(anchor[0], box.x0), box.x1), min(max(anchor[1], box.y0), box.y1)


def relative_position(box: Bbox, anchor) -> tuple[float, float]:
    """`leader_start` as matplotlib's `relpos`: a fraction of the box's width and height."""
    x, y = leader_start(box, anchor)
    return (x - box.x0) / max(box.width, 1e-9), (y - box.y0) / max(box.height, 1e-9)


@dataclass(frozen=True)
class Spot:
    """Where one label goes: its offset from the anchor in points, its alignment, its display box."""
    offset: tuple[float, float]
    alignment: tuple[str, str]
    box: Bbox
    backed: bool  # on an opaque ground, because a reference line passes behind it


def _find_spot(axes, renderer, label: Label, panel: Bbox, taken: list, boxes: list, leaders: list, lines) -> Spot | None:
    """The nearest offset at which `label` touches nothing in `taken`, crosses no reference line (or,
    failing every offset, sits on one on an opaque ground), and whose leader crosses no placed label
    while no placed leader crosses it; None when there is no such offset."""
    anchor = tuple(axes.transData.transform(label.anchor))
    probe = axes.annotate(label.text, label.anchor, xytext=(0, 0), textcoords="offset points",
                          fontsize=label.fontsize, annotation_clip=False)
    try:
        for relaxed in (False, True):  # a reference line may pass behind a label only on an opaque ground
            for radius in RADII:
                for angle in ANGLES:
                    dx, dy = radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle))
                    alignment = ("left" if dx > 3 else "right" if dx < -3 else "center",
                                 "bottom" if dy > 3 else "top" if dy < -3 else "center")
                    probe.xyann = (dx, dy)
                    probe.set_horizontalalignment(alignment[0])
                    probe.set_verticalalignment(alignment[1])
                    box = probe.get_window_extent(renderer).expanded(1.0, 1.0).padded(1.5)
                    if not (panel.contains(box.x0, box.y0) and panel.contains(box.x1, box.y1)) \
                            or _overlaps(box, taken) or (not relaxed and _crosses_line(box, lines)):
                        continue
                    start = leader_start(box, anchor)
                    if any(segment_crosses(start, anchor, other) for other in boxes) or \
                            any(segment_crosses(a, b, box) for a, b in leaders):
                        continue
                    return Spot((dx, dy), alignment, box, relaxed)
        return None
    finally:
        probe.remove()


def _arrange(axes, renderer, labels: list[Label], panel: Bbox) -> dict[int, Spot]:
    """One greedy pass in the order given: {index of the label: its spot} for the labels that found one."""
    taken, lines, spots = marker_boxes(axes), reference_lines(axes), {}
    boxes: list[Bbox] = []
    leaders: list[tuple] = []
    for index, label in enumerate(labels):
        spot = _find_spot(axes, renderer, label, panel, taken, boxes, leaders, lines)
        if spot is None:
            continue
        spots[index] = spot
        taken.append(spot.box)
        boxes.append(spot.box)
        anchor = tuple(axes.transData.transform(label.anchor))
        leaders.append((leader_start(spot.box, anchor), anchor))
    return spots


def place_labels(axes, labels: list[Label]) -> list[Label]:
    """Annotate each label at the nearest free offset, joined to its point by a leader, clear of
    every marker already drawn and every reference line; returns the labels that found no place.

    The greedy pass serves labels in the order given, so a label placed early near its point can
    wall in a later one (in a corner crowded with markers, every path to it blocked). When a pass
    leaves labels out, the next pass serves those first, up to REPAIRS passes; the pass that places
    the most labels is drawn."""
    figure = axes.figure
    figure.canvas.draw()  # the layout is final: boxes measured now hold in the saved files
    renderer = figure.canvas.get_renderer()
    panel = axes.get_window_extent(renderer).shrunk(0.995, 0.995)
    order = list(range(len(labels)))
    spots = _arrange(axes, renderer, labels, panel)
    best_order, best = order, spots
    for _ in range(REPAIRS):
        if len(best) == len(labels):
            break
        order = [index for index in order if index not in spots] + [index for index in order if index in spots]
        spots = _arrange(axes, renderer, [labels[index] for index in order], panel)
        spots = {order[position]: spot for position, spot in spots.items()}
        if len(spots) > len(best):
            best_order, best = order, spots
    for index in best_order:
        if index not in best:
            continue
        label, spot = labels[index], best[index]
        anchor = tuple(axes.transData.transform(label.anchor))
        axes.annotate(label.text, label.anchor, xytext=spot.offset, textcoords="offset points",
                      fontsize=label.fontsize, color=label.color, annotation_clip=False, zorder=6,
                      ha=spot.alignment[0], va=spot.alignment[1],
                      arrowprops={"arrowstyle": "-", "color": label.color, "lw": 0.7, "shrinkA": 0, "shrinkB": 2,
                                  "alpha": 0.8, "relpos": relative_position(spot.box, anchor)},
                      bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"} if spot.backed else None)
    return [label for index, label in enumerate(labels) if index not in best]


def spread(centres: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Display-space positions for markers (`centres`, in priority order: the first never moves) so
    that no two lie closer than SEPARATION times their mean half-width: each one that would sit on
    an earlier one moves outwards, on the nearest of a ring of directions, until it is clear."""
    centres = np.asarray(centres, dtype=float).reshape(-1, 2)
    placed = centres.copy()
    def clash(index: int, position) -> bool:
        return any(np.hypot(*(position - placed[other])) < SEPARATION * (widths[index] + widths[other]) / 2
                   for other in range(index))

    for index in range(len(centres)):
        if not clash(index, placed[index]):
            continue
        for step in range(1, 12):
            distance = step * widths[index] * 0.6
            moved = [centres[index] + distance * np.array([math.cos(math.radians(a)), math.sin(math.radians(a))])
                     for a in (90, -90, 45, -45, 135, -135, 0, 180)]
            free = [position for position in moved if not clash(index, position)]
            if free:
                placed[index] = free[0]
                break
    return placed

"""index.html: the report as one self-contained page to explore, offline (no CDN, nothing fetched).

The Pareto plot is inlined as SVG; each trial's marker is an SVG group `point-<i>` (see
`plots.pareto_figure`), which the page's script gives a tooltip: trial, weights, every
metric ± its seed spread, seeds, P(on the front), and the `sweep predict/recommend`
commands that use the trial's model. The trials follow as a table sortable by any column.
The page comes from a Jinja2 template; the summary's Markdown is rendered by markdown-it-py.
"""

from __future__ import annotations

import base64
import math
import re
import shlex
from pathlib import Path

import jinja2
import pandas as pd
from markdown_it import MarkdownIt
from markupsafe import Markup

from sweep.config import METRICS
from sweep.report import curves

TEMPLATES = Path(__file__).parent / "templates"
EXAMPLE_USER, EXAMPLE_MOVIE = "42", "Star Wars (1977)"  # for the tooltip's commands; both in MovieLens 100K
TABLE_COLUMNS = [  # (column, heading, description)
    ("study", "study", "the study"),
    ("number", "trial", "trial number"),
    ("state", "state", "COMPLETE, FAIL, RUNNING, …"),
    ("tutorial_pair", "tutorial pair", "one of the tutorial's three weight pairs"),
    ("method", "method", "adaptive weighting method (its weights: where they ended)"),
    ("rating_weight", "rating_weight", "weight of the rating loss"),
    ("retrieval_weight", "retrieval_weight", "weight of the retrieval loss"),
    ("log10_weight_ratio", "log10 ratio", "log10(retrieval_weight / rating_weight)"),
    ("weight_scale", "scale", "rating_weight + retrieval_weight"),
    ("pareto", "front", "on the Pareto front of the mean objectives"),
    ("p_pareto", "P(front)", "share of bootstrap resamples of the seeds in which the trial is on the front"),
    *[(metric, metric, "mean over seeds; ± one standard deviation") for metric in METRICS],
    ("n_seeds", "seeds", "number of seeds trained (a conditioned study: trainings it was evaluated from)"),
    ("seconds", "seconds", "mean seconds per seed (build, train, evaluate)"),
    ("fail_reason", "failure", "why the trial failed"),
]


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _number(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _sort_value(value) -> str:
    """What a cell sorts by: numbers as plain decimals (inf as ±1e308, so zero weights sort last/first)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return ""
        return repr(max(min(float(value), 1e308), -1e308))
    return "" if value is None else str(value)


def storage_words(command: str) -> str:
    """The `--storage …` the report was made with (already redacted), for the commands it prints."""
    try:
        words = shlex.split(command)
    except ValueError:
        return ""
    for index, word in enumerate(words):
        if word.startswith("--storage="):
            return " " + shlex.quote(word)
        if word == "--storage" and index + 1 < len(words):
            return " --storage " + shlex.quote(words[index + 1])
    return ""


def point_details(frames: dict[str, pd.DataFrame], points: list, knees: dict, command: str) -> dict:
    """What each hoverable point's tooltip shows, keyed by its SVG id."""
    storage, several = storage_words(command), len(frames) > 1
    details = {}
    for index, (study, number) in enumerate(points):
        frame = frames[study]
        row = frame[frame["number"] == number].iloc[0]
        study_words = shlex.quote(study) + storage
        method = row.get("method", "")
        badges = [label for label, holds in (("on the front", bool(row["pareto"])), ("knee", knees.get(study) == number),
                                             (f"tutorial {row['tutorial_pair']}", bool(row["tutorial_pair"])),
                                             (f"method {method}: weights where its training ended", bool(method)),
                                             ("from the conditioned model" + (
                                                 "" if row.get("in_trained_range") is not False
                                                 else ", outside the ranges it was trained on"),
                                              bool(row.get("conditioned", False))))
                  if holds]
        details[f"point-{index}"] = {
            "study": study, "study_note": f"study {study}" if several else "", "number": int(number),
            "badges": ", ".join(badges),
            "rating_weight": _number(row["rating_weight"]), "retrieval_weight": _number(row["retrieval_weight"]),
            "metrics": [{"name": metric, "text": f"{row[metric]:.4f} ± {row[f'{metric}_std']:.4f}"
                         if not math.isnan(row[f"{metric}_std"]) else f"{row[metric]:.4f}"} for metric in METRICS],
            "seeds": row["seeds"] or "not recorded", "p_pareto": _number(row["p_pareto"], 2) or "n/a (one seed)",
            "commands": [f"sweep predict {study_words} --trial {number} --user {EXAMPLE_USER} "
                         f"--movie {shlex.quote(EXAMPLE_MOVIE)}",
                         f"sweep recommend {study_words} --trial {number} --user {EXAMPLE_USER} -k 10"],
            "model_note": "" if row.get("model_stored", True) else
            "no model was kept for this trial (the study's keep_models); the commands need one",
        }
    return details


def _table(frames: dict[str, pd.DataFrame], points: list) -> tuple[list, list]:
    ids = {point: f"point-{index}" for index, point in enumerate(points)}
    several = len(frames) > 1
    columns = [(column, name, title) for column, name, title in TABLE_COLUMNS if several or column != "study"]
    rows = []
    for study, frame in frames.items():
        for record in frame.to_dict("records"):
            cells = []
            for column, _, _ in columns:
                value = record.get(column)
                if column in METRICS and isinstance(value, float) and not math.isnan(value):
                    std = record.get(f"{column}_std", math.nan)
                    text = f"{value:.4f}" + ("" if std is None or math.isnan(std) else f" ± {std:.4f}")
                elif column == "pareto":
                    text = "yes" if value else ""
                elif column == "p_pareto":
                    text = _number(value, 2)
                else:
                    text = _number(value)
                cells.append({"value": _sort_value(value), "text": text,
                              "numeric": isinstance(value, (int, float)) and not isinstance(value, bool)})
            rows.append({"cells": cells, "point": ids.get((study, int(record["number"])), ""),
                         "front": bool(record.get("pareto"))})
    return [{"name": name, "title": title} for _, name, title in columns], rows


def inline_svg(path: Path) -> Markup:
    """The SVG file's <svg> element, ready to sit in HTML (no XML declaration or DOCTYPE)."""
    text = path.read_text(encoding="utf-8")
    start = re.search(r"<svg\b", text)
    if start is None:
        raise ValueError(f"{path} holds no <svg> element")
    return Markup(text[start.start():])


def render(markdown_text: str, title: str, frames: dict[str, pd.DataFrame], points: list, knees: dict,
           command: str, out: Path, weights: bool = False) -> str:
    """The page's HTML, from the files already written into `out` (pareto.svg, hypervolume.png)."""
    heading, _, rest = markdown_text.partition("\n## ")
    columns, rows = _table(frames, points)
    renderer = _markdown()
    return _environment().get_template("index.html.j2").render(
        title=title,
        heading=Markup(renderer.render(heading)),
        summary=Markup(renderer.render("## " + rest if rest else "")),
        svg=inline_svg(out / "pareto.svg"),
        hypervolume_png=base64.b64encode((out / "hypervolume.png").read_bytes()).decode(),
        weights_png=base64.b64encode((out / "weights.png").read_bytes()).decode() if weights else "",
        points=point_details(frames, points, knees, command),
        columns=columns,
        rows=rows,
        curves=curves.fragment(frames, points),
    )

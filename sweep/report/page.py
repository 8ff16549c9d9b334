"""index.html: the report as one self-contained page to explore, offline (no CDN, nothing fetched).

The Pareto plot is inlined as SVG; each trial's marker is an SVG group `point-<i>` (see
`plots.pareto_figure`), which the page's script gives a tooltip: trial, weights, every
metric ± its seed spread, seeds, p_pareto (a method trial: P(dominated)), whether a conditioned
pair was extrapolated or verified, and the `sweep predict/recommend` commands that use the trial's model. The
page opens with a lede generated from summary.json (sweep.report.lede) and how to read the plot;
the trials follow as a table sortable by any column, objectives first.
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
from sweep.report import curves, lede

TEMPLATES = Path(__file__).parent / "templates"
EXAMPLE_USER, EXAMPLE_MOVIE = "42", "Star Wars (1977)"  # for the tooltip's commands; both in MovieLens 100K
OBJECTIVES = ("top_100_accuracy", "rmse")  # the plot's axes: first in the table
TABLE_COLUMNS = [  # (column, heading, description)
    ("study", "study", "the study"),
    ("number", "trial", "trial number"),
    *[(metric, metric, "mean over seeds; ± one standard deviation") for metric in OBJECTIVES],
    ("pareto", "front", "on the Pareto front of the mean objectives"),
    ("p_pareto", "p_pareto", "share of bootstrap resamples of the seeds in which the trial is on the front"),
    ("state", "state", "COMPLETE, FAIL, RUNNING, …"),
    ("tutorial_pair", "tutorial pair", "one of the tutorial's three weight pairs"),
    ("method", "method", "adaptive weighting method (its weights: where they ended)"),
    ("rating_weight", "rating_weight", "weight of the rating loss"),
    ("retrieval_weight", "retrieval_weight", "weight of the retrieval loss"),
    ("log10_weight_ratio", "log10 ratio", "log10(retrieval_weight / rating_weight)"),
    ("weight_scale", "scale", "rating_weight + retrieval_weight"),
    *[(metric, metric, "mean over seeds; ± one standard deviation") for metric in METRICS if metric not in OBJECTIVES],
    ("n_seeds", "seeds", "number of seeds trained (a conditioned study: trainings it was evaluated from)"),
    ("verifies", "verifies", "a static model trained at this conditioned trial's pair (`[conditioned] verify`)"),
    ("seconds", "seconds", "mean seconds per seed (build, train, evaluate)"),
    ("fail_reason", "failure", "why the trial failed"),
]
CONTENTS_FROM = 6  # a page with this many sections or more opens with a list of them


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


def p_pareto_text(row, judged: dict) -> tuple[str, str]:
    """(name, value) of the tooltip's firmness line: a method trial's P(dominated) (it is judged against
    the front, never on it); else p_pareto, blank only for a trial of one seed or a study without two."""
    method = row.get("method", "")
    if method:
        item = judged.get(int(row["number"]))
        return "P(dominated)", f"{item['p_dominated']:.2f}" if item else "n/a"
    if not math.isnan(float(row["p_pareto"])):
        return "p_pareto", _number(row["p_pareto"], 2)
    seeds = int(row.get("n_seeds", 0) or 0)
    return "p_pareto", "n/a (one seed)" if seeds < 2 else "n/a (no other trial of the study has two seeds)"


def point_details(frames: dict[str, pd.DataFrame], points: list, knees: dict, command: str,
                  judged: dict | None = None) -> dict:
    """What each hoverable point's tooltip shows, keyed by its SVG id (`judged`: {(study, trial): the
    method's judgement} from summary.json)."""
    storage, several, judged = storage_words(command), len(frames) > 1, judged or {}
    details = {}
    for index, (study, number) in enumerate(points):
        frame = frames[study]
        row = frame[frame["number"] == number].iloc[0]
        study_words = shlex.quote(study) + storage
        method = row.get("method", "")
        extrapolated = row.get("in_trained_range") is False
        verifies = row.get("verifies", math.nan)  # NaN unless a verification trial (sweep.verification)
        badges = [label for label, holds in (("on the front", bool(row["pareto"])), ("knee", knees.get(study) == number),
                                             (f"tutorial {row['tutorial_pair']}", bool(row["tutorial_pair"])),
                                             (f"method {method}: weights where its training ended", bool(method)),
                                             ("from the conditioned model", bool(row.get("conditioned", False))),
                                             (f"verified: a static model trained at trial {_number(verifies)}'s pair",
                                              verifies == verifies),
                                             ("EXTRAPOLATED: outside the weight ranges the model was trained on",
                                              extrapolated))
                  if holds]
        firmness, value = p_pareto_text(row, {key[1]: item for key, item in judged.items() if key[0] == study})
        details[f"point-{index}"] = {
            "study": study, "study_note": f"study {study}" if several else "", "number": int(number),
            "badges": ", ".join(badges), "extrapolated": extrapolated,
            "rating_weight": _number(row["rating_weight"]), "retrieval_weight": _number(row["retrieval_weight"]),
            "metrics": [{"name": metric, "text": f"{row[metric]:.4f} ± {row[f'{metric}_std']:.4f}"
                         if not math.isnan(row[f"{metric}_std"]) else f"{row[metric]:.4f}"} for metric in METRICS],
            "seeds": row["seeds"] or "not recorded", "firmness": firmness, "p_pareto": value,
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
    verified = any("verifies" in frame for frame in frames.values())
    columns = [(column, name, title) for column, name, title in TABLE_COLUMNS
               if (several or column != "study") and (verified or column != "verifies")]
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


def sections(html: str) -> tuple[str, list[dict]]:
    """The summary's HTML with an id on every h2, and the list of them (a long page's contents)."""
    found: list[dict] = []

    def named(match) -> str:
        anchor = f"section-{len(found) + 1}"
        found.append({"id": anchor, "title": re.sub(r"<[^>]+>", "", match.group(1))})
        return f'<h2 id="{anchor}">{match.group(1)}</h2>'

    return re.sub(r"<h2>(.*?)</h2>", named, html), found


def method_judgements(data: dict) -> dict:
    """{(study, trial): a method's judgement} from summary.json, one study's or a comparison's."""
    studies = data.get("studies", [data])
    return {(study.get("study"), item["number"]): item for study in studies for item in study.get("methods") or []}


def render(markdown_text: str, title: str, frames: dict[str, pd.DataFrame], points: list, knees: dict,
           command: str, out: Path, weights: bool = False, data: dict | None = None) -> str:
    """The page's HTML, from the files already written into `out` (pareto.svg, hypervolume.svg) and
    summary.json's `data` (the lede, the methods' judgements)."""
    heading, _, rest = markdown_text.partition("\n## ")
    columns, rows = _table(frames, points)
    renderer = _markdown()
    summary_html, contents = sections(renderer.render("## " + rest if rest else ""))
    return _environment().get_template("index.html.j2").render(
        title=title,
        heading=Markup(renderer.render(heading)),
        lede=lede.text(data) if data else "",
        contents=contents if len(contents) >= CONTENTS_FROM else [],
        summary=Markup(summary_html),
        svg=inline_svg(out / "pareto.svg"),
        hypervolume_svg=base64.b64encode((out / "hypervolume.svg").read_bytes()).decode(),  # an image: its ids stay its own
        weights_png=base64.b64encode((out / "weights.png").read_bytes()).decode() if weights else "",
        points=point_details(frames, points, knees, command, method_judgements(data or {})),
        columns=columns,
        rows=rows,
        curves=curves.fragment(frames, points),
    )

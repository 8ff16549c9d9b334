"""`sweep report` and `sweep compare`: read studies from the storage, write plots, CSV and summaries.

Reads only from the storage and never imports TensorFlow. Files written into the output
directory: pareto.png, pareto.svg, hypervolume.png, trials.csv, summary.md, summary.json (the
summary's figures as data, which the README's figures are checked against), index.html
(self-contained: the plots are embedded, it opens offline).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from sweep import SweepError
from sweep.report import plots, summary
from sweep.report.table import trials_frame, write_csv

FILES = ("pareto.png", "pareto.svg", "hypervolume.png", "trials.csv", "summary.md", "summary.json", "index.html")


def load_study(name: str, url: str):
    import optuna

    from sweep.redact import redact
    from sweep.storage import open_storage

    storage = open_storage(url)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        names = sorted(s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False))
        known = ", ".join(names) if names else "none"
        raise SweepError(f"no study named {name!r} in {redact(url)} (studies there: {known})") from None


def build_report(name: str, url: str, out: Path, command: str) -> dict:
    """Write the report of one study; returns what it found (for the CLI's one-line summary)."""
    study = load_study(name, url)
    frame = trials_frame(study)
    attrs = study.user_attrs
    knee = summary.study_knee(study, frame)
    study_health = summary.health(frame)
    compared = summary.comparison(frame, attrs)
    text = summary.markdown(name, frame, attrs, knee, compared, study_health, command)
    data = summary.document(name, frame, attrs, knee, compared, study_health, command)
    stand_in = summary.stand_in_trainer(attrs)
    title = f"study {name}" + (f" — NOT MEASUREMENTS: stand-in trainer {stand_in}" if stand_in else "")
    _write_all(out, {name: frame}, attrs.get("context_baselines"), title, text, data)
    return {"health": study_health, "knee": knee, "front": int(frame["pareto"].sum()) if not frame.empty else 0,
            "stand_in": stand_in}


def build_comparison(names: list[str], url: str, out: Path, command: str) -> dict:
    """Several studies' fronts on one plot, their trials in one CSV, a summary of each."""
    import pandas as pd

    frames, sections, documents, context, stand_ins = {}, [], [], None, []
    for name in names:
        study = load_study(name, url)
        frame = trials_frame(study)
        frames[name] = frame
        stand_ins += [name] if summary.stand_in_trainer(study.user_attrs) else []
        context = context or study.user_attrs.get("context_baselines")
        knee = summary.study_knee(study, frame)  # each study's own objectives
        compared, study_health = summary.comparison(frame, study.user_attrs), summary.health(frame)
        documents.append(summary.document(name, frame, study.user_attrs, knee, compared, study_health, command))
        sections.append(summary.markdown(name, frame, study.user_attrs, knee, compared, study_health,
                                         command).replace("\n# ", "\n## "))
    text = f"# Comparison of {', '.join(names)}\n\n" + "\n".join(section.replace("# Study", "## Study", 1) for section in sections)
    title = "studies " + " vs ".join(names) + (f" — NOT MEASUREMENTS: {', '.join(stand_ins)} by a stand-in trainer"
                                              if stand_ins else "")
    _write_all(out, frames, context, title, text, {"studies": documents},
               combined=pd.concat(frames.values(), ignore_index=True))
    return {"studies": len(frames)}


def _write_all(out: Path, frames: dict, context, title: str, text: str, data: dict, combined=None) -> None:
    """Write every file into a staging directory beside `out`, then move each into place: a full
    disk or a crash leaves the previous report's files, never half-written ones."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-partial-", dir=out.parent))
    except OSError as error:
        raise SweepError(f"cannot write the report to {out} ({error.strerror or error})") from error
    try:
        plots.save(plots.pareto_figure(frames, context, title), staging / "pareto.png", staging / "pareto.svg")
        plots.save(plots.hypervolume_figure(frames, title), staging / "hypervolume.png")
        write_csv(combined if combined is not None else next(iter(frames.values())), staging / "trials.csv")
        (staging / "summary.md").write_text(text, encoding="utf-8")
        (staging / "summary.json").write_text(json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n",
                                              encoding="utf-8")
        (staging / "index.html").write_text(to_html(text, title, staging), encoding="utf-8")
        for name in FILES:
            os.replace(staging / name, out / name)
    except OSError as error:
        raise SweepError(f"cannot write the report to {out} ({error.strerror or error}); free some space or "
                         "choose another --out") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def to_html(markdown_text: str, title: str, out: Path) -> str:
    """A self-contained page: the summary's Markdown (our own simple subset) with the plots embedded."""
    images = "".join(
        f'<figure><img alt="{alt}" src="data:image/png;base64,{base64.b64encode((out / name).read_bytes()).decode()}">'
        f"<figcaption>{alt}</figcaption></figure>"
        for name, alt in (("pareto.png", "Pareto plot"), ("hypervolume.png", "Hypervolume by trial"))
    )
    body, table, in_list = [], [], False
    for line in markdown_text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [_inline(cell.strip()) for cell in line.strip("|").split("|")]
            if not all(set(cell) <= {"-"} for cell in cells):
                table.append(cells)
            continue
        if table:
            head, *rows = table
            body.append("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
                        + "</tbody></table>")
            table = []
        if line.startswith("- "):
            body.append(("" if in_list else "<ul>") + f"<li>{_inline(line[2:])}</li>")
            in_list = True
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        heading = re.match(r"^(#+) (.*)", line)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            if level == 1:
                body.append(images)
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:14px}"
             "th{background:#f3f3f3}img{max-width:100%}figure{margin:1em 0}code{background:#f3f3f3;padding:1px 3px;"
             "word-break:break-all}")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"`([^`]*)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]*)\*\*", r"<strong>\1</strong>", text)

"""`sweep report` and `sweep compare`: read studies from the storage, write plots, CSV and summaries.

Reads only from the storage and never imports TensorFlow. Files written into the output
directory: pareto.png, pareto.svg, hypervolume.png, trials.csv, summary.md, summary.json (the
summary's figures as data, which the README's figures are checked against), hypervolume.svg,
index.html
(self-contained and interactive: the Pareto plot inline as SVG with a tooltip per trial, the
trials as a sortable table; it opens offline).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sweep import SweepError
from sweep.pareto import front_points
from sweep.report import cost, hypervolume, methods, page, plots, summary
from sweep.report.table import trials_frame, write_csv
from sweep.storage import load_stored_study

FILES = ("pareto.png", "pareto.svg", "hypervolume.png", "hypervolume.svg", "trials.csv", "summary.md", "summary.json",
         "index.html")
WEIGHTS_FILE = "weights.png"  # also written when the study ran adaptive weighting methods


def written_files(out: Path) -> list[str]:
    """The report's files in `out`: every one of FILES, and weights.png when the study ran methods."""
    return list(FILES) + ([WEIGHTS_FILE] if (out / WEIGHTS_FILE).exists() else [])


def best_stored_front(url: str, attrs: dict, studies: list) -> tuple:
    """(top-100, RMSE) of the fronts of the storage's studies on the same split and trainer kind, the
    studies' names, and when the last of their trials completed: what "the best front stored" is
    measured on, named so that a share of it says which front and when."""
    import numpy as np
    import optuna

    from sweep.storage import open_storage

    fingerprint, stand_in = attrs.get("split_fingerprint"), summary.stand_in_trainer(attrs) is not None
    storage, points, pooled, last = open_storage(url), [], [], None
    for found in optuna.get_all_study_summaries(storage, include_best_trial=False):
        other = found.user_attrs
        if other.get("split_fingerprint") != fingerprint or (summary.stand_in_trainer(other) is not None) != stand_in:
            continue
        study = next((s for s in studies if s.study_name == found.study_name), None) or optuna.load_study(
            study_name=found.study_name, storage=storage)
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        points += [tuple(point) for point in front_points(complete, ("top_100_accuracy", "rmse"))[1]]
        pooled.append(found.study_name)
        times = [trial.datetime_complete for trial in complete if trial.datetime_complete is not None]
        last = max([last, *times] if last else times, default=last)
    as_of = last.isoformat(sep=" ", timespec="seconds") if last else "?"
    return np.array(points, dtype=float).reshape(-1, 2), sorted(pooled), as_of


def _volume(url: str, frames: dict, studies: list) -> dict:
    """Each study's hypervolume from its own split's trivial baselines, and its share of the best
    front stored on that split (pooled once per split and trainer kind)."""
    pools, volumes = {}, {}  # (split, stand-in) -> (front points, studies, as of)
    for study in studies:
        attrs = study.user_attrs
        key = (attrs.get("split_fingerprint"), summary.stand_in_trainer(attrs) is not None)
        if key not in pools:
            pools[key] = best_stored_front(url, attrs, studies)
        reference = hypervolume.reference_point(attrs.get("context_baselines"))
        volumes[study.study_name] = hypervolume.summarize(frames[study.study_name], reference, *pools[key])
    return volumes


@dataclass(frozen=True)
class Rendering:
    """What a report's files are drawn from: the studies' tables, the texts, and what marks the plots."""

    frames: dict  # study name -> trials table
    context: dict | None  # the trivial baselines drawn on the plot
    title: str
    text: str  # summary.md
    data: dict  # summary.json
    knees: dict  # study name -> knee trial
    volume: dict  # the hypervolume (and its reference point) of the first study
    command: str
    steps: dict  # adaptive methods' weights over training
    table: pd.DataFrame  # trials.csv: every study's table in one
    costs: dict  # study name -> what its trials cost (cost.compute), for the hypervolume against cost
    share_of: dict  # the front the hypervolume figure's share is of: {"hypervolume", "name"}


def build_report(name: str, url: str, out: Path, command: str) -> dict:
    """Write the report of one study; returns what it found (for the CLI's one-line summary)."""
    study = load_stored_study(name, url)
    frame = trials_frame(study)
    found = summary.find(study, frame, _volume(url, {name: frame}, [study])[name])
    stand_in = summary.stand_in_trainer(found.attrs)
    title = f"study {name}" + (f" — NOT MEASUREMENTS: stand-in trainer {stand_in}" if stand_in else "")
    _write_all(out, Rendering({name: frame}, found.attrs.get("context_baselines"), title,
                              summary.markdown(found, command), summary.document(found, command), {name: found.knee},
                              found.volume, command, found.steps, frame, {name: cost.compute(frame, found.attrs)},
                              {"hypervolume": found.volume["best_stored"], "name": found.volume["share"]["of"]}))
    return {"health": found.health, "knee": found.knee, "front": int(frame["pareto"].sum()) if not frame.empty else 0,
            "stand_in": stand_in}


def build_comparison(names: list[str], url: str, out: Path, command: str) -> dict:
    """Several studies' fronts on one plot, their trials in one CSV, a summary of each."""
    studies = [load_stored_study(name, url) for name in names]
    frames = {study.study_name: trials_frame(study) for study in studies}
    volumes = _volume(url, frames, studies)
    found = [summary.find(study, frames[study.study_name], volumes[study.study_name]) for study in studies]
    stand_ins = [item.name for item in found if summary.stand_in_trainer(item.attrs)]
    context = next((item.attrs["context_baselines"] for item in found if item.attrs.get("context_baselines")), None)
    sections = [summary.markdown(item, command).replace("\n# ", "\n## ") for item in found]
    side_by_side = cost.side_by_side(frames, studies, volumes)
    text = (f"# Comparison of {', '.join(names)}\n\n" + "\n".join(side_by_side["lines"]) + "\n"
            + "\n".join(section.replace("# Study", "## Study", 1) for section in sections))
    title = "studies " + " vs ".join(names) + (f" — NOT MEASUREMENTS: {', '.join(stand_ins)} by a stand-in trainer"
                                              if stand_ins else "")
    data = summary.json_safe({"studies": [summary.document(item, command) for item in found],
                              "side_by_side": side_by_side["rows"]})
    first = found[0]
    _write_all(out, Rendering(frames, context, title, text, data, {item.name: item.knee for item in found},
                              next(iter(volumes.values())), command,
                              {key: value for item in found for key, value in item.steps.items()},
                              pd.concat(frames.values(), ignore_index=True),
                              {item.name: cost.compute(item.frame, item.attrs) for item in found},
                              {"hypervolume": first.volume["hypervolume"], "name": cost.share_name(first.name)}))
    return {"studies": len(frames)}


def _write_all(out: Path, view: Rendering) -> None:
    """Write every file into a staging directory beside `out`, then move each into place: a full
    disk or a crash leaves the previous report's files, never half-written ones."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-partial-", dir=out.parent))
    except OSError as error:
        raise SweepError(f"cannot write the report to {out} ({error.strerror or error})") from error
    try:
        figure, points = plots.pareto_figure(view.frames, view.context, view.title, view.knees,
                                             view.volume["reference"])
        plots.save(figure, staging / "pareto.png", staging / "pareto.svg")
        plots.save(plots.hypervolume_figure(view.frames, view.costs, view.title, view.volume["reference"],
                                            view.share_of), staging / "hypervolume.png", staging / "hypervolume.svg")
        table = view.table
        written = list(FILES)
        if methods.has_methods(table):
            plots.save(plots.weights_figure(table, view.steps, view.title), staging / WEIGHTS_FILE)
            written.append(WEIGHTS_FILE)
        elif (out / WEIGHTS_FILE).exists():
            (out / WEIGHTS_FILE).unlink()  # an older report's, of methods this study no longer has
        write_csv(table, staging / "trials.csv")
        (staging / "summary.md").write_text(view.text, encoding="utf-8")
        (staging / "summary.json").write_text(json.dumps(view.data, indent=2, sort_keys=True, allow_nan=False) + "\n",
                                              encoding="utf-8")
        (staging / "index.html").write_text(page.render(view.text, view.title, view.frames, points, view.knees,
                                                        view.command, staging, weights=WEIGHTS_FILE in written,
                                                        data=view.data),
                                            encoding="utf-8")
        for name in written:
            os.replace(staging / name, out / name)
    except OSError as error:
        raise SweepError(f"cannot write the report to {out} ({error.strerror or error}); free some space or "
                         "choose another --out") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)

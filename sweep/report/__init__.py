"""`sweep report` and `sweep compare`: read studies from the storage, write plots, CSV and summaries.

Reads only from the storage and never imports TensorFlow. Files written into the output
directory: pareto.png, pareto.svg, hypervolume.png, trials.csv, summary.md, summary.json (the
summary's figures as data, which the README's figures are checked against), index.html
(self-contained and interactive: the Pareto plot inline as SVG with a tooltip per trial, the
trials as a sortable table; it opens offline).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from sweep import SweepError
from sweep.report import hypervolume, methods, page, plots, summary
from sweep.pareto import study_knee
from sweep.record import counts_for_front
from sweep.report.table import trials_frame, write_csv

FILES = ("pareto.png", "pareto.svg", "hypervolume.png", "trials.csv", "summary.md", "summary.json", "index.html")
WEIGHTS_FILE = "weights.png"  # also written when the study ran adaptive weighting methods


def written_files(out: Path) -> list[str]:
    """The report's files in `out`: every one of FILES, and weights.png when the study ran methods."""
    return list(FILES) + ([WEIGHTS_FILE] if (out / WEIGHTS_FILE).exists() else [])


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


def best_stored_front(url: str, attrs: dict, studies: list) -> tuple:
    """(top-100, RMSE) of every COMPLETE trial of the storage's studies on the same split and trainer
    kind, and how many studies they come from: what "the best front stored" is measured on."""
    import optuna
    import numpy as np

    from sweep.storage import open_storage

    fingerprint, stand_in = attrs.get("split_fingerprint"), summary.stand_in_trainer(attrs) is not None
    storage, points, pooled = open_storage(url), [], 0
    for found in optuna.get_all_study_summaries(storage, include_best_trial=False):
        other = found.user_attrs
        if other.get("split_fingerprint") != fingerprint or (summary.stand_in_trainer(other) is not None) != stand_in:
            continue
        study = next((s for s in studies if s.study_name == found.study_name), None) or optuna.load_study(
            study_name=found.study_name, storage=storage)
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        points += [(t.user_attrs["metrics"]["top_100_accuracy"], t.user_attrs["metrics"]["rmse"])
                   for t in complete if "metrics" in t.user_attrs and counts_for_front(t.state.name, t.user_attrs)]
        pooled += 1
    return np.array(points, dtype=float).reshape(-1, 2), pooled


def _volume(url: str, frames: dict, studies: list) -> dict:
    """Each study's hypervolume from its own split's trivial baselines, and its share of the best
    front stored on that split (pooled once per split and trainer kind)."""
    pools, volumes = {}, {}
    for study in studies:
        attrs = study.user_attrs
        key = (attrs.get("split_fingerprint"), summary.stand_in_trainer(attrs) is not None)
        if key not in pools:
            pools[key] = best_stored_front(url, attrs, studies)
        reference = hypervolume.reference_point(attrs.get("context_baselines"))
        volumes[study.study_name] = hypervolume.summarize(frames[study.study_name], reference, *pools[key])
    return volumes


def build_report(name: str, url: str, out: Path, command: str) -> dict:
    """Write the report of one study; returns what it found (for the CLI's one-line summary)."""
    study = load_study(name, url)
    frame = trials_frame(study)
    attrs = study.user_attrs
    knee = study_knee(study)
    volume = _volume(url, {name: frame}, [study])[name]
    study_health = summary.health(frame)
    compared = summary.comparison(frame, attrs)
    steps = methods.weight_steps(study)
    judged = methods.assess(frame, volume["reference"], steps)
    text = summary.markdown(name, frame, attrs, knee, compared, study_health, command, volume, judged)
    data = summary.document(name, frame, attrs, knee, compared, study_health, command, volume, judged)
    stand_in = summary.stand_in_trainer(attrs)
    title = f"study {name}" + (f" — NOT MEASUREMENTS: stand-in trainer {stand_in}" if stand_in else "")
    _write_all(out, {name: frame}, attrs.get("context_baselines"), title, text, data, {name: knee}, volume, command,
               steps=steps)
    return {"health": study_health, "knee": knee, "front": int(frame["pareto"].sum()) if not frame.empty else 0,
            "stand_in": stand_in}


def build_comparison(names: list[str], url: str, out: Path, command: str) -> dict:
    """Several studies' fronts on one plot, their trials in one CSV, a summary of each."""
    import pandas as pd

    studies = [load_study(name, url) for name in names]
    frames = {study.study_name: trials_frame(study) for study in studies}
    volumes = _volume(url, frames, studies)
    sections, documents, context, stand_ins, knees = [], [], None, [], {}
    for study in studies:
        name, frame, attrs = study.study_name, frames[study.study_name], study.user_attrs
        stand_ins += [name] if summary.stand_in_trainer(attrs) else []
        context = context or attrs.get("context_baselines")
        knees[name] = study_knee(study)  # each study's own objectives
        compared, study_health = summary.comparison(frame, attrs), summary.health(frame)
        judged = methods.assess(frame, volumes[name]["reference"], methods.weight_steps(study))
        documents.append(summary.document(name, frame, attrs, knees[name], compared, study_health, command,
                                          volumes[name], judged))
        sections.append(summary.markdown(name, frame, attrs, knees[name], compared, study_health, command,
                                         volumes[name], judged).replace("\n# ", "\n## "))
    side_by_side = summary.side_by_side(frames, studies, volumes)
    text = (f"# Comparison of {', '.join(names)}\n\n" + "\n".join(side_by_side["lines"]) + "\n"
            + "\n".join(section.replace("# Study", "## Study", 1) for section in sections))
    title = "studies " + " vs ".join(names) + (f" — NOT MEASUREMENTS: {', '.join(stand_ins)} by a stand-in trainer"
                                              if stand_ins else "")
    steps = {key: value for study in studies for key, value in methods.weight_steps(study).items()}
    _write_all(out, frames, context, title, text, {"studies": documents, "side_by_side": side_by_side["rows"]}, knees,
               next(iter(volumes.values())),
               command, combined=pd.concat(frames.values(), ignore_index=True), steps=steps)
    return {"studies": len(frames)}


def _write_all(out: Path, frames: dict, context, title: str, text: str, data: dict, knees: dict, volume: dict,
               command: str, combined=None, steps: dict | None = None) -> None:
    """Write every file into a staging directory beside `out`, then move each into place: a full
    disk or a crash leaves the previous report's files, never half-written ones."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-partial-", dir=out.parent))
    except OSError as error:
        raise SweepError(f"cannot write the report to {out} ({error.strerror or error})") from error
    try:
        figure, points = plots.pareto_figure(frames, context, title, knees, volume["reference"])
        plots.save(figure, staging / "pareto.png", staging / "pareto.svg")
        plots.save(plots.hypervolume_figure(frames, title, volume["reference"], volume["best_stored"]),
                   staging / "hypervolume.png")
        table = combined if combined is not None else next(iter(frames.values()))
        written = list(FILES)
        if methods.has_methods(table):
            plots.save(plots.weights_figure(table, steps or {}, title), staging / WEIGHTS_FILE)
            written.append(WEIGHTS_FILE)
        elif (out / WEIGHTS_FILE).exists():
            (out / WEIGHTS_FILE).unlink()  # an older report's, of methods this study no longer has
        write_csv(table, staging / "trials.csv")
        (staging / "summary.md").write_text(text, encoding="utf-8")
        (staging / "summary.json").write_text(json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n",
                                              encoding="utf-8")
        (staging / "index.html").write_text(page.render(text, title, frames, points, knees, command, staging,
                                                        weights=WEIGHTS_FILE in written),
                                            encoding="utf-8")
        for name in written:
            os.replace(staging / name, out / name)
    except OSError as error:
        raise SweepError(f"cannot write the report to {out} ({error.strerror or error}); free some space or "
                         "choose another --out") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)

"""What the numbers mean: the front, the knee, the tutorial's claims checked, the study's health.

The knee point (sweep.pareto.knee) is the front point that dominates the largest area
beyond the trivial baselines: what a user should serve when they name no trial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sweep import verdicts
from sweep.config import recorded_rating_fraction, recorded_spec, recorded_validation
from sweep.config.coordinates import RATIO_AND_SCALE, WEIGHTS, ratio_and_scale
from sweep.kinds import CONDITIONED, for_study
from sweep.pareto import BOOTSTRAP_RESAMPLES, bootstrap_means, study_knee
from sweep.redact import portable_command, redact
from sweep.report import methods, trivial, verified
from sweep.report.cost import compute, compute_lines
from sweep.report.tutorial import SEED_METRICS, changed_settings, comparison, comparison_lines


def health(frame: pd.DataFrame) -> dict:
    total = len(frame)
    failed = frame[frame["state"] == "FAIL"]
    diverged = failed[failed["fail_reason"].str.contains("non-finite", na=False)]
    return {
        "trials": total,
        "complete": int((frame["state"] == "COMPLETE").sum()),
        "failed": len(failed),
        "diverged": len(diverged),
        "failed_share": len(failed) / total if total else 0.0,
        "diverged_share": len(diverged) / total if total else 0.0,
        "reasons": failed["fail_reason"].value_counts().sort_index().to_dict(),
    }


def stand_in_trainer(study_attrs: dict) -> str | None:
    """The trainer's target if the study was made by one other than sweep's own (a test fake, a plug-in)."""
    trainer = study_attrs.get("trainer")
    return None if trainer is None or trainer["real"] else trainer["target"]


def trainer_line(study_attrs: dict) -> str:
    trainer = study_attrs.get("trainer")
    if trainer is None:
        return "not recorded (the study predates trainer provenance)"
    kind = "sweep's own" if trainer["real"] else "a STAND-IN, not sweep's own"
    return f"`{trainer['target']}` ({trainer['module']} {trainer['version']}; {kind})"


@dataclass(frozen=True)
class StudyFindings:
    """Everything a study's summary says, found once and read by the markdown, the JSON and the page."""

    name: str
    frame: pd.DataFrame
    attrs: dict
    knee: int | None
    volume: dict  # hypervolume.summarize: the area, its reference point, its share of the best stored
    compared: dict | None
    health: dict
    judged: list
    steps: dict  # adaptive methods' weights over training (methods.weight_steps)
    beyond: dict | None = None  # each objective against its trivial baseline (trivial.assess)


def find(study, frame: pd.DataFrame, volume: dict) -> StudyFindings:
    """What a stored study's trials (its trials table `frame`) say, measured against `volume`'s reference."""
    steps = methods.weight_steps(study)
    judged = methods.assess(frame, volume["reference"], steps)
    return StudyFindings(study.study_name, frame, study.user_attrs, study_knee(study), volume,
                         comparison(frame, study.user_attrs), health(frame), judged, steps,
                         trivial.assess(frame, study.user_attrs.get("context_baselines")))


def markdown(findings: StudyFindings, command: str) -> str:
    name, frame, study_attrs, knee = findings.name, findings.frame, findings.attrs, findings.knee
    study_health, volume, compared, judged = findings.health, findings.volume, findings.compared, findings.judged
    lines = [f"# Study `{name}`", ""]
    stand_in = stand_in_trainer(study_attrs)
    if stand_in:
        lines += [f"**WARNING — not measurements: every number below was produced by the stand-in trainer "
                  f"`{stand_in}`, not by sweep's trainer. It says nothing about the model.**", ""]
    if study_health["complete"] == 0:
        lines += [
            f"**No COMPLETE trials yet** ({study_health['trials']} trials, {study_health['failed']} failed): "
            "there is no front to show. Run `sweep run` on the study file, or look at the failures below.", "",
        ]
    front = frame[frame["pareto"]].sort_values("rmse")
    if not front.empty:
        searched = searched_coordinates(study_attrs)
        by_ratio = searched == RATIO_AND_SCALE  # the front also in the coordinates the study searched
        lines += ["## Pareto-optimal trials", "", coordinates_line(searched), "",
                  "| trial | rating_weight | retrieval_weight | " + ("weight_ratio | weight_scale | " if by_ratio else "")
                  + "top-100 accuracy | RMSE | p_pareto | knee |",
                  "|---|---|---|---|---|---|---|" + ("---|---|" if by_ratio else "")]
        for row in front.itertuples(index=False):
            verifies = getattr(row, "verifies", math.nan)
            label = (f" ({row.tutorial_pair})" if row.tutorial_pair
                     else f" (verifies {int(verifies)})" if verifies == verifies else "")
            coordinates = " | ".join(f"{value:.4g}" for value in ratio_and_scale(row.rating_weight, row.retrieval_weight))
            lines.append(
                f"| {row.number}{label} | {row.rating_weight:.4g} | {row.retrieval_weight:.4g} | "
                f"{coordinates + ' | ' if by_ratio else ''}"
                f"{_with_std(row.top_100_accuracy, row.top_100_accuracy_std)} | {_with_std(row.rmse, row.rmse_std)} | "
                f"{_share(row.p_pareto)} | {'**knee**' if row.number == knee else ''} |"
            )
        lines += ["", f"Recommended knee point: trial {knee} (the front point that dominates the largest area "
                      "beyond the trivial baselines: chance accuracy and global-mean RMSE)."
                      f"{knee_sentence(knee_interval(frame, knee))}", ""]
        lines += _front_under_noise(frame)
        lines += chosen_on_lines(front, study_attrs)
    if volume and study_health["complete"]:
        lines += hypervolume_lines(volume)
    lines += compute_lines(compute(frame, study_attrs))
    lines += verified.markdown_lines(verified.rows(frame))
    lines += methods.markdown_lines(judged or [])
    lines += comparison_lines(compared, study_attrs.get("context_baselines"), recorded_rating_fraction(study_attrs),
                              changed_settings(recorded_spec(study_attrs).get("train", {})),
                              conditioned=for_study(study_attrs).name == CONDITIONED)
    lines += trivial.markdown_lines(findings.beyond)
    lines += [
        "## Study health", "",
        f"{study_health['trials']} trials: {study_health['complete']} complete, {study_health['failed']} failed "
        f"({study_health['failed_share']:.0%}), of which {study_health['diverged']} diverged (non-finite loss).",
    ]
    for reason, count in study_health["reasons"].items():
        lines.append(f"- {reason}: {count}")
    pruned = int((frame["state"] == "PRUNED").sum()) if "state" in frame else 0
    if pruned:
        lines += ["", f"{pruned} trials were pruned (`[study] prune`): stopped after an epoch at which enough earlier "
                      "trials beat them on every objective; they count toward n_trials, never for the front."]
    lines += ["", "## Provenance", "",
              f"- report command: `{recorded(command)}`",
              f"- study created by: `{recorded(study_attrs.get('command', '?'))}` at {study_attrs.get('created', '?')}",
              f"- trainer: {trainer_line(study_attrs)}",
              f"- spec hash: `{study_attrs.get('spec_hash', '?')}`",
              f"- split: {split_line(study_attrs)}; fingerprint `{study_attrs.get('split_fingerprint', '?')}`",
              f"- data checksum: `{study_attrs.get('data_checksum', '?')}`",
              "- package versions: " + ", ".join(f"{k} {v}" for k, v in sorted(study_attrs.get("versions", {}).items())),
              f"- top-k candidates: {study_attrs.get('context_baselines', {}).get('candidates', '?')}",
              f"- spec: `{study_attrs.get('spec', '?')}`", ""]
    return "\n".join(lines)


def document(findings: StudyFindings, command: str) -> dict:
    """What the summary says, as data (summary.json): every figure a README may quote, traceable."""
    name, frame, study_attrs, knee = findings.name, findings.frame, findings.attrs, findings.knee
    study_health, volume, compared, judged = findings.health, findings.volume, findings.compared, findings.judged
    front = frame[frame["pareto"]].sort_values("rmse")
    columns = ["number", "tutorial_pair", "rating_weight", "retrieval_weight", "weight_scale", "top_100_accuracy",
               "top_100_accuracy_std", "rmse", "rmse_std", "p_pareto", "n_seeds"]
    tutorial = frame[(frame["tutorial_pair"] != "") & (frame["state"] == "COMPLETE")]
    complete = frame[frame["state"] == "COMPLETE"]
    return json_safe({
        "study": name,
        "training_seconds": float((complete["seconds"] * complete["n_seeds"]).sum()),  # every seed's build, fit, evaluate
        "compute": compute(frame, study_attrs),
        "searched_coordinates": list(searched_coordinates(study_attrs)),
        "front": front[columns + [c for c in front.columns if c in ("test_top_100_accuracy", "test_rmse")]].to_dict("records"),
        "chosen_on": {"split": "validation" if recorded_validation(study_attrs) else "test",
                      "validation_share": recorded_validation(study_attrs)},
        "knee": knee,
        "knee_interval": knee_interval(frame, knee) if knee is not None else None,
        "tutorial_pairs": tutorial[columns].to_dict("records"),
        **({"verified": verified.rows(frame)} if verified.rows(frame) else {}),  # a conditioned study's verify
        "hypervolume": volume,
        "methods": judged or [],
        "comparison": compared,
        "context_baselines": study_attrs.get("context_baselines"),
        "beyond_trivial_baselines": findings.beyond,
        "health": study_health,
        "provenance": {"report_command": recorded(command), "study_command": recorded(study_attrs.get("command", "?")),
                       "trainer": study_attrs.get("trainer"), "spec_hash": study_attrs.get("spec_hash"),
                       "split": split_line(study_attrs), "split_fingerprint": study_attrs.get("split_fingerprint"),
                       "data_checksum": study_attrs.get("data_checksum"), "versions": study_attrs.get("versions")},
    })


def hypervolume_lines(volume: dict) -> list[str]:
    reference = volume["reference"]
    share = volume["share_of_best"]
    named = volume.get("share", {}).get("of") or f"the front of the {volume['studies_pooled']} studies stored"
    best = (f"{share:.1%} of the best front stored ({volume['best_stored']:.4g}): {named}, every study in this "
            "storage on the same split" if not math.isnan(share) else "no stored front beats the reference point")
    return ["## Hypervolume", "",
            f"{volume['hypervolume']:.4g}, measured from top-100 accuracy {reference['top_100_accuracy']:.4f} and "
            f"RMSE {reference['rmse']:.4f} ({reference['source']}): the area of trade-offs the trials reach beyond "
            f"that point; {best}.", ""]


def json_safe(value):
    """NaN as null and NumPy scalars as plain numbers, for strict JSON."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _share(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}"


def knee_interval(frame: pd.DataFrame, knee) -> dict | None:
    """The knee's spread over its seeds (two or more), named for what it is (sweep.verdicts.interval_name):
    below SEEDS_FOR_INTERVAL seeds its seed values (`kind` "seed values"; `top_100_accuracy` and `rmse`
    their lowest and highest, as before), from there the 95 % percentile bootstrap interval of its mean
    (`kind` "bootstrap"). `values`: each metric's seed values in seed order."""
    row = frame[frame["number"] == knee].iloc[0]
    columns = [[f"seed{index}_{metric}" for metric in SEED_METRICS] for index in range(row["n_seeds"])]
    runs = np.array([[row[column] for column in pair] for pair in columns if all(column in row for column in pair)])
    if len(runs) < 2:
        return None
    values = {metric: [float(value) for value in runs[:, index]] for index, metric in enumerate(SEED_METRICS)}
    if len(runs) < verdicts.SEEDS_FOR_INTERVAL:
        low, high = runs.min(axis=0), runs.max(axis=0)
        kind = "seed values"
    else:
        low, high = np.percentile(bootstrap_means([runs])[:, 0, :], [2.5, 97.5], axis=0)
        kind = "bootstrap"
    return {"seeds": len(runs), "kind": kind, "values": values,
            "top_100_accuracy": [float(low[0]), float(high[0])], "rmse": [float(low[1]), float(high[1])]}


def knee_sentence(interval: dict | None) -> str:
    """The summary's words for `knee_interval`: the seed values, or the interval with its method and seed count."""
    if interval is None:
        return ""
    name = verdicts.interval_name(interval["seeds"])
    if interval["kind"] == "seed values":
        top, rmse = (", ".join(f"{value:.4f}" for value in interval["values"][metric]) for metric in SEED_METRICS)
        return f" Its {name}: top-100 accuracy {top}; RMSE {rmse}."
    (top_low, top_high), (rmse_low, rmse_high) = interval["top_100_accuracy"], interval["rmse"]
    return (f" Its {name} (percentile, of the seed mean): top-100 accuracy "
            f"[{top_low:.4f}, {top_high:.4f}], RMSE [{rmse_low:.4f}, {rmse_high:.4f}].")


def _front_under_noise(frame: pd.DataFrame) -> list[str]:
    """How firm the front is: p_pareto is the share of 1,000 bootstrap resamples of every trial's
    seeds in which a trial is non-dominated."""
    if frame["p_pareto"].isna().all():
        return ["With one seed per trial the front's firmness cannot be measured (p_pareto needs 2).", ""]
    contenders = frame[~frame["pareto"] & (frame["p_pareto"] >= 0.2)].sort_values("p_pareto", ascending=False)
    named = ", ".join(f"{row.number} ({row.p_pareto:.2f})" for row in contenders.itertuples(index=False))
    return [f"p_pareto: the share of {BOOTSTRAP_RESAMPLES:,} bootstrap resamples of every trial's seed runs in which "
            f"a trial is on the front. Off the front but on it in at least 20 % of resamples: {named or 'none'}.", ""]


def searched_coordinates(study_attrs: dict) -> tuple[str, str]:
    """The coordinates the study searched its weights in (sweep.config.coordinates), from its stored spec."""
    names = {item.get("name") for item in recorded_spec(study_attrs).get("search", [])}
    return RATIO_AND_SCALE if set(RATIO_AND_SCALE) <= names else WEIGHTS


def coordinates_line(searched: tuple[str, str]) -> str:
    """Which coordinates the front was searched in, and where the other ones are."""
    if searched == RATIO_AND_SCALE:
        return ("Searched as `weight_ratio` (retrieval_weight / rating_weight) and `weight_scale` (their sum); "
                "every trial's two weights are beside them.")
    return ("Searched as `rating_weight` and `retrieval_weight`; trials.csv also gives each trial's "
            "`log10_weight_ratio` and `weight_scale`.")


def chosen_on_lines(front: pd.DataFrame, study_attrs: dict) -> list[str]:
    """Which split chose the front: the validation slice, with the front's test metrics beside (they chose
    nothing), or the test split itself, whose numbers the choice then flatters."""
    share = recorded_validation(study_attrs)
    if not share or "test_rmse" not in front.columns:
        return ["The front was chosen and measured on the same split (test): choosing among the trials on the numbers "
                "then reported keeps the lucky draws, so its numbers are optimistic. `[data] validation` chooses on "
                "held-out training rows instead.", ""]
    lines = [f"The front was chosen on the validation slice ({share:.0%} of the training rows, held out from "
             "training); the test split chose nothing and measures it:", "",
             "| trial | top-100 (validation) | top-100 (test) | RMSE (validation) | RMSE (test) |", "|---|---|---|---|---|"]
    for row in front.itertuples(index=False):
        lines.append(f"| {row.number} | {row.top_100_accuracy:.4f} | {row.test_top_100_accuracy:.4f} | "
                     f"{row.rmse:.4f} | {row.test_rmse:.4f} |")
    return lines + [""]


def split_line(study_attrs: dict) -> str:
    """Which split the study trained and tested on (studies before split kinds used a permutation)."""
    data = recorded_spec(study_attrs).get("data", {})
    kind = data.get("split", "permutation")
    if kind == "tutorial":
        line = "the tutorial's exact split (TFDS record order, its seed-42 shuffle, 80,000 / 20,000)"
    else:
        line = f"a permutation with split seed {data.get('split_seed', '?')}"
    if "rating_fraction" in data:  # sparse ratings: the tutorial's figures are for every row rated
        line += (f", with {data['rating_fraction']:g} of the training rows keeping their rating (every row trains "
                 "retrieval; the test split is whole)")
    return line


def recorded(command: str) -> str:
    """A command as a report shows it. Studies made before commands were recorded this way may
    hold a password or this machine's paths: never publish either."""
    return portable_command(redact(command), Path.cwd())


def _with_std(mean: float, std: float) -> str:
    if std is None or math.isnan(std) or std == 0:
        return f"{mean:.4f}"
    return f"{mean:.4f} ± {std:.4f}"

"""The page's opening words: what was run, what the front is, how it compares, what is undetermined.

Generated from summary.json alone (`document`, or a comparison's {"studies", "side_by_side"}), so
the page says nothing the data file does not hold, and a reader learns the result before the plot.
"""

from __future__ import annotations

import math

HOLDS, FAILS, UNDETERMINED = "holds", "fails", "undetermined"


def _front(study: dict) -> str:
    front = study.get("front") or []
    if not front:
        return "no front yet"
    rmse = [row["rmse"] for row in front]
    top = [row["top_100_accuracy"] for row in front]
    return (f"{len(front)} trial{'s' if len(front) != 1 else ''} on the front, RMSE {min(rmse):.3f}–{max(rmse):.3f} "
            f"and top-100 accuracy {min(top):.3f}–{max(top):.3f}")


def _knee(study: dict) -> str:
    knee = study.get("knee")
    row = next((row for row in study.get("front") or [] if row["number"] == knee), None)
    if row is None:
        return ""
    return f"; the knee, the point to serve, is trial {knee} (top-100 {row['top_100_accuracy']:.3f}, RMSE {row['rmse']:.3f})"


def _run(study: dict) -> str:
    health, spent = study.get("health", {}), study.get("compute") or {}
    trainings = f" from {spent['trainings']} trainings" if spent.get("trainings") else ""
    verb = "evaluated" if spent.get("kind") == "conditioned" else "trained"  # pairs of a few conditioned models
    return (f"Study {study['study']} {verb} {health.get('complete', 0)} weight pairs{trainings} "
            f"({health.get('trials', 0)} trials, {health.get('failed', 0)} failed)")


def _share(study: dict) -> str:
    volume = study.get("hypervolume") or {}
    share = volume.get("share") or {}
    value = share.get("value", volume.get("share_of_best"))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"Its hypervolume is {value:.1%} of {share.get('of', 'the best front stored')}."


def _open_questions(study: dict) -> list[str]:
    """What the study leaves undetermined: the tutorial's conclusions and the methods' verdicts."""
    open_ = [item["claim"] for item in (study.get("comparison") or {}).get("conclusions", [])
             if item.get("verdict") == UNDETERMINED]
    open_ += [f"whether {item['method']} is dominated" for item in study.get("methods") or []
              if item.get("rival_verdict", {}).get("verdict") == UNDETERMINED]
    beyond = study.get("beyond_trivial_baselines") or {}
    open_ += [f"whether any trial beats the {found['baseline']}" for found in beyond.get("objectives", {}).values()
              if found["verdict"]["verdict"] == UNDETERMINED]
    return open_


def _tutorial(study: dict) -> str:
    conclusions = (study.get("comparison") or {}).get("conclusions", [])
    if not conclusions:
        return ""
    count = {word: sum(item.get("verdict") == word for item in conclusions) for word in (HOLDS, FAILS, UNDETERMINED)}
    return (f"Of the tutorial's {len(conclusions)} conclusions checked on its pairs, "
            f"{_count(count[HOLDS], 'holds', 'hold')}, {_count(count[FAILS], 'fails', 'fail')} and "
            f"{_count(count[UNDETERMINED], 'is undetermined', 'are undetermined')}.")


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def sentences(data: dict) -> list[str]:
    """Three to five sentences that open the page."""
    if "studies" in data:
        return _comparison(data)
    study = data
    lines = [f"{_run(study)}: {_front(study)}{_knee(study)}."]
    lines += [text for text in (_share(study), _tutorial(study)) if text]
    open_ = _open_questions(study)
    lines.append("Undetermined with these seeds: " + "; ".join(open_) + "." if open_ else
                 "No verdict here is undetermined.")
    return lines[:5]


def _comparison(data: dict) -> list[str]:
    studies, rows = data["studies"], data.get("side_by_side") or []
    lines = ["Compared: " + "; ".join(f"{_run(study)}" for study in studies) + "."]
    lines.append(" ".join(f"{study['study']}: {_front(study)}{_knee(study)}." for study in studies))
    first = rows[0]["study"] if rows else None
    ratios = [f"{row['study']}'s hypervolume is {row['hypervolume_ratio']:.1%} of {first}'s front (all its trials), "
              f"for {row['trainings']} trainings against {rows[0]['trainings']}"
              for row in rows[1:] if row.get("hypervolume_ratio") is not None and not math.isnan(row["hypervolume_ratio"])]
    if ratios:
        lines.append("; ".join(ratios) + ".")
    open_ = [f"{study['study']}: {question}" for study in studies for question in _open_questions(study)]
    lines.append("Undetermined with these seeds: " + "; ".join(open_) + "." if open_ else
                 "No verdict here is undetermined.")
    return lines[:5]


def text(data: dict) -> str:
    return " ".join(sentences(data))

"""The README's figures come from committed result files: each one is found there, to the digits written.

Checked sections and their files: README.md's "What a real sweep shows" against
reports/tutorial/ (summary.json, summary.md), "Adaptive weighting against the tuned front"
against reports/methods/, "The whole front from one training" against benchmarks/results/conditioned.json
and reports/compare-tutorial-conditioned/summary.json (of which it must be exactly the rendering), "Tutorial baselines" against reports/baselines/
(baselines.json, baselines.md), "Performance" and "Cost at MovieLens sizes" against
benchmarks/results/*.json, of which they must also be exactly the rendering (benchmarks/readme.py);
studies/README.md's weight scan against benchmarks/results/scan-weights.json. The tutorial's
published figures count as a source too. The committed files must agree with each other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks.readme import GENERATED, RENDERERS, section_bounds
from sweep.baselines import TUTORIAL, markdown_table

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
STUDIES_README = (REPO / "studies" / "README.md").read_text(encoding="utf-8")
NUMBER = re.compile(r"[-−+]?\d+\.\d+")
PUBLISHED = [float(text) for published in TUTORIAL for text in
             (*(text for _, text in published.logged), f"{published.top_100_accuracy}", f"{published.rmse}")]


def section(title: str, document: str = README) -> str:
    start = document.index(f"## {title}\n")
    end = document.find("\n## ", start + 1)
    return document[start:end if end > 0 else None]


def numbers_of(value) -> list[float]:
    """Every number in a JSON document."""
    if isinstance(value, dict):
        return [number for item in value.values() for number in numbers_of(item)]
    if isinstance(value, list):
        return [number for item in value for number in numbers_of(item)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    return []


def decimals_in(text: str) -> list[str]:
    """The decimal numbers of a text, signed as Python writes them ("−" as "-", no "+")."""
    return [match.replace("−", "-").lstrip("+") for match in NUMBER.findall(text)]


def found(written: str, values: list[float], texts: str) -> bool:
    """A figure is found when a result value rounds to it, or the result files print it so."""
    digits = len(written.partition(".")[2])
    number = float(written)
    return any(abs(round(value, digits) - number) < 1e-9 or abs(round(-value, digits) - number) < 1e-9
               for value in values) or written in decimals_in(texts)


PERFORMANCE_RESULTS = [f"benchmarks/results/{name}.json" for name in
                       ("bench-trial", "ablation", "floor", "study-wall", "cost-growth", "samplers")]
# The performance section writes some results in other units than their files: seconds as
# milliseconds or minutes, shares as percentages.
UNIT_SCALES = {"Performance": (1000, 1 / 60, 100), "The whole front from one training": (100,)}
ONE_TRAINING = ["benchmarks/results/conditioned.json", "reports/compare-tutorial-conditioned/summary.json"]
SECTIONS = {
    "What a real sweep shows": (README, ["reports/tutorial/summary.json"], ["reports/tutorial/summary.md"]),
    "Adaptive weighting against the tuned front": (README, ["reports/methods/summary.json"],
                                                   ["reports/methods/summary.md"]),
    "Tutorial baselines": (README, ["reports/baselines/baselines.json"], ["reports/baselines/baselines.md"]),
    "The whole front from one training": (README, ONE_TRAINING, ONE_TRAINING),
    "Performance": (README, PERFORMANCE_RESULTS, PERFORMANCE_RESULTS),  # as text too: the machine's version strings
    "Cost at MovieLens sizes": (README, ["benchmarks/results/data-scale.json"], ["benchmarks/results/data-scale.json"]),
    "Why the weight ranges are what they are": (STUDIES_README, ["benchmarks/results/scan-weights.json",
                                                                 "reports/baselines/baselines.json"], []),
}


@pytest.mark.parametrize("title", SECTIONS)
def test_every_figure_in_a_results_section_is_in_its_result_files(title):
    document, data_files, text_files = SECTIONS[title]
    values = PUBLISHED + [number for name in data_files for number in numbers_of(json.loads((REPO / name).read_text()))]
    values += [value * scale for value in values for scale in UNIT_SCALES.get(title, ())]
    texts = "\n".join((REPO / name).read_text(encoding="utf-8") for name in text_files)
    text = section(title, document)
    figures = decimals_in(text)
    assert figures, f"no figures found in {title!r}"
    missing = [figure for figure in figures if not found(figure, values, texts)]
    assert not missing, f"{title!r} quotes figures its result files do not hold: {missing}"


def test_the_readmes_baselines_tables_are_the_committed_ones():
    committed = (REPO / "reports" / "baselines" / "baselines.md").read_text(encoding="utf-8")
    rows = [line for line in section("Tutorial baselines").splitlines() if line.startswith("| ")]
    assert len(rows) >= 18 and all(row in committed for row in rows)


def test_the_committed_baselines_table_is_rendered_from_its_json():
    document = json.loads((REPO / "reports" / "baselines" / "baselines.json").read_text())
    rendered = markdown_table(document["comparison"], document["summary"], document["context"])
    assert rendered == (REPO / "reports" / "baselines" / "baselines.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("title", GENERATED)
def test_the_performance_sections_are_exactly_what_the_result_files_render(title):
    start, end = section_bounds(README, title)
    assert README[start:end] == RENDERERS[title](), (
        f"README.md's {title!r} differs from benchmarks/results: run `python -m benchmarks.readme --write`")

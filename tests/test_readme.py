"""The README's figures come from committed result files: each one is found there, to the digits written.

Checked sections and their files: "What a real sweep shows" against reports/tutorial/
(summary.json, summary.md), "Tutorial baselines" against reports/baselines/ (baselines.json,
baselines.md). The committed files must agree with each other too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sweep.baselines import markdown_table

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
NUMBER = re.compile(r"[-−+]?\d+\.\d+")


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


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


@pytest.mark.parametrize("title, folder, files", [
    ("What a real sweep shows", "tutorial", ("summary.json", "summary.md")),
    ("Tutorial baselines", "baselines", ("baselines.json", "baselines.md")),
])
def test_every_figure_in_a_results_section_is_in_its_result_files(title, folder, files):
    data_file, text_file = (REPO / "reports" / folder / name for name in files)
    values = numbers_of(json.loads(data_file.read_text()))
    texts = text_file.read_text(encoding="utf-8")
    text = section(title)
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

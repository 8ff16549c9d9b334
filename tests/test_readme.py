"""The project's documents: the README is a short user's guide, and every figure the others quote comes
from a committed result file, found there to the digits written.

Checked sections and their files: reports/README.md's "What a real sweep shows" against
reports/tutorial/ (summary.json, summary.md), "Adaptive weighting against the tuned front"
against reports/methods/, "Does the joint model pay when ratings are sparse?" against
benchmarks/results/sparse-ratings.json and reports/sparse-*/summary.json, "The whole front from one
training" against benchmarks/results/conditioned*.json (of which it must be exactly the rendering), "Tutorial baselines" against reports/baselines/
(baselines.json, baselines.md); benchmarks/README.md's "Performance" and "Cost at MovieLens sizes" against
benchmarks/results/*.json, of which they must also be exactly the rendering (benchmarks/readme.py);
studies/README.md's weight scan against benchmarks/results/scan-weights.json. The tutorial's
published figures count as a source too. The committed files must agree with each other. Every link
between the documents reaches its file and heading, and the README's commands are the CLI's.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from benchmarks.readme import DOCUMENT_OF, GENERATED, RENDERERS, section_bounds
from sweep.baselines import TUTORIAL, markdown_table
from sweep.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
REPORTS_README = (REPO / "reports" / "README.md").read_text(encoding="utf-8")
BENCHMARKS_README = (REPO / "benchmarks" / "README.md").read_text(encoding="utf-8")
STUDIES_README = (REPO / "studies" / "README.md").read_text(encoding="utf-8")
DOCUMENTS = ["README.md", "reports/README.md", "benchmarks/README.md", "tests/README.md", "studies/README.md"]
README_MOST_LINES = 250
NUMBER = re.compile(r"[-−+]?\d+\.\d+")
PUBLISHED = [float(text) for published in TUTORIAL for text in
             (*(text for _, text in published.logged), f"{published.top_100_accuracy}", f"{published.rmse}")]


def section(title: str, document: str = README) -> str:
    start, end = section_bounds(document, title)
    return document[start:end]


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


def finder(values: list[float], texts: str):
    """A figure is found when a result value (or its negative) rounds to it, or the result files print it so;
    the values are rounded once per number of digits asked for, so many figures test quickly."""
    printed = set(decimals_in(texts))
    rounded: dict[int, set[float]] = {}

    def found(written: str) -> bool:
        digits = len(written.partition(".")[2])
        if digits not in rounded:
            rounded[digits] = {round(sign * value, digits) for value in values for sign in (1, -1)}
        return round(float(written), digits) in rounded[digits] or written in printed

    return found


PERFORMANCE_RESULTS = [f"benchmarks/results/{name}.json" for name in
                       ("bench-trial", "ablation", "floor", "study-wall", "cost-growth", "samplers")]
# The performance section writes some results in other units than their files: seconds as
# milliseconds or minutes, shares as percentages.
UNIT_SCALES = {"Performance": (1000, 1 / 60, 100), "The whole front from one training": (100, 1000),
               "Choosing the conditioned study's settings": (100,),
               "What the front is made of": (100,), "Deciding from the front: validation, stopping, pruning": (100,)}
ONE_TRAINING = ["benchmarks/results/conditioned.json", "benchmarks/results/conditioned-selection.json",
                "benchmarks/results/batched-evaluation.json", "reports/tutorial/summary.json",
                "reports/conditioned/summary.json", "benchmarks/results/conditioned-selection-2.json",
                "benchmarks/results/conditioned-round-2.json", "benchmarks/results/conditioned-round-1.json",
                "benchmarks/results/conditioned-selection-3.json", "benchmarks/results/conditioned-round-3.json",
                "benchmarks/results/conditioned-selection-4.json", "benchmarks/results/conditioned-round-4.json",
                "benchmarks/results/conditioned-selection-5.json", "benchmarks/results/conditioned-hybrid-selection.json",
                "benchmarks/results/conditioned-selection-6.json", "benchmarks/results/conditioned-selection-7.json",
                "benchmarks/results/conditioned-selection-8.json", "benchmarks/results/conditioned-round-5.json",
                "benchmarks/results/conditioned-selection-9.json", "benchmarks/results/conditioned-round-8.json",
                "benchmarks/results/conditioned-selection-10.json", "benchmarks/results/conditioned-round-9.json",
                "reports/hybrid/summary.json"]
SPARSE = ["benchmarks/results/sparse-ratings.json",
          *(f"reports/sparse-{fraction}/summary.json" for fraction in ("1.0", "0.2", "0.05", "0.01"))]
MADE_OF = ["benchmarks/results/front-made-of.json", "reports/tutorial/summary.json",
           *(f"reports/{name}/summary.json" for name in ("scale-scan", "ratio-only", "adam", "beyond"))]
MADE_OF_TEXTS = [*(f"reports/{name}/summary.md" for name in ("tutorial", "scale-scan", "ratio-only", "adam", "beyond")),
                 *(f"reports/{name}/trials.csv" for name in ("scale-scan", "adam", "beyond")),
                 "studies/scale-scan.toml", "studies/beyond.toml"]
DECIDING = [f"benchmarks/results/{name}.json" for name in ("validation-optimism", "patience", "pruning")]
SECTIONS = {
    "What a real sweep shows": (REPORTS_README, ["reports/tutorial/summary.json"],
                                ["reports/tutorial/summary.md"]),
    "Adaptive weighting against the tuned front": (REPORTS_README, ["reports/methods/summary.json"],
                                                   ["reports/methods/summary.md"]),
    "Tutorial baselines": (REPORTS_README, ["reports/baselines/baselines.json"], ["reports/baselines/baselines.md"]),
    "The whole front from one training": (REPORTS_README, ONE_TRAINING, ONE_TRAINING),
    "Choosing the conditioned study's settings": (BENCHMARKS_README, ONE_TRAINING, ONE_TRAINING),
    "Performance": (BENCHMARKS_README, PERFORMANCE_RESULTS, PERFORMANCE_RESULTS),  # as text too: the machine's version strings
    "Cost at MovieLens sizes": (BENCHMARKS_README, ["benchmarks/results/data-scale.json"],
                                ["benchmarks/results/data-scale.json"]),
    "Does the joint model pay when ratings are sparse?": (REPORTS_README, SPARSE, SPARSE),
    "What the front is made of": (REPORTS_README, MADE_OF, MADE_OF_TEXTS),
    "Deciding from the front: validation, stopping, pruning": (REPORTS_README, DECIDING, DECIDING),
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
    found = finder(values, texts)
    missing = [figure for figure in figures if not found(figure)]
    assert not missing, f"{title!r} quotes figures its result files do not hold: {missing}"


def test_the_readmes_baselines_tables_are_the_committed_ones():
    committed = (REPO / "reports" / "baselines" / "baselines.md").read_text(encoding="utf-8")
    rows = [line for line in section("Tutorial baselines", REPORTS_README).splitlines() if line.startswith("| ")]
    assert len(rows) >= 18 and all(row in committed for row in rows)


def test_the_committed_baselines_table_is_rendered_from_its_json():
    document = json.loads((REPO / "reports" / "baselines" / "baselines.json").read_text())
    rendered = markdown_table(document["comparison"], document["summary"], document["context"])
    assert rendered == (REPO / "reports" / "baselines" / "baselines.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("title", GENERATED)
def test_the_generated_sections_are_exactly_what_the_result_files_render(title):
    path = DOCUMENT_OF[title]
    assert path in (REPO / "reports" / "README.md", REPO / "benchmarks" / "README.md")
    document = path.read_text(encoding="utf-8")
    start, end = section_bounds(document, title)
    assert document[start:end] == RENDERERS[title](), (
        f"{path.relative_to(REPO)}'s {title!r} differs from benchmarks/results: run `python -m benchmarks.readme --write`")


def test_the_results_and_the_measurements_live_outside_the_readme():
    for title in SECTIONS:
        assert f"\n## {title}\n" not in README, f"README.md still holds {title!r}"
    assert "(reports/README.md)" in section("Results and performance")
    assert "(benchmarks/README.md)" in section("Results and performance")


def test_the_readme_is_a_short_guide():
    lines = README.count("\n")
    assert lines <= README_MOST_LINES, f"README.md has {lines} lines; at most {README_MOST_LINES}: move detail out"


def test_a_newcomer_finds_how_to_run_a_study_on_the_first_screen():
    first_screen = "\n".join(README.splitlines()[:50])
    for command in ("scripts/demo", "sweep run studies/", "sweep report "):
        assert command in first_screen


def test_the_readmes_test_command_is_the_one_ci_runs():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "`scripts/test`" in section("Tests") and 'scripts/test -m "not slow"' in section("Tests")
    assert re.search(r"^scripts/test$", ci, re.MULTILINE), ".ci/run no longer ends in the README's test command"


def heading_anchors(document: str) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", without_code(document), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def without_code(document: str) -> str:
    """The document with its code blocks and inline code blanked out: what is in them is not a link."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", document, flags=re.MULTILINE | re.DOTALL))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_link_and_image_reaches_its_file_and_heading(name):
    path = REPO / name
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", without_code(path.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists():
            broken.append(target)
        elif anchor and anchor not in heading_anchors(linked.read_text(encoding="utf-8")):
            broken.append(target)
    assert not broken, f"{name} links to what is not there: {broken}"


def help_of(*command: str) -> str:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    return output.getvalue()


def subcommands_of(*command: str) -> list[str]:
    """The subcommands `sweep ... --help` lists (argparse indents its choices by four spaces)."""
    return re.findall(r"^    (\w[\w-]*)", help_of(*command), re.MULTILINE)


def cli_commands(*prefix: str) -> list[tuple[str, ...]]:
    commands = []
    for name in subcommands_of(*prefix):
        nested = cli_commands(*prefix, name)
        commands += nested or [(*prefix, name)]
    return commands


def documented_commands() -> dict[tuple[str, ...], str]:
    """Each row of the README's commands table: the command's words, and the whole row."""
    rows = {}
    for row in section("Commands").splitlines():
        usage = re.match(r"\| `sweep ([^`]+)`", row)
        if usage:
            words = tuple(re.match(r"[a-z][a-z ]*[a-z]", usage.group(1)).group(0).split())
            rows[words] = row
    return rows


def test_the_commands_table_documents_every_command_the_cli_has():
    assert sorted(documented_commands()) == sorted(cli_commands())


@pytest.mark.parametrize("command", sorted(documented_commands()), ids=" ".join)
def test_every_flag_the_commands_table_shows_is_one_the_command_takes(command):
    flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-k)(?![\w-])", documented_commands()[command]))
    usage = help_of(*command)
    unknown = sorted(flag for flag in flags if not re.search(rf"(?<![\w-]){flag}(?![\w-])", usage))
    assert not unknown, f"the README shows `sweep {' '.join(command)}` with flags it does not take: {unknown}"

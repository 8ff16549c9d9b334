"""Every committed report is what its committed storage renders today.

A report is regenerated, never edited: its storage is kept in reports/storages/ (metrics and
attributes only, no MovieLens data), and its own summary names the command that made it. These
tests run that command again into a temporary directory and compare the tables a reader quotes.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = re.compile(r"- report command: `(sweep [^`]+)`")


def committed_reports() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "reports/*/summary.md"], cwd=ROOT, capture_output=True, text=True)
    return [ROOT / line for line in listed.stdout.split()] if listed.returncode == 0 else []


def without_commands(text: str) -> str:
    return COMMAND.sub("- report command: (as run)", text)


@pytest.mark.slow
@pytest.mark.parametrize("summary", committed_reports(), ids=lambda path: path.parent.name)
def test_a_committed_report_is_what_its_committed_storage_renders(summary, tmp_path):
    text = summary.read_text()
    args = shlex.split(COMMAND.search(text).group(1))[1:]
    storage = args[args.index("--storage") + 1]
    assert storage.startswith("sqlite:///reports/storages/"), f"{summary.parent.name} was made from {storage}"
    assert (ROOT / storage.removeprefix("sqlite:///")).is_file()
    args[args.index("--out") + 1] = str(tmp_path / "out")
    done = subprocess.run([sys.executable, "-m", "sweep", *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rendered = tmp_path / "out"
    assert without_commands((rendered / "summary.md").read_text()) == without_commands(text)
    assert (rendered / "trials.csv").read_text() == (summary.parent / "trials.csv").read_text()

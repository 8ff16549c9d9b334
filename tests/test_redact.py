"""Credentials are masked in every form a storage URL or command line can carry them."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sweep.redact import portable_command, redact, redact_command


@pytest.mark.parametrize(
    "text, expected",
    [
        ("postgresql://sweep:s3cret@db:5432/sweep", "postgresql://sweep:***@db:5432/sweep"),
        ("postgresql+psycopg://u:with/slash:colon@db/x", "postgresql+psycopg://u:***@db/x"),
        ("mysql://root:@db/x", "mysql://root:***@db/x"),
        ("postgresql://u@db/x?sslmode=require&password=s3cret", "postgresql://u@db/x?sslmode=require&password=***"),
        ("host=db password=s3cret dbname=x", "host=db password=*** dbname=x"),
        ("cannot open postgresql://a:b@h/x: refused", "cannot open postgresql://a:***@h/x: refused"),
    ],
)
def test_passwords_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["sqlite:///studies/sweep.db", "postgresql://db:5432/sweep", "postgresql://u@db/x", "run --out a@b --storage db:1"],
)
def test_text_without_a_password_is_unchanged(text):
    assert redact(text) == text


def test_a_command_line_is_redacted_argument_by_argument_and_stays_a_valid_shell_line():
    argv = ["sweep", "report", "demo", "--storage", "postgresql://u:pass word@db/x", "--out", "my reports"]
    line = redact_command(argv)
    assert "pass" not in line
    assert shlex.split(line) == ["sweep", "report", "demo", "--storage", "postgresql://u:***@db/x", "--out", "my reports"]


PROJECT = Path("/home/someone/project")


@pytest.mark.parametrize(
    "command, expected",
    [
        ("sweep run studies/t.toml --storage sqlite:////tmp/x/s.db --artifacts /tmp/x/models --quiet",
         'sweep run studies/t.toml --storage "$SWEEP_STORAGE" --artifacts "$SWEEP_ARTIFACTS" --quiet'),
        ("sweep run /home/someone/project/studies/t.toml --storage=sqlite:////home/someone/project/s.db",
         "sweep run studies/t.toml --storage=sqlite:///s.db"),
        ("sweep report t --out /home/someone/project/reports/t --data-dir /data/cache",
         'sweep report t --out reports/t --data-dir "$SWEEP_DATA_DIR"'),
        ("sweep run /elsewhere/t.toml", "sweep run '<outside the project>/t.toml'"),
        ("sweep report t --storage 'postgresql://u:***@db/x'", "sweep report t --storage 'postgresql://u:***@db/x'"),
    ],
)
def test_recorded_commands_name_paths_relative_to_the_project_or_by_a_placeholder(command, expected):
    assert portable_command(command, PROJECT) == expected

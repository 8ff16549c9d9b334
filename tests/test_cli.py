"""The command line: fast help, no TensorFlow where no model is built, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys
from sweep import cli
try:
    code = cli.main({argv!r})
except SystemExit as exit:
    code = exit.code
assert "tensorflow" not in sys.modules, "tensorflow was imported"
sys.exit(code)
"""


@pytest.mark.parametrize(
    "argv, exit_code",
    [
        (["--help"], 0),
        (["run", "--help"], 0),
        (["studies", "--storage", "sqlite:///{tmp}/s.db"], 0),
        (["run", "{tmp}/missing.toml"], 2),
    ],
)
def test_commands_that_build_no_model_never_import_tensorflow(tmp_path, argv, exit_code):
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    result = subprocess.run([sys.executable, "-c", CHECK.format(argv=argv)], capture_output=True, text=True, timeout=120)
    assert result.returncode == exit_code, result.stderr


@pytest.mark.slow
def test_the_package_selects_keras_2_before_tensorflow_loads():
    script = "import sweep, os; import tensorflow as tf; import tensorflow_recommenders; print(os.environ['TF_USE_LEGACY_KERAS'], tf.keras.__name__)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "1" and "tf_keras" in result.stdout


def test_unknown_subcommand_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "sweep", "frobnicate"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize("argv", [["frobnicate"], ["run"], ["baselines", "--seeds", "many"]])
def test_a_bad_command_line_is_one_error_line(argv):
    result = subprocess.run([sys.executable, "-m", "sweep", *argv], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("sweep: error: ")


def test_a_reader_that_goes_away_stops_the_command_quietly(tmp_path):
    # `sweep studies | head -0`: the pipe is closed before the command writes; like Unix tools it
    # stops with 141 (128 + SIGPIPE) and says nothing, instead of a BrokenPipeError traceback.
    process = subprocess.Popen([sys.executable, "-m", "sweep", "studies", "--storage", f"sqlite:///{tmp_path}/s.db"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # the reader is gone before the first line
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141, stderr
    assert stderr == ""

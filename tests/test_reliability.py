"""The reliability battery: bad input, faults, kills and concurrency — with nothing lost.

`pytest -m reliability` runs exactly this file. Workers are real `sweep run` processes;
the trainer is the fake one (tests/fake_trainer.py: metrics = f(weights), optional delays
and faults), except in the smoke and reproducibility cases, which train the real model
on the small synthetic dataset. Heartbeats are shortened (1 s, grace 2 s) where a kill
is tested.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import optuna
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sweep import UsageError
from sweep.report import plots
from sweep.report.table import trials_frame
from tests import numeric_inputs as numbers
from tests.fake_trainer import expected_metrics
from tests.helpers import REPO, by_state, environment, study_file, study_text, sweep_cli, sweep_run, sweep_start, trials, wait_for_calls
from tests.test_pareto import brute_force

pytestmark = pytest.mark.reliability

HEARTBEAT = {"SWEEP_HEARTBEAT_SECONDS": 1, "SWEEP_GRACE_SECONDS": 2}


def values_match_the_fake_trainer(trial) -> bool:
    expected = expected_metrics(trial.user_attrs["rating_weight"], trial.user_attrs["retrieval_weight"])
    return trial.values == [expected["top_100_accuracy"], expected["rmse"]]


# 1. Bad study files ------------------------------------------------------------------------

CONDITIONED_FILE = ("[study]\nname='x'\nkind='conditioned'\n[search.rating_weight]\nlow=0.1\nhigh=10.0\n"
                    "[search.retrieval_weight]\nlow=1e-3\nhigh=1.0\n[conditioned]\n")
BAD_FILES = {
    "invalid TOML": ("[study\nname = 'x'", "invalid TOML"),
    "unknown key": ("[study]\nname = 'x'\ncolour = 1\n", "study.colour"),
    "missing key": ("[study]\nseed = 1\n", "study.name"),
    "negative weight": ("[study]\nname='x'\n[search.rating_weight]\nlow=-1.0\nhigh=1.0\nlog=false\n"
                        "[search.retrieval_weight]\nlow=1e-3\nhigh=1.0\n", "search.rating_weight.low"),
    "nan": ("[study]\nname='x'\n[search.rating_weight]\nlow=nan\nhigh=1.0\n[search.retrieval_weight]\nlow=1e-3\nhigh=1.0\n",
            "search.rating_weight.low"),
    "inf": ("[study]\nname='x'\n[search.rating_weight]\nlow=1e-3\nhigh=inf\n[search.retrieval_weight]\nlow=1e-3\nhigh=1.0\n",
            "search.rating_weight.high"),
    "low > high": ("[study]\nname='x'\n[search.rating_weight]\nlow=2.0\nhigh=1.0\n[search.retrieval_weight]\nlow=1e-3\nhigh=1.0\n",
                   "search.rating_weight"),
    "unknown sampler": ("[study]\nname='x'\nsampler='cmaes-ish'\n[search.rating_weight]\nlow=1e-3\nhigh=1.0\n"
                        "[search.retrieval_weight]\nlow=1e-3\nhigh=1.0\n", "study.sampler"),
    "negative verify": (CONDITIONED_FILE + "verify = -1\n", "conditioned.verify"),
    "fractional verify": (CONDITIONED_FILE + "verify = 2.5\n", "conditioned.verify"),
    "verify as text": (CONDITIONED_FILE + "verify = \"all\"\n", "conditioned.verify"),
    "unknown direction": ("[study]\nname='x'\ndirections=['up', 'minimize']\n[search.rating_weight]\nlow=1e-3\nhigh=1.0\n"
                          "[search.retrieval_weight]\nlow=1e-3\nhigh=1.0\n", "study.directions"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_study_files_exit_2_with_one_line_naming_file_and_key(tmp_path, sqlite_storage, synthetic_dir, case):
    text, key = BAD_FILES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = sweep_run(path, sqlite_storage, synthetic_dir)
    assert result.returncode == 2
    assert result.stderr.startswith(f"sweep: error: {path}:") and key in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "studies.db").exists()


# 2. Missing dataset and 3. unreachable storage -----------------------------------------------------

def test_missing_data_is_one_line_and_leaves_the_storage_untouched(tmp_path, sqlite_storage):
    result = sweep_run(study_file(tmp_path), sqlite_storage, tmp_path / "no-data")
    assert result.returncode == 1
    assert result.stderr.startswith("sweep: error: no synthetic dataset at ")
    assert "sweep data fetch --source synthetic" in result.stderr
    assert not (tmp_path / "studies.db").exists()

@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://sweep:s3cret@127.0.0.1:1/sweep", "postgresql://sweep:***@127.0.0.1:1/sweep"),
        ("sqlite:///{tmp}/missing/dir/studies.db", "does not exist"),
    ],
)
def test_an_unreachable_storage_is_one_line_with_the_password_hidden(tmp_path, synthetic_dir, url, shown):
    started = time.monotonic()
    result = sweep_run(study_file(tmp_path), url.format(tmp=tmp_path), synthetic_dir)
    assert result.returncode == 1
    assert time.monotonic() - started < 30
    assert result.stderr.startswith("sweep: error: cannot open storage") and shown in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_read_only_storage_directory_is_one_line(tmp_path, synthetic_dir):
    result = sweep_run(study_file(tmp_path), "sqlite:////proc/studies.db", synthetic_dir)
    assert result.returncode == 1
    assert result.stderr.startswith("sweep: error: cannot open storage") and "Traceback" not in result.stderr


# 3b. Credentials never published -------------------------------------------------------------

SECRET = "Pa55-w0rd-never-shown"
CLOSED = f"postgresql://sweep:{SECRET}@127.0.0.1:1/sweep"  # a closed port: every command fails to connect
STORAGE_COMMANDS = {
    "run": ["run", "{study}", "--quiet"],
    "studies": ["studies"],
    "report": ["report", "s", "--out", "{tmp}/report"],
    "compare": ["compare", "s", "t", "--out", "{tmp}/compare"],
    "predict": ["predict", "s", "--user", "1", "--movie", "x"],
    "recommend": ["recommend", "s", "--user", "1"],
    "export": ["export", "s", "--out", "{tmp}/exported"],
}


@pytest.mark.parametrize("how", ["--storage", "$SWEEP_STORAGE"])
@pytest.mark.parametrize("command", STORAGE_COMMANDS)
def test_no_command_taking_a_storage_shows_its_password(tmp_path, synthetic_dir, monkeypatch, capsys, command, how):
    from sweep import cli

    argv = [arg.format(study=study_file(tmp_path), tmp=tmp_path) for arg in STORAGE_COMMANDS[command]]
    monkeypatch.setenv("SWEEP_DATA_DIR", str(synthetic_dir))
    if how == "--storage":
        argv += ["--storage", CLOSED]
    else:
        monkeypatch.setenv("SWEEP_STORAGE", CLOSED)
    code = cli.main(argv)
    printed = capsys.readouterr()
    assert code == 1
    assert printed.err.startswith("sweep: error: cannot open storage postgresql://sweep:***@127.0.0.1:1/sweep")
    assert SECRET not in printed.err + printed.out


def test_the_stored_command_line_has_its_credentials_redacted(tmp_path, synthetic_dir, monkeypatch):
    from sweep import cli, workers

    recorded = []
    monkeypatch.setattr(workers, "run_sweep", lambda spec, options, progress: recorded.append(options) or 0)
    monkeypatch.setenv("SWEEP_DATA_DIR", str(synthetic_dir))
    assert cli.main(["run", str(study_file(tmp_path)), "--quiet", "--storage", CLOSED]) == 0
    assert recorded[0].command.endswith("--storage 'postgresql://sweep:***@127.0.0.1:1/sweep'")
    assert SECRET not in recorded[0].command


def test_a_report_redacts_a_password_an_older_study_stored(tmp_path, sqlite_storage, synthetic_dir):
    assert sweep_run(study_file(tmp_path, n_trials=4), sqlite_storage, synthetic_dir).returncode == 0
    study = optuna.load_study(study_name="s", storage=sqlite_storage)
    study.set_user_attr("command", f"sweep run s.toml --storage postgresql://sweep:{SECRET}@db-host/sweep")
    result = sweep_cli(["report", "s", "--storage", sqlite_storage, "--out", tmp_path / "report"])
    assert result.returncode == 0, result.stderr
    written = {path.name: path.read_bytes() for path in (tmp_path / "report").iterdir()}
    assert "summary.md" in written and "index.html" in written
    assert not [name for name, content in written.items() if SECRET.encode() in content]
    assert b"postgresql://sweep:***@db-host/sweep" in written["summary.md"]


@pytest.mark.slow
@pytest.mark.postgres
def test_a_password_in_a_real_postgresql_url_is_never_recorded_or_shown(tmp_path, postgres_storage, synthetic_dir):
    """The test server trusts loopback, so any password connects: give it one nobody may see."""
    secret_url = re.sub(r"://([^:/@]+):[^@]*@", rf"://\1:{SECRET}@", postgres_storage)
    name = "secret"
    path = study_file(tmp_path, name=name, n_trials=4)
    outputs = [sweep_run(path, secret_url, synthetic_dir)]
    for argv in (["studies"], ["report", name, "--out", tmp_path / "report"], ["compare", name, name, "--out", tmp_path / "compare"],
                 ["predict", name, "--user", "1", "--movie", "x"], ["recommend", name, "--user", "1"],
                 ["report", name, "--storage", secret_url, "--out", tmp_path / "report2"]):
        outputs.append(sweep_cli(argv, synthetic_dir, cwd=tmp_path, SWEEP_STORAGE=secret_url))
    assert [result.returncode for result in outputs[:4]] == [0, 0, 0, 0], [r.stderr for r in outputs]
    assert not [result.args for result in outputs if SECRET in result.stdout + result.stderr]
    study = optuna.load_study(study_name=name, storage=postgres_storage)
    assert SECRET not in json.dumps(study.user_attrs) and ":***@" in study.user_attrs["command"]
    assert not [t.number for t in study.get_trials() if SECRET in json.dumps(t.user_attrs)]
    for folder in ("report", "compare", "report2"):
        leaked = [p.name for p in (tmp_path / folder).iterdir() if SECRET.encode() in p.read_bytes()]
        assert not leaked, (folder, leaked)
    assert ":***@" in (tmp_path / "report2" / "summary.md").read_text()


# 3c. Names and paths -------------------------------------------------------------------------

PATH_CASES = {
    # what is wrong: (argv, the words the one error line must hold)
    "study named ..": (["run", "{dots_study}"], "study.name: '..' must start with a letter or digit"),
    "report of a study named ..": (["report", ".."], "the name '..' would put the output outside reports/"),
    "report named into a parent": (["report", "a/../../x"], "would put the output outside reports/"),
    "compare named out of reports": (["compare", "../../../x"], "would put the output outside reports/"),
    "export --out a file": (["export", "s", "--out", "{file}"], "--out {file} is a file, not a directory"),
    "report --out a file": (["report", "s", "--out", "{file}"], "--out {file} is a file, not a directory"),
    "report --out below a file": (["report", "s", "--out", "{file}/r"], "{file} is a file, not a directory"),
    "baselines --out a file": (["baselines", "--out", "{file}"], "--out {file} is a file, not a directory"),
    "run --artifacts a file": (["run", "{study}", "--artifacts", "{file}"], "--artifacts {file} is a file"),
    "run --data-dir a file": (["run", "{study}", "--data-dir", "{file}"], "--data-dir {file} is a file"),
    "data fetch --data-dir a file": (["data", "fetch", "--source", "synthetic", "--data-dir", "{file}"],
                                     "--data-dir {file} is a file"),
    "data info --data-dir a file": (["data", "info", "--data-dir", "{file}"], "--data-dir {file} is a file"),
    "recommend --data-dir a file": (["recommend", "s", "--user", "1", "--data-dir", "{file}", "--exclude-seen"],
                                    "--data-dir {file} is a file"),
    "run --storage a directory": (["run", "{study}", "--storage", "sqlite:///{tmp}"], "is a directory, not a database"),
    "studies --storage a directory": (["studies", "--storage", "sqlite:///{tmp}"], "is a directory, not a database"),
    "run --storage below a file": (["run", "{study}", "--storage", "sqlite:///{file}/s.db"], "is a file, not a directory"),
}


@pytest.mark.parametrize("case", PATH_CASES)
def test_a_path_or_name_that_leads_astray_is_one_line_before_any_work(tmp_path, synthetic_dir, case):
    argv, words = PATH_CASES[case]
    (tmp_path / "a-file").write_text("precious")
    (tmp_path / "dots").mkdir()
    fields = {"file": tmp_path / "a-file", "tmp": tmp_path, "study": study_file(tmp_path),
              "dots_study": study_file(tmp_path / "dots", name="..")}
    argv = [arg.format(**fields) for arg in argv]
    if "--storage" not in argv and argv[0] not in ("data", "baselines"):
        argv += ["--storage", f"sqlite:///{tmp_path / 'studies.db'}"]
    before = sorted(path.name for path in tmp_path.iterdir())
    result = sweep_cli(argv, synthetic_dir, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("sweep: error: ") and words.format(**fields) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # nothing written, no storage created
    assert (tmp_path / "a-file").read_text() == "precious"


@pytest.fixture
def read_only_directory(tmp_path):
    """A directory on a read-only file system (a tmpfs remounted read-only; needs root)."""
    target = tmp_path / "read-only"
    target.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True, capture_output=True)
    yield target
    subprocess.run(["umount", str(target)], check=True, capture_output=True)


@pytest.mark.parametrize("flag", ["--artifacts", "--out"])
def test_a_directory_that_cannot_be_written_is_one_line_before_any_work(tmp_path, synthetic_dir, read_only_directory, flag):
    argv = ["run", study_file(tmp_path), "--artifacts", read_only_directory / "models"] if flag == "--artifacts" else \
        ["report", "s", "--out", read_only_directory / "report"]
    result = sweep_cli([*argv, "--storage", f"sqlite:///{tmp_path / 'studies.db'}"], synthetic_dir, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"sweep: error: {flag} {read_only_directory / argv[-1].name}: {read_only_directory} "
                                     "is not writable; give a directory you can write to")
    assert not (tmp_path / "studies.db").exists()


# 3d. The disk fills ---------------------------------------------------------------------------

def mount_tmpfs(target: Path, size: str) -> Path:
    """A size-limited file system of our own (needs root), so a write meets a real ENOSPC."""
    target.mkdir(parents=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    return target


def fill(directory: Path) -> Path:
    """Write zeros until the file system is full; returns the filler (delete it to free the space)."""
    filler = directory / "filler"
    with open(filler, "wb") as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
                stream.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


@pytest.fixture
def small_disk(tmp_path):
    mounted = []

    def make(size: str) -> Path:
        mounted.append(mount_tmpfs(tmp_path / f"disk{len(mounted)}", size))
        return mounted[-1]

    yield make
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def one_error_line(result, *words) -> bool:
    lines = result.stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("sweep: error: ") and all(word in lines[0] for word in words)


def test_a_full_disk_while_caching_the_data_is_one_line_and_leaves_nothing(small_disk, tmp_path):
    disk = small_disk("64k")
    result = sweep_cli(["data", "fetch", "--source", "synthetic", "--data-dir", disk], cwd=tmp_path)
    assert result.returncode == 1
    assert one_error_line(result, f"cannot write the synthetic cache in {disk}", "No space left on device")
    assert list(disk.iterdir()) == []


def test_a_full_disk_while_caching_the_split_still_gives_the_split_and_leaves_nothing(small_disk, synthetic_dataset,
                                                                                      caplog):
    from sweep import data

    disk = small_disk("4m")
    copy = data.fetch("synthetic", disk, report=lambda message: None)
    fill(disk)
    split = data.load_split(copy, seed=5)
    assert split.fingerprint == data.load_split(synthetic_dataset, seed=5).fingerprint
    assert "the split is not cached (No space left on device)" in caplog.text
    assert not list((copy.path / "splits").glob("*"))  # no half-written cache file


def test_a_full_disk_while_keeping_a_model_fails_that_trial_only_and_a_later_run_completes(
        small_disk, tmp_path, sqlite_storage, synthetic_dir):
    disk = small_disk("1m")
    path = study_file(tmp_path)
    keep = {"SWEEP_FAKE_KEEP_MODEL": 1}
    assert sweep_run(path, sqlite_storage, synthetic_dir, "--trials", "3", "--artifacts", disk, **keep).returncode == 0
    kept = {t.number: t.user_attrs["model_artifact"] for t in trials(sqlite_storage)}
    filler = fill(disk)
    result = sweep_run(path, sqlite_storage, synthetic_dir, "--artifacts", disk, **keep)
    assert result.returncode == 1
    assert one_error_line(result, "cannot store the model of trial 3", "No space left on device")
    done = trials(sqlite_storage)
    assert {t.number: t.user_attrs["model_artifact"] for t in by_state(done, "COMPLETE")} == kept  # nothing lost
    assert [(t.number, t.user_attrs["fail_reason"]) for t in by_state(done, "FAIL")] == [(3, "model not stored")]
    assert not [p.name for p in disk.iterdir() if p.name.startswith(".")]  # no half-written model
    filler.unlink()
    assert sweep_run(path, sqlite_storage, synthetic_dir, "--artifacts", disk, **keep).returncode == 0
    done = trials(sqlite_storage)
    assert len(by_state(done, "COMPLETE")) == 6 and not by_state(done, "RUNNING")
    assert all(values_match_the_fake_trainer(t) for t in by_state(done, "COMPLETE"))
    assert all((disk / t.user_attrs["model_artifact"]).exists() for t in by_state(done, "COMPLETE"))


@pytest.mark.slow  # seconds of real processes or whole reports: the full suite runs it
def test_a_full_disk_while_writing_a_report_keeps_the_previous_one_whole(small_disk, tmp_path, sqlite_storage,
                                                                         synthetic_dir):
    disk = small_disk("2m")
    assert sweep_run(study_file(tmp_path), sqlite_storage, synthetic_dir).returncode == 0
    assert sweep_cli(["report", "s", "--storage", sqlite_storage, "--out", disk / "r"]).returncode == 0
    previous = {p.name: p.read_bytes() for p in (disk / "r").iterdir()}
    assert sweep_run(study_file(tmp_path), sqlite_storage, synthetic_dir, "--trials", "8").returncode == 0
    fill(disk)
    result = sweep_cli(["report", "s", "--storage", sqlite_storage, "--out", disk / "r"])
    assert result.returncode == 1
    assert one_error_line(result, f"cannot write the report to {disk / 'r'}", "No space left on device")
    assert {p.name: p.read_bytes() for p in (disk / "r").iterdir()} == previous
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "r"]  # no staging left behind


# 3e. Strange input, generated -------------------------------------------------------------------

STUDY_FILES = 300  # generated study files per run
generated = {"study files": 0, "command lines": 0}

scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.text(max_size=12),
    st.sampled_from([0, 1, -1, 1e-320, 1e308, 2**63, 2**63 - 1, 2**32, 0.5, "", "10 s", "tpe", "grid", "all"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
# every numeric key (found as numeric_inputs finds them), and the others
KNOWN_KEYS = sorted({key.rsplit(".", 1)[1] for key in numbers.numeric_keys()} | {
    "name", "sampler", "objectives", "directions", "keep_models", "method", "log", "enqueue", "methods", "activation",
    "candidates", "dataset", "source", "split", "draws", "pairs_of", "optimizer"})
SECTIONS = ["study", "search", "search.rating_weight", "search.retrieval_weight", "search.learning_rate", "search.x",
            "search.weight_ratio", "search.weight_scale",
            "model", "train", "data", "baselines", "conditioned", "extra"]
BASES = [study_text(study={"replicates": 2}),  # a per-pair study, and a conditioned one
         study_text(study={"replicates": 2, "method": "conditioned"}, conditioned={"grid": 3, "zero_share": 0.1})]


def toml_literal(value) -> str:
    """Any generated value as TOML (non-finite floats included); inline tables for nesting."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else "-inf" if value == float("-inf")
                                             else repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(key, ensure_ascii=False)} = {toml_literal(item)}" for key, item in value.items()) + "}"


@st.composite
def study_documents(draw) -> str:
    """A valid study file with random edits: keys set to strange values, strange keys added, lines dropped,
    or, now and then, plain garbage."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))
    lines = draw(st.sampled_from(BASES)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["set", "add", "drop", "section"]))
        if action == "drop" and lines:
            lines.pop(draw(st.integers(0, len(lines) - 1)))
        elif action == "section":
            lines.append(f"[{draw(st.sampled_from(SECTIONS))}]")
        else:
            key = draw(st.sampled_from(KNOWN_KEYS)) if action == "set" else draw(st.text(min_size=1, max_size=10))
            position = draw(st.integers(0, len(lines)))
            lines.insert(position, f"{json.dumps(key, ensure_ascii=False)} = {toml_literal(draw(values))}")
    return "\n".join(lines) + "\n"


def ends_well(result) -> bool:
    """Success, or exactly one `sweep: error:` line with exit 2 (bad input) or 1 (a documented failure)."""
    if result.returncode == 0:
        return True
    lines = result.stderr.strip().splitlines()
    return result.returncode in (1, 2) and len(lines) == 1 and lines[0].startswith("sweep: error: ")


@pytest.mark.slow  # 300 generated study files: seconds the quick loop cannot spare
@settings(max_examples=STUDY_FILES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=study_documents())
def test_generated_study_files_end_in_success_or_one_error_line(tmp_path, document):
    generated["study files"] += 1
    path = tmp_path / "generated.toml"
    path.write_text(document, encoding="utf-8")
    with tempfile.TemporaryDirectory() as empty:  # no dataset: a valid file stops at the data, never trains
        result = sweep_cli(["run", path, "--storage", f"sqlite:///{empty}/s.db"], Path(empty), cwd=empty)
    assert ends_well(result), (document, result.returncode, result.stderr)
    if result.returncode == 1:
        assert "no synthetic dataset" in result.stderr or "no movielens-100k dataset" in result.stderr


def subcommand_flags() -> dict[str, list[str]]:
    """Every option of every subcommand, read from the parser: a new flag is generated at once."""
    from sweep.cli import build_parser

    return {command: [action.option_strings[0] for action in parser.arguments
                      if action.option_strings and action.option_strings[0] != "-h"]
            for command, parser in numbers.leaf_parsers(build_parser()).items()}


SUBCOMMAND_FLAGS = subcommand_flags()
# The generated command lines come in groups, one around each numeric flag of each subcommand and one
# for each subcommand without any: every flag meets the edge values in every run.
TARGETS = sorted(numbers.FLAGS) + sorted(command for command, flags in SUBCOMMAND_FLAGS.items()
                                         if not any(f"{command} {flag}" in numbers.FLAGS for flag in flags))
LINES_PER_TARGET = 20
COMMAND_LINES = LINES_PER_TARGET * len(TARGETS)  # generated command lines per run


@st.composite
def command_lines(draw, places: dict, target: str) -> list[str]:
    """The target's subcommand with random flags and values around the target flag, which gets an edge
    value (nan, ±inf, -1, 0, 1e308, 2**63, 1e99999, spaces, a unit) as `--flag value` or `--flag=value`;
    Unicode, NUL bytes, paths that are files, missing or unwritable, storage URLs that go nowhere."""
    command, flag = target.rsplit(" ", 1) if target in numbers.FLAGS else (target, None)
    argv = command.split()
    tokens = st.one_of(
        st.sampled_from(SUBCOMMAND_FLAGS[command]).map(lambda flag: [flag]),
        st.text(max_size=12).map(lambda text: [text]),
        st.sampled_from(["0", "-1", "1e9", "nan", "inf", "99999999999999999999", "..", "/", "a\x00b", "--help",
                         "s", "synthetic", "movielens-100k", "unique_titles", "bogus"]).map(lambda text: [text]),
        st.sampled_from(sorted(places.values())).map(lambda text: [text]),
    )
    chunks = draw(st.lists(tokens, max_size=7))
    if flag:
        text, joined = draw(st.sampled_from(numbers.flag_texts(numbers.FLAGS[target]))), draw(st.booleans())
        chunks.insert(draw(st.integers(0, len(chunks))), [f"{flag}={text}"] if joined else [flag, text])
    for chunk in chunks:
        argv += chunk
    if command == "data fetch":  # never the network: only the synthetic source or nonsense
        argv += ["--source", draw(st.sampled_from(["synthetic", "nowhere", ""]))]
    return argv


@pytest.mark.slow  # COMMAND_LINES command lines: seconds the quick loop cannot spare
@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=LINES_PER_TARGET, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_command_lines_end_in_success_or_one_error_line(tmp_path, data, target):
    generated["command lines"] += 1
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "a-file").write_text("x")
        (scratch / "study.toml").write_text(study_text())
        places = {"file": str(scratch / "a-file"), "missing": str(scratch / "missing" / "deeper"),
                  "study": str(scratch / "study.toml"), "dir": str(scratch),
                  "sqlite": f"sqlite:///{scratch}/s.db", "sqlite-dir": f"sqlite:///{scratch}",
                  "postgres": "postgresql://u:pw@127.0.0.1:1/x", "odd-url": "mysql+nothing://?", "proc": "/proc/x"}
        argv = data.draw(command_lines(places, target))
        empty = scratch / "data"  # the data dir: empty, so nothing ever trains
        result = sweep_cli(argv, empty, cwd=scratch, SWEEP_STORAGE=f"sqlite:///{scratch}/default.db")
    assert ends_well(result), (argv, result.returncode, result.stderr)


def test_the_generated_cases_all_ran():
    """Run after the two generators (file order): every generated case was tried."""
    if generated["study files"] == 0 or generated["command lines"] == 0:
        pytest.skip("run with the generators to count their cases")
    assert generated["study files"] >= STUDY_FILES and generated["command lines"] >= COMMAND_LINES


# 3f. Numbers that mean nothing, refused before any work -----------------------------------------------

PARSED = {  # each subcommand with its required arguments, to parse one more flag
    "data fetch": ["data", "fetch"], "data split": ["data", "split"], "baselines": ["baselines"], "run": ["run", "s.toml"],
    "predict": ["predict", "s", "--user", "1", "--movie", "x"], "recommend": ["recommend", "s", "--user", "1"],
    "export": ["export", "s", "--out", "x"], "pick": ["pick", "s"],
}
WORK = {  # each subcommand as it would do work with a valid number: train, fetch, cache, write or serve
    "data fetch": ["data", "fetch", "--source", "synthetic", "--data-dir", "{data}"],  # a size makes new data
    "data split": ["data", "split", "--dataset", "synthetic", "--data-dir", "{data}", "--split-seed", "7"],
    "baselines": ["baselines", "--dataset", "synthetic", "--seeds", "1", "--data-dir", "{data}", "--out", "{world}/b"],
    "run": ["run", "{study}", "--storage", "{storage}", "--quiet", "--data-dir", "{data}", "--artifacts",
            "{artifacts}", "--trials", "8"],
    "predict": ["predict", "s", "--storage", "{storage}", "--user", "1", "--movie", "x"],
    "recommend": ["recommend", "s", "--storage", "{storage}", "--user", "1", "--exclude-seen", "--data-dir", "{data}"],
    "export": ["export", "s", "--storage", "{storage}", "--out", "{world}/exported"],
    "pick": ["pick", "s", "--storage", "{storage}"],
}
FLAG_CASES = sum(len(numbers.flag_texts(number)) for number in numbers.FLAGS.values())
KEY_CASES = len(numbers.KEYS) * len(numbers.TOML_EDGES)


def test_every_numeric_flag_and_study_file_key_is_stated_and_has_a_command_to_try_it_in():
    assert set(numbers.numeric_flags()) == set(numbers.FLAGS)
    assert numbers.numeric_keys() == set(numbers.KEYS)
    assert {flag.rsplit(" ", 1)[0] for flag in numbers.FLAGS} == set(PARSED) == set(WORK)
    assert set(numbers.FLAGS) <= set(TARGETS)  # and generated command lines built around it


@pytest.mark.parametrize("flag", sorted(numbers.FLAGS))
def test_a_numeric_flag_honours_what_it_accepts_and_refuses_the_rest_in_one_line(flag, capsys):
    from sweep.cli import build_parser

    command, option = flag.rsplit(" ", 1)
    action = numbers.numeric_flags()[flag]
    for text in [*numbers.flag_texts(numbers.FLAGS[flag]), "1,2" if numbers.FLAGS[flag].pair else "2"]:
        expected = numbers.FLAGS[flag].from_text(text)
        try:
            parsed = getattr(build_parser().parse_args([*PARSED[command], f"{option}={text}"]), action.dest)
        except SystemExit as refused:
            line = capsys.readouterr().err
            assert expected is None, (text, line)
            assert refused.code == 2 and line.count("\n") == 1, (text, line)
            assert line.startswith(f"sweep: error: argument {option}: expected ") and repr(text) in line, line
        else:
            assert parsed == ([expected] if action.nargs == "+" else expected), (text, parsed)
            assert type(expected) is type(parsed if action.nargs != "+" else parsed[0])


@pytest.mark.parametrize("key", sorted(numbers.KEYS))
def test_a_study_file_number_is_honoured_or_refused_naming_its_key_and_range(key):
    from sweep.config import parse_study

    for text in numbers.TOML_EDGES:
        document = numbers.study_with(key, text)
        expected = numbers.KEYS[key].from_toml(tomllib.loads(f"value = {text}")["value"])
        try:
            spec = parse_study(tomllib.loads(document))
        except UsageError as error:
            assert expected is None, (text, str(error))
            assert str(error).startswith(f"{key}") and ": expected " in str(error), (text, str(error))
        else:
            assert expected is not None, (text, document)
            assert numbers.read_back(spec, key) == expected and type(numbers.read_back(spec, key)) is type(expected)


def files_and_bytes(root: Path) -> dict:
    return {str(path.relative_to(root)): path.read_bytes() if path.is_file() else None for path in root.rglob("*")}


@pytest.mark.slow  # seconds of real processes or whole reports: the full suite runs it
def test_a_refused_number_trains_nothing_and_writes_nothing(tmp_path, synthetic_dir, monkeypatch):
    """Every refused flag value and study-file number, each in a command that would otherwise work:
    one line, exit 2, no trainer called, the storage, data cache and artifacts byte-identical."""
    world, inputs = tmp_path / "world", tmp_path / "inputs"
    inputs.mkdir()
    places = {"world": world, "data": world / "data", "storage": f"sqlite:///{world / 'studies.db'}",
              "artifacts": world / "artifacts", "study": study_file(inputs)}
    shutil.copytree(synthetic_dir, places["data"])
    made = sweep_run(places["study"], places["storage"], places["data"], "--artifacts", places["artifacts"],
                     SWEEP_FAKE_KEEP_MODEL=1)
    assert made.returncode == 0 and len(trials(places["storage"])) == 6, made.stderr
    before = files_and_bytes(world)
    assert any(name.endswith(".npy") for name in before) and any("artifacts/" in name for name in before)
    for trainer in ("sweep.trial.train_and_evaluate", "sweep.conditioned_study.train_one"):
        monkeypatch.setattr(trainer, numbers.trainer_that_must_not_run)
    refuse = {"SWEEP_TRAINER": "tests.numeric_inputs:trainer_that_must_not_run"}

    def refused(argv, *names):
        result = sweep_cli([arg.format(**places) for arg in argv], places["data"], cwd=world, **refuse)
        assert result.returncode == 2 and one_error_line(result, *names, "expected"), (argv, result.stderr)
        assert files_and_bytes(world) == before, argv

    tried = 0
    for flag, number in numbers.FLAGS.items():
        command, option = flag.rsplit(" ", 1)
        for text in numbers.flag_texts(number):
            if number.from_text(text) is None:
                refused([*WORK[command], f"{option}={text}"], f"argument {option}: ")
                tried += 1
    for key, number in numbers.KEYS.items():
        for text in numbers.TOML_EDGES:
            if number.from_toml(tomllib.loads(f"value = {text}")["value"]) is None:
                path = inputs / "fresh.toml"  # a new study: a valid file would train it
                path.write_text(numbers.study_with(key, text, name="fresh"))
                refused(["run", str(path), "--storage", "{storage}", "--quiet", "--data-dir", "{data}", "--artifacts",
                         "{artifacts}"], f"{path}: {key}")
                tried += 1
    assert tried > (FLAG_CASES + KEY_CASES) / 2  # most edge values mean nothing anywhere


# 4. A diverging trial -------------------------------------------------------------------------

def test_a_non_finite_trial_fails_with_its_reason_and_the_sweep_goes_on(tmp_path, sqlite_storage, synthetic_dir):
    result = sweep_run(study_file(tmp_path, n_trials=5), sqlite_storage, synthetic_dir, SWEEP_FAKE_NONFINITE_CALL=4)
    assert result.returncode == 0, result.stderr
    done = trials(sqlite_storage)
    failed = by_state(done, "FAIL")
    assert [t.number for t in failed] == [3]
    assert failed[0].user_attrs["fail_reason"] == "non-finite loss"
    assert len(by_state(done, "COMPLETE")) == 5

    frame = trials_frame(optuna.load_study(study_name="s", storage=sqlite_storage))
    assert frame.loc[frame["number"] == 3, "fail_reason"].tolist() == ["non-finite loss"]  # the CSV lists it
    figure, points = plots.pareto_figure({"s": frame}, None, "s")
    plotted = [line for line in figure.axes[0].lines if (line.get_gid() or "").startswith("point-")]
    assert len(plotted) == len(points) == 5 and 3 not in [number for _, number in points]  # the plot leaves it out


# 5. kill -9 mid-trial, then resume (SQLite and PostgreSQL) -----------------------------------


def kill_then_resume(tmp_path, storage, synthetic_dir, name="s"):
    started = tmp_path / f"started-{name}"
    started.mkdir()
    path = study_file(tmp_path, name=name)
    worker = sweep_start(path, storage, synthetic_dir, SWEEP_FAKE_DELAY=1.0, SWEEP_FAKE_STARTED_DIR=started, **HEARTBEAT)
    wait_for_calls(started, 4)  # trial 3, the first sampled one, is running
    time.sleep(0.3)
    worker.kill()
    worker.wait(timeout=30)
    snapshot = {t.number: (t.params, t.values, t.user_attrs["metrics"]) for t in by_state(trials(storage, name), "COMPLETE")}
    killed = by_state(trials(storage, name), "RUNNING")
    assert len(killed) == 1
    time.sleep(3)  # past the grace period
    resumed = sweep_run(path, storage, synthetic_dir, **HEARTBEAT)
    assert resumed.returncode == 0, resumed.stderr
    after = trials(storage, name)
    assert {t.number: (t.params, t.values, t.user_attrs["metrics"]) for t in after if t.number in snapshot} == snapshot
    original = next(t for t in after if t.number == killed[0].number)
    assert original.state.name == "FAIL"
    retries = [t for t in after if t.user_attrs.get("origin_trial") == original.number and t.number != original.number]
    assert len(retries) == 1
    assert retries[0].params == original.params and retries[0].user_attrs["seeds"] == original.user_attrs["seeds"]
    assert retries[0].state.name == "COMPLETE"
    assert len(by_state(after, "COMPLETE")) == 6 and not by_state(after, "RUNNING")


@pytest.mark.slow
def test_kill_9_mid_trial_then_resume(tmp_path, storage, synthetic_dir):
    kill_then_resume(tmp_path, storage, synthetic_dir)


# 6. SIGTERM mid-trial ------------------------------------------------------------------------

@pytest.mark.slow
def test_sigterm_fails_the_running_trial_at_once_and_exits_143(tmp_path, sqlite_storage, synthetic_dir):
    started = tmp_path / "started"
    started.mkdir()
    worker = sweep_start(study_file(tmp_path), sqlite_storage, synthetic_dir,
                         SWEEP_FAKE_DELAY=0.3, SWEEP_FAKE_STARTED_DIR=started)
    wait_for_calls(started, 3)
    # the third call is running (or about to): give it time to sleep, then terminate
    time.sleep(0.1)
    sent = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 143, stderr
    assert time.monotonic() - sent < 10
    assert "Traceback" not in stderr
    done = trials(sqlite_storage)
    failed = by_state(done, "FAIL")
    assert len(failed) == 1 and failed[0].user_attrs["fail_reason"].startswith("interrupted")
    assert not by_state(done, "RUNNING")
    assert all(t.values == [expected_metrics(t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"])[m]
                            for m in ("top_100_accuracy", "rmse")] for t in by_state(done, "COMPLETE"))


# 7. Four workers on SQLite, 8. eight workers on PostgreSQL with one killed -------------------


def start_workers(count, path, storage, data_dir, **extra):
    return [sweep_start(path, storage, data_dir, **extra) for _ in range(count)]


@pytest.mark.slow
def test_four_workers_on_sqlite_share_a_study_wide_cap(tmp_path, sqlite_storage, synthetic_dir):
    path = study_file(tmp_path, n_trials=40)
    workers = start_workers(4, path, sqlite_storage, synthetic_dir, SWEEP_FAKE_DELAY=0.05)
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0, 0], [err for _, err in outputs]
    assert not any("database is locked" in err for _, err in outputs)
    done = trials(sqlite_storage)
    assert len({t.number for t in done}) == len(done)
    assert 40 <= len(by_state(done, "COMPLETE")) <= 43
    assert all(values_match_the_fake_trainer(t) for t in by_state(done, "COMPLETE"))


@pytest.mark.slow
@pytest.mark.postgres
def test_eight_workers_on_postgresql_with_one_killed(tmp_path, postgres_storage, synthetic_dir):
    name = "eight"
    path = study_file(tmp_path, name=name, n_trials=40)
    started = tmp_path / "started"
    started.mkdir()
    # eight processes on two cores: a longer grace, so a starved worker is not taken for dead
    heartbeat = {"SWEEP_HEARTBEAT_SECONDS": 1, "SWEEP_GRACE_SECONDS": 8}
    workers = start_workers(8, path, postgres_storage, synthetic_dir, SWEEP_FAKE_DELAY=0.5,
                            SWEEP_FAKE_STARTED_DIR=started, **heartbeat)
    victim = workers[0]
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(f"call-{victim.pid}-") for p in started.iterdir()):
        assert time.monotonic() < deadline, "the victim never started a trial"
        time.sleep(0.1)
    time.sleep(0.2)
    victim.kill()
    victim.wait(timeout=30)
    for worker in workers[1:]:
        worker.communicate(timeout=300)
        assert worker.returncode == 0
    time.sleep(9)  # past the grace period: a last run fails the killed trial and retries it
    final = sweep_run(path, postgres_storage, synthetic_dir, **heartbeat)
    assert final.returncode == 0, final.stderr
    done = trials(postgres_storage, name)
    assert len({t.number for t in done}) == len(done)
    failed = by_state(done, "FAIL")
    assert len(failed) == 1
    retried = [t for t in done if t.user_attrs.get("origin_trial") == failed[0].number and t.number != failed[0].number]
    assert len(retried) == 1 and retried[0].state.name == "COMPLETE"
    assert not by_state(done, "RUNNING") and len(by_state(done, "COMPLETE")) >= 40
    assert all(values_match_the_fake_trainer(t) for t in by_state(done, "COMPLETE"))


# 8b. Readers while workers write, and a read-only storage --------------------------------------

@pytest.mark.slow
def test_reports_listings_and_served_models_read_a_storage_that_workers_are_writing(tmp_path, storage, synthetic_dir):
    """Two real-trainer workers write (short trainings on synthetic data) while report, studies,
    predict and recommend read the same storage again and again: every read succeeds."""
    path = study_file(tmp_path, n_trials=10, epochs=1, train={"batch_size": 1024})
    real = {"SWEEP_TRAINER": "sweep.trial:train_and_evaluate", "SWEEP_ARTIFACTS": tmp_path / "models"}
    workers = start_workers(2, path, storage, synthetic_dir, **real)
    reads = {"report": 0, "studies": 0, "predict": 0, "recommend": 0}
    try:
        while any(worker.poll() is None for worker in workers):
            try:
                complete = by_state(trials(storage), "COMPLETE")
            except KeyError:  # the workers have not created the study yet
                complete = []
            commands = {"studies": ["studies"]}
            if complete:
                number = str(complete[0].number)
                commands.update(report=["report", "s", "--out", tmp_path / "report"],
                                predict=["predict", "s", "--trial", number, "--user", "1", "--movie",
                                         synthetic_title(synthetic_dir)],
                                recommend=["recommend", "s", "--trial", number, "--user", "1", "-k", "3"])
            for name, argv in commands.items():
                result = sweep_cli([*argv, "--storage", storage], synthetic_dir, cwd=tmp_path, **real)
                assert result.returncode == 0, (name, result.stderr)
                reads[name] += 1
    finally:
        outputs = [worker.communicate(timeout=600) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    assert all(count >= 1 for count in reads.values()), reads
    done = trials(storage)
    assert len({t.number for t in done}) == len(done) and not by_state(done, "RUNNING")


def synthetic_title(synthetic_dir) -> str:
    from sweep import data

    return data.load(synthetic_dir, data.SYNTHETIC).movies["movie_title"].iloc[0]


@pytest.mark.slow  # writes through a fresh process, so the disk can be remounted read-only
def test_report_and_studies_read_a_storage_on_a_read_only_disk(tmp_path, small_disk, synthetic_dir):
    disk = small_disk("8m")
    storage = f"sqlite:///{disk / 'studies.db'}"
    written = sweep_run(study_file(tmp_path), storage, synthetic_dir, process=True)  # no connection left open here
    assert written.returncode == 0, written.stderr
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, capture_output=True)
    listing = sweep_cli(["studies", "--storage", storage])
    assert listing.returncode == 0 and listing.stdout.startswith("s: 6 complete (target 6 complete; "), listing.stderr
    report = sweep_cli(["report", "s", "--storage", storage, "--out", tmp_path / "report"])
    assert report.returncode == 0, report.stderr
    assert "6 complete trials" in report.stdout and (tmp_path / "report" / "index.html").exists()
    refused = sweep_cli(["run", study_file(tmp_path), "--storage", storage], synthetic_dir, cwd=tmp_path)
    assert refused.returncode == 2 and one_error_line(refused, "is not writable")


# 8c. The database restarts, or goes away -------------------------------------------------------

def postgres_server(action: str = "") -> None:
    """Restart (--restart), stop (--stop) or start ("") the local server scripts/postgres manages."""
    result = subprocess.run([str(REPO / "scripts" / "postgres"), *([action] if action else [])], capture_output=True,
                            text=True, timeout=120)
    if result.returncode:
        pytest.skip(f"the test database is not the local server scripts/postgres manages ({result.stderr.strip()})")


def wait_for_complete(storage, count: int, timeout=120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if len(by_state(trials(storage), "COMPLETE")) >= count:
                return
        except KeyError:
            pass  # not created yet
        assert time.monotonic() < deadline, f"fewer than {count} trials completed"
        time.sleep(0.2)


def nothing_lost_or_duplicated(done, n_trials: int) -> None:
    """Every trial once, nothing RUNNING, every value f(weights), each failure retried once, no trial counted twice."""
    assert len({t.number for t in done}) == len(done) and not by_state(done, "RUNNING")
    complete = by_state(done, "COMPLETE")
    assert len(complete) >= n_trials and all(values_match_the_fake_trainer(t) for t in complete)
    origins = [t.user_attrs["origin_trial"] for t in complete]
    assert len(origins) == len(set(origins))  # no trial completed twice (an original and its retry)
    for failed in by_state(done, "FAIL"):
        assert origins.count(failed.user_attrs.get("origin_trial", failed.number)) == 1


@pytest.mark.slow
@pytest.mark.postgres
def test_four_workers_ride_out_database_restarts(tmp_path, postgres_storage, synthetic_dir):
    path = study_file(tmp_path, n_trials=30)
    settings = {"SWEEP_FAKE_DELAY": 0.5, **HEARTBEAT, "SWEEP_GRACE_SECONDS": 6}
    workers = start_workers(4, path, postgres_storage, synthetic_dir, **settings)
    wait_for_complete(postgres_storage, 8)
    postgres_server("--restart")  # connections drop; a pooled reconnect may hide this one
    time.sleep(2)
    postgres_server("--stop")  # an outage longer than a heartbeat, which every worker must feel
    time.sleep(3)
    postgres_server()
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0, 0], [err for _, err in outputs]
    assert not [err for _, err in outputs if "Traceback" in err]
    assert any("the storage is unreachable" in err for _, err in outputs)  # the restarts were felt, and ridden out
    time.sleep(7)  # past the grace period, for any trial a worker left behind
    assert sweep_run(path, postgres_storage, synthetic_dir, **settings).returncode == 0
    nothing_lost_or_duplicated(trials(postgres_storage), 30)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_database_that_stays_away_stops_workers_with_one_line_and_a_later_run_completes(
        tmp_path, postgres_storage, synthetic_dir):
    path = study_file(tmp_path, n_trials=12)
    settings = {"SWEEP_FAKE_DELAY": 1.0, "SWEEP_STORAGE_OUTAGE_SECONDS": 3, **HEARTBEAT}
    workers = start_workers(2, path, postgres_storage, synthetic_dir, **settings)
    wait_for_complete(postgres_storage, 4)
    postgres_server("--stop")
    try:
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        postgres_server()
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 1 and "Traceback" not in err, err
        assert err.strip().splitlines()[-1].startswith("sweep: error: the storage postgresql://sweep:***@")
        assert "was unreachable for 3 s" in err
    time.sleep(3)  # past the grace period: the trials the workers were running are stale
    assert sweep_run(path, postgres_storage, synthetic_dir, **settings).returncode == 0
    done = trials(postgres_storage)
    assert by_state(done, "FAIL")  # what was running when the database went away, failed and retried
    nothing_lost_or_duplicated(done, 12)


# 9. Concurrent start -----------------------------------------------------------------------------


@pytest.mark.slow
def test_two_runs_of_a_new_study_started_together_make_one_study(tmp_path, storage, synthetic_dir):
    path = study_file(tmp_path, n_trials=8)
    workers = start_workers(2, path, storage, synthetic_dir, SWEEP_FAKE_DELAY=0.05)
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert [s.study_name for s in optuna.get_all_study_summaries(storage)] == ["s"]
    done = trials(storage)
    assert [t.user_attrs.get("tutorial_pair") for t in done].count("joint") == 1  # enqueued once
    count = len(done)
    assert sweep_run(path, storage, synthetic_dir).returncode == 0
    assert len(trials(storage)) == count


# 10. Reproducibility, 12. smoke with the real trainer -----------------------------------------

def real_run(tmp_path, synthetic_dir, label):
    path = study_file(tmp_path, "real", n_trials=1, sampler="tpe", study={"seed": 5}, baselines={"enqueue": False},
                      train={"batch_size": 1024},
                      search={"rating_weight": {"low": 1e-2, "high": 1.0}, "retrieval_weight": {"low": 1e-4, "high": 1.0}})
    storage = f"sqlite:///{tmp_path / f'{label}.db'}"
    env = {key: value for key, value in environment(synthetic_dir).items() if key != "SWEEP_TRAINER"}
    result = subprocess.run([sys.executable, "-m", "sweep", "run", str(path), "--storage", storage, "--quiet"],
                            capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return storage


@pytest.mark.slow
def test_smoke_the_real_trainer_writes_storage_csv_and_plot(tmp_path, synthetic_dir):
    storage = real_run(tmp_path, synthetic_dir, "smoke")
    [trial] = trials(storage, "real")
    assert trial.state.name == "COMPLETE" and 0 < trial.user_attrs["metrics"]["top_100_accuracy"] <= 1
    report = subprocess.run([sys.executable, "-m", "sweep", "report", "real", "--storage", storage,
                             "--out", str(tmp_path / "report")], capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report" / "trials.csv").exists() and (tmp_path / "report" / "pareto.png").stat().st_size > 10_000


@pytest.mark.slow
def test_the_same_trial_in_fresh_processes_gives_the_same_metrics(tmp_path, synthetic_dir):
    first, second = (trials(real_run(tmp_path, synthetic_dir, label), "real")[0] for label in ("one", "two"))
    assert first.params == second.params
    assert first.user_attrs["metrics"] == pytest.approx(second.user_attrs["metrics"], abs=1e-6)


@pytest.mark.slow  # seconds of real processes or whole reports: the full suite runs it
def test_a_sequential_study_with_a_fixed_seed_proposes_the_same_weights(tmp_path, synthetic_dir):
    proposals = []
    for run in range(2):
        storage = f"sqlite:///{tmp_path / f'run{run}.db'}"
        assert sweep_run(study_file(tmp_path, sampler="tpe", n_trials=10), storage, synthetic_dir).returncode == 0
        proposals.append([t.params for t in trials(storage)])
    assert proposals[0] == proposals[1] and len(proposals[0]) == 10


# 11. Report determinism -----------------------------------------------------------------------


@pytest.mark.slow  # seconds of real processes or whole reports: the full suite runs it
def test_reports_are_deterministic_and_plot_the_brute_force_front(tmp_path, sqlite_storage, synthetic_dir):
    assert sweep_run(study_file(tmp_path, n_trials=12), sqlite_storage, synthetic_dir).returncode == 0
    for out in ("a", "b"):
        result = sweep_cli(["report", "s", "--storage", sqlite_storage, "--out", tmp_path / out])
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a" / "trials.csv").read_bytes() == (tmp_path / "b" / "trials.csv").read_bytes()
    frame = trials_frame(optuna.load_study(study_name="s", storage=sqlite_storage))
    complete = frame[frame["state"] == "COMPLETE"]
    points = complete[["top_100_accuracy", "rmse"]].to_numpy(float)
    rmse_line, top_line = plots.front_line(points)
    front = points[brute_force(points, ("maximize", "minimize"))]
    assert sorted(zip(top_line, rmse_line)) == sorted(map(tuple, front))

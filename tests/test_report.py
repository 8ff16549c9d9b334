"""`sweep report` / `sweep compare`: files from the storage alone, stable, honest about empty studies."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest

from sweep.baselines import comparison_markdown
from sweep.report import FILES, summary, tutorial
from tests.helpers import REPO, study_file, sweep_cli, sweep_run
from tests.test_pareto import brute_force

@pytest.fixture(scope="module")
def finished(tmp_path_factory, synthetic_dir):
    """A storage with study 'r' (10 complete trials + 1 diverged) and 'q' (5 complete), run by the fake trainer."""
    root = tmp_path_factory.mktemp("report")
    storage = f"sqlite:///{root / 'studies.db'}"
    for name, n_trials, extra in (("r", 10, {"SWEEP_FAKE_NONFINITE_CALL": "9"}), ("q", 5, {})):
        path = study_file(root, name, n_trials, search={"retrieval_weight": {"low": 1e-7, "high": 1.0}},
                          study={"replicates": 2, "seed": 0})
        result = sweep_run(path, storage, synthetic_dir, **extra)
        assert result.returncode == 0, result.stderr
    return root, storage


def report(storage, *args) -> subprocess.CompletedProcess:
    return sweep_cli(["report", *args, "--storage", storage])


@pytest.fixture(scope="module")
def reported(finished):
    """Study 'r' reported once (rendering is the slow part); the tests read what it wrote."""
    root, storage = finished
    result = report(storage, "r", "--out", str(root / "r"))
    assert result.returncode == 0, result.stderr
    return result, root / "r"


def test_report_writes_every_file_from_the_storage(reported):
    result, out = reported
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert "10 complete trials" in result.stdout


def test_the_csv_lists_every_trial_and_is_byte_identical_when_regenerated(finished, reported, tmp_path):
    _, storage = finished
    report(storage, "r", "--out", str(tmp_path / "again"))
    first = (reported[1] / "trials.csv").read_bytes()
    assert first == (tmp_path / "again" / "trials.csv").read_bytes()
    table = pd.read_csv(reported[1] / "trials.csv", keep_default_na=False, na_values=[""])
    assert len(table) == 11
    failed = table[table["state"] == "FAIL"]
    assert failed["fail_reason"].tolist() == ["non-finite loss"]
    assert {"rating_weight", "retrieval_weight", "seed0_rmse", "seed1_rmse", "seeds", "seconds", "pareto",
            "p_pareto"} <= set(table.columns)
    complete = table[table["state"] == "COMPLETE"]
    assert complete["p_pareto"].between(0, 1).all() and table.loc[table["state"] == "FAIL", "p_pareto"].isna().all()


def test_the_pareto_column_is_the_brute_force_front_of_complete_trials(finished, reported):
    _, storage = finished
    table = pd.read_csv(reported[1] / "trials.csv")
    complete = table[table["state"] == "COMPLETE"]
    expected = brute_force(complete[["top_100_accuracy", "rmse"]].to_numpy(), ("maximize", "minimize"))
    assert complete["pareto"].tolist() == expected.tolist()
    assert not table.loc[table["state"] == "FAIL", "pareto"].any()
    best = {t.number for t in optuna.load_study(study_name="r", storage=storage).best_trials}
    assert set(complete.loc[complete["pareto"], "number"]) == best


def test_the_summary_compares_with_the_tutorial_and_reports_health(reported):
    out = reported[1]
    text = (out / "summary.md").read_text()
    for expected in ("## Pareto-optimal trials", "Recommended knee point: trial", "## The tutorial's comparison",
                     "| joint | top_100_accuracy | 0.235 |", "1 failed (9%), of which 1 diverged", "## Provenance",
                     # two seeds a pair: judged with the seed noise pooled over the 10 complete trials, 1 df each
                     "use the study's pooled seed noise, the within-trial std pooled over its 10 multi-seed trials: "
                     "top-100 accuracy 0.0000 (10 degrees of freedom); RMSE 0.0000 (10 degrees of freedom)",
                     "| p_pareto | knee |", "p_pareto: the share of 1,000 bootstrap resamples",
                     "Its seed values (2 seeds; an interval needs 3): top-100 accuracy ",  # two seeds make no interval
                     "- split: a permutation with split seed 42; fingerprint `sha256:"):
        assert expected in text
    html = (out / "index.html").read_text()
    # the colour bar inside the Pareto SVG, and the hypervolume figure as an SVG image
    assert html.count("data:image/png;base64,") == 1 and html.count("data:image/svg+xml;base64,") == 1
    assert "<table>" in html and 'id="lede"' in html and 'id="how-to-read"' in html


def test_every_trial_is_shown_in_both_coordinates_and_the_summary_says_which_were_searched(reported, tmp_path,
                                                                                            synthetic_dir):
    table = pd.read_csv(reported[1] / "trials.csv")
    complete = table[table["state"] == "COMPLETE"]
    sums = (complete["rating_weight"] + complete["retrieval_weight"]).tolist()
    assert complete["weight_scale"].tolist() == pytest.approx(sums, rel=1e-7)  # trials.csv keeps 8 digits
    assert "Searched as `rating_weight` and `retrieval_weight`" in (reported[1] / "summary.md").read_text()

    storage = f"sqlite:///{tmp_path / 'ratio.db'}"
    search = {"rating_weight": None, "retrieval_weight": None, "weight_ratio": {"low": 1e-4, "high": 10.0},
              "weight_scale": {"low": 0.1, "high": 1e3}}
    assert sweep_run(study_file(tmp_path, "ratio", search=search), storage, synthetic_dir).returncode == 0
    assert report(storage, "ratio", "--out", str(tmp_path / "ratio")).returncode == 0
    table = pd.read_csv(tmp_path / "ratio" / "trials.csv")
    sampled = table[table["tutorial_pair"].isna()]
    assert len(sampled) == 3
    assert sampled["param_weight_scale"].tolist() == pytest.approx(sampled["weight_scale"].tolist(), rel=1e-7)
    assert sampled["param_weight_ratio"].tolist() == pytest.approx(
        (sampled["retrieval_weight"] / sampled["rating_weight"]).tolist(), rel=1e-7)
    text = (tmp_path / "ratio" / "summary.md").read_text()
    assert "Searched as `weight_ratio` (retrieval_weight / rating_weight) and `weight_scale` (their sum)" in text
    assert "| trial | rating_weight | retrieval_weight | weight_ratio | weight_scale | top-100 accuracy |" in text
    assert json.loads((tmp_path / "ratio" / "summary.json").read_text())["searched_coordinates"] == [
        "weight_ratio", "weight_scale"]


def test_a_study_made_by_a_stand_in_trainer_says_so_loudly(reported):
    result, out = reported
    assert result.stderr.startswith("WARNING: study 'r' was made by the stand-in trainer "
                                    "tests.fake_trainer:train_and_evaluate, not sweep's")
    text = (out / "summary.md").read_text()
    assert text.splitlines()[2].startswith("**WARNING — not measurements: every number below was produced by the "
                                           "stand-in trainer `tests.fake_trainer:train_and_evaluate`")
    assert "- trainer: `tests.fake_trainer:train_and_evaluate` (tests.fake_trainer unversioned; a STAND-IN" in text
    assert "NOT MEASUREMENTS" in (out / "pareto.svg").read_text()


def test_a_study_from_before_trainer_provenance_says_it_was_not_recorded(tmp_path):
    storage = f"sqlite:///{tmp_path / 'old.db'}"
    study = optuna.create_study(study_name="old", storage=storage, directions=["maximize", "minimize"])
    for weights, values in (((1.0, 0.1), [0.2, 1.0]), ((1.0, 1.0), [0.25, 1.2])):
        metrics = {name: 0.1 for name in ("top_1_accuracy", "top_5_accuracy", "top_10_accuracy", "top_50_accuracy")}
        attrs = {"rating_weight": weights[0], "retrieval_weight": weights[1],
                 "metrics": {**metrics, "top_100_accuracy": values[0], "rmse": values[1]}}
        study.add_trial(optuna.trial.create_trial(values=values, user_attrs=attrs))
    result = report(storage, "old", "--out", str(tmp_path / "old"))
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    text = (tmp_path / "old" / "summary.md").read_text()
    assert "WARNING" not in text and "- trainer: not recorded (the study predates trainer provenance)" in text


@pytest.mark.slow  # seconds of real processes or whole reports: the full suite runs it
def test_the_report_never_imports_tensorflow(finished, tmp_path):
    _, storage = finished
    check = ("import sys; from sweep import cli; code = cli.main(['report', 'r', '--storage', %r, '--out', %r]); "
             "assert 'tensorflow' not in sys.modules, 'tensorflow imported'; sys.exit(code)") % (storage, str(tmp_path))
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_compare_finds_each_studys_knee_on_that_studys_own_objectives(tmp_path):
    """No baselines recorded, so the knee is measured from (0, 5). On (top-10, RMSE) the boxes are
    0.02·4, 0.10·4.1 and 0.05·4.2: the knee is trial 1. On the default (top-100, RMSE) trial 2
    dominates trial 1, and trial 0's box (0.20·4) beats trial 2's (0.10·4.2): it would be trial 0."""
    storage = f"sqlite:///{tmp_path / 'k.db'}"
    study = optuna.create_study(study_name="k", storage=storage, directions=["maximize", "minimize"])
    study.set_user_attr("objectives", ["top_10_accuracy", "rmse"])
    for top_10, top_100, rmse in ((0.02, 0.20, 1.0), (0.10, 0.05, 0.9), (0.05, 0.10, 0.8)):
        metrics = {"top_1_accuracy": 0.0, "top_5_accuracy": 0.0, "top_10_accuracy": top_10, "top_50_accuracy": 0.0,
                   "top_100_accuracy": top_100, "rmse": rmse}
        study.add_trial(optuna.trial.create_trial(values=[top_10, rmse], user_attrs={
            "rating_weight": 1.0, "retrieval_weight": rmse, "metrics": metrics}))
    result = sweep_cli(["compare", "k", "--storage", storage, "--out", tmp_path / "c"])
    assert result.returncode == 0, result.stderr
    assert "Recommended knee point: trial 1 " in (tmp_path / "c" / "summary.md").read_text()


def test_compare_puts_several_fronts_in_one_report(finished, tmp_path):
    _, storage = finished
    result = sweep_cli(["compare", "r", "q", "--storage", storage, "--out", tmp_path / "c"])
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == sorted(FILES)
    assert set(pd.read_csv(tmp_path / "c" / "trials.csv")["study"]) == {"r", "q"}


def test_an_unknown_study_is_one_line_naming_the_known_ones(finished, tmp_path):
    _, storage = finished
    result = report(storage, "nope", "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"sweep: error: no study named 'nope' in {storage} (studies there: q, r)"


def test_an_unreachable_storage_is_one_line(tmp_path):
    result = report("postgresql://u:secret@127.0.0.1:1/db", "r", "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    assert result.stderr.startswith("sweep: error: cannot open storage postgresql://u:***@127.0.0.1:1/db")
    assert "secret" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("state", [None, optuna.trial.TrialState.FAIL])
def test_an_empty_or_all_failed_study_gets_a_report_that_says_so(tmp_path, state):
    storage = f"sqlite:///{tmp_path / 'e.db'}"
    study = optuna.create_study(study_name="e", storage=storage, directions=["maximize", "minimize"])
    if state is not None:
        study.add_trial(optuna.trial.create_trial(state=state, user_attrs={"fail_reason": "non-finite loss",
                                                                         "rating_weight": 1.0, "retrieval_weight": 0.0}))
    result = report(storage, "e", "--out", str(tmp_path / "e"))
    assert result.returncode == 1
    assert "has no COMPLETE trials" in result.stderr and "Traceback" not in result.stderr
    assert "No COMPLETE trials yet" in (tmp_path / "e" / "summary.md").read_text()
    assert (tmp_path / "e" / "index.html").exists()


CHROMIUM = shutil.which("chromium")
BROWSER_MISSING = ("the browser test of index.html is skipped: no Chromium here "
                   "(Debian: `apt-get install chromium`; `.ci/run` installs it) or no Playwright "
                   "(`pip install -e '.[test]'`)")
SCREENSHOTS = Path(os.environ.get("SWEEP_TEST_OUTPUT", REPO / ".test-output"))


def browser_ready() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM is not None


UNCOVERED_POINT = """() => {
  for (const mark of document.querySelectorAll("svg [data-hoverable]")) {
    mark.scrollIntoView({block: "center"});
    const moved = mark.getBoundingClientRect();
    if (mark.contains(document.elementFromPoint(moved.x + moved.width / 2, moved.y + moved.height / 2))) return mark.id;
  }
  return null;
}"""


@pytest.mark.slow
@pytest.mark.skipif(not browser_ready(), reason=BROWSER_MISSING)
def test_index_html_is_explorable_in_a_real_browser(finished, reported, tmp_path):
    """Headless Chromium: no console errors; one hoverable point per complete trial, each showing its
    own trial and commands; a pinned tooltip; a table that sorts. Screenshots land in .test-output/."""
    from playwright.sync_api import sync_playwright

    _, storage = finished
    compared = sweep_cli(["compare", "r", "q", "--storage", storage, "--out", tmp_path / "c"])
    assert compared.returncode == 0, compared.stderr
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for name, out in (("report", reported[1]), ("compare", tmp_path / "c")):
                table = pd.read_csv(out / "trials.csv", keep_default_na=False, na_values=[""])
                complete = table[table["state"] == "COMPLETE"]
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                errors = []
                page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto((out / "index.html").resolve().as_uri())
                lede = page.locator("#lede").bounding_box()
                assert lede is not None and lede["y"] + lede["height"] <= 900  # read before any scrolling
                assert page.locator("svg [data-hoverable]").count() == len(complete)
                tooltip = page.locator("#tooltip")
                for index in range(len(complete)):  # every point names its own trial (rows give the truth)
                    row = page.locator(f'#trials tr[data-point="point-{index}"]')
                    number = row.locator("td").nth(1 if name == "compare" else 0).inner_text()
                    page.locator(f'svg [id="point-{index}"]').dispatch_event("mouseenter")
                    assert tooltip.is_visible() and f"trial {number}" in tooltip.inner_text()
                    assert f"--trial {number} --user" in tooltip.inner_text()
                    seeds = int(complete[complete["number"] == int(number)]["n_seeds"].iloc[0]) if name == "report" \
                        else 2  # every trial of both studies has two seeds
                    assert seeds < 2 or "one seed" not in tooltip.inner_text()
                    page.locator(f'svg [id="point-{index}"]').dispatch_event("mouseleave")
                    assert not tooltip.is_visible()
                point = page.evaluate(UNCOVERED_POINT)  # a marker no other marker covers at its centre
                number = page.locator(f'#trials tr[data-point="{point}"] td').nth(1 if name == "compare" else 0)
                page.hover(f'svg [id="{point}"]')  # a real mouse, moved over the marker
                assert tooltip.is_visible() and f"trial {number.inner_text()}" in tooltip.inner_text()
                assert "sweep predict r --storage" in tooltip.inner_text() or name == "compare"
                page.click(f'svg [id="{point}"]', force=True)
                page.mouse.move(5, 5)
                assert tooltip.is_visible() and "pinned" in tooltip.get_attribute("class")  # stays for copying
                page.screenshot(path=str(SCREENSHOTS / f"{name}-index.png"), full_page=True)
                page.keyboard.press("Escape")
                assert not tooltip.is_visible()
                page.locator("#trials th", has_text="rmse").first.click()
                values = page.locator("#trials tbody tr").evaluate_all(
                    "rows => rows.map(r => r.cells[Array.from(r.parentNode.parentNode.tHead.rows[0].cells)"
                    ".findIndex(c => c.textContent.startsWith('rmse'))].dataset.value)")
                numbers = [float(value) for value in values if value != ""]
                assert numbers == sorted(numbers) and values[len(numbers):] == [""] * (len(values) - len(numbers))
                assert not errors, errors
        finally:
            browser.close()


def test_each_studys_hypervolume_is_a_share_of_the_best_front_stored_on_its_split(finished, tmp_path):
    _, storage = finished
    result = sweep_cli(["compare", "r", "q", "--storage", storage, "--out", tmp_path / "c"])
    assert result.returncode == 0, result.stderr
    volumes = [study["hypervolume"] for study in json.loads((tmp_path / "c" / "summary.json").read_text())["studies"]]
    assert [volume["studies_pooled"] for volume in volumes] == [2, 2]  # both studies share the synthetic split
    assert volumes[0]["best_stored"] == volumes[1]["best_stored"]
    for volume in volumes:  # the pooled front dominates at least what either study reaches alone
        assert volume["hypervolume"] <= volume["best_stored"] + 1e-12


def trials_table(trials: list[tuple]) -> pd.DataFrame:
    """A trials table as sweep.report.table writes it, from (number, state, tutorial pair, top-100 seed
    values, RMSE seed values): the columns the summary reads."""
    rows = []
    for number, state, pair, tops, rmses in trials:
        row = {"number": number, "state": state, "tutorial_pair": pair, "n_seeds": len(tops),
               "top_100_accuracy": sum(tops) / len(tops), "rmse": sum(rmses) / len(rmses)}
        for index, (top, rmse) in enumerate(zip(tops, rmses, strict=True)):
            row[f"seed{index}_top_100_accuracy"], row[f"seed{index}_rmse"] = top, rmse
        rows.append(row)
    return pd.DataFrame(rows)


def test_a_knee_with_two_seeds_shows_its_seed_values_and_calls_them_that():
    frame = trials_table([(9, "COMPLETE", "", [0.2956, 0.2317], [0.9750, 0.9958])])
    interval = summary.knee_interval(frame, 9)
    assert interval["kind"] == "seed values" and interval["seeds"] == 2
    assert interval["values"] == {"top_100_accuracy": [0.2956, 0.2317], "rmse": [0.9750, 0.9958]}
    assert interval["top_100_accuracy"] == [0.2317, 0.2956]  # as summary.json always held them: lowest, highest
    sentence = summary.knee_sentence(interval)
    assert sentence == (" Its seed values (2 seeds; an interval needs 3): top-100 accuracy 0.2956, 0.2317; "
                        "RMSE 0.9750, 0.9958.")
    assert "95 %" not in sentence


def test_a_knee_with_three_seeds_gets_a_bootstrap_interval_named_with_its_method_and_seed_count():
    # Each bootstrap mean of three seeds lies between the lowest and the highest seed, and all three
    # picks land on the lowest in 1 resample of 27 (3.7 %, more than the 2.5 % tail): the ends are those seeds.
    frame = trials_table([(4, "COMPLETE", "", [0.1, 0.3, 0.2], [1.0, 1.1, 0.9])])
    interval = summary.knee_interval(frame, 4)
    assert interval["kind"] == "bootstrap"
    assert interval["top_100_accuracy"] == pytest.approx([0.1, 0.3]) and interval["rmse"] == pytest.approx([0.9, 1.1])
    assert summary.knee_sentence(interval).startswith(" Its 95 % bootstrap interval over 3 seeds (percentile, "
                                                      "of the seed mean): top-100 accuracy [0.1000, 0.3000]")


CONTEXT = {"chance_top_100_accuracy": 0.0595, "global_mean_rmse": 1.1248}


def test_the_seed_noise_is_pooled_over_every_complete_multi_seed_trial_with_its_degrees_of_freedom():
    frame = trials_table([
        (0, "COMPLETE", "ratings-only", [0.058, 0.060, 0.062], [1.10, 1.11, 1.12]),
        (1, "COMPLETE", "retrieval-only", [0.233, 0.235, 0.237], [3.6, 3.7, 3.8]),
        (2, "COMPLETE", "joint", [0.2310, 0.2312, 0.2314], [1.12, 1.13, 1.14]),  # seeds that happen to agree
        (3, "COMPLETE", "", [0.20, 0.24], [1.0, 1.0]),
        (4, "COMPLETE", "", [0.15], [1.05]),  # one seed: no variance to pool
        (5, "FAIL", "", [0.9, 0.1], [9.0, 0.1]),  # failed: never pooled
    ])
    # top-100: variances 0.002² (2 df), 0.002² (2 df), 0.0002² (2 df), 0.02²·2 = 0.0008 (1 df)
    expected = math.sqrt((2 * 0.002**2 + 2 * 0.002**2 + 2 * 0.0002**2 + 0.0008) / 7)
    pooled = tutorial.pooled_seed_noise(frame)
    assert pooled["top_100_accuracy"].std == pytest.approx(expected)
    assert (pooled["top_100_accuracy"].degrees_of_freedom, pooled["top_100_accuracy"].trials) == (7, 4)
    compared = tutorial.comparison(frame, {"context_baselines": CONTEXT})
    joint = next(row for row in compared["rows"] if (row["model"], row["metric"]) == ("joint", "top_100_accuracy"))
    # own std 0.0002 would put the published 0.235 at z = +19: judged with the pooled noise, it is at z ≈ +1.3
    assert joint["noise"] == {"std": pytest.approx(expected), "degrees_of_freedom": 7, "trials": 4, "estimate": "pooled"}
    assert joint["z"] == pytest.approx((0.235 - 0.2312) / expected)
    half = 2.3646243 * expected * math.sqrt(1 + 1 / 3)  # t(0.975, 7)
    assert joint["interval"] == pytest.approx([0.2312 - half, 0.2312 + half])
    assert joint["verdict"] == "holds"
    text = "\n".join(comparison_markdown(compared))
    assert (f"use the study's pooled seed noise, the within-trial std pooled over its 4 multi-seed trials: "
            f"top-100 accuracy {expected:.4f} (7 degrees of freedom)") in text
    assert "a pair with 10 or more seeds uses its own." in text


def test_a_tooltip_says_one_seed_only_for_a_trial_of_one_seed_and_gives_a_method_its_p_dominated():
    from sweep.report.page import p_pareto_text

    one_seed = {"number": 1, "method": "", "p_pareto": math.nan, "n_seeds": 1}
    method = {"number": 2, "method": "dwa", "p_pareto": math.nan, "n_seeds": 3}
    firm = {"number": 3, "method": "", "p_pareto": 0.42, "n_seeds": 3}
    assert p_pareto_text(one_seed, {}) == ("p_pareto", "n/a (one seed)")
    assert p_pareto_text(method, {2: {"p_dominated": 0.97}}) == ("P(dominated)", "0.97")
    assert p_pareto_text(firm, {}) == ("p_pareto", "0.42")


def test_the_lede_says_what_was_run_the_front_the_share_and_what_is_undetermined():
    from sweep.report import lede

    document = {"study": "t", "health": {"complete": 50, "trials": 51, "failed": 1}, "compute": {"trainings": 100},
                "front": [{"number": 9, "rmse": 0.985, "top_100_accuracy": 0.264},
                          {"number": 3, "rmse": 0.948, "top_100_accuracy": 0.076}], "knee": 9,
                "hypervolume": {"share": {"value": 0.908, "of": "the front of studies c, t as stored at 2026-01-01"}},
                "comparison": {"conclusions": [{"claim": "joint: close to the best of both", "verdict": "undetermined"},
                                               {"claim": "retrieval-only: bad RMSE", "verdict": "holds"}]},
                "methods": []}
    sentences = lede.sentences(document)
    assert 3 <= len(sentences) <= 5
    assert sentences[0] == ("Study t trained 50 weight pairs from 100 trainings (51 trials, 1 failed): 2 trials on the "
                            "front, RMSE 0.948–0.985 and top-100 accuracy 0.076–0.264; the knee, the point to serve, "
                            "is trial 9 (top-100 0.264, RMSE 0.985).")
    assert "90.8% of the front of studies c, t as stored at 2026-01-01" in lede.text(document)
    assert "1 holds, 0 fail and 1 is undetermined" in lede.text(document)
    assert sentences[-1] == "Undetermined with these seeds: joint: close to the best of both."
    conditioned = document | {"compute": {"trainings": 3, "kind": "conditioned"}}
    assert lede.sentences(conditioned)[0].startswith("Study t evaluated 50 weight pairs from 3 trainings")
    beyond = {"objectives": {"rmse": {"baseline": "user + item bias RMSE", "verdict": {"verdict": "undetermined"}},
                             "top_100_accuracy": {"baseline": "most-popular top-100 accuracy",
                                                  "verdict": {"verdict": "fails"}}}}
    assert lede.sentences(document | {"beyond_trivial_baselines": beyond})[-1] == (
        "Undetermined with these seeds: joint: close to the best of both; whether any trial beats the user + item "
        "bias RMSE.")


def test_a_study_trained_otherwise_than_the_tutorial_says_its_comparison_measures_the_change(monkeypatch):
    from sweep.report import tutorial

    assert tutorial.changed_settings({"epochs": 3, "batch_size": 8192, "learning_rate": 0.1}) == []  # the tutorial's
    changed = tutorial.changed_settings({"optimizer": "adam", "learning_rate": 0.01, "epochs": 3})
    assert changed == ["optimizer ('adam', the tutorial's 'adagrad')", "learning_rate (0.01, the tutorial's 0.1)"]
    monkeypatch.setattr(tutorial, "comparison_markdown", lambda compared: ["(the table)"])  # only the caveat is tested
    text = "\n".join(tutorial.comparison_lines({}, None, 1.0, changed))
    assert "this study changes optimizer ('adam'" in text and "not whether the tutorial's figures reproduce" in text
    assert "this study changes" not in "\n".join(tutorial.comparison_lines({}, None, 1.0, []))

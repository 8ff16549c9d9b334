"""Learning curves on the report's page (sweep.report.curves) and the report of a study chosen on validation."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sweep.report import curves
from tests import fake_trainer
from tests.helpers import study_file, sweep_cli, sweep_run


def frame(*rows):
    return pd.DataFrame([{"number": number, "curves": json.dumps(series) if series else "", "pruned_epoch": pruned}
                         for number, series, pruned in rows])


def test_each_trial_with_a_curve_is_keyed_by_study_and_number_and_a_pruned_one_says_where_it_stopped():
    found = curves.trial_curves({"s": frame((0, {"rmse": [1.2, 1.1]}, float("nan")), (1, {"rmse": [1.5]}, 1.0),
                                            (2, None, float("nan")))})
    assert set(found) == {"s:0", "s:1"}  # trial 2 has no curve (an older study, or a failure before epoch 1)
    assert found["s:0"]["series"] == {"rmse": [1.2, 1.1]} and found["s:1"]["note"] == "pruned after epoch 1"


def test_the_fragment_maps_each_plotted_point_to_its_trial_and_is_empty_without_curves():
    text = str(curves.fragment({"s": frame((0, {"rmse": [1.0]}, float("nan")))}, [("s", 0)]))
    data = json.loads(text.split('id="curves-data">')[1].split("</script>")[0])
    assert data["points"] == {"point-0": "s:0"} and data["trials"]["s:0"]["series"] == {"rmse": [1.0]}
    assert str(curves.fragment({"s": frame((0, None, float("nan")))}, [("s", 0)])) == ""


@pytest.mark.slow
def test_the_report_of_a_study_chosen_on_validation_shows_the_front_with_its_test_metrics(tmp_path, synthetic_dir):
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert sweep_run(study_file(tmp_path, n_trials=5, epochs=2, data={"validation": 0.2}), storage,
                     synthetic_dir).returncode == 0
    out = tmp_path / "report"
    result = sweep_cli(["report", "s", "--storage", storage, "--out", out], synthetic_dir)
    assert result.returncode == 0, result.stderr
    summary = (out / "summary.md").read_text()
    assert "chosen on the validation slice (20% of the training rows" in summary
    document = json.loads((out / "summary.json").read_text())
    assert document["chosen_on"] == {"split": "validation", "validation_share": 0.2}
    assert all("test_rmse" in point for point in document["front"])
    table = pd.read_csv(out / "trials.csv")
    complete = table[table["state"] == "COMPLETE"]
    for row in complete.itertuples():
        assert row.test_rmse == pytest.approx(fake_trainer.expected_test_metrics(row.rating_weight, row.retrieval_weight)["rmse"])
        expected = fake_trainer.expected_curve(row.rating_weight, row.retrieval_weight, 2)
        assert json.loads(row.curves)["rmse"] == pytest.approx([epoch["rmse"] for epoch in expected])
    page = (out / "index.html").read_text()
    assert 'id="curves-data"' in page and 'id="curves"' in page


@pytest.mark.slow
def test_clicking_a_point_or_a_row_draws_that_trials_curves_in_a_real_browser(tmp_path, synthetic_dir):
    from tests.test_report import BROWSER_MISSING, CHROMIUM, browser_ready

    if not browser_ready():
        pytest.skip(BROWSER_MISSING)
    from playwright.sync_api import sync_playwright

    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert sweep_run(study_file(tmp_path, n_trials=4, epochs=3), storage, synthetic_dir).returncode == 0
    out = tmp_path / "report"
    assert sweep_cli(["report", "s", "--storage", storage, "--out", out], synthetic_dir).returncode == 0
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto((out / "index.html").resolve().as_uri())
            assert not page.locator("#curves").is_visible()
            row = page.locator('#trials tr[data-point="point-0"]')
            number = row.locator("td").nth(0).inner_text()
            page.locator('svg [id="point-0"]').dispatch_event("click")
            panel = page.locator("#curves")
            assert panel.is_visible() and f"Learning curves of trial {number}" in panel.inner_text()
            assert panel.locator("svg.curve").count() == 3  # top-100, RMSE and the total loss
            assert panel.locator("svg.curve").first.locator("circle").count() == 3  # one point per epoch
            page.locator("#trials tbody tr").last.click()
            last = page.locator("#trials tbody tr").last.locator("td").nth(0).inner_text()
            assert f"Learning curves of trial {last}" in panel.inner_text()
            assert errors == []
        finally:
            browser.close()

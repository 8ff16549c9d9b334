"""Using a trial's model: predict, recommend, export — on synthetic data, with the real trainer."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import optuna
import pytest

from sweep import data
from tests.helpers import environment, study_file, trials

pytestmark = pytest.mark.slow  # trains real models with TensorFlow

def run_study(root, synthetic_dir, storage, name, n_trials, keep):
    path = study_file(root, name, n_trials, epochs=2, study={"seed": 2, "keep_models": keep}, train={"batch_size": 1024},
                      search={"rating_weight": {"low": 0.1, "high": 10.0}, "retrieval_weight": {"low": 1e-3, "high": 1.0}})
    env = {k: v for k, v in environment(synthetic_dir).items() if k != "SWEEP_TRAINER"}
    env["SWEEP_ARTIFACTS"] = str(root / "artifacts")
    result = subprocess.run([sys.executable, "-m", "sweep", "run", str(path), "--storage", storage, "--quiet"],
                            capture_output=True, text=True, env=env, timeout=600, cwd=root)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def studies(tmp_path_factory, synthetic_dir):
    root = tmp_path_factory.mktemp("serve")
    storage = f"sqlite:///{root / 'studies.db'}"
    run_study(root, synthetic_dir, storage, "kept", 4, "all")
    run_study(root, synthetic_dir, storage, "front", 5, "pareto")
    run_study(root, synthetic_dir, storage, "bare", 3, "none")
    return root, storage


def sweep(storage, *args, synthetic_dir=None):
    env = environment(synthetic_dir) if synthetic_dir else None
    return subprocess.run([sys.executable, "-m", "sweep", *args, "--storage", storage],
                          capture_output=True, text=True, timeout=300, env=env)


def a_title(synthetic_dataset) -> str:
    return synthetic_dataset.movies["movie_title"].iloc[4]


def test_predict_gives_a_rating_for_a_known_user_and_title(studies, synthetic_dataset):
    _, storage = studies
    result = sweep(storage, "predict", "kept", "--user", "42", "--movie", a_title(synthetic_dataset), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert 0.0 < answer["rating"] < 6.0 and answer["trial"] in range(4)


def test_recommend_lists_k_titles_and_can_leave_out_the_seen_ones(studies, synthetic_dir, synthetic_dataset):
    _, storage = studies
    plain = sweep(storage, "recommend", "kept", "--user", "42", "-k", "10", "--json", "--trial", "2")
    assert plain.returncode == 0, plain.stderr
    titles = [r["title"] for r in json.loads(plain.stdout)["recommendations"]]
    assert len(titles) == 10 == len(set(titles))
    scores = [r["score"] for r in json.loads(plain.stdout)["recommendations"]]
    assert scores == sorted(scores, reverse=True)
    unseen = sweep(storage, "recommend", "kept", "--user", "42", "-k", "10", "--json", "--trial", "2", "--exclude-seen",
                   synthetic_dir=synthetic_dir)
    assert unseen.returncode == 0, unseen.stderr
    train = data.load_split(synthetic_dataset, 42).train
    seen = set(train.loc[train["user_id"] == "42", "movie_title"])
    unseen_titles = [r["title"] for r in json.loads(unseen.stdout)["recommendations"]]
    assert len(unseen_titles) == 10 and not seen & set(unseen_titles)


def test_the_exported_savedmodel_answers_like_the_cli_in_a_fresh_process(studies, synthetic_dataset, tmp_path):
    _, storage = studies
    title = a_title(synthetic_dataset)
    exported = sweep(storage, "export", "kept", "--trial", "2", "--out", str(tmp_path / "model"))
    assert exported.returncode == 0, exported.stderr
    predicted = json.loads(sweep(storage, "predict", "kept", "--trial", "2", "--user", "42", "--movie", title, "--json").stdout)
    recommended = json.loads(sweep(storage, "recommend", "kept", "--trial", "2", "--user", "42", "-k", "10", "--json").stdout)
    script = textwrap.dedent(f"""
        import json, tensorflow as tf
        model = tf.saved_model.load({str(tmp_path / 'model')!r})
        top = model.recommend(tf.constant(["42"]), tf.constant(10))
        rating = model.predict(tf.constant(["42"]), tf.constant([{title!r}]))["ratings"]
        print(json.dumps({{"titles": [t.decode() for t in top["titles"].numpy()[0]],
                          "scores": top["scores"].numpy()[0].tolist(), "rating": float(rating[0])}}))
    """)
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                           env={"PATH": "/usr/bin:/bin", "TF_USE_LEGACY_KERAS": "1"})  # no sweep on the path
    assert fresh.returncode == 0, fresh.stderr
    answer = json.loads(fresh.stdout.strip().splitlines()[-1])
    assert answer["titles"] == [r["title"] for r in recommended["recommendations"]]
    assert answer["scores"] == pytest.approx([r["score"] for r in recommended["recommendations"]], abs=1e-5)
    assert answer["rating"] == pytest.approx(predicted["rating"], abs=1e-5)


def test_an_unknown_user_is_one_line(studies, synthetic_dataset):
    _, storage = studies
    result = sweep(storage, "predict", "kept", "--user", "no-such-user", "--movie", a_title(synthetic_dataset))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("sweep: error: unknown user 'no-such-user'")
    assert "Traceback" not in result.stderr


def test_a_misspelled_title_suggests_the_closest_ones(studies, synthetic_dataset):
    _, storage = studies
    title = a_title(synthetic_dataset)
    result = sweep(storage, "predict", "kept", "--user", "42", "--movie", title.lower())
    assert result.returncode == 2
    assert f"did you mean {title!r}" in result.stderr and "Traceback" not in result.stderr


def test_a_trial_without_a_model_says_which_trials_have_one(studies):
    _, storage = studies
    bare = sweep(storage, "predict", "bare", "--trial", "0", "--user", "42", "--movie", "x")
    assert bare.returncode == 1
    assert bare.stderr.strip().splitlines()[-1] == (
        "sweep: error: trial 0 of study 'bare' has no stored model (its model was not kept); trials with models: none")


def test_keep_pareto_deletes_the_models_off_the_front_when_the_study_finishes(studies):
    root, storage = studies
    study = optuna.load_study(study_name="front", storage=storage)
    front = {t.number for t in study.best_trials}
    removed = set(study.user_attrs.get("removed_models", []))
    assert removed == {t.number for t in trials(storage, "front")} - front
    for number in removed:
        result = sweep(storage, "predict", "front", "--trial", str(number), "--user", "42", "--movie", "x")
        assert result.returncode == 1 and f"trials with models: {', '.join(map(str, sorted(front)))}" in result.stderr
    kept_files = sum(1 for path in (root / "artifacts").rglob("*") if path.is_file())
    assert kept_files == len(front) + 4  # the 'front' study's front, plus all four of 'kept'

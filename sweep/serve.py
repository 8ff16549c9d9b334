"""Use a trial's trained model: predict a rating, recommend titles, export a SavedModel.

The default trial is the knee point of the study's front (sweep.pareto.knee, the report's rule). The
exported SavedModel needs only TensorFlow: `tf.saved_model.load(DIR)` gives
`recommend(user_ids, k)` -> {titles, scores} and `predict(user_ids, movie_titles)` -> ratings.
A conditioned study's model serves any weight pair it was trained for (`--weights R,T`; by
default the trial's pair), and its export takes the pair as an input:
`recommend(user_ids, k, weights)` and `predict(user_ids, movie_titles, weights)`, weights = [R, T].
Its verification trials (sweep.verification) are static models, served as any per-pair trial's.
"""

from __future__ import annotations

import difflib
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sweep import SweepError, UsageError
from sweep.artifacts import MODEL_ATTR, load_packed, open_store
from sweep.config import recorded_configs
from sweep.config.run import DEFAULT_ARTIFACTS
from sweep.data.prepared import OUT_OF_VOCABULARY, vocabulary_index
from sweep.kinds import for_model
from sweep.record import VERIFIES_ATTR, TrialRecord


@dataclass
class LoadedModel:
    trial_number: int
    model: Any  # a Keras model, or a conditioned model's fixed pair (sweep.conditioned)
    users: dict  # user id -> index (data.prepared.vocabulary_index)
    titles: dict
    title_list: list
    metadata: dict
    conditioned: Any = None  # the weight-conditioned model (sweep.conditioned) that `model` serves a pair of


def choose_trial(study, trial_number: int | None, weights: tuple[float, float] | None = None) -> int:
    """The requested trial, or the knee point of the front. With `weights` and no trial, a trial whose model
    serves any pair: the knee, or when the knee is a conditioned study's verification trial (a static
    model, sweep.verification), the conditioned trial it verifies."""
    if trial_number is not None:
        if trial_number not in {t.number for t in study.get_trials(deepcopy=False)}:
            raise UsageError(f"study {study.study_name!r} has no trial {trial_number}")
        return trial_number
    from sweep.pareto import study_knee

    knee = study_knee(study)
    if knee is None:
        raise SweepError(f"study {study.study_name!r} has no COMPLETE trials yet; run it first or pass --trial")
    if weights is not None:
        verifies = next(t for t in study.get_trials(deepcopy=False) if t.number == knee).user_attrs.get(VERIFIES_ATTR)
        return knee if verifies is None else int(verifies)
    return knee


def trials_with_models(study) -> list[int]:
    removed = set(study.user_attrs.get("removed_models", []))
    return [t.number for t in study.get_trials(deepcopy=False)
            if t.state.name == "COMPLETE" and MODEL_ATTR in t.user_attrs and t.number not in removed]


def load_model(study, trial_number: int, weights: tuple[float, float] | None = None) -> LoadedModel:
    """The trial's model; of a conditioned study, at `weights` when given (else at the trial's pair)."""
    trial = next(t for t in study.get_trials(deepcopy=False) if t.number == trial_number)
    verifies = trial.user_attrs.get(VERIFIES_ATTR)
    if weights is not None and verifies is not None:
        raise UsageError(f"--weights: trial {trial_number} is a static model trained at its own pair (it verifies "
                         f"trial {verifies}); serve other pairs from the conditioned model: --trial {verifies}, "
                         "or drop --trial")
    if trial_number not in trials_with_models(study):
        available = trials_with_models(study)
        why = {"COMPLETE": "its model was not kept"}.get(trial.state.name, f"it is {trial.state.name}")
        raise SweepError(
            f"trial {trial_number} of study {study.study_name!r} has no stored model ({why}); "
            f"trials with models: {_numbers(available)}"
        )
    store = open_store(Path(study.user_attrs.get("artifacts") or DEFAULT_ARTIFACTS))
    packed = load_packed(store, trial.user_attrs[MODEL_ATTR])
    meta = packed["metadata"]
    kind = for_model(meta)
    if weights is not None:
        kind.check_servable(weights, meta)
    pair = weights or TrialRecord.from_attrs(trial.user_attrs).pair
    model, conditioned = kind.rebuild(packed, pair)
    if conditioned is not None:
        meta = {**meta, "rating_weight": pair[0], "retrieval_weight": pair[1]}
    return LoadedModel(
        trial_number=trial_number,
        model=model,
        users=vocabulary_index(packed["user_vocabulary"]),
        titles=vocabulary_index(packed["title_vocabulary"]),
        title_list=packed["title_vocabulary"],
        metadata=meta,
        conditioned=conditioned,
    )


def seen_titles(study, user: str, data_dir: Path) -> set[str]:
    """The titles the user rated in the study's training split (to leave them out of recommendations)."""
    from sweep import data

    config, _ = recorded_configs(study.user_attrs)
    dataset = data.load(data_dir, config.dataset)
    train = data.load_split(dataset, config.split_seed, config.train_size, config.test_size, kind=config.split).train
    return set(train.loc[train["user_id"] == user, "movie_title"])


def _numbers(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers)) if numbers else "none"


def user_index(loaded: LoadedModel, user: str) -> int:
    if user not in loaded.users:
        examples = ", ".join(repr(u) for u in sorted(loaded.users, key=lambda u: (len(u), u))[:3])
        raise UsageError(f"unknown user {user!r}: the model knows {len(loaded.users)} users ({examples}, ...)")
    return loaded.users[user]


def title_index(loaded: LoadedModel, title: str) -> int:
    if title not in loaded.titles:
        close = difflib.get_close_matches(title, loaded.title_list, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UsageError(f"unknown movie title {title!r}{hint}")
    return loaded.titles[title]


def predict(loaded: LoadedModel, user: str, title: str) -> float:
    from sweep.evaluation import predicted_ratings

    return float(predicted_ratings(loaded.model, [user_index(loaded, user)], [title_index(loaded, title)])[0])


def recommend(loaded: LoadedModel, user: str, k: int = 10, exclude: AbstractSet[str] = frozenset()) -> list[tuple[str, float]]:
    """Top-k titles by retrieval score through TFRS's brute-force index over all titles."""
    import tensorflow as tf
    import tensorflow_recommenders as tfrs

    if k < 1:
        raise UsageError("-k must be at least 1")
    model = loaded.model
    index = tfrs.layers.factorized_top_k.BruteForce(model.user_embedding, k=min(len(loaded.title_list), k + len(exclude)))
    title_ids = np.array([loaded.titles[title] for title in loaded.title_list], dtype=np.int32)
    index.index(model.movie_embedding(tf.constant(title_ids)), tf.constant(loaded.title_list))
    scores, titles = index(tf.constant([user_index(loaded, user)]))
    ranked = [(title.decode("utf-8"), float(score)) for title, score in zip(titles.numpy()[0], scores.numpy()[0])]
    return [(title, score) for title, score in ranked if title not in exclude][:k]


def export(loaded: LoadedModel, out: Path) -> None:
    """A SavedModel that serves recommendations and rating predictions with plain TensorFlow."""
    import tensorflow as tf

    model = loaded.model

    class Serving(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model
            _attach_lookups(self, loaded, model.movie_embedding)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([], tf.int32)])
        def recommend(self, user_ids, k):
            queries = self.model.user_embedding(self.user_table.lookup(user_ids))
            scores, indices = tf.math.top_k(tf.matmul(queries, self.title_embeddings, transpose_b=True), k=k)
            return {"titles": tf.gather(self.titles, indices), "scores": scores}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string)])
        def predict(self, user_ids, movie_titles):
            user_embeddings = self.model.user_embedding(self.user_table.lookup(user_ids))
            movie_embeddings = self.model.movie_embedding(self.title_table.lookup(movie_titles))
            return {"ratings": self.model.predict_rating(user_embeddings, movie_embeddings)}

    serving = Serving() if loaded.conditioned is None else _conditioned_serving(loaded)
    try:
        tf.saved_model.save(serving, str(out), signatures={"recommend": serving.recommend, "predict": serving.predict})
    except OSError as error:
        raise SweepError(f"cannot write the SavedModel to {out} ({error})") from error


def _attach_lookups(module, loaded: LoadedModel, movie_embedding) -> None:
    """What both exports hold besides the model: id tables, the titles and their (fixed) embeddings."""
    import tensorflow as tf

    def table(index: dict):
        initializer = tf.lookup.KeyValueTensorInitializer(
            tf.constant(list(index)), tf.constant(list(index.values()), dtype=tf.int64))
        return tf.lookup.StaticHashTable(initializer, default_value=OUT_OF_VOCABULARY)

    module.user_table = table(loaded.users)
    module.title_table = table(loaded.titles)
    module.titles = tf.constant(loaded.title_list)
    title_ids = tf.constant([loaded.titles[title] for title in loaded.title_list])
    module.title_embeddings = tf.Variable(movie_embedding(title_ids), trainable=False)


def _conditioned_serving(loaded: LoadedModel):
    """The SavedModel module of a conditioned model: the weight pair is an input of both signatures
    (the movie tower is not conditioned, so the candidates' embeddings are computed once)."""
    import tensorflow as tf

    model = loaded.conditioned

    class ConditionedServing(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model
            _attach_lookups(self, loaded, model.movie_embedding)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([], tf.int32),
                                      tf.TensorSpec([2], tf.float32)])
        def recommend(self, user_ids, k, weights):
            features = self.model.features(tf.ones([tf.shape(user_ids)[0], 2]) * weights[None, :])
            queries = self.model.user_vectors(self.user_table.lookup(user_ids), features)
            scores, indices = tf.math.top_k(tf.matmul(queries, self.title_embeddings, transpose_b=True), k=k)
            return {"titles": tf.gather(self.titles, indices), "scores": scores}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string),
                                      tf.TensorSpec([2], tf.float32)])
        def predict(self, user_ids, movie_titles, weights):
            features = self.model.features(tf.ones([tf.shape(user_ids)[0], 2]) * weights[None, :])
            users = self.model.user_vectors(self.user_table.lookup(user_ids), features)
            movies = self.model.movie_embedding(self.title_table.lookup(movie_titles))
            return {"ratings": self.model.predict_rating(users, movies, features)}

    return ConditionedServing()

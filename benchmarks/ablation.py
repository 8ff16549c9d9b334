"""What each of the trial's speed changes buys: each switched off alone, timed in one run.

The harness's training step (sweep.training.training_step) differs from the tutorial's in
five ways that change no number. Each row turns exactly one of them back into what the
tutorial does, keeping the other four, and times a training step on the tutorial's
split for each tutorial pair (median over its 3 epochs' full batches of 8,192, the
first step, which traces the graph, left out):

- metrics per training batch: FactorizedTopK over every movie entry (built as the
  tutorial builds it, from a dataset of candidates mapped through the movie embedding)
  and RMSE, updated on every batch as TFRS's tasks do inside `fit`;
- string lookups in the graph: the batches hold user ids and titles as strings, looked up
  by StringLookup layers inside the step (the harness looks them up once per worker);
- dense identity labels: TFRS's Retrieval loss, categorical cross-entropy of the whole
  8,192 × 8,192 score matrix against tf.eye (so the softmax is unblocked too: dense
  labels need the whole matrix);
- plain softmax: the whole score matrix with sparse labels, unblocked;
- computing a zero-weighted task: both tasks computed, one multiplied by 0 (only the
  pairs with a zero weight differ).

A change that cannot touch a pair's step (the softmax's at (1, 0), the zero-weighted
task's at (1, 1)) is not run there: its cell is "—".

Every variant's first-batch losses are compared with the harness's (they compute the
same numbers). "all five off" turns every change back at once (still without Keras's
fit loop, which `scripts/bench-trial` measures with the tutorial's code as written).

    PYTHONPATH=. python -m benchmarks.ablation [--out benchmarks/results/ablation.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

import sweep
from benchmarks.floor import time_steps

PAIRS = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0))
CHANGES = {  # row name -> the switches that put the tutorial's way back
    "harness (every change on)": {},
    "metrics per training batch": {"metrics": True},
    "string lookups in the graph": {"strings": True},
    "dense identity labels": {"softmax": "dense"},
    "plain (unblocked) softmax": {"softmax": "plain"},
    "computing a zero-weighted task": {"zero_task": True},
    "all five off": {"metrics": True, "strings": True, "softmax": "dense", "zero_task": True},
}


def variant_step(tf, model, optimizer, weights, prepared, metrics=False, strings=False, softmax="blocked",
                 zero_task=False):
    """A training step with the named changes switched off; returns (total, rating, retrieval)."""
    import tensorflow_recommenders as tfrs

    from sweep.model import in_batch_softmax_loss, mean_squared_error

    rating_weight, retrieval_weight = weights
    if strings:
        user_lookup = tf.keras.layers.StringLookup(vocabulary=list(prepared.user_vocabulary), mask_token=None)
        title_lookup = tf.keras.layers.StringLookup(vocabulary=list(prepared.title_vocabulary), mask_token=None)
    if metrics:
        candidates = tf.data.Dataset.from_tensor_slices(prepared.candidates["all_entries"])
        top_k = tfrs.metrics.FactorizedTopK(candidates=candidates.batch(128).map(model.movie_embedding))
        rmse = tf.keras.metrics.RootMeanSquaredError()
    key_type = tf.string if strings else tf.int32
    signature = [tf.TensorSpec([None], key_type), tf.TensorSpec([None], key_type), tf.TensorSpec([None], tf.float32)]

    def retrieval(users, movies):
        if softmax == "blocked":
            return in_batch_softmax_loss(users, movies)
        scores = tf.matmul(users, movies, transpose_b=True)
        if softmax == "plain":
            labels = tf.range(tf.shape(scores)[0])
            return tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=scores))
        labels = tf.eye(tf.shape(scores)[0], tf.shape(scores)[1])
        loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True, reduction=tf.keras.losses.Reduction.SUM)
        return loss(labels, scores)

    @tf.function(input_signature=signature, autograph=False)
    def step(users, titles, ratings):
        user_ids = user_lookup(users) if strings else users
        title_ids = title_lookup(titles) if strings else titles
        with tf.GradientTape() as tape:
            user_embeddings = model.user_embedding(user_ids)
            movie_embeddings = model.movie_embedding(title_ids)
            predictions = None
            rating_loss = retrieval_loss = tf.constant(0.0)
            if rating_weight != 0.0 or zero_task:
                predictions = model.predict_rating(user_embeddings, movie_embeddings)
                rating_loss = mean_squared_error(ratings, predictions)
            if retrieval_weight != 0.0 or zero_task:
                retrieval_loss = retrieval(user_embeddings, movie_embeddings)
            total = rating_weight * rating_loss + retrieval_weight * retrieval_loss
        variables = model.trainable_variables
        gradients = tape.gradient(total, variables)
        optimizer.apply_gradients([(g, v) for g, v in zip(gradients, variables) if g is not None])
        if metrics:
            if predictions is None:
                predictions = model.predict_rating(user_embeddings, movie_embeddings)
            rmse.update_state(ratings, predictions)
            top_k.update_state(user_embeddings, movie_embeddings)
        return total, rating_loss, retrieval_loss

    return step


def applies(switches: dict, pair: tuple[float, float]) -> bool:
    """Whether switching these changes off alters the pair's step at all: nothing is zero-weighted
    at (1, 1), and with the zero-weighted task skipped, (1, 0) never computes the softmax."""
    if switches == {"zero_task": True}:
        return not (pair[0] and pair[1])
    if set(switches) == {"softmax"}:
        return pair[1] != 0.0
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    tf = sweep.import_tensorflow()
    from sweep.config import DataConfig, ModelConfig, TrainConfig
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared
    from sweep.model import build_model
    from sweep.training import training_batches, training_step

    model_config, train_config = ModelConfig(), TrainConfig()
    prepared = load_prepared(DataConfig(), run_config.data_dir())
    id_batches = [b for b in training_batches(prepared.train, train_config, 0) if b[0].shape[0] == train_config.batch_size]
    users, titles = np.array(prepared.user_vocabulary, dtype=object), np.array(prepared.title_vocabulary, dtype=object)
    string_batches = [(tf.constant(users[u.numpy() - 1]), tf.constant(titles[t.numpy() - 1]), r) for u, t, r in id_batches]

    def fresh(weights):
        tf.keras.utils.set_random_seed(0)
        built_with = weights if weights[0] and weights[1] else (1.0, 1.0)  # variants pick their own tasks
        model = build_model(model_config, len(prepared.user_vocabulary), len(prepared.title_vocabulary), *built_with)
        return model, tf.keras.optimizers.Adagrad(learning_rate=train_config.learning_rate)

    rows = {}
    for name, switches in CHANGES.items():
        rows[name] = {}
        for pair in PAIRS:
            key = f"{pair[0]:g},{pair[1]:g}"
            if not applies(switches, pair):
                rows[name][key] = None  # the change does not touch this pair's step: the harness's step
                continue
            if not switches:
                tf.keras.utils.set_random_seed(0)
                model = build_model(model_config, len(prepared.user_vocabulary), len(prepared.title_vocabulary), *pair)
                optimizer = tf.keras.optimizers.Adagrad(learning_rate=train_config.learning_rate)
                step = training_step(model, optimizer)
            else:
                model, optimizer = fresh(pair)
                step = variant_step(tf, model, optimizer, pair, prepared, **switches)
            batches = string_batches if switches.get("strings") else id_batches
            first_losses = [float(loss.numpy()) for loss in step(*batches[0])]
            seconds = time_steps(step, batches, train_config.epochs)
            rows[name][key] = {"median_step_seconds": statistics.median(seconds), "steps_timed": len(seconds),
                               "first_batch_losses": first_losses}
            print(f"{name} ({key}): {statistics.median(seconds):.4f} s per step", file=sys.stderr, flush=True)
    harness = rows["harness (every change on)"]
    for name, by_pair in rows.items():
        for key, row in by_pair.items():
            if row is None:
                continue
            row["times_harness"] = row["median_step_seconds"] / harness[key]["median_step_seconds"]
            reference = np.array(harness[key]["first_batch_losses"])
            mine = np.array(row["first_batch_losses"])
            computed = reference != 0  # a zero-weighted task's loss is 0 in the harness
            row["first_batch_losses_match"] = bool(np.allclose(mine[computed], reference[computed], rtol=1e-4))
    print("| switched off | (1, 0) step s | × | (0, 1) step s | × | (1, 1) step s | × |\n|---|---|---|---|---|---|---|")
    for name, by_pair in rows.items():
        cells = []
        for key in ("1,0", "0,1", "1,1"):
            row = by_pair[key]
            cells += ["—", "—"] if row is None else [f"{row['median_step_seconds']:.4f}", f"{row['times_harness']:.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.out:
        from benchmarks.machine import write_result

        write_result(args.out, {"pairs_order": [f"{a:g},{b:g}" for a, b in PAIRS], "rows": rows, "row_order": list(rows),
                                "batch_size": train_config.batch_size})
    return 0


if __name__ == "__main__":
    sys.exit(main())

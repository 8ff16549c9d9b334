"""How close a training step is to this machine's floor: FLOPs counted, matmul throughput measured.

The floor of a step is its floating-point work divided by the float32 matmul throughput
TensorFlow reaches here (measured in the same run): at a large square product (the
machine's peak, near enough: the floor proper) and, for reference, at the step's own
shapes taken one product at a time (which the blocked softmax beats by overlapping its
blocks, so that "floor" is not one). Work per step
of B rows, embedding dimension d, rating MLP 2d → 256 → 128 → 1:

- retrieval (in-batch softmax): the B × B scores and their two gradients, three B·B·d
  products: 3 · 2·B²·d FLOPs (exp and sums over B² scores come on top, uncounted);
- rating: the MLP's forward (2·B·Σ fan_in·fan_out) and backward (twice that).

A task whose weight is 0 is not computed, so (1, 0) and (0, 1) count one task each. The
measured step is the harness's own (sweep.training's), median over the tutorial's 3 epochs
on the cached MovieLens 100K split, one pair at a time.

    PYTHONPATH=. python -m benchmarks.floor [--out benchmarks/results/floor.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sweep

PAIRS = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0))


def matmul_throughput(tf, shape_a, shape_b, repeats: int = 30) -> float:
    """GFLOP/s of a float32 matmul of these shapes (median of repeats, after a warm-up)."""
    a, b = tf.random.normal(shape_a), tf.random.normal(shape_b)
    seconds = median_seconds(tf.function(lambda x, y: tf.matmul(x, y)), (a, b), repeats)
    return 2 * shape_a[0] * shape_a[1] * shape_b[1] / seconds / 1e9


def median_seconds(compiled, arguments: tuple, repeats: int) -> float:
    """Median wall time of a compiled call (its result fetched), after one warm-up call that traces it."""
    compiled(*arguments).numpy()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        compiled(*arguments).numpy()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def time_steps(step, batches: list[tuple], epochs: int) -> list[float]:
    """Seconds of every training step over `epochs` passes of the batches, the first (which traces) left out."""
    seconds = []
    for _ in range(epochs):
        for batch in batches:
            started = time.perf_counter()
            step(*batch)[0].numpy()
            seconds.append(time.perf_counter() - started)
    return seconds[1:]


def block_seconds(tf, rows: int, batch: int, dimension: int, with_softmax: bool, repeats: int = 100) -> float:
    """Median seconds of one softmax block's score product, alone or with its row maxima, exponentials
    and row sums: what the elementwise passes the FLOP count leaves out add to a block."""
    queries, candidates = tf.random.normal([rows, dimension]), tf.random.normal([batch, dimension])

    def forward(q, c):
        scores = tf.matmul(q, c, transpose_b=True)
        if not with_softmax:
            return scores
        return tf.reduce_sum(tf.exp(scores - tf.reduce_max(scores, axis=1, keepdims=True)), axis=1)

    return median_seconds(tf.function(forward), (queries, candidates), repeats)


def step_flops(rating_weight: float, retrieval_weight: float, batch: int, dimension: int, layers) -> float:
    flops = 0.0
    if retrieval_weight:
        flops += 3 * 2 * batch * batch * dimension
    if rating_weight:
        fans = [2 * dimension, *layers, 1]
        forward = 2 * batch * sum(fan_in * fan_out for fan_in, fan_out in zip(fans, fans[1:]))
        flops += 3 * forward
    return flops


def measured_steps(tf, prepared, rating_weight: float, retrieval_weight: float, model_config, train_config) -> list[float]:
    from sweep.model import build_model
    from sweep.training import training_batches, training_step

    tf.keras.utils.set_random_seed(0)
    model = build_model(model_config, len(prepared.user_vocabulary), len(prepared.title_vocabulary),
                        rating_weight, retrieval_weight)
    optimizer = tf.keras.optimizers.Adagrad(learning_rate=train_config.learning_rate)
    step = training_step(model, optimizer)

    batches = [batch for batch in training_batches(prepared.train, train_config, 0) if batch[0].shape[0] == train_config.batch_size]
    return time_steps(step, batches, train_config.epochs)


def block_rows_sweep(tf, prepared, model_config, train_config, rows_tried=(64, 128, 256, 512)) -> dict:
    """The joint step's median seconds with the softmax in blocks of other sizes, and compiled by XLA
    (a few steps: it is slow), to show the shipped choice is this machine's fastest."""
    import sweep.model as model_module
    from sweep.model import build_model
    from sweep.training import training_batches

    shipped = model_module.SOFTMAX_BLOCK_ROWS
    results = {}
    try:
        for rows in rows_tried:
            model_module.SOFTMAX_BLOCK_ROWS = rows  # read when the step is traced
            results[f"{rows} rows"] = statistics.median(
                measured_steps(tf, prepared, 1.0, 1.0, model_config, train_config))
    finally:
        model_module.SOFTMAX_BLOCK_ROWS = shipped
    tf.keras.utils.set_random_seed(0)
    model = build_model(model_config, len(prepared.user_vocabulary), len(prepared.title_vocabulary), 1.0, 1.0)
    optimizer = tf.keras.optimizers.Adagrad(learning_rate=train_config.learning_rate)

    @tf.function(jit_compile=True)
    def xla_step(user_ids, title_ids, ratings):
        with tf.GradientTape() as tape:
            rating_loss, retrieval_loss = model.task_losses(user_ids, title_ids, ratings)
            total = rating_loss + retrieval_loss
        gradients = tape.gradient(total, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return total

    batches = [batch for batch in training_batches(prepared.train, train_config, 0) if batch[0].shape[0] == train_config.batch_size]
    xla_step(*batches[0]).numpy()  # compiles
    seconds = []
    for batch in batches[1:6]:
        started = time.perf_counter()
        xla_step(*batch).numpy()
        seconds.append(time.perf_counter() - started)
    results[f"{shipped} rows, XLA-compiled step"] = statistics.median(seconds)
    return {"shipped_rows": shipped, "joint_step_seconds": results}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    tf = sweep.import_tensorflow()
    from sweep.config import DataConfig, ModelConfig, TrainConfig
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared
    from sweep.model import SOFTMAX_BLOCK_ROWS

    model_config, train_config = ModelConfig(), TrainConfig()
    batch, dimension = train_config.batch_size, model_config.embedding_dimension
    shapes = {
        "softmax block scores (256x32 @ 32x8192)": ((SOFTMAX_BLOCK_ROWS, dimension), (dimension, batch)),
        "softmax block gradient (256x8192 @ 8192x32)": ((SOFTMAX_BLOCK_ROWS, batch), (batch, dimension)),
        "rating layer (8192x256 @ 256x128)": ((batch, 256), (256, 128)),
        "large square (2048x2048 @ 2048x2048)": ((2048, 2048), (2048, 2048)),
    }
    throughput = {name: matmul_throughput(tf, *shape) for name, shape in shapes.items()}
    block = {"score_product_seconds": block_seconds(tf, SOFTMAX_BLOCK_ROWS, batch, dimension, False),
             "with_exponentials_and_row_sums_seconds": block_seconds(tf, SOFTMAX_BLOCK_ROWS, batch, dimension, True)}
    softmax_rate = statistics.fmean([throughput[name] for name in list(shapes)[:2]])
    rating_rate = throughput["rating layer (8192x256 @ 256x128)"]
    peak_rate = throughput["large square (2048x2048 @ 2048x2048)"]  # the machine's float32 peak, near enough
    prepared = load_prepared(DataConfig(), run_config.data_dir())
    rows = {}
    for rating_weight, retrieval_weight in PAIRS:
        softmax = step_flops(0.0, retrieval_weight, batch, dimension, model_config.rating_layers)
        rating = step_flops(rating_weight, 0.0, batch, dimension, model_config.rating_layers)
        at_shapes = softmax / (softmax_rate * 1e9) + rating / (rating_rate * 1e9)
        at_peak = (softmax + rating) / (peak_rate * 1e9)
        seconds = measured_steps(tf, prepared, rating_weight, retrieval_weight, model_config, train_config)
        median = statistics.median(seconds)
        rows[f"{rating_weight:g},{retrieval_weight:g}"] = {
            "gflop_per_step": (softmax + rating) / 1e9, "floor_seconds_at_peak": at_peak,
            "floor_seconds_at_step_shapes": at_shapes, "median_step_seconds": median,
            "times_floor_at_peak": median / at_peak, "times_floor_at_step_shapes": median / at_shapes,
            "achieved_gflops": (softmax + rating) / median / 1e9, "steps_timed": len(seconds)}
    alternatives = block_rows_sweep(tf, prepared, model_config, train_config)
    print("| shape | GFLOP/s |\n|---|---|")
    for name, rate in throughput.items():
        print(f"| {name} | {rate:.1f} |")
    print("alternatives, joint step seconds: " + ", ".join(
        f"{name} {seconds:.4f}" for name, seconds in alternatives["joint_step_seconds"].items()))
    print(f"\none softmax block: score product {block['score_product_seconds'] * 1e3:.3f} ms, with exponentials and "
          f"row sums {block['with_exponentials_and_row_sums_seconds'] * 1e3:.3f} ms")
    print("\n| pair | GFLOP per step | measured step (s) | achieved GFLOP/s | floor at peak (s) | × floor at peak | "
          "× floor at the step's shapes |\n|---|---|---|---|---|---|---|")
    for pair, row in rows.items():
        print(f"| ({pair}) | {row['gflop_per_step']:.2f} | {row['median_step_seconds']:.4f} | {row['achieved_gflops']:.1f} | "
              f"{row['floor_seconds_at_peak']:.4f} | {row['times_floor_at_peak']:.2f} | "
              f"{row['times_floor_at_step_shapes']:.2f} |")
    if args.out:
        from benchmarks.machine import write_result

        write_result(args.out, {"matmul_gflops": throughput, "softmax_block": block, "pairs": rows,
                                "alternatives": alternatives})
    return 0


if __name__ == "__main__":
    sys.exit(main())

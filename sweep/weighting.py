"""How a training step weighs its two losses: fixed weights, or a method that adapts them.

Each adaptive method is an update rule on two numbers, run between training steps on the
losses (and, for GradNorm, gradient norms) the step just measured; the step itself always
minimizes w_rating * L_rating + w_retrieval * L_retrieval with the weights it is given.
The rules are plain NumPy so each can be checked in closed form (tests/test_weighting.py).

- `uncertainty` (Kendall, Gal & Cipolla, CVPR 2018): loss ½·e^(−s_r)·L_r + ½·s_r +
  e^(−s_t)·L_t + ½·s_t with learned log-variances s (regression form for the rating,
  classification form for retrieval). Its gradient in the model's parameters is that of the
  weighted sum with w_r = ½·e^(−s_r), w_t = e^(−s_t), so the model step is the static one;
  s starts at 0 and takes the training optimizer's own Adagrad step on ∂loss/∂s, as if it
  were one more variable of the model.
- `dwa` (Liu, Johns & Davison, CVPR 2019): λ_k = K·softmax(w/T)_k, w_k = L_k(t−1)/L_k(t−2),
  T = 2, uniform for the first two periods. The tutorial trains 3 epochs, so over epochs
  only the last one adapts; the default `dwa` therefore counts t in training steps (30
  here), `dwa-epochs` in epochs as the paper does.
- `gradnorm` (Chen et al., ICML 2018): α = 1.5; per step, G_k = w_k·‖∇_W L_k‖ at the shared
  layers W (both embedding tables), target_k = mean(G)·r_k^α with r_k the loss ratio
  L_k(t)/L_k(0) over its mean, and the weights take an Adagrad step (the training
  optimizer's) on Σ|G_k − target_k| with the targets held constant — whose gradient in w_k is
  sign(G_k − target_k)·‖∇_W L_k‖, in closed form — then are renormalized to sum to K = 2.
- `normalized`: each loss divided by its value on the first batch, equal weights.
"""

from __future__ import annotations

import math

import numpy as np

from sweep.config import METHODS

DWA_TEMPERATURE = 2.0
GRADNORM_ALPHA = 1.5
TASKS = 2  # K: rating and retrieval
ADAGRAD_INITIAL_ACCUMULATOR, ADAGRAD_EPSILON = 0.1, 1e-7  # Keras's Adagrad defaults
GRADNORM_FLOOR = 1e-6  # a weight renormalized below zero would flip its task's gradient


def adagrad_step(value: np.ndarray, gradient: np.ndarray, accumulator: np.ndarray, learning_rate: float):
    """Keras's Adagrad update: (new value, new accumulator)."""
    accumulator = accumulator + gradient**2
    return value - learning_rate * gradient / (np.sqrt(accumulator) + ADAGRAD_EPSILON), accumulator


def dwa_weights(previous: np.ndarray, before: np.ndarray, temperature: float = DWA_TEMPERATURE) -> np.ndarray:
    """λ from the losses one and two periods back (each a length-K array)."""
    ratios = np.asarray(previous, float) / np.asarray(before, float)
    scaled = np.exp((ratios - ratios.max()) / temperature)  # shifted: the same softmax, no overflow
    return TASKS * scaled / scaled.sum()


class Weighting:
    """Fixed weights; the base of the adaptive methods. `weights` is what the next step uses."""

    name = "static"
    needs_gradient_norms = False
    needs_first_losses = False

    def __init__(self, rating_weight: float = 1.0, retrieval_weight: float = 1.0, learning_rate: float = 0.1):
        self.weights = np.array([rating_weight, retrieval_weight], dtype=float)
        self.learning_rate = learning_rate
        self.steps: list[list[float]] = []  # the weights each step used

    def start(self, first_losses: np.ndarray) -> None:
        """The losses of the first batch before any update (for methods that scale by them)."""

    def after_step(self, losses: np.ndarray, gradient_norms: np.ndarray | None = None) -> None:
        """Update from the step just taken with `self.weights` (its losses, shared-layer gradient norms)."""

    def after_epoch(self, mean_losses: np.ndarray) -> None:
        """Update from an epoch's mean losses."""

    def record(self) -> None:
        self.steps.append([float(w) for w in self.weights])


class Uncertainty(Weighting):
    name = "uncertainty"

    def __init__(self, learning_rate: float = 0.1):
        super().__init__(learning_rate=learning_rate)
        self.log_variances = np.zeros(TASKS)
        self.accumulator = np.full(TASKS, ADAGRAD_INITIAL_ACCUMULATOR)
        self.weights = self.weights_of(self.log_variances)

    @staticmethod
    def weights_of(log_variances: np.ndarray) -> np.ndarray:
        return np.array([0.5 * math.exp(-log_variances[0]), math.exp(-log_variances[1])])

    @staticmethod
    def gradient(log_variances: np.ndarray, losses: np.ndarray) -> np.ndarray:
        """∂/∂s of ½e^(−s_r)L_r + ½s_r + e^(−s_t)L_t + ½s_t."""
        return np.array([-0.5 * math.exp(-log_variances[0]) * losses[0] + 0.5,
                         -math.exp(-log_variances[1]) * losses[1] + 0.5])

    def after_step(self, losses, gradient_norms=None) -> None:
        self.log_variances, self.accumulator = adagrad_step(
            self.log_variances, self.gradient(self.log_variances, losses), self.accumulator, self.learning_rate)
        self.weights = self.weights_of(self.log_variances)


class DynamicWeightAverage(Weighting):
    """DWA over steps (`dwa`) or epochs (`dwa-epochs`)."""

    def __init__(self, over: str = "steps", learning_rate: float = 0.1):
        super().__init__(learning_rate=learning_rate)
        self.over, self.name = over, "dwa" if over == "steps" else "dwa-epochs"
        self.history: list[np.ndarray] = []

    def _observe(self, losses: np.ndarray) -> None:
        self.history.append(np.asarray(losses, float))
        if len(self.history) >= 2:
            self.weights = dwa_weights(self.history[-1], self.history[-2])

    def after_step(self, losses, gradient_norms=None) -> None:
        if self.over == "steps":
            self._observe(losses)

    def after_epoch(self, mean_losses) -> None:
        if self.over == "epochs":
            self._observe(mean_losses)


class GradNorm(Weighting):
    name = "gradnorm"
    needs_gradient_norms = True

    def __init__(self, alpha: float = GRADNORM_ALPHA, learning_rate: float = 0.1):
        super().__init__(learning_rate=learning_rate)
        self.alpha = alpha
        self.first_losses: np.ndarray | None = None
        self.accumulator = np.full(TASKS, ADAGRAD_INITIAL_ACCUMULATOR)

    def gradient(self, losses: np.ndarray, gradient_norms: np.ndarray) -> np.ndarray:
        """∂/∂w of Σ_k |w_k·g_k − mean(w·g)·r_k^α|, targets constant."""
        weighted = self.weights * gradient_norms
        ratios = np.asarray(losses, float) / self.first_losses
        targets = weighted.mean() * (ratios / ratios.mean()) ** self.alpha
        return np.sign(weighted - targets) * gradient_norms

    def after_step(self, losses, gradient_norms=None) -> None:
        if self.first_losses is None:
            self.first_losses = np.asarray(losses, float)  # L(0): the loss of the first step
        updated, self.accumulator = adagrad_step(self.weights, self.gradient(losses, gradient_norms),
                                                 self.accumulator, self.learning_rate)
        updated = np.maximum(updated, GRADNORM_FLOOR)
        self.weights = TASKS * updated / updated.sum()


class Normalized(Weighting):
    name = "normalized"
    needs_first_losses = True

    def start(self, first_losses) -> None:
        self.weights = 1.0 / np.asarray(first_losses, float)


def make_weighting(method: str, learning_rate: float) -> Weighting:
    """The update rule of a method named in a study file's `[weighting] methods`."""
    if method == "uncertainty":
        return Uncertainty(learning_rate)
    if method in ("dwa", "dwa-epochs"):
        return DynamicWeightAverage("steps" if method == "dwa" else "epochs", learning_rate)
    if method == "gradnorm":
        return GradNorm(learning_rate=learning_rate)
    if method == "normalized":
        return Normalized(learning_rate=learning_rate)
    raise ValueError(f"unknown weighting method {method!r} (known: {', '.join(METHODS)})")

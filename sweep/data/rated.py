"""Which training rows keep their rating label when ratings are sparse (`[data] rating_fraction`).

In MovieLens every training row is an interaction, the retrieval task's data; the rating is a
label that only some of them need to keep for the ranking task to become the data-sparse one.
The rule, for a fraction f of N training rows:

- Exactly K = max(1, round(f × N)) rows keep their rating (half rounds up), so the fraction is
  the fraction: at f = 0.01 of the tutorial's 80,000 rows, 800 ratings.
- Stratified by user, in proportion to the user's rows: each user's rows are put in a seeded
  random order; the row at position r of a user with n rows gets the key (r + ½) / n, except
  the first, whose key is 0; the K rows of smallest key keep their rating, ties broken by the
  same random order. So every user keeps one rating before any user keeps two (no user loses
  every rating when K is at least the number of users; below that, K users chosen at random
  keep one), and beyond that each user keeps max(1, round(t × n)) of its n rows for the one
  share t that makes the total K: no user's count is more than half a row from that share.
- Nested: a smaller fraction's rows are a prefix of the same order, so they lie inside a larger
  fraction's, and the fractions of one split differ only in how many ratings they keep.
- Seeded by the split's seed on a stream of its own (not the permutation split's), and
  fingerprinted: the prepared split's fingerprint covers the fraction and the rated rows, so a
  study never mixes trials trained on different subsets.

Pure NumPy; the split's test rows are never touched.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

STREAM = 0x5EA7ED  # the rated subset's own random stream under the split seed


def rated_count(n_rows: int, fraction: float) -> int:
    """How many of `n_rows` training rows keep their rating: max(1, round(fraction × n_rows)), half up."""
    return min(n_rows, max(1, math.floor(fraction * n_rows + 0.5)))


def rated_rows(user_ids: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask over the training rows: True where the row keeps its rating (the module's rule)."""
    user_ids = np.asarray(user_ids)
    order = np.random.default_rng([seed, STREAM]).permutation(len(user_ids))  # each user's rows, and every tie, in this order
    position, size = places_among_users(user_ids, order)
    keys = np.where(position == 0, 0.0, (position + 0.5) / size)
    return smallest_keys(keys, order, rated_count(len(user_ids), fraction))


def places_among_users(user_ids: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every row: its place r among its user's rows taken in `order` (a permutation of the rows), and
    how many rows its user has. The stratified draws (this one, sweep.data.validation) key rows by them."""
    n_rows = len(user_ids)
    by_user = order[np.argsort(user_ids[order], kind="stable")]  # grouped by user, each user's rows in `order`
    grouped = user_ids[by_user]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(np.r_[starts, n_rows])
    position, size = np.empty(n_rows, dtype=np.int64), np.empty(n_rows, dtype=np.int64)
    position[by_user] = np.arange(n_rows) - np.repeat(starts, sizes)
    size[by_user] = np.repeat(sizes, sizes)
    return position, size


def smallest_keys(keys: np.ndarray, order: np.ndarray, count: int) -> np.ndarray:
    """A boolean mask of the `count` rows of smallest key, ties broken by `order`."""
    place = np.empty(len(keys), dtype=np.int64)
    place[order] = np.arange(len(keys))
    mask = np.zeros(len(keys), dtype=bool)
    mask[np.lexsort((place, keys))[:count]] = True
    return mask


def rated_fingerprint(split_fingerprint: str, fraction: float, seed: int, mask: np.ndarray) -> str:
    """The split's fingerprint extended by the fraction, its seed and which rows keep their rating."""
    digest = hashlib.sha256(f"{split_fingerprint}|rating_fraction={fraction!r}|seed={seed}|".encode())
    digest.update(np.packbits(mask).tobytes())
    return "sha256:" + digest.hexdigest()

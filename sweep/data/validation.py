"""The validation slice (`[data] validation`): training rows held out so a study chooses on them, not on test.

Choosing the front among fifty pairs on the numbers it then reports keeps the lucky draws; a
slice of the training rows that no trial trains on lets the objectives (the front, the knee,
patience, pruning, `sweep pick`) be decided there, and the test split only report. The rule,
for a share f of N training rows:

- Exactly K = round(f × N) rows (half up) are held out: the share is the share.
- Stratified by user, in proportion to the user's rows: each user's rows are put in a seeded
  random order; the row at place r of a user with n rows gets the key (r + ½) / n, and the K
  rows of smallest key are held out, ties broken by the same order. So each user gives about
  f × n rows (no user's count is more than half a row from the one share that makes the total K),
  and a user with one training row keeps it unless f > ½: validation measures the users trained on.
- Seeded by the split's seed on a stream of its own (neither the permutation's nor the rated
  subset's), cached beside the split, and fingerprinted: the prepared split's fingerprint covers
  the share and the rows, so a study never mixes trials chosen on different slices.
At f = 0 nothing is drawn and the split is the tutorial's: train on every training row, choose on test.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np

from sweep.data.cache import Dataset
from sweep.data.rated import places_among_users, smallest_keys
from sweep.data.split import Split, write_atomically

STREAM = 0x7A11D  # the validation slice's own random stream under the split seed


def validation_count(n_rows: int, fraction: float) -> int:
    """How many of `n_rows` training rows are held out: round(fraction × n_rows), half up."""
    return min(n_rows, math.floor(fraction * n_rows + 0.5))


def validation_rows(user_ids: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask over the training rows: True where the row is held out for validation (the module's rule)."""
    user_ids = np.asarray(user_ids)
    order = np.random.default_rng([seed, STREAM]).permutation(len(user_ids))
    position, size = places_among_users(user_ids, order)
    return smallest_keys((position + 0.5) / size, order, validation_count(len(user_ids), fraction))


def validation_fingerprint(split_fingerprint: str, fraction: float, seed: int, mask: np.ndarray) -> str:
    """The split's fingerprint extended by the share, its seed and which rows are held out."""
    digest = hashlib.sha256(f"{split_fingerprint}|validation={fraction!r}|seed={seed}|".encode())
    digest.update(np.packbits(mask).tobytes())
    return "sha256:" + digest.hexdigest()


def load_validation(dataset: Dataset, split: Split, user_ids: np.ndarray, fraction: float) -> tuple[np.ndarray, str]:
    """The held-out mask of a split's training rows (`user_ids`, their users) and its fingerprint, from
    the cache beside the split when it holds this split's slice, else drawn and cached."""
    stem = f"validation-{split.fingerprint.removeprefix('sha256:')[:16]}-{fraction!r}"
    rows_file, description_file = (dataset.path / "splits" / f"{stem}{suffix}" for suffix in (".npy", ".json"))
    try:
        described = json.loads(description_file.read_text())
        mask = np.zeros(len(user_ids), dtype=bool)
        mask[np.load(rows_file, allow_pickle=False)] = True
        fingerprint = validation_fingerprint(split.fingerprint, fraction, split.seed, mask)
        if described["fingerprint"] == fingerprint and mask.sum() == validation_count(len(user_ids), fraction):
            return mask, fingerprint
    except (OSError, ValueError, KeyError, IndexError):
        pass  # absent or unreadable: drawn again, never trusted
    mask = validation_rows(user_ids, fraction, split.seed)
    fingerprint = validation_fingerprint(split.fingerprint, fraction, split.seed, mask)
    write_atomically(rows_file, np.flatnonzero(mask))
    write_atomically(description_file, {"split_fingerprint": split.fingerprint, "validation": fraction,
                                        "seed": split.seed, "fingerprint": fingerprint, "rows": rows_file.name})
    return mask, fingerprint

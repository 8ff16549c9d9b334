"""Trained models kept as Optuna artifacts: weights, vocabularies and the model config in one .npz.

`pack_model` writes one, `load_packed` reads it back and `rebuild_model` makes it a model again,
static or weight-conditioned alike: the one path from a stored model to a servable one.

The artifact store is a directory (Optuna's FileSystemArtifactStore): by default
config.run.DEFAULT_ARTIFACTS beside the default SQLite file, or $SWEEP_ARTIFACTS / --artifacts.
Its path is recorded on the study, so `sweep predict` finds the models of any study.
A trial's model is the one trained with its first seed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from sweep import SweepError
from sweep.conditioned_pairs import WEIGHTS_ENCODING
from sweep.config import ModelConfig
from sweep.config.run import ARTIFACTS_VARIABLE
from sweep.record import MODEL_ATTR  # noqa: F401  (the attribute is the record's; re-exported)


def open_store(path: Path):
    """The artifact store in `path`, whose writes are atomic: a model file is complete or absent."""
    from optuna.artifacts import FileSystemArtifactStore

    class AtomicFileSystemArtifactStore(FileSystemArtifactStore):
        def write(self, artifact_id, content_body) -> None:
            final = self._get_filepath(artifact_id)
            partial = final.with_name(f".{final.name}.partial")
            try:
                with open(partial, "wb") as stream:
                    shutil.copyfileobj(content_body, stream)
                os.replace(partial, final)
            finally:
                partial.unlink(missing_ok=True)  # a full disk leaves nothing half-written behind

    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SweepError(f"cannot use artifact directory {path} ({error.strerror}); "
                         f"set --artifacts or ${ARTIFACTS_VARIABLE}") from error
    return AtomicFileSystemArtifactStore(str(path))


def pack_model(model, data, model_config, weights: tuple[float, float], conditioned: dict | None = None) -> bytes:
    """The model's weights and what is needed to rebuild and query it, as .npz bytes. A weight-conditioned
    model (sweep.conditioned) carries `conditioned`: its conditioning width, trained ranges, zero share."""
    metadata = {
        "rating_weight": weights[0],
        "retrieval_weight": weights[1],
        "embedding_dimension": model_config.embedding_dimension,
        "rating_layers": list(model_config.rating_layers),
        "activation": model_config.activation,
        "split_fingerprint": data.split_fingerprint,
    }
    if conditioned is not None:
        metadata["conditioned"] = conditioned
    arrays = {f"weight_{index}": value for index, value in enumerate(model.get_weights())}
    with tempfile.TemporaryFile() as buffer:
        np.savez_compressed(
            buffer,
            metadata=np.array(json.dumps(metadata)),
            user_vocabulary=np.array(data.user_vocabulary, dtype=str),
            title_vocabulary=np.array(data.title_vocabulary, dtype=str),
            **arrays,
        )
        buffer.seek(0)
        return buffer.read()


def rebuild_model(packed: dict):
    """The model a `load_packed` dict holds, its weights restored: the static model at its pair, or the
    weight-conditioned one (serve a pair with `model.at(rating, retrieval)`). Imports TensorFlow."""
    meta = packed["metadata"]
    config = ModelConfig(meta["embedding_dimension"], tuple(meta["rating_layers"]), meta["activation"])
    sizes = (len(packed["user_vocabulary"]), len(packed["title_vocabulary"]))
    if "conditioned" in meta:
        from sweep.conditioned import build_conditioned_model

        model = build_conditioned_model(config, *sizes, meta["conditioned"]["conditioning_width"],
                                        meta["conditioned"].get("encoding", WEIGHTS_ENCODING),
                                        meta["conditioned"].get("film_scale", 1.0))
    else:
        from sweep.model import build_model

        model = build_model(config, *sizes, meta["rating_weight"], meta["retrieval_weight"])
    model.set_weights(packed["weights"])
    return model


def save_model(study, trial, store, packed: bytes) -> str:
    """Upload the packed model as the trial's artifact; returns its id."""
    return _upload(trial, store, packed, f"trial-{trial.number}", "(or keep_models = \"none\")")


def save_study_model(study, store, packed: bytes, label: str) -> str:
    """Upload a model that belongs to the study rather than one trial (a conditioned training); returns its id."""
    return _upload(study, store, packed, label, "")


def _upload(owner, store, packed: bytes, label: str, alternative: str) -> str:
    from optuna.artifacts import upload_artifact

    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"{label}-model.npz"
            path.write_bytes(packed)
            return upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=owner)
    except OSError as error:
        raise SweepError(
            f"cannot store the model of {label.replace('-', ' ')} in {store._base_path} ({error.strerror or error}); "
            f"free some space, or choose another --artifacts {alternative}".rstrip()
        ) from error


def load_packed(store, artifact_id: str) -> dict:
    """The packed model as {metadata, user_vocabulary, title_vocabulary, weights}."""
    from optuna.artifacts import download_artifact
    from optuna.artifacts.exceptions import ArtifactNotFound

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.npz"
        try:
            download_artifact(artifact_store=store, file_path=str(path), artifact_id=artifact_id)
        except ArtifactNotFound as error:
            raise SweepError(f"the stored model {artifact_id} is missing from the artifact store") from error
        except OSError as error:
            raise SweepError(f"cannot read the stored model {artifact_id} ({error.strerror or error})") from error
        with np.load(path) as archive:
            weights = [archive[f"weight_{index}"] for index in range(sum(k.startswith("weight_") for k in archive.files))]
            return {
                "metadata": json.loads(str(archive["metadata"])),
                "user_vocabulary": [str(user) for user in archive["user_vocabulary"]],
                "title_vocabulary": [str(title) for title in archive["title_vocabulary"]],
                "weights": weights,
            }


def remove_models(store, artifact_ids) -> None:
    """Delete stored models; one already gone is fine (removing is idempotent), any other failure is an error."""
    from optuna.artifacts.exceptions import ArtifactNotFound

    for artifact_id in artifact_ids:
        try:
            store.remove(artifact_id)
        except ArtifactNotFound:
            continue
        except OSError as error:
            raise SweepError(f"cannot remove the stored model {artifact_id} ({error.strerror or error})") from error

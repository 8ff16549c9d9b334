"""Kept models in Optuna's artifact store: removing is idempotent, and only a missing file counts as gone."""

from __future__ import annotations

import errno
import os

import pytest
from optuna.artifacts import FileSystemArtifactStore

from sweep import SweepError
from sweep.artifacts import load_packed, remove_models


@pytest.fixture
def store(tmp_path):
    (tmp_path / "kept-model").write_bytes(b"weights")
    return FileSystemArtifactStore(str(tmp_path))


def test_removing_a_model_twice_is_fine(store, tmp_path):
    remove_models(store, ["kept-model"])
    assert not (tmp_path / "kept-model").exists()
    remove_models(store, ["kept-model"])  # already gone: nothing to do


def test_a_removal_that_fails_for_another_reason_is_an_error_not_silence(store, tmp_path, monkeypatch):
    def refuse(path):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(os, "remove", refuse)
    with pytest.raises(SweepError, match=r"cannot remove the stored model kept-model \(Permission denied\)"):
        remove_models(store, ["kept-model"])
    assert (tmp_path / "kept-model").exists()


def test_a_missing_model_is_one_clear_error(store):
    with pytest.raises(SweepError, match="the stored model gone is missing from the artifact store"):
        load_packed(store, "gone")

"""Text embeddings from a model that ships inside a Python package (never fetched at run time).

The model is WordLlama's ``l2_supercat`` (256 dimensions, MIT), whose weights and tokenizer are
files in the ``wordllama`` wheel: the optional extra ``evidensbase[embed]`` installs it. Without
it every caller falls back to the word model alone (``available()`` says which).

WordLlama 0.4's own ``load()`` looks for the bundled tokenizer in a folder that does not exist
and then downloads it from Hugging Face; we point it at the package's own folders and forbid the
download, so loading works with the network off (tests/screening/test_embeddings.py checks it
with every socket refused).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL = "wordllama/l2_supercat/256"  # what is stored beside every vector
DIMENSIONS = 256


class EmbeddingsUnavailable(RuntimeError):
    """The optional extra that ships the model is not installed."""


def available() -> bool:
    try:
        import wordllama  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def _model() -> Any:
    try:
        import wordllama
    except ImportError as err:
        raise EmbeddingsUnavailable(
            "embeddings need the optional extra: pip install 'evidensbase[embed]' "
            "(the word model is used without it)"
        ) from err
    package = Path(wordllama.__file__).parent
    return wordllama.WordLlama.load(
        config="l2_supercat", dim=DIMENSIONS, cache_dir=package, disable_download=True
    )


def text_key(text: str) -> str:
    """What a stored vector was computed from (a vector is recomputed only when this changes)."""
    return hashlib.sha256(f"{MODEL}\n{text}".encode()).hexdigest()[:32]


def embed(texts: Sequence[str]) -> np.ndarray:
    """One l2-normalised float32 row per text (an empty text gives a zero row)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    filled = [i for i, text in enumerate(texts) if text.strip()]
    if filled:
        model = _model()
        vectors[filled] = model.embed([texts[i] for i in filled], norm=True)
    return vectors

"""The global text model: features, training, the versioned artefact and its one load per process.

Features of a row (all from text the bank prints, no weights downloaded):
- character 3-5-grams (TF-IDF, word-bounded) of the normalised descriptor: brand spellings,
  truncations and typos ("WOOLWORTHS", "WOOLWTHS");
- words and word pairs (TF-IDF) of the raw descriptor's letters: the wrappers normalisation
  strips ("DEBIT ORDER", "INTEREST", "FEE") carry the category of rows with no merchant.
The classifier is a multinomial logistic regression (SGD), so its scores are probabilities.
The same artefact carries the embedding projection: character TF-IDF reduced to 384 dimensions
with TruncatedSVD fitted on the global corpus.

The artefact is built by `manage.py train_categoriser --global` and committed under
`artefacts/` (small, derived: see artefacts/NOTICE.md); it is loaded once per process."""

import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import sklearn
from django.conf import settings
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from merchants.normalisation import normalise_descriptor

ARTEFACT_DIR = Path(__file__).resolve().parent / "artefacts"
FEATURE_VERSION = 1
EMBEDDING_DIMENSIONS = 384
# The intercepts learn the corpus's class sizes (2,555 grocery brands against 15 charities),
# which are not a user's spending mix: at full weight any unfamiliar text ("J SMITH") looks
# like groceries. Halved, text with no known n-grams scores low and the categoriser abstains.
PRIOR_SCALE = 0.5
# Distinct (descriptor, raw text) pairs whose features and probabilities a process keeps
# (~1.5 kB each).
FEATURE_CACHE_SIZE = 20_000
_LETTERS_RE = re.compile(r"[^A-Z&' ]+")
_WORD_PATTERN = r"[A-Z&']{2,}"


def word_text(raw: str) -> str:
    """The raw descriptor's letters, upper case: digits, dates and punctuation go."""
    return " ".join(_LETTERS_RE.sub(" ", raw.upper()).split())


def _char_vectorizer(max_features: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, dtype=np.float32,
        max_features=max_features, lowercase=False,
    )


def _word_vectorizer(max_features: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32, token_pattern=_WORD_PATTERN,
        lowercase=False, max_features=max_features,
    )


@dataclass
class GlobalModel:
    version: str
    classes: list[str]
    char: TfidfVectorizer
    word: TfidfVectorizer
    coef: np.ndarray  # (n_features, n_classes) float32
    intercept: np.ndarray  # (n_classes,) float32
    embed: TfidfVectorizer
    components: np.ndarray  # (n_embed_features, 384) float32
    corpus_counts: dict = field(default_factory=dict)
    _feature_cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_features(self) -> int:
        return self.coef.shape[0]

    def features(self, descriptors: Sequence[str], raws: Sequence[str]) -> sparse.csr_matrix:
        """(normalised descriptor, raw text) pairs -> the sparse feature rows."""
        return sparse.hstack(
            [self.char.transform(descriptors), self.word.transform([word_text(raw) for raw in raws])], format="csr"
        )

    def probabilities(self, features: sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(features @ self.coef) + self.intercept * PRIOR_SCALE
        return softmax(scores)

    def featurise_cached(self, keys: Sequence[tuple[str, str]]) -> tuple[np.ndarray, "_LazyRows"]:
        """(probabilities, features) for (normalised descriptor, raw) keys, computing only the
        keys this process has not seen yet: statements repeat their merchants, and the character
        n-gram analysis is the costly part. Bounded: the cache empties when full."""
        cache = self._feature_cache
        missing = list(dict.fromkeys(key for key in keys if key not in cache))
        if missing:
            features = self.features([d for d, _ in missing], [r for _, r in missing])
            computed = self.probabilities(features)
            if len(cache) + len(missing) > FEATURE_CACHE_SIZE:
                cache.clear()
            for row, key in enumerate(missing):
                cache[key] = (computed[row], features[row])
        if not keys:
            return np.zeros((0, len(self.classes)), dtype=np.float32), _LazyRows([], self.n_features)
        entries = [cache[key] for key in keys]
        return np.vstack([entry[0] for entry in entries]), _LazyRows(entries, self.n_features)

    def embed_texts(self, descriptors: Sequence[str]) -> np.ndarray:
        """384-dimension unit vectors (float32), one per normalised descriptor."""
        vectors = np.asarray(self.embed.transform(descriptors) @ self.components, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


class _LazyRows:
    """The cached feature rows of a call, stacked only if someone asks (the personal layers)."""

    def __init__(self, entries, width: int):
        self._entries = entries
        self._matrix = None if entries else sparse.csr_matrix((0, width), dtype=np.float32)

    def matrix(self) -> sparse.csr_matrix:
        if self._matrix is None:
            self._matrix = sparse.vstack([entry[1] for entry in self._entries], format="csr")
        return self._matrix


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def train_global(texts: Sequence[str], labels: Sequence[str], *, counts: dict | None = None, seed: int = 0) -> GlobalModel:
    """Fit the global model on corpus names: the same inputs and seed give the same model."""
    descriptors = [normalise_descriptor(text) or text.upper() for text in texts]
    char = _char_vectorizer(settings.CATEGORISER_CHAR_FEATURES)
    word = _word_vectorizer(settings.CATEGORISER_WORD_FEATURES)
    features = sparse.hstack(
        [char.fit_transform(descriptors), word.fit_transform([word_text(text) for text in texts])], format="csr"
    )
    classifier = SGDClassifier(loss="log_loss", alpha=2e-6, max_iter=30, tol=None, random_state=seed)
    classifier.fit(features, list(labels))
    embed = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 3), sublinear_tf=True, dtype=np.float32, lowercase=False,
        max_features=settings.CATEGORISER_EMBED_FEATURES,
    )
    embed_matrix = embed.fit_transform(descriptors)
    svd = TruncatedSVD(n_components=EMBEDDING_DIMENSIONS, algorithm="randomized", n_iter=5, random_state=seed)
    svd.fit(embed_matrix)
    model = GlobalModel(
        version="", classes=[str(c) for c in classifier.classes_], char=char, word=word,
        coef=classifier.coef_.T.astype(np.float32), intercept=classifier.intercept_.astype(np.float32),
        embed=embed, components=svd.components_.T.astype(np.float32), corpus_counts=dict(counts or {}),
    )
    model.version = model_fingerprint(model)
    return model


def model_fingerprint(model: GlobalModel) -> str:
    """A short content hash: the version stored beside embeddings and personal models."""
    digest = hashlib.sha256()
    digest.update(f"f{FEATURE_VERSION}|{sklearn.__version__}|{','.join(model.classes)}".encode())
    digest.update(np.ascontiguousarray(model.coef.astype(np.float16)).tobytes())
    digest.update(np.ascontiguousarray(model.components.astype(np.float16)).tobytes())
    return f"g{FEATURE_VERSION}-{digest.hexdigest()[:12]}"


def save_global(model: GlobalModel, directory: Path = ARTEFACT_DIR) -> Path:
    """Write the artefact (weights as float16 to keep it small) and point `current` at it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"global-{model.version}.joblib"
    payload = {
        "version": model.version, "classes": model.classes, "char": model.char, "word": model.word,
        "coef": model.coef.astype(np.float16), "intercept": model.intercept,
        "embed": model.embed, "components": model.components.astype(np.float16),
        "corpus_counts": model.corpus_counts, "sklearn": sklearn.__version__,
    }
    joblib.dump(payload, path, compress=("xz", 6))
    for old in directory.glob("global-*.joblib"):
        if old != path:
            old.unlink()
    (directory / "CURRENT").write_text(path.name + "\n", encoding="utf-8")
    return path


def load_global(path: Path) -> GlobalModel:
    payload = joblib.load(path)
    return GlobalModel(
        version=payload["version"], classes=list(payload["classes"]), char=payload["char"], word=payload["word"],
        coef=np.asarray(payload["coef"], dtype=np.float32), intercept=np.asarray(payload["intercept"], dtype=np.float32),
        embed=payload["embed"], components=np.asarray(payload["components"], dtype=np.float32),
        corpus_counts=payload.get("corpus_counts", {}),
    )


_lock = threading.Lock()
_loaded: dict[str, GlobalModel] = {}


def artefact_path() -> Path:
    configured = getattr(settings, "CATEGORISER_ARTEFACT", "")
    if configured:
        return Path(configured)
    return ARTEFACT_DIR / (ARTEFACT_DIR / "CURRENT").read_text(encoding="utf-8").strip()


def get_global_model() -> GlobalModel:
    """The artefact, loaded once per process (thread-safe) and kept."""
    path = str(artefact_path())
    model = _loaded.get(path)
    if model is None:
        with _lock:
            model = _loaded.get(path)
            if model is None:
                model = load_global(Path(path))
                _loaded.clear()
                _loaded[path] = model
    return model

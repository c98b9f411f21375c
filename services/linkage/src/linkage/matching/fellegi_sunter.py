"""Fellegi-Sunter probabilistic linkage, vectorised and chunked.

Pairs are scored in chunks: each chunk's comparison levels are folded into one pattern code
per pair, and only the counts per pattern are kept, so EM runs on at most ∏ levels
patterns whatever the number of pairs. ``u`` comes from random pairs (almost all
non-matches); ``m`` and the match proportion from EM on the candidate pairs.
Term-frequency adjustment replaces, for exact agreement on a flagged column, ``u`` by the
value's own frequency, so agreeing on a rare surname weighs more than on a common one.

With ``prior_rules``, the model is trained as :mod:`linkage.matching.training` says (the
prior from deterministic rules, ``m`` by EM over passes that leave out their own columns);
without, by EM on all candidate pairs. Links, the threshold and the review band are then
decided by :mod:`linkage.matching.decision`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from linkage.matching.blocking import Pairs, candidate_pairs, chunks, random_pairs, rule_columns
from linkage.matching.comparisons import MISSING, Comparison

FloatArray = npt.NDArray[np.float64]
EPSILON = 1e-6


Clustering = Literal["one_to_one", "many_to_one", "all"]


@dataclass(frozen=True)
class Settings:
    """``threshold_probability`` None: the threshold of best expected F1. ``clustering``:
    each record in at most one link, each left record in at most one (many left records
    to one right record), or every pair above the threshold; None follows ``one_to_one``.
    ``prior_rules`` (with their ``prior_recall``) switch to the random-pair model, trained
    over ``training_rules`` (the blocking rules when empty). ``dedupe``: ``left`` is
    ``right`` and pairs are of distinct rows."""

    comparisons: Sequence[Comparison]
    blocking_rules: Sequence[Sequence[str]]
    threshold_probability: float | None = 0.5
    one_to_one: bool = True
    clustering: Clustering | None = None
    prior_rules: Sequence[Sequence[str]] = ()
    prior_recall: float = 0.9
    training_rules: Sequence[Sequence[str]] = ()
    training_pairs: int = 2_000_000
    review_bits: float = 3.0
    dedupe: bool = False
    chunk_pairs: int = 500_000
    u_sample_pairs: int = 200_000
    max_iterations: int = 50
    seed: int = 42

    @property
    def cluster(self) -> Clustering:
        if self.clustering is not None:
            return self.clustering
        return "one_to_one" if self.one_to_one else "all"

    @property
    def columns(self) -> list[str]:
        return rule_columns([*self.blocking_rules, *self.prior_rules, *self.training_rules])


@dataclass
class Model:
    """Per comparison, the probability of each level (index 0 = disagreement) among matches
    (``m``) and non-matches (``u``); ``prior`` = match proportion among candidate pairs."""

    m: list[FloatArray]
    u: list[FloatArray]
    prior: float
    iterations: int = 0
    u_random: list[FloatArray] = field(default_factory=list)
    converged: bool = True

    def pattern_log2_bayes(self, levels: npt.NDArray[np.int8]) -> FloatArray:
        """Sum over comparisons of log2(m/u) for rows of levels (missing counts 0)."""
        total = np.zeros(levels.shape[0])
        for k, (m, u) in enumerate(zip(self.m, self.u, strict=True)):
            present = levels[:, k] != MISSING
            ratio = np.log2(m[levels[present, k]] / u[levels[present, k]])
            total[present] += ratio
        return total


@dataclass
class Links:
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    weight: FloatArray
    probability: FloatArray


def _levels(
    comparisons: Sequence[Comparison], left: pa.Table, right: pa.Table, pairs: Pairs
) -> npt.NDArray[np.int8]:
    lefts, rights = pa.array(pairs[0]), pa.array(pairs[1])
    columns = [c.compare_rows(left, right, lefts, rights) for c in comparisons]
    return np.stack(columns, axis=1) if columns else np.zeros((len(pairs[0]), 0), np.int8)


def _radix(comparisons: Sequence[Comparison]) -> npt.NDArray[np.int64]:
    sizes = [c.levels + 1 for c in comparisons]  # +1 for missing
    radix: npt.NDArray[np.int64] = np.cumprod([1, *sizes[:-1]]).astype(np.int64)
    return radix


def _encode(levels: npt.NDArray[np.int8], radix: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    codes: npt.NDArray[np.int64] = ((levels.astype(np.int64) + 1) * radix).sum(axis=1)
    return codes


def _decode(
    codes: npt.NDArray[np.int64], comparisons: Sequence[Comparison]
) -> npt.NDArray[np.int8]:
    out = np.zeros((len(codes), len(comparisons)), dtype=np.int8)
    rest = codes.copy()
    for k, c in enumerate(comparisons):
        out[:, k] = rest % (c.levels + 1) - 1
        rest //= c.levels + 1
    return out


def _level_frequencies(
    levels: npt.NDArray[np.int8], comparisons: Sequence[Comparison], weights: FloatArray
) -> list[FloatArray]:
    result = []
    for k, c in enumerate(comparisons):
        present = levels[:, k] != MISSING
        counts = np.bincount(levels[present, k], weights=weights[present], minlength=c.levels)
        smoothed = counts + EPSILON * max(counts.sum(), 1.0)
        result.append(smoothed / smoothed.sum())
    return result


def random_levels(settings: Settings, left: pa.Table, right: pa.Table) -> npt.NDArray[np.int8]:
    pairs = random_pairs(
        left.num_rows,
        right.num_rows,
        settings.u_sample_pairs,
        seed=settings.seed,
        dedupe=settings.dedupe,
    )
    return _levels(settings.comparisons, left, right, pairs)


def estimate_u(settings: Settings, left: pa.Table, right: pa.Table) -> list[FloatArray]:
    levels = random_levels(settings, left, right)
    return _level_frequencies(levels, settings.comparisons, np.ones(len(levels)))


def pattern_counts(
    settings: Settings, left: pa.Table, right: pa.Table, pairs: Pairs
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    radix = _radix(settings.comparisons)
    totals: dict[int, float] = {}
    for chunk in chunks(pairs, settings.chunk_pairs):
        codes, counts = np.unique(
            _encode(_levels(settings.comparisons, left, right, chunk), radix), return_counts=True
        )
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
            totals[code] = totals.get(code, 0.0) + count
    codes_out = np.array(sorted(totals), dtype=np.int64)
    return codes_out, np.array([totals[c] for c in codes_out.tolist()], dtype=np.float64)


def expectation_maximisation(
    settings: Settings,
    patterns: npt.NDArray[np.int8],
    counts: FloatArray,
    u: list[FloatArray],
    *,
    fixed_u: bool = False,
) -> Model:
    """EM for ``m``, ``u`` and the prior on candidate pairs, ``u`` starting from random pairs.

    Candidate pairs are blocked, so their non-matches agree more than random pairs do: ``u``
    is re-estimated on them unless ``fixed_u``.
    """
    m = [np.linspace(0.05, 1.0, c.levels) ** 3 for c in settings.comparisons]
    model = Model(m=[level / level.sum() for level in m], u=u, prior=0.5, converged=False)
    for iteration in range(1, settings.max_iterations + 1):
        posterior = _posterior(model, patterns)
        matched, unmatched = counts * posterior, counts * (1 - posterior)
        new_m = _level_frequencies(patterns, settings.comparisons, matched)
        new_u = u if fixed_u else _level_frequencies(patterns, settings.comparisons, unmatched)
        prior = float(matched.sum() / counts.sum())
        shift = max(float(np.abs(a - b).max()) for a, b in zip(new_m, model.m, strict=True))
        model = Model(
            m=new_m,
            u=new_u,
            prior=min(max(prior, EPSILON), 1 - EPSILON),
            iterations=iteration,
            u_random=u,
            converged=shift < 1e-6,
        )
        if model.converged:
            break
    return model


def _posterior(model: Model, patterns: npt.NDArray[np.int8]) -> FloatArray:
    log_odds = np.log2(model.prior / (1 - model.prior)) + model.pattern_log2_bayes(patterns)
    posterior: FloatArray = 1.0 / (1.0 + np.exp2(-log_odds))
    return posterior


def fit(settings: Settings, left: pa.Table, right: pa.Table) -> tuple[Model, Pairs]:
    """EM on all candidate pairs, ``u`` re-estimated there (the model without prior rules)."""
    pairs = candidate_pairs(left, right, settings.blocking_rules, dedupe=settings.dedupe)
    codes, counts = pattern_counts(settings, left, right, pairs)
    patterns = _decode(codes, settings.comparisons)
    model = expectation_maximisation(settings, patterns, counts, estimate_u(settings, left, right))
    return model, pairs


def _tf_weights(settings: Settings, model: Model, right: pa.Table) -> dict[int, FloatArray]:
    """Per term-frequency comparison, the extra log2 weight of exact agreement on each right
    record's value: log2(u / f(value)), ``u`` being the chance agreement of random pairs
    (about the mean frequency)."""
    weights = {}
    for k, c in enumerate(settings.comparisons):
        if not c.term_frequency:
            continue
        encoded = pc.dictionary_encode(right.column(c.value_column).combine_chunks())
        indices = np.asarray(pc.fill_null(encoded.indices, 0), dtype=np.int64)
        frequency = np.bincount(indices, minlength=len(encoded.dictionary)) / max(len(indices), 1)
        average = model.u_random[k][-1]
        weights[k] = np.log2(average / np.maximum(frequency[indices], EPSILON))
    return weights


def _tf_adjustment(
    settings: Settings,
    weights: dict[int, FloatArray],
    pairs: Pairs,
    levels: npt.NDArray[np.int8],
) -> FloatArray:
    extra = np.zeros(len(pairs[0]))
    for k, by_row in weights.items():
        exact = levels[:, k] == settings.comparisons[k].levels - 1
        extra[exact] += by_row[pairs[1][exact]]
    return extra


def score(
    settings: Settings,
    model: Model,
    left: pa.Table,
    right: pa.Table,
    pairs: Pairs,
    *,
    floor: float | None = None,
) -> Links:
    """Pairs of probability at least ``floor`` (the threshold by default), with their weight
    and probability (chunked)."""
    if floor is None:
        floor = settings.threshold_probability or 0.5
    kept: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]] = []
    prior_weight = np.log2(model.prior / (1 - model.prior))
    tf_weights = _tf_weights(settings, model, right)
    for chunk in chunks(pairs, settings.chunk_pairs):
        levels = _levels(settings.comparisons, left, right, chunk)
        weight = prior_weight + model.pattern_log2_bayes(levels)
        weight += _tf_adjustment(settings, tf_weights, chunk, levels)
        probability = 1.0 / (1.0 + np.exp2(-weight))
        keep = probability >= floor
        kept.append((chunk[0][keep], chunk[1][keep], weight[keep]))
    lefts = np.concatenate([k[0] for k in kept]) if kept else np.zeros(0, np.int64)
    rights = np.concatenate([k[1] for k in kept]) if kept else np.zeros(0, np.int64)
    weights = np.concatenate([k[2] for k in kept]) if kept else np.zeros(0)
    return Links(lefts, rights, weights, 1.0 / (1.0 + np.exp2(-weights)))


def one_to_one(links: Links) -> tuple[Links, int]:
    """Greedy assignment by decreasing weight; returns the links kept and how many records
    had more than one candidate link (violations before assignment)."""
    violations = int((np.unique(links.left, return_counts=True)[1] > 1).sum())
    violations += int((np.unique(links.right, return_counts=True)[1] > 1).sum())
    order = np.argsort(-links.weight, kind="stable")
    used_left: set[int] = set()
    used_right: set[int] = set()
    keep = np.zeros(len(order), dtype=bool)
    for index, (a, b) in zip(
        order.tolist(),
        zip(links.left[order].tolist(), links.right[order].tolist(), strict=True),
        strict=True,
    ):
        if a not in used_left and b not in used_right:
            used_left.add(a)
            used_right.add(b)
            keep[index] = True
    kept = Links(links.left[keep], links.right[keep], links.weight[keep], links.probability[keep])
    return kept, violations

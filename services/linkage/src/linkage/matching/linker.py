"""Probabilistic linkage of two tables (or deduplication of one), and its report."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from linkage.matching import decision
from linkage.matching import fellegi_sunter as fs
from linkage.matching.blocking import Blocking, Pairs
from linkage.matching.comparisons import encode_keys, prepare
from linkage.matching.training import Training, train


@dataclass
class Report:
    candidate_pairs: int
    links: int
    match_rate: float
    estimated_precision: float
    estimated_recall: float
    one_to_one_violations: int
    weight_histogram: dict[str, int]
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    prior: float
    em_iterations: int
    by_group: dict[str, dict[str, float]] = field(default_factory=dict)
    match_weights: dict[str, list[float]] = field(default_factory=dict)
    prior_weight: float = 0.0
    converged: bool = True
    training: dict[str, object] | None = None
    threshold: dict[str, object] = field(default_factory=dict)
    expected_curve: list[dict[str, float]] = field(default_factory=list)
    review: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Linked:
    links: fs.Links
    review: fs.Links
    report: Report


Linker = Callable[[fs.Settings, pa.Table, pa.Table], Linked]
"""What links two tables: :func:`link`, or an engine's ``link`` (``linkage.engine``)."""


def _nothing() -> fs.Links:
    none = np.zeros(0, dtype=np.int64)
    return fs.Links(none, none, np.zeros(0), np.zeros(0))


def _fit(
    settings: fs.Settings, left: pa.Table, right: pa.Table
) -> tuple[fs.Model, Pairs, Training | None]:
    if not settings.prior_rules:
        model, pairs = fs.fit(settings, left, right)
        return model, pairs, None
    blocking = Blocking(left, right, dedupe=settings.dedupe)
    model, training = train(settings, blocking)
    return model, blocking.pairs(settings.blocking_rules), training


def link(settings: fs.Settings, left: pa.Table, right: pa.Table | None = None) -> Linked:
    """Links of ``left`` to ``right``; with ``settings.dedupe``, pairs within ``left``."""
    right = left if right is None or settings.dedupe else right
    if left.num_rows == 0 or right.num_rows == 0:
        empty = fs.Model(m=[], u=[], prior=0.0)
        nothing = decision.decide(settings, _nothing())
        return Linked(_nothing(), _nothing(), _report(settings, empty, 0, nothing, None))
    left = prepare(left, settings.comparisons, settings.columns)
    right = left if settings.dedupe else prepare(right, settings.comparisons, settings.columns)
    left, right = encode_keys(left, right)
    model, pairs, training = _fit(settings, left, right)
    scored = fs.score(settings, model, left, right, pairs, floor=decision.floor(settings))
    return conclude(
        settings,
        model,
        scored,
        candidates=len(pairs[0]),
        training=training,
        rows=min(left.num_rows, right.num_rows),
    )


def conclude(
    settings: fs.Settings,
    model: fs.Model,
    scored: fs.Links,
    *,
    candidates: int,
    training: Training | None,
    rows: int,
) -> Linked:
    """The links, review band and report of the scored pairs (at least the floor's
    probability, in order of left then right row) of ``candidates`` candidate pairs."""
    recall = training.blocking_recall if training is not None else 1.0
    decided = decision.decide(settings, scored, blocking_recall=recall)
    report = _report(settings, model, candidates, decided, training)
    report.match_rate = len(decided.links.left) / max(rows, 1)
    return Linked(decided.links, decided.review, report)


def _rounded(values: fs.FloatArray, digits: int = 5) -> list[float]:
    return [round(float(v), digits) for v in values]


def _report(
    settings: fs.Settings,
    model: fs.Model,
    candidates: int,
    decided: decision.Decision,
    training: Training | None,
) -> Report:
    links = decided.links
    edges = np.array([-np.inf, *range(-10, 41, 5), np.inf])
    histogram, _ = np.histogram(links.weight, bins=edges)
    pairs = list(zip(settings.comparisons, model.m, model.u, strict=False))
    review = decided.review
    return Report(
        candidate_pairs=candidates,
        links=len(links.left),
        match_rate=0.0,
        estimated_precision=round(decided.expected_precision, 4),
        estimated_recall=round(decided.expected_recall, 4),
        one_to_one_violations=decided.violations,
        weight_histogram={
            f"[{a:g},{b:g})": int(n)
            for a, b, n in zip(edges[:-1], edges[1:], histogram, strict=True)
        },
        m={c.name: _rounded(m) for c, m, _ in pairs},
        u={c.name: _rounded(u) for c, _, u in pairs},
        prior=model.prior,
        em_iterations=model.iterations,
        match_weights={c.name: _rounded(np.log2(m / u), 3) for c, m, u in pairs},
        prior_weight=round(float(np.log2(max(model.prior, 1e-300) / (1 - model.prior))), 3)
        if model.prior
        else 0.0,
        converged=model.converged,
        training=training.as_report() if training is not None else None,
        threshold=decided.threshold_report(),
        expected_curve=[{k: round(v, 4) for k, v in point.items()} for point in decided.curve],
        review={
            "pairs": len(review.left),
            "bits_around_threshold": settings.review_bits,
            "expected_matches": round(float(review.probability.sum()), 1),
            "lowest_probability": round(float(review.probability.min()), 6)
            if len(review.left)
            else None,
            "highest_probability": round(float(review.probability.max()), 6)
            if len(review.left)
            else None,
        },
    )

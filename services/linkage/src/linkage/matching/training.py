"""Training that does not drift to homonyms, in the manner of Splink.

- ``u`` from random pairs of the two tables (almost all non-matches), never from blocked
  pairs, where homonyms are over-represented;
- the prior (probability that two random records match) from deterministic rules whose
  recall is stated: pairs they find / recall / all pairs;
- ``m`` by EM, ``u`` held fixed, over several training passes, each on the pairs one
  blocking rule finds, leaving out the comparisons of that rule's own columns (they agree
  by construction there); each comparison's ``m`` is the mean of its passes.
"""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from linkage.matching import fellegi_sunter as fs
from linkage.matching.blocking import Blocking, Pairs, rule_columns, sample
from linkage.matching.comparisons import MISSING, Comparison

MIN_PRIOR = 1e-12


@dataclass(frozen=True)
class TrainingPass:
    rule: list[str]
    comparisons: list[str]
    pairs: int
    iterations: int
    converged: bool
    match_share: float


@dataclass(frozen=True)
class Training:
    prior_rule_pairs: int
    prior_recall: float
    passes: list[TrainingPass]
    untrained: list[str]
    blocking_recall: float

    def as_report(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def all_pairs(settings: fs.Settings, left: pa.Table, right: pa.Table) -> int:
    rows: int = left.num_rows
    if settings.dedupe:
        return rows * (rows - 1) // 2
    return rows * int(right.num_rows)


def deterministic_prior(settings: fs.Settings, blocking: Blocking) -> tuple[float, int]:
    """The prior and how many pairs the prior rules found."""
    left, right = blocking.left, blocking.right
    found = len(blocking.pairs(settings.prior_rules)[0])
    expected = found / settings.prior_recall
    prior = expected / max(all_pairs(settings, left, right), 1)
    return float(min(max(prior, MIN_PRIOR), 0.5)), found


def _bases(rule: Sequence[str]) -> set[str]:
    return {name.partition(":")[0] for name in rule_columns([rule])}


def _left_out(comparison: Comparison, rule: Sequence[str]) -> bool:
    return bool(set(comparison.columns) & _bases(rule))


def _one_pass(
    settings: fs.Settings,
    blocking: Blocking,
    rule: Sequence[str],
    u: list[fs.FloatArray],
) -> tuple[list[int], fs.Model, int] | None:
    kept = [k for k, c in enumerate(settings.comparisons) if not _left_out(c, rule)]
    tables = blocking.left, blocking.right
    pairs: Pairs = blocking.pairs([rule])
    if not kept or not len(pairs[0]):
        return None
    pairs = sample(pairs, settings.training_pairs, seed=settings.seed)
    narrowed = dataclasses.replace(settings, comparisons=[settings.comparisons[k] for k in kept])
    codes, counts = fs.pattern_counts(narrowed, *tables, pairs)
    patterns = fs._decode(codes, narrowed.comparisons)
    model = fs.expectation_maximisation(
        narrowed, patterns, counts, [u[k] for k in kept], fixed_u=True
    )
    return kept, model, len(pairs[0])


def train(settings: fs.Settings, blocking: Blocking) -> tuple[fs.Model, Training]:
    random = fs.random_levels(settings, blocking.left, blocking.right)
    u = fs._level_frequencies(random, settings.comparisons, np.ones(len(random)))
    prior, found = deterministic_prior(settings, blocking)
    estimates: list[list[fs.FloatArray]] = [[] for _ in settings.comparisons]
    passes: list[TrainingPass] = []
    for rule in settings.training_rules or settings.blocking_rules:
        done = _one_pass(settings, blocking, rule, u)
        if done is None:
            continue
        kept, model, pairs = done
        for j, k in enumerate(kept):
            estimates[k].append(model.m[j])
        passes.append(
            TrainingPass(
                rule=list(rule),
                comparisons=[settings.comparisons[k].name for k in kept],
                pairs=pairs,
                iterations=model.iterations,
                converged=model.converged,
                match_share=round(model.prior, 6),
            )
        )
    m = [
        np.mean(found_m, axis=0) if found_m else _untrained(c)
        for c, found_m in zip(settings.comparisons, estimates, strict=True)
    ]
    untrained = [c.name for c, e in zip(settings.comparisons, estimates, strict=True) if not e]
    model = fs.Model(
        m=m,
        u=u,
        prior=prior,
        iterations=max((p.iterations for p in passes), default=0),
        u_random=u,
        converged=all(p.converged for p in passes),
    )
    missing = (random == MISSING).mean(axis=0) if len(random) else np.zeros(len(m))
    recall = blocking_recall(settings, m, missing.tolist())
    return model, Training(found, settings.prior_recall, passes, untrained, recall)


def blocking_recall(
    settings: fs.Settings, m: list[fs.FloatArray], missing: list[float], *, draws: int = 100_000
) -> float:
    """Share of matches the blocking rules find, by the model: levels of simulated matches
    drawn from ``m`` (and each comparison's share of missing values), a rule finding those
    whose levels say its columns agree. Columns no comparison covers count as agreeing."""
    rng = np.random.default_rng(settings.seed)
    levels = np.stack(
        [
            np.where(rng.random(draws) < gone, MISSING, rng.choice(c.levels, draws, p=p / p.sum()))
            for c, p, gone in zip(settings.comparisons, m, missing, strict=True)
        ],
        axis=1,
    )
    found = np.zeros(draws, dtype=bool)
    for rule in settings.blocking_rules:
        agreed = np.ones(draws, dtype=bool)
        for column in rule:
            agreed &= _agrees(settings.comparisons, levels, column)
        found |= agreed
    return round(float(found.mean()), 4)


def _agrees(
    comparisons: Sequence[Comparison], levels: npt.NDArray[np.int64], column: str
) -> npt.NDArray[np.bool_]:
    agreed = np.zeros(len(levels), dtype=bool)
    for name in column.split("|"):
        base, _, key = name.partition(":")
        k = next((k for k, c in enumerate(comparisons) if base in c.columns), None)
        if k is None:
            return np.ones(len(levels), dtype=bool)
        agreed |= np.isin(levels[:, k], comparisons[k].agreeing_levels(key))
    return agreed


def _untrained(comparison: Comparison) -> fs.FloatArray:
    """No pass could estimate it: most matches at the top level, a few just below."""
    m = np.full(comparison.levels, 0.02)
    m[-1] = 1.0
    result: fs.FloatArray = m / m.sum()
    return result

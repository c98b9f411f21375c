"""From scored pairs to links: clustering, the threshold, expected precision and recall, and
the clerical-review band.

Expected figures come from the fitted probabilities: the expected true links among those kept
are the sum of their probabilities; the expected number of matches is, per record, the sum of
its pairs' probabilities capped at one (per left and per right record for one-to-one, the
smaller of the two), divided by the share of matches the blocking finds (the model's
estimate, :func:`linkage.matching.training.blocking_recall`; 1 when not estimated).
"""

from dataclasses import dataclass

import numpy as np

from linkage.matching import fellegi_sunter as fs

CURVE = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
FLOOR = 0.01


@dataclass(frozen=True)
class Decision:
    links: fs.Links
    review: fs.Links
    threshold: float
    chosen_by: str
    expected_matches: float
    expected_precision: float
    expected_recall: float
    violations: int
    curve: list[dict[str, float]]

    def threshold_report(self) -> dict[str, object]:
        return {
            "probability": round(self.threshold, 6),
            "weight": round(_weight(self.threshold), 3),
            "chosen_by": self.chosen_by,
            "expected_matches": round(self.expected_matches, 1),
            "expected_precision": round(self.expected_precision, 4),
            "expected_recall": round(self.expected_recall, 4),
        }


def _weight(probability: float) -> float:
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return float(np.log2(p / (1 - p)))


def subset(links: fs.Links, keep: np.typing.NDArray[np.bool_]) -> fs.Links:
    return fs.Links(
        links.left[keep], links.right[keep], links.weight[keep], links.probability[keep]
    )


def many_to_one(links: fs.Links) -> tuple[fs.Links, int]:
    """Each left record keeps its best link (several left records may share a right one)."""
    violations = int((np.unique(links.left, return_counts=True)[1] > 1).sum())
    order = np.argsort(-links.weight, kind="stable")
    _, first = np.unique(links.left[order], return_index=True)
    keep = np.zeros(len(order), dtype=bool)
    keep[order[first]] = True
    return subset(links, keep), violations


def cluster(scored: fs.Links, how: fs.Clustering) -> tuple[fs.Links, int]:
    if how == "one_to_one":
        return fs.one_to_one(scored)
    if how == "many_to_one":
        return many_to_one(scored)
    return scored, 0


def _capped(rows: np.typing.NDArray[np.int64], probability: fs.FloatArray) -> float:
    if not len(rows):
        return 0.0
    _, inverse = np.unique(rows, return_inverse=True)
    return float(np.minimum(np.bincount(inverse, weights=probability), 1.0).sum())


def expected_matches(scored: fs.Links, how: fs.Clustering) -> float:
    if how == "all":
        return float(scored.probability.sum())
    by_left = _capped(scored.left, scored.probability)
    if how == "many_to_one":
        return by_left
    return min(by_left, _capped(scored.right, scored.probability))


def _at(clustered: fs.Links, threshold: float, expected: float) -> tuple[float, float]:
    kept = clustered.probability[clustered.probability >= threshold]
    precision = float(kept.mean()) if len(kept) else 0.0
    recall = float(kept.sum() / expected) if expected else 0.0
    return precision, min(recall, 1.0)


def best_threshold(clustered: fs.Links, expected: float) -> float:
    """The probability cut of best expected F1 among the clustered pairs."""
    if not len(clustered.probability) or not expected:
        return 0.5
    ordered = np.sort(clustered.probability)[::-1]
    true = np.cumsum(ordered)
    f1 = 2 * true / (np.arange(1, len(ordered) + 1) + expected)
    return float(ordered[int(np.argmax(f1))])


def decide(settings: fs.Settings, scored: fs.Links, *, blocking_recall: float = 1.0) -> Decision:
    clustered, violations = cluster(scored, settings.cluster)
    expected = expected_matches(scored, settings.cluster) / max(blocking_recall, 1e-3)
    fixed = settings.threshold_probability
    threshold = best_threshold(clustered, expected) if fixed is None else fixed
    precision, recall = _at(clustered, threshold, expected)
    near = np.abs(clustered.weight - _weight(threshold)) <= settings.review_bits
    return Decision(
        links=subset(clustered, clustered.probability >= threshold),
        review=subset(clustered, near),
        threshold=threshold,
        chosen_by="model" if fixed is None else "job",
        expected_matches=expected,
        expected_precision=precision,
        expected_recall=recall,
        violations=violations,
        curve=[
            dict(
                zip(
                    ("threshold", "precision", "recall"),
                    (t, *_at(clustered, t, expected)),
                    strict=True,
                )
            )
            for t in sorted({*CURVE, round(threshold, 6)})
        ],
    )


def floor(settings: fs.Settings) -> float:
    """Pairs scored below this probability are dropped before deciding."""
    fixed = settings.threshold_probability
    return FLOOR if fixed is None else min(FLOOR, fixed)

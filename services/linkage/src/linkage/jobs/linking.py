"""Running a linkage job on two pseudonymised versions of the ``central`` zone."""

import asyncio
import dataclasses
import datetime as dt
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkage.db import outbox
from linkage.events import LINKAGE_COMPLETED, Identifier, LinkageCompleted
from linkage.jobs.context import JobContext, temporary_folder
from linkage.jobs.execute import CENTRAL_BUCKET, finish
from linkage.jobs.models import Job, PseudonymisedVersion
from linkage.jobs.pipeline import META_PSEUDONYMISED, PipelineError
from linkage.jobs.repository import PseudonymisedVersionRepository
from linkage.jobs.schemas import ComparisonSpec, LinkJobCreate, ProbabilisticSpec
from linkage.matching import fellegi_sunter as fs
from linkage.matching import french
from linkage.matching.blocking import rule_columns
from linkage.matching.cascade import cascade
from linkage.matching.comparisons import Comparison
from linkage.matching.linker import Linker

AGE_BAND_YEARS = 10


def _comparison(spec: ComparisonSpec, hashed: set[str]) -> Comparison:
    """Names held as pseudonyms compare on their keyed derived keys: exact, phonetic, first
    part; similarity floors need clear values, so they are left out."""
    columns = (spec.column, *spec.alternatives)
    fuzzy = not (spec.kind == "name" and hashed & set(columns))
    thresholds = tuple(spec.thresholds) if fuzzy else ()
    return Comparison(spec.column, spec.kind, thresholds, spec.term_frequency, columns[1:])


def _settings(spec: LinkJobCreate, hashed: set[str]) -> fs.Settings | None:
    return None if spec.probabilistic is None else settings_of(spec.probabilistic, hashed)


def settings_of(given: ProbabilisticSpec, hashed: set[str]) -> fs.Settings:
    """The model's settings of a job's probabilistic part (``hashed``: columns held as
    pseudonyms)."""
    return fs.Settings(
        comparisons=[_comparison(c, hashed) for c in given.comparisons],
        blocking_rules=given.blocking_rules,
        threshold_probability=given.threshold_probability,
        one_to_one=given.one_to_one,
        clustering=given.clustering,
        prior_rules=given.prior_rules,
        prior_recall=given.prior_recall,
        training_rules=given.training_rules,
        review_bits=given.review_bits,
    )


def _groups(version: PseudonymisedVersion, extra: list[str]) -> dict[str, str]:
    """Columns to report match rates by: sex, age band (from a birth date), and ``extra``."""
    groups = {c: c for c in extra}
    for column in version.columns:
        if column["identifier"] == Identifier.SEX:
            groups["sex"] = column["name"]
        elif column["identifier"] == Identifier.BIRTH_DATE:
            groups["age_band"] = column["name"]
    return groups


def _needed(spec: LinkJobCreate, groups: dict[str, str]) -> list[str]:
    columns = [*spec.pseudonym_columns, *groups.values()]
    given = spec.probabilistic
    if given is not None:
        columns += [name for c in given.comparisons for name in (c.column, *c.alternatives)]
        rules = [*given.blocking_rules, *given.prior_rules, *given.training_rules]
        columns += [name.partition(":")[0] for name in rule_columns(rules)]
    return list(dict.fromkeys(columns))


def _name_columns(spec: LinkJobCreate) -> list[str]:
    """Columns compared or blocked on as names (their derived keys are needed)."""
    given = spec.probabilistic
    if given is None:
        return []
    compared = [
        n for c in given.comparisons if c.kind == "name" for n in (c.column, *c.alternatives)
    ]
    rules = [*given.blocking_rules, *given.prior_rules, *given.training_rules]
    keyed = [
        base
        for name in rule_columns(rules)
        for base, _, key in [name.partition(":")]
        if key in french.DERIVED
    ]
    return list(dict.fromkeys([*compared, *keyed]))


def pseudonymised_columns(path: Path) -> set[str]:
    metadata = pq.read_schema(path).metadata or {}
    return set(json.loads(metadata.get(META_PSEUDONYMISED, b"[]")))


def _read(path: Path, columns: list[str], names: list[str], hashed: set[str]) -> pa.Table:
    """The ``columns``, and for the pseudonymised ``names`` their keyed derived keys (or,
    in a version written without them, the pseudonym as its only key)."""
    present = pq.read_schema(path).names
    missing = [c for c in columns if c not in present]
    if missing:
        raise PipelineError(f"columns absent from a linked version: {', '.join(missing)}")
    hashed_names = [n for n in names if n in hashed and n in present]
    keyed = [f"{n}:{k}" for n in hashed_names for k in french.DERIVED if f"{n}:{k}" in present]
    table = pq.read_table(path, columns=[*columns, *keyed])
    for name in hashed_names:
        if f"{name}:norm" not in table.column_names:
            table = _pseudonym_only(table, name)
    return table


def _pseudonym_only(table: pa.Table, name: str) -> pa.Table:
    nothing = pa.nulls(table.num_rows, pa.string())
    table = table.append_column(f"{name}:norm", table.column(name))
    for key in french.DERIVED:
        if f"{name}:{key}" not in table.column_names:
            table = table.append_column(f"{name}:{key}", nothing)
    return table


def _name_keys(path: Path, names: list[str], hashed: set[str]) -> dict[str, str]:
    """How each name column compares: ``clear``, ``keyed`` (keyed derived keys) or
    ``pseudonym only`` (a version written before derived keys: exact agreement only)."""
    present = set(pq.read_schema(path).names)
    return {
        n: "clear"
        if n not in hashed
        else "keyed"
        if f"{n}:phonetic" in present
        else "pseudonym only"
        for n in names
        if n in present
    }


def _age_band(dates: pa.ChunkedArray, today: dt.date) -> pa.Array:
    years = pc.subtract(today.year, pc.year(dates))
    low = pc.multiply(pc.divide(years, AGE_BAND_YEARS), AGE_BAND_YEARS)
    return pc.binary_join_element_wise(
        pc.cast(low, pa.string()), pc.cast(pc.add(low, AGE_BAND_YEARS - 1), pa.string()), "-"
    )


def match_rates(left: pa.Table, linked_rows: pa.Array, groups: dict[str, str]) -> dict[str, Any]:
    """Share of left records linked, per value of each group column (linkage bias)."""
    linked = pc.is_in(pa.array(range(left.num_rows)), value_set=linked_rows)
    result: dict[str, Any] = {}
    for label, column in groups.items():
        values = left.column(column)
        if label == "age_band":
            values = _age_band(values, dt.datetime.now(dt.UTC).date())
        table = pa.table({"g": pc.cast(values, pa.string()), "linked": pc.cast(linked, pa.int64())})
        summary = table.group_by("g").aggregate([("linked", "mean"), ("linked", "count")])
        result[label] = {
            str(g): round(rate, 4)
            for g, rate in zip(
                summary.column("g").to_pylist(),
                summary.column("linked_mean").to_pylist(),
                strict=True,
            )
        }
    return result


def link_files(
    left_path: Path,
    right_path: Path,
    target: Path,
    spec: LinkJobCreate,
    groups: dict[str, str],
    *,
    link: Linker,
) -> dict[str, Any]:
    """Links to ``target``, the pairs to review beside it (:func:`review_path`)."""
    hashed = pseudonymised_columns(left_path) | pseudonymised_columns(right_path)
    names = _name_columns(spec)
    left = _read(left_path, _needed(spec, groups), names, hashed)
    right = _read(right_path, _needed(spec, {}), names, hashed)
    links, review, model = cascade(
        left,
        right,
        pseudonym_columns=spec.pseudonym_columns,
        settings=_settings(spec, hashed),
        link=link,
    )
    pq.write_table(links, target)
    pq.write_table(review, review_path(target))
    passes = links.column("pass").value_counts().to_pylist()
    return {
        "left_rows": left.num_rows,
        "right_rows": right.num_rows,
        "links": links.num_rows,
        "by_pass": {p["values"]: p["counts"] for p in passes},
        "match_rate": round(len(pc.unique(links.column("left_row"))) / max(left.num_rows, 1), 4),
        "match_rate_by_group": match_rates(left, links.column("left_row"), groups),
        "probabilistic": dataclasses.asdict(model) if model is not None else None,
        "name_keys": _name_keys(left_path, names, hashed),
    }


def review_path(links: Path) -> Path:
    return links.with_name("review.parquet")


async def _version(context: JobContext, version_id: uuid.UUID) -> PseudonymisedVersion:
    async with context.sessionmaker.begin() as session:
        found = await PseudonymisedVersionRepository(session).get(version_id)
    if found is None:
        raise PipelineError(f"version {version_id} has not been pseudonymised")
    return found


def _outputs(spec: LinkJobCreate, links: str, review: str) -> list[str]:
    return [links, review] if spec.probabilistic is not None else [links]


async def run_link(context: JobContext, job: Job) -> None:
    spec = LinkJobCreate.model_validate(job.params)
    left = await _version(context, spec.left_version_id)
    right = await _version(context, spec.right_version_id)
    if left.key_version != right.key_version:
        raise PipelineError("the versions were pseudonymised under different key versions")
    started = time.perf_counter()
    object_key = f"links/{job.id}/links.parquet"
    review_key = f"links/{job.id}/review.parquet"
    async with temporary_folder(context.work_dir) as folder:
        await context.download(CENTRAL_BUCKET, left.object_key, folder / "left.parquet")
        await context.download(CENTRAL_BUCKET, right.object_key, folder / "right.parquet")
        summary = await asyncio.to_thread(
            link_files,
            folder / "left.parquet",
            folder / "right.parquet",
            folder / "links.parquet",
            spec,
            _groups(left, spec.group_columns),
            link=context.engine.link,
        )
        await context.upload(folder / "links.parquet", CENTRAL_BUCKET, object_key)
        if spec.probabilistic is not None:
            await context.upload(review_path(folder / "links.parquet"), CENTRAL_BUCKET, review_key)
    seconds = time.perf_counter() - started
    report = {
        "engine": context.engine.name,
        "executors": context.engine.executors(),
        "rows_in": summary["left_rows"] + summary["right_rows"],
        "rows_out": summary["links"],
        "key_domain": "central",
        "key_version": left.key_version,
        "outputs": [f"{CENTRAL_BUCKET}/{key}" for key in _outputs(spec, object_key, review_key)],
        "seconds": round(seconds, 3),
        "links": summary,
    }
    async with context.sessionmaker.begin() as session:
        await finish(session, job, report=report, rows=report["rows_in"])
        event = LinkageCompleted(job_id=job.id, links=summary["links"], object_key=object_key)
        await outbox.publish(
            session,
            type=LINKAGE_COMPLETED,
            subject=str(job.id),
            data=event.model_dump(mode="json"),
            actor=job.created_by,
        )

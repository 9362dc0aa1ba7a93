"""erosion from Python: features and nightly scoring over the same Rust code as ``erosion-score``.

Install from the repository root with ``pip install ./python`` (builds the Rust extension with
maturin; needs a Rust toolchain).

Every table argument is either a file path (read exactly as ``erosion-score`` reads it: CSV,
Parquet or NDJSON by extension) or an Arrow table: anything with ``__arrow_c_stream__``
(``pyarrow.Table``, ``polars.DataFrame``, pandas, what Spark's ``applyInArrow`` hands over). Tables
cross into Rust through the Arrow C stream interface without copying their buffers, and the
results come back the same way, as ``pyarrow.Table``.

The columns, the exclusions (consent, erasure, suppression, population) and the probabilities
are ``erosion-score``'s bit for bit: :func:`score` runs the very function ``erosion-score`` runs
between loading its files and writing its outputs. Errors are raised as :class:`InputError` (bad
usage or input: ``erosion-score`` exits 2), :class:`EnvironmentFailure` or
:class:`InternalError` (exit 1), all :class:`ErosionError`, with the message ``erosion-score``
prints after ``error:``.

Example::

    import erosion
    bundle = erosion.load_bundle("model.json")
    night = erosion.score(bundle, events="events.parquet", customers="customers.parquet",
                          as_of="2025-06-01")
    night.scores          # pyarrow.Table: customer_id, as_of, erosion_probability, ...
    night.exclusions      # pyarrow.Table: customer_id, reason
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence, Union

import pyarrow as pa

from ._erosion import (
    Bundle,
    EnvironmentFailure,
    ErosionError,
    InputError,
    InternalError,
    __version__,
)
from . import _erosion

__all__ = [
    "Bundle",
    "EnvironmentFailure",
    "ErosionError",
    "InputError",
    "InternalError",
    "Night",
    "consent_information",
    "features",
    "load_bundle",
    "partition_of",
    "score",
    "with_plain_strings",
    "__version__",
]

#: A table argument: a path, or an object with ``__arrow_c_stream__``.
TableLike = Union[str, "os.PathLike[str]", Any]


@dataclass(frozen=True)
class Night:
    """A night scored in memory: what ``erosion-score`` would write, and how it went."""

    #: ``customer_id, as_of, erosion_probability, trust_score, band, reason_1, reason_2,
    #: reason_3, recommended_action, model_id, reason_weights``, ordered by customer id; text
    #: as Arrow string views (see :func:`with_plain_strings`).
    scores: pa.Table
    #: ``customer_id, reason``, ordered by customer id.
    exclusions: pa.Table
    #: Counts (``input``, ``in_partition``, ``scored``), ``excluded``/``bands``/``actions`` per
    #: name, the ``consent`` lines ``erosion-score`` prints and the ``warnings``.
    summary: dict
    #: The run record (JSON) ``erosion-score`` writes with the scores.
    run_record: str


def with_plain_strings(table: pa.Table) -> pa.Table:
    """The table with its ``string_view`` columns cast to ``string`` (a copy of the text).

    Results carry text as Arrow string views, polars' own layout, so that nothing is copied on
    the way out; polars and Spark's Arrow path read them, but some pyarrow kernels (``filter``,
    ``take`` in pyarrow 26) do not take them yet.
    """
    schema = pa.schema([
        f.with_type(pa.string()) if f.type == pa.string_view() else f for f in table.schema
    ])
    return table if schema == table.schema else table.cast(schema)


def load_bundle(path: Union[str, "os.PathLike[str]"]) -> Bundle:
    """Reads and checks a model bundle written by ``erosion train`` (``--model``)."""
    return _erosion.load_bundle(os.fspath(path))


def _bundle(bundle: Union[Bundle, str, "os.PathLike[str]"]) -> Bundle:
    return bundle if isinstance(bundle, Bundle) else load_bundle(bundle)


def score(
    bundle: Union[Bundle, str, "os.PathLike[str]"],
    *,
    events: TableLike | None = None,
    customers: TableLike | None = None,
    as_of: str | None = None,
    features: TableLike | None = None,
    suppress: Union[str, "os.PathLike[str]", Iterable[str], None] = None,
    consent_handled_upstream: bool = False,
    partition: tuple[int, int] | None = None,
    whole_input_consent: str | None = None,
    for_people: bool = False,
    names: Mapping[str, str] | None = None,
) -> Night:
    """Scores every input customer, as ``erosion-score`` does, without writing anything.

    Give raw histories (``events``, ``customers``, ``as_of`` ``"YYYY-MM-DD"``: features are
    computed with the bundle's own configuration) or a feature table (``features``, with
    ``as_of`` for a table without a ``cutoff`` column).

    ``suppress``: ids never to score, a file (``--suppress``'s format) or an iterable of ids.
    ``consent_handled_upstream``: ``--consent-handled-upstream``. ``partition``: ``(I, N)``,
    ``--partition I/N``. ``whole_input_consent``: when these events are a part of a night
    checked as a whole with :func:`consent_information` (a Spark partition), its result: the part
    is then not refused for holding no consent event itself. ``for_people``: round as a CSV
    output does (probabilities to 4 decimals, trust scores to 1); by default full precision, as
    in a Parquet output. ``names``: what errors call a table given in memory (keys ``events``,
    ``customers``, ``features``; by default those words).
    """
    names = dict(names or {})
    unknown = set(names) - {"events", "customers", "features"}
    if unknown:
        raise TypeError(f"names: unknown keys {sorted(unknown)} (events, customers, features)")
    bundle = _bundle(bundle)
    if bundle.cost_note:
        # erosion-score prints it before the work starts, so a slow night says why
        warnings.warn(bundle.cost_note, stacklevel=2)
    scores, exclusions, summary, note = _erosion.score(
        bundle,
        events=events,
        customers=customers,
        as_of=as_of,
        features=features,
        suppress=suppress,
        consent_handled_upstream=consent_handled_upstream,
        partition=tuple(partition) if partition is not None else None,
        whole_input_consent=whole_input_consent,
        for_people=for_people,
        events_name=names.get("events"),
        customers_name=names.get("customers"),
        features_name=names.get("features"),
    )
    return Night(pa.table(scores), pa.table(exclusions), summary, note)


def features(
    events: TableLike,
    *,
    as_of: Union[str, Sequence[str]],
    customers: TableLike | None = None,
    bundle: Union[Bundle, str, "os.PathLike[str]", None] = None,
    names: Mapping[str, str] | None = None,
) -> pa.Table:
    """The feature table ``erosion features`` writes, at one or more ``as_of`` dates.

    With a ``bundle``, its feature configuration (windows, horizon, population rule): the
    features ``erosion-score`` computes in raw mode. Without one, the default configuration.
    """
    names = dict(names or {})
    cutoffs = [as_of] if isinstance(as_of, str) else list(as_of)
    return pa.table(
        _erosion.features(
            events,
            as_of=cutoffs,
            customers=customers,
            bundle=None if bundle is None else _bundle(bundle),
            events_name=names.get("events"),
            customers_name=names.get("customers"),
        )
    )


def consent_information(
    type_counts: Union[Mapping[str, int], Iterable[tuple[str, int]]],
    *,
    name: str = "events",
    suppress: Union[str, "os.PathLike[str]", Iterable[str], None] = None,
    consent_handled_upstream: bool = False,
    id_column: str = "customer_id",
) -> str | None:
    """A whole night's consent information from its event types and their counts.

    What ``erosion-score`` finds in its events file before any work: the text it records (pass
    it to :func:`score` as ``whole_input_consent`` for each part of the night), or None when
    there is none but ``suppress`` or ``consent_handled_upstream`` lets the night go on;
    otherwise raises ``erosion-score``'s refusal (:class:`InputError`) naming ``name``.
    """
    pairs = type_counts.items() if isinstance(type_counts, Mapping) else type_counts
    return _erosion.consent_information(
        [(str(t), int(n)) for t, n in pairs],
        name=name,
        suppress=suppress,
        consent_handled_upstream=consent_handled_upstream,
        id_column=id_column,
    )


def partition_of(customer_id: str, n: int) -> int:
    """The partition (0-based, of ``n``) of a customer id: ``erosion-score --partition``'s rule."""
    return _erosion.partition_of(customer_id, n)

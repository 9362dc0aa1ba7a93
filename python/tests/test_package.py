"""The Python package against the binaries: same tables, same exclusions, same probabilities bit
for bit, same error messages; Arrow in and out without copies."""

from __future__ import annotations

import json
import struct
from dataclasses import replace

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import erosion
from conftest import AS_OF, bin_path, cli_error, erosion_score, run


def bits(xs: list[float | None]) -> list[bytes | None]:
    """Each float's 8 bytes: equal lists mean equal bit for bit (NaN and nulls included)."""
    return [None if x is None else struct.pack("<d", x) for x in xs]


def same_table(got: pa.Table, want: pa.Table) -> None:
    """Same column names in the same order and the same values; floats bit for bit."""
    assert got.column_names == want.column_names
    assert got.num_rows == want.num_rows
    for name in want.column_names:
        g, w = got.column(name).to_pylist(), want.column(name).to_pylist()
        if pa.types.is_floating(want.schema.field(name).type):
            assert bits(g) == bits(w), name
        else:
            assert g == w, name


def read_outputs(out) -> tuple[pa.Table, pa.Table]:
    return pq.read_table(out), pq.read_table(out.with_name(out.stem + ".exclusions.parquet"))


def test_raw_histories_score_as_erosion_score_does(night, tmp_path):
    out = tmp_path / "scores.parquet"
    erosion_score(night, out, "--suppress", night.suppress)
    want_scores, want_exclusions = read_outputs(out)
    reasons = set(want_exclusions.column("reason").to_pylist())
    # the night exercises consent, erasure, suppression and the population rule
    assert {"suppressed", "opted_out", "deletion_request"} <= reasons, reasons

    bundle = erosion.load_bundle(night.model)
    as_paths = erosion.score(bundle, events=night.events, customers=night.customers,
                             as_of=AS_OF, suppress=night.suppress)
    events, customers = pq.read_table(night.events), pq.read_table(night.customers)
    as_arrow = erosion.score(bundle, events=events, customers=customers, as_of=AS_OF,
                             suppress=night.suppress)
    as_polars = erosion.score(night.model, events=pl.from_arrow(events),
                              customers=pl.from_arrow(customers), as_of=AS_OF,
                              suppress=night.suppress)
    for got in (as_paths, as_arrow, as_polars):
        same_table(got.scores, want_scores)
        same_table(got.exclusions, want_exclusions)
    s = as_arrow.summary
    assert s["scored"] == want_scores.num_rows
    assert sum(s["excluded"].values()) == want_exclusions.num_rows
    assert s["input"] == customers.num_rows
    # the run record is the one erosion-score writes into the Parquet metadata, bar the list's
    # path, which is the same file
    note = json.loads(pq.read_metadata(out).metadata[b"erosion.scoring_run"])
    assert json.loads(as_paths.run_record) == note


def test_a_feature_table_scores_as_erosion_score_does(night, tmp_path):
    out = tmp_path / "scores.parquet"
    erosion_score(night, out, "--partition", "1/3", features=True)
    want_scores, want_exclusions = read_outputs(out)
    got = erosion.score(night.model, features=pq.read_table(night.features), partition=(1, 3))
    same_table(got.scores, want_scores)
    same_table(got.exclusions, want_exclusions)
    assert got.summary["in_partition"] == want_scores.num_rows + want_exclusions.num_rows
    assert all(erosion.partition_of(c, 3) == 1 for c in got.scores.column("customer_id").to_pylist())


def test_for_people_rounds_as_a_csv_does(night):
    full = erosion.score(night.model, features=night.features)
    rounded = erosion.score(night.model, features=night.features, for_people=True)
    p = full.scores.column("erosion_probability").to_pylist()
    q = rounded.scores.column("erosion_probability").to_pylist()
    assert q == [round(x * 1e4) / 1e4 for x in p]
    assert rounded.scores.column("band").to_pylist() == full.scores.column("band").to_pylist()


def test_features_are_erosion_features_table(night):
    # tonight.parquet was written by `erosion features --as-of AS_OF --horizon 90d`, the
    # bundle's own configuration (its training table's)
    want = pq.read_table(night.features)
    got = erosion.features(pq.read_table(night.events), customers=night.customers, as_of=AS_OF,
                           bundle=night.model)
    same_table(got, want)


def test_tables_cross_without_copies():
    # a float column and a timestamp column (1.6 MB) come back in the very buffers they went
    # in with, and pyarrow allocates no copy to receive them (about 1 KB of bookkeeping)
    t = pa.table({
        "x": pa.array([float(i) for i in range(100_000)]),
        "t": pa.array(range(100_000), type=pa.timestamp("ms", tz="UTC")),
    })
    before = pa.total_allocated_bytes()
    back = pa.table(erosion._erosion.echo(t))
    assert pa.total_allocated_bytes() - before < 16_000
    for name in ("x", "t"):
        assert back.column(name).chunk(0).buffers()[1].address == \
            t.column(name).chunk(0).buffers()[1].address
    assert back.equals(t)


# ---- errors: the messages erosion-score prints, as Python exceptions ----

def test_a_bad_bundle_raises_erosion_scores_message(night, tmp_path):
    bad = tmp_path / "model.json"
    header, payload = night.model.read_text().split("\n", 1)
    i = payload.index("0")  # one digit changed: the payload no longer matches its checksum
    bad.write_text(header + "\n" + payload[:i] + "1" + payload[i + 1:])
    p = erosion_score(replace(night, model=bad), tmp_path / "s.parquet", expect=2)
    assert "checksum" in cli_error(p) or "SHA" in cli_error(p), cli_error(p)
    with pytest.raises(erosion.InputError) as e:
        erosion.load_bundle(bad)
    assert str(e.value) == cli_error(p)
    not_a_bundle = tmp_path / "notes.txt"
    not_a_bundle.write_text("hello\n")
    p = erosion_score(replace(night, model=not_a_bundle), tmp_path / "s2.parquet", expect=2)
    with pytest.raises(erosion.ErosionError) as e:
        erosion.score(not_a_bundle, features=night.features)
    assert str(e.value) == cli_error(p)


def test_a_missing_column_raises_erosion_scores_message(night, tmp_path):
    events = pq.read_table(night.events).drop_columns(["timestamp"])
    path = tmp_path / "events.parquet"
    pq.write_table(events, path)
    p = run(bin_path("erosion-score"), "--model", night.model, "--events", path,
            "--customers", night.customers, "--as-of", AS_OF, "--out", tmp_path / "s.parquet",
            expect=2)
    message = cli_error(p)
    assert "timestamp" in message and str(path) in message
    with pytest.raises(erosion.InputError) as e:
        erosion.score(night.model, events=path, customers=night.customers, as_of=AS_OF)
    assert str(e.value) == message
    # the same table in memory: the same message, with the name it is given
    with pytest.raises(erosion.InputError) as e:
        erosion.score(night.model, events=events, customers=night.customers, as_of=AS_OF,
                      names={"events": str(path)})
    assert str(e.value) == message
    with pytest.raises(erosion.InputError) as e:
        erosion.score(night.model, events=events, customers=night.customers, as_of=AS_OF)
    assert str(e.value).startswith("events: ")


def test_input_without_consent_is_refused_with_erosion_scores_message(night, tmp_path):
    # polars wrote the text as string views, which pyarrow's filter does not take yet
    events = erosion.with_plain_strings(pq.read_table(night.events))
    keep = pa.compute.invert(pa.compute.is_in(
        events.column("event_type"), pa.array(["opt_in", "opt_out", "consent_withdrawn"])))
    path = tmp_path / "no_consent.csv"
    pacsv.write_csv(events.filter(keep), path)
    p = run(bin_path("erosion-score"), "--model", night.model, "--events", path,
            "--customers", night.customers, "--as-of", AS_OF, "--out", tmp_path / "s.parquet",
            expect=2)
    with pytest.raises(erosion.InputError) as e:
        erosion.score(night.model, events=path, customers=night.customers, as_of=AS_OF)
    assert str(e.value) == cli_error(p)
    # the whole night's types, counted: the same refusal, and the same consent text otherwise
    counts = events.filter(keep).group_by("event_type").aggregate([([], "count_all")])
    with pytest.raises(erosion.InputError) as e:
        erosion.consent_information(zip(*counts.to_pydict().values()), name=str(path))
    assert str(e.value) == cli_error(p)
    all_counts = events.group_by("event_type").aggregate([([], "count_all")])
    text = erosion.consent_information(dict(zip(*all_counts.to_pydict().values())))
    assert json.loads(erosion.score(night.model, events=night.events, customers=night.customers,
                                    as_of=AS_OF).run_record)["consent"]["input"] == text


def test_usage_errors_are_input_errors(night):
    with pytest.raises(erosion.InputError, match="give either events="):
        erosion.score(night.model, events=night.events, as_of=AS_OF)
    with pytest.raises(erosion.InputError, match="--as-of \"2025-13-01\" is not a date"):
        erosion.score(night.model, features=night.features, as_of="2025-13-01")
    with pytest.raises(TypeError, match="events: expected an Arrow table"):
        erosion.score(night.model, events=42, customers=night.customers, as_of=AS_OF)

"""bench/scripts/figures.py draws BENCHMARKS.md's four figures from the benchmarks' tables: from
the tables kept in benchmarks/ and from a benchmark's own output (the columns compare_designs
prints), each a well-formed SVG with a mark per row of its table."""
import pathlib
import sys
import xml.etree.ElementTree as ElementTree

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "scripts"))

import figures  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def drawn(results, out):
    written = {}
    for name, (draw, columns) in figures.FIGURES.items():
        rows = figures.table_with(results / name, *columns)
        written[name] = (rows, ElementTree.parse(draw(rows, out)).getroot())
    return written


def test_each_figure_is_drawn_from_the_kept_tables_with_a_mark_per_row(tmp_path):
    written = drawn(ROOT / "benchmarks", tmp_path)
    rows, latency = written["latency.md"]
    assert len(rows) == 15
    titled = [r for r in latency.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(titled) == 15, "a p50 bar per design and path"
    rows, cost = written["cost.md"]
    assert len([r for r in cost.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]) == 4 * len(rows)
    rows, cold = written["cold-start.md"]
    assert len(list(cold.iter(f"{SVG}circle"))) == len(rows) == 16
    rows, concurrency = written["concurrency.md"]
    assert [r["AWS_LAMBDA_MAX_CONCURRENCY"] for r in rows] == ["1", "8", "64"]


def test_the_committed_figures_are_what_the_kept_tables_draw(tmp_path):
    drawn(ROOT / "benchmarks", tmp_path)
    for name in ("latency.svg", "cold-start.svg", "cost.svg", "concurrency.svg"):
        assert (tmp_path / name).read_text() == (ROOT / "benchmarks" / name).read_text(), \
            f"benchmarks/{name} is stale: run `make bench-figures`"


def test_a_runs_own_table_is_read_by_its_column_names_and_its_tail_less_motos_stalls():
    raw = """compare_designs, 10 samples
| design | path | n | p50 ms | p99 ms | p99.9 ms | DynamoDB calls per request | moto excess ms per request | moto excess at p99.9 ms | 503 (timed out) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| one transaction, real binary | new cancel | 10 | 27.0 | 90.0 | 200.0 | 1 | 0.1 | 40.0 | 0 |
|  | replay | 10 | 27.0 | 91.0 | 150.0 | 1 | 0.0 | 0.0 | 0 |
"""
    [rows] = figures.tables(raw)
    assert rows[1]["design"] == "one transaction, real binary"
    assert figures.tail(rows[0]) == 160.0 and figures.tail(rows[1]) == 150.0

#!/usr/bin/env python3
"""Draws BENCHMARKS.md's figures (SVG) from the benchmarks' own output: the markdown tables that
`make bench` writes (kept in benchmarks/, one file per benchmark) are read by their column
names, so a file may hold prose and other tables around them.

    python3 bench/scripts/figures.py                 # benchmarks/*.md -> benchmarks/*.svg
    python3 bench/scripts/figures.py --results target/bench-results

Four figures: the latency of the three designs per path (p50, p99, p99.9), the first answer of
a cold start by memory size in both CPU regimes, the bill per million requests by part, and
what one process sustains by concurrency. No dependency beyond Python's standard library.
"""
import argparse
import html
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLOURS = ["#1b6ca8", "#e07b39", "#3c9d5d", "#b8405e", "#7d5ba6", "#8c8c8c"]
FONT = 'font-family="sans-serif"'


def tables(text):
    """Every markdown table in `text`, as a list of rows (dicts by column name); a blank first
    cell repeats the row above's, as the tables print a design once."""
    found, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|( ?-+ ?\|)+$", lines[i + 1].strip()):
            header = [cell.strip() for cell in lines[i].strip().strip("|").split("|")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [cell.strip().strip("*") for cell in lines[i].strip().strip("|").split("|")]
                row = dict(zip(header, cells))
                if rows and not cells[0]:
                    row[header[0]] = rows[-1][header[0]]
                rows.append(row)
                i += 1
            found.append(rows)
        else:
            i += 1
    return found


def table_with(path, *columns):
    """The first table of `path` that has all of `columns`."""
    for rows in tables(path.read_text()):
        if rows and all(column in rows[0] for column in columns):
            return rows
    raise SystemExit(f"figures: no table with columns {columns} in {path}")


def number(text):
    return float(re.sub(r"[^0-9.\-]", "", text))


class Svg:
    def __init__(self, width, height, title):
        self.width, self.height = width, height
        self.parts = [f'<text x="{width / 2}" y="20" text-anchor="middle" {FONT} font-size="14" '
                      f'font-weight="bold">{html.escape(title)}</text>']

    def text(self, x, y, words, anchor="middle", size=12, rotate=None):
        turn = f' transform="rotate({rotate} {x} {y})"' if rotate else ""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} '
                          f'font-size="{size}"{turn}>{html.escape(str(words))}</text>')

    def rect(self, x, y, width, height, colour, label=None):
        tip = f"<title>{html.escape(label)}</title>" if label else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" '
                          f'height="{max(height, 0):.1f}" fill="{colour}">{tip}</rect>')

    def line(self, x1, y1, x2, y2, colour="#444", width=1, dash=None):
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                          f'stroke="{colour}" stroke-width="{width}"{dashed}/>')

    def circle(self, x, y, colour, label=None):
        tip = f"<title>{html.escape(label)}</title>" if label else ""
        self.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">{tip}</circle>')

    def legend(self, x, y, entries):
        for i, (name, colour) in enumerate(entries):
            self.rect(x, y + i * 16 - 9, 10, 10, colour)
            self.text(x + 15, y + i * 16, name, anchor="start")

    def axis(self, left, top, bottom, right, maximum, unit, ticks=5):
        self.line(left, bottom, right, bottom)
        self.line(left, top, left, bottom)
        for i in range(ticks + 1):
            value = maximum * i / ticks
            y = bottom - (bottom - top) * i / ticks
            self.line(left - 4, y, right, y, colour="#ddd")
            self.text(left - 6, y + 4, f"{value:g}", anchor="end", size=10)
        self.text(14, (top + bottom) / 2, unit, rotate=-90)

    def write(self, path):
        body = "\n".join(self.parts)
        path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                        f'viewBox="0 0 {self.width} {self.height}">\n<rect width="100%" height="100%" '
                        f'fill="white"/>\n{body}\n</svg>\n')
        return path


def nice_ceiling(value):
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 5:
            return step * 5
    return value


def tail(row):
    """p99.9 less moto's own stalls where the table has them (BENCHMARKS.md reads that one)."""
    if "p99.9 less moto's excess, ms" in row:
        return number(row["p99.9 less moto's excess, ms"])
    if "moto excess at p99.9 ms" in row:
        return number(row["p99.9 ms"]) - number(row["moto excess at p99.9 ms"])
    return number(row["p99.9 ms"])


def latency(rows, out):
    """p50 bars with p99 and p99.9 marks, per path, one bar per design."""
    designs = list(dict.fromkeys(row["design"] for row in rows))
    paths = list(dict.fromkeys(row["path"] for row in rows))
    value = {(r["design"], r["path"]): r for r in rows}
    top_value = nice_ceiling(max(tail(r) for r in rows))
    svg = Svg(760, 380, "Latency per path on the DynamoDB model (ms): p50 bar, p99 ●, p99.9 less moto's stalls ○")
    left, top, bottom, right = 60, 40, 300, 740
    svg.axis(left, top, bottom, right, top_value, "ms")
    group = (right - left) / len(paths)
    bar = group * 0.8 / len(designs)
    y = lambda ms: bottom - (bottom - top) * min(ms, top_value) / top_value
    for p, path in enumerate(paths):
        for d, design in enumerate(designs):
            row = value.get((design, path))
            if not row:
                continue
            x = left + p * group + group * 0.1 + d * bar
            colour = COLOURS[d % len(COLOURS)]
            p50, p99 = number(row["p50 ms"]), number(row["p99 ms"])
            p999 = tail(row)
            svg.rect(x, y(p50), bar - 2, bottom - y(p50), colour, f"{design}, {path}: p50 {p50} ms")
            svg.circle(x + bar / 2 - 1, y(p99), colour, f"p99 {p99} ms")
            svg.parts.append(f'<circle cx="{x + bar / 2 - 1:.1f}" cy="{y(p999):.1f}" r="4" fill="white" '
                             f'stroke="{colour}" stroke-width="1.5"><title>p99.9 {p999} ms</title></circle>')
            if p999 > top_value:
                svg.text(x + bar / 2, top - 4, f"{p999:g}", size=9)
        svg.text(left + p * group + group / 2, bottom + 16, path)
    svg.legend(left + 10, 330, [(d, COLOURS[i % len(COLOURS)]) for i, d in enumerate(designs)])
    return svg.write(out / "latency.svg")


def cold_start(rows, out):
    """First answer p50 by memory size: one line per init CPU regime and start-up check."""
    series = list(dict.fromkeys((r["init CPU"], r["start-up check"]) for r in rows))
    memories = sorted({int(number(r["memory MB"])) for r in rows})
    top_value = nice_ceiling(max(number(r["first answer p50"]) for r in rows))
    svg = Svg(760, 360, "Cold start: the first answer (p50, ms) by memory size")
    left, top, bottom, right = 60, 40, 290, 740
    svg.axis(left, top, bottom, right, top_value, "ms")
    x = lambda i: left + 30 + (right - left - 60) * i / max(len(memories) - 1, 1)
    y = lambda ms: bottom - (bottom - top) * ms / top_value
    for i, memory in enumerate(memories):
        svg.text(x(i), bottom + 16, f"{memory} MB")
    for s, (regime, check) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        points = [(memories.index(int(number(r["memory MB"]))), number(r["first answer p50"]))
                  for r in rows if (r["init CPU"], r["start-up check"]) == (regime, check)]
        for (i1, v1), (i2, v2) in zip(points, points[1:]):
            svg.line(x(i1), y(v1), x(i2), y(v2), colour, 2, None if check == "with" else "5,3")
        for i, v in points:
            svg.circle(x(i), y(v), colour, f"{regime}, {check} the check: {v} ms")
    name = lambda regime: regime if regime.startswith("init") else f"init {regime}"
    svg.legend(left + 380, 60, [(f"{name(regime)}, {check} the start-up check", COLOURS[s % len(COLOURS)])
                                for s, (regime, check) in enumerate(series)])
    return svg.write(out / "cold-start.svg")


def cost(rows, out):
    """USD per million requests, stacked by part, one bar per design and path."""
    parts = ["API Gateway", "Lambda", "DynamoDB", "logs"]
    top_value = nice_ceiling(max(sum(number(r[p]) for p in parts) for r in rows))
    svg = Svg(760, 400, "The bill per million requests by part (USD)")
    left, top, bottom, right = 60, 40, 290, 740
    svg.axis(left, top, bottom, right, top_value, "USD per million")
    width = (right - left) / len(rows)
    y = lambda usd: (bottom - top) * usd / top_value
    for i, row in enumerate(rows):
        base = bottom
        for p, part in enumerate(parts):
            height = y(number(row[part]))
            svg.rect(left + i * width + 3, base - height, width - 6, height, COLOURS[p],
                     f"{row['design']}, {row['path']}: {part} {row[part]}")
            base -= height
        svg.text(left + i * width + width / 2, bottom + 12, row["path"], size=9, anchor="end",
                 rotate=-40)
    designs = list(dict.fromkeys(r["design"] for r in rows))
    for d, design in enumerate(designs):
        first = next(i for i, r in enumerate(rows) if r["design"] == design)
        count = sum(1 for r in rows if r["design"] == design)
        svg.text(left + (first + count / 2) * width, 362, design, size=11)
    svg.legend(right - 110, 60, [(part, COLOURS[p]) for p, part in enumerate(parts)])
    return svg.write(out / "cost.svg")


def concurrency(rows, out):
    """Requests per second of one process, and its CPU per request, by concurrency."""
    levels = [row["AWS_LAMBDA_MAX_CONCURRENCY"] for row in rows]
    top_value = nice_ceiling(max(number(r["requests per second"]) for r in rows))
    svg = Svg(660, 340, "One process: requests per second by AWS_LAMBDA_MAX_CONCURRENCY")
    left, top, bottom, right = 60, 40, 280, 640
    svg.axis(left, top, bottom, right, top_value, "requests per second")
    width = (right - left) / len(rows)
    for i, row in enumerate(rows):
        rps = number(row["requests per second"])
        height = (bottom - top) * rps / top_value
        x = left + i * width + width * 0.2
        svg.rect(x, bottom - height, width * 0.6, height, COLOURS[0], f"{levels[i]}: {rps} rps")
        svg.text(x + width * 0.3, bottom - height - 6,
                 f"{rps:g} rps, {number(row['CPU ms per request']):g} ms CPU, "
                 f"{number(row['peak memory (MiB)']):g} MiB", size=10)
        svg.text(x + width * 0.3, bottom + 16, levels[i])
    return svg.write(out / "concurrency.svg")


FIGURES = {
    "latency.md": (latency, ("design", "path", "p50 ms", "p99 ms", "p99.9 ms")),
    "cold-start.md": (cold_start, ("memory MB", "init CPU", "start-up check", "first answer p50")),
    "cost.md": (cost, ("design", "path", "API Gateway", "Lambda", "DynamoDB", "logs")),
    "concurrency.md": (concurrency, ("AWS_LAMBDA_MAX_CONCURRENCY", "requests per second", "CPU ms per request")),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=pathlib.Path, default=ROOT / "benchmarks",
                        help="the folder of the benchmarks' tables (default: benchmarks/)")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "benchmarks", help="where the SVGs go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (draw, columns) in FIGURES.items():
        written = draw(table_with(args.results / name, *columns), args.out)
        print(f"figures: {written.relative_to(ROOT) if written.is_relative_to(ROOT) else written}")


if __name__ == "__main__":
    main()

"""Benchmark: rendering printable transcripts of 0, 10, 60 and 200 records.

Prints the median time per document, its pages and bytes, and the ratio to the empty
transcript rendered in the same run (the fixed cost of loading and subsetting the face), so
the cost of the records themselves stands apart from the font's.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import pypdf

from creditbank.transcripts.pdf import render_transcript_pdf
from creditbank.transcripts.pdf.fonts import coverage
from tests.transcripts.pdf import samples


def main() -> None:
    """Run the benchmark and print one table row per transcript size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 10, 60, 200])
    args = parser.parse_args()
    coverage()  # read once per process, as a serving process would
    rows = []
    for size in args.sizes:
        view = samples.view(size)
        times = []
        data = b""
        for _ in range(args.repeats):
            start = time.perf_counter()
            data = render_transcript_pdf(view)
            times.append(time.perf_counter() - start)
        pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
        rows.append((size, statistics.median(times), pages, len(data)))
    floor = rows[0][1]
    print(f"{'records':>8} {'median s':>9} {'pages':>6} {'bytes':>9} {'/ first':>8}")
    for size, seconds, pages, length in rows:
        print(f"{size:>8} {seconds:>9.3f} {pages:>6} {length:>9,} {seconds / floor:>7.2f}×")


if __name__ == "__main__":
    main()

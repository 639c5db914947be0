"""The ``ecomkit`` command line.

Exit codes: 0 success, 1 an ecomkit error (one clear line on stderr; ``--debug`` shows the traceback),
2 a usage error, 3 the quality gate failed, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_QUALITY_GATE", "EXIT_USAGE", "ProgressBar", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_QUALITY_GATE = 3


class ProgressBar:
    """A dependency-free progress bar on a stream: redrawn in place on a terminal, one line per step otherwise."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.started = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, step: str, done: int, total: int) -> None:
        """Show that ``done`` of ``total`` steps are finished and ``step`` is running."""
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {done}/{total} {step:<10} {time.perf_counter() - self.started:6.1f}s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done == total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecomkit",
        description="Arrow-native e-commerce data pipelines: ingest, clean, score, measure, load.",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the whole pipeline on generated data into an embedded DuckDB warehouse",
        description=(
            "Generate a realistic dataset with injected defects, then unify, clean, profile, compute metrics "
            "(with the classic CLV) and load it into a DuckDB file; print a summary and write quality.html."
        ),
    )
    demo.add_argument(
        "--orders", type=int, default=10_000, metavar="N", help="orders to generate (default 10000)"
    )
    demo.add_argument(
        "--out", default="ecomkit-demo", metavar="DIR", help="output folder (default ./ecomkit-demo)"
    )
    demo.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")

    run = commands.add_parser(
        "run", help="run a pipeline described in a TOML file", description="Run a pipeline file."
    )
    run.add_argument("pipeline", metavar="PIPELINE.toml", help="the pipeline description")

    ddl = commands.add_parser(
        "ddl",
        help="print the warehouse DDL for the canonical schema",
        description="Print the SQL that creates the ecommerce warehouse (TimescaleDB, plain PostgreSQL or DuckDB).",
    )
    ddl.add_argument("--target", choices=["timescale", "postgres", "duckdb"], default="timescale")
    ddl.add_argument(
        "--timescale-version", default="2.28", metavar="X.Y", help="TimescaleDB version (default 2.28)"
    )
    return parser


def _print_summary(summary: object, out: TextIO) -> None:
    from ecomkit.pipeline import RunSummary

    assert isinstance(summary, RunSummary)
    extract = summary.stage("extract").rows
    clean = summary.stage("clean").rows
    quality = summary.stage("quality").scores
    metrics = summary.stage("metrics")
    out.write("\necomkit demo summary\n")
    out.write(f"  {'table':<16}{'raw rows':>12}{'clean rows':>12}\n")
    for name, rows in extract.items():
        out.write(f"  {name:<16}{rows:>12,}{clean.get(name, 0):>12,}\n")
    out.write(f"\n  {'injected defect':<28}{'injected':>10}{'found':>10}\n")
    for name, (injected, found) in summary.defects.items():
        mark = "" if injected == found else "  MISMATCH"
        out.write(f"  {name:<28}{injected:>10,}{found:>10,}{mark}\n")
    out.write(
        f"\n  quality score (orders): {quality['orders_before']:.3f} before cleaning, "
        f"{quality['orders_after']:.3f} after\n"
    )
    out.write(
        f"  customers: {int(metrics.scores['customers']):,}, mean classic CLV: {metrics.scores['mean_clv']:,.2f}\n"
    )
    out.write(f"  warehouse: {summary.warehouse}\n  quality report: {summary.report_html}\n")


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ecomkit.pipeline import PipelineSpec, SourceSpec, run

    if args.command == "ddl":
        from ecomkit.warehouse import timescale

        sys.stdout.write(timescale.render("ecommerce", version=args.timescale_version, target=args.target))
        return EXIT_OK
    if args.command == "demo":
        if args.orders < 1:
            parser.error("--orders must be at least 1")
        spec = PipelineSpec(
            name="demo", source=SourceSpec(orders=args.orders, seed=args.seed), out_dir=args.out
        )
    else:
        spec = PipelineSpec.from_toml(args.pipeline)
    Path(spec.out_dir).mkdir(parents=True, exist_ok=True)
    summary = run(spec, on_stage=ProgressBar())
    _print_summary(summary, sys.stdout)
    if any(injected != found for injected, found in summary.defects.values()):
        sys.stderr.write("ecomkit: error: the quality report does not account for every injected defect\n")
        return EXIT_ERROR
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        import ecomkit

        print(ecomkit.__version__)
        return EXIT_OK
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from ecomkit.errors import EcomkitError, QualityGateError

    try:
        return _run(args, parser)
    except KeyboardInterrupt:
        sys.stderr.write("ecomkit: interrupted\n")
        return 130
    except (EcomkitError, OSError) as exc:
        if args.debug:
            raise
        sys.stderr.write(f"ecomkit: error: {exc}\n")
        return EXIT_QUALITY_GATE if isinstance(exc, QualityGateError) else EXIT_ERROR

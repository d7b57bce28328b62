#!/usr/bin/env python
"""Benchmark of the differential engine: diagnoses ranked per second, and the wall time of
the `calcvision ddx` command (against a bare Python start-up measured in the same run).

    PYTHONPATH=. python scripts/bench_ddx.py [--n 300] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLI = ["-m", "calcvision", "ddx", "--pattern", "tumoral_glob", "--context",
       '{"dialysis": true, "phosphate_mg_dl": 8}', "--json"]
# the same command through the ddx subcommand module alone (without the CLI registry, which
# imports every subcommand module and what they import at module level)
DDX_ONLY = ["-c", "import argparse, sys; from calcvision.cli import ddx_cmd; p = argparse.ArgumentParser(); "
            "ddx_cmd.add_parser(p.add_subparsers()); sys.exit(ddx_cmd.run(p.parse_args(sys.argv[1:])))",
            *CLI[2:]]


def _wall(cmd: list[str], repeat: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run([sys.executable, *cmd], capture_output=True, env=env, cwd=ROOT)
        out.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"command failed: {' '.join(cmd)}: {r.stderr.decode()[-300:]}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="rank() calls per engine measurement")
    ap.add_argument("--repeat", type=int, default=5, help="CLI runs per wall-time measurement")
    args = ap.parse_args()

    import numpy as np

    t = time.perf_counter()
    from calcvision.ddx import rank
    from calcvision.ddx.kb import load_kb
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    kb = load_kb()
    t_kb = time.perf_counter() - t
    n_dx = len(kb.entries)

    rng = np.random.default_rng(0)
    contexts = [{}, {"dialysis": True, "phosphate_mg_dl": 8}, {"age_years": 9, "limb_level": "proximal"},
                {"site": "fingertips", "raynaud": True, "conditions": ["scleroderma"]},
                {"calcium_mg_dl": 10.2, "phosphate_mg_dl": 7.9, "site": "periarticular"}]
    evidence = [rng.dirichlet(np.ones(7)) for _ in range(args.n)]
    rates = {}
    for questions in (False, True):
        t = time.perf_counter()
        for i, p in enumerate(evidence):
            rank(p, contexts[i % len(contexts)], questions=questions)
        dt = time.perf_counter() - t
        rates[questions] = (args.n / dt, args.n * n_dx / dt)

    base = _wall(["-c", "pass"], args.repeat)
    cli = _wall(CLI, args.repeat)
    alone = _wall(DDX_ONLY, args.repeat)
    print(f"knowledge base: {n_dx} diagnoses; import {t_import * 1000:.0f} ms, load+compile {t_kb * 1000:.0f} ms")
    print(f"engine, ranking only:        {rates[False][0]:8.0f} rank() calls/s = {rates[False][1]:9.0f} diagnoses ranked/s")
    print(f"engine, with next_questions: {rates[True][0]:8.0f} rank() calls/s = {rates[True][1]:9.0f} diagnoses ranked/s")
    print(f"CLI `calcvision {' '.join(CLI[2:])}`")
    print(f"  wall time median {statistics.median(cli):.3f} s (min {min(cli):.3f} s, {args.repeat} runs); "
          f"bare python start-up median {statistics.median(base):.3f} s; ratio {statistics.median(cli) / statistics.median(base):.1f}x")
    print(f"  same command, ddx subcommand module alone: median {statistics.median(alone):.3f} s "
          f"(min {min(alone):.3f} s)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

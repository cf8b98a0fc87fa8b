"""Reproduce the Stage-GAN paper's comparison on CMP Facades (§3.2–3.3, Fig. 6–12) in one script.

    python benchmarks/reproduce_paper.py --data facades/ --out docs/reproduction --budget-minutes 120
    python benchmarks/reproduce_paper.py --data facades/ --out /tmp/smoke --smoke
    python benchmarks/reproduce_paper.py --width small --data facades/ --runs runs/ --out repro-small/

The work is done by the package beside this file, ``benchmarks/reproduce/`` (its docstring tells
the budget and the departures from the papers; docs/reproduction.md the results): ``models`` (which
methods train, how), ``plan`` (reference schedule, budget split, a run's length), ``runs``
(training through ``srzoo.Trainer``), ``scoring`` (``srzoo.bench``), ``verdicts`` (one per
claim), ``figures``, ``report`` (table.json, table.md) and ``cli`` (options and the order of work).
The names other scripts and tests use are re-exported here.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the reproduce package, however this is loaded

from reproduce.cli import main, parse_args
from reproduce.models import Model, models
from reproduce.plan import (
    PLAN_FILE,
    REFERENCE_EPOCHS,
    Plan,
    allocate,
    finished_plan,
    run_length,
)

__all__ = [
    "PLAN_FILE",
    "REFERENCE_EPOCHS",
    "Model",
    "Plan",
    "allocate",
    "finished_plan",
    "main",
    "models",
    "parse_args",
    "run_length",
]

if __name__ == "__main__":
    sys.exit(main())

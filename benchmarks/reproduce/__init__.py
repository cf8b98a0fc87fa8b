"""Reproduce the Stage-GAN paper's comparison on CMP Facades (§3.2–3.3, Fig. 6–12) in one script.

Trains Stage-GAN ×4 and ×8, their ``-nosem`` ablations, SRCNN and LapSRN (×4, ×8) and SRGAN ×4 on
Facades ``train/`` through ``srzoo.train``, with the paper's hyper-parameters scaled to a time budget;
benches every trained method and bicubic-x4/x8 on ``test/`` through ``srzoo.bench`` (the protocol of
``srzoo bench``: PSNR/SSIM on rounded Y, GSM, the border shaved by the scale); writes at most eight
files into ``--out`` and a verdict per claim. See docs/reproduction.md.

    python benchmarks/reproduce_paper.py --data facades/ --out docs/reproduction --budget-minutes 120
    python benchmarks/reproduce_paper.py --data facades/ --out /tmp/smoke --smoke
    python benchmarks/reproduce_paper.py --width small --data facades/ --runs runs/ --out repro-small/

The budget: each model's per-step cost ``c_m`` is measured with a few timed steps (the engine's own
``step_time``), and the training budget is split into equal shares of time: every model trains for
the same wall time, capped at its reference schedule ``S_m`` (the paper's 200 epochs), the time
freed by a capped model going to the others (``Σ min(T, c_m · S_m) = budget``). A run that is at
least two epochs long is given in epochs, and the recipe's learning-rate schedule (Stage-GAN's 100
constant + 100 linearly decaying epochs, LapSRN's halving every 50) is compressed by the same
factor; a shorter one is given in steps with the schedule left as it is.

The baselines keep their papers' losses, patch sizes and (except LapSRN's) batch sizes, but train
with Adam: their papers' SGD learning rates (1e-4 and 1e-5) are tuned for 10^5–10^7 iterations, and
a 200-epoch schedule on 400 images is a few hundred; each such departure is stated in the table.
``--runs DIR`` keeps every run folder (recipe, weights, metrics) and reuses the finished ones, so an
interrupted reproduction continues where it stopped.

``--width small`` compares srzoo's reduced-width ``-small`` Stage-GAN recipes instead (every output
labelled so): it reuses the finished ``srzoo train`` runs ``RUNS/NAME`` (their ``run.json`` gives
the share of the 200 epochs), reports unfinished or missing ones as pending with their claims
*not tested*, and trains missing ones into ``RUNS/NAME`` only when ``--budget-minutes`` is given.
"""

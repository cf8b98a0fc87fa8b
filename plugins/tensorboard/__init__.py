"""Built-in plugin ``tensorboard``: ``srzoo train --tensorboard`` writes TensorBoard event files.

The logger goes through the ``srzoo_register_loggers`` hook, exactly as a third-party logger
(wandb, MLflow...) would. It needs the ``tensorboard`` package (``pip install "srzoo[tensorboard]"``);
this module imports neither it nor torch, so the logger is listed whether or not it is installed,
and asking for it without the package is one line naming the extra.
"""

from __future__ import annotations

import srzoo


@srzoo.hookimpl
def srzoo_register_loggers(register: srzoo.hookspecs.Register) -> None:
    register(
        "tensorboard",
        "srzoo_plugins.tensorboard.writer:TensorBoardLogger",
        description='TensorBoard event files in RUN/tensorboard (pip install "srzoo[tensorboard]")',
    )

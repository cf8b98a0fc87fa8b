"""Learning-rate schedules as pure functions of the (stage-local) epoch.

The factor multiplying an optimiser's base ``lr`` is computed from the epoch every step, so a
resumed run needs no scheduler object: the step and epoch in the checkpoint determine it.
"""

from __future__ import annotations

from ..recipe import Schedule

__all__ = ["lr_factor"]


def lr_factor(schedule: Schedule, epoch: int) -> float:
    """The factor on the base learning rate during ``epoch`` (0-based).

    * ``constant``: 1.
    * ``linear-decay`` (pix2pix): 1 for ``constant_epochs`` epochs, then
      ``1 - (epoch + 1 - constant_epochs) / (decay_epochs + 1)``, reaching ``1 / (decay_epochs + 1)``
      in the last epoch and clamped at 0 after it.
    * ``step``: ``gamma ** (epoch // step_epochs)``.

    Examples:
        >>> from srzoo.recipe import Schedule
        >>> from srzoo.train.schedule import lr_factor
        >>> s = Schedule("linear-decay", constant_epochs=100, decay_epochs=100)
        >>> lr_factor(s, 99), round(lr_factor(s, 100), 4), round(lr_factor(s, 199), 4)
        (1.0, 0.9901, 0.0099)
    """
    if schedule.name == "linear-decay":
        past = max(0, epoch + 1 - schedule.constant_epochs)
        return max(0.0, 1.0 - past / float(schedule.decay_epochs + 1))
    if schedule.name == "step":
        if schedule.step_epochs <= 0:
            return 1.0
        return float(schedule.gamma ** (epoch // schedule.step_epochs))
    return 1.0

"""Built-in plugin ``resize``: torch's own resizers as degradations.

These are *not* MATLAB's ``imresize`` (torch's bicubic uses Keys a = -0.75 and no antialiasing when
upsampling); they are registered under their own names for comparison and speed. The literature's
MATLAB-exact resizer is the ``bicubic`` degradation.
"""

from __future__ import annotations

import srzoo

_LICENSE = "BSD-3-Clause (PyTorch)"


@srzoo.hookimpl
def srzoo_register_degradations(register: srzoo.hookspecs.Register) -> None:
    for mode in ("bicubic", "bilinear", "nearest"):
        register(
            f"torch-{mode}",
            f"srzoo_plugins.resize.torch_resize:torch_{mode}",
            description=f"torch.nn.functional.interpolate(mode={mode!r}); not MATLAB-exact",
            license=_LICENSE,
        )

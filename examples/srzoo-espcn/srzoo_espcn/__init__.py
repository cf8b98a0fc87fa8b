"""ESPCN (Shi et al., CVPR 2016) as an srzoo plugin: a generator and a trainable recipe."""

from importlib.resources import files

import srzoo
from torch import nn


class ESPCN(nn.Module):
    """(N, 3, h, w) -> (N, 3, s*h, s*w): two tanh convolutions, then a sub-pixel convolution."""

    def __init__(self, scale: int = 3, channels: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 64, 5, padding=2), nn.Tanh(),
            nn.Conv2d(64, 32, 3, padding=1), nn.Tanh(),
            nn.Conv2d(32, channels * scale**2, 3, padding=1), nn.PixelShuffle(scale),
        )

    def forward(self, x):
        return self.body(x)


@srzoo.hookimpl
def srzoo_register_generators(register):
    register(
        "espcn", ESPCN, paper="Shi et al., CVPR 2016", license="MIT",
        scales=[2, 3, 4], upscale=lambda args: args["scale"],
        receptive_field=4,  # 5x5 + 3x3 + 3x3 convs
        in_channels=lambda args: args["channels"],
        out_channels=lambda args: args["channels"],
        examples=srzoo.Examples(args={"scale": 2}, input=(1, 3, 9, 7)),
    )


@srzoo.hookimpl
def srzoo_register_recipes(register):
    # the recipe file: the graph and its [train] table
    register("espcn-x3", str(files(__name__) / "espcn-x3.toml"))

"""The built-in test charts."""

from __future__ import annotations

import pytest
import torch
from srzoo_plugins.datasets.facade_chart import FACADE_PALETTE, facade_with_labels

from srzoo.charts import CHARTS, make_chart
from srzoo.errors import InputError


@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_shape_range_and_determinism(name):
    chart = make_chart(name, 64)
    assert chart.shape == (3, 64, 64) and chart.dtype == torch.float32
    assert chart.min() >= 0.0 and chart.max() <= 1.0
    assert chart.std() > 0.1, "a chart must have contrast"
    assert torch.equal(chart, make_chart(name, 64))


def test_zone_plate_values():
    chart = make_chart("zone-plate", 32)
    # at the centre r = 0 -> 0.5 + 0.5 cos(0) = 1 (up to the 4x supersampling box filter)
    assert chart[0, 16, 16] > 0.99 and chart[0, 15, 15] > 0.99
    assert torch.equal(chart[0], chart[1]) and torch.equal(chart[0], chart[2])
    assert torch.allclose(chart[0], chart[0].T)


def test_siemens_star_is_symmetric_and_binary_far_from_centre():
    chart = make_chart("siemens-star", 128)[0]
    assert chart[0, 0] == pytest.approx(0.5)  # mid-grey surround
    ring = chart[64 - 40, 40:88]  # a row crossing spokes at radius ~40: mostly saturated
    assert ((ring < 0.05) | (ring > 0.95)).float().mean() > 0.5


def test_facade_labels_use_the_palette():
    photo, labels = facade_with_labels(64)
    assert photo.shape == labels.shape == (3, 64, 64)
    codes = (labels * 255).round().to(torch.int64).reshape(3, -1).T.tolist()
    colours = {tuple(code) for code in codes}
    assert colours <= set(FACADE_PALETTE.values())
    assert len(colours) >= 5


def test_bad_chart_requests():
    with pytest.raises(
        InputError,
        match=r"unknown chart 'lena'; expected one of: siemens-star, zone-plate, text, edges, facade",
    ):
        make_chart("lena")
    with pytest.raises(InputError, match=r"chart size must be at least 16 pixels, got 8"):
        make_chart("text", 8)


def test_plugins_add_charts_and_bad_ones_are_refused(throwaway_plugin):
    import types

    import srzoo
    from srzoo.registry import loader as _plugins

    def srzoo_register_charts(register):
        register("flat-grey", lambda size: torch.full((3, size, size), 0.5), description="mid grey")
        register("wrong-shape", lambda size: torch.zeros(size, size))

    plugin = types.SimpleNamespace(srzoo_register_charts=srzoo.hookimpl(srzoo_register_charts))
    throwaway_plugin(plugin, "grey-charts")
    assert list(CHARTS)[:4] == ["siemens-star", "zone-plate", "text", "edges"]
    assert {"facade", "flat-grey"} <= set(CHARTS)  # facade comes from the datasets plugin
    assert torch.equal(make_chart("flat-grey", 16), torch.full((3, 16, 16), 0.5))
    with pytest.raises(
        InputError, match=r"^chart 'wrong-shape' drew \(16, 16\); a chart must be a \(3, 16, 16\) float32"
    ):
        make_chart("wrong-shape", 16)

    def bad(register):
        register("broken-chart", 42)

    with pytest.warns(
        _plugins.PluginWarning, match=r"registered chart 'broken-chart' with 42; expected a callable"
    ):
        throwaway_plugin(types.SimpleNamespace(srzoo_register_charts=srzoo.hookimpl(bad)), "bad-charts")
    assert "broken-chart" not in CHARTS

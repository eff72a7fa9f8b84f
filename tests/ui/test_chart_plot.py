"""The statistics charts' own canvas (ui/chart_plot.py): round ticks, data <-> pixels both
ways, and the heatmap's tooltip from a real mouse move."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF
from pytestqt.qtbot import QtBot

from tiktok_desktop.services.stats import BestTimes
from tiktok_desktop.ui.chart_plot import Axes, Plot, nice_step, nice_ticks
from tiktok_desktop.ui.stats_charts import BestTimeHeatmap, count_ticks


@pytest.mark.parametrize(("span", "most", "step"), [
    (10, 5, 2.0), (700, 3, 500.0), (23_000, 6, 5000.0), (1, 4, 0.5), (0.0, 3, 1.0)])
def test_round_steps(span: float, most: int, step: float) -> None:
    assert nice_step(span, most) == step


def test_ticks_cover_the_range_in_the_lists_words() -> None:
    assert [t for _v, t in count_ticks(0, 24_000, 200)] == \
        ["0", "5K", "10K", "15K", "20K"]
    ticks = nice_ticks(-0.02, 8.4, 8, lambda v: f"{v:g}")
    assert [v for v, _t in ticks] == [0, 2, 4, 6, 8]


def test_pixels_and_data_map_both_ways(qtbot: QtBot) -> None:
    plot = Plot()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    for invert in (False, True):
        plot.show_data(Axes(x=(0, 24), y=(0, 7), invert_y=invert), [])
        point = plot.to_pixel(13.5, 2.25)
        x, y, inside = plot.to_data(point)
        assert (round(x, 6), round(y, 6), inside) == (13.5, 2.25, True)
        area = plot.area()
        top = plot.to_pixel(0, 7)
        assert top.y() == pytest.approx(area.bottom() if invert else area.top())


def test_a_heat_cell_says_what_it_holds_under_the_mouse(qtbot: QtBot) -> None:
    heat = BestTimeHeatmap()
    qtbot.addWidget(heat)
    heat.resize(600, 320)
    heat.show()
    qtbot.waitExposed(heat)
    heat.set_data(BestTimes(3, {(1, 9): (3, 1500.0)}), "UTC")  # Tuesday 09:00
    centre = heat.plot.to_pixel(9.5, 1.5)
    qtbot.mouseMove(heat.plot, QPoint(int(centre.x()), int(centre.y())))
    qtbot.waitUntil(lambda: heat.plot.toolTip() != "")
    assert heat.plot.toolTip() == "Tue 09:00: 3 posts, median 1.5K views after 24 h"
    outside = heat.plot.to_pixel(30, 1.5)
    assert heat.plot.to_data(QPointF(outside))[2] is False

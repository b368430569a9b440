"""Server-rendered charts: axes that suit counts."""

from app.services import charts


def test_small_counts_get_whole_number_ticks():
    chart = charts.columns(chart_id="c", title="t", description="d",
                           points=[("2026-11", 1), ("2026-12", 0)])
    assert [t.value for t in chart.ticks] == [0, 1]
    chart = charts.columns(chart_id="c", title="t", description="d",
                           points=[("2026-11", 2)])
    assert [t.value for t in chart.ticks] == [0, 1, 2]
    chart = charts.columns(chart_id="c", title="t", description="d",
                           points=[("2026-11", 37)])
    assert [t.value for t in chart.ticks] == [0, 12.5, 25, 37.5, 50]

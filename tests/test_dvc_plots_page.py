"""`prunegate plots`: DVC's plots as inline SVG, so the page renders without a CDN."""

from prunegate.reporting.dvc_plots import render_plots_page

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"epoch": 0, "loss": 1.0}, {"epoch": 1, "loss": 0.5}]},
    "mark": "line",
    "encoding": {
        "x": {"field": "epoch", "type": "quantitative"},
        "y": {"field": "loss", "type": "quantitative"},
    },
}


def test_each_plot_becomes_an_inline_svg_and_missing_ones_are_listed():
    plots = {
        "data": {"training loss": [{"type": "vega", "revisions": ["main", "workspace"], "content": SPEC}]},
        "errors": [
            {"name": "sweep", "rev": "main", "msg": "No storage files available"},
            {
                "name": "vs MACs",
                "rev": "workspace",
                "source": "data/08_reporting/sweep_table.csv",
                "msg": "missing",
            },
            {"name": "vs MACs", "rev": "HEAD", "msg": "No such file: 'data/08_reporting/sweep_table.csv'"},
        ],
    }
    page = render_plots_page(plots, "prunegate plots")
    assert page.count("<svg") == 1 and "<script" not in page
    assert "<h2>training loss</h2><p>main, workspace</p>" in page
    assert "<li>sweep (main): No storage files available</li>" in page
    assert "vs MACs (workspace): missing (the pruning sweep is opt-in: run <code>make sweep</code>)" in page
    assert "sweep_table.csv&#x27; (the sweep's outputs are not cached: only the workspace's sweep" in page

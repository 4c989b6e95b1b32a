"""fp8sa.run_all (--run-all): a tiny grid through 2 worker processes writes
the same CSVs, byte for byte, as through 1 worker and as run_quick in this
process (the runs are independent of the worker and the order); the
summary and the plots are written."""
import os

import pytest

import fp8sa.experiments as ex
from fp8sa import run_all as ra

DATA = "/usr/share/datasets/fashion-mnist"
needs_data = pytest.mark.skipif(not os.path.isdir(DATA), reason="dataset-fashion-mnist not installed")

# Two CNN settings x 2 seeds x 2 steps; two MLP settings x 2 seeds x 4 steps
# with the accuracy and the metrics every 2 steps (the metrics sets' files).
TINY = [
    ("ls", "loss-scaling", dict(settings=["e4m3-nopts-off", "e4m3-nopts-dyn"], seeds=2, steps=2)),
    ("mw", "master-weights", dict(settings=["fp32-rne", "bf16-sr"], seeds=2, steps=4, eval_every=2,
                                  metrics_every=2)),
]


def _csvs(d):
    return {f: open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d)) if f.endswith(".csv")}


@needs_data
def test_two_workers_write_the_same_csvs_as_one_and_as_run_quick(tmp_path):
    from fp8sa.train_fmnist import load_fmnist
    d1, d2, d0 = tmp_path / "w1", tmp_path / "w2", tmp_path / "seq"
    logs = []
    ra.run_all(str(d2), jobs=2, data_dir=DATA, sets=TINY, log=logs.append)
    ra.run_all(str(d1), jobs=1, data_dir=DATA, sets=TINY, log=lambda s: None)
    c1, c2 = _csvs(d1), _csvs(d2)
    assert sorted(c1) == ["ls.csv", "ls_metrics.csv", "mw.csv", "mw_accuracy.csv", "mw_metrics.csv"]
    assert c1 == c2
    # The same grids in one process, in the grid's order (as --run writes them).
    data = load_fmnist(DATA)
    os.makedirs(d0)
    for stem, name, opt in TINY:
        ex.run_quick(name, str(d0 / f"{stem}.csv"), data=data, log=lambda s: None, **opt)
    assert _csvs(d0) == c1
    # Progress per run, then the totals; the summary and the plots.
    assert sum("run-all [" in s for s in logs) == 8 and "2 workers" in logs[-1]
    s = (d2 / "summary.md").read_text()
    assert "## ls" in s and "| e4m3-nopts-off | 2 | " in s and "1-minute load average" in s
    for png in ("ls.png", "mw.png"):
        assert (d2 / png).read_bytes()[:4] == b"\x89PNG"


@needs_data
def test_knob_plots_and_separating_settings(tmp_path):
    rows = [dict(experiment="sr-bits", setting=s, accuracy=a) for s, a in
            [("fp32-rne", 0.80), ("fp32-rne", 0.81), ("bf16-rne", 0.50), ("bf16-rne", 0.52),
             ("bf16-mid-r2", 0.79), ("bf16-mid-r2", 0.82), ("bf16-mid-r16", 0.80), ("bf16-mid-r16", 0.80)]]
    sep = ra.separating(rows)
    assert [s for s, _, _ in sep] == ["bf16-rne"] and sep[0][1] == pytest.approx(-29.5)
    ra.knob_plot(rows, str(tmp_path / "k.png"))
    acc = [dict(experiment="accumulation", setting=s, accuracy=0.8) for s in
           ("fp32", "e8m23", "e6m5-rne", "e6m5-sr", "e6m5-promote128", "h100-fp8", "exact")]
    ra.knob_plot(acc, str(tmp_path / "a.png"))
    assert (tmp_path / "k.png").read_bytes()[:4] == (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"


def test_quick_set_names_every_implemented_experiment_and_full_grids_have_3_seeds_or_more():
    names = {ra.GROUP.get(s, e) for s, e, _ in ra.QUICK_SET}
    assert names == {e.name for e in ex.EXPERIMENTS.values() if e.implemented} | {"metrics"}
    for name in ex.FULL_GRIDS:
        q, f = ex.grid_params(name), ex.grid_params(name, full=True)
        assert f["seeds"] >= 3 and f["steps"] > q["steps"]


def test_summarize_writes_the_summary_from_the_committed_csvs(tmp_path):
    import shutil
    src = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "experiments")
    if not os.path.exists(os.path.join(src, "loss-scaling_quick.csv")):
        pytest.skip("no committed results")
    d = tmp_path / "exp"
    shutil.copytree(src, d)
    assert ex.main(["--run-all", "--quick", "--summarize", "--out-dir", str(d)]) == 0
    s = (d / "summary.md").read_text()
    assert [ln[3:] for ln in s.splitlines() if ln.startswith("## ")] == [stem for stem, _, _ in ra.QUICK_SET]
    sep = next(ln for ln in s.splitlines() if ln.startswith("Beyond the seed spread from fp32: e5m2-nopts-dyn"))
    assert "e4m3-nopts-off (" in sep and "e4m3-nopts-dyn (" not in sep
    assert (d / "sr-bits_quick_knob.png").exists() and (d / "accumulation_quick_knob.png").exists()
    assert ex.main(["--run-all", "--quick", "--summarize", "--out-dir", str(tmp_path / "none")]) == 2

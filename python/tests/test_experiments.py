"""fp8sa.experiments: --list names the experiments of issue 22 section 2 and
says which are not implemented; --run loss-scaling --quick trains and writes
its CSVs (a tiny grid here: 2 settings, 1 seed, 4 steps); the refusals."""
import csv
import os

import pytest
import torch

import fp8sa.experiments as ex

DATA = "/usr/share/datasets/fashion-mnist"
needs_data = pytest.mark.skipif(not os.path.isdir(DATA), reason="dataset-fashion-mnist not installed")


def test_list_names_every_experiment_with_its_grid_setting_and_status(capsys):
    assert ex.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in ("loss-scaling", "master-weights", "accumulation", "sr-bits", "metrics"):
        assert f"\n{name} (" in "\n" + out
    assert "loss-scaling (implemented)" in out
    assert "master-weights (implemented)" in out
    assert out.count("(not implemented yet)") == sum(not e.implemented for e in ex.EXPERIMENTS.values()) <= 3
    assert "accumulation (implemented)" in out
    assert "knobs: err_fmt in {e5m2, e4m3}; tensor_scaling in {off, on}; loss_scaling in {off, dynamic}" in out
    assert out.count("failure-inducing setting:") == 5 and out.count("why:") == 5
    assert "h100-fp8-promote128" in out and "sr_kind in {mid, trunc, src}" in out
    # The loss-scaling grid: FP32 and 2 x 2 x 2 recipes.
    grid = ex.loss_scaling_settings()
    assert len(grid) == 9 and grid[0][0] == "fp32"
    r = dict((g[0], g[2]) for g in grid)["e4m3-pts-dyn"]
    assert (r.fmt_err, r.tensor_scaling, r.loss_scaling, r.fmt_act) == ("e4m3", True, True, "e4m3")


@pytest.mark.parametrize("argv,msg", [
    ([], "give one of --list, --run NAME and --table FILE.csv"),
    (["--list", "--run", "loss-scaling"], "give one of --list, --run NAME and --table FILE.csv"),
    (["--table", "/nonexistent.csv"], "--table /nonexistent.csv: No such file or directory"),
    (["--list", "--plot", "x.png"], "--plot goes with --table FILE.csv"),
    (["--run", "nope", "--quick"], "--run: 'nope' is not one of: loss-scaling, master-weights"),
    (["--run", "loss-scaling"], "--run needs --quick or --full"),
    (["--run", "loss-scaling", "--quick", "--full"], "give one of --quick and --full"),
    (["--run-all"], "--run-all needs --quick or --full"),
    (["--run-all", "--quick", "--jobs", "0"], "--jobs must be >= 1"),
    (["--run-all", "--quick", "--only", "nope"], "--only: 'nope' is not one of"),
    (["--run-all", "--quick", "--seeds", "2"], "--seeds does not go with --run-all"),
    (["--run", "loss-scaling", "--quick", "--jobs", "2"], "--jobs, --out-dir, --only and --summarize go with --run-all"),
    (["--run", "loss-scaling", "--quick", "--settings", "e4m3-off"], "--settings: 'e4m3-off' is not one of"),
    (["--run", "loss-scaling", "--quick", "--threads", "0"], "--threads must be >= 1"),
    (["--run", "metrics", "--quick"], "metrics is not implemented yet"),
])
def test_refusals_are_one_line_exit_2(argv, msg, capsys):
    try:
        rc = ex.main(argv)
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and err.count("\n") == 1


@needs_data
def test_quick_loss_scaling_run_writes_its_csvs(tmp_path, capsys):
    out = tmp_path / "ls.csv"
    torch.set_num_threads(1)
    assert ex.main(["--run", "loss-scaling", "--quick", "--seeds", "1", "--steps", "4",
                    "--settings", "e4m3-nopts-off,e4m3-nopts-dyn", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out)))
    assert [(r["setting"], r["seed"], r["steps"]) for r in rows] == [("e4m3-nopts-off", "1", "4"),
                                                                      ("e4m3-nopts-dyn", "1", "4")]
    assert list(rows[0]) == ex.CSV_FIELDS
    off, dyn = rows
    assert 0 <= float(off["accuracy"]) <= 1 and off["final_loss_scale"] == ""
    # Step 0 is logged: unscaled E4M3 errors underflow (mean over the 4
    # layers); the loss scale 2^16 makes the logits' errors overflow E4M3
    # instead, the flags skip the step and halve the scale.
    assert float(off["error_underflow"]) > 0.2 > float(dyn["error_underflow"])
    assert float(off["error_overflow"]) == 0 < float(dyn["error_overflow"])
    assert int(dyn["skipped"]) >= 1 and float(dyn["final_loss_scale"]) < 2.0 ** 16
    m = list(csv.DictReader(open(tmp_path / "ls_metrics.csv")))
    assert {(r["setting"], r["role"], r["layer"]) for r in m if r["step"] == "0"} == {
        (s, role, str(i)) for s in ("e4m3-nopts-off", "e4m3-nopts-dyn")
        for role in ("activation", "error", "weight") for i in range(4)}
    assert "e4m3-nopts-dyn: " in capsys.readouterr().out
    assert ex.main(["--table", str(out), "--plot", str(tmp_path / "ls.png")]) == 0
    assert (tmp_path / "ls.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 4 and table[2].startswith("| e4m3-nopts-off | 1 | ")
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    assert ex.main(["--table", str(tmp_path / "bad.csv")]) == 2
    assert "not a results CSV of fp8sa.experiments" in capsys.readouterr().err

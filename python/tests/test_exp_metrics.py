"""fp8sa.exp_metrics: the lead-time computation on synthetic series with a
known answer; fp8sa.experiments --eval-every on a tiny run; the refusals."""
import csv
import os

import pytest
import torch

import fp8sa.experiments as ex
import fp8sa.exp_metrics as em

DATA = "/usr/share/datasets/fashion-mnist"
needs_data = pytest.mark.skipif(not os.path.isdir(DATA), reason="dataset-fashion-mnist not installed")

STEPS = list(range(0, 110, 10))


def _acc_rows(setting, means, spread):
    # Three seeds at mean - spread, mean, mean + spread: sample std = spread exactly.
    rows = []
    for seed, d in ((1, -spread), (2, 0.0), (3, spread)):
        rows += [dict(experiment="x", setting=setting, seed=seed, step=s, accuracy=(m + d) / 100)
                 for s, m in zip(STEPS, means)]
    return rows


def _metric_rows(setting, role, metric, per_layer):
    return [{**dict(setting=setting, seed=seed, step=s, role=role, layer=layer, underflow=0.0, sqnr_db=30.0),
             metric: v} for seed in (1, 2) for layer, vals in per_layer.items() for s, v in zip(STEPS, vals)]


def test_first_crossing_and_lead():
    assert em.first_crossing(STEPS, [0.1] * 3 + [0.6] * 8, ">", 0.5) == 30
    assert em.first_crossing(STEPS, [0.5] * 11, ">", 0.5) is None  # strictly beyond
    assert em.first_crossing(STEPS, [20, 15, float("nan"), 9.9] + [5] * 7, "<", 10.0) == 30
    assert em.lead_time(30, 50) == 20 and em.lead_time(60, 50) == -10
    assert em.lead_time(None, 50) is None and em.lead_time(30, None) is None


def test_accuracy_failure_is_the_first_step_it_stays_beyond_the_spread():
    fix = [10, 30, 50, 60, 70, 72, 74, 76, 77, 78, 79]
    # Beyond the spread (2 points) at step 20 by noise, back within at 30, beyond from 50 on.
    fail = [10, 30, 46, 59, 69, 60, 50, 40, 30, 20, 10]
    rows = _acc_rows("fix", fix, 1.0) + _acc_rows("fail", fail, 2.0)
    assert em.accuracy_failure_step(em.accuracy_series(rows, "fail"), em.accuracy_series(rows, "fix")) == 50
    # Within the spread everywhere: no failure.
    rows = _acc_rows("fix", fix, 1.0) + _acc_rows("fail", [m - 1.5 for m in fix], 2.0)
    assert em.accuracy_failure_step(em.accuracy_series(rows, "fail"), em.accuracy_series(rows, "fix")) is None


def test_analyse_a_synthetic_failure_with_a_known_lead():
    fix = [10, 30, 50, 60, 70, 72, 74, 76, 77, 78, 79]
    fail = [10, 30, 50, 59, 69, 60, 50, 40, 30, 20, 10]  # beyond the spread from step 50 on
    arows = _acc_rows("fix", fix, 1.0) + _acc_rows("fail", fail, 2.0) + _acc_rows("ref", fix, 1.0)
    # The worst of two layers crosses 50 % underflow at step 20 (layer 1), the SQNR never falls below 10 dB.
    mrows = (_metric_rows("fail", "error", "underflow", {0: [0.1] * 11, 1: [0.2, 0.4, 0.7] + [0.9] * 8})
             + _metric_rows("fix", "error", "underflow", {0: [0.01] * 11, 1: [0.02] * 11}))
    case = dict(experiment="x", failing="fail", fix="fix", ref="ref", metrics=(em.UNDERFLOW_50, em.SQNR_10))
    res = em.analyse(case, mrows, arows)
    assert res["accuracy_step"] == 50
    u, s = res["metrics"]
    assert u["cross"] == dict(failing=20, fix=None, ref="no rows") and u["lead"] == 30
    assert s["cross"]["failing"] is None and s["lead"] is None
    text = em.table_text([res])
    assert "| fail | fix | errors' underflow fraction > 50 % | 20 | 50 | +30 |" in text
    assert "metric first, by 30 steps" in text and "no lead: the metric never crossed" in text


def test_refusals_are_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "r.csv").write_text("x\n")
    for argv, msg in (([], "the following arguments are required"),
                      ([str(tmp_path / "r.csv")], "r_metrics.csv: No such file or directory")):
        try:
            rc = em.main(argv)
        except SystemExit as e:
            rc = e.code
        err = capsys.readouterr().err
        assert rc == 2 and msg in err and err.count("\n") == 1


@needs_data
def test_eval_every_records_the_accuracy_over_training(tmp_path, capsys):
    out = tmp_path / "ls.csv"
    torch.set_num_threads(1)
    assert ex.main(["--run", "loss-scaling", "--quick", "--seeds", "1", "--steps", "5", "--eval-every", "2",
                    "--metrics-every", "2", "--settings", "e4m3-nopts-off,e4m3-nopts-dyn", "--out", str(out)]) == 0
    with open(out) as f:
        final = {r["setting"]: float(r["accuracy"]) for r in csv.DictReader(f)}
    with open(tmp_path / "ls_accuracy.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ex.ACCURACY_FIELDS
    for setting in final:
        got = [(int(r["step"]), float(r["accuracy"])) for r in rows if r["setting"] == setting]
        # After 0, 2, 4 steps and after the last (5): the last is the results CSV's accuracy.
        assert [s for s, _ in got] == [0, 2, 4, 5] and got[-1][1] == final[setting]
    # Both settings start from the same initial model (seed 1): the same accuracy before training.
    assert len({a for r in rows for a in [float(r["accuracy"])] if r["step"] == "0"}) == 1
    with open(tmp_path / "ls_metrics.csv") as f:
        assert {int(r["step"]) for r in csv.DictReader(f)} == {0, 2, 4}
    # Without --eval-every the results are the same (evaluating moves no LFSR) and no _accuracy.csv.
    out2 = tmp_path / "ls2.csv"
    assert ex.main(["--run", "loss-scaling", "--quick", "--seeds", "1", "--steps", "5",
                    "--settings", "e4m3-nopts-off,e4m3-nopts-dyn", "--out", str(out2)]) == 0
    with open(out2) as f:
        assert {r["setting"]: float(r["accuracy"]) for r in csv.DictReader(f)} == final
    assert not (tmp_path / "ls2_accuracy.csv").exists()
    capsys.readouterr()


@pytest.mark.parametrize("flag,value,msg", [("--eval-every", "-1", "--eval-every must be >= 0"),
                                            ("--metrics-every", "-5", "--metrics-every must be >= 0"),
                                            ("--eval-every", "x", "invalid int value")])
def test_eval_and_metrics_intervals_are_refused_when_bad(flag, value, msg, capsys):
    with pytest.raises(SystemExit) as e:
        ex.main(["--run", "loss-scaling", "--quick", flag, value])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1

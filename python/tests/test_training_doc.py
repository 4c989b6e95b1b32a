"""fp8sa.training_doc: docs/training.md is its template rendered from the
committed results CSVs (checked byte for byte), and each placeholder gives
the statistic computed here by hand from the CSV's accuracies."""
import csv
import os
import statistics

import pytest

import fp8sa.experiments as ex
from fp8sa import training_doc as td

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def _write(path, experiment, accs):
    """A results CSV with the given accuracies per setting (one row per seed)."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, ex.CSV_FIELDS)
        w.writeheader()
        for setting, a in accs.items():
            for seed, v in enumerate(a, 1):
                r = {k: "" for k in ex.CSV_FIELDS}
                r.update(experiment=experiment, setting=setting, knobs="", seed=seed, model="cnn", steps=20,
                         batch=128, lr=0.05, train_images=2560, test_images=1000, accuracy=v, final_loss=0.5,
                         skipped=0, bad_flag_steps=0, nonfinite_loss=0)
                w.writerow(r)


def test_committed_document_matches_its_template_and_csvs():
    doc = os.path.join(ROOT, "docs", "training.md")
    tmpl = os.path.join(ROOT, "docs", "training", "template.md")
    if not os.path.exists(tmpl):
        pytest.skip("no template committed")
    assert td.main(["--template", tmpl, "--out", doc, "--check"]) == 0


def test_placeholders_give_the_statistics_of_the_csv(tmp_path):
    accs = {"fp32": [0.80, 0.82, 0.81], "bad": [0.10, 0.12, 0.11], "close": [0.805, 0.815, 0.80]}
    _write(tmp_path / "g.csv", "loss-scaling", accs)
    t = ("{{grid g}}\n{{acc g bad}}\n{{vs g bad}}\n{{vs g close}}\n{{vs g bad close}}\n{{verdict g}}\n")
    out = td.render(t, str(tmp_path)).splitlines()
    mean = {k: statistics.mean(v) * 100 for k, v in accs.items()}
    sd = {k: statistics.stdev([x * 100 for x in v]) for k, v in accs.items()}
    assert out[0] == ("CNN, 20 steps, batch 128, lr 0.05, 2,560 training images, 1,000 test images, "
                      "3 seeds per setting")
    assert out[1] == f"{mean['bad']:.2f} % (std {sd['bad']:.2f}, 3 seeds)"
    d = mean["bad"] - mean["fp32"]
    assert out[2] == f"{d:+.2f} points from fp32, beyond the seed spread {max(sd['bad'], sd['fp32']):.2f}"
    d = mean["close"] - mean["fp32"]
    assert out[3] == f"{d:+.2f} points from fp32, within the seed spread {max(sd['close'], sd['fp32']):.2f}"
    assert out[4].endswith("points from close, beyond the seed spread " + f"{max(sd['bad'], sd['close']):.2f}")
    assert out[5].startswith("Beyond the seed spread from fp32: bad (") and "close" not in out[5]


def test_wgrad_and_table_placeholders(tmp_path):
    _write(tmp_path / "a.csv", "accumulation", {"fp32": [0.7, 0.72], "e6m5-rne": [0.6, 0.62]})
    with open(tmp_path / "a_wgrad.csv", "w", newline="") as f:
        w = csv.DictWriter(f, ex.WGRAD_FIELDS)
        w.writeheader()
        for seed, (e, n) in enumerate([(0.5, 0.4), (0.7, 0.6)], 1):
            w.writerow(dict(setting="e6m5-rne", seed=seed, batch=512, k=294912, rel_err=e, norm_ratio=n, cpu_s=1))
    out = td.render("{{wgrad a e6m5-rne}}\n{{table a}}", str(tmp_path))
    assert out.startswith("relative error 0.6 and norm ratio 0.5000 at K = 294,912 (mean of 2 seeds)\n")
    assert "| e6m5-rne | 2 | 61.00 % |" in out and "| e6m5-rne | 294,912 | 2 | 0.6 |" in out


@pytest.mark.parametrize("tmpl,msg", [
    ("{{acc nothere fp32}}", "no such results CSV"),
    ("x\n{{acc g nosuch}}", "line 2: "),
    ("{{acc g nosuch}}", "no setting 'nosuch' (it has fp32, bad)"),
    ("{{frobnicate g}}", "unknown command 'frobnicate'"),
    ("{{acc g}}", "wrong number of arguments"),
    ("{{  }}", "an empty placeholder"),
    ("{{wgrad g bad}}", "no such weight-gradient CSV"),
])
def test_bad_placeholders_name_the_problem(tmp_path, tmpl, msg):
    _write(tmp_path / "g.csv", "loss-scaling", {"fp32": [0.8, 0.81], "bad": [0.1, 0.2]})
    with pytest.raises(td.RenderError, match=None) as e:
        td.render(tmpl, str(tmp_path))
    assert msg in str(e.value)


def test_cli_writes_checks_and_refuses(tmp_path, capsys):
    _write(tmp_path / "g.csv", "loss-scaling", {"fp32": [0.8, 0.81], "bad": [0.1, 0.2]})
    (tmp_path / "t.md").write_text("A {{acc g bad}} B\n")
    out = tmp_path / "doc.md"
    assert td.main(["--template", str(tmp_path / "t.md"), "--out", str(out)]) == 0
    assert td.main(["--template", str(tmp_path / "t.md"), "--out", str(out), "--check"]) == 0
    out.write_text(out.read_text().replace("A ", "A edited "))
    assert td.main(["--template", str(tmp_path / "t.md"), "--out", str(out), "--check"]) == 1
    assert "differs from its rendering at line 1" in capsys.readouterr().err
    (tmp_path / "bad.md").write_text("{{acc g none}}")
    for argv in (["--template", str(tmp_path / "none.md"), "--out", str(out)],
                 ["--template", str(tmp_path / "bad.md"), "--out", str(out)]):
        with pytest.raises(SystemExit) as e:
            td.main(argv)
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("fp8sa.training_doc: ") and err.count("\n") == 1


def test_the_templates_opening_comment_is_left_out(tmp_path):
    _write(tmp_path / "g.csv", "loss-scaling", {"fp32": [0.8, 0.81]})
    assert td.render("<!-- a note to editors {{not a placeholder}} -->\n# T {{acc g fp32}}\n", str(tmp_path)) == \
        "# T 80.50 % (std 0.71, 2 seeds)\n"
    assert td.render("# T\n<!-- kept -->\n", str(tmp_path)) == "# T\n<!-- kept -->\n"

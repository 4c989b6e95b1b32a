"""fp8sa.training_doc: docs/training.md, rendered from its template
(docs/training/template.md) and the committed results CSVs of the
experiments (issue 22), so that every number in the document is read from a
CSV and cannot drift from it.

    python -m fp8sa.training_doc [--template T] [--out docs/training.md] [--check]

The template is markdown with placeholders {{COMMAND ARG ...}}. PATH is a
results CSV's path relative to the template's document folder (docs/),
without ".csv", e.g. experiments/full/loss-scaling_full:

    {{table PATH}}            the experiment's table, as its --table command and
                              summary.md print it (accumulation: with the
                              weight-gradient table when PATH_wgrad.csv exists)
    {{grid PATH}}             the grid: model, steps, batch, lr, images, seeds
    {{verdict PATH}}          which settings separate from FP32 beyond the seed
                              spread (the sentence of summary.md)
    {{acc PATH SETTING}}      "82.13 % (std 0.91, 5 seeds)"
    {{vs PATH SETTING [REF]}} "-71.67 points from fp32, beyond the seed spread
                              0.91" (REF: default fp32, or fp32-rne where the
                              grid has no fp32 row)
    {{wgrad PATH SETTING}}    the weight-gradient GEMM's relative error (mean
                              over seeds) and norm ratio at its K
    {{run DIR}}               the "Run:" line of DIR/summary.md (time, load)

--check renders and compares with --out instead of writing: status 1 and
the first differing line when they differ (the tests run it, so the
committed document always matches the committed CSVs). Bad input (a missing
CSV, an unknown setting or command): one line, status 2.
"""
import argparse
import math
import os
import re
import sys

import numpy as np

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)


class RenderError(ValueError):
    pass


class _Results:
    """The CSVs under base, read once each."""

    def __init__(self, base):
        self.base = base
        self._rows = {}

    def csv(self, path, suffix=""):
        return os.path.join(self.base, path + suffix + ".csv")

    def rows(self, path):
        from fp8sa import experiments as ex
        if path not in self._rows:
            f = self.csv(path)
            if not os.path.isfile(f):
                raise RenderError(f"{f}: no such results CSV")
            try:
                self._rows[path] = ex.read_rows(f)
            except ValueError as e:
                raise RenderError(str(e)) from None
        return self._rows[path]

    def by_setting(self, path):
        by = {}
        for r in self.rows(path):
            by.setdefault(r["setting"], []).append(float(r["accuracy"]) * 100)
        return by

    def setting(self, path, setting):
        by = self.by_setting(path)
        if setting not in by:
            raise RenderError(f"{self.csv(path)}: no setting {setting!r} (it has {', '.join(by)})")
        a = np.array(by[setting])
        return float(a.mean()), (float(a.std(ddof=1)) if a.size > 1 else float("nan")), a.size


def _need(args, n, m, cmd):
    if not n <= len(args) <= m:
        raise RenderError(f"{{{{{cmd}}}}}: wrong number of arguments")


def _grid(res, path):
    r = res.rows(path)[0]
    seeds = len({int(x["seed"]) for x in res.rows(path)})
    model = "CNN" if r["model"] == "cnn" else "MLP 784-256-128-10"
    return (f"{model}, {int(r['steps']):,} steps, batch {int(r['batch'])}, lr {r['lr']:g}, "
            f"{int(r['train_images']):,} training images, {int(r['test_images']):,} test images, "
            f"{seeds} seed{'s' if seeds > 1 else ''} per setting")


def _vs(res, path, setting, ref=None):
    if ref is None:
        ref = "fp32" if "fp32" in res.by_setting(path) else "fp32-rne"
    m, sd, _ = res.setting(path, setting)
    rm, rsd, _ = res.setting(path, ref)
    d, spread = m - rm, max(sd, rsd)
    if math.isnan(spread):
        return f"{d:+.2f} points from {ref} (one seed: no spread)"
    return f"{d:+.2f} points from {ref}, {'beyond' if abs(d) > spread else 'within'} the seed spread {spread:.2f}"


def _wgrad(res, path, setting):
    import csv
    f = res.csv(path, "_wgrad")
    if not os.path.isfile(f):
        raise RenderError(f"{f}: no such weight-gradient CSV")
    with open(f, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["setting"] == setting]
    if not rows:
        raise RenderError(f"{f}: no setting {setting!r}")
    e = float(np.mean([float(r["rel_err"]) for r in rows]))
    n = float(np.mean([float(r["norm_ratio"]) for r in rows]))
    return f"relative error {e:.3g} and norm ratio {n:.4f} at K = {int(rows[0]['k']):,} (mean of {len(rows)} seeds)"


def _table(res, path):
    from fp8sa import experiments as ex
    from fp8sa import run_all
    name = res.rows(path)[0]["experiment"]
    out_dir, stem = os.path.split(res.csv(path)[:-4])
    wg = name in ex.AFTER_RUN and os.path.exists(res.csv(path, "_wgrad"))
    try:
        return run_all.tables(stem, name, out_dir, wg, plots=False, knob_plots=False)
    except RuntimeError as e:
        raise RenderError(str(e)) from None


def _run(res, d):
    f = os.path.join(res.base, d, "summary.md")
    if not os.path.isfile(f):
        raise RenderError(f"{f}: no such summary")
    with open(f) as fh:
        for line in fh:
            if line.startswith("Run: ") or line.startswith("Written by `--summarize`"):
                return line.strip()
    raise RenderError(f"{f}: no Run: line")


def _expand(res, text):
    words = text.split()
    if not words:
        raise RenderError("{{}}: an empty placeholder")
    cmd, args = words[0], words[1:]
    if cmd == "table":
        _need(args, 1, 1, cmd)
        return _table(res, args[0])
    if cmd == "grid":
        _need(args, 1, 1, cmd)
        return _grid(res, args[0])
    if cmd == "verdict":
        _need(args, 1, 1, cmd)
        from fp8sa import run_all
        rows = res.rows(args[0])
        return run_all.verdict_text(rows, len({int(r["seed"]) for r in rows}))
    if cmd == "acc":
        _need(args, 2, 2, cmd)
        m, sd, n = res.setting(*args)
        return f"{m:.2f} % (std {sd:.2f}, {n} seeds)" if n > 1 else f"{m:.2f} % (one seed)"
    if cmd == "vs":
        _need(args, 2, 3, cmd)
        return _vs(res, *args)
    if cmd == "wgrad":
        _need(args, 2, 2, cmd)
        return _wgrad(res, *args)
    if cmd == "run":
        _need(args, 1, 1, cmd)
        return _run(res, args[0])
    raise RenderError(f"{{{{{text.strip()}}}}}: unknown command {cmd!r}")


def render(template_text, base):
    """The document: every placeholder of template_text expanded from the
    CSVs under base (the document's folder). A comment that opens the
    template (<!-- ... -->, its note to editors) is left out."""
    res = _Results(base)
    out, pos = [], 0
    if template_text.startswith("<!--") and "-->" in template_text:
        pos = template_text.index("-->") + 3
        pos += template_text[pos:].startswith("\n")
    for m in PLACEHOLDER.finditer(template_text, pos):
        out.append(template_text[pos:m.start()])
        line = template_text.count("\n", 0, m.start()) + 1
        try:
            out.append(_expand(res, m.group(1)))
        except RenderError as e:
            raise RenderError(f"line {line}: {e}") from None
        pos = m.end()
    out.append(template_text[pos:])
    return "".join(out)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"fp8sa.training_doc: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv=None):
    ap = _Parser(prog="python -m fp8sa.training_doc",
                 description="docs/training.md from docs/training/template.md and the committed results CSVs")
    ap.add_argument("--template", default="docs/training/template.md")
    ap.add_argument("--out", default="docs/training.md")
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it (status 1 if "
                    "they differ)")
    args = ap.parse_args(argv)
    try:
        with open(args.template) as f:
            tmpl = f.read()
    except (OSError, UnicodeDecodeError) as e:
        ap.error(f"--template {args.template}: {getattr(e, 'strerror', None) or e}")
    base = os.path.dirname(os.path.abspath(args.out))
    try:
        text = render(tmpl, base)
    except RenderError as e:
        ap.error(f"{args.template}: {e}")
    if args.check:
        try:
            with open(args.out) as f:
                have = f.read()
        except (OSError, UnicodeDecodeError) as e:
            ap.error(f"--out {args.out}: {getattr(e, 'strerror', None) or e}")
        if have != text:
            a, b = have.splitlines(), text.splitlines()
            i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            print(f"{args.out} differs from its rendering at line {i + 1}: run python -m fp8sa.training_doc",
                  file=sys.stderr)
            return 1
        print(f"{args.out}: matches {args.template} and its CSVs")
        return 0
    try:
        with open(args.out, "w") as f:
            f.write(text)
    except OSError as e:
        ap.error(f"--out {args.out}: {e.strerror or e}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

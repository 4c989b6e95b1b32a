"""make bench, the QPyTorch section (issue 20 section 3): the narrow-accumulator
GEMMs of section 6 as the loop a researcher writes with QPyTorch (qtorch
0.3.0, `float_quantize`): a Python for-loop over k, C = float_quantize(C +
A[:, k] B[k, :], exp, man, rounding) on the whole tensor at every step,
against `fp8sa.gemm` with the same accumulator (E4M3 operands, 16 x 16
array), in one process, interleaved.

QPyTorch's CPU extension is compiled at import by torch.utils.cpp_extension
(needs Debian's libtorch-dev, libgoogle-glog-dev, libgflags-dev and ninja:
scripts/install-deps.sh bench). As shipped it gets no -O flag; this script
also builds the same sources with -O2 (a module of its own) and times both.

Before timing, it checks what QPyTorch's bits are (so the table is not read
as a comparison of equal arithmetic): ties, overflow and e8m23.

    python bench/qpytorch_loop.py [--sizes 512x2048x512,1024x1024x1024] [--reps N] [--out FILE]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

import fp8sa

# (fp8sa accumulator, rounding, QPyTorch exp, man, rounding). QPyTorch has no
# round-toward-zero, so the RZ rows of section 6 have no counterpart here.
CASES = (("e8m10", "rne", 8, 10, "nearest"), ("e6m5", "sr", 6, 5, "stochastic"),
         ("e8m10", "sr", 8, 10, "stochastic"), ("e5m10", "rne", 5, 10, "nearest"))


def build_o2(build_dir):
    """qtorch's CPU extension from its own sources with -O2 (as shipped it has no -O)."""
    import qtorch.quant.quant_function as qf
    from torch.utils.cpp_extension import load
    src = os.path.join(os.path.dirname(os.path.realpath(qf.__file__)), "quant_cpu")
    os.makedirs(build_dir, exist_ok=True)
    return load(name="quant_cpu_o2", sources=[os.path.join(src, f) for f in
                                              ("quant_cpu.cpp", "bit_helper.cpp", "sim_helper.cpp")],
                extra_cflags=["-O2"], build_directory=build_dir, verbose=False)


def checks(float_quantize):
    """What QPyTorch does, measured: lines for the report."""
    t = lambda v: torch.tensor(v, dtype=torch.float32)
    out = []
    tie = float(float_quantize(t([1.0 + 2.0 ** -11]), 5, 10, "nearest")[0])
    out.append(f"ties: float_quantize(1 + 2^-11, e5m10, nearest) = 1 + 2^{int(np.log2(tie - 1))} "
               f"({'away from zero' if tie > 1 else 'to even'}; IEEE RNE gives 1)")
    big = float(float_quantize(t([1.0e6]), 5, 10, "nearest")[0])
    out.append(f"overflow: float_quantize(1e6, e5m10, nearest) = {big:g} (saturates at (2 - 2^-10) x 2^16: no Inf, "
               f"and the top exponent is a finite binade; IEEE binary16 gives Inf above 65504)")
    x = t([2.5, -3.5, 1.0e-3])
    y = float_quantize(x, 8, 23, "nearest")
    flipped = bool((torch.sign(y) != torch.sign(x)).any())
    out.append(f"e8m23: float_quantize([2.5, -3.5, 1e-3], e8m23, nearest) = {[float(v) for v in y]} "
               f"({'signs flipped' if flipped else 'signs kept'} on this x86 machine)")
    return out


def interleaved(fns, reps):
    """Median seconds of each function, the functions taking turns in every
    repetition (so that a change of load on this shared machine hits all)."""
    ts = [[] for _ in fns]
    for _ in range(reps):
        for f, t in zip(fns, ts):
            t0 = time.perf_counter()
            f()
            t.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in ts]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="512x2048x512", help="MxKxN list (default 512x2048x512)")
    ap.add_argument("--reps", type=int, default=1,
                    help="repetitions per row, interleaved (median; default 1: a loop takes seconds to a minute)")
    ap.add_argument("--threads", type=int, default=2, help="fp8sa threads (default 2)")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="PyTorch threads of the loop (default 1: qtorch's CPU extension is single-threaded, and on "
                         "this shared 2-core machine two threads made the loop slower)")
    ap.add_argument("--build-dir", default="build/torch_extensions", help="where the -O2 extension is built")
    ap.add_argument("--out", help="append the table to this file")
    args = ap.parse_args(argv)
    try:
        from qtorch.quant import float_quantize
        import qtorch.quant.quant_function as qf
    except Exception as e:  # not installed, or its extension did not build
        print(f"qpytorch_loop: QPyTorch unavailable ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
              f"scripts/install-deps.sh bench installs it", file=sys.stderr)
        return 2
    torch.set_num_threads(args.torch_threads)
    shipped = qf.quant_cpu
    o2 = build_o2(os.path.join(args.build_dir, "quant_cpu_o2"))
    L = ["[9] Narrow accumulators: fp8sa.gemm against a QPyTorch float_quantize loop (qtorch 0.3.0)",
         f"    E4M3 operands (N(0,1) quantized, RNE), 16x16 array, fp8sa {args.threads} threads, PyTorch "
         f"{args.torch_threads}; "
         f"loop: C = float_quantize(C + A[:, k] B[k, :], exp, man, rounding) for k in 0..K-1",
         f"    median of {args.reps}, interleaved; 'shipped' = qtorch's extension as torch builds it (no -O), '-O2' = the same "
         f"sources with -O2; ratio = loop time / fp8sa time",
         "    what QPyTorch computes (checked in this run, so its bits are not the hardware's):"]
    L += ["      " + c for c in checks(float_quantize)]
    L.append("")
    L.append(f"    {'M x K x N':>16}  {'accumulator':>11}  {'fp8sa ms':>9}  {'loop shipped ms':>15}  {'x':>6}  "
             f"{'loop -O2 ms':>11}  {'x':>6}")
    for size in args.sizes.split(","):
        m, k, n = (int(v) for v in size.lower().split("x"))
        rng = np.random.default_rng(1)
        a = fp8sa.quantize(rng.standard_normal((m, k)).astype(np.float32), "e4m3")
        b = fp8sa.quantize(rng.standard_normal((k, n)).astype(np.float32), "e4m3")
        af = torch.from_numpy(fp8sa.decode(a, "e4m3").astype(np.float32))
        bf = torch.from_numpy(fp8sa.decode(b, "e4m3").astype(np.float32))
        for acc, rnd, e, mm, qr in CASES:
            def run_fp8sa():
                fp8sa.gemm(a, b, fmt_a="e4m3", fmt_b="e4m3", acc=acc, round=rnd, rows=16, cols=16,
                           threads=args.threads)

            def loop(mod):
                def go():  # through qtorch's own float_quantize, with its extension module set to mod
                    qf.quant_cpu = mod
                    c = torch.zeros(m, n)
                    for i in range(k):
                        c = float_quantize(torch.addr(c, af[:, i], bf[i, :]), e, mm, qr)
                    return c
                return go
            def run_fp8sa5():  # fp8sa's time per GEMM: the mean of 5 (it takes milliseconds, the loop seconds)
                for _ in range(5):
                    run_fp8sa()
            run_fp8sa()  # warm: the model's tables and threads
            t_f, t_s, t_o = interleaved([run_fp8sa5, loop(shipped), loop(o2)], args.reps)
            t_f /= 5
            L.append(f"    {size:>16}  {acc + ' ' + rnd:>11}  {1e3 * t_f:9.1f}  {1e3 * t_s:15.1f}  {t_s / t_f:6.1f}  "
                     f"{1e3 * t_o:11.1f}  {t_o / t_f:6.1f}")
            print(L[-1], flush=True)
    L.append("    goal (issue 20): fp8sa at least 50x faster than the loop for narrow accumulators")
    text = "\n".join(L) + "\n"
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

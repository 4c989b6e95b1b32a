"""make bench, the Python GEMM section (issue 20 section 1b): fp8sa.gemm on
the e8m23 RNE path (A E4M3, B E5M2, N(0, 1) samples quantized with RNE and
saturation) at N x N x N on a 16x16, an 8x8 and a 4x4 array, against numpy's
float32 matmul (OpenBLAS) on the decoded operands, in one process,
interleaved: each round runs the four in rotating order; a figure is the
median over rounds of its wall time, the ratio numpy / fp8sa (>= 0.8 is the
issue's target). Threads: fp8sa.gemm(threads=T) and numpy's OpenBLAS with
its default (every core); --threads 1 sets both to one.

Checks: the three shapes' values are equal, and equal numpy's within 1e-5
normwise (numpy may sum in another order).

    python bench/python_gemm.py [--n N] [--rounds R] [--threads T] [--out FILE]
"""
import argparse
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--threads", type=int, default=0, help="0: every core (fp8sa and numpy's OpenBLAS)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="process CPU time instead of wall time (steadier on a loaded machine, with --threads 1)")
    ap.add_argument("--out", help="append the table to this file")
    args = ap.parse_args()
    if args.n < 1 or args.rounds < 1 or args.threads < 0:
        print("python_gemm: --n and --rounds must be >= 1, --threads >= 0", file=sys.stderr)
        return 2
    if args.threads == 1:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before numpy loads OpenBLAS
    # As fp8sa_bench (docs/bench.md section 1): idle OpenBLAS workers sleep at
    # once instead of spinning on the cores fp8sa's threads need.
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    import numpy as np

    import fp8sa

    n = args.n
    rng = np.random.default_rng(11)
    def codes(fmt):
        q = fp8sa.quantize(rng.standard_normal((n, n)).astype(np.float32), fmt, sat=True)
        return np.ascontiguousarray(q[0] if isinstance(q, tuple) else q, np.uint8)

    A, B = codes("e4m3"), codes("e5m2")
    Af = np.ascontiguousarray(fp8sa.decode(A, "e4m3"), np.float32)
    Bf = np.ascontiguousarray(fp8sa.decode(B, "e5m2"), np.float32)
    sizes = (16, 8, 4)
    res = {}

    def run(i):
        if i == len(sizes):
            return Af @ Bf
        s = sizes[i]
        return fp8sa.gemm(A, B, fmt_a="e4m3", fmt_b="e5m2", rows=s, cols=s, threads=args.threads)

    clock = time.process_time if args.cpu_time else time.perf_counter
    times = [[] for _ in range(len(sizes) + 1)]
    for i in range(len(sizes) + 1):
        res[i] = run(i)  # warm-up
    for r in range(args.rounds):
        for j in range(len(sizes) + 1):
            i = (j + r) % (len(sizes) + 1)
            t0 = clock()
            run(i)
            times[i].append(clock() - t0)
    med = [statistics.median(t) for t in times]
    vals = [np.asarray(res[i].values) for i in range(len(sizes))]
    same = all(np.array_equal(vals[0].view(np.uint32), v.view(np.uint32)) for v in vals[1:])
    ref = res[len(sizes)]
    err = float(np.linalg.norm(vals[0].astype(np.float64) - ref) / np.linalg.norm(ref))
    ok = same and err < 1e-5
    lines = [
        f"[P] Python: fp8sa.gemm vs numpy float32 matmul (OpenBLAS) on the decoded operands, {n}x{n}x{n}",
        "    A E4M3, B E5M2 (N(0,1) quantized, RNE, saturating), e8m23 RNE, raw output; "
        f"{'process CPU' if args.cpu_time else 'wall'} time, median of "
        f"{args.rounds} rounds, interleaved; threads {args.threads or 'all'} (fp8sa and OpenBLAS)",
        "    call                                   median ms   numpy / this",
    ]
    for i, s in enumerate(sizes):
        lines.append(f"    fp8sa.gemm, {s:2d}x{s:<2d} array            {med[i] * 1e3:10.2f}   {med[-1] / med[i]:10.3f}")
    lines.append(f"    numpy Af @ Bf (float32)             {med[-1] * 1e3:10.2f}   {1.0:10.3f}")
    lines.append(f"    checks: shapes equal {'ok' if same else 'FAILED'}; ||fp8sa - numpy|| / ||numpy|| = {err:.2e} "
                 f"(< 1e-5: {'ok' if err < 1e-5 else 'FAILED'})")
    lines.append("    target (issue 20 1b): >= 0.8 on each shape: " +
                 ", ".join(f"{s}x{s} {'met' if med[-1] / med[i] >= 0.8 else 'not met'}" for i, s in enumerate(sizes)))
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write(text + "\n\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""cocotb 2.x bench of the RTL fp8sa_array: random GEMMs, random stalls on every
handshake, scoreboarded against the Python package (fp8sa.gemm, the
functional model, same array parameters).

The bench is its own driver, written from docs/array.md ("GEMM tiling",
"Commands, init bank", "Ports"): it tiles each GEMM, offers commands, init
rows and steps as the ready signals allow (each valid withheld on a random
share of cycles), holds out_ready_i low on a random share of cycles, and
collects result rows (cocotb 2: a 1-bit port reads as a Logic, int() of
it; a vector as a LogicArray, .to_unsigned()). All outputs are Moore, so it samples and drives at
the falling edge; a handshake happens at the next rising edge.

Environment (set by run.sh): FP8SA_COCOTB_GEMMS, FP8SA_COCOTB_SEED, and the
array parameters ROWS, COLS, ACC_EXP_W, ACC_MAN_W, SR_BITS, Q_SR_BITS,
LFSR_W, SEED, MUL_STAGES, Q_STAGES (the same values run.sh passes to the
simulator).
"""
import os
import random

import numpy as np
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

import fp8sa

P = {k: int(os.environ[k], 0) for k in
     ("ROWS", "COLS", "ACC_EXP_W", "ACC_MAN_W", "SR_BITS", "Q_SR_BITS", "LFSR_W", "SEED", "MUL_STAGES", "Q_STAGES")}
ACC = f"e{P['ACC_EXP_W']}m{P['ACC_MAN_W']}"
ACC_W = 1 + P["ACC_EXP_W"] + P["ACC_MAN_W"]
OUT_FMTS = ["e4m3", "e5m2", "fp16", "bf16", "fp32"]
ROUNDS = ["rne", "rz", "sr"]
SPECIAL = [0x00, 0x80, 0x7F, 0xFF, 0x7C, 0xFC, 0x7E, 0x01, 0x81, 0x7B, 0xFB]


def random_codes(rng, shape, special_pct):
    c = rng.integers(0, 256, size=shape, dtype=np.uint8)
    if special_pct:
        mask = rng.random(shape) < special_pct / 100
        c[mask] = rng.choice(SPECIAL, size=int(mask.sum()))
    return c


def random_problem(rng):
    R, C = P["ROWS"], P["COLS"]
    prob = dict(M=int(rng.integers(1, 2 * R + 2)), N=int(rng.integers(1, 2 * C + 2)), K=int(rng.integers(1, 3 * max(R, C) + 3)),
                fmt_a=rng.choice(["e4m3", "e5m2"]), fmt_b=rng.choice(["e4m3", "e5m2"]), round=rng.choice(ROUNDS),
                out_fmt=rng.choice(OUT_FMTS))
    prob["out_round"] = rng.choice(ROUNDS) if prob["out_fmt"] != "fp32" else "rne"
    prob["sat"] = bool(rng.integers(0, 2)) if prob["out_fmt"] != "fp32" else False
    prob["scale"] = int(rng.integers(-8, 9)) if prob["out_fmt"] != "fp32" else 0
    special = int(rng.choice([0, 0, 3]))
    prob["A"] = random_codes(rng, (prob["M"], prob["K"]), special)
    prob["B"] = random_codes(rng, (prob["K"], prob["N"]), special)
    prob["C"] = None
    if rng.integers(0, 3) == 0:
        # initial accumulators: any ACC_W-bit word (NaN, Inf and subnormal words included)
        prob["C"] = rng.integers(0, 1 << ACC_W, size=(prob["M"], prob["N"]), dtype=np.uint64).astype(np.uint32)
    return prob


def expected(prob):
    return fp8sa.gemm(prob["A"], prob["B"], prob["C"], fmt_a=prob["fmt_a"], fmt_b=prob["fmt_b"], acc=ACC,
                      round=prob["round"], out_fmt=prob["out_fmt"], out_round=prob["out_round"], sat=prob["sat"],
                      scale=prob["scale"], seed=P["SEED"], rows=P["ROWS"], cols=P["COLS"], sr_bits=P["SR_BITS"],
                      q_sr_bits=P["Q_SR_BITS"], lfsr_w=P["LFSR_W"], mul_stages=P["MUL_STAGES"],
                      q_stages=P["Q_STAGES"], backend="functional")


def pack(vals, width):
    x = 0
    for i, v in enumerate(vals):
        x |= (int(v) & ((1 << width) - 1)) << (width * i)
    return x


async def reset(dut):
    for s in ("cmd_valid_i", "in_valid_i", "init_valid_i", "out_ready_i", "cmd_k_i", "cmd_fmt_a_i", "cmd_fmt_b_i",
              "cmd_rnd_i", "cmd_use_init_i", "cmd_out_fmt_i", "cmd_out_rnd_i", "cmd_sat_i", "cmd_scale_i", "in_a_i",
              "in_b_i", "init_data_i"):
        getattr(dut, s).value = 0
    dut.rst_ni.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk_i)
    await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 1


async def run_gemm(dut, prob, rng, gap_pct, out_stall_pct, max_cycles=200000):
    """Drive one GEMM through the ports; returns (words M x N, tile flags, cycles)."""
    R, C, M, N, K = P["ROWS"], P["COLS"], prob["M"], prob["N"], prob["K"]
    tm, tn = -(-M // R), -(-N // C)
    T = tm * tn
    A = np.zeros((tm * R, K), np.uint8)
    A[:M] = prob["A"]
    B = np.zeros((K, tn * C), np.uint8)
    B[:, :N] = prob["B"]
    Cw = None
    if prob["C"] is not None:
        Cw = np.zeros((tm * R, tn * C), np.uint32)
        Cw[:M, :N] = prob["C"]
    # the command fields, the same for every tile
    dut.cmd_k_i.value = K
    dut.cmd_fmt_a_i.value = int(prob["fmt_a"] == "e5m2")
    dut.cmd_fmt_b_i.value = int(prob["fmt_b"] == "e5m2")
    dut.cmd_rnd_i.value = ROUNDS.index(prob["round"])
    dut.cmd_use_init_i.value = int(Cw is not None)
    dut.cmd_out_fmt_i.value = OUT_FMTS.index(prob["out_fmt"])
    dut.cmd_out_rnd_i.value = ROUNDS.index(prob["out_round"])
    dut.cmd_sat_i.value = int(prob["sat"])
    dut.cmd_scale_i.value = prob["scale"] & 0x7F
    words = np.zeros((tm * R, tn * C), np.uint32)
    flags = np.zeros((tm, tn), np.uint8)
    cmds = steps = inits = rows_out = 0
    n_steps, n_inits, n_rows = T * K, (T * R if Cw is not None else 0), T * R
    cycles = 0
    while rows_out < n_rows:
        cycles += 1
        assert cycles < max_cycles, f"no progress after {cycles} cycles: cmds {cmds}/{T} steps {steps}/{n_steps} " \
                                    f"inits {inits}/{n_inits} rows {rows_out}/{n_rows}"
        # Moore outputs of this cycle
        cmd_ready = int(dut.cmd_ready_o.value)
        in_ready = int(dut.in_ready_o.value)
        init_ready = int(dut.init_ready_o.value)
        out_valid = int(dut.out_valid_o.value)
        # command
        cv = cmds < T and rng.random() * 100 >= gap_pct
        dut.cmd_valid_i.value = int(cv)
        if cv and cmd_ready:
            cmds += 1
        # step: tile t = steps // K, step k
        sv = steps < n_steps and rng.random() * 100 >= gap_pct
        if sv:
            t, k = divmod(steps, K)
            ti, tj = divmod(t, tn)
            dut.in_a_i.value = pack(A[ti * R:(ti + 1) * R, k], 8)
            dut.in_b_i.value = pack(B[k, tj * C:(tj + 1) * C], 8)
        dut.in_valid_i.value = int(sv)
        if sv and in_ready:
            steps += 1
        # init row: tile t = inits // R, row r
        iv = inits < n_inits and rng.random() * 100 >= gap_pct
        if iv:
            t, r = divmod(inits, R)
            ti, tj = divmod(t, tn)
            dut.init_data_i.value = pack(Cw[ti * R + r, tj * C:(tj + 1) * C], ACC_W)
        dut.init_valid_i.value = int(iv)
        if iv and init_ready:
            inits += 1
        # result row
        ready = rng.random() * 100 >= out_stall_pct
        dut.out_ready_i.value = int(ready)
        if out_valid and ready:
            t, r = divmod(rows_out, R)
            ti, tj = divmod(t, tn)
            row = dut.out_row_o.value.to_unsigned()
            assert row == r, f"out_row_o {row}, expected {r} (tile {t})"
            assert int(dut.out_last_o.value) == int(r == R - 1)
            data = dut.out_data_o.value.to_unsigned()
            words[ti * R + r, tj * C:(tj + 1) * C] = [(data >> (32 * c)) & 0xFFFFFFFF for c in range(C)]
            f = dut.out_flags_o.value.to_unsigned()
            if r == R - 1:
                flags[ti, tj] = f
            else:
                assert f == 0, f"out_flags_o {f} on row {r} (not the last)"
            rows_out += 1
        await FallingEdge(dut.clk_i)
    dut.cmd_valid_i.value = dut.in_valid_i.value = dut.init_valid_i.value = 0
    return words[:M, :N], flags, cycles


@cocotb.test()
async def random_gemms_with_stalls(dut):
    n = int(os.environ.get("FP8SA_COCOTB_GEMMS", "12"))
    seed = int(os.environ.get("FP8SA_COCOTB_SEED", "1"))
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    Clock(dut.clk_i, 10, unit="ns").start()
    total_cycles = 0
    for g in range(n):
        prob = random_problem(rng)
        await reset(dut)  # every GEMM from reset, as fp8sa.gemm models one
        gap, stall = prng.choice([(0, 0), (20, 0), (0, 30), (30, 40), (60, 60)])
        words, flags, cyc = await run_gemm(dut, prob, prng, gap, stall)
        total_cycles += cyc
        exp = expected(prob)
        desc = (f"seed {seed} gemm {g}: M {prob['M']} K {prob['K']} N {prob['N']} {prob['fmt_a']}x{prob['fmt_b']} "
                f"acc {ACC} {prob['round']} out {prob['out_fmt']} {prob['out_round']} sat {prob['sat']} "
                f"scale {prob['scale']} init {prob['C'] is not None} gaps {gap}% out-stalls {stall}%")
        bad = np.argwhere(words != exp.words)
        if bad.size:
            i, j = bad[0]
            raise AssertionError(f"MISMATCH {desc}: {len(bad)} outputs differ; first ({i}, {j}): RTL "
                                 f"{int(words[i, j]):08X} model {int(exp.words[i, j]):08X}")
        badf = np.argwhere(flags != exp.tile_flags)
        if badf.size:
            i, j = badf[0]
            raise AssertionError(f"MISMATCH {desc}: tile ({i}, {j}) flags RTL {int(flags[i, j]):X} "
                                 f"model {int(exp.tile_flags[i, j]):X}")
        dut._log.info(f"ok {desc}, {cyc} cycles")
    dut._log.info(f"{n} GEMMs, {total_cycles} cycles, RTL == fp8sa.gemm on every output and tile flag")

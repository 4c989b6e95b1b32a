"""fp8sa.torch on the simulated FPGA boards (backend="board:sim:NAME"):
training steps whose every GEMM goes through the Verilated board core and
its UART link are bit-identical to the same steps on the functional model of
the board's array (the fused fp8sa._core path, an independent route to the
same bits); and the errors a board back-end gives."""
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import fp8sa
from fp8sa.torch import RECIPES, Engine, MasterSGD, Recipe, mlp

needs_boards = pytest.mark.skipif(not fp8sa.sim_boards(), reason="built without the Verilated boards")

# Per board a recipe its array can run: the board's accumulator, SR in the
# accumulator (the board's LFSRs against the model's), and on the ULX3S
# (which has the quantizer bank) Mellempudi's SR-quantized backward outputs
# and FP16 masters.
_RECIPES = {
    "icebreaker": Recipe(name="ice-e8m10-sr", acc="e8m10", acc_round="sr", acc_sr_bits=4, round_err="sr"),
    "ulx3s": replace(RECIPES["mellempudi"], name="ulx3s-mellempudi-acc-sr", acc_round="sr", acc_sr_bits=16),
}


def _train(eng, recipe, steps=3):
    """steps SGD steps of a small MLP; every forward output, every gradient and
    the final weights, as float32 arrays."""
    torch.manual_seed(5)
    g = torch.Generator().manual_seed(6)
    x = torch.randn(9, 20, generator=g) * 2
    y = torch.randint(0, 6, (9,), generator=g)
    model = mlp((20, 10, 6), recipe, eng)
    opt = MasterSGD(model.parameters(), lr=0.1, master=recipe.master, round=recipe.master_round, engine=eng)
    rec = []
    for _ in range(steps):
        out = model(x)
        loss = torch.nn.functional.cross_entropy(out, y)
        opt.zero_grad()
        (loss * 64.0).backward()
        rec.append(out.detach().numpy().copy())
        rec.extend(p.grad.numpy().copy() for p in model.parameters())
        opt.step(grad_scale=64.0)
    rec.extend(p.detach().numpy().copy() for p in model.parameters())
    return rec, eng.take_fwd_flags(), eng.take_bwd_flags()


@needs_boards
@pytest.mark.parametrize("board", ["icebreaker", "ulx3s"])
def test_training_steps_on_the_simulated_board_are_bit_identical_to_the_functional_model(board):
    recipe = _RECIPES[board]
    on_board = Engine(recipe, seed=7, backend=f"board:sim:{board}")
    arr = fp8sa.board_array(f"board:sim:{board}")
    assert (on_board.rows, on_board.cols) == (arr["rows"], arr["cols"])
    array = {k: v for k, v in arr.items() if k not in ("k_max", "rnd_modes", "out_quant")}
    model = Engine(recipe, seed=7, backend="functional", array=array)
    got, gf, gb = _train(on_board, recipe)
    want, wf, wb = _train(model, recipe)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want)):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32)), f"{board}: record {i} differs"
    assert (gf, gb) == (wf, wb)
    assert on_board.gemm_macs == model.gemm_macs > 0


@needs_boards
def test_board_sim_is_the_icebreaker_and_gemm_takes_the_boards_array():
    a = np.arange(12, dtype=np.uint8).reshape(3, 4) + 0x30
    b = np.arange(8, dtype=np.uint8).reshape(4, 2) + 0x28
    res = fp8sa.gemm(a, b, backend="board:sim")
    arr = fp8sa.board_array("board:sim:icebreaker")
    ref = fp8sa.gemm(a, b, acc=arr["acc"], rows=arr["rows"], cols=arr["cols"], seed=arr["seed"],
                     sr_bits=arr["sr_bits"], lfsr_w=arr["lfsr_w"])
    assert np.array_equal(res.words, ref.words)
    assert res.info["backend"] == "board" and res.info["acc"] == arr["acc"]
    with pytest.raises(ValueError, match="backend board:sim:icebreaker has rows 2; rows=8 contradicts it"):
        fp8sa.gemm(a, b, backend="board:sim:icebreaker", rows=8)
    with pytest.raises(ValueError, match=r"out_fmt e4m3: the board.s array \(board:sim:icebreaker\) "
                                         r"has no quantizer bank \(use out_fmt=.fp32.\)"):
        fp8sa.gemm(a, b, backend="board:sim:icebreaker", out_fmt="e4m3")
    with pytest.raises(ValueError, match="over the board's K_MAX of 1024"):
        fp8sa.gemm(np.zeros((1, 1025), np.uint8), np.zeros((1025, 1), np.uint8), backend="board:sim")


@needs_boards
def test_board_backend_errors():
    with pytest.raises(ValueError, match=r"no such simulated board \(built: icebreaker, ulx3s"):
        fp8sa.board_array("board:sim:nosuch")
    with pytest.raises(ValueError, match="board:sim or board:sim:NAME"):
        fp8sa.gemm(np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.uint8), backend="board:real")
    with pytest.raises(ValueError, match="recipe e5m2-rne has acc e8m23, the board's array"):
        Engine(RECIPES["e5m2-rne"], backend="board:sim:icebreaker")
    with pytest.raises(ValueError, match="brings its own array"):
        Engine(_RECIPES["icebreaker"], backend="board:sim", array={"rows": 2})


@needs_boards
def test_sim_boards_name_both_clocks():
    # The UART runs on the board's oscillator (12 MHz iCEBreaker, 25 MHz
    # ULX3S), not on the array's clock, at 4 or more of its clocks per bit.
    boards = {b["name"]: b for b in fp8sa.sim_boards()}
    assert boards["icebreaker"]["uart_hz"] == 12e6 and boards["icebreaker"]["sys_hz"] == 3e6
    assert boards["ulx3s"]["uart_hz"] == 25e6 and boards["ulx3s"]["sys_hz"] == 12.5e6
    for b in boards.values():
        assert b["baud"] >= 1_000_000 and b["uart_hz"] / b["baud"] >= 4


@pytest.mark.skipif(fp8sa.has_rtl(), reason="this build has the Verilated boards")
def test_without_the_verilated_boards_a_board_backend_says_so():
    assert fp8sa.sim_boards() == []
    for call in (lambda: fp8sa.board_array("board:sim"),
                 lambda: fp8sa.gemm(np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.uint8), backend="board:sim"),
                 lambda: Engine(_RECIPES["icebreaker"], backend="board:sim")):
        with pytest.raises(ValueError, match="needs the Verilated boards, which this fp8sa module was built without"):
            call()

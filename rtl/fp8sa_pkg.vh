// fp8sa_pkg.vh: the RTL's one table of codes and bit positions
// (docs/numerics.md, docs/array.md). Verilog-2005 has no packages: include
// this file inside a module body (`include "fp8sa_pkg.vh"); it declares
// only localparams, so every module that includes it gets its own copy.
// No include guard on purpose: a guard would hide the localparams from the
// second module of a compilation unit. Not a module file (.vh): the tools'
// rtl/*/*.v globs do not pick it up; they find it through -I rtl.
//
// Add a format or a code here first, then the units that decode it
// (docs/formats.md lists them).
`include "fp8sa_widths.vh"   // the port widths; the localparams below take theirs from it
/* verilator lint_off UNUSEDPARAM */

// FP8 operand format select (fmt_a / fmt_b, 1 bit).
localparam [0:0] FmtE4m3 = 1'b0;
localparam [0:0] FmtE5m2 = 1'b1;

// Quantizer / array output format (out_fmt, 3 bits). Codes 0..3 go through
// the quantizer; 4 is the raw accumulator word (array only); 5..7 reserved.
localparam integer OutFmtW     = `FP8SA_OUT_FMT_W;
localparam [2:0]   OutFmtE4m3  = 3'd0;
localparam [2:0]   OutFmtE5m2  = 3'd1;
localparam [2:0]   OutFmtFp16  = 3'd2;
localparam [2:0]   OutFmtBf16  = 3'd3;
localparam [2:0]   OutFmtRaw   = 3'd4;
localparam integer OutFmtResBit = 2;     // out_fmt[2] set: not a quantizer format

// Rounding mode (rnd, 2 bits). 3 is reserved and behaves as RNE.
localparam integer RndW        = `FP8SA_RND_W;
localparam [1:0]   RndRne      = 2'd0;
localparam [1:0]   RndRz       = 2'd1;
localparam [1:0]   RndSr       = 2'd2;
localparam [1:0]   RndReserved = 2'd3;

// SR construction (SR_KIND parameter, numerics.md section 5 "SR kinds"):
// how fp8sa_round turns the discarded bits into k.
localparam integer SrKindMid   = 0;      // k = D[R:1] rounded to odd (fp8sa's original SR)
localparam integer SrKindTrunc = 1;      // k = D[R:1]
localparam integer SrKindSrc   = 2;      // k = D[R:0] / 2 rounded to nearest even

// PE kind (PE_KIND parameter of fp8sa_array_cell / fp8sa_array,
// numerics.md section 10): which sibling PE every cell instantiates.
localparam integer PeKindFma   = 0;      // fp8sa_mac_pe
localparam integer PeKindDot   = 1;      // fp8sa_dot_pe
localparam integer PeKindExact = 2;      // fp8sa_exact_pe

// Operand and word widths of the PE socket (docs/rtl.md "The PE socket"):
// a step carries DOT_N FP8 codes per operand, product i in [Fp8W*i +: Fp8W];
// a binary32 init/result word is B32W bits. INIT_W = B32W for dot, exact
// and PROMOTE_N > 0, else ACC_W; RES_W = B32W with PROMOTE_N > 0, else ACC_W.
localparam integer Fp8W        = `FP8SA_FP8_W;
localparam integer B32W        = `FP8SA_B32_W;
localparam integer DotNMax     = 64;     // DOT_N: a power of two in [1, DotNMax]
localparam integer AlignBitsMax = 48;    // ALIGN_BITS: [1, AlignBitsMax]

// Flags word (4 bits): {invalid, overflow, underflow, inexact}.
localparam integer FlagW         = `FP8SA_FLAG_W;
localparam integer FlagInexact   = 0;
localparam integer FlagUnderflow = 1;
localparam integer FlagOverflow  = 2;
localparam integer FlagInvalid   = 3;

// Class bundle of an unpacked accumulator-format operand (class_o of
// fp8sa_acc_unpack, ClassW bits): one bus instead of five loose wires, as
// cvfpu's fp_info_t; users index it by these names (cls[ClsInf]).
// snan: a NaN whose mantissa MSB is 0 (nan is then set too).
localparam integer ClassW  = `FP8SA_CLASS_W;
localparam integer ClsSign = 0;
localparam integer ClsZero = 1;
localparam integer ClsInf  = 2;
localparam integer ClsNan  = 3;
localparam integer ClsSnan = 4;

// Lane word of fp8sa_array / fp8sa_array_cell: the A operands of a step
// (DOT_N codes, AW = DOT_N * Fp8W bits) and the control byte of its tile
// above them, travelling right along a row:
//   lane = {ctrl[7:0], a[AW-1:0]}, LaneW = AW + LaneCtrlW
//   ctrl: [1:0] rnd   [2] fmt_a   [3] fmt_b   [4] use_init   [5] last
//         [6] first   [7] valid
// The positions below are offsets inside the control byte; a module adds
// its AW (for DOT_N = 1: [7:0] a, [9:8] rnd, ..., [15] valid).
localparam integer LaneALsb    = 0;      // AW bits
localparam integer LaneCtrlW   = `FP8SA_LANE_CTRL_W;
localparam integer LaneRndOff  = 0;      // RndW bits
localparam integer LaneFmtAOff = 2;
localparam integer LaneFmtBOff = 3;
localparam integer LaneUseInitOff = 4;
localparam integer LaneLastOff = 5;
localparam integer LaneFirstOff = 6;
localparam integer LaneValidOff = 7;

// Command queue entry of fp8sa_array.
//   [15:0] K-1   [16] fmt_a   [17] fmt_b   [19:18] rnd   [20] use_init
//   [23:21] out_fmt   [25:24] out_rnd   [26] sat   [33:27] scale
localparam integer CmdKLsb      = 0;
localparam integer CmdKW        = `FP8SA_K_W;
localparam integer CmdFmtA      = 16;
localparam integer CmdFmtB      = 17;
localparam integer CmdRndLsb    = 18;    // RndW bits
localparam integer CmdUseInit   = 20;
localparam integer CmdOutLsb    = 21;    // first output control bit
localparam integer CmdOutFmtLsb = 21;    // OutFmtW bits
localparam integer CmdOutRndLsb = 24;    // RndW bits
localparam integer CmdSat       = 26;
localparam integer CmdScaleLsb  = 27;
localparam integer CmdScaleW    = `FP8SA_SCALE_W;
localparam integer CmdW         = 34;

/* verilator lint_on UNUSEDPARAM */

// fp8sa_pkg.vh: the RTL's one table of codes and bit positions
// (docs/numerics.md, docs/array.md). Verilog-2005 has no packages: include
// this file inside a module body (`include "fp8sa_pkg.vh"); it declares
// only localparams, so every module that includes it gets its own copy.
// No include guard on purpose: a guard would hide the localparams from the
// second module of a compilation unit. Not a module file (.vh): the tools'
// rtl/*.v globs do not pick it up; they find it through -I rtl.
//
// Add a format or a code here first, then the units that decode it
// (docs/formats.md lists them).
/* verilator lint_off UNUSEDPARAM */

// FP8 operand format select (fmt_a / fmt_b, 1 bit).
localparam [0:0] FmtE4m3 = 1'b0;
localparam [0:0] FmtE5m2 = 1'b1;

// Quantizer / array output format (out_fmt, 3 bits). Codes 0..3 go through
// the quantizer; 4 is the raw accumulator word (array only); 5..7 reserved.
localparam integer OutFmtW     = 3;
localparam [2:0]   OutFmtE4m3  = 3'd0;
localparam [2:0]   OutFmtE5m2  = 3'd1;
localparam [2:0]   OutFmtFp16  = 3'd2;
localparam [2:0]   OutFmtBf16  = 3'd3;
localparam [2:0]   OutFmtRaw   = 3'd4;
localparam integer OutFmtResBit = 2;     // out_fmt[2] set: not a quantizer format

// Rounding mode (rnd, 2 bits). 3 is reserved and behaves as RNE.
localparam integer RndW        = 2;
localparam [1:0]   RndRne      = 2'd0;
localparam [1:0]   RndRz       = 2'd1;
localparam [1:0]   RndSr       = 2'd2;
localparam [1:0]   RndReserved = 2'd3;

// Flags word (4 bits): {invalid, overflow, underflow, inexact}.
localparam integer FlagW         = 4;
localparam integer FlagInexact   = 0;
localparam integer FlagUnderflow = 1;
localparam integer FlagOverflow  = 2;
localparam integer FlagInvalid   = 3;

// Lane word of fp8sa_array / fp8sa_array_cell: the A operand and the control
// of its tile, travelling right along a row.
//   [7:0] a   [9:8] rnd   [10] fmt_a   [11] fmt_b   [12] use_init
//   [13] last   [14] first   [15] valid
localparam integer LaneW       = 16;
localparam integer LaneALsb    = 0;      // 8 bits
localparam integer LaneAW      = 8;
localparam integer LaneRndLsb  = 8;      // RndW bits
localparam integer LaneFmtA    = 10;
localparam integer LaneFmtB    = 11;
localparam integer LaneUseInit = 12;
localparam integer LaneLast    = 13;
localparam integer LaneFirst   = 14;
localparam integer LaneValid   = 15;
localparam integer LaneCtrlLsb = 8;      // [15:8]: the control byte

// Command queue entry of fp8sa_array.
//   [15:0] K-1   [16] fmt_a   [17] fmt_b   [19:18] rnd   [20] use_init
//   [23:21] out_fmt   [25:24] out_rnd   [26] sat   [33:27] scale
localparam integer CmdKLsb      = 0;
localparam integer CmdKW        = 16;
localparam integer CmdFmtA      = 16;
localparam integer CmdFmtB      = 17;
localparam integer CmdRndLsb    = 18;    // RndW bits
localparam integer CmdUseInit   = 20;
localparam integer CmdOutLsb    = 21;    // first output control bit
localparam integer CmdOutFmtLsb = 21;    // OutFmtW bits
localparam integer CmdOutRndLsb = 24;    // RndW bits
localparam integer CmdSat       = 26;
localparam integer CmdScaleLsb  = 27;
localparam integer CmdScaleW    = 7;
localparam integer CmdW         = 34;

/* verilator lint_on UNUSEDPARAM */

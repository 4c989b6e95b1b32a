// fp8sa_widths.vh: the widths of the codes and operands that cross module
// ports (docs/rtl.md "Ports"), as macros.
//
// Why macros: a Verilog-2005 ANSI port list is read before the module body,
// so it cannot see the localparams of fp8sa_pkg.vh (included in the body).
// Every module file includes this header at its top, after
// `default_nettype none, and writes its port widths with these names
// (`[`FP8SA_RND_W-1:0] rnd_i`, `[ROWS*`FP8SA_FP8_W-1:0] in_a_o`).
// fp8sa_pkg.vh defines its localparams (RndW, FlagW, Fp8W, ...) from these,
// so each width has one source. The guard makes a second include a no-op
// (macros, unlike localparams, are global to the compilation unit).
// Widths that are not codes or operands stay literal where they stand:
// bytes and length fields of the host protocol ([7:0], [15:0]), CRC words.
`ifndef FP8SA_WIDTHS_VH
`define FP8SA_WIDTHS_VH

`define FP8SA_FP8_W        8    // an FP8 code (E4M3 or E5M2): Fp8W
`define FP8SA_FP8_SIG_W    4    // a decoded FP8 significand, hidden bit included
`define FP8SA_FP8_EXP_W    6    // a decoded FP8 exponent (signed)
`define FP8SA_PROD_SIG_W   8    // the exact product significand of two FP8 codes
`define FP8SA_EXP_W        10   // an unpacked exponent (signed): products, accumulator addends
`define FP8SA_PROD_W       23   // a product word of fp8sa_fp8_mul_n: {sign, exp, sig, zero, inf, nan, invalid}
`define FP8SA_CLASS_W      5    // an unpacked operand's class bundle (fp8sa_acc_unpack class_o): ClassW
`define FP8SA_B32_W        32   // a binary32 word (init, promoted result, array output): B32W
`define FP8SA_RND_W        2    // rounding mode code (rnd, out_rnd): RndW
`define FP8SA_OUT_FMT_W    3    // output format code (out_fmt): OutFmtW
`define FP8SA_FLAG_W       4    // flags {invalid, overflow, underflow, inexact}: FlagW
`define FP8SA_SCALE_W      7    // output scale exponent (signed): CmdScaleW
`define FP8SA_K_W          16   // tile depth K of a command: CmdKW
`define FP8SA_ROW_W        8    // a row index (out_row)
`define FP8SA_Q_W          16   // a quantizer output word (FP8 in the low byte, FP16, BF16)
`define FP8SA_LANE_CTRL_W  8    // the control byte of an array lane: LaneCtrlW

`endif

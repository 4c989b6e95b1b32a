`default_nettype none
// fp8sa_mac: one multiply-accumulate, acc_o = round(acc_i + a * b)
// (docs/numerics.md section 4). The FP8 product (fp8sa_fp8_mul) is exact
// and feeds the accumulator adder (fp8sa_acc_add) unpacked, so there is
// exactly one rounding. With e8m23 and RNE, acc_o equals binary32
// fmaf(a, b, acc_i) (canonical NaN) and flags_o the flags x86 fmaf raises.
//
// Latency: combinational (fp8sa_mac_pe registers it). Contract: as
// fp8sa_acc_add (rnd_i = 3 reserved, behaves as RNE).
module fp8sa_mac #(
  parameter integer ACC_EXP_W = 8,   // [4, 8]
  parameter integer ACC_MAN_W = 23,  // [2, 23]
  parameter integer SR_BITS   = 16   // [2, 24]
) (
  input  wire [ACC_EXP_W+ACC_MAN_W:0] acc_i,    // ACC_W bits
  input  wire [7:0]                   a_i,
  input  wire                         fmt_a_i,  // 0 E4M3, 1 E5M2
  input  wire [7:0]                   b_i,
  input  wire                         fmt_b_i,
  input  wire [1:0]                   rnd_i,
  input  wire [SR_BITS-1:0]           rand_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] acc_o,
  output wire [3:0]                   flags_o
);

  localparam integer SigW = (ACC_MAN_W + 1 > 8) ? ACC_MAN_W + 1 : 8;

  // Parameter ranges are checked by fp8sa_acc_add.

  wire       p_sign, p_zero, p_inf, p_nan, p_invalid;
  wire [9:0] p_exp;
  wire [7:0] p_sig;

  fp8sa_fp8_mul u_mul (
    .a_i            (a_i),
    .fmt_a_i        (fmt_a_i),
    .b_i            (b_i),
    .fmt_b_i        (fmt_b_i),
    .prod_sign_o    (p_sign),
    .prod_exp_o     (p_exp),
    .prod_sig_o     (p_sig),
    .prod_zero_o    (p_zero),
    .prod_inf_o     (p_inf),
    .prod_nan_o     (p_nan),
    .prod_invalid_o (p_invalid)
  );

  // 0 * Inf raises invalid unless the accumulator is a quiet NaN
  // (numerics.md section 4): IEEE 754-2008 7.2 leaves that case open and
  // x86 fmaf does not raise it, so neither do we.
  wire acc_qnan = (&acc_i[ACC_EXP_W+ACC_MAN_W-1:ACC_MAN_W]) & acc_i[ACC_MAN_W-1];

  fp8sa_acc_add #(
    .ACC_EXP_W (ACC_EXP_W),
    .ACC_MAN_W (ACC_MAN_W),
    .SR_BITS   (SR_BITS)
  ) u_add (
    .acc_i         (acc_i),
    .add_sign_i    (p_sign),
    .add_exp_i     (p_exp),
    .add_sig_i     ({{(SigW - 8){1'b0}}, p_sig}),
    .add_zero_i    (p_zero),
    .add_inf_i     (p_inf),
    .add_nan_i     (p_nan),
    .add_invalid_i (p_invalid & ~acc_qnan),
    .rnd_i         (rnd_i),
    .rand_i        (rand_i),
    .sum_o         (acc_o),
    .flags_o       (flags_o)
  );

endmodule
`default_nettype wire

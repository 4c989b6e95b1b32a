`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_mac: one multiply-accumulate, acc_o = round(acc_i + a * b)
// (docs/numerics.md section 4). The FP8 product (fp8sa_fp8_mul) is exact
// and feeds the accumulate half (fp8sa_mac_acc: the accumulator adder)
// unpacked, so there is exactly one rounding. With e8m23 and RNE, acc_o equals binary32
// fmaf(a, b, acc_i) (canonical NaN) and flags_o the flags x86 fmaf raises.
//
// Latency: combinational (fp8sa_mac_pe registers it). Contract: as
// fp8sa_acc_add (rnd_i = 3 reserved, behaves as RNE).
module fp8sa_mac #(
  parameter integer ACC_EXP_W = 8,   // [4, 8]
  parameter integer ACC_MAN_W = 23,  // [2, 23]
  parameter integer SR_BITS   = 16,  // [2, 24]
  parameter integer SR_KIND   = 0    // [0, 2]: SR construction (fp8sa_round)
) (
  input  wire [ACC_EXP_W+ACC_MAN_W:0] acc_i,    // ACC_W bits
  input  wire [`FP8SA_FP8_W-1:0]                   a_i,
  input  wire                         fmt_a_i,  // 0 E4M3, 1 E5M2
  input  wire [`FP8SA_FP8_W-1:0]                   b_i,
  input  wire                         fmt_b_i,
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,
  input  wire [SR_BITS-1:0]           rand_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] acc_o,
  output wire [`FP8SA_FLAG_W-1:0]                   flags_o
);

  // Parameter ranges are checked by fp8sa_acc_add (in fp8sa_mac_acc).

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

  fp8sa_mac_acc #(
    .ACC_EXP_W (ACC_EXP_W),
    .ACC_MAN_W (ACC_MAN_W),
    .SR_BITS   (SR_BITS),
    .SR_KIND   (SR_KIND)
  ) u_acc (
    .acc_i          (acc_i),
    .prod_sign_i    (p_sign),
    .prod_exp_i     (p_exp),
    .prod_sig_i     (p_sig),
    .prod_zero_i    (p_zero),
    .prod_inf_i     (p_inf),
    .prod_nan_i     (p_nan),
    .prod_invalid_i (p_invalid),
    .rnd_i          (rnd_i),
    .rand_i         (rand_i),
    .acc_o          (acc_o),
    .flags_o        (flags_o)
  );

endmodule
`default_nettype wire

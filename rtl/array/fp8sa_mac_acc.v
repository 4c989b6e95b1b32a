`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_mac_acc: the accumulate half of one MAC, acc_o = round(acc_i + p)
// for an exact FP8 product p given unpacked as fp8sa_fp8_mul returns it
// (docs/numerics.md section 4): the product's classes and the 0 * Inf rule
// meet the accumulator adder (fp8sa_acc_add) here, in one place, whether
// the product comes straight from the multiplier (fp8sa_mac) or through
// the pipeline registers of a pipelined PE (fp8sa_mac_pe, MUL_STAGES > 0).
//
// Latency: combinational. Contract: as fp8sa_acc_add (rnd_i = 3 reserved,
// behaves as RNE); the prod_* inputs are one fp8sa_fp8_mul result.
module fp8sa_mac_acc #(
  parameter integer ACC_EXP_W = 8,   // [4, 8]
  parameter integer ACC_MAN_W = 23,  // [2, 23]
  parameter integer SR_BITS   = 16,  // [2, 24]
  parameter integer SR_KIND   = 0    // [0, 2]: SR construction (fp8sa_round)
) (
  input  wire [ACC_EXP_W+ACC_MAN_W:0] acc_i,          // ACC_W bits
  input  wire                         prod_sign_i,
  input  wire [`FP8SA_EXP_W-1:0]                   prod_exp_i,     // signed
  input  wire [`FP8SA_PROD_SIG_W-1:0]                   prod_sig_i,
  input  wire                         prod_zero_i,
  input  wire                         prod_inf_i,
  input  wire                         prod_nan_i,
  input  wire                         prod_invalid_i,
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,
  input  wire [SR_BITS-1:0]           rand_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] acc_o,
  output wire [`FP8SA_FLAG_W-1:0]                   flags_o
);

  // Parameter ranges are checked by fp8sa_acc_add.

  // 0 * Inf raises invalid unless the accumulator is a quiet NaN
  // (numerics.md section 4): IEEE 754-2008 7.2 leaves that case open and
  // x86 fmaf does not raise it, so neither do we.
  wire acc_qnan = (&acc_i[ACC_EXP_W+ACC_MAN_W-1:ACC_MAN_W]) & acc_i[ACC_MAN_W-1];

  // The product has 8 significant bits and an exponent in [-32, 26]
  // (docs/numerics.md section 2): the adder then builds only an 8-bit
  // normalization and order compare for it, exponent arithmetic as wide as
  // that range needs, and no negation unless a product can lie below the
  // accumulator's 2^(emin-1).
  fp8sa_acc_add #(
    .ACC_EXP_W   (ACC_EXP_W),
    .ACC_MAN_W   (ACC_MAN_W),
    .SR_BITS     (SR_BITS),
    .SR_KIND     (SR_KIND),
    .ADD_SIG_W   (8),
    .ADD_EXP_MIN (-32),
    .ADD_EXP_MAX (26)
  ) u_add (
    .acc_i         (acc_i),
    .add_sign_i    (prod_sign_i),
    .add_exp_i     (prod_exp_i),
    .add_sig_i     (prod_sig_i),
    .add_zero_i    (prod_zero_i),
    .add_inf_i     (prod_inf_i),
    .add_nan_i     (prod_nan_i),
    .add_invalid_i (prod_invalid_i & ~acc_qnan),
    .rnd_i         (rnd_i),
    .rand_i        (rand_i),
    .sum_o         (acc_o),
    .flags_o       (flags_o)
  );

endmodule
`default_nettype wire

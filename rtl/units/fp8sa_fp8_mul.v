`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_fp8_mul: exact product of two FP8 operands (docs/numerics.md
// sections 1 and 2), each E4M3 (fmt = 0) or E5M2 (fmt = 1).
//
// The product is returned unpacked, not rounded: value =
// (-1)^prod_sign_o * prod_sig_o * 2^prod_exp_o, prod_sig_o < 2^8 and
// prod_exp_o in [-32, 26] for a finite non-zero product. The significand
// is not normalized (subnormal operands give leading zeros).
// Classes: prod_nan_o if an operand is NaN or for 0 * Inf (then also
// prod_invalid_o); prod_inf_o for Inf * non-zero finite or Inf * Inf;
// prod_zero_o for zero * finite. prod_exp_o/prod_sig_o are don't-care
// unless the product is finite non-zero. FP8 NaNs are quiet: a NaN operand
// alone raises nothing.
//
// Latency: combinational. Contract: none (every input is legal).
module fp8sa_fp8_mul (
  input  wire [`FP8SA_FP8_W-1:0] a_i,
  input  wire       fmt_a_i,        // 0 E4M3, 1 E5M2
  input  wire [`FP8SA_FP8_W-1:0] b_i,
  input  wire       fmt_b_i,
  output wire       prod_sign_o,
  output wire [`FP8SA_EXP_W-1:0] prod_exp_o,     // signed
  output wire [`FP8SA_PROD_SIG_W-1:0] prod_sig_o,
  output wire       prod_zero_o,
  output wire       prod_inf_o,
  output wire       prod_nan_o,
  output wire       prod_invalid_o
);

  wire       a_zero, a_inf, a_nan, b_zero, b_inf, b_nan;
  wire [3:0] a_sig, b_sig;
  wire [5:0] a_exp, b_exp;  // signed, LSB weight of the significand

  fp8sa_fp8_decode u_dec_a (
    .mag_i  (a_i[6:0]),
    .fmt_i  (fmt_a_i),
    .sig_o  (a_sig),
    .exp_o  (a_exp),
    .zero_o (a_zero),
    .inf_o  (a_inf),
    .nan_o  (a_nan)
  );

  fp8sa_fp8_decode u_dec_b (
    .mag_i  (b_i[6:0]),
    .fmt_i  (fmt_b_i),
    .sig_o  (b_sig),
    .exp_o  (b_exp),
    .zero_o (b_zero),
    .inf_o  (b_inf),
    .nan_o  (b_nan)
  );

  wire zero_times_inf = (a_zero & b_inf) | (a_inf & b_zero);

  assign prod_sign_o    = a_i[7] ^ b_i[7];
  assign prod_sig_o     = {4'b0000, a_sig} * {4'b0000, b_sig};
  assign prod_exp_o     = {{4{a_exp[5]}}, a_exp} + {{4{b_exp[5]}}, b_exp};
  assign prod_nan_o     = a_nan | b_nan | zero_times_inf;
  assign prod_invalid_o = zero_times_inf;
  assign prod_inf_o     = (a_inf | b_inf) & ~prod_nan_o;
  assign prod_zero_o    = (a_zero | b_zero) & ~prod_nan_o;

endmodule
`default_nettype wire

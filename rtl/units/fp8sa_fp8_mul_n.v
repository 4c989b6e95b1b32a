`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_fp8_mul_n: N exact FP8 products side by side (the multipliers of a
// PE step: N = DOT_N), one fp8sa_fp8_mul per lane, every lane with the same
// operand formats. Lane i multiplies a_i[8i +: 8] by b_i[8i +: 8] and
// gives its product word on prod_o[23i +: 23] = {sign, exp (10 bits,
// signed), sig (8 bits), zero, inf, nan, invalid}: fp8sa_fp8_mul's outputs
// of the same names, in that order (the one place the PEs read the order
// from, so each PE packs only the fields its pipeline keeps).
//
// Latency: combinational. Contract: none (every input is legal).
module fp8sa_fp8_mul_n #(
  parameter integer N = 1   // [1, 64]: lanes
) (
  input  wire [N*`FP8SA_FP8_W-1:0]  a_i,
  input  wire                       fmt_a_i,   // 0 E4M3, 1 E5M2
  input  wire [N*`FP8SA_FP8_W-1:0]  b_i,
  input  wire                       fmt_b_i,
  output wire [N*`FP8SA_PROD_W-1:0] prod_o
);

  generate
    if (N < 1 || N > 64) begin : g_err_n
      fp8sa_param_error_N_out_of_range_1_to_64 u_param_error ();
    end
  endgenerate

  genvar gi;
  generate
    for (gi = 0; gi < N; gi = gi + 1) begin : g_lane
      wire                          p_sign, p_zero, p_inf, p_nan, p_invalid;
      wire [`FP8SA_EXP_W-1:0]       p_exp;
      wire [`FP8SA_PROD_SIG_W-1:0]  p_sig;

      fp8sa_fp8_mul u_mul (
        .a_i            (a_i[`FP8SA_FP8_W*gi +: `FP8SA_FP8_W]),
        .fmt_a_i        (fmt_a_i),
        .b_i            (b_i[`FP8SA_FP8_W*gi +: `FP8SA_FP8_W]),
        .fmt_b_i        (fmt_b_i),
        .prod_sign_o    (p_sign),
        .prod_exp_o     (p_exp),
        .prod_sig_o     (p_sig),
        .prod_zero_o    (p_zero),
        .prod_inf_o     (p_inf),
        .prod_nan_o     (p_nan),
        .prod_invalid_o (p_invalid)
      );

      assign prod_o[`FP8SA_PROD_W*gi +: `FP8SA_PROD_W] =
          {p_sign, p_exp, p_sig, p_zero, p_inf, p_nan, p_invalid};
    end
  endgenerate

endmodule
`default_nettype wire

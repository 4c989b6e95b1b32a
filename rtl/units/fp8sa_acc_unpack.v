`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_acc_unpack: class and exact (significand, exponent) of a packed
// accumulator-format word eXmY (X = ACC_EXP_W, Y = ACC_MAN_W,
// docs/numerics.md section 3), in the unpacked-addend encoding of
// docs/rtl.md.
//
// class_o is the operand's class bundle, bits named in fp8sa_pkg.vh:
// [ClsSign] sign, [ClsZero] +-0, [ClsInf] +-Inf, [ClsNan] NaN, [ClsSnan] a
// NaN whose mantissa MSB is 0 (signalling).
// Finite value = (-1)^sign * sig_o * 2^exp_o with
// sig_o = {hidden, man} zero-extended to ADD_SIG_W = max(8, Y + 1) bits and
// exp_o = max(e, 1) - bias - Y (10 bits, signed; -149 for binary32
// subnormals). exp_o/sig_o are don't-care for Inf and NaN.
//
// Latency: combinational. Contract: none (every input is legal).
module fp8sa_acc_unpack #(
  parameter integer ACC_EXP_W = 8,   // [4, 8]
  parameter integer ACC_MAN_W = 23   // [2, 23]
) (
  input  wire [ACC_EXP_W+ACC_MAN_W:0]                 acc_i,  // ACC_W bits
  output wire [`FP8SA_CLASS_W-1:0]                    class_o,  // ClassW bits
  output wire [`FP8SA_EXP_W-1:0]                      exp_o,    // signed
  output wire [((ACC_MAN_W > `FP8SA_PROD_SIG_W-1) ? ACC_MAN_W : `FP8SA_PROD_SIG_W-1):0] sig_o  // ADD_SIG_W bits
);

  `include "fp8sa_pkg.vh"

  localparam integer ExpW    = ACC_EXP_W;
  localparam integer ManW    = ACC_MAN_W;
  localparam integer AddSigW = (ManW + 1 > 8) ? ManW + 1 : 8;
  localparam integer Bias    = (1 << (ExpW - 1)) - 1;
  localparam integer ExpOff  = Bias + ManW;  // exp_o = max(e,1) - ExpOff

  generate
    if (ACC_EXP_W < 4 || ACC_EXP_W > 8) begin : g_err_exp_w
      fp8sa_param_error_ACC_EXP_W_out_of_range_4_to_8 u_param_error ();
    end
    if (ACC_MAN_W < 2 || ACC_MAN_W > 23) begin : g_err_man_w
      fp8sa_param_error_ACC_MAN_W_out_of_range_2_to_23 u_param_error ();
    end
  endgenerate

  wire [ExpW-1:0] e = acc_i[ExpW+ManW-1:ManW];
  wire [ManW-1:0] m = acc_i[ManW-1:0];

  wire e_zero = ~|e;
  wire e_ones = &e;
  wire m_zero = ~|m;

  assign class_o[ClsSign] = acc_i[ExpW+ManW];
  // max(e, 1): e is zero only for zeros and subnormals, whose exponent is emin.
  assign exp_o  = {{(10 - ExpW){1'b0}}, e[ExpW-1:1], e[0] | e_zero} - ExpOff[9:0];
  assign sig_o  = {{(AddSigW - ManW - 1){1'b0}}, ~e_zero, m};
  assign class_o[ClsZero] = e_zero & m_zero;
  assign class_o[ClsInf]  = e_ones & m_zero;
  assign class_o[ClsNan]  = e_ones & ~m_zero;
  assign class_o[ClsSnan] = e_ones & ~m_zero & ~m[ManW-1];

endmodule
`default_nettype wire

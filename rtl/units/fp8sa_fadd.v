`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_fadd: plain two-operand adder in the accumulator format,
// sum_o = round(a_i + b_i) (docs/numerics.md section 4): b_i is unpacked
// by fp8sa_acc_unpack and added by fp8sa_acc_add. With the default e8m23
// and RNE/RZ it is IEEE binary32 addition (canonical NaN results), which
// is how TestFloat's binary32 addition vectors check the adder.
//
// Latency: combinational. Contract: as fp8sa_acc_add (rnd_i = 3 reserved,
// behaves as RNE). A signalling NaN in either operand raises invalid.
module fp8sa_fadd #(
  parameter integer ACC_EXP_W = 8,   // [4, 8]
  parameter integer ACC_MAN_W = 23,  // [2, 23]
  parameter integer SR_BITS   = 16,  // [2, 24]
  parameter integer SR_KIND   = 0    // [0, 2]: SR construction (fp8sa_round)
) (
  input  wire [ACC_EXP_W+ACC_MAN_W:0] a_i,      // ACC_W bits
  input  wire [ACC_EXP_W+ACC_MAN_W:0] b_i,      // ACC_W bits
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,
  input  wire [SR_BITS-1:0]           rand_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] sum_o,
  output wire [`FP8SA_FLAG_W-1:0]                   flags_o
);

  `include "fp8sa_pkg.vh"

  localparam integer SigW = (ACC_MAN_W + 1 > 8) ? ACC_MAN_W + 1 : 8;

  // Parameter ranges are checked by the submodules.

  wire [ClassW-1:0] b_cls;   // bits named Cls* in fp8sa_pkg.vh
  wire [9:0]        b_exp;
  wire [SigW-1:0]   b_sig;

  fp8sa_acc_unpack #(.ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W)) u_unpack_b (
    .acc_i(b_i), .class_o(b_cls), .exp_o(b_exp), .sig_o(b_sig));

  fp8sa_acc_add #(
    .ACC_EXP_W (ACC_EXP_W),
    .ACC_MAN_W (ACC_MAN_W),
    .SR_BITS   (SR_BITS),
    .SR_KIND   (SR_KIND)
  ) u_add (
    .acc_i         (a_i),
    .add_sign_i    (b_cls[ClsSign]),
    .add_exp_i     (b_exp),
    .add_sig_i     (b_sig),
    .add_zero_i    (b_cls[ClsZero]),
    .add_inf_i     (b_cls[ClsInf]),
    .add_nan_i     (b_cls[ClsNan]),
    .add_invalid_i (b_cls[ClsSnan]),
    .rnd_i         (rnd_i),
    .rand_i        (rand_i),
    .sum_o         (sum_o),
    .flags_o       (flags_o)
  );

endmodule
`default_nettype wire

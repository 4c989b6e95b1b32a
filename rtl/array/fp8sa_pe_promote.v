`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_pe_promote: the promotion of partial sums shared by the PEs that
// round every step (docs/numerics.md section 9, and 10 for dot): a narrow
// accumulator n (eXmY, X = ACC_EXP_W, Y = ACC_MAN_W) that the PE's step
// rounds into, and a binary32 accumulator w that n is added into (RNE, no
// random bits) after every GROUP_N steps of a tile and after its last.
//
// The PE computes its step on base_o (the narrow operand: +0 on a tile's
// first step and on the first step of a group, else n) and hands the
// rounded result and that step's flags back on narrow_i / narrow_flags_i.
// Per edge:
//   step_fire_i: n <= narrow_i; with clr_i also w <= init_i and flags <= the
//                step's flags (else flags |= the step's, and the pending
//                add's); the GROUP_N-th step since the last promotion, or
//                one with last_i, sets pend (a promotion at the next edge).
//   clr_fire_i without step_fire_i (fp8sa_mac_pe's clr without en):
//                n <= +0, w <= init_i, flags <= 0, the count restarts.
//   pend: w <= RNE32(w + widen(n)) at the next edge, and that edge's step
//         (if any) reads n = +0.
// acc_o is w with the pending add applied and flags_o the flags with the
// pending add's: combinational from the registers (one adder deep), so
// they show the tile's binary32 result right after the edge of its last
// step, and a next tile's first step may follow at once.
//
// Latency: one edge (registers n, w, flags, pend, count). Contract: clr_i
// and last_i are the control of the step at the accumulate stage (read
// with step_fire_i / clr_fire_i; clr_i also selects base_o); narrow_i is
// never a signalling NaN (a PE result). Reset: n = w = +0, flags 0.
// GROUP_N = 1 promotes after every step (no counter is kept).
module fp8sa_pe_promote #(
  parameter integer ACC_EXP_W = 8,     // [4, 8]
  parameter integer ACC_MAN_W = 23,    // [2, 23]
  parameter integer GROUP_N   = 2      // [1, 65535]: steps per promotion group
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         step_fire_i,   // a step is performed at this edge
  input  wire                         clr_fire_i,    // a clr is performed at this edge
  input  wire                         clr_i,         // the step at the accumulate stage starts a tile
  input  wire                         last_i,        // ... ends a tile
  input  wire [`FP8SA_B32_W-1:0]                  init_i,        // binary32 init word (w's start)
  input  wire [ACC_EXP_W+ACC_MAN_W:0] narrow_i,      // the step's rounded narrow result
  input  wire [`FP8SA_FLAG_W-1:0]                   narrow_flags_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] base_o,        // the step's narrow operand
  output wire [`FP8SA_B32_W-1:0]                  acc_o,         // w, pending add applied
  output wire [`FP8SA_FLAG_W-1:0]                   flags_o
);

  `include "fp8sa_pkg.vh"

  localparam integer AccW = 1 + ACC_EXP_W + ACC_MAN_W;
  localparam integer CntW = (GROUP_N > 2) ? $clog2(GROUP_N) : 1;
  localparam integer NM1I = GROUP_N - 1;
  localparam [CntW-1:0] NM1 = NM1I[CntW-1:0];
  localparam [CntW-1:0] CntOne = 1;
  // The promotion adder's addend range: the narrow format's own
  // (emin - Y .. emax - Y, as fp8sa_acc_unpack gives it), Y + 1 bits.
  localparam integer NExpMin = 2 - (1 << (ACC_EXP_W - 1)) - ACC_MAN_W;
  localparam integer NExpMax = (1 << (ACC_EXP_W - 1)) - 1 - ACC_MAN_W;
  localparam integer NSigW   = (ACC_MAN_W > 7) ? ACC_MAN_W + 1 : 8;

  generate
    if (ACC_EXP_W < 4 || ACC_EXP_W > 8) begin : g_err_exp_w
      fp8sa_param_error_ACC_EXP_W_out_of_range_4_to_8 u_param_error ();
    end
    if (ACC_MAN_W < 2 || ACC_MAN_W > 23) begin : g_err_man_w
      fp8sa_param_error_ACC_MAN_W_out_of_range_2_to_23 u_param_error ();
    end
    if (GROUP_N < 1 || GROUP_N > 65535) begin : g_err_group_n
      fp8sa_param_error_GROUP_N_out_of_range_1_to_65535 u_param_error ();
    end
  endgenerate

  reg  [AccW-1:0] n_q, n_d;
  reg  [31:0]     w_q, w_d;
  reg  [3:0]      flags_q, flags_d;
  reg             pend_q;
  reg  [CntW-1:0] cnt_q, cnt_d;

  // widen(n_q) and the binary32 RNE add (numerics.md "Promotion"):
  // n_q is a PE result, never a signalling NaN.
  wire [ClassW-1:0] n_cls;   // bits named Cls* in fp8sa_pkg.vh
  wire [9:0]        n_exp;
  wire [NSigW-1:0]  n_sig;
  wire [31:0]       w_sum;
  wire [3:0]        w_flags;
  wire              n_snan_unused = n_cls[ClsSnan];

  fp8sa_acc_unpack #(.ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W)) u_unpack_n (
    .acc_i(n_q), .class_o(n_cls), .exp_o(n_exp), .sig_o(n_sig));
  generate
    if (NSigW > ACC_MAN_W + 1) begin : g_sig_pad
      wire sig_pad_unused = ^n_sig[NSigW-1:ACC_MAN_W+1];
    end
  endgenerate

  fp8sa_acc_add #(
    .ACC_EXP_W   (8),
    .ACC_MAN_W   (23),
    .SR_BITS     (2),
    .ADD_SIG_W   (ACC_MAN_W + 1),
    .ADD_EXP_MIN (NExpMin),
    .ADD_EXP_MAX (NExpMax)
  ) u_promote (
    .acc_i         (w_q),
    .add_sign_i    (n_cls[ClsSign]),
    .add_exp_i     (n_exp),
    .add_sig_i     (n_sig[ACC_MAN_W:0]),
    .add_zero_i    (n_cls[ClsZero]),
    .add_inf_i     (n_cls[ClsInf]),
    .add_nan_i     (n_cls[ClsNan]),
    .add_invalid_i (1'b0),
    .rnd_i         (RndRne),
    .rand_i        (2'b00),
    .sum_o         (w_sum),
    .flags_o       (w_flags)
  );

  wire [3:0]      pend_flags = pend_q ? w_flags : 4'b0000;
  wire [CntW-1:0] cnt_base   = clr_i ? {CntW{1'b0}} : cnt_q;
  wire            promote    = step_fire_i & (last_i | (cnt_base == NM1));

  assign base_o = (clr_i | pend_q) ? {AccW{1'b0}} : n_q;

  always @* begin
    n_d     = n_q;
    w_d     = pend_q ? w_sum : w_q;
    flags_d = flags_q | pend_flags;
    cnt_d   = cnt_q;
    if (step_fire_i) begin
      n_d     = narrow_i;
      cnt_d   = promote ? {CntW{1'b0}} : (cnt_base + CntOne);
      if (clr_i) begin
        w_d     = init_i;
        flags_d = narrow_flags_i;
      end else begin
        flags_d = flags_q | pend_flags | narrow_flags_i;
      end
    end else begin
      if (pend_q) n_d = {AccW{1'b0}};
      if (clr_fire_i) begin
        n_d     = {AccW{1'b0}};
        w_d     = init_i;
        flags_d = 4'b0000;
        cnt_d   = {CntW{1'b0}};
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      n_q     <= {AccW{1'b0}};
      w_q     <= 32'd0;
      flags_q <= 4'b0000;
      pend_q  <= 1'b0;
      cnt_q   <= {CntW{1'b0}};
    end else begin
      n_q     <= n_d;
      w_q     <= w_d;
      flags_q <= flags_d;
      pend_q  <= promote;
      cnt_q   <= cnt_d;
    end
  end

  assign acc_o   = pend_q ? w_sum : w_q;
  assign flags_o = flags_q | pend_flags;

endmodule
`default_nettype wire

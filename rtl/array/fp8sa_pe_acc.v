`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_pe_acc: the accumulator state of a PE that rounds every step
// (fp8sa_mac_pe, fp8sa_dot_pe; docs/numerics.md sections 8, 9 and 10), so
// both PEs keep one register-and-promotion contract instead of two copies.
//
// GROUP_N = 0 (no promotion): one eXmY register acc_q (X = ACC_EXP_W,
// Y = ACC_MAN_W) and the sticky flags. Per edge:
//   step_fire_i: acc_q <= step_i; flags <= clr_i ? step_flags_i
//                                             : flags | step_flags_i
//   clr_fire_i without step_fire_i: acc_q <= init_i, flags <= 0
// base_o = acc_q and init_sel_o = clr_i: a clr step reads init_i instead
// of base_o, in the PE's own way (fma: the eXmY word init_i; dot: init_i
// read as binary32). acc_o = acc_q, flags_o = the flags (ACC_W bits).
// GROUP_N > 0: fp8sa_pe_promote with that GROUP_N (its header has the
// per-edge rules): base_o is the narrow n (+0 on a clr step and after a
// promotion), init_sel_o = 0, init_i is w's binary32 start value and
// acc_o the binary32 w with the pending add applied.
//
// Latency: one edge. Contract: as fp8sa_pe_promote (step_i never a
// signalling NaN with GROUP_N > 0); a PE without clr alone (dot) ties
// clr_fire_i to 0. Reset (asynchronous, active low): all +0, flags 0.
module fp8sa_pe_acc #(
  parameter integer ACC_EXP_W = 8,   // [4, 8]
  parameter integer ACC_MAN_W = 23,  // [2, 23]
  parameter integer GROUP_N   = 0    // 0 (no promotion) or [1, 65535]: steps per group
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         step_fire_i,   // a step is performed at this edge
  input  wire                         clr_fire_i,    // a clr is performed at this edge
  input  wire                         clr_i,         // the step at the accumulate stage starts a tile
  input  wire                         last_i,        // ... ends a tile (GROUP_N > 0)
  input  wire [((GROUP_N > 0) ? `FP8SA_B32_W - 1 : ACC_EXP_W + ACC_MAN_W):0] init_i,  // INIT_W bits
  input  wire [ACC_EXP_W+ACC_MAN_W:0] step_i,        // the step's rounded result
  input  wire [`FP8SA_FLAG_W-1:0]     step_flags_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] base_o,        // the step's eXmY accumulator operand
  output wire                         init_sel_o,    // the step reads init_i, not base_o
  output wire [((GROUP_N > 0) ? `FP8SA_B32_W - 1 : ACC_EXP_W + ACC_MAN_W):0] acc_o,   // RES_W bits
  output wire [`FP8SA_FLAG_W-1:0]     flags_o
);

  `include "fp8sa_pkg.vh"

  localparam integer AccW = 1 + ACC_EXP_W + ACC_MAN_W;

  // ACC_* and GROUP_N > 0 ranges are checked by fp8sa_pe_promote; the
  // plain register has no other rule.
  generate
    if (GROUP_N < 0) begin : g_err_group_n
      fp8sa_param_error_GROUP_N_not_0_or_1_to_65535 u_param_error ();
    end
  endgenerate

  generate
    if (GROUP_N == 0) begin : g_plain
      reg [AccW-1:0]  acc_q, acc_d;
      reg [FlagW-1:0] flags_q, flags_d;
      wire            last_unused = last_i;

      always @* begin
        acc_d   = acc_q;
        flags_d = flags_q;
        if (step_fire_i) begin
          acc_d   = step_i;
          flags_d = clr_i ? step_flags_i : (flags_q | step_flags_i);
        end else if (clr_fire_i) begin
          acc_d   = init_i;
          flags_d = {FlagW{1'b0}};
        end
      end

      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          acc_q   <= {AccW{1'b0}};
          flags_q <= {FlagW{1'b0}};
        end else begin
          acc_q   <= acc_d;
          flags_q <= flags_d;
        end
      end

      assign base_o     = acc_q;
      assign init_sel_o = clr_i;
      assign acc_o      = acc_q;
      assign flags_o    = flags_q;
    end else begin : g_promote
      fp8sa_pe_promote #(
        .ACC_EXP_W (ACC_EXP_W),
        .ACC_MAN_W (ACC_MAN_W),
        .GROUP_N   (GROUP_N)
      ) u_promote (
        .clk_i          (clk_i),
        .rst_ni         (rst_ni),
        .step_fire_i    (step_fire_i),
        .clr_fire_i     (clr_fire_i),
        .clr_i          (clr_i),
        .last_i         (last_i),
        .init_i         (init_i),
        .narrow_i       (step_i),
        .narrow_flags_i (step_flags_i),
        .base_o         (base_o),
        .acc_o          (acc_o),
        .flags_o        (flags_o)
      );

      assign init_sel_o = 1'b0;
    end
  endgenerate

endmodule
`default_nettype wire

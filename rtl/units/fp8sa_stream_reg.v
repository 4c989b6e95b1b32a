`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_stream_reg: one pipeline register on a valid/ready stream (the
// common_cells stream_register / spill_register family, without the spill
// buffer: full throughput, and ready_o depends combinationally on ready_i).
//
// Contract. A word is taken when valid_i && ready_o and is offered on
// valid_o / data_o from the next cycle until valid_o && ready_i; ready_o =
// !valid_o || ready_i, so a full register that empties this cycle takes the
// next word in the same cycle. data_o holds its last word while valid_o is
// low. Latency: one cycle. Reset (asynchronous, active low): empty, data
// zero (so that nothing downstream sees X).
module fp8sa_stream_reg #(
  parameter integer W = 1   // [1, ...]: word width
) (
  input  wire         clk_i,
  input  wire         rst_ni,
  input  wire         valid_i,
  output wire         ready_o,
  input  wire [W-1:0] data_i,
  output wire         valid_o,
  input  wire         ready_i,
  output wire [W-1:0] data_o
);

  generate
    if (W < 1) begin : g_err_w
      fp8sa_param_error_W_below_1 u_param_error ();
    end
  endgenerate

  reg         v_q;
  reg [W-1:0] d_q;
  wire        load = valid_i & ready_o;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q <= 1'b0;
      d_q <= {W{1'b0}};
    end else begin
      v_q <= load | (v_q & ~ready_i);
      if (load) d_q <= data_i;
    end
  end

  assign ready_o = ~v_q | ready_i;
  assign valid_o = v_q;
  assign data_o  = d_q;

endmodule
`default_nettype wire

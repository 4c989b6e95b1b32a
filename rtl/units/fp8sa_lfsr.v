`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_lfsr: Fibonacci LFSR that hands out DRAW_W random bits per draw
// (docs/numerics.md section 7).
//
// One step: fb = XOR of state[t-1] over the taps t of TAPS(LFSR_W) (Xilinx
// XAPP052 table 3, maximal length), state = {state[LFSR_W-2:0], fb}.
// A draw advances DRAW_W steps; rand_o is the low DRAW_W bits of the state
// after those steps, i.e. the DRAW_W newest sequence bits, oldest in the MSB.
// Consecutive draws therefore use disjoint windows of the m-sequence.
//
// Latency: rand_o is combinational from the state register (it is the draw
// that advance_i consumes at the next clock edge). state_o is the register.
// Contract: seed_i must be non-zero in its low LFSR_W bits when seed_load_i
// is high (a zero state never leaves zero); a simulation-only check reports
// a zero load. seed_load_i wins over advance_i. Reset: state = SEED.
module fp8sa_lfsr #(
  parameter integer LFSR_W = 32,          // [4, 32]
  parameter integer DRAW_W = 16,          // [2, LFSR_W]
  parameter [31:0]  SEED   = 32'h1        // non-zero in the low LFSR_W bits
) (
  input  wire              clk_i,
  input  wire              rst_ni,
  input  wire              seed_load_i,
  input  wire [LFSR_W-1:0] seed_i,
  input  wire              advance_i,
  output wire [DRAW_W-1:0] rand_o,
  output wire [LFSR_W-1:0] state_o
);

  // Tap mask of TAPS(w): bit t-1 set for every tap t (XAPP052 table 3).
  function [31:0] taps_mask;
    input integer w;
    begin
      case (w)
        4:       taps_mask = (32'd1 << 3)  | (32'd1 << 2);
        5:       taps_mask = (32'd1 << 4)  | (32'd1 << 2);
        6:       taps_mask = (32'd1 << 5)  | (32'd1 << 4);
        7:       taps_mask = (32'd1 << 6)  | (32'd1 << 5);
        8:       taps_mask = (32'd1 << 7)  | (32'd1 << 5)  | (32'd1 << 4)  | (32'd1 << 3);
        9:       taps_mask = (32'd1 << 8)  | (32'd1 << 4);
        10:      taps_mask = (32'd1 << 9)  | (32'd1 << 6);
        11:      taps_mask = (32'd1 << 10) | (32'd1 << 8);
        12:      taps_mask = (32'd1 << 11) | (32'd1 << 5)  | (32'd1 << 3)  | (32'd1 << 0);
        13:      taps_mask = (32'd1 << 12) | (32'd1 << 3)  | (32'd1 << 2)  | (32'd1 << 0);
        14:      taps_mask = (32'd1 << 13) | (32'd1 << 4)  | (32'd1 << 2)  | (32'd1 << 0);
        15:      taps_mask = (32'd1 << 14) | (32'd1 << 13);
        16:      taps_mask = (32'd1 << 15) | (32'd1 << 14) | (32'd1 << 12) | (32'd1 << 3);
        17:      taps_mask = (32'd1 << 16) | (32'd1 << 13);
        18:      taps_mask = (32'd1 << 17) | (32'd1 << 10);
        19:      taps_mask = (32'd1 << 18) | (32'd1 << 5)  | (32'd1 << 1)  | (32'd1 << 0);
        20:      taps_mask = (32'd1 << 19) | (32'd1 << 16);
        21:      taps_mask = (32'd1 << 20) | (32'd1 << 18);
        22:      taps_mask = (32'd1 << 21) | (32'd1 << 20);
        23:      taps_mask = (32'd1 << 22) | (32'd1 << 17);
        24:      taps_mask = (32'd1 << 23) | (32'd1 << 22) | (32'd1 << 21) | (32'd1 << 16);
        25:      taps_mask = (32'd1 << 24) | (32'd1 << 21);
        26:      taps_mask = (32'd1 << 25) | (32'd1 << 5)  | (32'd1 << 1)  | (32'd1 << 0);
        27:      taps_mask = (32'd1 << 26) | (32'd1 << 4)  | (32'd1 << 1)  | (32'd1 << 0);
        28:      taps_mask = (32'd1 << 27) | (32'd1 << 24);
        29:      taps_mask = (32'd1 << 28) | (32'd1 << 26);
        30:      taps_mask = (32'd1 << 29) | (32'd1 << 5)  | (32'd1 << 3)  | (32'd1 << 0);
        31:      taps_mask = (32'd1 << 30) | (32'd1 << 27);
        32:      taps_mask = (32'd1 << 31) | (32'd1 << 21) | (32'd1 << 1)  | (32'd1 << 0);
        default: taps_mask = 32'd0;  // out of range; elaboration fails below
      endcase
    end
  endfunction

  localparam [31:0] TapsAll = taps_mask(LFSR_W);
  localparam [LFSR_W-1:0] Taps = TapsAll[LFSR_W-1:0];
  localparam [LFSR_W-1:0] SeedInit = SEED[LFSR_W-1:0];

  generate
    if (LFSR_W < 4 || LFSR_W > 32) begin : g_err_lfsr_w
      fp8sa_param_error_LFSR_W_out_of_range_4_to_32 u_param_error ();
    end
    if (DRAW_W < 2 || DRAW_W > LFSR_W) begin : g_err_draw_w
      fp8sa_param_error_DRAW_W_out_of_range_2_to_LFSR_W u_param_error ();
    end
    if (SeedInit == {LFSR_W{1'b0}}) begin : g_err_seed
      fp8sa_param_error_SEED_is_zero_in_low_LFSR_W_bits u_param_error ();
    end
  endgenerate

  reg [LFSR_W-1:0] state_q, state_d;
  reg [LFSR_W-1:0] drawn;  // state after DRAW_W steps
  integer i;

  // DRAW_W steps unrolled into one XOR network.
  always @* begin
    drawn = state_q;
    for (i = 0; i < DRAW_W; i = i + 1) begin
      drawn = {drawn[LFSR_W-2:0], ^(drawn & Taps)};
    end
  end

  always @* begin
    state_d = state_q;
    if (seed_load_i) begin
      state_d = seed_i;
    end else if (advance_i) begin
      state_d = drawn;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= SeedInit;
    end else begin
      state_q <= state_d;
    end
  end

  assign rand_o  = drawn[DRAW_W-1:0];
  assign state_o = state_q;

`ifndef SYNTHESIS
  // A zero state is a fixed point of the register: the SR unit would then
  // only ever see u = 0 (always round up when inexact).
  // Same clocking as the state register, so a load during reset is ignored
  // exactly as the register ignores it.
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // reset: nothing is loaded
    end else if (seed_load_i && (seed_i == {LFSR_W{1'b0}})) begin
      $display("fp8sa ERROR: %m: run-time LFSR seed load of zero (state would stay zero) at time %0t",
               $time);
    end
  end
`endif

endmodule
`default_nettype wire

`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_pe_rand: the stochastic-rounding draw of a PE that draws once per
// step (fp8sa_mac_pe, fp8sa_dot_pe; docs/numerics.md section 5), built
// only where SR is (RND_MODES, as the PEs' parameter).
//
// RND_MODES = 3: an fp8sa_lfsr (DRAW_W = SR_BITS) that advances one draw at
// every edge with advance_i, rand_o = the current draw (SR_BITS bits).
// RND_MODES < 3: no LFSR, rand_o = 0 in the adder's narrowest SR datapath
// (2 bits: RNE and RZ never read it), seed_load_i and seed_i ignored.
//
// Latency: as fp8sa_lfsr (rand_o from the register). Contract: seed_i
// non-zero when seed_load_i. Reset (asynchronous, active low): LFSR = SEED.
module fp8sa_pe_rand #(
  parameter integer SR_BITS   = 16,     // [2, 24], and <= LFSR_W (fp8sa_lfsr checks)
  parameter integer LFSR_W    = 32,     // [4, 32]
  parameter [31:0]  SEED      = 32'h1,  // non-zero in the low LFSR_W bits
  parameter integer RND_MODES = 3       // [1, 3]: the LFSR is built for 3 only
) (
  input  wire                                      clk_i,
  input  wire                                      rst_ni,
  input  wire                                      seed_load_i,
  input  wire [LFSR_W-1:0]                         seed_i,
  input  wire                                      advance_i,
  output wire [((RND_MODES == 3) ? SR_BITS : 2)-1:0] rand_o   // AddSrBits
);

  localparam integer AddSrBits = (RND_MODES == 3) ? SR_BITS : 2;

  // RND_MODES is checked by the PEs (fp8sa_pe_checks.vh).
  generate
    if (RND_MODES == 3) begin : g_lfsr
      wire [LFSR_W-1:0] lfsr_state_unused;

      fp8sa_lfsr #(
        .LFSR_W (LFSR_W),
        .DRAW_W (SR_BITS),
        .SEED   (SEED)
      ) u_lfsr (
        .clk_i       (clk_i),
        .rst_ni      (rst_ni),
        .seed_load_i (seed_load_i),
        .seed_i      (seed_i),
        .advance_i   (advance_i),
        .rand_o      (rand_o),
        .state_o     (lfsr_state_unused)
      );
    end else begin : g_no_lfsr
      assign rand_o = {AddSrBits{1'b0}};
      wire   inputs_unused = ^{clk_i, rst_ni, seed_load_i, seed_i, advance_i};
    end
  endgenerate

endmodule
`default_nettype wire

`default_nettype none
// fp8sa_mac_pe: the MAC processing element (docs/numerics.md section 8).
//
// Holds the accumulator acc_q (format eXmY), the sticky flags flags_q and
// an LFSR (DRAW_W = SR_BITS) for stochastic rounding. Per clock edge:
//   clr_i en_i | acc_q next                  | flags_q next
//     0    0   | acc_q                       | flags_q
//     1    0   | init_i                      | 0
//     0    1   | round(acc_q  + a * b)       | flags_q | f
//     1    1   | round(init_i + a * b)       | f
// f = flags of that MAC. The LFSR advances one draw on every cycle with
// en_i high, whatever rnd_i is, and that cycle's MAC uses the draw.
//
// Latency: one cycle. A MAC issued with en_i at edge n is visible on acc_o
// after edge n; a MAC may be issued every cycle. The multiply, align, add
// and round are one combinational path (fp8sa_mac).
// Reset (asynchronous, active low): acc_q = +0, flags_q = 0, LFSR = SEED.
// Contract: rnd_i = 3 is reserved (behaves as RNE; a simulation-only check
// reports it on an issued MAC); seed_i non-zero when seed_load_i.
module fp8sa_mac_pe #(
  parameter integer ACC_EXP_W = 8,      // [4, 8]
  parameter integer ACC_MAN_W = 23,     // [2, 23]
  parameter integer SR_BITS   = 16,     // [2, 24], and <= LFSR_W
  parameter integer LFSR_W    = 32,     // [4, 32]
  parameter [31:0]  SEED      = 32'h1   // non-zero in the low LFSR_W bits
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         en_i,
  input  wire                         clr_i,
  input  wire [ACC_EXP_W+ACC_MAN_W:0] init_i,       // ACC_W bits
  input  wire [7:0]                   a_i,
  input  wire                         fmt_a_i,      // 0 E4M3, 1 E5M2
  input  wire [7:0]                   b_i,
  input  wire                         fmt_b_i,
  input  wire [1:0]                   rnd_i,
  input  wire                         seed_load_i,
  input  wire [LFSR_W-1:0]            seed_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] acc_o,        // ACC_W bits
  output wire [3:0]                   flags_o
);

  `include "fp8sa_pkg.vh"

  localparam integer AccW = 1 + ACC_EXP_W + ACC_MAN_W;

  // ACC_*, SR_BITS, LFSR_W and SEED ranges are checked by the submodules;
  // this is the one cross-parameter rule, named for the PE's parameters.
  generate
    if (SR_BITS > LFSR_W) begin : g_err_sr_lfsr
      fp8sa_param_error_SR_BITS_exceeds_LFSR_W u_param_error ();
    end
  endgenerate

  reg  [AccW-1:0]    acc_q, acc_d;
  reg  [3:0]         flags_q, flags_d;
  wire [SR_BITS-1:0] rand_w;
  wire [AccW-1:0]    mac_acc;
  wire [3:0]         mac_flags;
  wire [LFSR_W-1:0]  lfsr_state_unused;

  fp8sa_lfsr #(
    .LFSR_W (LFSR_W),
    .DRAW_W (SR_BITS),
    .SEED   (SEED)
  ) u_lfsr (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .seed_load_i (seed_load_i),
    .seed_i      (seed_i),
    .advance_i   (en_i),
    .rand_o      (rand_w),
    .state_o     (lfsr_state_unused)
  );

  fp8sa_mac #(
    .ACC_EXP_W (ACC_EXP_W),
    .ACC_MAN_W (ACC_MAN_W),
    .SR_BITS   (SR_BITS)
  ) u_mac (
    .acc_i   (clr_i ? init_i : acc_q),
    .a_i     (a_i),
    .fmt_a_i (fmt_a_i),
    .b_i     (b_i),
    .fmt_b_i (fmt_b_i),
    .rnd_i   (rnd_i),
    .rand_i  (rand_w),
    .acc_o   (mac_acc),
    .flags_o (mac_flags)
  );

  always @* begin
    acc_d   = acc_q;
    flags_d = flags_q;
    if (en_i) begin
      acc_d   = mac_acc;
      flags_d = clr_i ? mac_flags : (flags_q | mac_flags);
    end else if (clr_i) begin
      acc_d   = init_i;
      flags_d = 4'b0000;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q   <= {AccW{1'b0}};
      flags_q <= 4'b0000;
    end else begin
      acc_q   <= acc_d;
      flags_q <= flags_d;
    end
  end

  assign acc_o   = acc_q;
  assign flags_o = flags_q;

`ifndef SYNTHESIS
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // reset: no MAC issued
    end else if (en_i && (rnd_i == RndReserved)) begin
      $display("fp8sa ERROR: %m: MAC issued with reserved rounding mode 3 (treated as RNE) at time %0t",
               $time);
    end
  end
`endif

endmodule
`default_nettype wire

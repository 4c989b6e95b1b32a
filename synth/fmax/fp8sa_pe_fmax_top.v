`default_nettype none
// fp8sa_pe_fmax_top: fp8sa_mac_pe wrapped in registers for an Fmax
// estimate (synth/fmax.sh, nextpnr-ice40): every PE input comes from a
// serial-in shift register and the XOR of every PE output is registered, so
// that each PE path is register to register and the wrapper needs four pins
// (clock, reset, serial in, one output). The shift register and the XOR
// tree add their own paths; they are short next to the PE's.
module fp8sa_pe_fmax_top #(
  parameter integer ACC_EXP_W  = 8,
  parameter integer ACC_MAN_W  = 23,
  parameter integer SR_BITS    = 16,
  parameter integer LFSR_W     = 32,
  parameter integer RND_MODES  = 3,
  parameter integer MUL_STAGES = 0
) (
  input  wire clk_i,
  input  wire rst_ni,
  input  wire sin_i,
  output wire xor_o
);
  localparam integer AccW = 1 + ACC_EXP_W + ACC_MAN_W;
  // [0] adv, [1] en, [2] clr, init, a, fmt_a, b, fmt_b, rnd, seed_load, seed, tag
  localparam integer InW  = 3 + AccW + 8 + 1 + 8 + 1 + 2 + 1 + LFSR_W + 1;

  reg  [InW-1:0]  in_q;
  reg             xor_q;
  wire [AccW-1:0] acc;
  wire [3:0]      flags;
  wire            fire;
  wire            tag;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_q  <= {InW{1'b0}};
      xor_q <= 1'b0;
    end else begin
      in_q  <= {in_q[InW-2:0], sin_i};
      xor_q <= ^{acc, flags, fire, tag};
    end
  end

  fp8sa_mac_pe #(
    .ACC_EXP_W  (ACC_EXP_W),
    .ACC_MAN_W  (ACC_MAN_W),
    .SR_BITS    (SR_BITS),
    .LFSR_W     (LFSR_W),
    .RND_MODES  (RND_MODES),
    .MUL_STAGES (MUL_STAGES),
    .TAG_W      (1)
  ) u_pe (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .adv_i       (in_q[0]),
    .tag_i       (in_q[24 + AccW + LFSR_W]),
    .en_i        (in_q[1]),
    .clr_i       (in_q[2]),
    .last_i      (1'b0),        // PROMOTE_N = 0: unused
    .init_i      (in_q[3 +: AccW]),
    .a_i         (in_q[3 + AccW +: 8]),
    .fmt_a_i     (in_q[11 + AccW]),
    .b_i         (in_q[12 + AccW +: 8]),
    .fmt_b_i     (in_q[20 + AccW]),
    .rnd_i       (in_q[21 + AccW +: 2]),
    .seed_load_i (in_q[23 + AccW]),
    .seed_i      (in_q[24 + AccW +: LFSR_W]),
    .acc_o       (acc),
    .flags_o     (flags),
    .acc_fire_o  (fire),
    .acc_tag_o   (tag)
  );

  assign xor_o = xor_q;
endmodule
`default_nettype wire

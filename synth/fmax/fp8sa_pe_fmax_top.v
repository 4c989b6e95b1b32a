`default_nettype none
// fp8sa_pe_fmax_top: one PE of any kind (the socket fp8sa_pe, as
// fp8sa_array_cell instantiates it) wrapped in
// registers for an Fmax estimate (synth/fmax_one.sh, nextpnr-ice40): every
// PE input comes from a serial-in shift register and the XOR of every PE
// output is registered, so that each PE path is register to register and
// the wrapper needs four pins (clock, reset, serial in, one output). The
// shift register and the XOR tree add their own paths; they are short next
// to the PE's. PROMOTE_N is 0 (last_i is unused).
module fp8sa_pe_fmax_top #(
  parameter integer ACC_EXP_W  = 8,
  parameter integer ACC_MAN_W  = 23,
  parameter integer SR_BITS    = 16,
  parameter integer LFSR_W     = 32,
  parameter integer RND_MODES  = 3,
  parameter integer MUL_STAGES = 0,
  parameter integer PE_KIND    = 0,   // 0 fma, 1 dot, 2 exact (fp8sa_pkg.vh PeKind*)
  parameter integer DOT_N      = 1,
  parameter integer ALIGN_BITS = 13,
  parameter integer SR_KIND    = 0
) (
  input  wire clk_i,
  input  wire rst_ni,
  input  wire sin_i,
  output wire xor_o
);
  localparam integer AccW  = 1 + ACC_EXP_W + ACC_MAN_W;
  // The init word: binary32 for the dot and exact kinds, eXmY for fma.
  localparam integer InitW = (PE_KIND != 0) ? 32 : AccW;
  localparam integer AW    = 8 * DOT_N;
  // The shift register's fields, low to high:
  //   [0] adv, [1] en, [2] clr, init, a, fmt_a, b, fmt_b, rnd, seed_load, seed, tag
  localparam integer InitLsb = 3;
  localparam integer ALsb    = InitLsb + InitW;
  localparam integer FmtA    = ALsb + AW;
  localparam integer BLsb    = FmtA + 1;
  localparam integer FmtB    = BLsb + AW;
  localparam integer RndLsb  = FmtB + 1;
  localparam integer SeedLd  = RndLsb + 2;
  localparam integer SeedLsb = SeedLd + 1;
  localparam integer Tag     = SeedLsb + LFSR_W;
  localparam integer InW     = Tag + 1;

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

  fp8sa_pe #(
    .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS), .LFSR_W(LFSR_W),
    .RND_MODES(RND_MODES), .MUL_STAGES(MUL_STAGES), .TAG_W(1), .PE_KIND(PE_KIND), .DOT_N(DOT_N),
    .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
  ) u_pe (
    .clk_i(clk_i), .rst_ni(rst_ni), .adv_i(in_q[0]), .tag_i(in_q[Tag]), .en_i(in_q[1]),
    .clr_i(in_q[2]), .last_i(1'b0), .init_i(in_q[InitLsb +: InitW]), .a_i(in_q[ALsb +: AW]),
    .fmt_a_i(in_q[FmtA]), .b_i(in_q[BLsb +: AW]), .fmt_b_i(in_q[FmtB]), .rnd_i(in_q[RndLsb +: 2]),
    .seed_load_i(in_q[SeedLd]), .seed_i(in_q[SeedLsb +: LFSR_W]),
    .acc_o(acc), .flags_o(flags), .acc_fire_o(fire), .acc_tag_o(tag)
  );

  assign xor_o = xor_q;
endmodule
`default_nettype wire

`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_pe: the PE socket (docs/array.md "PE kinds"). PE_KIND picks one of
// three siblings with one parameter list and one port list, as Ibex picks
// its multiplier:
//   PeKindFma   fp8sa_mac_pe   one rounding per product (numerics.md 10.1)
//   PeKindDot   fp8sa_dot_pe   DOT_N products fused in an aligned window (10.2)
//   PeKindExact fp8sa_exact_pe fixed-point accumulator, one rounding per tile (10.3)
// The socket adds no logic, no register and no path: every port is the
// picked PE's. It exists so that the kinds are wired in one place
// (fp8sa_array_cell, and synth/fmax's Fmax wrapper, instantiate it).
//
// Words: init_i is INIT_W bits (binary32 for dot and exact, and for fma with
// PROMOTE_N > 0; else the eXmY accumulator word, ACC_W = 1 + ACC_EXP_W +
// ACC_MAN_W); acc_o is RES_W bits (binary32 with PROMOTE_N > 0, else ACC_W).
// The parameters' ranges are checked by the PE picked and its submodules;
// PE_KIND here.
module fp8sa_pe #(
  parameter integer ACC_EXP_W  = 8,      // [4, 8]
  parameter integer ACC_MAN_W  = 23,     // [2, 23]
  parameter integer SR_BITS    = 16,     // [2, 24], and <= LFSR_W
  parameter integer LFSR_W     = 32,     // [4, 32]
  parameter [31:0]  SEED       = 32'h1,  // non-zero in the low LFSR_W bits
  parameter integer RND_MODES  = 3,      // [1, 3]: 1 RNE, 2 RNE+RZ, 3 RNE+RZ+SR
  parameter integer MUL_STAGES = 0,      // [0, 2]: product pipeline registers
  parameter integer TAG_W      = 1,      // [1, 8]: bits of tag_i carried along
  parameter integer PROMOTE_N  = 0,      // 0 (off) or [2, 65535], a multiple of DOT_N (exact: 0)
  parameter integer PE_KIND    = 0,      // [0, 2]: PeKindFma, PeKindDot, PeKindExact
  parameter integer DOT_N      = 1,      // 1, 2, 4, .., 64 (fma: 1): products per step
  parameter integer ALIGN_BITS = 13,     // [1, 48]: dot's window fraction bits
  parameter integer SR_KIND    = 0       // [0, 2]: SR construction (fp8sa_round)
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         adv_i,        // pipeline advance (MUL_STAGES > 0)
  input  wire [TAG_W-1:0]             tag_i,
  input  wire                         en_i,         // issue a step
  input  wire                         clr_i,        // the step starts a tile (with en_i)
  input  wire                         last_i,       // the step ends a tile
  input  wire [((PE_KIND != 0 || PROMOTE_N > 0) ? `FP8SA_B32_W-1 : ACC_EXP_W + ACC_MAN_W):0] init_i,  // INIT_W
  input  wire [DOT_N*`FP8SA_FP8_W-1:0] a_i,         // product i: a_i[8i +: 8]
  input  wire                         fmt_a_i,      // 0 E4M3, 1 E5M2
  input  wire [DOT_N*`FP8SA_FP8_W-1:0] b_i,
  input  wire                         fmt_b_i,
  input  wire [`FP8SA_RND_W-1:0]      rnd_i,
  input  wire                         seed_load_i,
  input  wire [LFSR_W-1:0]            seed_i,
  output wire [((PROMOTE_N > 0) ? `FP8SA_B32_W-1 : ACC_EXP_W + ACC_MAN_W):0] acc_o,  // RES_W
  output wire [`FP8SA_FLAG_W-1:0]     flags_o,
  output wire                         acc_fire_o,   // the next edge performs a step
  output wire [TAG_W-1:0]             acc_tag_o     // its tag_i
);

  `include "fp8sa_pkg.vh"

  generate
    if (PE_KIND < PeKindFma || PE_KIND > PeKindExact) begin : g_err_pe_kind
      fp8sa_param_error_PE_KIND_out_of_range_0_to_2 u_param_error ();
    end
    if (PE_KIND == PeKindDot) begin : g_dot
      fp8sa_dot_pe #(
        .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED),
        .RND_MODES(RND_MODES), .MUL_STAGES(MUL_STAGES), .TAG_W(TAG_W), .PROMOTE_N(PROMOTE_N), .DOT_N(DOT_N),
        .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
      ) u_pe (
        .clk_i(clk_i), .rst_ni(rst_ni), .adv_i(adv_i), .tag_i(tag_i), .en_i(en_i), .clr_i(clr_i),
        .last_i(last_i), .init_i(init_i), .a_i(a_i), .fmt_a_i(fmt_a_i), .b_i(b_i), .fmt_b_i(fmt_b_i),
        .rnd_i(rnd_i), .seed_load_i(seed_load_i), .seed_i(seed_i),
        .acc_o(acc_o), .flags_o(flags_o), .acc_fire_o(acc_fire_o), .acc_tag_o(acc_tag_o)
      );
    end else if (PE_KIND == PeKindExact) begin : g_exact
      fp8sa_exact_pe #(
        .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED),
        .RND_MODES(RND_MODES), .MUL_STAGES(MUL_STAGES), .TAG_W(TAG_W), .PROMOTE_N(PROMOTE_N), .DOT_N(DOT_N),
        .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
      ) u_pe (
        .clk_i(clk_i), .rst_ni(rst_ni), .adv_i(adv_i), .tag_i(tag_i), .en_i(en_i), .clr_i(clr_i),
        .last_i(last_i), .init_i(init_i), .a_i(a_i), .fmt_a_i(fmt_a_i), .b_i(b_i), .fmt_b_i(fmt_b_i),
        .rnd_i(rnd_i), .seed_load_i(seed_load_i), .seed_i(seed_i),
        .acc_o(acc_o), .flags_o(flags_o), .acc_fire_o(acc_fire_o), .acc_tag_o(acc_tag_o)
      );
    end else begin : g_fma
      fp8sa_mac_pe #(
        .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED),
        .RND_MODES(RND_MODES), .MUL_STAGES(MUL_STAGES), .TAG_W(TAG_W), .PROMOTE_N(PROMOTE_N), .DOT_N(DOT_N),
        .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
      ) u_pe (
        .clk_i(clk_i), .rst_ni(rst_ni), .adv_i(adv_i), .tag_i(tag_i), .en_i(en_i), .clr_i(clr_i),
        .last_i(last_i), .init_i(init_i), .a_i(a_i), .fmt_a_i(fmt_a_i), .b_i(b_i), .fmt_b_i(fmt_b_i),
        .rnd_i(rnd_i), .seed_load_i(seed_load_i), .seed_i(seed_i),
        .acc_o(acc_o), .flags_o(flags_o), .acc_fire_o(acc_fire_o), .acc_tag_o(acc_tag_o)
      );
    end
  endgenerate

endmodule
`default_nettype wire

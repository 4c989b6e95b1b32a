`default_nettype none
`include "fp8sa_widths.vh"
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
// Latency: one cycle with MUL_STAGES = 0: a MAC issued with en_i at edge n
// is visible on acc_o after edge n; a MAC may be issued every cycle. The
// multiply, align, add and round are then one combinational path.
// Pipelined (MUL_STAGES = S > 0, docs/array.md "Pipelined PE"): S
// registers between the FP8 product (fp8sa_fp8_mul) and the accumulate
// loop (fp8sa_mac_acc, which still takes one cycle per MAC). They move on
// every edge with adv_i high and hold otherwise. An operation (en_i, clr_i,
// a, b, formats, rnd_i, tag_i) issued at an edge n with adv_i high is
// performed by the table above at the S-th edge with adv_i high after n;
// init_i is read at that edge, and the LFSR draw is taken there, so the
// sequence of results and draws is that of S = 0, S advances later. No
// hazard: the accumulator is read only by the accumulate stage itself.
// acc_fire_o is high in the cycle before an edge that performs a MAC (en
// at the accumulate stage, and adv_i for S > 0) and acc_tag_o is that
// operation's tag_i, for the caller's bookkeeping (fp8sa_array_cell: done,
// init select); with S = 0 they are en_i and tag_i.
// Reset (asynchronous, active low): acc_q = +0, flags_q = 0, LFSR = SEED.
// Contract: rnd_i = 3 is reserved (behaves as RNE; a simulation-only check
// reports it on an issued MAC); seed_i non-zero when seed_load_i; with
// S > 0, en_i and clr_i only with adv_i high (adv_i is unused for S = 0).
// RND_MODES (area exploration, docs/area.md; the array uses 3): the
// rounding modes built in hardware. 1 = RNE only, 2 = RNE and RZ, 3 = RNE,
// RZ and SR. A mode that is not built behaves as RNE (rnd_i is mapped
// before the adder, so the unbuilt rounding logic folds away); without SR
// there is no LFSR (seed_load_i and seed_i are ignored) and the adder is
// built with the narrowest SR datapath (2 bits): RNE and RZ read only the
// guard and sticky bits, which do not depend on SR_BITS (numerics.md).
// PROMOTE_N (docs/numerics.md "Promotion"; 0 = off, the hardware above,
// bit for bit): N in [2, 65535] adds a binary32 accumulator w (RNE, no
// random bits) to the narrow one n. Each MAC updates n as the table above
// with +0 for init (clr starts a tile: n = +0, w = init_i, a binary32
// word); the N-th MAC since the last promotion, and a MAC with last_i
// (the tile's last product, carried with the operation), promote: at the
// next edge w = RNE32(w + widen(n)) and the MAC of that edge reads n = +0.
// acc_o is w with that pending add applied (combinational from w and n,
// one adder deep), so it shows the tile's binary32 result right after the
// edge of its last MAC, as acc_o does without promotion, and a next
// tile's first MAC may follow at once; flags_o likewise includes the
// pending add's flags. init_i and acc_o are then 32 bits wide (ResW; ACC_W without promotion).
// The accumulator registers (and the promotion's) are fp8sa_pe_acc (shared
// with fp8sa_dot_pe).
// The PE socket (docs/rtl.md): this is the fma kind (numerics.md section
// 10) of three siblings with one parameter and port list (fp8sa_dot_pe,
// fp8sa_exact_pe). A step is one MAC: DOT_N must be 1 (a_i, b_i are one
// code each); ALIGN_BITS is not used; SR_KIND picks the SR construction
// of the adder's rounding (numerics.md section 5).
module fp8sa_mac_pe #(
  parameter integer ACC_EXP_W = 8,      // [4, 8]
  parameter integer ACC_MAN_W = 23,     // [2, 23]
  parameter integer SR_BITS   = 16,     // [2, 24], and <= LFSR_W
  parameter integer LFSR_W    = 32,     // [4, 32]
  parameter [31:0]  SEED      = 32'h1,  // non-zero in the low LFSR_W bits
  parameter integer RND_MODES = 3,      // [1, 3]: 1 RNE, 2 RNE+RZ, 3 RNE+RZ+SR
  parameter integer MUL_STAGES = 0,     // [0, 2]: product pipeline registers
  parameter integer TAG_W     = 1,      // [1, 8]: bits of tag_i carried along
  parameter integer PROMOTE_N = 0,      // 0 (off) or [2, 65535]: promotion interval
  // The rest of the PE socket's parameters (docs/rtl.md "The PE socket"):
  parameter integer DOT_N     = 1,      // 1 only: one product per step (fma)
  parameter integer ALIGN_BITS = 13,    // [1, 48]; not used by fma
  parameter integer SR_KIND   = 0       // [0, 2]: SR construction (fp8sa_round)
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         adv_i,        // pipeline advance (MUL_STAGES > 0)
  input  wire [TAG_W-1:0]             tag_i,
  input  wire                         en_i,
  input  wire                         clr_i,
  input  wire                         last_i,       // the tile's last MAC (PROMOTE_N > 0)
  input  wire [((PROMOTE_N > 0) ? `FP8SA_B32_W-1 : ACC_EXP_W + ACC_MAN_W):0] init_i,  // INIT_W bits
  input  wire [DOT_N*`FP8SA_FP8_W-1:0]           a_i,          // DOT_N (= 1) FP8 codes
  input  wire                         fmt_a_i,      // 0 E4M3, 1 E5M2
  input  wire [DOT_N*`FP8SA_FP8_W-1:0]           b_i,
  input  wire                         fmt_b_i,
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,
  input  wire                         seed_load_i,
  input  wire [LFSR_W-1:0]            seed_i,
  output wire [((PROMOTE_N > 0) ? `FP8SA_B32_W-1 : ACC_EXP_W + ACC_MAN_W):0] acc_o,   // RES_W bits
  output wire [`FP8SA_FLAG_W-1:0]                   flags_o,
  output wire                         acc_fire_o,   // the next edge performs a MAC
  output wire [TAG_W-1:0]             acc_tag_o     // its tag_i
);

  `include "fp8sa_pkg.vh"

  localparam integer AccW = 1 + ACC_EXP_W + ACC_MAN_W;
  // The pipeline carries last_i with the tag; without promotion nothing
  // reads it (fp8sa_pe_acc) and synthesis removes its flops.
  localparam integer XTagW = TAG_W + 1;

  // ACC_*, LFSR_W and SEED ranges are checked by the submodules; the
  // ranges every PE kind shares come from fp8sa_pe_checks.vh, the fma
  // PE's own rules follow it.
  localparam integer ClrAlone = 1;   // clr_i without en_i loads init_i
  `include "fp8sa_pe_checks.vh"

  generate
    if (PROMOTE_N < 0 || PROMOTE_N == 1 || PROMOTE_N > 65535) begin : g_err_promote_n
      fp8sa_param_error_PROMOTE_N_not_0_or_2_to_65535 u_param_error ();
    end
    // widen(n) is exact only for a narrow format within binary32.
    if (PROMOTE_N > 0 && (ACC_EXP_W > 8 || ACC_MAN_W > 23)) begin : g_err_promote_acc
      fp8sa_param_error_PROMOTE_N_needs_ACC_within_e8m23 u_param_error ();
    end
    if (DOT_N != 1) begin : g_err_dot_n
      fp8sa_param_error_DOT_N_must_be_1_for_the_fma_PE u_param_error ();
    end
  endgenerate

  // SR bits of the adder: SR_BITS with SR built, else the minimum.
  localparam integer AddSrBits = (RND_MODES == 3) ? SR_BITS : 2;

  wire [AddSrBits-1:0] rand_w;
  wire [AccW-1:0]    mac_acc;
  wire [AccW-1:0]    mac_base;   // the accumulator operand of this edge's MAC
  wire [3:0]         mac_flags;

  // The rounding mode the adder sees: modes not built map to RNE.
  wire [1:0] rnd_built = (RND_MODES == 1)                       ? RndRne :
                         ((RND_MODES == 2) && (rnd_i == RndSr)) ? RndRne : rnd_i;

  // ---------------------------------------------------------------------
  // Product, then MUL_STAGES pipeline registers (an operation word: the
  // unpacked product and what the accumulate stage needs with it).
  // ---------------------------------------------------------------------
  wire       p_sign, p_zero, p_inf, p_nan, p_invalid;
  wire [9:0] p_exp;
  wire [7:0] p_sig;

  fp8sa_fp8_mul u_mul (
    .a_i            (a_i[7:0]),
    .fmt_a_i        (fmt_a_i),
    .b_i            (b_i[7:0]),
    .fmt_b_i        (fmt_b_i),
    .prod_sign_o    (p_sign),
    .prod_exp_o     (p_exp),
    .prod_sig_o     (p_sig),
    .prod_zero_o    (p_zero),
    .prod_inf_o     (p_inf),
    .prod_nan_o     (p_nan),
    .prod_invalid_o (p_invalid)
  );

  // Operation word: {xtag, en, clr, rnd, sign, exp, sig, zero, inf, nan, invalid},
  // xtag = {last_i, tag_i}.
  wire [XTagW-1:0] xtag_i = {last_i, tag_i};
  localparam integer OpW = XTagW + 2 + 2 + 1 + 10 + 8 + 4;
  wire [OpW-1:0] op_issue = {xtag_i, en_i, clr_i, rnd_built, p_sign, p_exp, p_sig,
                             p_zero, p_inf, p_nan, p_invalid};
  wire [OpW-1:0] op_acc;  // the operation at the accumulate stage

  fp8sa_skew #(
    .WIDTH (OpW),
    .DEPTH (MUL_STAGES)   // 0: a wire
  ) u_stages (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .en_i   (adv_i),
    .d_i    (op_issue),
    .q_o    (op_acc)
  );

  wire [XTagW-1:0] s_xtag;
  wire [TAG_W-1:0] s_tag = s_xtag[TAG_W-1:0];
  wire             s_en, s_clr, s_sign, s_zero, s_inf, s_nan, s_invalid;
  wire [1:0]       s_rnd;
  wire [9:0]       s_exp;
  wire [7:0]       s_sig;
  assign {s_xtag, s_en, s_clr, s_rnd, s_sign, s_exp, s_sig, s_zero, s_inf, s_nan, s_invalid} = op_acc;

  // The accumulate stage acts on this edge (S > 0: only on an advance).
  wire acc_go   = (MUL_STAGES == 0) | adv_i;
  wire mac_fire = s_en & acc_go;
  wire clr_fire = s_clr & acc_go;

  // The SR draw, one per step (an LFSR only where SR is built).
  fp8sa_pe_rand #(.SR_BITS(SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED), .RND_MODES(RND_MODES)) u_rand (
    .clk_i(clk_i), .rst_ni(rst_ni), .seed_load_i(seed_load_i), .seed_i(seed_i),
    .advance_i(mac_fire), .rand_o(rand_w));

  fp8sa_mac_acc #(
    .ACC_EXP_W (ACC_EXP_W),
    .ACC_MAN_W (ACC_MAN_W),
    .SR_BITS   (AddSrBits),
    .SR_KIND   (SR_KIND)
  ) u_acc (
    .acc_i          (mac_base),
    .prod_sign_i    (s_sign),
    .prod_exp_i     (s_exp),
    .prod_sig_i     (s_sig),
    .prod_zero_i    (s_zero),
    .prod_inf_i     (s_inf),
    .prod_nan_i     (s_nan),
    .prod_invalid_i (s_invalid),
    .rnd_i          (s_rnd),
    .rand_i         (rand_w),
    .acc_o          (mac_acc),
    .flags_o        (mac_flags)
  );

  // The accumulator register, or with PROMOTE_N > 0 the narrow n and the
  // binary32 w (fp8sa_pe_acc): every MAC is a step, a group is PROMOTE_N
  // MACs. Without promotion a clr MAC starts from the eXmY word init_i.
  wire [AccW-1:0] acc_base;
  wire            acc_init_sel;

  fp8sa_pe_acc #(.ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .GROUP_N(PROMOTE_N)) u_acc_q (
    .clk_i(clk_i), .rst_ni(rst_ni), .step_fire_i(mac_fire), .clr_fire_i(clr_fire),
    .clr_i(s_clr), .last_i(s_xtag[XTagW-1]), .init_i(init_i),
    .step_i(mac_acc), .step_flags_i(mac_flags),
    .base_o(acc_base), .init_sel_o(acc_init_sel), .acc_o(acc_o), .flags_o(flags_o));

  assign mac_base = acc_init_sel ? init_i[AccW-1:0] : acc_base;

  assign acc_fire_o = mac_fire;
  assign acc_tag_o  = s_tag;

endmodule
`default_nettype wire

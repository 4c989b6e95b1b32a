`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_dot_pe: the dot processing element (docs/numerics.md section 10.2,
// PE kind `dot`): each step adds DOT_N exact FP8 products and the
// accumulator c, all aligned to one reference exponent in a window of
// ALIGN_BITS fraction bits, and rounds the sum once into eXmY.
//
// A step (one cycle with en_i at the accumulate stage):
//   terms  = c and the DOT_N products p_i = a_i * b_i (numerics.md 2);
//            c = init_i read as binary32 on a clr step, else the eXmY
//            accumulator acc_q (with PROMOTE_N > 0: the narrow accumulator,
//            +0 on a tile's and a group's first step, see below);
//   E      = max e(t) over the non-zero terms (e(x) = floor(log2 |x|) for a
//            normal x, the format's emin for a subnormal: E4M3 -6, E5M2 -14,
//            eXmY 2 - 2^(X-1), binary32 -126; e(p) = e(a) + e(b), the
//            significand product is not renormalized);
//   t'     = each non-zero term truncated toward zero to a multiple of
//            2^(E - ALIGN_BITS); lost = some t' != t;
//   S      = sum t', exact (two's complement, SumW bits);
//   result = specials (below); all terms zero: -0 iff c and every product
//            are -0, else +0, no flags; S = 0: +0, flags inexact iff lost;
//            otherwise S rounded once into eXmY with rnd_i and this step's
//            SR draw (fp8sa_norm_round, SR_KIND), flags that rounding's,
//            inexact also when lost.
//   Specials: invalid iff a product is 0 * Inf, c is a signalling NaN, or
//   +Inf and -Inf are both terms; NaN (canonical) then or for any NaN
//   term; otherwise an infinite term gives that Inf, no flags.
// Per clock edge (as fp8sa_mac_pe, a step in place of a MAC):
//   en clr | acc_q next             | flags_q next
//    0  x  | acc_q                  | flags_q
//    1  0  | step(c = acc_q)        | flags_q | f
//    1  1  | step(c = init_i, b32)  | f
// The LFSR (DRAW_W = SR_BITS) advances one draw on every step, whatever
// rnd_i is, and that step's SR rounding uses the draw.
//
// PROMOTE_N > 0 (numerics.md 9 and 10: a multiple of DOT_N): c is the
// narrow accumulator n (+0 at a tile's and a group's start) and
// fp8sa_pe_acc (fp8sa_pe_promote) adds n into the binary32 w (RNE) after every
// PROMOTE_N / DOT_N steps and after the tile's last (last_i); init_i is
// w's start value; acc_o is w with the pending add applied (32 bits).
//
// Window: a product's t' / 2^(E - ALIGN_BITS) is below 4 * 2^ALIGN_BITS
// (m(a) * m(b) < 4), c's below 2 * 2^ALIGN_BITS, so |S| / 2^(E -
// ALIGN_BITS) < (4 * DOT_N + 2) * 2^ALIGN_BITS < 2^(ALIGN_BITS + 2 +
// clog2(DOT_N + 1)): SumW = ALIGN_BITS + 2 integer bits + clog2(DOT_N + 1)
// carry bits + a sign bit.
//
// Latency: one cycle plus MUL_STAGES advances, as fp8sa_mac_pe: a step
// issued with en_i at an edge with adv_i (any edge for MUL_STAGES = 0) is
// performed MUL_STAGES advances later (the products through MUL_STAGES
// registers, one fp8sa_skew per product and one for the control), reading
// init_i and the LFSR draw then; acc_fire_o/acc_tag_o are that edge's
// en/tag (en_i/tag_i for MUL_STAGES = 0). A step may be issued every cycle.
// Reset (asynchronous, active low): acc_q = +0, flags_q = 0, LFSR = SEED.
// Contract: clr_i only together with en_i (the array's only use; a
// simulation-only check reports clr_i without en_i, which is ignored);
// rnd_i = 3 is reserved (RNE, reported in simulation); seed_i non-zero when
// seed_load_i; with MUL_STAGES > 0, en_i and clr_i only with adv_i high.
// RND_MODES as fp8sa_mac_pe: modes not built round to nearest even;
// without SR there is no LFSR.
module fp8sa_dot_pe #(
  parameter integer ACC_EXP_W  = 8,      // [4, 8]
  parameter integer ACC_MAN_W  = 23,     // [2, 23]
  parameter integer SR_BITS    = 16,     // [2, 24], and <= LFSR_W
  parameter integer LFSR_W     = 32,     // [4, 32]
  parameter [31:0]  SEED       = 32'h1,  // non-zero in the low LFSR_W bits
  parameter integer RND_MODES  = 3,      // [1, 3]: 1 RNE, 2 RNE+RZ, 3 RNE+RZ+SR
  parameter integer MUL_STAGES = 0,      // [0, 2]: product pipeline registers
  parameter integer TAG_W      = 1,      // [1, 8]: bits of tag_i carried along
  parameter integer PROMOTE_N  = 0,      // 0 (off) or [2, 65535], a multiple of DOT_N
  parameter integer DOT_N      = 1,      // 1, 2, 4, .., 64: products per step
  parameter integer ALIGN_BITS = 13,     // [1, 48]: window fraction bits
  parameter integer SR_KIND    = 0       // [0, 2]: SR construction (fp8sa_round)
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         adv_i,        // pipeline advance (MUL_STAGES > 0)
  input  wire [TAG_W-1:0]             tag_i,
  input  wire                         en_i,         // issue a step
  input  wire                         clr_i,        // the step starts a tile (with en_i)
  input  wire                         last_i,       // the step ends a tile (PROMOTE_N > 0)
  input  wire [`FP8SA_B32_W-1:0]                  init_i,       // INIT_W = 32: binary32 init word
  input  wire [DOT_N*`FP8SA_FP8_W-1:0]           a_i,          // product i: a_i[8i +: 8]
  input  wire                         fmt_a_i,      // 0 E4M3, 1 E5M2
  input  wire [DOT_N*`FP8SA_FP8_W-1:0]           b_i,
  input  wire                         fmt_b_i,
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,
  input  wire                         seed_load_i,
  input  wire [LFSR_W-1:0]            seed_i,
  output wire [((PROMOTE_N > 0) ? `FP8SA_B32_W-1 : ACC_EXP_W + ACC_MAN_W):0] acc_o,  // RES_W bits
  output wire [`FP8SA_FLAG_W-1:0]                   flags_o,
  output wire                         acc_fire_o,   // the next edge performs a step
  output wire [TAG_W-1:0]             acc_tag_o     // its tag_i
);

  `include "fp8sa_pkg.vh"

  // ---------------------------------------------------------------------
  // Parameters
  // ---------------------------------------------------------------------
  localparam integer ExpW   = ACC_EXP_W;
  localparam integer ManW   = ACC_MAN_W;
  localparam integer AccW   = 1 + ExpW + ManW;
  localparam integer Bias   = (1 << (ExpW - 1)) - 1;
  localparam integer AB     = ALIGN_BITS;
  localparam integer NT     = DOT_N + 1;                 // terms: DOT_N products and c
  localparam integer TW     = AB + 2;                    // t' / 2^(E - AB): 2 integer bits
  localparam integer SumW   = TW + $clog2(NT) + 1;       // S, two's complement
  localparam integer GP     = (AB < 6) ? 6 - AB : 0;     // product bits below the window
  localparam integer GC     = (AB < 23) ? 23 - AB : 0;   // c bits below the window
  localparam integer PFW    = TW + GP;                   // product field
  localparam integer CFW    = TW + GC;                   // c field
  localparam integer P2     = 1 << $clog2(NT);           // leaves of the max / sum trees
  // The pipeline carries last_i with the tag; without promotion nothing
  // reads it (fp8sa_pe_acc) and synthesis removes its flops.
  localparam integer XTagW  = TAG_W + 1;
  localparam integer GroupN = (PROMOTE_N > 0) ? PROMOTE_N / DOT_N : 0;  // fp8sa_pe_acc
  // Product word at the pipeline: {sign, e(p) (7 bits, signed, [-28, 30]),
  // m(a)*m(b) (8 bits, 2 integer and 6 fraction bits), zero, inf, nan, invalid}.
  localparam integer PW     = 1 + 7 + 8 + 4;
  localparam integer CtlW   = XTagW + 1 + 1 + RndW;     // {xtag, en, clr, rnd}
  localparam integer AddSrBits = (RND_MODES == 3) ? SR_BITS : 2;

  localparam [AccW-1:0] CanonNan = {1'b0, {ExpW{1'b1}}, 1'b1, {(ManW - 1){1'b0}}};
  localparam [ExpW+ManW-1:0] InfMag = {{ExpW{1'b1}}, {ManW{1'b0}}};
  localparam integer BiasOff = 128 - Bias;               // e(c) + 128 = max(e, 1) + BiasOff

  localparam integer ClrAlone = 0;   // clr_i without en_i is ignored
  `include "fp8sa_pe_checks.vh"

  generate
    if (ACC_EXP_W < 4 || ACC_EXP_W > 8) begin : g_err_exp_w
      fp8sa_param_error_ACC_EXP_W_out_of_range_4_to_8 u_param_error ();
    end
    if (ACC_MAN_W < 2 || ACC_MAN_W > 23) begin : g_err_man_w
      fp8sa_param_error_ACC_MAN_W_out_of_range_2_to_23 u_param_error ();
    end
    if (PROMOTE_N < 0 || PROMOTE_N == 1 || PROMOTE_N > 65535) begin : g_err_promote_n
      fp8sa_param_error_PROMOTE_N_not_0_or_2_to_65535 u_param_error ();
    end
    if (DOT_N != 1 && DOT_N != 2 && DOT_N != 4 && DOT_N != 8 && DOT_N != 16 && DOT_N != 32
        && DOT_N != 64) begin : g_err_dot_n
      fp8sa_param_error_DOT_N_not_a_power_of_two_1_to_64 u_param_error ();
    end
    if (PROMOTE_N > 0 && (PROMOTE_N % DOT_N) != 0) begin : g_err_promote_dot
      fp8sa_param_error_PROMOTE_N_not_a_multiple_of_DOT_N u_param_error ();
    end
  endgenerate

  // The rounding mode the step sees: modes not built map to RNE.
  wire [1:0] rnd_built = (RND_MODES == 1)                       ? RndRne :
                         ((RND_MODES == 2) && (rnd_i == RndSr)) ? RndRne : rnd_i;

  // ---------------------------------------------------------------------
  // Products, then MUL_STAGES pipeline registers
  // ---------------------------------------------------------------------
  // fp8sa_fp8_mul gives sig * 2^exp with exp the weight of sig's LSB;
  // e(p) = exp + Ma + Mb (Mf = 3 for E4M3, 2 for E5M2) and m(a) * m(b) =
  // sig / 2^(Ma + Mb), which is sig << (6 - Ma - Mb) with 6 fraction bits.
  wire [1:0] mm_sh = {1'b0, fmt_a_i} + {1'b0, fmt_b_i};   // 6 - Ma - Mb
  wire [6:0] mm_e  = 7'd6 - {5'd0, mm_sh};                  // Ma + Mb

  wire [DOT_N*PW-1:0] pw_issue;
  wire [DOT_N*PW-1:0] pw_acc;     // the products at the accumulate stage

  // The DOT_N products (fp8sa_fp8_mul_n: lane i's word at prods[gi*PrW +: PrW]).
  localparam integer PrW = `FP8SA_PROD_W;
  wire [DOT_N*PrW-1:0] prods;

  fp8sa_fp8_mul_n #(
    .N (DOT_N)
  ) u_mul (
    .a_i     (a_i),
    .fmt_a_i (fmt_a_i),
    .b_i     (b_i),
    .fmt_b_i (fmt_b_i),
    .prod_o  (prods)
  );

  genvar gi, gb;
  generate
    for (gi = 0; gi < DOT_N; gi = gi + 1) begin : g_mul
      wire       p_sign, p_zero, p_inf, p_nan, p_invalid;
      wire [9:0] p_exp;
      wire [7:0] p_sig;
      assign {p_sign, p_exp, p_sig, p_zero, p_inf, p_nan, p_invalid} = prods[gi*PrW +: PrW];

      // p_exp is in [-32, 26] for a finite non-zero product: 7 bits hold it.
      wire [6:0] p_e  = p_exp[6:0] + mm_e;
      wire [7:0] p_m  = p_sig << mm_sh;
      wire [2:0] p_exp_hi_unused = p_exp[9:7];

      assign pw_issue[gi*PW +: PW] = {p_sign, p_e, p_m, p_zero, p_inf, p_nan, p_invalid};
    end
  endgenerate

  fp8sa_skew #(
    .WIDTH (DOT_N * PW),
    .DEPTH (MUL_STAGES)   // 0: a wire
  ) u_stages (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .en_i   (adv_i),
    .d_i    (pw_issue),
    .q_o    (pw_acc)
  );

  // Control word: {xtag, en, clr, rnd}; xtag = {last_i, tag_i}.
  wire [XTagW-1:0] xtag_i = {last_i, tag_i};

  wire [CtlW-1:0] ctl_issue = {xtag_i, en_i, clr_i, rnd_built};
  wire [CtlW-1:0] ctl_acc;

  fp8sa_skew #(
    .WIDTH (CtlW),
    .DEPTH (MUL_STAGES)   // 0: a wire
  ) u_ctl_stages (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .en_i   (adv_i),
    .d_i    (ctl_issue),
    .q_o    (ctl_acc)
  );

  wire [XTagW-1:0] s_xtag;
  wire             s_en, s_clr;
  wire [1:0]       s_rnd;
  assign {s_xtag, s_en, s_clr, s_rnd} = ctl_acc;

  // The accumulate stage acts on this edge (S > 0: only on an advance).
  wire acc_go     = (MUL_STAGES == 0) | adv_i;
  wire step_fire  = s_en & acc_go;

  // ---------------------------------------------------------------------
  // LFSR: one draw per step
  // ---------------------------------------------------------------------
  wire [AddSrBits-1:0] rand_w;

  // The SR draw, one per step (an LFSR only where SR is built).
  fp8sa_pe_rand #(.SR_BITS(SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED), .RND_MODES(RND_MODES)) u_rand (
    .clk_i(clk_i), .rst_ni(rst_ni), .seed_load_i(seed_load_i), .seed_i(seed_i),
    .advance_i(step_fire), .rand_o(rand_w));

  // ---------------------------------------------------------------------
  // The accumulator operand c: e(c) + 128 (8 bits), m(c) with 23 fraction
  // bits, class. c_is_b32: the binary32 init word (a clr step without
  // promotion), else an eXmY word.
  // ---------------------------------------------------------------------
  wire [AccW-1:0] c_word;       // eXmY operand (acc_q, or the narrow n)
  wire            c_is_b32;

  wire [7:0]  b_e  = init_i[30:23];
  wire [22:0] b_m  = init_i[22:0];
  wire [ExpW-1:0] x_e = c_word[ExpW+ManW-1:ManW];
  wire [ManW-1:0] x_m = c_word[ManW-1:0];

  wire [22:0] x_m23;
  generate
    if (ManW < 23) begin : g_m_pad
      assign x_m23 = {x_m, {(23 - ManW){1'b0}}};
    end else begin : g_m_full
      assign x_m23 = x_m;
    end
  endgenerate

  // e(c) + 128 = max(e, 1) - bias + 128, in [2, 255].
  wire [7:0]  b_ue = {b_e[7:1], b_e[0] | ~|b_e} + 8'd1;
  wire [7:0]  x_ue = {{(8 - ExpW){1'b0}}, x_e[ExpW-1:1], x_e[0] | ~|x_e} + BiasOff[7:0];

  wire        c_sign = c_is_b32 ? init_i[31] : c_word[AccW-1];
  wire [7:0]  c_ue   = c_is_b32 ? b_ue : x_ue;
  wire [23:0] c_sig  = c_is_b32 ? {|b_e, b_m} : {|x_e, x_m23};
  wire        c_ones = c_is_b32 ? (&b_e) : (&x_e);
  wire        c_mz   = c_is_b32 ? ~|b_m : ~|x_m;
  wire        c_qbit = c_is_b32 ? b_m[22] : x_m[ManW-1];
  wire        c_zero = ~c_ones & ~|c_sig;
  wire        c_inf  = c_ones & c_mz;
  wire        c_nan  = c_ones & ~c_mz;
  wire        c_snan = c_nan & ~c_qbit;
  wire        c_fin  = ~c_ones & ~c_zero;

  // ---------------------------------------------------------------------
  // Reference exponent E = max e(t) over the non-zero finite terms (a max
  // tree over e + 128, 0 for the other terms)
  // ---------------------------------------------------------------------
  reg  [P2*8-1:0] mx;
  reg  [7:0]      ue_max;
  integer         i_mx, j_mx, l_mx;     // loop indices, one set per block

  always @* begin
    mx = {(P2 * 8){1'b0}};
    for (i_mx = 0; i_mx < DOT_N; i_mx = i_mx + 1) begin
      // finite non-zero: not zero, inf or nan
      if (~|pw_acc[i_mx*PW +: 3] & ~pw_acc[i_mx*PW + 3]) begin
        mx[i_mx*8 +: 8] = {~pw_acc[i_mx*PW + 18], pw_acc[i_mx*PW + 12 +: 7]};   // e(p) + 128
      end
    end
    if (c_fin) mx[DOT_N*8 +: 8] = c_ue;
    // In place: node j of a level is the max of nodes 2j, 2j + 1 of the
    // one below (j < 2j, so no node is read after it is overwritten).
    for (l_mx = P2 / 2; l_mx >= 1; l_mx = l_mx / 2) begin
      for (j_mx = 0; j_mx < l_mx; j_mx = j_mx + 1) begin
        mx[j_mx*8 +: 8] = (mx[(2*j_mx+1)*8 +: 8] > mx[(2*j_mx)*8 +: 8]) ? mx[(2*j_mx+1)*8 +: 8]
                                                                 : mx[(2*j_mx)*8 +: 8];
      end
    end
    ue_max = mx[7:0];
  end

  // ---------------------------------------------------------------------
  // Alignment: each term truncated to the window, t' / 2^(E - AB) as a
  // TW-bit integer; lost if a non-zero bit falls below the window
  // ---------------------------------------------------------------------
  wire [NT*TW-1:0] t_mag;
  wire [NT-1:0]    t_neg;
  wire [NT-1:0]    t_lost;

  generate
    for (gi = 0; gi < DOT_N; gi = gi + 1) begin : g_align
      wire       w_sign = pw_acc[gi*PW + 19];
      wire [6:0] w_e    = pw_acc[gi*PW + 12 +: 7];
      wire [7:0] w_m    = pw_acc[gi*PW + 4 +: 8];
      wire       w_fin  = ~|pw_acc[gi*PW +: 4];
      wire [7:0] w_ue   = {~w_e[6], w_e};           // e(p) + 128
      wire [7:0] sh     = ue_max - w_ue;              // E - e(p) >= 0
      wire [PFW-1:0] p_top;
      if (PFW > 8) begin : g_p_pad
        assign p_top = {w_m, {(PFW - 8){1'b0}}};
      end else begin : g_p_full
        assign p_top = w_m;
      end
      // m(p) at the top of the field: bits PFW-1 .. PFW-8, 6 fraction bits,
      // so the field's unit is 2^-(AB + GP) of 2^E.
      wire [PFW-1:0] fld = p_top >> sh;
      // Trailing zeros of m(p) (non-zero): the lowest set bit is at index
      // tz + PFW - 8, below the window (index < sh + GP) iff tz + AB < sh + 6.
      wire [3:0] tz;
      wire [7:0] w_m_rev;
      for (gb = 0; gb < 8; gb = gb + 1) begin : g_rev
        assign w_m_rev[gb] = w_m[7 - gb];
      end
      fp8sa_lzc #(.WIDTH(8)) u_tz (.in_i(w_m_rev), .cnt_o(tz));
      wire [9:0] lo_bit = {6'd0, tz} + AB[9:0];
      wire [9:0] cut    = {2'd0, sh} + 10'd6;

      assign t_mag[gi*TW +: TW] = w_fin ? fld[PFW-1:GP] : {TW{1'b0}};
      assign t_neg[gi]          = w_sign;
      assign t_lost[gi]         = w_fin & (lo_bit < cut);
      if (GP > 0) begin : g_gp_unused
        wire gp_unused = ^fld[GP-1:0];   // below the window: counted by t_lost
      end
    end
  endgenerate

  // c: m(c) (1 integer, 23 fraction bits) below one zero integer bit.
  wire [7:0]     c_sh  = ue_max - c_ue;                   // E - e(c) >= 0
  wire [CFW-1:0] c_top;
  wire [CFW-1:0] c_fld = c_top >> c_sh;
  wire [23:0]    c_rev;
  wire [4:0]     c_tz;
  generate
    for (gi = 0; gi < 24; gi = gi + 1) begin : g_c_rev
      assign c_rev[gi] = c_sig[23 - gi];
    end
    if (CFW > 25) begin : g_c_pad
      assign c_top = {1'b0, c_sig, {(CFW - 25){1'b0}}};
    end else begin : g_c_full
      assign c_top = {1'b0, c_sig};
    end
    if (GC > 0) begin : g_gc_unused
      wire gc_unused = ^c_fld[GC-1:0];   // below the window: counted by t_lost
    end
  endgenerate
  fp8sa_lzc #(.WIDTH(24)) u_c_tz (.in_i(c_rev), .cnt_o(c_tz));
  // Lowest set bit of m(c) at index tz + CFW - 25, below the window
  // (index < c_sh + GC) iff tz + AB < c_sh + 23.
  wire [9:0] c_lo  = {5'd0, c_tz} + AB[9:0];
  wire [9:0] c_cut = {2'd0, c_sh} + 10'd23;

  assign t_mag[DOT_N*TW +: TW] = c_fin ? c_fld[CFW-1:GC] : {TW{1'b0}};
  assign t_neg[DOT_N]          = c_sign;
  assign t_lost[DOT_N]         = c_fin & (c_lo < c_cut);

  // ---------------------------------------------------------------------
  // S = sum of the signed terms (an adder tree, in place as the max tree)
  // ---------------------------------------------------------------------
  reg [P2*SumW-1:0] sm;
  reg [SumW-1:0]    s_sum;
  integer           i_sm, j_sm, l_sm;

  always @* begin
    for (i_sm = 0; i_sm < P2; i_sm = i_sm + 1) begin
      sm[i_sm*SumW +: SumW] = {SumW{1'b0}};
    end
    for (i_sm = 0; i_sm < NT; i_sm = i_sm + 1) begin
      sm[i_sm*SumW +: SumW] = t_neg[i_sm] ? ({SumW{1'b0}} - {{(SumW - TW){1'b0}}, t_mag[i_sm*TW +: TW]})
                                    : {{(SumW - TW){1'b0}}, t_mag[i_sm*TW +: TW]};
    end
    for (l_sm = P2 / 2; l_sm >= 1; l_sm = l_sm / 2) begin
      for (j_sm = 0; j_sm < l_sm; j_sm = j_sm + 1) begin
        sm[j_sm*SumW +: SumW] = sm[(2*j_sm)*SumW +: SumW] + sm[(2*j_sm+1)*SumW +: SumW];
      end
    end
    s_sum = sm[SumW-1:0];
  end

  wire              s_neg  = s_sum[SumW-1];
  wire [SumW-1:0]   s_abs  = s_neg ? ({SumW{1'b0}} - s_sum) : s_sum;
  wire              s_zero = ~|s_sum;
  wire              lost   = |t_lost;

  // ---------------------------------------------------------------------
  // Round S * 2^(E - AB) once (fp8sa_norm_round)
  // ---------------------------------------------------------------------
  // E - AB = ue_max - 128 - AB, in [-174, 127]: 10 bits signed.
  localparam integer ExpOffI = 128 + AB;
  wire [9:0]      s_exp = {2'b00, ue_max} - ExpOffI[9:0];
  wire [AccW-1:0] nr_res;
  wire [3:0]      nr_flags;

  fp8sa_norm_round #(
    .ACC_EXP_W (ExpW),
    .ACC_MAN_W (ManW),
    .SR_BITS   (AddSrBits),
    .SR_KIND   (SR_KIND),
    .MAG_W     (SumW - 1),
    .EXP_W     (10)
  ) u_round (
    .rnd_i       (s_rnd),
    .rand_i      (rand_w),
    .sign_i      (s_neg),
    .mag_i       (s_abs[SumW-2:0]),
    .exp_i       (s_exp),
    .sticky_i    (1'b0),
    .zero_sign_i (1'b0),
    .res_o       (nr_res),
    .flags_o     (nr_flags)
  );
  wire s_abs_top_unused = s_abs[SumW-1];   // |S| < 2^(SumW - 1)

  // ---------------------------------------------------------------------
  // Special values and the step's result
  // ---------------------------------------------------------------------
  reg  any_nan, any_inv, inf_pos, inf_neg, all_zero, zero_neg;
  reg  [AccW-1:0] step_res;
  reg  [3:0]      step_flags;
  integer         i_sp;

  always @* begin
    any_nan  = c_nan;
    any_inv  = c_snan;
    inf_pos  = c_inf & ~c_sign;
    inf_neg  = c_inf & c_sign;
    all_zero = c_zero;
    zero_neg = c_zero & c_sign;
    for (i_sp = 0; i_sp < DOT_N; i_sp = i_sp + 1) begin
      // {sign, e, m, zero, inf, nan, invalid}: bits 19, .., 3, 2, 1, 0
      any_nan  = any_nan | pw_acc[i_sp*PW + 1];
      any_inv  = any_inv | pw_acc[i_sp*PW + 0];
      inf_pos  = inf_pos | (pw_acc[i_sp*PW + 2] & ~pw_acc[i_sp*PW + 19]);
      inf_neg  = inf_neg | (pw_acc[i_sp*PW + 2] & pw_acc[i_sp*PW + 19]);
      all_zero = all_zero & pw_acc[i_sp*PW + 3];
      zero_neg = zero_neg & pw_acc[i_sp*PW + 3] & pw_acc[i_sp*PW + 19];
    end
    any_inv = any_inv | (inf_pos & inf_neg);
    if (any_nan | any_inv) begin
      step_res   = CanonNan;
      step_flags = {any_inv, 3'b000};
    end else if (inf_pos | inf_neg) begin
      step_res   = {inf_neg, InfMag};
      step_flags = 4'b0000;
    end else if (all_zero) begin
      step_res   = {zero_neg, {(ExpW + ManW){1'b0}}};
      step_flags = 4'b0000;
    end else if (s_zero) begin
      step_res   = {AccW{1'b0}};
      step_flags = {3'b000, lost};
    end else begin
      step_res   = nr_res;
      step_flags = nr_flags | {3'b000, lost};
    end
  end

  // ---------------------------------------------------------------------
  // Accumulator registers
  // ---------------------------------------------------------------------
  // The accumulator register, or with PROMOTE_N > 0 the narrow n (the
  // steps' c and result) and the binary32 w, a group PROMOTE_N / DOT_N
  // steps (fp8sa_pe_acc). clr without en is not performed (clr_fire_i 0),
  // so without promotion the register never loads init_i: a clr step reads
  // it as binary32 c (c_is_b32) instead.
  localparam integer PeInitW = (PROMOTE_N > 0) ? B32W : AccW;

  fp8sa_pe_acc #(.ACC_EXP_W(ExpW), .ACC_MAN_W(ManW), .GROUP_N(GroupN)) u_acc_q (
    .clk_i(clk_i), .rst_ni(rst_ni), .step_fire_i(step_fire), .clr_fire_i(1'b0),
    .clr_i(s_clr), .last_i(s_xtag[XTagW-1]), .init_i(init_i[PeInitW-1:0]),
    .step_i(step_res), .step_flags_i(step_flags),
    .base_o(c_word), .init_sel_o(c_is_b32), .acc_o(acc_o), .flags_o(flags_o));

  assign acc_fire_o = step_fire;
  assign acc_tag_o  = s_xtag[TAG_W-1:0];

endmodule
`default_nettype wire

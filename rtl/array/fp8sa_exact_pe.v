`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_exact_pe: the exact processing element (docs/numerics.md section
// 10.3, PE kind `exact`): each step adds its DOT_N exact FP8 products into a
// fixed-point accumulator without rounding; the tile's result is one
// rounding of the init word plus that accumulator into eXmY.
//
// Registers: x_q, an 81-bit two's-complement integer X in units of 2^-32
// (every finite product is an integer number of units below 2^64; a tile
// sums at most 65,535 products, so |X| < 2^80 and nothing overflows);
// sticky bits nan_q (a NaN product, 0 * Inf included), inv_q (0 * Inf),
// infp_q / infm_q (a +Inf / -Inf product), negz_q (every product of the
// tile so far was -0); c_q, the tile's init word (binary32), latched on the
// clr step; rnd_q, the tile's rounding mode (latched on every step).
// Per clock edge with a step (en_i at the accumulate stage):
//   clr: X = sum of the step's products, stickies from the step alone,
//        c_q = init_i;   else: X += the products, stickies OR (negz AND).
// Result (combinational from the registers):
//   acc_o   = v = C + X * 2^-32 (C = c_q read as binary32) rounded once
//             into eXmY with rnd_q and SR word u = the LFSR's
//             state_o[SR_BITS-1:0] (fp8sa_norm_round, SR_KIND);
//             specials: invalid iff inv_q, C a signalling NaN, or +Inf and
//             -Inf both among the infinite products and C; canonical NaN
//             then or for a NaN product or C; else +-Inf for an infinite
//             product or C; else v = 0 gives -0 iff C is -0 and negz_q,
//             else +0;
//   flags_o = that rounding's flags (not a sticky OR of per-step flags: the
//             tile has one rounding).
// The LFSR (DRAW_W = SR_BITS) advances one draw per tile, at the edge that
// performs the tile's last step (en and last at the accumulate stage), so
// after that edge state_o's low SR_BITS bits are the draw the tile's
// rounding uses; acc_o shows the tile's result from that edge on, as the
// accumulator of fp8sa_mac_pe does.
//
// The add C + X (exactly, then one rounding): X's magnitude (80 bits) is
// normalized by a leading-zero count and shift; C's significand (24 bits)
// sits at the top of an 80-bit container. The operand L with the higher
// top-bit exponent (tL) keeps its place in an 84-bit window (a carry bit,
// its 80 bits, two zero bits, a sticky bit); the other is shifted right by
// d = tL - tS, everything shifted below the two zero bits ORed into the
// sticky bit. Why this is exact enough: for d <= 1 nothing reaches the
// sticky bit (the sum is exact, and may cancel to a negative value only for
// d = 0, which is negated). For d >= 2, L is normalized (C is the higher
// operand only when it is normal, or when X = 0 and nothing is shifted),
// so |L +- S| > 2^(tL-1): the result's leading one is at bit 81 or 82, and
// its Y + 1 kept bits and SR's R + 1 bits D (at most 24 + 25 = 49 bits)
// lie above bit 1, where the window's bits equal those of the exact sum;
// bit 0 is non-zero iff the exact sum has bits below bit 1 (the jammed
// sticky of HardFloat's adders). fp8sa_norm_round then normalizes,
// denormalizes below 2^emin, and rounds that 84-bit magnitude.
//
// Latency: a step is one cycle plus MUL_STAGES advances (as fp8sa_dot_pe:
// products and control through MUL_STAGES registers; acc_fire_o/acc_tag_o
// as fp8sa_mac_pe); acc_o/flags_o are combinational from the registers
// (a long path: normalize, align, add, round). A step may be issued every
// cycle. Reset (asynchronous, active low): every register 0 (acc_o = +0),
// LFSR = SEED.
// Contract: clr_i only together with en_i (a simulation-only check
// reports clr_i without en_i, which is ignored); a tile's first step has
// clr_i, its last last_i; rnd_i = 3 is reserved (RNE, reported in
// simulation); at most 65,535 products per tile; seed_i non-zero when
// seed_load_i; with MUL_STAGES > 0, en_i and clr_i only with adv_i high.
// PROMOTE_N must be 0 (one rounding: nothing to promote); ALIGN_BITS is
// not used. RND_MODES as fp8sa_mac_pe.
module fp8sa_exact_pe #(
  parameter integer ACC_EXP_W  = 8,      // [4, 8]
  parameter integer ACC_MAN_W  = 23,     // [2, 23]
  parameter integer SR_BITS    = 16,     // [2, 24], and <= LFSR_W
  parameter integer LFSR_W     = 32,     // [4, 32]
  parameter [31:0]  SEED       = 32'h1,  // non-zero in the low LFSR_W bits
  parameter integer RND_MODES  = 3,      // [1, 3]: 1 RNE, 2 RNE+RZ, 3 RNE+RZ+SR
  parameter integer MUL_STAGES = 0,      // [0, 2]: product pipeline registers
  parameter integer TAG_W      = 1,      // [1, 8]: bits of tag_i carried along
  parameter integer PROMOTE_N  = 0,      // 0 only
  parameter integer DOT_N      = 1,      // 1, 2, 4, .., 64: products per step
  parameter integer ALIGN_BITS = 13,     // [1, 48]; not used by exact
  parameter integer SR_KIND    = 0       // [0, 2]: SR construction (fp8sa_round)
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         adv_i,        // pipeline advance (MUL_STAGES > 0)
  input  wire [TAG_W-1:0]             tag_i,
  input  wire                         en_i,         // issue a step
  input  wire                         clr_i,        // the step starts a tile (with en_i)
  input  wire                         last_i,       // the step ends a tile
  input  wire [`FP8SA_B32_W-1:0]                  init_i,       // INIT_W = 32: binary32 init word
  input  wire [DOT_N*`FP8SA_FP8_W-1:0]           a_i,          // product i: a_i[8i +: 8]
  input  wire                         fmt_a_i,      // 0 E4M3, 1 E5M2
  input  wire [DOT_N*`FP8SA_FP8_W-1:0]           b_i,
  input  wire                         fmt_b_i,
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,
  input  wire                         seed_load_i,
  input  wire [LFSR_W-1:0]            seed_i,
  output wire [ACC_EXP_W+ACC_MAN_W:0] acc_o,        // RES_W = ACC_W bits
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
  localparam integer XW     = 81;                        // X: sign + 80 magnitude bits
  localparam integer PMW    = 64;                        // |p| * 2^32 < 2^64
  localparam integer CW     = 80;                        // operand containers
  localparam integer WinW   = CW + 4;                    // carry, container, 2 zero bits, sticky
  localparam integer VecW   = CW + 2;                    // the shifted operand above the sticky
  localparam integer DShW   = 7;                         // 2^7 - 1 >= VecW: drops all
  localparam integer P2     = 1 << $clog2(DOT_N + 1);    // leaves of the adder tree
  // Product word at the pipeline: {sign, exp + 32 (6 bits), sig (8 bits),
  // zero, inf, nan, invalid}: |p| = sig * 2^(exp + 32) units of 2^-32.
  localparam integer PW     = 1 + 6 + 8 + 4;
  localparam integer CtlW   = TAG_W + 1 + 1 + 1 + RndW; // {tag, en, clr, last, rnd}
  localparam integer AddSrBits = (RND_MODES == 3) ? SR_BITS : 2;

  localparam [AccW-1:0] CanonNan = {1'b0, {ExpW{1'b1}}, 1'b1, {(ManW - 1){1'b0}}};
  localparam [ExpW+ManW-1:0] InfMag = {{ExpW{1'b1}}, {ManW{1'b0}}};

  localparam integer ClrAlone = 0;   // clr_i without en_i is ignored
  `include "fp8sa_pe_checks.vh"

  generate
    if (ACC_EXP_W < 4 || ACC_EXP_W > 8) begin : g_err_exp_w
      fp8sa_param_error_ACC_EXP_W_out_of_range_4_to_8 u_param_error ();
    end
    if (ACC_MAN_W < 2 || ACC_MAN_W > 23) begin : g_err_man_w
      fp8sa_param_error_ACC_MAN_W_out_of_range_2_to_23 u_param_error ();
    end
    if (PROMOTE_N != 0) begin : g_err_promote_n
      fp8sa_param_error_PROMOTE_N_must_be_0_for_the_exact_PE u_param_error ();
    end
    if (DOT_N != 1 && DOT_N != 2 && DOT_N != 4 && DOT_N != 8 && DOT_N != 16 && DOT_N != 32
        && DOT_N != 64) begin : g_err_dot_n
      fp8sa_param_error_DOT_N_not_a_power_of_two_1_to_64 u_param_error ();
    end
  endgenerate

  // The rounding mode: modes not built map to RNE.
  wire [1:0] rnd_built = (RND_MODES == 1)                       ? RndRne :
                         ((RND_MODES == 2) && (rnd_i == RndSr)) ? RndRne : rnd_i;

  // ---------------------------------------------------------------------
  // Products, then MUL_STAGES pipeline registers
  // ---------------------------------------------------------------------
  wire [DOT_N*PW-1:0] pw_issue;
  wire [DOT_N*PW-1:0] pw_acc;

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

  genvar gi;
  generate
    for (gi = 0; gi < DOT_N; gi = gi + 1) begin : g_mul
      wire       p_sign, p_zero, p_inf, p_nan, p_invalid;
      wire [9:0] p_exp;
      wire [7:0] p_sig;
      assign {p_sign, p_exp, p_sig, p_zero, p_inf, p_nan, p_invalid} = prods[gi*PrW +: PrW];

      // p_exp + 32 is in [0, 58] for a finite non-zero product.
      wire [9:0] p_pos = p_exp + 10'd32;
      wire [3:0] p_pos_hi_unused = p_pos[9:6];

      assign pw_issue[gi*PW +: PW] = {p_sign, p_pos[5:0], p_sig, p_zero, p_inf, p_nan, p_invalid};
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

  wire [CtlW-1:0] ctl_issue = {tag_i, en_i, clr_i, last_i, rnd_built};
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

  wire [TAG_W-1:0] s_tag;
  wire             s_en, s_clr, s_last;
  wire [1:0]       s_rnd;
  assign {s_tag, s_en, s_clr, s_last, s_rnd} = ctl_acc;

  wire acc_go    = (MUL_STAGES == 0) | adv_i;
  wire step_fire = s_en & acc_go;

  // ---------------------------------------------------------------------
  // LFSR: one draw per tile, at its last step; the rounding reads the
  // state's low bits (that draw)
  // ---------------------------------------------------------------------
  wire [AddSrBits-1:0] rand_w;

  generate
    if (RND_MODES == 3) begin : g_lfsr
      wire [SR_BITS-1:0] draw_unused;
      wire [LFSR_W-1:0]  state;

      fp8sa_lfsr #(
        .LFSR_W (LFSR_W),
        .DRAW_W (SR_BITS),
        .SEED   (SEED)
      ) u_lfsr (
        .clk_i       (clk_i),
        .rst_ni      (rst_ni),
        .seed_load_i (seed_load_i),
        .seed_i      (seed_i),
        .advance_i   (step_fire & s_last),
        .rand_o      (draw_unused),
        .state_o     (state)
      );

      assign rand_w = state[SR_BITS-1:0];
      if (LFSR_W > SR_BITS) begin : g_state_hi
        wire state_hi_unused = ^state[LFSR_W-1:SR_BITS];
      end
    end else begin : g_no_lfsr
      assign rand_w      = {AddSrBits{1'b0}};
      wire   seed_unused = ^{seed_load_i, seed_i, s_last};
    end
  endgenerate

  // ---------------------------------------------------------------------
  // Accumulate: X += the step's products (an adder tree over the products
  // and X's old value), sticky bits
  // ---------------------------------------------------------------------
  reg  [XW-1:0]   x_q, x_d;
  reg             nan_q, nan_d, inv_q, inv_d, infp_q, infp_d, infm_q, infm_d, negz_q, negz_d;
  reg  [31:0]     c_q, c_d;
  reg  [1:0]      rnd_q, rnd_d;

  reg  [P2*XW-1:0] tr;
  reg  [XW-1:0]    x_sum;
  reg              st_nan, st_inv, st_infp, st_infm, st_negz;
  reg  [PMW-1:0]   pm;
  integer          i_tr, j_tr, l_tr;

  always @* begin
    for (i_tr = 0; i_tr < P2; i_tr = i_tr + 1) begin
      tr[i_tr*XW +: XW] = {XW{1'b0}};
    end
    st_nan  = 1'b0;
    st_inv  = 1'b0;
    st_infp = 1'b0;
    st_infm = 1'b0;
    st_negz = 1'b1;
    for (i_tr = 0; i_tr < DOT_N; i_tr = i_tr + 1) begin
      // {sign 18, pos 17:12, sig 11:4, zero 3, inf 2, nan 1, invalid 0}
      pm = {{(PMW - 8){1'b0}}, pw_acc[i_tr*PW + 4 +: 8]} << pw_acc[i_tr*PW + 12 +: 6];
      if (~|pw_acc[i_tr*PW +: 4]) begin
        tr[i_tr*XW +: XW] = pw_acc[i_tr*PW + 18] ? ({XW{1'b0}} - {{(XW - PMW){1'b0}}, pm})
                                                 : {{(XW - PMW){1'b0}}, pm};
      end
      st_nan  = st_nan | pw_acc[i_tr*PW + 1];
      st_inv  = st_inv | pw_acc[i_tr*PW + 0];
      st_infp = st_infp | (pw_acc[i_tr*PW + 2] & ~pw_acc[i_tr*PW + 18]);
      st_infm = st_infm | (pw_acc[i_tr*PW + 2] & pw_acc[i_tr*PW + 18]);
      st_negz = st_negz & pw_acc[i_tr*PW + 3] & pw_acc[i_tr*PW + 18];
    end
    tr[DOT_N*XW +: XW] = s_clr ? {XW{1'b0}} : x_q;
    for (l_tr = P2 / 2; l_tr >= 1; l_tr = l_tr / 2) begin
      for (j_tr = 0; j_tr < l_tr; j_tr = j_tr + 1) begin
        tr[j_tr*XW +: XW] = tr[(2*j_tr)*XW +: XW] + tr[(2*j_tr+1)*XW +: XW];
      end
    end
    x_sum = tr[XW-1:0];
  end

  always @* begin
    x_d    = x_q;
    nan_d  = nan_q;
    inv_d  = inv_q;
    infp_d = infp_q;
    infm_d = infm_q;
    negz_d = negz_q;
    c_d    = c_q;
    rnd_d  = rnd_q;
    if (step_fire) begin
      x_d    = x_sum;
      rnd_d  = s_rnd;
      if (s_clr) begin
        nan_d  = st_nan;
        inv_d  = st_inv;
        infp_d = st_infp;
        infm_d = st_infm;
        negz_d = st_negz;
        c_d    = init_i;
      end else begin
        nan_d  = nan_q | st_nan;
        inv_d  = inv_q | st_inv;
        infp_d = infp_q | st_infp;
        infm_d = infm_q | st_infm;
        negz_d = negz_q & st_negz;
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      x_q    <= {XW{1'b0}};
      nan_q  <= 1'b0;
      inv_q  <= 1'b0;
      infp_q <= 1'b0;
      infm_q <= 1'b0;
      negz_q <= 1'b0;
      c_q    <= 32'd0;
      rnd_q  <= RndRne;
    end else begin
      x_q    <= x_d;
      nan_q  <= nan_d;
      inv_q  <= inv_d;
      infp_q <= infp_d;
      infm_q <= infm_d;
      negz_q <= negz_d;
      c_q    <= c_d;
      rnd_q  <= rnd_d;
    end
  end

  // ---------------------------------------------------------------------
  // Result: C + X * 2^-32, one rounding
  // ---------------------------------------------------------------------
  // X: magnitude, normalized; top-bit exponent tX = 47 - lzc (bit 79 of
  // the magnitude weighs 2^47).
  wire          x_neg   = x_q[XW-1];
  wire [XW-1:0] x_abs_w = x_neg ? ({XW{1'b0}} - x_q) : x_q;
  wire [CW-1:0] x_abs   = x_abs_w[CW-1:0];
  wire          x_abs_top_unused = x_abs_w[XW-1];    // |X| < 2^80
  wire          x_nz    = |x_abs;
  wire [6:0]    x_lz;

  fp8sa_lzc #(.WIDTH(CW)) u_lzc_x (.in_i(x_abs), .cnt_o(x_lz));

  wire [CW-1:0] x_cont  = x_abs << x_lz;
  wire [9:0]    x_top   = 10'd47 - {3'd0, x_lz};

  // C: binary32, significand at the top of the container; top-bit exponent
  // tC = max(e, 1) - 127.
  wire [7:0]    c_e     = c_q[30:23];
  wire [22:0]   c_m     = c_q[22:0];
  wire          c_sign  = c_q[31];
  wire          c_ones  = &c_e;
  wire          c_zero  = ~|c_e & ~|c_m;
  wire          c_inf   = c_ones & ~|c_m;
  wire          c_nan   = c_ones & |c_m;
  wire          c_snan  = c_nan & ~c_m[22];
  wire          c_nz    = ~c_ones & ~c_zero;
  wire [CW-1:0] c_cont  = {|c_e, c_m, {(CW - 24){1'b0}}};
  wire [9:0]    c_top   = {2'b00, c_e[7:1], c_e[0] | ~|c_e} - 10'd127;

  // L: the operand with the higher top (C only if non-zero and finite).
  wire          l_is_c  = c_nz & (~x_nz | ($signed(c_top) > $signed(x_top)));
  wire [9:0]    l_top   = l_is_c ? c_top : x_top;
  wire [CW-1:0] l_cont  = l_is_c ? c_cont : x_cont;
  wire          l_sign  = l_is_c ? c_sign : x_neg;
  wire [CW-1:0] s_cont  = l_is_c ? x_cont : (c_nz ? c_cont : {CW{1'b0}});
  wire [9:0]    s_top   = l_is_c ? x_top : c_top;
  wire          s_sign  = l_is_c ? x_neg : c_sign;
  wire [9:0]    d_raw   = l_top - s_top;                // >= 0 whenever S is non-zero
  wire [DShW-1:0] d     = d_raw[9] ? {DShW{1'b0}} :
                          (|d_raw[8:DShW]) ? {DShW{1'b1}} : d_raw[DShW-1:0];

  // Align S: shift right by d, the bits shifted out ORed into the sticky.
  reg  [VecW-1:0] s_vec;
  reg             s_st;
  integer         k_sh;

  always @* begin
    s_vec = {s_cont, 2'b00};
    s_st  = 1'b0;
    for (k_sh = 0; k_sh < DShW; k_sh = k_sh + 1) begin
      if (d[k_sh]) begin
        s_st  = s_st | (|(s_vec & ~({VecW{1'b1}} << (1 << k_sh))));
        s_vec = s_vec >> (1 << k_sh);
      end
    end
  end

  wire            eff_sub = l_sign ^ s_sign;
  wire [WinW-1:0] l_win   = {1'b0, l_cont, 2'b00, 1'b0};
  wire [WinW-1:0] s_win   = {1'b0, s_vec, s_st};
  wire [WinW:0]   w_sum   = eff_sub ? ({1'b0, l_win} - {1'b0, s_win}) : ({1'b0, l_win} + {1'b0, s_win});
  wire            w_neg   = w_sum[WinW];                // only for d = 0, an exact sum
  wire [WinW:0]   w_abs   = w_neg ? ({(WinW + 1){1'b0}} - w_sum) : w_sum;
  wire            w_abs_top_unused = w_abs[WinW];

  // Window bit 0 weighs 2^(tL - 82) (bit 82 is L's top bit).
  wire [9:0]      w_exp   = l_top - 10'd82;
  wire [AccW-1:0] nr_res;
  wire [3:0]      nr_flags;

  fp8sa_norm_round #(
    .ACC_EXP_W (ExpW),
    .ACC_MAN_W (ManW),
    .SR_BITS   (AddSrBits),
    .SR_KIND   (SR_KIND),
    .MAG_W     (WinW),
    .EXP_W     (10)
  ) u_round (
    .rnd_i       (rnd_q),
    .rand_i      (rand_w),
    .sign_i      (l_sign ^ w_neg),
    .mag_i       (w_abs[WinW-1:0]),
    .exp_i       (w_exp),
    .sticky_i    (1'b0),
    .zero_sign_i (c_zero & c_sign & negz_q),
    .res_o       (nr_res),
    .flags_o     (nr_flags)
  );

  // Specials.
  wire r_infp = infp_q | (c_inf & ~c_sign);
  wire r_infm = infm_q | (c_inf & c_sign);
  wire r_inv  = inv_q | c_snan | (r_infp & r_infm);
  wire r_nan  = nan_q | c_nan | r_inv;

  assign acc_o   = r_nan ? CanonNan :
                   (r_infp | r_infm) ? {r_infm, InfMag} : nr_res;
  assign flags_o = r_nan ? {r_inv, 3'b000} :
                   (r_infp | r_infm) ? 4'b0000 : nr_flags;

  assign acc_fire_o = step_fire;
  assign acc_tag_o  = s_tag;

endmodule
`default_nettype wire

`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_acc_add: the accumulator adder, sum_o = round(acc_i + addend), with
// one rounding into the accumulator format eXmY (X = ACC_EXP_W,
// Y = ACC_MAN_W) in mode rnd_i (docs/numerics.md sections 4 and 5).
//
// acc_i is a packed accumulator word. The addend is unpacked (docs/rtl.md):
// value (-1)^add_sign_i * add_sig_i * 2^add_exp_i, add_sig_i not
// necessarily normalized, classes add_zero_i/add_inf_i/add_nan_i, and
// add_invalid_i (product 0 * Inf or a signalling NaN operand). The sum is
// computed exactly and rounded once: RNE, RZ or SR with the random word
// rand_i (round the magnitude up iff rand_i < k, k made by SR_KIND from the
// R + 1 bits below the kept LSB and the sticky of the rest, numerics.md
// section 5); rnd_i = 3 is treated as RNE. Subnormals
// are produced and consumed; tininess is detected after rounding for
// RNE/RZ and before rounding for SR. NaN results are the canonical NaN.
// flags_o = {invalid, overflow, underflow, inexact}.
//
// Latency: combinational. Contract: rnd_i = 3 is reserved (behaves as RNE;
// the sequential users report it in simulation). rand_i only matters in SR.
// The addend has at most ADD_SIG_W significant bits (the port width) and,
// when finite and non-zero, ADD_EXP_MIN <= add_exp_i <= ADD_EXP_MAX. The
// defaults describe an accumulator-format addend (fp8sa_fadd);
// fp8sa_mac_acc gives the FP8 product's 8 bits and [-32, 26], which is
// what makes this adder small: an 8-bit normalization and order compare
// for the addend, exponent arithmetic only as wide as the ranges need, and
// none of the hardware that only a tiny addend needs (step 2).
//
// Datapath (all widths derive from the parameters; SigW = max(8, Y + 1),
// B = the addend, A = the accumulator operand):
//  1. Each operand sits in a SigW-bit container with a position p, the
//     biased exponent of the container's top bit. A is not normalized: its
//     hidden bit is the top bit, p = max(e, 1), so a subnormal (or zero) has
//     p = 1 (emin) and leading zeros. B is normalized (an ADD_SIG_W-bit
//     leading-zero count and left shift), its top bit is one, and it fills
//     only the top ADD_SIG_W bits of its container.
//  2. X is the operand of larger magnitude as far as positions tell: the
//     larger p, and on equal p the larger top ADD_SIG_W bits (an
//     ADD_SIG_W-bit compare, 8 bits for a product, instead of negating a
//     negative difference afterwards). A wins ties and a zero addend.
//     A normalized X with pX > pY is larger than Y, so X - Y >= 0 except
//     when X is a subnormal A and Y an addend below 2^(emin-1), which needs
//     ADD_EXP_MIN < emin (TinyAdd): only then is a negation built.
//     A zero addend is forced to 0 as Y (beside the swap, where it costs
//     nothing), so its position and significand do not matter.
//  3. Y is shifted right by d = pX - pY (no sticky logic in the shifter)
//     into the WinW-bit window: carry bit, X's container, PadW >= 2 bits
//     below it, the lowest (bit 0) a sticky bit that ORs everything of Y
//     shifted below bit 1 (a trailing-zero count of Y against d). X has no bits below bit 1, so
//     X +- (Y with that sticky bit) has the same bits >= 1 as the exact sum
//     and a non-zero bit 0 iff the exact sum has non-zero bits below bit 1
//     (the exact remainder and the stand-in 1/2 lie in the same open unit
//     interval); the same holds for its negation.
//  4. The magnitude is normalized by a left shift of min(lzc, pX) (pX >= 1,
//     the shift that reaches emin): bit WinW-1 is then the hidden bit, 0 for
//     a result below 2^emin, whose kept LSB then has the subnormal weight
//     2^(emin - Y).
//     Why the window is wide enough (WinW = max(Y + 5, SigW + 3)):
//     for d <= 1 (the only case with massive cancellation) Y fits above
//     bit 0 (SigW + 3), the sum is exact and may be shifted left by many
//     bits. For d >= 2 with X normalized the result exceeds 2^(pX-1), so
//     the shift is at most 2; with X not normalized (A below 2^emin)
//     pX = 1 limits the shift to 1. So the sticky stand-in ends at bit 2 or
//     lower, and with Y + 5 bits the Y + 1 kept bits and the round bit lie
//     above bit 2 (bits WinW-1 .. 3 for Y + 5 = WinW).
//  5. SR needs R + 1 bits below the kept LSB (D of numerics.md section 5,
//     whatever SR_KIND) and the sticky st of the rest, more than the
//     window holds.
//     They come from Y alone: X is zero below its container, so below
//     bit 1 the exact sum is Y's bits (addition) or their two's complement
//     (subtraction, with the borrow that bit 0 already gives the window).
//     The alignment shifter therefore also delivers ExtW bits of Y below
//     bit 1 (plus a deeper sticky from the same trailing-zero count); they
//     are negated for a subtraction and k is taken at the kept LSB, which
//     after step 4 is one of three places (shift 0, 1 or 2; a larger shift
//     is exact, k = 0) when ADD_SIG_W <= Y + 2, and otherwise the low bits
//     are normalized with the window (narrow accumulators, whose exact
//     cancellations can still be inexact). None of this feeds RNE or RZ,
//     so it is removed where rnd_i is a constant other than SR.
//  6. Rounding (the shared cell fp8sa_round) adds the increment to the
//     packed {exponent, mantissa}, so a carry out of the mantissa moves to
//     the next binade, subnormals become normal, and max finite becomes the
//     Inf encoding (overflow).
module fp8sa_acc_add #(
  parameter integer ACC_EXP_W   = 8,   // [4, 8]
  parameter integer ACC_MAN_W   = 23,  // [2, 23]
  parameter integer SR_BITS     = 16,  // [2, 24]
  parameter integer SR_KIND     = 0,   // [0, 2]: SR construction (fp8sa_round)
  // Addend significand bits: [1, max(8, ACC_MAN_W + 1)], default the maximum.
  parameter integer ADD_SIG_W   = (ACC_MAN_W > 7) ? ACC_MAN_W + 1 : 8,
  // Range of add_exp_i for a finite non-zero addend, within [-512, 511];
  // defaults: the accumulator format's, emin - ACC_MAN_W .. emax - ACC_MAN_W.
  parameter integer ADD_EXP_MIN = 2 - (1 << (ACC_EXP_W - 1)) - ACC_MAN_W,
  parameter integer ADD_EXP_MAX = (1 << (ACC_EXP_W - 1)) - 1 - ACC_MAN_W
) (
  input  wire [ACC_EXP_W+ACC_MAN_W:0] acc_i,       // ACC_W bits
  input  wire                         add_sign_i,
  input  wire [`FP8SA_EXP_W-1:0]                   add_exp_i,   // signed
  input  wire [ADD_SIG_W-1:0]         add_sig_i,
  input  wire                         add_zero_i,
  input  wire                         add_inf_i,
  input  wire                         add_nan_i,
  input  wire                         add_invalid_i,
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,
  input  wire [SR_BITS-1:0]           rand_i,
  output reg  [ACC_EXP_W+ACC_MAN_W:0] sum_o,
  output reg  [`FP8SA_FLAG_W-1:0]                   flags_o
);

  // ---------------------------------------------------------------------
  // Parameters
  // ---------------------------------------------------------------------
  localparam integer ExpW   = ACC_EXP_W;
  localparam integer ManW   = ACC_MAN_W;
  localparam integer AccW   = 1 + ExpW + ManW;
  localparam integer SrW    = SR_BITS;
  localparam integer KW     = SrW + 2;                 // SR's D (R + 1 bits) and st
  localparam integer SigW   = (ManW + 1 > 8) ? ManW + 1 : 8;
  localparam integer BW     = ADD_SIG_W;
  localparam integer Bias   = (1 << (ExpW - 1)) - 1;
  localparam integer EMin   = 1 - Bias;
  localparam integer ExpMax = (1 << ExpW) - 1;           // all-ones field
  localparam integer WinW   = (ManW + 5 > SigW + 3) ? ManW + 5 : SigW + 3;
  localparam integer PadW   = WinW - 1 - SigW;           // zero bits below X in the window (>= 2)
  // SR bits below the window's bit 1 that k can reach (step 5).
  localparam integer ExtW   = (KW + ManW + 3 > WinW) ? KW + ManW + 3 - WinW : 0;
  localparam integer FldW   = WinW - 1 + ExtW;           // aligned Y: positions WinW-1 .. 1-ExtW
  localparam integer ShW    = $clog2(FldW);              // shift amounts 0 .. 2^ShW - 1 >= FldW - 1
  localparam integer BLzW   = $clog2(BW + 1);
  localparam integer TzW    = $clog2(SigW + 1);
  localparam integer WinLzW = $clog2(WinW + 1);
  localparam integer TinyAdd = (ADD_EXP_MIN < EMin) ? 1 : 0;
  // Internal signed exponent width: positions of a finite addend lie in
  // [PbMin, PbMax], of A in [1, ExpMax - 1]; EW holds their differences,
  // pX + 1, the add_exp_i range and ExpMax (Inf/NaN operands and a zero
  // addend give values that may wrap, but then the result is selected
  // below, or Y is 0, so those values do not matter).
  localparam integer PbMin  = ADD_EXP_MIN + Bias;
  localparam integer PbMax  = ADD_EXP_MAX + BW - 1 + Bias;
  localparam integer VA     = (PbMax + 1 > ExpMax - 1 - PbMin) ? PbMax + 1 : ExpMax - 1 - PbMin;
  localparam integer VB     = (ExpMax > -PbMin) ? ExpMax : -PbMin;
  localparam integer VC     = (ADD_EXP_MAX > -ADD_EXP_MIN) ? ADD_EXP_MAX : -ADD_EXP_MIN;
  localparam integer VAB    = (VA > VB) ? VA : VB;
  localparam integer VMax   = (VAB > VC) ? VAB : VC;
  localparam integer EWMin  = (ShW + 2 > WinLzW + 2) ? ShW + 2 : WinLzW + 2;
  localparam integer EWRng  = $clog2(VMax + 1) + 1;
  localparam integer EW     = (EWRng > EWMin) ? EWRng : EWMin;
  localparam integer NarrowK = (BW <= ManW + 2) ? 1 : 0;

  `include "fp8sa_pkg.vh"

  // Results: the canonical NaN, and the Inf and max finite magnitudes.
  localparam [AccW-1:0] CanonNan = {1'b0, {ExpW{1'b1}}, 1'b1, {(ManW - 1){1'b0}}};
  localparam [ExpW+ManW-1:0] InfMag = {{ExpW{1'b1}}, {ManW{1'b0}}};
  localparam [ExpW+ManW-1:0] MaxMag = {{(ExpW - 1){1'b1}}, 1'b0, {ManW{1'b1}}};

  // Constants as EW-bit vectors (two's complement).
  localparam integer BPosOff   = BW - 1 + Bias;  // pB = exp + BPosOff - lzc
  localparam [EW-1:0] BPosOffV = BPosOff[EW-1:0];
  localparam [EW-1:0] ExpMaxV  = ExpMax[EW-1:0];
  localparam integer CmpW      = ShW + 1;       // holds d_c - tz and the offsets (< 2 * FldW)
  localparam integer StDeepOffI = PadW + ExtW;
  localparam [CmpW-1:0] StRneOff  = PadW[CmpW-1:0];        // Y bit j lands at bit PadW + j - d
  localparam [CmpW-1:0] StDeepOff = StDeepOffI[CmpW-1:0];

  generate
    if (ACC_EXP_W < 4 || ACC_EXP_W > 8) begin : g_err_exp_w
      fp8sa_param_error_ACC_EXP_W_out_of_range_4_to_8 u_param_error ();
    end
    if (ACC_MAN_W < 2 || ACC_MAN_W > 23) begin : g_err_man_w
      fp8sa_param_error_ACC_MAN_W_out_of_range_2_to_23 u_param_error ();
    end
    if (SR_BITS < 2 || SR_BITS > 24) begin : g_err_sr_bits
      fp8sa_param_error_SR_BITS_out_of_range_2_to_24 u_param_error ();
    end
    if (ADD_SIG_W < 1 || ADD_SIG_W > SigW) begin : g_err_add_sig_w
      fp8sa_param_error_ADD_SIG_W_out_of_range_1_to_max_8_ACC_MAN_W_plus_1 u_param_error ();
    end
    if (ADD_EXP_MIN < -512 || ADD_EXP_MIN > 511) begin : g_err_add_exp_min
      fp8sa_param_error_ADD_EXP_MIN_out_of_range_minus_512_to_511 u_param_error ();
    end
    if (ADD_EXP_MAX < ADD_EXP_MIN || ADD_EXP_MAX > 511) begin : g_err_add_exp_max
      fp8sa_param_error_ADD_EXP_MAX_out_of_range_ADD_EXP_MIN_to_511 u_param_error ();
    end
  endgenerate

  // ---------------------------------------------------------------------
  // 1. Operand containers and positions
  // ---------------------------------------------------------------------
  // A's class bundle (fp8sa_pkg.vh Cls*); its exponent is not needed, the
  // position below comes straight from the field.
  wire [ClassW-1:0] a_cls;
  wire [9:0]        a_exp_unused;
  wire [SigW-1:0]   a_sig;

  fp8sa_acc_unpack #(.ACC_EXP_W(ExpW), .ACC_MAN_W(ManW)) u_unpack (
    .acc_i(acc_i), .class_o(a_cls), .exp_o(a_exp_unused), .sig_o(a_sig));

  wire a_sign = a_cls[ClsSign];

  // Accumulator: hidden bit moved to the container top (a constant shift
  // when SigW > Y + 1), p = max(e, 1) straight from the exponent field.
  wire [ExpW-1:0] a_e    = acc_i[ExpW+ManW-1:ManW];
  wire [SigW-1:0] a_cont = a_sig << (SigW - 1 - ManW);
  wire [EW-1:0]   a_pos  = {{(EW - ExpW){1'b0}}, a_e[ExpW-1:1], a_e[0] | ~|a_e};

  // Addend: normalized. Its significand is don't-care when it is zero; a
  // zero addend is never X, and as Y it is forced to 0 below (where that
  // costs nothing beside the swap), so its position does not matter.
  wire [BLzW-1:0] b_lz;

  fp8sa_lzc #(.WIDTH(BW)) u_lzc_b (.in_i(add_sig_i), .cnt_o(b_lz));

  wire [BW-1:0]   b_norm = add_sig_i << b_lz;
  wire [SigW-1:0] b_cont;

  generate
    if (BW < SigW) begin : g_b_pad
      assign b_cont = {b_norm, {(SigW - BW){1'b0}}};
    end else begin : g_b_full
      assign b_cont = b_norm;
    end
  endgenerate

  // add_exp_i in EW bits (its range fits; the bits above are its sign).
  wire [EW-1:0]   b_exp;

  generate
    if (EW >= 10) begin : g_exp_ext
      assign b_exp = {{(EW - 10 + 1){add_exp_i[9]}}, add_exp_i[8:0]};
    end else begin : g_exp_trunc
      wire [9-EW:0] add_exp_hi_unused = add_exp_i[9:EW];
      assign b_exp = add_exp_i[EW-1:0];
    end
  endgenerate

  wire [EW-1:0]   b_pos  = b_exp + BPosOffV - {{(EW - BLzW){1'b0}}, b_lz};

  // ---------------------------------------------------------------------
  // 2. Order: X the larger, Y the smaller
  // ---------------------------------------------------------------------
  wire [EW-1:0] d_ab     = a_pos - b_pos;
  wire [EW-1:0] d_ba     = b_pos - a_pos;
  // Equal positions: B's significant bits against A's top BW bits (on a
  // tie A >= B, since A's lower bits are >= 0).
  wire          b_gt_top = (b_norm > a_cont[SigW-1:SigW-BW]);
  wire          b_first  = ~add_zero_i & (d_ab[EW-1] | ((d_ab == {EW{1'b0}}) & b_gt_top));

  wire            x_sign  = b_first ? add_sign_i : a_sign;
  wire [EW-1:0]   x_pos   = b_first ? b_pos      : a_pos;
  wire [SigW-1:0] x_cont  = b_first ? b_cont     : a_cont;
  wire [SigW-1:0] y_cont  = b_first ? a_cont     : (add_zero_i ? {SigW{1'b0}} : b_cont);
  wire [EW-1:0]   d       = b_first ? d_ba       : d_ab;
  wire            eff_sub = a_sign ^ add_sign_i;

  // d < 0 only when the addend is zero (Y = 0 then) or not finite (the
  // result is selected, not computed). A shift by
  // 2^ShW - 1 (>= FldW - 1) already drops all of Y, so saturate to it.
  wire           d_big = d[EW-1] | (|d[EW-2:ShW]);
  wire [ShW-1:0] d_c   = d_big ? {ShW{1'b1}} : d[ShW-1:0];

  // ---------------------------------------------------------------------
  // 3. Align Y; stickies from its trailing zeros
  // ---------------------------------------------------------------------
  // Field bit f holds position f + 1 - ExtW; Y's container starts level
  // with X's (top at position WinW-2).
  wire [FldW-1:0] y_fld_full = {1'b0, y_cont, {(PadW + ExtW - 1){1'b0}}};
  wire [FldW-1:0] y_fld      = y_fld_full >> d_c;

  // Container bit j of Y lands at position PadW + j - d: it is below bit 1
  // iff PadW + j <= d, below the SR field iff PadW + ExtW + j <= d.
  wire [SigW-1:0] y_rev;
  wire [TzW-1:0]  y_tz;
  genvar gi;
  generate
    for (gi = 0; gi < SigW; gi = gi + 1) begin : g_rev
      assign y_rev[gi] = y_cont[SigW-1-gi];
    end
  endgenerate

  fp8sa_lzc #(.WIDTH(SigW)) u_tz_y (.in_i(y_rev), .cnt_o(y_tz));

  wire y_nz    = |y_cont;
  // One subtraction d - tz for both thresholds (a borrow, d < tz, means
  // nothing of Y is lost).
  wire [CmpW-1:0] y_tz_x = {{(CmpW - TzW){1'b0}}, y_tz};
  wire [CmpW:0]   d_m_tz = {2'b00, d_c} - {1'b0, y_tz_x};
  wire            tz_ok  = y_nz & ~d_m_tz[CmpW];
  wire st_rne  = tz_ok & (d_m_tz[CmpW-1:0] >= StRneOff);
  wire st_deep = tz_ok & (d_m_tz[CmpW-1:0] >= StDeepOff);

  wire [WinW-1:0] xw = {1'b0, x_cont, {PadW{1'b0}}};
  wire [WinW-1:0] yw = {y_fld[FldW-1:ExtW], st_rne};

  // One adder for both: X + Y, or X + ~Y + 1 (carry-in through a low bit).
  wire [WinW-1:0] sum;
  wire            sum_ci_unused;

  assign {sum, sum_ci_unused} = {xw, 1'b1} + {yw ^ {WinW{eff_sub}}, eff_sub};

  // X - Y < 0 only in the TinyAdd case of step 2; bit WinW-1 is then the
  // sign (|X - Y| < 2^(WinW-1)).
  wire            neg;
  wire [WinW-1:0] mag;

  generate
    if (TinyAdd != 0) begin : g_neg
      assign neg = eff_sub & sum[WinW-1];
      assign mag = neg ? (~sum + {{(WinW - 1){1'b0}}, 1'b1}) : sum;
    end else begin : g_no_neg
      assign neg = 1'b0;
      assign mag = sum;
    end
  endgenerate

  wire res_sign = x_sign ^ neg;
  wire mag_zero = ~|sum;

  // ---------------------------------------------------------------------
  // 4. Normalize, limited to the subnormal grid
  // ---------------------------------------------------------------------
  wire [WinLzW-1:0] m_lz;

  fp8sa_lzc #(.WIDTH(WinW)) u_lzc_sum (.in_i(mag), .cnt_o(m_lz));

  // The shift that reaches emin is pX itself (pX >= 1, so an unsigned
  // compare of its low bits when the high ones are zero).
  wire [WinLzW-1:0] ls = ((~|x_pos[EW-1:WinLzW]) & (x_pos[WinLzW-1:0] < m_lz))
                         ? x_pos[WinLzW-1:0] : m_lz;
  wire [WinW-1:0]   n  = mag << ls;

  // Biased exponent: hidden bit set -> pX + 1 - ls (>= 1), else subnormal
  // (field 0).
  wire [EW-1:0] eb = n[WinW-1] ? (x_pos + {{(EW - 1){1'b0}}, 1'b1} - {{(EW - WinLzW){1'b0}}, ls})
                               : {EW{1'b0}};

  wire [ManW-1:0]  man = n[WinW-2:WinW-1-ManW];         // LSB n[WinW-1-ManW]
  wire             g   = n[WinW-2-ManW];                // round bit
  wire             st  = |n[WinW-3-ManW:0];             // sticky below it

  // Full-precision rounding of a result in [2^(emin-1), 2^emin) (RNE):
  // all Y+1 bits below the hidden position ones and the next bit one
  // rounds up to 2^emin, which is then not tiny.
  wire             rne_to_emin = (&n[WinW-2:WinW-2-ManW]) & n[WinW-3-ManW];

  // ---------------------------------------------------------------------
  // 5. SR's k (step 5 of the header)
  // ---------------------------------------------------------------------
  // Exact low field E: bit i holds position i - ExtW; positions >= 1 from
  // the window, below them Y's bits (and the deep sticky as the last bit),
  // negated for a subtraction with X >= Y (for X < Y the magnitude Y - X
  // has Y's own low bits).
  wire [ExtW:0] y_low;

  generate
    if (ExtW > 0) begin : g_ext
      assign y_low = {y_fld[ExtW-1:0], st_deep};
    end else begin : g_no_ext
      assign y_low = st_deep;
    end
  endgenerate

  wire            neg_low = eff_sub & ~neg;
  localparam [ExtW:0] LowOne = 1;
  wire [ExtW:0]   d_low   = (y_low ^ {(ExtW + 1){neg_low}}) + (neg_low ? LowOne : {(ExtW + 1){1'b0}});

  // Index of the kept LSB in E for a normalization shift of 0; only E below
  // it is needed (a left shift moves no bit down).
  localparam integer L0 = WinW - 1 - ManW + ExtW;

  wire [L0-1:0]  e_fld = {mag[L0-1-ExtW:1], d_low};
  // sr_dst = {D, st}: the R + 1 bits below the kept LSB and the sticky of
  // everything below them (fp8sa_round makes k from them by SR_KIND).
  wire [KW-1:0] sr_dst;

  generate
    if (NarrowK != 0) begin : g_k_narrow
      // Shifts 0, 1, 2 put the LSB at L0, L0-1, L0-2; a larger shift is an
      // exact cancellation with nothing below the LSB (ADD_SIG_W <= Y + 2).
      wire [KW-1:0] k0 = {e_fld[L0-1:L0-KW+1],     |e_fld[L0-KW:0]};
      wire [KW-1:0] k1 = {e_fld[L0-2:L0-KW],       |e_fld[L0-KW-1:0]};
      wire [KW-1:0] k2 = {e_fld[L0-3:L0-KW-1],     |e_fld[L0-KW-2:0]};
      assign sr_dst = (ls == {WinLzW{1'b0}}) ? k0
                    : (ls == {{(WinLzW - 1){1'b0}}, 1'b1}) ? k1
                    : (ls == {{(WinLzW - 2){1'b0}}, 2'b10}) ? k2
                    : {KW{1'b0}};
    end else begin : g_k_wide
      wire [L0-1:0] e_n = e_fld << ls;
      assign sr_dst = {e_n[L0-1:L0-KW+1], |e_n[L0-KW:0]};
    end
  endgenerate

  // ---------------------------------------------------------------------
  // 6. Round (fp8sa_round): the packed {exponent, mantissa} plus the
  // increment, so a carry out of the mantissa moves to the next binade,
  // subnormals become normal, and max finite becomes "above max" (overflow).
  // ---------------------------------------------------------------------
  wire                 ovf_pre = ~($signed(eb) < $signed(ExpMaxV));
  wire [ExpW+ManW-1:0] rounded;
  wire                 r_up_unused;
  wire                 ovf, r_inexact, r_tiny_unused, r_uf;

  fp8sa_round #(
    .SR_BITS (SrW),
    .MAG_W   (ExpW + ManW),
    .SR_KIND (SR_KIND)
  ) u_round (
    .rnd_i      (rnd_i),
    .abs_i      ({eb[ExpW-1:0], man}),
    .guard_i    (g),
    .sticky_i   (st),
    .sr_d_i     (sr_dst[KW-1:1]),
    .sr_st_i    (sr_dst[0]),
    .rand_i     (rand_i),
    .max_i      (MaxMag),
    .ovf_pre_i  (ovf_pre),
    .tiny_pre_i (~n[WinW-1]),
    .rne_emin_i (rne_to_emin),
    .up_o       (r_up_unused),
    .abs_o      (rounded),
    .ovf_o      (ovf),
    .inexact_o  (r_inexact),
    .tiny_o     (r_tiny_unused),
    .uf_o       (r_uf)
  );

  wire is_rz = (rnd_i == RndRz);

  // ---------------------------------------------------------------------
  // Special cases and result selection
  // ---------------------------------------------------------------------
  wire inf_minus_inf = a_cls[ClsInf] & add_inf_i & eff_sub;
  wire res_invalid   = a_cls[ClsSnan] | add_invalid_i | inf_minus_inf;
  wire res_nan       = a_cls[ClsNan] | add_nan_i | res_invalid;

  always @* begin
    if (res_nan) begin
      sum_o   = CanonNan;
      flags_o = {res_invalid, 3'b000};
    end else if (a_cls[ClsInf]) begin
      sum_o   = {a_sign, InfMag};
      flags_o = 4'b0000;
    end else if (add_inf_i) begin
      sum_o   = {add_sign_i, InfMag};
      flags_o = 4'b0000;
    end else if (a_cls[ClsZero] & add_zero_i) begin
      sum_o   = {a_sign & add_sign_i, {(ExpW + ManW){1'b0}}};
      flags_o = 4'b0000;
    end else if (mag_zero) begin
      // x + (-x), x non-zero: +0 in every mode.
      sum_o   = {AccW{1'b0}};
      flags_o = 4'b0000;
    end else begin
      // Overflow: +-Inf, or +-max for RZ (flags overflow and inexact).
      sum_o   = {res_sign, ovf ? (is_rz ? MaxMag : InfMag) : rounded};
      flags_o = {1'b0, ovf, r_uf, r_inexact};
    end
  end

endmodule
`default_nettype wire

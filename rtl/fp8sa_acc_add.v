`default_nettype none
// fp8sa_acc_add: the accumulator adder, sum_o = round(acc_i + addend), with
// one rounding into the accumulator format eXmY (X = ACC_EXP_W,
// Y = ACC_MAN_W) in mode rnd_i (docs/numerics.md sections 4 and 5).
//
// acc_i is a packed accumulator word. The addend is unpacked (docs/rtl.md):
// value (-1)^add_sign_i * add_sig_i * 2^add_exp_i, add_sig_i not
// necessarily normalized, classes add_zero_i/add_inf_i/add_nan_i, and
// add_invalid_i (product 0 * Inf or a signalling NaN operand). The sum is
// computed exactly and rounded once: RNE, RZ or SR with the random word
// rand_i (round the magnitude up iff rand_i < k, k = {R-1 bits below the
// kept LSB, sticky of the rest}); rnd_i = 3 is treated as RNE. Subnormals
// are produced and consumed; tininess is detected after rounding for
// RNE/RZ and before rounding for SR. NaN results are the canonical NaN.
// flags_o = {invalid, overflow, underflow, inexact}.
//
// Latency: combinational. Contract: rnd_i = 3 is reserved (behaves as RNE;
// the sequential users report it in simulation). rand_i only matters in SR.
//
// Datapath (all widths derive from the parameters; SigW = max(8, Y + 1)):
//  1. Each operand sits in a SigW-bit container with a position p, the
//     exponent of the container's top bit. The accumulator operand is not
//     normalized: its hidden bit is the top bit, p = max(e, 1) - bias, so
//     a subnormal (or zero) has p = emin and leading zeros. The addend is
//     normalized (leading-zero count + left shift), so its top bit is one.
//  2. X is the operand with the larger p (the accumulator on a tie or when
//     the addend is zero); Y is shifted right by d = pX - pY into a
//     WinW-bit window: carry bit, X's container, guard bits, and bit 0, a
//     sticky bit that ORs everything of Y shifted below bit 1. X has no
//     bits below bit 1, so X +- (Y with that sticky bit) has the same bits
//     >= 1 as the exact sum and a non-zero bit 0 iff the exact sum has
//     non-zero bits below bit 1 (the exact remainder and the stand-in 1/2
//     lie in the same open unit interval); the same holds for its negation.
//  3. X - Y is negative only when X's container has leading zeros or
//     d = 0; the two's complement then gives |X - Y| (sign flipped).
//  4. The magnitude is normalized by a left shift of min(lzc, pX + 1 - emin)
//     (pX >= emin, so never a right shift): bit WinW-1 is then the hidden
//     bit, 0 for a result below 2^emin, whose kept LSB then has the
//     subnormal weight 2^(emin - Y).
//     Why the window is wide enough:
//     WinW >= SigW + 3: for d <= 1 (the only case with massive
//     cancellation) Y fits above bit 0, the sum is exact and may be
//     shifted left by many bits.
//     For d >= 2 with X normalized the result exceeds 2^(pX-1), so the
//     shift is at most 2; with X not normalized (accumulator below
//     2^emin) pX = emin limits the shift to 1. So the sticky stand-in
//     ends at bit 2 or lower, and WinW >= Y + SR_BITS + 3 keeps the Y + 1
//     kept bits and the SR_BITS - 1 bits below them (RNE: the first is
//     the round bit) above it.
//  5. Rounding (the shared cell fp8sa_round) adds the increment to the
//     packed {exponent, mantissa}, so a carry out of the mantissa moves to
//     the next binade, subnormals become normal, and max finite becomes the
//     Inf encoding (overflow).
module fp8sa_acc_add #(
  parameter integer ACC_EXP_W = 8,   // [4, 8]
  parameter integer ACC_MAN_W = 23,  // [2, 23]
  parameter integer SR_BITS   = 16   // [2, 24]
) (
  input  wire [ACC_EXP_W+ACC_MAN_W:0]               acc_i,       // ACC_W bits
  input  wire                                       add_sign_i,
  input  wire [9:0]                                 add_exp_i,   // signed
  input  wire [((ACC_MAN_W > 7) ? ACC_MAN_W : 7):0] add_sig_i,   // ADD_SIG_W bits
  input  wire                                       add_zero_i,
  input  wire                                       add_inf_i,
  input  wire                                       add_nan_i,
  input  wire                                       add_invalid_i,
  input  wire [1:0]                                 rnd_i,
  input  wire [SR_BITS-1:0]                         rand_i,
  output reg  [ACC_EXP_W+ACC_MAN_W:0]               sum_o,
  output reg  [3:0]                                 flags_o
);

  // ---------------------------------------------------------------------
  // Parameters
  // ---------------------------------------------------------------------
  localparam integer ExpW   = ACC_EXP_W;
  localparam integer ManW   = ACC_MAN_W;
  localparam integer AccW   = 1 + ExpW + ManW;
  localparam integer SrW    = SR_BITS;
  localparam integer SigW   = (ManW + 1 > 8) ? ManW + 1 : 8;
  localparam integer Bias   = (1 << (ExpW - 1)) - 1;
  localparam integer EMin   = 1 - Bias;
  localparam integer ExpMax = (1 << ExpW) - 1;           // all-ones field
  localparam integer WinW   = (SigW + 3 > ManW + SrW + 3) ? SigW + 3 : ManW + SrW + 3;
  localparam integer EW     = 12;                        // internal signed exponents
  localparam integer SigLzW = $clog2(SigW + 1);
  localparam integer WinLzW = $clog2(WinW + 1);          // lzc and shift amounts
  localparam integer PadW   = WinW - 1 - SigW;           // zero bits below X in the window

  `include "fp8sa_pkg.vh"

  // Results: the canonical NaN, and the Inf and max finite magnitudes.
  localparam [AccW-1:0] CanonNan = {1'b0, {ExpW{1'b1}}, 1'b1, {(ManW - 1){1'b0}}};
  localparam [ExpW+ManW-1:0] InfMag = {{ExpW{1'b1}}, {ManW{1'b0}}};
  localparam [ExpW+ManW-1:0] MaxMag = {{(ExpW - 1){1'b1}}, 1'b0, {ManW{1'b1}}};

  // Constants as EW-bit vectors (two's complement).
  localparam integer TopOff    = SigW - 1;     // pB = exp + TopOff - lzc
  localparam integer LsMaxOff  = 1 - EMin;     // ls_max = pX + LsMaxOff
  localparam integer EbOff     = 1 + Bias;     // biased exp = pX + EbOff - ls
  localparam [EW-1:0] TopOffV   = TopOff[EW-1:0];
  localparam [EW-1:0] LsMaxOffV = LsMaxOff[EW-1:0];
  localparam [EW-1:0] EbOffV    = EbOff[EW-1:0];
  localparam [EW-1:0] ExpMaxV   = ExpMax[EW-1:0];
  localparam [EW-1:0] ManWV     = ManW[EW-1:0];

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
  endgenerate

  // ---------------------------------------------------------------------
  // 1. Operand containers and positions
  // ---------------------------------------------------------------------
  wire            a_sign, a_zero, a_inf, a_nan, a_snan;
  wire [9:0]      a_exp;
  wire [SigW-1:0] a_sig;

  fp8sa_acc_unpack #(
    .ACC_EXP_W (ExpW),
    .ACC_MAN_W (ManW)
  ) u_unpack (
    .acc_i  (acc_i),
    .sign_o (a_sign),
    .exp_o  (a_exp),
    .sig_o  (a_sig),
    .zero_o (a_zero),
    .inf_o  (a_inf),
    .nan_o  (a_nan),
    .snan_o (a_snan)
  );

  // Accumulator: hidden bit moved to the container top (a constant shift
  // when SigW > Y + 1), p = max(e, 1) - bias = a_exp + Y.
  wire [SigW-1:0] a_cont = a_sig << (SigW - 1 - ManW);
  wire [EW-1:0]   a_pos  = {{(EW - 10){a_exp[9]}}, a_exp} + ManWV;

  // Addend: normalized. Its significand is don't-care when it is zero:
  // force 0 so that it contributes nothing.
  wire [SigW-1:0]   b_sig = add_zero_i ? {SigW{1'b0}} : add_sig_i;
  wire [SigLzW-1:0] b_lz;

  fp8sa_lzc #(.WIDTH(SigW)) u_lzc_b (.in_i(b_sig), .cnt_o(b_lz));

  wire [SigW-1:0] b_cont = b_sig << b_lz;
  wire [EW-1:0]   b_pos  = {{(EW - 10){add_exp_i[9]}}, add_exp_i} + TopOffV
                           - {{(EW - SigLzW){1'b0}}, b_lz};

  // ---------------------------------------------------------------------
  // 2, 3. Order by position, align Y, add, take the magnitude
  // ---------------------------------------------------------------------
  wire [EW-1:0] d_ab    = a_pos - b_pos;
  wire [EW-1:0] d_ba    = b_pos - a_pos;
  wire          b_first = ~add_zero_i & d_ab[EW-1];     // pB > pA

  wire            x_sign  = b_first ? add_sign_i : a_sign;
  wire [EW-1:0]   x_pos   = b_first ? b_pos      : a_pos;
  wire [SigW-1:0] x_cont  = b_first ? b_cont     : a_cont;
  wire [SigW-1:0] y_cont  = b_first ? a_cont     : b_cont;
  wire [EW-1:0]   d       = b_first ? d_ba       : d_ab;
  wire            eff_sub = a_sign ^ add_sign_i;

  // d < 0 only when the addend is zero (Y = 0 then). A shift by
  // 2^WinLzW - 1 (>= WinW) already drops all of Y, so saturate to it.
  wire              d_big = d[EW-1] | (|d[EW-2:WinLzW]);
  wire [WinLzW-1:0] d_c   = d_big ? {WinLzW{1'b1}} : d[WinLzW-1:0];

  wire [WinW-1:0] xw      = {1'b0, x_cont, {PadW{1'b0}}};
  wire [WinW-1:0] yw_full = {1'b0, y_cont, {PadW{1'b0}}};

  // Right shift by d_c, one stage per amount bit; each stage ORs the bits
  // it drops into the sticky.
  reg  [WinW-1:0] yw_sh;
  reg             y_lost;
  integer         k;

  always @* begin
    yw_sh  = yw_full;
    y_lost = 1'b0;
    for (k = 0; k < WinLzW; k = k + 1) begin
      if (d_c[k]) begin
        y_lost = y_lost | (|(yw_sh & ~({WinW{1'b1}} << (1 << k))));
        yw_sh  = yw_sh >> (1 << k);
      end
    end
  end

  wire [WinW-1:0] yw      = {yw_sh[WinW-1:1], yw_sh[0] | y_lost};

  // One adder for both: X + Y, or X + ~Y + 1 (carry-in through a low bit).
  wire [WinW-1:0] sum;
  wire            sum_ci_unused;

  assign {sum, sum_ci_unused} = {xw, 1'b1} + {yw ^ {WinW{eff_sub}}, eff_sub};

  // |X - Y| < 2^(WinW-1), so in a subtraction bit WinW-1 is the sign.
  wire            neg     = eff_sub & sum[WinW-1];
  wire [WinW-1:0] mag     = neg ? (~sum + {{(WinW - 1){1'b0}}, 1'b1}) : sum;
  wire            res_sign = x_sign ^ neg;
  wire            mag_zero = ~|sum;

  // ---------------------------------------------------------------------
  // 4. Normalize, limited to the subnormal grid
  // ---------------------------------------------------------------------
  wire [WinLzW-1:0] m_lz;

  fp8sa_lzc #(.WIDTH(WinW)) u_lzc_sum (.in_i(mag), .cnt_o(m_lz));

  wire [EW-1:0]     ls_max = x_pos + LsMaxOffV;     // shift that reaches emin, >= 1
  wire [WinLzW-1:0] ls     = ($signed(ls_max) < $signed({{(EW - WinLzW){1'b0}}, m_lz}))
                             ? ls_max[WinLzW-1:0] : m_lz;
  wire [WinW-1:0]   n      = mag << ls;

  // Biased exponent: hidden bit set -> pX + 1 - ls + bias (>= 1),
  // else subnormal (field 0).
  wire [EW-1:0] eb = n[WinW-1] ? (x_pos + EbOffV - {{(EW - WinLzW){1'b0}}, ls})
                               : {EW{1'b0}};

  // ---------------------------------------------------------------------
  // 5. Round (fp8sa_round): the packed {exponent, mantissa} plus the
  // increment, so a carry out of the mantissa moves to the next binade,
  // subnormals become normal, and max finite becomes "above max" (overflow).
  // ---------------------------------------------------------------------
  wire [ManW-1:0]  man    = n[WinW-2:WinW-1-ManW];         // LSB n[WinW-1-ManW]
  wire             g      = n[WinW-2-ManW];                // round bit
  wire             st     = |n[WinW-3-ManW:0];             // sticky below it
  wire [SrW-1:0]   sr_k   = {n[WinW-2-ManW:WinW-ManW-SrW], |n[WinW-ManW-SrW-1:0]};

  // Full-precision rounding of a result in [2^(emin-1), 2^emin) (RNE):
  // all Y+1 bits below the hidden position ones and the next bit one
  // rounds up to 2^emin, which is then not tiny.
  wire             rne_to_emin = (&n[WinW-2:WinW-2-ManW]) & n[WinW-3-ManW];

  wire                 ovf_pre = ~($signed(eb) < $signed(ExpMaxV));
  wire [ExpW+ManW-1:0] rounded;
  wire                 r_up_unused;
  wire                 ovf, r_inexact, r_tiny_unused, r_uf;

  fp8sa_round #(
    .SR_BITS (SrW),
    .MAG_W   (ExpW + ManW)
  ) u_round (
    .rnd_i      (rnd_i),
    .abs_i      ({eb[ExpW-1:0], man}),
    .guard_i    (g),
    .sticky_i   (st),
    .sr_k_i     (sr_k),
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
  wire inf_minus_inf = a_inf & add_inf_i & eff_sub;
  wire res_invalid   = a_snan | add_invalid_i | inf_minus_inf;
  wire res_nan       = a_nan | add_nan_i | res_invalid;

  always @* begin
    if (res_nan) begin
      sum_o   = CanonNan;
      flags_o = {res_invalid, 3'b000};
    end else if (a_inf) begin
      sum_o   = {a_sign, InfMag};
      flags_o = 4'b0000;
    end else if (add_inf_i) begin
      sum_o   = {add_sign_i, InfMag};
      flags_o = 4'b0000;
    end else if (a_zero & add_zero_i) begin
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

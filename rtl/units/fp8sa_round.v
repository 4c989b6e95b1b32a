`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_round: the one rounding cell of the RTL (docs/numerics.md sections 4
// and 5), used by fp8sa_acc_add, fp8sa_quantizer and fp8sa_norm_round (in
// the manner of cvfpu's fpnew_rounding).
//
// The caller has aligned the exact result x to the destination grid and
// gives its magnitude truncated toward zero as a packed {biased exponent,
// mantissa} integer abs_i (so abs_i[0] is the kept LSB and adding one ulp is
// abs_i + 1, carrying into the exponent), the discarded part as guard_i
// (the first bit below the LSB, RNE's round bit) and sticky_i (OR of every
// bit below it), and for SR the R + 1 = SR_BITS + 1 bits below the kept LSB,
// sr_d_i = D, and sr_st_i = st, the OR of every bit below D. SR_KIND
// (numerics.md section 5, "SR kinds") turns them into k:
//
//   SrKindMid   (0): k = {D[R:2], D[1] | D[0] | st}          (R bits)
//   SrKindTrunc (1): k = D[R:1]                               (R bits)
//   SrKindSrc   (2): k = D[R:1] + (D[0] & (st | D[1]))        (R + 1 bits,
//                    k = 2^R rounds up for every u)
//
// The cell decides the increment and what the flags need:
//
//   up_o      = RNE (and reserved 3): guard & (sticky | lsb)
//               RZ: 0;  SR: rand_i < k
//   abs_o     = abs_i + up_o
//   ovf_o     = ovf_pre_i | (abs_o > max_i)      (|y| above max finite)
//   inexact_o = guard | sticky | ovf_o           (every overflow is inexact)
//   tiny_o    = RZ, SR: tiny_pre_i               (before rounding; for RZ
//                                                 the same as after)
//               RNE: tiny_pre_i & ~rne_emin_i    (after rounding)
//   uf_o      = tiny_o & (guard | sticky) & ~ovf_o
//
// Inputs for tininess: tiny_pre_i = |x| < 2^emin; rne_emin_i = x rounded
// to nearest-even at full precision (Y + 1 significant bits, no subnormal
// loss) reaches 2^emin (only possible for |x| in [2^(emin-1), 2^emin)).
// ovf_pre_i: the exponent is beyond the format before rounding (abs_i would
// not hold it); max_i: the largest finite magnitude, packed as abs_i.
//
// Contract (assumed here under FORMAL when this cell is the top, asserted
// where it is used): sr_d_i[R] == guard_i and (|sr_d_i[R-1:0] | sr_st_i) ==
// sticky_i (D holds the same discarded bits); without ovf_pre_i, abs_i + 1
// does not wrap (abs_i is not all ones); tiny_pre_i implies !ovf_pre_i and
// abs_i < max_i (a tiny value has exponent field 0). rne_emin_i is read
// only with tiny_pre_i. sr_d_i/sr_st_i are read only in SR: a caller whose
// rnd_i is never SR may tie them to anything that meets the contract
// (e.g. {guard, sticky, 0...}), and synthesis removes what only SR reads.
// The cell makes no NaN and no result value other than abs_o: the caller
// selects Inf, max or NaN on ovf_o.
//
// Latency: combinational. No handshake.
module fp8sa_round #(
  parameter integer SR_BITS = 16,  // [2, 24]
  parameter integer MAG_W   = 8,   // [2, 32] packed magnitude width
  parameter integer SR_KIND = 0    // [0, 2]: SrKindMid, SrKindTrunc, SrKindSrc
) (
  input  wire [`FP8SA_RND_W-1:0]         rnd_i,       // 0 RNE, 1 RZ, 2 SR, 3 reserved (RNE)
  input  wire [MAG_W-1:0]   abs_i,       // truncated magnitude; abs_i[0] is the LSB
  input  wire               guard_i,
  input  wire               sticky_i,
  input  wire [SR_BITS:0]   sr_d_i,      // D: the R + 1 bits below the LSB (SR)
  input  wire               sr_st_i,     // st: OR of every bit below D (SR)
  input  wire [SR_BITS-1:0] rand_i,      // u of numerics.md section 5
  input  wire [MAG_W-1:0]   max_i,       // max finite magnitude
  input  wire               ovf_pre_i,
  input  wire               tiny_pre_i,
  input  wire               rne_emin_i,
  output reg                up_o,
  output wire [MAG_W-1:0]   abs_o,
  output wire               ovf_o,
  output wire               inexact_o,
  output reg                tiny_o,
  output wire               uf_o
);

  `include "fp8sa_pkg.vh"

  generate
    if (SR_BITS < 2 || SR_BITS > 24) begin : g_err_sr_bits
      fp8sa_param_error_SR_BITS_out_of_range_2_to_24 u_param_error ();
    end
    if (MAG_W < 2 || MAG_W > 32) begin : g_err_mag_w
      fp8sa_param_error_MAG_W_out_of_range_2_to_32 u_param_error ();
    end
    if (SR_KIND < 0 || SR_KIND > 2) begin : g_err_sr_kind
      fp8sa_param_error_SR_KIND_out_of_range_0_to_2 u_param_error ();
    end
  endgenerate

  // SR's k (numerics.md section 5), R + 1 bits: only src reaches 2^R.
  wire [SR_BITS:0] sr_k;

  generate
    if (SR_KIND == 1) begin : g_k_trunc
      assign sr_k = {1'b0, sr_d_i[SR_BITS:1]};
      wire   trunc_unused = ^{sr_d_i[0], sr_st_i};   // below trunc's k
    end else if (SR_KIND == 2) begin : g_k_src
      assign sr_k = {1'b0, sr_d_i[SR_BITS:1]}
                  + {{SR_BITS{1'b0}}, sr_d_i[0] & (sr_st_i | sr_d_i[1])};
    end else begin : g_k_mid
      assign sr_k = {1'b0, sr_d_i[SR_BITS:2], sr_d_i[1] | sr_d_i[0] | sr_st_i};
    end
  endgenerate

  wire lsb    = abs_i[0];
  wire lost   = guard_i | sticky_i;    // x is not on the grid

  always @* begin
    case (rnd_i)
      RndRz: begin
        up_o   = 1'b0;
        tiny_o = tiny_pre_i;
      end
      RndSr: begin
        up_o   = ({1'b0, rand_i} < sr_k);
        tiny_o = tiny_pre_i;                      // before rounding
      end
      default: begin                              // RNE (and reserved 3)
        up_o   = guard_i & (sticky_i | lsb);
        tiny_o = tiny_pre_i & ~rne_emin_i;        // after rounding
      end
    endcase
  end

  assign abs_o     = abs_i + {{(MAG_W - 1){1'b0}}, up_o};
  assign ovf_o     = ovf_pre_i | (abs_o > max_i);
  assign inexact_o = lost | ovf_o;
  assign uf_o      = tiny_o & lost & ~ovf_o;

`ifdef FORMAL
  // ---------------------------------------------------------------------
  // Properties (run by formal/run.sh, make formal). With
  // FP8SA_FORMAL_ROUND_TOP defined this cell is the module under test and its
  // contract on the inputs is assumed; otherwise (inside the adder or the
  // quantizer) the same contract is asserted against its user.
  // ---------------------------------------------------------------------
  wire f_d_guard  = sr_d_i[SR_BITS];
  wire f_d_sticky = (|sr_d_i[SR_BITS-1:0]) | sr_st_i;
  wire f_env_ok   = (f_d_guard == guard_i) && (f_d_sticky == sticky_i)
                    && (ovf_pre_i || !(&abs_i))
                    && (!tiny_pre_i || (!ovf_pre_i && (abs_i < max_i)));

  always @* begin
`ifdef FP8SA_FORMAL_ROUND_TOP
    assume (f_env_ok);
`else
    assert (f_env_ok);
`endif
    // RZ never rounds up.
    if (rnd_i == RndRz) assert (!up_o);
    // A round-up only for a value off the grid (every mode).
    if (up_o) assert (lost);
    // SR rounds up only when inexact, and never for k = 0; k <= 2^R, and
    // k = 2^R (src only) rounds up for every u.
    if ((rnd_i == RndSr) && up_o) assert (inexact_o && (sr_k != {(SR_BITS + 1){1'b0}}));
    if (!lost) assert (sr_k == {(SR_BITS + 1){1'b0}});
    assert (sr_k <= {1'b1, {SR_BITS{1'b0}}});
    if ((rnd_i == RndSr) && sr_k[SR_BITS]) assert (up_o);
    if (SR_KIND != 2) assert (!sr_k[SR_BITS]);
    // mid: u = 0 rounds any inexact value up (P(up) = k / 2^R > 0).
    if ((SR_KIND == 0) && (rnd_i == RndSr) && lost && (rand_i == {SR_BITS{1'b0}})) assert (up_o);
    // trunc rounds up only when its k, D[R:1], is non-zero; src's k is
    // trunc's or one more.
    if ((SR_KIND == 1) && (rnd_i == RndSr) && up_o) assert (sr_d_i[SR_BITS:1] != {SR_BITS{1'b0}});
    if (SR_KIND == 2) assert ((sr_k == {1'b0, sr_d_i[SR_BITS:1]})
                              || (sr_k == {1'b0, sr_d_i[SR_BITS:1]} + 1'b1));
    // RNE: a tie (guard, no sticky) goes to the even neighbour; above a
    // half ulp always up, below never.
    if ((rnd_i != RndRz) && (rnd_i != RndSr)) begin
      if (guard_i && sticky_i) assert (up_o);
      if (!guard_i) assert (!up_o);
      if (guard_i && !sticky_i) assert (up_o == lsb);
    end
    // Overflow implies inexact; an exact result is unchanged.
    if (ovf_o) assert (inexact_o);
    if (!lost) assert ((abs_o == abs_i) && !uf_o);
    if (!ovf_pre_i) assert (abs_o >= abs_i);
    // Underflow implies tiny and inexact, never with overflow.
    if (uf_o) assert (tiny_o && inexact_o && !ovf_o);
    // Tininess after rounding (RNE) is never more than before.
    if (tiny_o) assert (tiny_pre_i);
    if (tiny_o) assert (!ovf_o);
  end
`endif

endmodule
`default_nettype wire

`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_norm_round: normalize and round a raw finite value once into an
// accumulator format eXmY (X = ACC_EXP_W, Y = ACC_MAN_W), in the spirit of
// HardFloat's RoundAnyRawFNToRecFN (docs/numerics.md sections 4 and 5).
//
// The raw value is x = (-1)^sign_i * (mag_i + s) * 2^exp_i: mag_i an
// unsigned integer of MAG_W bits (not normalized, any leading zeros),
// exp_i the signed weight of its bit 0, and s = 0 when sticky_i is low, a
// value in (0, 1) when it is high (something non-zero lies below bit 0; a
// caller may also jam such a sticky into mag_i[0] itself). x is rounded
// once with rnd_i: RNE (and reserved 3), RZ, or SR with the random word
// rand_i and the construction SR_KIND (numerics.md section 5); subnormals
// are produced on the format's grid 2^(emin - Y).
//   res_o   = the rounded value, packed {sign, exponent, mantissa};
//             +-Inf on overflow for RNE and SR, +-max finite for RZ;
//             mag_i = 0 (and no sticky): a zero of sign zero_sign_i (the
//             caller's rule for a zero sum), flags 0.
//   flags_o = {invalid = 0, overflow, underflow, inexact}: overflow when y
//             (x rounded with an unbounded exponent above) exceeds max
//             finite (then also inexact); inexact when y != x; underflow
//             when inexact and tiny, tininess after rounding for RNE/RZ
//             (x rounded to Y + 1 bits with no subnormal loss is below
//             2^emin) and before rounding for SR (|x| < 2^emin).
//
// Latency: combinational. No handshake.
// Contract: with sticky_i high (or a sticky jammed into mag_i[0]), mag_i is
// non-zero and its leading one lies at bit Y + SR_BITS + 2 or above, so that
// the kept bits, RNE's round bit and SR's R + 1 bits D all lie above bit 0
// (the bits they need are exact; everything at or below bit 0 only counts
// as sticky). Without a sticky every input is legal.
//
// Datapath:
//  1. A MAG_W-bit leading-zero count and left shift normalize mag_i; the
//     exponent of its leading bit is top = exp_i + MAG_W - 1 - lzc.
//  2. The normalized significand sits at the top of a VW-bit field,
//     VW = max(MAG_W, Y + R + 2): Y + 1 kept bits, then the R + 1 bits D
//     that SR reads (the first of them is RNE's round bit), then the rest.
//     A value below 2^emin (top < emin) is shifted right by emin - top onto
//     the subnormal grid, every shifted-out bit ORed into the sticky st.
//  3. fp8sa_round rounds the packed {biased exponent, mantissa} (biased
//     exponent 0 for the subnormal grid, top + bias otherwise; at or above
//     the all-ones exponent the value overflows before rounding).
module fp8sa_norm_round #(
  parameter integer ACC_EXP_W = 8,    // [4, 8]
  parameter integer ACC_MAN_W = 23,   // [2, 23]
  parameter integer SR_BITS   = 16,   // [2, 24]
  parameter integer SR_KIND   = 0,    // [0, 2]: SrKindMid, SrKindTrunc, SrKindSrc
  parameter integer MAG_W     = 32,   // [1, 1023]: bits of mag_i
  parameter integer EXP_W     = 10    // [2, 16]: bits of exp_i (signed)
) (
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,       // 0 RNE, 1 RZ, 2 SR, 3 reserved (RNE)
  input  wire [SR_BITS-1:0]           rand_i,      // u of numerics.md section 5
  input  wire                         sign_i,
  input  wire [MAG_W-1:0]             mag_i,
  input  wire [EXP_W-1:0]             exp_i,       // signed: the weight of mag_i[0]
  input  wire                         sticky_i,    // a non-zero remainder below mag_i[0]
  input  wire                         zero_sign_i, // the sign of a zero result
  output reg  [ACC_EXP_W+ACC_MAN_W:0] res_o,       // ACC_W bits
  output reg  [`FP8SA_FLAG_W-1:0]                   flags_o
);

  `include "fp8sa_pkg.vh"

  // ---------------------------------------------------------------------
  // Parameters
  // ---------------------------------------------------------------------
  localparam integer ExpW   = ACC_EXP_W;
  localparam integer ManW   = ACC_MAN_W;
  localparam integer SrW    = SR_BITS;
  localparam integer Bias   = (1 << (ExpW - 1)) - 1;
  localparam integer EMin   = 1 - Bias;
  localparam integer ExpMax = (1 << ExpW) - 1;           // all-ones field
  localparam integer NeedW  = ManW + SrW + 2;            // kept bits and D
  localparam integer VW     = (MAG_W > NeedW) ? MAG_W : NeedW;
  localparam integer RestW  = VW - NeedW;                // bits below D in the field
  localparam integer LzW    = $clog2(MAG_W + 1);
  localparam integer ShW    = $clog2(VW + 1);            // 2^ShW - 1 >= VW: drops all
  // Internal signed exponents: exp_i, MAG_W, the bias and the shifts.
  localparam integer IWA    = (EXP_W > 10) ? EXP_W : 10;
  localparam integer IW     = IWA + LzW + 2;
  localparam integer TopOffI = MAG_W - 1;
  localparam [IW-1:0] TopOff = TopOffI[IW-1:0];
  localparam [IW-1:0] EMinV  = EMin[IW-1:0];
  localparam [IW-1:0] BiasV  = Bias[IW-1:0];
  localparam [IW-1:0] ExpMaxV = ExpMax[IW-1:0];
  localparam integer EMinM1I = EMin - 1;
  localparam [IW-1:0] EMinM1 = EMinM1I[IW-1:0];

  localparam [ExpW+ManW-1:0] InfMag = {{ExpW{1'b1}}, {ManW{1'b0}}};
  localparam [ExpW+ManW-1:0] MaxMag = {{(ExpW - 1){1'b1}}, 1'b0, {ManW{1'b1}}};

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
    if (SR_KIND < 0 || SR_KIND > 2) begin : g_err_sr_kind
      fp8sa_param_error_SR_KIND_out_of_range_0_to_2 u_param_error ();
    end
    if (MAG_W < 1 || MAG_W > 1023) begin : g_err_mag_w
      fp8sa_param_error_MAG_W_out_of_range_1_to_1023 u_param_error ();
    end
    if (EXP_W < 2 || EXP_W > 16) begin : g_err_exp_w_in
      fp8sa_param_error_EXP_W_out_of_range_2_to_16 u_param_error ();
    end
  endgenerate

  // ---------------------------------------------------------------------
  // 1. Normalize
  // ---------------------------------------------------------------------
  wire [LzW-1:0]   lz;

  fp8sa_lzc #(.WIDTH(MAG_W)) u_lzc (.in_i(mag_i), .cnt_o(lz));

  wire [MAG_W-1:0] nrm = mag_i << lz;
  wire             mag_zero = ~|mag_i;
  wire [IW-1:0]    exp_x = {{(IW - EXP_W){exp_i[EXP_W-1]}}, exp_i};
  wire [IW-1:0]    top   = exp_x + TopOff - {{(IW - LzW){1'b0}}, lz};

  // ---------------------------------------------------------------------
  // 2. Field and subnormal shift
  // ---------------------------------------------------------------------
  wire [VW-1:0] fld;

  generate
    if (VW > MAG_W) begin : g_pad
      assign fld = {nrm, {(VW - MAG_W){1'b0}}};
    end else begin : g_no_pad
      assign fld = nrm;
    end
  endgenerate

  // top < emin: shift right by emin - top (> 0), saturated where all of the
  // field is dropped.
  wire [IW-1:0]  rs_raw = EMinV - top;
  wire           sub    = $signed(top) < $signed(EMinV);
  wire           rs_big = |rs_raw[IW-1:ShW];
  wire [ShW-1:0] rs     = ~sub ? {ShW{1'b0}} : (rs_big ? {ShW{1'b1}} : rs_raw[ShW-1:0]);

  reg  [VW-1:0] fs;
  reg           dropped;
  integer       k;

  always @* begin
    fs      = fld;
    dropped = 1'b0;
    for (k = 0; k < ShW; k = k + 1) begin
      if (rs[k]) begin
        dropped = dropped | (|(fs & ~({VW{1'b1}} << (1 << k))));
        fs      = fs >> (1 << k);
      end
    end
  end

  wire             hidden = fs[VW-1];
  wire [ManW-1:0]  man    = fs[VW-2:VW-1-ManW];
  wire [SrW:0]     d_bits = fs[VW-2-ManW:VW-2-ManW-SrW];
  wire             rest_st;

  generate
    if (RestW > 0) begin : g_rest
      assign rest_st = |fs[RestW-1:0];
    end else begin : g_no_rest
      assign rest_st = 1'b0;
    end
  endgenerate

  wire st     = rest_st | dropped | sticky_i;
  wire guard  = d_bits[SrW];
  wire sticky = (|d_bits[SrW-1:0]) | st;

  // RNE at full precision (Y + 1 bits, no subnormal loss) reaches 2^emin
  // from [2^(emin-1), 2^emin): all Y + 1 bits ones and the round bit one.
  wire rne_emin = (top == EMinM1) & (&fld[VW-1:VW-1-ManW]) & fld[VW-2-ManW];

  // ---------------------------------------------------------------------
  // 3. Round
  // ---------------------------------------------------------------------
  wire [IW-1:0]        eb      = top + BiasV;
  wire                 ovf_pre = hidden & ~($signed(eb) < $signed(ExpMaxV));
  wire [ExpW-1:0]      eb_fld  = hidden ? eb[ExpW-1:0] : {ExpW{1'b0}};
  wire [ExpW+ManW-1:0] rounded;
  wire                 r_up_unused, r_tiny_unused;
  wire                 ovf, r_inexact, r_uf;

  fp8sa_round #(
    .SR_BITS (SrW),
    .MAG_W   (ExpW + ManW),
    .SR_KIND (SR_KIND)
  ) u_round (
    .rnd_i      (rnd_i),
    .abs_i      ({eb_fld, man}),
    .guard_i    (guard),
    .sticky_i   (sticky),
    .sr_d_i     (d_bits),
    .sr_st_i    (st),
    .rand_i     (rand_i),
    .max_i      (MaxMag),
    .ovf_pre_i  (ovf_pre),
    .tiny_pre_i (sub),
    .rne_emin_i (rne_emin),
    .up_o       (r_up_unused),
    .abs_o      (rounded),
    .ovf_o      (ovf),
    .inexact_o  (r_inexact),
    .tiny_o     (r_tiny_unused),
    .uf_o       (r_uf)
  );

  wire is_rz = (rnd_i == RndRz);

  always @* begin
    if (mag_zero & ~sticky_i) begin
      res_o   = {zero_sign_i, {(ExpW + ManW){1'b0}}};
      flags_o = 4'b0000;
    end else begin
      res_o   = {sign_i, ovf ? (is_rz ? MaxMag : InfMag) : rounded};
      flags_o = {1'b0, ovf, r_uf, r_inexact};
    end
  end

endmodule
`default_nettype wire

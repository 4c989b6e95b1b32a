`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_quantizer: output unit, converts an accumulator-format value
// (eXmY, X = ACC_EXP_W, Y = ACC_MAN_W) times 2^scale_i to E4M3, E5M2, FP16
// or BF16 (docs/numerics.md section 6).
//
// acc_i * 2^scale_i is formed exactly (the exponent is adjusted, nothing
// is lost) and rounded once into the output format with RNE, RZ or SR
// (rand_i, SR_BITS bits; rnd_i = 3 is reserved and behaves as RNE),
// subnormals kept. Overflow (|y| > max finite, y rounded with an unbounded
// exponent) gives +-max with sat_i, else +-Inf, or the NaN 0x7F for E4M3
// (which then also raises invalid), in every rounding mode: section 6
// gives the overflow result by sat_i alone, so unlike the accumulator an
// RZ overflow without sat_i is +-Inf (an RZ y exceeds max only when
// |x| >= 2^(emax+1), or for E4M3 when |x| >= 480).
// E4M3 max is 448 and 464 ties to it.
// Inf input: +-Inf (E5M2/FP16/BF16), NaN + invalid (E4M3) without sat_i,
// +-max + inexact with sat_i. NaN input: canonical NaN of the output
// format, invalid iff signalling. Zeros keep their sign. Tininess: after
// rounding for RNE/RZ, before rounding for SR. out_fmt_i 4..7 is reserved:
// q_o = 0, flags_o = 0.
// q_o: FP16/BF16 in [15:0]; E4M3/E5M2 in [7:0] with [15:8] zero.
// flags_o = {invalid, overflow, underflow, inexact}.
//
// Latency: combinational. Contract: out_fmt_i in 0..3 and rnd_i in 0..2;
// a simulation-only check reports the reserved codes.
//
// Datapath: the input significand is normalized (MSB at the top), then
// shifted right into a field whose kept LSB sits at a fixed position
// KeepLsb: the shift is (10 - output mantissa bits) plus, for results
// below the output's normal range, emin - top (the subnormal grid). Below
// the kept bits are the SR_BITS + 1 bits of SR's D and a sticky st of
// everything shifted further out, so all field bits are exact and the RNE
// round/sticky, SR's D and st (fp8sa_round makes k from them by SR_KIND)
// and the full-precision round bits for tininess are plain bit selects.
module fp8sa_quantizer #(
  parameter integer ACC_EXP_W = 8,   // [4, 8]
  parameter integer ACC_MAN_W = 23,  // [2, 23]
  parameter integer SR_BITS   = 16,  // [2, 24]
  parameter integer SR_KIND   = 0    // [0, 2]: SR construction (fp8sa_round)
) (
  input  wire [ACC_EXP_W+ACC_MAN_W:0] acc_i,      // ACC_W bits
  input  wire [`FP8SA_OUT_FMT_W-1:0]                   out_fmt_i,  // 0 E4M3, 1 E5M2, 2 FP16, 3 BF16
  input  wire [`FP8SA_RND_W-1:0]                   rnd_i,      // 0 RNE, 1 RZ, 2 SR
  input  wire                         sat_i,
  input  wire [`FP8SA_SCALE_W-1:0]                   scale_i,    // signed, [-64, 63]
  input  wire [SR_BITS-1:0]           rand_i,
  output reg  [`FP8SA_Q_W-1:0]                  q_o,
  output reg  [`FP8SA_FLAG_W-1:0]                   flags_o
);

  // ---------------------------------------------------------------------
  // Parameters
  // ---------------------------------------------------------------------
  localparam integer ManW    = ACC_MAN_W;
  localparam integer SrW     = SR_BITS;
  localparam integer SigW    = (ManW + 1 > 8) ? ManW + 1 : 8;
  localparam integer EW      = 12;                   // internal signed exponents
  localparam integer SigLzW  = $clog2(SigW + 1);
  localparam integer KeepLsb = SrW + 1;              // field index of the kept LSB
  localparam integer FieldW  = KeepLsb + 11;         // up to 11 kept bits (FP16)
  localparam integer VecW    = FieldW + SigW;        // field + bits that fall below
  localparam integer ShW     = $clog2(VecW + 1);
  localparam integer TopOff  = SigW - 1;
  localparam [EW-1:0] TopOffV = TopOff[EW-1:0];

  `include "fp8sa_pkg.vh"

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
  // Output format table (one place): mantissa bits, bias, emin, max finite,
  // Inf and canonical NaN magnitudes, sign position.
  // ---------------------------------------------------------------------
  reg [3:0]    o_man_w;   // 3, 2, 10, 7
  reg [EW-1:0] o_bias;
  reg [EW-1:0] o_emin;    // 1 - bias
  reg [14:0]   o_max;     // max finite magnitude
  reg [14:0]   o_inf;     // Inf magnitude (E4M3: unused, no Inf)
  reg [15:0]   o_nan;     // canonical NaN, sign 0
  reg          o_is_e4m3;
  reg          o_wide;    // 16-bit format: sign in bit 15, else bit 7

  always @* begin
    o_is_e4m3 = 1'b0;
    o_wide    = 1'b0;
    case (out_fmt_i[1:0])
      OutFmtE4m3[1:0]: begin
        o_man_w   = 4'd3;
        o_bias    = 12'd7;
        o_emin    = -12'sd6;
        o_max     = 15'h007E;
        o_inf     = 15'h007F;   // never used: E4M3 overflow makes NaN
        o_nan     = 16'h007F;
        o_is_e4m3 = 1'b1;
      end
      OutFmtE5m2[1:0]: begin
        o_man_w   = 4'd2;
        o_bias    = 12'd15;
        o_emin    = -12'sd14;
        o_max     = 15'h007B;
        o_inf     = 15'h007C;
        o_nan     = 16'h007E;
      end
      OutFmtFp16[1:0]: begin
        o_man_w   = 4'd10;
        o_bias    = 12'd15;
        o_emin    = -12'sd14;
        o_max     = 15'h7BFF;
        o_inf     = 15'h7C00;
        o_nan     = 16'h7E00;
        o_wide    = 1'b1;
      end
      default: begin  // OutFmtBf16
        o_man_w   = 4'd7;
        o_bias    = 12'd127;
        o_emin    = -12'sd126;
        o_max     = 15'h7F7F;
        o_inf     = 15'h7F80;
        o_nan     = 16'h7FC0;
        o_wide    = 1'b1;
      end
    endcase
  end

  // ---------------------------------------------------------------------
  // Unpack, normalize, scale
  // ---------------------------------------------------------------------
  wire [ClassW-1:0] in_cls;   // bits named Cls* in fp8sa_pkg.vh
  wire [9:0]        in_exp;
  wire [SigW-1:0]   in_sig;

  fp8sa_acc_unpack #(.ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W)) u_unpack (
    .acc_i(acc_i), .class_o(in_cls), .exp_o(in_exp), .sig_o(in_sig));

  wire [SigLzW-1:0] in_lz;

  fp8sa_lzc #(.WIDTH(SigW)) u_lzc (.in_i(in_sig), .cnt_o(in_lz));

  wire [SigW-1:0] nsig = in_sig << in_lz;
  // Exponent of the MSB of acc_i * 2^scale_i.
  wire [EW-1:0]   top  = {{(EW - 10){in_exp[9]}}, in_exp} + TopOffV
                         - {{(EW - SigLzW){1'b0}}, in_lz}
                         + {{(EW - 7){scale_i[6]}}, scale_i};

  // ---------------------------------------------------------------------
  // Align to the output grid
  // ---------------------------------------------------------------------
  wire [EW-1:0] sub_raw = o_emin - top;                // > 0: below normal range
  wire          sub     = ~sub_raw[EW-1] & (|sub_raw);
  wire [EW-1:0] sub_amt = sub ? sub_raw : {EW{1'b0}};
  wire [EW-1:0] sh_raw  = 12'd10 - {8'd0, o_man_w} + sub_amt;
  // A shift by 2^ShW - 1 (>= VecW) already drops everything: saturate to it.
  wire           sh_big = sh_raw[EW-1] | (|sh_raw[EW-2:ShW]);
  wire [ShW-1:0] sh     = sh_big ? {ShW{1'b1}} : sh_raw[ShW-1:0];

  // Right shift by sh, one stage per amount bit, each stage ORing the bits
  // it drops into a sticky.
  reg  [VecW-1:0] vec_sh;
  reg             lost;
  integer         k;

  always @* begin
    vec_sh = {nsig, {FieldW{1'b0}}};
    lost   = 1'b0;
    for (k = 0; k < ShW; k = k + 1) begin
      if (sh[k]) begin
        lost   = lost | (|(vec_sh & ~({VecW{1'b1}} << (1 << k))));
        vec_sh = vec_sh >> (1 << k);
      end
    end
  end

  wire [FieldW-1:0] field   = vec_sh[VecW-1:SigW];
  wire              below   = (|vec_sh[SigW-1:0]) | lost;  // under field bit 0

  wire [10:0]     kept    = field[FieldW-1:KeepLsb];
  wire            g       = field[KeepLsb-1];              // RNE round bit
  wire            st      = (|field[KeepLsb-2:0]) | below;

  // Per-format mantissa of the kept bits, hidden bit, and "all mantissa
  // bits one" (for tininess after rounding).
  reg [9:0] man;
  reg       hidden;
  reg       man_ones;

  always @* begin
    case (out_fmt_i[1:0])
      OutFmtE4m3[1:0]: begin man = {7'd0, kept[2:0]}; hidden = kept[3];  man_ones = &kept[2:0]; end
      OutFmtE5m2[1:0]: begin man = {8'd0, kept[1:0]}; hidden = kept[2];  man_ones = &kept[1:0]; end
      OutFmtFp16[1:0]: begin man = kept[9:0];         hidden = kept[10]; man_ones = &kept[9:0]; end
      default:         begin man = {3'd0, kept[6:0]}; hidden = kept[7];  man_ones = &kept[6:0]; end
    endcase
  end

  // ---------------------------------------------------------------------
  // Round (fp8sa_round)
  // ---------------------------------------------------------------------
  // A result in [2^(emin-1), 2^emin) (subnormal shift of exactly 1) rounds
  // up to 2^emin at full precision in RNE when its Mo+1 significant bits
  // (man and field[KeepLsb-1]) are ones and the next bit is one.
  wire sub_by_one   = (sub_amt == 12'd1);
  wire rne_to_emin  = sub_by_one & man_ones & field[KeepLsb-1] & field[KeepLsb-2];

  // Packed magnitude {biased exponent, mantissa} as an integer: adding the
  // increment carries into the exponent, and overflow is "above max".
  wire [EW-1:0] eb       = hidden ? (top + o_bias) : {EW{1'b0}};
  wire [21:0]   pk_pre   = ({{10{1'b0}}, eb} << o_man_w) | {12'd0, man};
  wire [21:0]   pk;
  wire          r_up_unused, r_tiny_unused;
  wire          ovf, r_inexact, r_uf;
  wire          pk_top_unused = ^pk[21:15];    // above max of every format: ovf

  fp8sa_round #(
    .SR_BITS (SrW),
    .MAG_W   (22),
    .SR_KIND (SR_KIND)
  ) u_round (
    .rnd_i      (rnd_i),
    .abs_i      (pk_pre),
    .guard_i    (g),
    .sticky_i   (st),
    .sr_d_i     (field[KeepLsb-1:0]),    // D: the R + 1 bits below the LSB
    .sr_st_i    (below),
    .rand_i     (rand_i),
    .max_i      ({7'd0, o_max}),
    .ovf_pre_i  (1'b0),
    .tiny_pre_i (sub),
    .rne_emin_i (rne_to_emin),
    .up_o       (r_up_unused),
    .abs_o      (pk),
    .ovf_o      (ovf),
    .inexact_o  (r_inexact),
    .tiny_o     (r_tiny_unused),
    .uf_o       (r_uf)
  );

  // ---------------------------------------------------------------------
  // Result selection
  // ---------------------------------------------------------------------
  reg [14:0] mag;
  reg        res_nan;
  reg        res_sign;

  always @* begin
    mag      = 15'd0;
    res_nan  = 1'b0;
    res_sign = in_cls[ClsSign];
    flags_o  = 4'b0000;
    if (in_cls[ClsNan]) begin
      res_nan  = 1'b1;
      flags_o  = {in_cls[ClsSnan], 3'b000};
    end else if (in_cls[ClsInf]) begin
      if (sat_i) begin
        mag     = o_max;
        flags_o = 4'b0001;
      end else if (o_is_e4m3) begin
        res_nan = 1'b1;
        flags_o = 4'b1000;
      end else begin
        mag     = o_inf;
      end
    end else if (in_cls[ClsZero]) begin
      mag      = 15'd0;
    end else begin
      // Overflow: flags overflow and inexact (and invalid for the E4M3 NaN).
      flags_o  = {1'b0, ovf, r_uf, r_inexact};
      if (!ovf) begin
        mag     = pk[14:0];
      end else if (sat_i) begin
        mag     = o_max;
      end else if (o_is_e4m3) begin
        res_nan = 1'b1;
        flags_o[FlagInvalid] = 1'b1;
      end else begin
        mag     = o_inf;
      end
    end

    if (out_fmt_i[OutFmtResBit]) begin
      q_o     = 16'd0;
      flags_o = 4'b0000;
    end else if (res_nan) begin
      q_o     = o_nan;
    end else if (o_wide) begin
      q_o     = {res_sign, mag};
    end else begin
      q_o     = {8'd0, res_sign, mag[6:0]};
    end
  end

`ifndef SYNTHESIS
  // Combinational unit: report a reserved code whenever the inputs carry
  // one (there is no valid strobe to qualify it with).
  always @* begin
    if (out_fmt_i[OutFmtResBit] === 1'b1) begin
      $display("fp8sa ERROR: %m: reserved out_fmt %0d (output forced to 0)", out_fmt_i);
    end
    if (rnd_i === RndReserved) begin
      $display("fp8sa ERROR: %m: reserved rounding mode 3 (treated as RNE)");
    end
  end
`endif

endmodule
`default_nettype wire

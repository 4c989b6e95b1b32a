`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_fp8_decode: class and exact (significand, exponent) of one FP8
// operand, E4M3 (fmt_i = 0, bias 7, no Inf, NaN = S.1111.111) or E5M2
// (fmt_i = 1, bias 15, Inf = S.11111.00, NaN = S.11111.{01,10,11}).
//
// Value of a finite operand = (-1)^S * sig_o * 2^exp_o with
// sig_o = {e != 0, m} (hidden bit, not normalized for subnormals) and
// exp_o = max(e, 1) - bias - Mf, in [-16, 5]. The sign is left to the
// caller (bit 7 in both formats), so only the magnitude bits come in.
//
// Latency: combinational. Contract: none.
module fp8sa_fp8_decode (
  input  wire [`FP8SA_FP8_W-2:0] mag_i,   // operand without its sign bit
  input  wire       fmt_i,   // 0 E4M3, 1 E5M2
  output reg  [`FP8SA_FP8_SIG_W-1:0] sig_o,
  output reg  [`FP8SA_FP8_EXP_W-1:0] exp_o,   // signed
  output reg        zero_o,
  output reg        inf_o,
  output reg        nan_o
);

  `include "fp8sa_pkg.vh"

  always @* begin
    zero_o = (mag_i[6:0] == 7'd0);
    if (fmt_i == FmtE4m3) begin
      // E4M3: exp field x[6:3], mantissa x[2:0]; exp = max(e,1) - 7 - 3.
      sig_o  = {|mag_i[6:3], mag_i[2:0]};
      exp_o  = {2'b00, mag_i[6:4], mag_i[3] | ~|mag_i[6:3]} - 6'd10;
      inf_o  = 1'b0;
      nan_o  = (mag_i[6:0] == 7'h7F);
    end else begin
      // E5M2: exp field x[6:2], mantissa x[1:0]; exp = max(e,1) - 15 - 2.
      sig_o  = {1'b0, |mag_i[6:2], mag_i[1:0]};
      exp_o  = {1'b0, mag_i[6:3], mag_i[2] | ~|mag_i[6:2]} - 6'd17;
      inf_o  = (mag_i[6:0] == 7'h7C);
      nan_o  = (&mag_i[6:2]) & (|mag_i[1:0]);
    end
  end

endmodule
`default_nettype wire

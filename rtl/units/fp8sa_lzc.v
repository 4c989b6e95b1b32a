`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_lzc: leading-zero counter.
//
// cnt_o is the number of zero bits above the most significant one of in_i,
// and WIDTH when in_i is zero.
//
// Latency: combinational. Contract: none (every input is legal).
//
// Structure: the input is padded below with ones to a power of two (so an
// all-zero input counts exactly WIDTH), then each count bit, from the most
// significant down, asks whether the top 2^k bits of the remaining window
// are zero and, if so, drops them. Depth is log2 of the width; later
// stages only look at the top bits, so synthesis trims each stage to 2^k
// bits and the whole counter costs about one mux per input bit.
module fp8sa_lzc #(
  parameter integer WIDTH = 8,                    // [1, 1023]
  parameter integer CNT_W = $clog2(WIDTH + 1)     // derived, leave at default
) (
  input  wire [WIDTH-1:0] in_i,
  output reg  [CNT_W-1:0] cnt_o
);

  localparam integer PadW = 1 << CNT_W;  // >= WIDTH + 1

  generate
    if (WIDTH < 1 || WIDTH > 1023) begin : g_err_width
      fp8sa_param_error_LZC_WIDTH_out_of_range_1_to_1023 u_param_error ();
    end
    if (CNT_W != $clog2(WIDTH + 1)) begin : g_err_cnt
      fp8sa_param_error_LZC_CNT_W_must_be_clog2_of_WIDTH_plus_1 u_param_error ();
    end
  endgenerate

  reg [PadW-1:0] win;
  integer k;

  always @* begin
    win = {in_i, {(PadW - WIDTH){1'b1}}};
    for (k = CNT_W - 1; k >= 0; k = k - 1) begin
      // Top 2^k bits of the window all zero: count them and drop them.
      if (~|(win >> (PadW - (1 << k)))) begin
        cnt_o[k] = 1'b1;
        win      = win << (1 << k);
      end else begin
        cnt_o[k] = 1'b0;
      end
    end
  end

endmodule
`default_nettype wire

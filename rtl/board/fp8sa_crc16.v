`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_crc16: one byte of CRC-16/CCITT-FALSE (polynomial 0x1021, MSB
// first; docs/fpga.md "Frames"): crc_o is crc_i advanced over data_i. The
// initial value 0xFFFF is the caller's. Combinational; the receiver and the
// transmitter of the host link each hold one.
module fp8sa_crc16 (
  input  wire [15:0] crc_i,
  input  wire [7:0]  data_i,
  output reg  [15:0] crc_o
);
  integer i;
  always @* begin
    crc_o = crc_i;
    for (i = 7; i >= 0; i = i - 1) begin
      crc_o = (crc_o[15] ^ data_i[i]) ? ({crc_o[14:0], 1'b0} ^ 16'h1021) : {crc_o[14:0], 1'b0};
    end
  end
endmodule
`default_nettype wire

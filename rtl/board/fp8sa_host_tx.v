`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_host_tx: the host link's reply transmitter (docs/fpga.md "Frames").
//
// Contract. While send_i is high it offers the reply frame 0x5A, STATUS,
// CMD, LEN lo, LEN hi, LEN payload bytes, CRC lo, CRC hi to the UART
// transmitter one byte at a time (tx_valid_o = send_i, valid/ready), the CRC
// being CRC-16/CCITT-FALSE over every byte after the sync byte. st_i, cmd_i,
// len_i and the payload must hold while send_i is high; the payload byte at
// index pay_idx_o (0 .. len_i-1) comes back combinationally on pay_byte_i
// (pay_idx_o is meaningless outside the payload). done_o: one cycle, the
// frame's last byte was taken; the transmitter is then ready for the next
// frame. send_i must fall in the cycle after done_o (the executor's job).
// Reset (asynchronous, active low): at the frame's first byte.
module fp8sa_host_tx (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        send_i,
  input  wire [7:0]  st_i,
  input  wire [7:0]  cmd_i,
  input  wire [15:0] len_i,
  output wire [15:0] pay_idx_o,
  input  wire [7:0]  pay_byte_i,
  output wire        tx_valid_o,
  input  wire        tx_ready_i,
  output wire [7:0]  tx_data_o,
  output wire        done_o
);

  `include "fp8sa_host_protocol.vh"

  reg [15:0] idx_q;        // byte of the reply frame being offered
  reg [15:0] crc_q;        // CRC of the bytes taken so far

  wire [15:0] pay_end = len_i + 16'd5;
  reg  [7:0]  tx_byte;
  always @* begin
    if (idx_q == 16'd0)        tx_byte = SyncRep;
    else if (idx_q == 16'd1)   tx_byte = st_i;
    else if (idx_q == 16'd2)   tx_byte = cmd_i;
    else if (idx_q == 16'd3)   tx_byte = len_i[7:0];
    else if (idx_q == 16'd4)   tx_byte = len_i[15:8];
    else if (idx_q < pay_end)  tx_byte = pay_byte_i;
    else if (idx_q == pay_end) tx_byte = crc_q[7:0];
    else                       tx_byte = crc_q[15:8];
  end
  wire [15:0] crc_next;
  fp8sa_crc16 u_crc (.crc_i(crc_q), .data_i(tx_byte), .crc_o(crc_next));
  wire fire = send_i && tx_ready_i;
  wire last = (idx_q == pay_end + 16'd1);

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      idx_q <= 16'd0;
      crc_q <= 16'hFFFF;
    end else if (fire) begin
      if (last) begin
        idx_q <= 16'd0;
        crc_q <= 16'hFFFF;
      end else begin
        idx_q <= idx_q + 16'd1;
        if ((idx_q != 16'd0) && (idx_q < pay_end)) crc_q <= crc_next;
      end
    end
  end

  assign pay_idx_o  = idx_q - 16'd5;
  assign tx_valid_o = send_i;
  assign tx_data_o  = tx_byte;
  assign done_o     = fire && last;

endmodule
`default_nettype wire

`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_host_rx: the host link's frame receiver (docs/fpga.md "Frames").
//
// Contract. From the UART's byte stream it finds request frames (0xA5, CMD,
// LEN lo, LEN hi, LEN payload bytes, CRC lo, CRC hi), checks the
// CRC-16/CCITT-FALSE over every byte after the sync byte, and ends a frame
// that goes TIMEOUT_CYCLES cycles without a byte. It decides nothing about
// the command: the executor (fp8sa_host_exec) reads cmd_o, len_o and head_o
// and writes the payload bytes where they belong.
//   hdr_o        one cycle: LEN's last byte arrived (cmd_o, len_o valid now)
//   pay_valid_o  one cycle per payload byte (the byte is rx_data_i, its
//                index in the payload pay_idx_o)
//   end_o        one cycle: the frame ended, with end_crc_ok_o (its CRC
//                matched) or end_timeout_o (it timed out; end_cmd_o is 0 when
//                it timed out before its CMD byte, else cmd_o)
//   cmd_o, len_o the last frame's CMD and LEN (len_o from the cycle of hdr_o)
// After end_o the receiver drops every byte until done_i (the reply's last
// byte went out): strictly one frame at a time. busy_o: not hunting for a
// sync byte. Latency: end_o in the cycle of the CRC's last byte.
// Reset (asynchronous, active low): hunting, idle counter zero.
module fp8sa_host_rx #(
  parameter integer TIMEOUT_CYCLES = 1200000   // [16, 2^30]: cycles without a byte that end a frame
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        rx_valid_i,
  input  wire [7:0]  rx_data_i,
  input  wire        done_i,
  output wire        hdr_o,
  output wire        pay_valid_o,
  output wire        end_o,
  output wire        end_crc_ok_o,
  output wire        end_timeout_o,
  output wire [7:0]  end_cmd_o,
  output wire [7:0]  cmd_o,
  output wire [15:0] len_o,
  output wire [15:0] pay_idx_o,
  output wire        busy_o
);

  `include "fp8sa_host_protocol.vh"

  generate
    if (TIMEOUT_CYCLES < 16 || TIMEOUT_CYCLES > 1073741824) begin : g_err_timeout
      fp8sa_param_error_TIMEOUT_CYCLES_out_of_range_16_to_2p30 u_param_error ();
    end
  endgenerate

  localparam integer TimeoutM1I = TIMEOUT_CYCLES - 1;
  localparam integer IdleW = $clog2(TIMEOUT_CYCLES + 1);
  localparam [IdleW-1:0] TimeoutM1 = TimeoutM1I[IdleW-1:0];

  localparam [2:0] SHunt = 3'd0, SCmd = 3'd1, SLen0 = 3'd2, SLen1 = 3'd3, SPay = 3'd4,
                   SCrc0 = 3'd5, SCrc1 = 3'd6, SWait = 3'd7;
  reg [2:0]  state_q;
  reg [7:0]  cmd_q;
  reg [15:0] len_q;
  reg [15:0] got_q;              // payload bytes received
  reg [15:0] crc_q;              // running CRC of the request
  reg [7:0]  crc_lo_q;           // received CRC, low byte
  reg [IdleW-1:0] idle_q;        // cycles since the last byte of the open frame

  wire [15:0] crc_next;   // crc_q advanced over the byte on rx_data_i
  fp8sa_crc16 u_crc (.crc_i(crc_q), .data_i(rx_data_i), .crc_o(crc_next));

  wire frame_open = (state_q != SHunt) && (state_q != SWait);
  wire timed_out  = frame_open && !rx_valid_i && (idle_q == TimeoutM1);
  wire crc_end    = (state_q == SCrc1) && rx_valid_i;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= SHunt;
      cmd_q <= 8'd0; len_q <= 16'd0; got_q <= 16'd0; crc_q <= 16'hFFFF; crc_lo_q <= 8'd0;
      idle_q <= {IdleW{1'b0}};
    end else begin
      idle_q <= (frame_open && !rx_valid_i) ? idle_q + 1'b1 : {IdleW{1'b0}};
      case (state_q)
        SHunt: if (rx_valid_i && (rx_data_i == SyncReq)) begin
          state_q <= SCmd;
          crc_q   <= 16'hFFFF;
        end
        SCmd: if (rx_valid_i) begin
          cmd_q <= rx_data_i; crc_q <= crc_next; state_q <= SLen0;
        end
        SLen0: if (rx_valid_i) begin
          len_q[7:0] <= rx_data_i; crc_q <= crc_next; state_q <= SLen1;
        end
        SLen1: if (rx_valid_i) begin
          len_q[15:8] <= rx_data_i; crc_q <= crc_next;
          got_q <= 16'd0;
          state_q <= ({rx_data_i, len_q[7:0]} == 16'd0) ? SCrc0 : SPay;
        end
        SPay: if (rx_valid_i) begin
          crc_q <= crc_next;
          got_q <= got_q + 16'd1;
          if (got_q + 16'd1 == len_q) state_q <= SCrc0;
        end
        SCrc0: if (rx_valid_i) begin
          crc_lo_q <= rx_data_i; state_q <= SCrc1;
        end
        SCrc1: if (rx_valid_i) state_q <= SWait;
        default: if (done_i) state_q <= SHunt;   // SWait
      endcase
      if (timed_out) state_q <= SWait;
    end
  end

  assign hdr_o         = (state_q == SLen1) && rx_valid_i;
  assign pay_valid_o   = (state_q == SPay) && rx_valid_i;
  assign end_o         = crc_end || timed_out;
  assign end_crc_ok_o  = crc_end && (crc_q == {rx_data_i, crc_lo_q});
  assign end_timeout_o = timed_out;
  assign end_cmd_o     = (timed_out && (state_q == SCmd)) ? 8'd0 : cmd_q;
  assign cmd_o         = cmd_q;
  assign len_o         = (state_q == SLen1) ? {rx_data_i, len_q[7:0]} : len_q;
  assign pay_idx_o     = got_q;
  assign busy_o        = (state_q != SHunt);

endmodule
`default_nettype wire

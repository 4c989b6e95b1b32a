`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_uart_tx: 8N1 UART transmitter (docs/fpga.md "Host link").
//
// valid_i/ready_o handshake: a byte is taken at the closing edge of a cycle
// with valid_i && ready_o; the line then carries the start bit, data_i LSB
// first and one stop bit, CLKS_PER_BIT cycles each; ready_o is high again
// when the stop bit has ended. tx_o is a register output (idle high).
// Reset (asynchronous, active low): idle, line high.
module fp8sa_uart_tx #(
  parameter integer CLKS_PER_BIT = 26   // [4, 65535]: clk_i cycles per bit (clock / baud)
) (
  input  wire       clk_i,
  input  wire       rst_ni,
  input  wire       valid_i,
  output wire       ready_o,
  input  wire [7:0] data_i,
  output wire       tx_o
);

  `include "fp8sa_uart_baud.vh"

  reg [CntW-1:0] cnt_q;      // cycles left in the current bit
  reg [3:0]      bits_q;     // bits left after the current one (10 per byte), 0 when idle
  reg [8:0]      shift_q;    // {stop, data} still to send after the current bit
  reg            tx_q;
  reg            busy_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q   <= {CntW{1'b0}};
      bits_q  <= 4'd0;
      shift_q <= 9'h1FF;
      tx_q    <= 1'b1;
      busy_q  <= 1'b0;
    end else if (!busy_q) begin
      if (valid_i) begin
        tx_q    <= 1'b0;                // start bit
        shift_q <= {1'b1, data_i};
        bits_q  <= 4'd9;
        cnt_q   <= BitM1;
        busy_q  <= 1'b1;
      end
    end else if (cnt_q != {CntW{1'b0}}) begin
      cnt_q <= cnt_q - 1'b1;
    end else if (bits_q != 4'd0) begin
      tx_q    <= shift_q[0];
      shift_q <= {1'b1, shift_q[8:1]};
      bits_q  <= bits_q - 4'd1;
      cnt_q   <= BitM1;
    end else begin
      busy_q <= 1'b0;                   // stop bit done
    end
  end

  assign ready_o = !busy_q;
  assign tx_o    = tx_q;

endmodule
`default_nettype wire

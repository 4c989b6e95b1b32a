`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_uart_rx: 8N1 UART receiver (docs/fpga.md "Host link").
//
// rx_i is asynchronous to clk_i: two synchronizer flops, then a falling
// edge starts a frame. The start bit is checked at its middle (a glitch
// shorter than half a bit is ignored), the eight data bits (LSB first) and
// the stop bit are sampled at their middles, CLKS_PER_BIT cycles apart.
// valid_o pulses for one cycle with data_o when the stop bit is 1;
// frame_err_o pulses instead when it is 0 (a break or a baud mismatch): the
// byte is dropped and the receiver waits for the line to return high before
// it looks for the next start bit, so it never locks up on a held-low line.
// Reset (asynchronous, active low): idle.
module fp8sa_uart_rx #(
  parameter integer CLKS_PER_BIT = 26   // [4, 65535]: clk_i cycles per bit (clock / baud)
) (
  input  wire       clk_i,
  input  wire       rst_ni,
  input  wire       rx_i,
  output wire       valid_o,
  output wire [7:0] data_o,
  output wire       frame_err_o
);

  `include "fp8sa_uart_baud.vh"
  localparam integer HalfM1I = CLKS_PER_BIT / 2 - 1;
  localparam [CntW-1:0] HalfM1 = HalfM1I[CntW-1:0];    // half a bit: the start bit's middle

  localparam [1:0] SIdle = 2'd0, SStart = 2'd1, SData = 2'd2, SBreak = 2'd3;

  reg [1:0]      sync_q;       // sync_q[1] is the synchronized line
  reg [1:0]      state_q;
  reg [CntW-1:0] cnt_q;        // cycles to the next sample point
  reg [3:0]      bit_q;        // data bits taken, 8 = stop bit next
  reg [7:0]      shift_q;
  reg            valid_q, err_q;

  wire line = sync_q[1];

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sync_q  <= 2'b11;
      state_q <= SIdle;
      cnt_q   <= {CntW{1'b0}};
      bit_q   <= 4'd0;
      shift_q <= 8'h00;
      valid_q <= 1'b0;
      err_q   <= 1'b0;
    end else begin
      sync_q  <= {sync_q[0], rx_i};
      valid_q <= 1'b0;
      err_q   <= 1'b0;
      case (state_q)
        SIdle: begin
          if (!line) begin
            state_q <= SStart;
            cnt_q   <= HalfM1;
          end
        end
        SStart: begin
          if (cnt_q != {CntW{1'b0}}) begin
            cnt_q <= cnt_q - 1'b1;
          end else if (line) begin
            state_q <= SIdle;            // a glitch, not a start bit
          end else begin
            state_q <= SData;
            cnt_q   <= BitM1;
            bit_q   <= 4'd0;
          end
        end
        SData: begin
          if (cnt_q != {CntW{1'b0}}) begin
            cnt_q <= cnt_q - 1'b1;
          end else if (bit_q != 4'd8) begin
            shift_q <= {line, shift_q[7:1]};
            bit_q   <= bit_q + 4'd1;
            cnt_q   <= BitM1;
          end else if (line) begin
            valid_q <= 1'b1;
            state_q <= SIdle;
          end else begin
            err_q   <= 1'b1;
            state_q <= SBreak;
          end
        end
        default: begin                   // SBreak: wait for the idle level
          if (line) state_q <= SIdle;
        end
      endcase
    end
  end

  assign valid_o     = valid_q;
  assign data_o      = shift_q;
  assign frame_err_o = err_q;

endmodule
`default_nettype wire

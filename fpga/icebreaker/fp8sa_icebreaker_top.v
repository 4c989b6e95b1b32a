`default_nettype none
// fp8sa_icebreaker_top: fp8sa on the iCEBreaker (iCE40UP5K-SG48), pins in
// icebreaker.pcf, build and figures in docs/fpga.md.
//
// Clock: the 12 MHz oscillator divided by CLK_DIV in fabric (the UP5K's PLL
// cannot go below 16 MHz, and the array's accumulate loop closes at about
// 4 MHz on this part: docs/area.md "Fmax"), driven onto a global buffer;
// the whole core runs on the divided clock. Reset: a power-on counter and
// BTN_N (low: reset). LEDs: red = the last reply was an error, green = a
// frame or tile in progress.
module fp8sa_icebreaker_top #(
  parameter integer CLK_DIV   = 4,         // 2, 4, 8 or 16
  parameter integer BAUD      = 115200,
  parameter integer ROWS      = 2,
  parameter integer COLS      = 2,
  parameter integer ACC_EXP_W = 8,
  parameter integer ACC_MAN_W = 23,
  parameter integer SR_BITS   = 16,
  parameter integer Q_SR_BITS = 16,
  parameter integer LFSR_W    = 32,
  parameter integer K_MAX     = 1024,
  parameter integer RND_MODES = 3,         // [1, 3]: PE rounding hardware (RNE, +RZ, +SR)
  parameter integer OUT_QUANT = 1          // 0: no quantizer bank (raw output only)
) (
  input  wire CLK,      // 12 MHz
  input  wire RX,       // from the FT2232H
  output wire TX,       // to the FT2232H
  input  wire BTN_N,
  output wire LEDR_N,
  output wire LEDG_N
);

  localparam integer SysHz = 12000000 / CLK_DIV;
  localparam integer DivW  = (CLK_DIV == 2) ? 1 : (CLK_DIV == 4) ? 2 : (CLK_DIV == 8) ? 3 : 4;

  generate
    if (CLK_DIV != 2 && CLK_DIV != 4 && CLK_DIV != 8 && CLK_DIV != 16) begin : g_err_div
      fp8sa_param_error_CLK_DIV_not_2_4_8_or_16 u_param_error ();
    end
  endgenerate

  reg [DivW-1:0] div_q = {DivW{1'b0}};
  always @(posedge CLK) div_q <= div_q + 1'b1;

  wire clk_sys;
  SB_GB u_gb (.USER_SIGNAL_TO_GLOBAL_BUFFER(div_q[DivW-1]), .GLOBAL_BUFFER_OUTPUT(clk_sys));

  // Power-on reset: 15 slow cycles after configuration (flops start at 0).
  reg [3:0] por_q = 4'd0;
  always @(posedge clk_sys) if (por_q != 4'hF) por_q <= por_q + 4'd1;
  wire rst_n = (por_q == 4'hF) && BTN_N;

  wire busy, error;
  fp8sa_board_core #(
    .ROWS(ROWS), .COLS(COLS), .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W),
    .SR_BITS(SR_BITS), .Q_SR_BITS(Q_SR_BITS), .LFSR_W(LFSR_W), .SEED(32'h1),
    .MUL_STAGES(0), .Q_STAGES(0), .K_MAX(K_MAX),
    .CLKS_PER_BIT((SysHz + BAUD / 2) / BAUD), .TIMEOUT_CYCLES(SysHz / 10),
    .RND_MODES(RND_MODES), .OUT_QUANT(OUT_QUANT)
  ) u_core (
    .clk_i(clk_sys), .rst_ni(rst_n), .uart_rx_i(RX), .uart_tx_o(TX),
    .busy_o(busy), .error_o(error)
  );

  assign LEDR_N = !error;
  assign LEDG_N = !busy;

endmodule
`default_nettype wire

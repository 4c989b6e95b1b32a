`default_nettype none
// fp8sa_ulx3s_top: fp8sa on the ULX3S 85F (ECP5 LFE5U-85F-6BG381C), pins in
// ulx3s_v20.lpf, build and figures in docs/fpga.md.
//
// Clock: the 25 MHz oscillator through the PLL (fp8sa_ulx3s_pll) to the
// 12.5 MHz system clock. Reset: held until the PLL locks plus a power-on
// count, and by the PWR button (btn[0], low when pressed). LEDs: led[0] a
// frame or tile in progress, led[1] the last reply was an error, led[7]
// PLL locked. wifi_gpio0 is held high so that the board's ESP32 leaves the
// FPGA alone.
module fp8sa_ulx3s_top #(
  parameter integer BAUD      = 115200,
  parameter integer ROWS      = 4,
  parameter integer COLS      = 4,
  parameter integer ACC_EXP_W = 8,
  parameter integer ACC_MAN_W = 23,
  parameter integer SR_BITS   = 16,
  parameter integer Q_SR_BITS = 16,
  parameter integer LFSR_W    = 32,
  parameter integer K_MAX     = 1024,
  parameter integer RND_MODES = 3,         // [1, 3]: PE rounding hardware (RNE, +RZ, +SR)
  parameter integer OUT_QUANT = 1          // 0: no quantizer bank (raw output only)
) (
  input  wire       clk_25mhz,
  input  wire       ftdi_txd,     // from the FTDI: the FPGA's receive line
  output wire       ftdi_rxd,     // to the FTDI
  input  wire [0:0] btn,
  output wire [7:0] led,
  output wire       wifi_gpio0
);

  localparam integer SysHz = 12500000;

  wire clk_sys, locked;
  fp8sa_ulx3s_pll u_pll (.clkin(clk_25mhz), .clkout0(clk_sys), .locked(locked));

  reg [3:0] por_q = 4'd0;
  always @(posedge clk_sys) begin
    if (!locked)              por_q <= 4'd0;
    else if (por_q != 4'hF)   por_q <= por_q + 4'd1;
  end
  wire rst_n = (por_q == 4'hF) && btn[0];

  wire busy, error;
  fp8sa_board_core #(
    .ROWS(ROWS), .COLS(COLS), .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W),
    .SR_BITS(SR_BITS), .Q_SR_BITS(Q_SR_BITS), .LFSR_W(LFSR_W), .SEED(32'h1),
    .MUL_STAGES(0), .Q_STAGES(0), .K_MAX(K_MAX),
    .CLKS_PER_BIT((SysHz + BAUD / 2) / BAUD), .TIMEOUT_CYCLES(SysHz / 10),
    .RND_MODES(RND_MODES), .OUT_QUANT(OUT_QUANT)
  ) u_core (
    .clk_i(clk_sys), .rst_ni(rst_n), .uart_rx_i(ftdi_txd), .uart_tx_o(ftdi_rxd),
    .busy_o(busy), .error_o(error)
  );

  assign led        = {locked, 5'd0, error, busy};
  assign wifi_gpio0 = 1'b1;

endmodule
`default_nettype wire

`default_nettype none
// fp8sa_ulx3s_top: fp8sa on the ULX3S 85F (ECP5 LFE5U-85F-6BG381C), pins in
// ulx3s_v20.lpf, build and figures in docs/fpga.md.
//
// Clock: the 25 MHz oscillator through the PLL (fp8sa_ulx3s_pll) to the
// SYS_HZ system clock (12.5 MHz x 1..8, or 10 MHz, 9.375 MHz, ...: fp8sa_ulx3s_pll) for the array and the host
// link; the UART runs on the 25 MHz oscillator itself (fp8sa_board_core's
// uart_clk_i), so 1 Mbaud is 25 clocks per bit at any SYS_HZ. Reset: held until the PLL locks plus a power-on
// count, and by the PWR button (btn[0], low when pressed). LEDs: led[0] a
// frame or tile in progress, led[1] the last reply was an error, led[7]
// PLL locked. wifi_gpio0 is held high so that the board's ESP32 leaves the
// FPGA alone.
module fp8sa_ulx3s_top #(
  parameter integer SYS_HZ    = 12500000,  // a rate fp8sa_ulx3s_pll can make
  parameter integer BAUD      = 1000000,   // 25 MHz / BAUD >= 4 clocks per bit, within 2 %
  parameter integer ROWS      = 4,
  parameter integer COLS      = 4,
  parameter integer ACC_EXP_W = 8,
  parameter integer ACC_MAN_W = 23,
  parameter integer SR_BITS   = 16,
  parameter integer Q_SR_BITS = 16,
  parameter integer LFSR_W    = 32,
  parameter integer K_MAX     = 1024,
  parameter integer RND_MODES = 3,         // [1, 3]: PE rounding hardware (RNE, +RZ, +SR)
  parameter integer OUT_QUANT = 1,         // 0: no quantizer bank (raw output only)
  parameter integer MUL_STAGES = 0,        // [0, 2]: the PEs' product pipeline (cycles, never bits)
  parameter integer PE_KIND   = 0,         // the PE family (fp8sa_board_core, fpga/boards.txt)
  parameter integer DOT_N     = 1,
  parameter integer ALIGN_BITS = 13,
  parameter integer SR_KIND   = 0
) (
  input  wire       clk_25mhz,
  input  wire       ftdi_txd,     // from the FTDI: the FPGA's receive line
  output wire       ftdi_rxd,     // to the FTDI
  input  wire [0:0] btn,
  output wire [7:0] led,
  output wire       wifi_gpio0
);

  localparam integer SysHz = SYS_HZ;
  localparam integer UartHz = 25000000;                   // the UART's clock: the oscillator
  localparam integer Cpb   = (UartHz + BAUD / 2) / BAUD;  // the UART's clocks per bit
  localparam integer UartPerSys = (UartHz + SysHz - 1) / SysHz;

  generate
    // As fp8sa_icebreaker_top: at least 4 clocks per bit, within 2 % of BAUD.
    if (Cpb < 4 || (Cpb * BAUD - UartHz) * 50 > UartHz || (UartHz - Cpb * BAUD) * 50 > UartHz) begin : g_err_baud
      fp8sa_param_error_BAUD_not_within_2_percent_at_4_or_more_clocks_per_bit u_param_error ();
    end
  endgenerate

  wire clk_sys, locked;
  fp8sa_ulx3s_pll #(.OUT_HZ(SYS_HZ)) u_pll (.clkin(clk_25mhz), .clkout0(clk_sys), .locked(locked));

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
    .MUL_STAGES(MUL_STAGES), .Q_STAGES(0), .K_MAX(K_MAX),
    .CLKS_PER_BIT(Cpb), .UART_PER_SYS(UartPerSys), .TIMEOUT_CYCLES(SysHz / 10),
    .RND_MODES(RND_MODES), .OUT_QUANT(OUT_QUANT),
    .PE_KIND(PE_KIND), .DOT_N(DOT_N), .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
  ) u_core (
    .clk_i(clk_sys), .uart_clk_i(clk_25mhz), .rst_ni(rst_n), .uart_rx_i(ftdi_txd), .uart_tx_o(ftdi_rxd),
    .busy_o(busy), .error_o(error)
  );

  assign led        = {locked, 5'd0, error, busy};
  assign wifi_gpio0 = 1'b1;

endmodule
`default_nettype wire

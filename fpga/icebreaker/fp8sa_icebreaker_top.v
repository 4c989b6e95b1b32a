`default_nettype none
// fp8sa_icebreaker_top: fp8sa on the iCEBreaker (iCE40UP5K-SG48), pins in
// icebreaker.pcf, build and figures in docs/fpga.md.
//
// Clock: the 12 MHz oscillator itself (CLK_DIV 1: the exact and dot PEs'
// loops close above 12 MHz on this part), or divided by CLK_DIV in fabric
// for the FMA PE (its accumulate loop closes at about 4 MHz here, and the
// UP5K's PLL cannot go below 16 MHz: docs/fpga.md), then driven onto a
// global buffer; the array and the host link run on that clock. The UART
// runs on the 12 MHz clock itself (fp8sa_board_core's uart_clk_i), so its
// rate does not depend on CLK_DIV: 3 Mbaud is 4 clocks per bit. Reset: a
// power-on counter and
// BTN_N (low: reset). LEDs: red = the last reply was an error, green = a
// frame or tile in progress.
module fp8sa_icebreaker_top #(
  parameter integer CLK_DIV   = 4,         // 1, 2, 4, 8 or 16
  parameter integer BAUD      = 3000000,   // 12 MHz / BAUD >= 4 clocks per bit, within 2 %
  parameter integer ROWS      = 2,
  parameter integer COLS      = 2,
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
  input  wire CLK,      // 12 MHz
  input  wire RX,       // from the FT2232H
  output wire TX,       // to the FT2232H
  input  wire BTN_N,
  output wire LEDR_N,
  output wire LEDG_N
);

  localparam integer SysHz = 12000000 / CLK_DIV;
  localparam integer DivW  = (CLK_DIV == 2) ? 1 : (CLK_DIV == 4) ? 2 : (CLK_DIV == 8) ? 3 : 4;
  localparam integer UartHz = 12000000;                   // the UART's clock: the oscillator
  localparam integer Cpb   = (UartHz + BAUD / 2) / BAUD;  // the UART's clocks per bit

  generate
    if (CLK_DIV != 1 && CLK_DIV != 2 && CLK_DIV != 4 && CLK_DIV != 8 && CLK_DIV != 16) begin : g_err_div
      fp8sa_param_error_CLK_DIV_not_1_2_4_8_or_16 u_param_error ();
    end
    // The receiver samples mid-bit with at least 4 clocks per bit (its own
    // check); a rounded divider more than 2 % off the host's rate would eat
    // most of the 8N1 frame's timing margin.
    if (Cpb < 4 || (Cpb * BAUD - UartHz) * 50 > UartHz || (UartHz - Cpb * BAUD) * 50 > UartHz) begin : g_err_baud
      fp8sa_param_error_BAUD_not_within_2_percent_at_4_or_more_clocks_per_bit u_param_error ();
    end
  endgenerate

  wire clk_sys;
  if (CLK_DIV == 1) begin : g_nodiv
    assign clk_sys = CLK;   // the oscillator's pin is a global input already
  end else begin : g_div
    reg [DivW-1:0] div_q = {DivW{1'b0}};
    always @(posedge CLK) div_q <= div_q + 1'b1;
    SB_GB u_gb (.USER_SIGNAL_TO_GLOBAL_BUFFER(div_q[DivW-1]), .GLOBAL_BUFFER_OUTPUT(clk_sys));
  end

  // Power-on reset: 15 slow cycles after configuration (flops start at 0).
  reg [3:0] por_q = 4'd0;
  always @(posedge clk_sys) if (por_q != 4'hF) por_q <= por_q + 4'd1;
  wire rst_n = (por_q == 4'hF) && BTN_N;

  wire busy, error;
  fp8sa_board_core #(
    .ROWS(ROWS), .COLS(COLS), .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W),
    .SR_BITS(SR_BITS), .Q_SR_BITS(Q_SR_BITS), .LFSR_W(LFSR_W), .SEED(32'h1),
    .MUL_STAGES(MUL_STAGES), .Q_STAGES(0), .K_MAX(K_MAX),
    .CLKS_PER_BIT(Cpb), .UART_PER_SYS(CLK_DIV), .TIMEOUT_CYCLES(SysHz / 10),
    .RND_MODES(RND_MODES), .OUT_QUANT(OUT_QUANT),
    .PE_KIND(PE_KIND), .DOT_N(DOT_N), .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
  ) u_core (
    .clk_i(clk_sys), .uart_clk_i(CLK), .rst_ni(rst_n), .uart_rx_i(RX), .uart_tx_o(TX),
    .busy_o(busy), .error_o(error)
  );

  assign LEDR_N = !error;
  assign LEDG_N = !busy;

endmodule
`default_nettype wire

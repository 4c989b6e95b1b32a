`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_board_core: everything of an fp8sa FPGA board except its clock and
// pins (docs/fpga.md): an fp8sa_array behind the framed UART host link.
// The board tops in fpga/ add the PLL or clock divider, the power-on reset
// and the pin constraints; the simulated board (fp8sa board --sim) is this
// module Verilated with a small CLKS_PER_BIT.
//
//   uart_rx_i / uart_tx_o   8N1 at clk_i / CLKS_PER_BIT baud
//   rst_ni                  asynchronous assertion, synchronous release
//                           (two flops) for the whole core
//   busy_o, error_o         for LEDs: a frame or tile in progress; the last
//                           reply was an error
module fp8sa_board_core #(
  `include "fp8sa_board_params.vh"
) (
  input  wire clk_i,
  input  wire rst_ni,
  input  wire uart_rx_i,
  output wire uart_tx_o,
  output wire busy_o,
  output wire error_o
);

  // The init word: binary32 for dot and exact, else the accumulator format
  // (fp8sa_array's INIT_W).
  localparam integer InitW = (PE_KIND != 0) ? `FP8SA_B32_W : 1 + ACC_EXP_W + ACC_MAN_W;

  // Reset: asserted asynchronously, released two edges after rst_ni rises.
  reg [1:0] rst_sync_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) rst_sync_q <= 2'b00;
    else         rst_sync_q <= {rst_sync_q[0], 1'b1};
  end
  wire rst_n = rst_sync_q[1];

  wire       rx_valid, rx_err, tx_valid, tx_ready;
  wire [7:0] rx_data, tx_data;

  fp8sa_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (
    .clk_i(clk_i), .rst_ni(rst_n), .rx_i(uart_rx_i),
    .valid_o(rx_valid), .data_o(rx_data), .frame_err_o(rx_err)
  );
  fp8sa_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (
    .clk_i(clk_i), .rst_ni(rst_n), .valid_i(tx_valid), .ready_o(tx_ready),
    .data_i(tx_data), .tx_o(uart_tx_o)
  );

  wire                 arr_rst_n;
  wire                 cmd_valid, cmd_ready, cmd_fmt_a, cmd_fmt_b, cmd_use_init, cmd_sat;
  wire [15:0]          cmd_k;
  wire [1:0]           cmd_rnd, cmd_out_rnd;
  wire [2:0]           cmd_out_fmt;
  wire [6:0]           cmd_scale;
  wire                 in_valid, in_ready, init_valid, init_ready;
  wire [ROWS*DOT_N*8-1:0] in_a;
  wire [COLS*DOT_N*8-1:0] in_b;
  wire [COLS*InitW-1:0] init_data;
  wire                 out_valid, out_ready, out_last;
  wire [COLS*32-1:0]   out_data;
  wire [7:0]           out_row;
  wire [3:0]           out_flags;

  fp8sa_host_link #(
    .ROWS(ROWS), .COLS(COLS), .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W),
    .SR_BITS(SR_BITS), .Q_SR_BITS(Q_SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED),
    .MUL_STAGES(MUL_STAGES), .Q_STAGES(Q_STAGES), .K_MAX(K_MAX),
    .CLKS_PER_BIT(CLKS_PER_BIT), .TIMEOUT_CYCLES(TIMEOUT_CYCLES),
    .RND_MODES(RND_MODES), .OUT_QUANT(OUT_QUANT), .PROMOTE_N(PROMOTE_N),
    .PE_KIND(PE_KIND), .DOT_N(DOT_N), .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
  ) u_link (
    .clk_i(clk_i), .rst_ni(rst_n),
    .rx_valid_i(rx_valid), .rx_data_i(rx_data), .rx_err_i(rx_err),
    .tx_valid_o(tx_valid), .tx_ready_i(tx_ready), .tx_data_o(tx_data),
    .arr_rst_no(arr_rst_n),
    .cmd_valid_o(cmd_valid), .cmd_ready_i(cmd_ready), .cmd_k_o(cmd_k),
    .cmd_fmt_a_o(cmd_fmt_a), .cmd_fmt_b_o(cmd_fmt_b), .cmd_rnd_o(cmd_rnd),
    .cmd_use_init_o(cmd_use_init), .cmd_out_fmt_o(cmd_out_fmt), .cmd_out_rnd_o(cmd_out_rnd),
    .cmd_sat_o(cmd_sat), .cmd_scale_o(cmd_scale),
    .in_valid_o(in_valid), .in_ready_i(in_ready), .in_a_o(in_a), .in_b_o(in_b),
    .init_valid_o(init_valid), .init_ready_i(init_ready), .init_data_o(init_data),
    .out_valid_i(out_valid), .out_ready_o(out_ready), .out_data_i(out_data),
    .out_row_i(out_row), .out_last_i(out_last), .out_flags_i(out_flags),
    .busy_o(busy_o), .error_o(error_o)
  );

  // The array's reset: the core's, or the link's ARRAY_RESET pulse (a
  // register output, so the array sees a clean one-cycle reset).
  wire arr_rst_all_n = rst_n & arr_rst_n;

  fp8sa_array #(
    .ROWS(ROWS), .COLS(COLS), .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W),
    .SR_BITS(SR_BITS), .Q_SR_BITS(Q_SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED),
    .MUL_STAGES(MUL_STAGES), .Q_STAGES(Q_STAGES), .RND_MODES(RND_MODES), .OUT_QUANT(OUT_QUANT),
    .PROMOTE_N(PROMOTE_N), .PE_KIND(PE_KIND), .DOT_N(DOT_N), .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
  ) u_array (
    .clk_i(clk_i), .rst_ni(arr_rst_all_n),
    .cmd_valid_i(cmd_valid), .cmd_ready_o(cmd_ready), .cmd_k_i(cmd_k),
    .cmd_fmt_a_i(cmd_fmt_a), .cmd_fmt_b_i(cmd_fmt_b), .cmd_rnd_i(cmd_rnd),
    .cmd_use_init_i(cmd_use_init), .cmd_out_fmt_i(cmd_out_fmt), .cmd_out_rnd_i(cmd_out_rnd),
    .cmd_sat_i(cmd_sat), .cmd_scale_i(cmd_scale),
    .in_valid_i(in_valid), .in_ready_o(in_ready), .in_a_i(in_a), .in_b_i(in_b),
    .init_valid_i(init_valid), .init_ready_o(init_ready), .init_data_i(init_data),
    .out_valid_o(out_valid), .out_ready_i(out_ready), .out_data_o(out_data),
    .out_row_o(out_row), .out_last_o(out_last), .out_flags_o(out_flags)
  );

endmodule
`default_nettype wire

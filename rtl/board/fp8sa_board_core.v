`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_board_core: everything of an fp8sa FPGA board except its clocks and
// pins (docs/fpga.md): an fp8sa_array behind the framed UART host link.
// The board tops in fpga/ add the PLL or clock divider, the power-on reset
// and the pin constraints; the simulated board (fp8sa board --sim) is this
// module Verilated with a small CLKS_PER_BIT.
//
// Two clocks. The UART's bit engines run on uart_clk_i (the board's
// oscillator, so the line rate does not depend on the array's clock: a
// 3 MHz array still talks at 3 Mbaud); the host link and the array run on
// clk_i. Bytes cross between them through two fp8sa_cdc_stream handshakes.
// The clocks may be unrelated, equal, or one a division of the other.
//
//   uart_rx_i / uart_tx_o   8N1 at uart_clk_i / CLKS_PER_BIT baud
//   rst_ni                  asynchronous assertion, synchronous release
//                           (two flops in each clock domain) for the whole core
//   busy_o, error_o         for LEDs: a frame or tile in progress; the last
//                           reply was an error
module fp8sa_board_core #(
  `include "fp8sa_board_params.vh"
  ,
  parameter integer UART_PER_SYS = 1   // [1, 1024]: uart_clk_i cycles per clk_i cycle, rounded up
                                       // (the clock-crossing check below)
) (
  input  wire clk_i,
  input  wire uart_clk_i,
  input  wire rst_ni,
  input  wire uart_rx_i,
  output wire uart_tx_o,
  output wire busy_o,
  output wire error_o
);

  // The receiver cannot wait: a received byte must have crossed to clk_i
  // and its acknowledgement come back (at most 3 clk_i and 3 uart_clk_i
  // edges, fp8sa_cdc_stream, plus one) before the next byte ends, 10 bits
  // later (9 counted here, for a host whose clock runs a few % fast).
  generate
    if (UART_PER_SYS < 1 || UART_PER_SYS > 1024) begin : g_err_ups
      fp8sa_param_error_UART_PER_SYS_out_of_range_1_to_1024 u_param_error ();
    end
    if (3 * UART_PER_SYS + 4 > 9 * CLKS_PER_BIT) begin : g_err_cdc
      fp8sa_param_error_CLKS_PER_BIT_too_small_for_the_clock_crossing u_param_error ();
    end
  endgenerate

  // The init word: binary32 for dot and exact, else the accumulator format
  // (fp8sa_array's INIT_W).
  localparam integer InitW = (PE_KIND != 0) ? `FP8SA_B32_W : 1 + ACC_EXP_W + ACC_MAN_W;

  // Reset: asserted asynchronously, released two edges of each clock
  // after rst_ni rises.
  reg [1:0] rst_sync_q, uart_rst_sync_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) rst_sync_q <= 2'b00;
    else         rst_sync_q <= {rst_sync_q[0], 1'b1};
  end
  always @(posedge uart_clk_i or negedge rst_ni) begin
    if (!rst_ni) uart_rst_sync_q <= 2'b00;
    else         uart_rst_sync_q <= {uart_rst_sync_q[0], 1'b1};
  end
  wire rst_n      = rst_sync_q[1];
  wire uart_rst_n = uart_rst_sync_q[1];

  // The UART on uart_clk_i.
  wire       u_rx_valid, u_rx_err, u_tx_valid, u_tx_ready;
  wire [7:0] u_rx_data, u_tx_data;

  fp8sa_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (
    .clk_i(uart_clk_i), .rst_ni(uart_rst_n), .rx_i(uart_rx_i),
    .valid_o(u_rx_valid), .data_o(u_rx_data), .frame_err_o(u_rx_err)
  );
  fp8sa_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (
    .clk_i(uart_clk_i), .rst_ni(uart_rst_n), .valid_i(u_tx_valid), .ready_o(u_tx_ready),
    .data_i(u_tx_data), .tx_o(uart_tx_o)
  );

  // Received bytes (and framing errors, as a flagged word) to clk_i; the
  // elaboration check above keeps the crossing ready for every byte, so
  // its ready output is not needed.
  wire       rx_word_valid, rx_word_err;
  wire [7:0] rx_word_data;
  /* verilator lint_off PINCONNECTEMPTY */
  fp8sa_cdc_stream #(.WIDTH(9)) u_rx_cdc (
    .src_clk_i(uart_clk_i), .src_rst_ni(uart_rst_n),
    .src_valid_i(u_rx_valid | u_rx_err), .src_ready_o(), .src_data_i({u_rx_err, u_rx_data}),
    .dst_clk_i(clk_i), .dst_rst_ni(rst_n),
    .dst_valid_o(rx_word_valid), .dst_ready_i(1'b1), .dst_data_o({rx_word_err, rx_word_data})
  );
  /* verilator lint_on PINCONNECTEMPTY */

  wire       rx_valid = rx_word_valid & ~rx_word_err;
  wire       rx_err   = rx_word_valid &  rx_word_err;
  wire [7:0] rx_data  = rx_word_data;
  wire       tx_valid, tx_ready;
  wire [7:0] tx_data;

  // Reply bytes to uart_clk_i: the transmitter takes the next byte when the
  // last one's stop bit ends, and the handshake's round trip fits in the
  // byte before it, so the line stays busy.
  fp8sa_cdc_stream #(.WIDTH(8)) u_tx_cdc (
    .src_clk_i(clk_i), .src_rst_ni(rst_n),
    .src_valid_i(tx_valid), .src_ready_o(tx_ready), .src_data_i(tx_data),
    .dst_clk_i(uart_clk_i), .dst_rst_ni(uart_rst_n),
    .dst_valid_o(u_tx_valid), .dst_ready_i(u_tx_ready), .dst_data_o(u_tx_data)
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

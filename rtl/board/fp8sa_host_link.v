`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_host_link: the board's framed host protocol over a byte stream
// (docs/fpga.md "Host link" is the contract; this is a summary).
//
// Request frame: 0xA5, CMD, LEN (2 bytes), LEN payload bytes, CRC (2
// bytes); reply frame: 0x5A, STATUS, CMD, LEN (2), payload, CRC (2). Every
// multi-byte field is little-endian; CRC is CRC-16/CCITT-FALSE (polynomial
// 0x1021, initial value 0xFFFF) over every byte after the sync byte.
// Strictly one frame at a time: each request gets exactly one reply, bytes
// that arrive while the link executes or replies are dropped, and bytes
// outside a frame are skipped until the next 0xA5 (resynchronisation).
//
// Commands: INFO 0x01 (array parameters, state, error counters), CONFIG
// 0x02 (K and the tile controls), ARRAY_RESET 0x03 (the array and its
// LFSRs back to their reset state), LOAD_A 0x10 (ROWS x K codes, step-major:
// byte k*ROWS + r is A[r][k]), LOAD_B 0x11 (K x COLS codes, byte k*COLS + c
// is B[k][c]), LOAD_C 0x12 (ROWS x COLS init words, 4 bytes each,
// row-major), START 0x20 (1 byte: use_init; replied when the tile is done,
// with its flags), READ 0x21 (the last tile's outputs, 1, 2 or 4 bytes each
// by output format, row-major, then the flags byte).
// Status codes, first match wins: BAD_CRC 1, UNKNOWN_CMD 2, WRONG_STATE 3
// (a load or START before CONFIG, START without A and B or without C for
// use_init, READ before a tile), BAD_LENGTH 4, BAD_VALUE 5 (a CONFIG field
// or START byte out of range, or a rounding / output format the board's
// array was built without: RND_MODES, OUT_QUANT), TIMEOUT 6 (a frame not completed within
// TIMEOUT_CYCLES of its previous byte: the link drops it, replies, and is
// idle again). A load that fails for any reason leaves its buffer invalid.
// Reset (asynchronous, active low): idle, nothing configured or loaded.
//
// Three parts, one file each, joined here (the port list is the board
// core's): fp8sa_host_rx (frame receiver: sync, header, payload, CRC,
// timeout), fp8sa_host_exec (command executor: status, configuration, tile
// buffers, the tile run, INFO and READ payloads) and fp8sa_host_tx (reply
// transmitter: header, payload, CRC). The codes come from
// fp8sa_host_protocol.vh, the table the C++ host reads too.
module fp8sa_host_link #(
  `include "fp8sa_board_params.vh"
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,
  // byte stream from the UART receiver
  input  wire                          rx_valid_i,
  input  wire [7:0]                    rx_data_i,
  input  wire                          rx_err_i,       // framing error (counted)
  // byte stream to the UART transmitter
  output wire                          tx_valid_o,
  input  wire                          tx_ready_i,
  output wire [7:0]                    tx_data_o,
  // the array (fp8sa_array ports of the same names): fp8sa_host_array_ports.vh
  `include "fp8sa_host_array_ports.vh"
  // board indicators
  output wire                          busy_o,         // a frame or a tile in progress
  output wire                          error_o         // the last reply was an error
);

  // receiver -> executor
  wire        hdr, pay_valid, frame_end, end_crc_ok, end_timeout;
  wire [7:0]  end_cmd, rx_cmd;
  wire [15:0] rx_len, rx_idx;
  // executor <-> transmitter
  wire        send, done;
  wire [7:0]  rep_st, rep_cmd, rep_byte;
  wire [15:0] rep_len, rep_idx;

  fp8sa_host_rx #(.TIMEOUT_CYCLES(TIMEOUT_CYCLES)) u_rx (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .rx_valid_i(rx_valid_i), .rx_data_i(rx_data_i), .done_i(done),
    .hdr_o(hdr), .pay_valid_o(pay_valid), .end_o(frame_end), .end_crc_ok_o(end_crc_ok),
    .end_timeout_o(end_timeout), .end_cmd_o(end_cmd), .cmd_o(rx_cmd), .len_o(rx_len),
    .pay_idx_o(rx_idx), .busy_o(busy_o)
  );

  // INFO has no field for a promotion interval, so a board's array has none
  // (the host would otherwise check its results against the wrong model).
  generate
    if (PROMOTE_N != 0) begin : g_err_promote
      fp8sa_param_error_board_PROMOTE_N_must_be_0 u_param_error ();
    end
  endgenerate

  fp8sa_host_exec #(
    .ROWS(ROWS), .COLS(COLS), .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W),
    .SR_BITS(SR_BITS), .Q_SR_BITS(Q_SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED),
    .MUL_STAGES(MUL_STAGES), .Q_STAGES(Q_STAGES), .K_MAX(K_MAX),
    .CLKS_PER_BIT(CLKS_PER_BIT), .RND_MODES(RND_MODES), .OUT_QUANT(OUT_QUANT),
    .PE_KIND(PE_KIND), .DOT_N(DOT_N), .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
  ) u_exec (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .hdr_i(hdr), .pay_valid_i(pay_valid), .rx_idx_i(rx_idx), .rx_data_i(rx_data_i), .rx_err_i(rx_err_i),
    .end_i(frame_end), .end_crc_ok_i(end_crc_ok), .end_timeout_i(end_timeout), .end_cmd_i(end_cmd),
    .cmd_i(rx_cmd), .len_i(rx_len),
    .send_o(send), .rep_st_o(rep_st), .rep_cmd_o(rep_cmd), .rep_len_o(rep_len),
    .rep_idx_i(rep_idx), .rep_byte_o(rep_byte), .done_i(done),
    .arr_rst_no(arr_rst_no),
    .cmd_valid_o(cmd_valid_o), .cmd_ready_i(cmd_ready_i), .cmd_k_o(cmd_k_o),
    .cmd_fmt_a_o(cmd_fmt_a_o), .cmd_fmt_b_o(cmd_fmt_b_o), .cmd_rnd_o(cmd_rnd_o),
    .cmd_use_init_o(cmd_use_init_o), .cmd_out_fmt_o(cmd_out_fmt_o), .cmd_out_rnd_o(cmd_out_rnd_o),
    .cmd_sat_o(cmd_sat_o), .cmd_scale_o(cmd_scale_o),
    .in_valid_o(in_valid_o), .in_ready_i(in_ready_i), .in_a_o(in_a_o), .in_b_o(in_b_o),
    .init_valid_o(init_valid_o), .init_ready_i(init_ready_i), .init_data_o(init_data_o),
    .out_valid_i(out_valid_i), .out_ready_o(out_ready_o), .out_data_i(out_data_i),
    .out_row_i(out_row_i), .out_last_i(out_last_i), .out_flags_i(out_flags_i),
    .error_o(error_o)
  );

  fp8sa_host_tx u_tx (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .send_i(send), .st_i(rep_st), .cmd_i(rep_cmd), .len_i(rep_len),
    .pay_idx_o(rep_idx), .pay_byte_i(rep_byte),
    .tx_valid_o(tx_valid_o), .tx_ready_i(tx_ready_i), .tx_data_o(tx_data_o), .done_o(done)
  );

endmodule
`default_nettype wire

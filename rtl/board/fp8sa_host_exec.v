`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_host_exec: the host link's command executor (docs/fpga.md
// "Commands", "Status codes", "Tile run").
//
// Contract. It holds everything the protocol names: the configuration
// (CONFIG), the tile buffers (LOAD_A/B/C), the last tile's outputs, the
// tile counter and the error counters (INFO). From the frame receiver
// (fp8sa_host_rx) it takes the header (hdr_i: cmd_i, len_i), the payload
// bytes (pay_valid_i: rx_data_i at payload index rx_idx_i) and the frame's
// end (end_i with end_crc_ok_i / end_timeout_i / end_cmd_i). At end_i it
// decides the status (the first that applies: BAD_CRC, TIMEOUT, UNKNOWN_CMD,
// WRONG_STATE, BAD_LENGTH, BAD_VALUE, OK), the next cycle it acts on a good
// frame (SExec), runs a START's tile on the array (SRun: command, steps and
// init rows out, result rows in), then has the reply sent (send_o high
// until done_i from fp8sa_host_tx, which reads rep_st_o, rep_cmd_o,
// rep_len_o and asks for payload byte rep_idx_i on rep_byte_o).
// A load's buffer is invalid from its header until its frame ends well.
// Reset (asynchronous, active low): idle, nothing configured or loaded.
module fp8sa_host_exec #(
  parameter integer ROWS           = 2,        // [1, 64]
  parameter integer COLS           = 2,        // [1, 64]
  parameter integer ACC_EXP_W      = 8,
  parameter integer ACC_MAN_W      = 23,
  // what a request is checked against (CONFIG, the loads)
  parameter integer K_MAX          = 1024,     // [1, 65535], ROWS*K_MAX and COLS*K_MAX <= 65535
  parameter integer RND_MODES      = 3,        // the array's rounding hardware: rnd codes accepted < RND_MODES
  parameter integer OUT_QUANT      = 1,        // 0: the array has no quantizer bank: raw output only
  // reported by INFO only (the array's build)
  parameter integer SR_BITS        = 16,
  parameter integer Q_SR_BITS      = 16,
  parameter integer LFSR_W         = 32,
  parameter [31:0]  SEED           = 32'h1,
  parameter integer MUL_STAGES     = 0,
  parameter integer Q_STAGES       = 0,
  parameter integer CLKS_PER_BIT   = 26,       // [1, 65535]: the UART's, reported in INFO only
  // the array's PE (docs/array.md "PE kinds"): DOT_N sets the step's lanes,
  // PE_KIND the init word's width; all four reported by INFO
  parameter integer PE_KIND        = 0,        // [0, 2]: fma, dot, exact
  parameter integer DOT_N          = 1,        // 1, 2, 4, .., 64 (fma: 1)
  parameter integer ALIGN_BITS     = 13,       // [1, 48]
  parameter integer SR_KIND        = 0         // [0, 2]
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,
  // the frame receiver (fp8sa_host_rx ports of the same names, rx_idx_i = pay_idx_o)
  input  wire                          hdr_i,
  input  wire                          pay_valid_i,
  input  wire [15:0]                   rx_idx_i,
  input  wire [7:0]                    rx_data_i,
  input  wire                          rx_err_i,       // UART framing error (counted)
  input  wire                          end_i,
  input  wire                          end_crc_ok_i,
  input  wire                          end_timeout_i,
  input  wire [7:0]                    end_cmd_i,
  input  wire [7:0]                    cmd_i,
  input  wire [15:0]                   len_i,
  // the reply transmitter (fp8sa_host_tx; rep_idx_i = its pay_idx_o)
  output wire                          send_o,
  output wire [7:0]                    rep_st_o,
  output wire [7:0]                    rep_cmd_o,
  output wire [15:0]                   rep_len_o,
  input  wire [15:0]                   rep_idx_i,
  output wire [7:0]                    rep_byte_o,
  input  wire                          done_i,
  // the array (fp8sa_array ports of the same names): fp8sa_host_array_ports.vh
  `include "fp8sa_host_array_ports.vh"
  // board indicator
  output wire                          error_o         // the last reply was an error
);

  `include "fp8sa_host_protocol.vh"

  // ---------------------------------------------------------------------
  // Parameters
  // ---------------------------------------------------------------------
  // The init word (fp8sa_array's INIT_W): binary32 for dot and exact.
  localparam integer AccW   = (PE_KIND != 0) ? 32 : 1 + ACC_EXP_W + ACC_MAN_W;
  localparam integer NOut   = ROWS * COLS;

  generate
    if (ROWS < 1 || ROWS > 64) begin : g_err_rows
      fp8sa_param_error_ROWS_out_of_range_1_to_64 u_param_error ();
    end
    if (COLS < 1 || COLS > 64) begin : g_err_cols
      fp8sa_param_error_COLS_out_of_range_1_to_64 u_param_error ();
    end
    if (K_MAX < 1 || ROWS * K_MAX > 65535 || COLS * K_MAX > 65535) begin : g_err_k_max
      fp8sa_param_error_K_MAX_times_ROWS_or_COLS_above_65535 u_param_error ();
    end
    if (RND_MODES < 1 || RND_MODES > 3) begin : g_err_rnd_modes
      fp8sa_param_error_RND_MODES_out_of_range_1_to_3 u_param_error ();
    end
    if (OUT_QUANT < 0 || OUT_QUANT > 1) begin : g_err_out_quant
      fp8sa_param_error_OUT_QUANT_out_of_range_0_to_1 u_param_error ();
    end
    if (CLKS_PER_BIT < 1 || CLKS_PER_BIT > 65535) begin : g_err_cpb
      fp8sa_param_error_CLKS_PER_BIT_out_of_range_1_to_65535 u_param_error ();
    end
    if (PE_KIND < 0 || PE_KIND > 2) begin : g_err_pe_kind
      fp8sa_param_error_PE_KIND_out_of_range_0_to_2 u_param_error ();
    end
    if (DOT_N < 1 || DOT_N > 64 || (DOT_N & (DOT_N - 1)) != 0) begin : g_err_dot_n
      fp8sa_param_error_DOT_N_not_1_2_4_to_64 u_param_error ();
    end
    if (ALIGN_BITS < 1 || ALIGN_BITS > 48) begin : g_err_align
      fp8sa_param_error_ALIGN_BITS_out_of_range_1_to_48 u_param_error ();
    end
    if (SR_KIND < 0 || SR_KIND > 2) begin : g_err_sr_kind
      fp8sa_param_error_SR_KIND_out_of_range_0_to_2 u_param_error ();
    end
  endgenerate

  // Widths of the constants a reply or a check compares with (all fit: see the checks above).
  localparam integer LenCI = NOut * 4;
  localparam [15:0]  LenC  = LenCI[15:0];
  localparam [15:0]  NOutW = NOut[15:0];
  localparam [15:0]  KMax  = K_MAX[15:0];
  localparam [7:0]   RowsB = ROWS[7:0], ColsB = COLS[7:0], ExpB = ACC_EXP_W[7:0], ManB = ACC_MAN_W[7:0],
                     SrB = SR_BITS[7:0], QsrB = Q_SR_BITS[7:0], LfsrB = LFSR_W[7:0],
                     MulB = MUL_STAGES[7:0], QstB = Q_STAGES[7:0];
  localparam [15:0]  CpbB = CLKS_PER_BIT[15:0];
  localparam [15:0]  InfoLenW = ProtoInfoLen[15:0];
  localparam [7:0]   VerMajB  = ProtoVersionMajor[7:0], VerMinB = ProtoVersionMinor[7:0];
  // Tile buffers: DOT_N lanes per row of A and column of B, product k in
  // lane k mod DOT_N at address k / DOT_N (LgD = log2 DOT_N).
  localparam integer LgD   = (DOT_N <= 1) ? 0 : $clog2(DOT_N);
  localparam integer Depth = (K_MAX + DOT_N - 1) / DOT_N;
  localparam integer AW    = (Depth <= 2) ? 1 : $clog2(Depth);
  localparam [15:0]  DepthW = Depth[15:0];
  localparam [7:0]   RndModesB = RND_MODES[7:0];
  // INFO byte 23: RND_MODES, OUT_QUANT, PE_KIND, log2 DOT_N; byte 31:
  // ALIGN_BITS, SR_KIND (protocol 1.1; a 1.0 board sends 0 there: fma).
  localparam [2:0]   LgDB      = LgD[2:0];
  localparam [7:0]   BuildB    = {LgDB, PE_KIND[1:0], OUT_QUANT[0:0], RND_MODES[1:0]};
  localparam [7:0]   PeB       = {SR_KIND[1:0], ALIGN_BITS[5:0]};

  function [7:0] sat_inc;
    input [7:0] v;
    begin
      sat_inc = (v == 8'hFF) ? v : v + 8'd1;
    end
  endfunction

  // ---------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------
  localparam [1:0] SIdle = 2'd0, SExec = 2'd1, SRun = 2'd2, SReply = 2'd3;
  reg [1:0]  state_q;
  reg [ProtoCfgLen*8-1:0] pay_q;  // first ProtoCfgLen payload bytes (CONFIG, START), byte i at [8i +: 8]
  reg        wr_en_q;        // payload bytes of this frame go to a tile buffer

  // configuration (CONFIG)
  reg        cfg_ok_q;
  reg [15:0] k_q;            // products per tile (CONFIG's K)
  reg [15:0] ksteps_q;       // the array's steps: ceil(K / DOT_N)
  reg        fmt_a_q, fmt_b_q, sat_q;
  reg [1:0]  rnd_q, out_rnd_q;
  reg [2:0]  out_fmt_q;
  reg [6:0]  scale_q;
  // buffers
  reg        a_ok_q, b_ok_q, c_ok_q, res_ok_q;
  reg [7:0]  wr_lane_q;      // row (LOAD_A), column (LOAD_B) or byte in word (LOAD_C)
  reg [15:0] wr_k_q;         // step (LOAD_A/B) or word index (LOAD_C)
  reg [NOut*32-1:0] c_q;     // init words, row-major
  reg [NOut*32-1:0] res_q;   // outputs of the last tile, row-major
  reg [3:0]  res_flags_q;
  reg [2:0]  res_w_q;        // bytes per output word of the last tile: 1, 2 or 4
  // tile run
  reg        use_init_q;
  reg        cmd_pend_q;     // command not yet taken by the array
  reg        init_pend_q;
  reg [7:0]  init_row_q;
  reg [15:0] step_q;         // next step to hand over, K when all are
  reg        out_done_q;     // the tile's last row arrived
  reg [7:0]  tiles_q;        // tiles since the last array reset (mod 256)
  reg        arr_rst_q;      // array reset pulse (active high)
  // reply
  reg [7:0]  rep_st_q, rep_cmd_q;
  reg [15:0] rep_len_q;
  reg        err_led_q;
  // error counters (saturating), reported by INFO
  reg [7:0]  n_crc_q, n_unknown_q, n_state_q, n_len_q, n_value_q, n_timeout_q, n_rxerr_q;

  // ---------------------------------------------------------------------
  // Request decoding (valid from hdr_i on: cmd_i, len_i)
  // ---------------------------------------------------------------------
  wire [31:0] len_a = ROWS * {16'd0, k_q};
  wire [31:0] len_b = COLS * {16'd0, k_q};
  reg         cmd_known, need_cfg;
  reg  [31:0] want_len;
  always @* begin
    cmd_known = 1'b1;
    need_cfg  = 1'b0;
    want_len  = 32'd0;
    case (cmd_i)
      CmdInfo:       want_len = 32'd0;
      CmdConfig:     want_len = ProtoCfgLen;
      CmdArrayReset: want_len = 32'd0;
      CmdLoadA:      begin want_len = len_a; need_cfg = 1'b1; end
      CmdLoadB:      begin want_len = len_b; need_cfg = 1'b1; end
      CmdLoadC:      begin want_len = {16'd0, LenC}; need_cfg = 1'b1; end
      CmdStart:      begin want_len = 32'd1; need_cfg = 1'b1; end
      CmdRead:       want_len = 32'd0;
      default:       cmd_known = 1'b0;
    endcase
  end
  wire len_ok = ({16'd0, len_i} == want_len);
  wire is_load = (cmd_i == CmdLoadA) || (cmd_i == CmdLoadB) || (cmd_i == CmdLoadC);

  // Checks at the end of a frame whose CRC matched.
  wire start_use_init = pay_q[0];
  wire state_ok = !(need_cfg && !cfg_ok_q) &&
                  !((cmd_i == CmdStart) && (!a_ok_q || !b_ok_q || (start_use_init && !c_ok_q))) &&
                  !((cmd_i == CmdRead) && !res_ok_q);
  wire [15:0] cfg_k     = pay_q[15:0];
  wire [7:0]  cfg_fmt_a = pay_q[23:16], cfg_fmt_b = pay_q[31:24], cfg_rnd = pay_q[39:32],
              cfg_ofmt  = pay_q[47:40], cfg_ornd  = pay_q[55:48], cfg_sat = pay_q[63:56],
              cfg_scale = pay_q[71:64];
  wire cfg_values_ok = (cfg_k != 16'd0) && (cfg_k <= KMax) && (cfg_fmt_a <= 8'd1) && (cfg_fmt_b <= 8'd1) &&
                       (cfg_rnd < RndModesB) && (cfg_ofmt <= 8'd4) && (OUT_QUANT == 1 || cfg_ofmt == 8'd4) &&
                       (cfg_ornd <= 8'd2) && (cfg_sat <= 8'd1) &&
                       (cfg_scale[7] == cfg_scale[6]);
  // ceil(K / DOT_N) (16 bits; 32 so that the sum never wraps)
  /* verilator lint_off UNUSEDSIGNAL */
  wire [31:0] cfg_steps = ({16'd0, cfg_k} + DOT_N - 1) >> LgD;
  /* verilator lint_on UNUSEDSIGNAL */
  wire values_ok = ((cmd_i != CmdConfig) || cfg_values_ok) &&
                   ((cmd_i != CmdStart) || (pay_q[7:1] == 7'd0));
  reg [7:0] verdict;   // status of a frame whose CRC matched
  always @* begin
    if (!cmd_known)      verdict = StUnknown;
    else if (!state_ok)  verdict = StWrongState;
    else if (!len_ok)    verdict = StBadLength;
    else if (!values_ok) verdict = StBadValue;
    else                 verdict = StOk;
  end

  // ---------------------------------------------------------------------
  // Tile buffers: one byte-wide memory per row of A and per column of B,
  // written from the payload, read one step ahead of the array.
  // ---------------------------------------------------------------------
  wire wr_a = pay_valid_i && wr_en_q && (cmd_i == CmdLoadA);
  wire wr_b = pay_valid_i && wr_en_q && (cmd_i == CmdLoadB);
  wire wr_c = pay_valid_i && wr_en_q && (cmd_i == CmdLoadC);

  wire        step_fire = in_valid_o && in_ready_i;
  wire        starting  = (state_q == SExec) && (rep_st_q == StOk) && (cmd_i == CmdStart);
  wire [15:0] step_next = starting ? 16'd0 : (step_fire ? step_q + 16'd1 : step_q);
  wire [AW-1:0] rd_k    = (step_next < DepthW) ? step_next[AW-1:0] : {AW{1'b0}};
  // The write address and lane of product wr_k_q.
  /* verilator lint_off UNUSEDSIGNAL */
  wire [31:0]   wr_kk   = {16'd0, wr_k_q} >> LgD;   // AW bits used
  /* verilator lint_on UNUSEDSIGNAL */
  wire [AW-1:0] wr_addr = wr_kk[AW-1:0];
  wire [5:0]    wr_ln   = (DOT_N == 1) ? 6'd0 : wr_k_q[5:0] & (DOT_N[5:0] - 6'd1);

  genvar gr, gc, gl;
  generate
    for (gl = 0; gl < DOT_N; gl = gl + 1) begin : g_lane
      // Lane gl of the step being read holds product step*DOT_N + gl: past
      // K it drives +0 (code 0), as the model's tiling pads (gemm_tiling.hpp),
      // so that a stale Inf or NaN never meets the zero lane of the other side.
      wire [31:0] kk = ({16'd0, step_next} << LgD) + gl;
      reg         live_q;
      always @(posedge clk_i) live_q <= (kk < {16'd0, k_q});
      for (gr = 0; gr < ROWS; gr = gr + 1) begin : g_a
        reg [7:0] mem [0:Depth-1];
        reg [7:0] q;
        always @(posedge clk_i) begin
          if (wr_a && (wr_lane_q == gr) && (wr_ln == gl)) mem[wr_addr] <= rx_data_i;
          q <= mem[rd_k];
        end
        assign in_a_o[(gr*DOT_N + gl)*8 +: 8] = live_q ? q : 8'd0;
      end
      for (gc = 0; gc < COLS; gc = gc + 1) begin : g_b
        reg [7:0] mem [0:Depth-1];
        reg [7:0] q;
        always @(posedge clk_i) begin
          if (wr_b && (wr_lane_q == gc) && (wr_ln == gl)) mem[wr_addr] <= rx_data_i;
          q <= mem[rd_k];
        end
        assign in_b_o[(gc*DOT_N + gl)*8 +: 8] = live_q ? q : 8'd0;
      end
    end
  endgenerate

  // The init row under init_row_q: a ROWS:1 multiplexer of whole rows
  // (an indexed part-select of c_q would be a full barrel shifter).
  reg [COLS*AccW-1:0] init_row;
  integer ir, ic;
  always @* begin
    init_row = {COLS*AccW{1'b0}};
    for (ir = 0; ir < ROWS; ir = ir + 1) begin
      for (ic = 0; ic < COLS; ic = ic + 1) begin
        if (init_row_q == ir[7:0]) init_row[ic*AccW +: AccW] = c_q[(ir*COLS + ic)*32 +: AccW];
      end
    end
  end
  assign init_data_o = init_row;

  // ---------------------------------------------------------------------
  // Reply payload bytes (byte rep_idx_i of the payload)
  // ---------------------------------------------------------------------
  wire [15:0] pidx = rep_idx_i;
  reg  [7:0]  info_byte;
  always @* begin
    case (pidx[4:0])
      5'd0:  info_byte = 8'h46;   // 'F'
      5'd1:  info_byte = 8'h38;   // '8'
      5'd2:  info_byte = VerMajB;
      5'd3:  info_byte = VerMinB;
      5'd4:  info_byte = RowsB;
      5'd5:  info_byte = ColsB;
      5'd6:  info_byte = ExpB;
      5'd7:  info_byte = ManB;
      5'd8:  info_byte = SrB;
      5'd9:  info_byte = QsrB;
      5'd10: info_byte = LfsrB;
      5'd11: info_byte = MulB;
      5'd12: info_byte = QstB;
      5'd13: info_byte = {3'd0, res_ok_q, c_ok_q, b_ok_q, a_ok_q, cfg_ok_q};
      5'd14: info_byte = KMax[7:0];
      5'd15: info_byte = KMax[15:8];
      5'd16: info_byte = SEED[7:0];
      5'd17: info_byte = SEED[15:8];
      5'd18: info_byte = SEED[23:16];
      5'd19: info_byte = SEED[31:24];
      5'd20: info_byte = CpbB[7:0];
      5'd21: info_byte = CpbB[15:8];
      5'd22: info_byte = tiles_q;
      5'd23: info_byte = BuildB;
      5'd24: info_byte = n_crc_q;
      5'd25: info_byte = n_unknown_q;
      5'd26: info_byte = n_state_q;
      5'd27: info_byte = n_len_q;
      5'd28: info_byte = n_value_q;
      5'd29: info_byte = n_timeout_q;
      5'd30: info_byte = n_rxerr_q;
      default: info_byte = PeB;
    endcase
  end
  // READ payload: output word pidx / W, byte pidx % W; the flags byte last.
  wire [15:0] res_word = (res_w_q == 3'd4) ? {2'b00, pidx[15:2]} :
                         (res_w_q == 3'd2) ? {1'b0, pidx[15:1]} : pidx;
  wire [1:0]  res_byte = (res_w_q == 3'd4) ? pidx[1:0] : (res_w_q == 3'd2) ? {1'b0, pidx[0]} : 2'd0;
  wire        res_in   = (res_word < NOutW);
  // NOut:1 multiplexer of words, then 4:1 of bytes (not a barrel shifter).
  reg  [31:0] res_wsel;
  integer iw;
  always @* begin
    res_wsel = 32'd0;
    for (iw = 0; iw < NOut; iw = iw + 1) begin
      if (res_word == iw[15:0]) res_wsel = res_q[iw*32 +: 32];
    end
  end
  wire [7:0]  res_sel  = res_wsel[{3'd0, res_byte} * 8 +: 8];
  wire [7:0]  read_byte = res_in ? res_sel : {4'd0, res_flags_q};
  assign rep_byte_o = (rep_st_q != StOk)      ? 8'd0 :
                      (rep_cmd_q == CmdInfo)  ? info_byte :
                      (rep_cmd_q == CmdRead)  ? read_byte : {4'd0, res_flags_q};
  wire [2:0] ofmt_w = (out_fmt_q <= 3'd1) ? 3'd1 : (out_fmt_q <= 3'd3) ? 3'd2 : 3'd4;
  wire [15:0] read_len = NOutW * {13'd0, res_w_q} + 16'd1;

  // ---------------------------------------------------------------------
  // The executor's state machine
  // ---------------------------------------------------------------------
  wire out_fire   = out_valid_i && out_ready_o;
  wire run_done   = (state_q == SRun) && out_done_q && !cmd_pend_q && !init_pend_q;

  integer wi, wb;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= SIdle;
      pay_q <= {ProtoCfgLen*8{1'b0}}; wr_en_q <= 1'b0;
      cfg_ok_q <= 1'b0; k_q <= 16'd1; ksteps_q <= 16'd1; fmt_a_q <= 1'b0; fmt_b_q <= 1'b0; sat_q <= 1'b0;
      rnd_q <= 2'd0; out_rnd_q <= 2'd0; out_fmt_q <= 3'd4; scale_q <= 7'd0;
      a_ok_q <= 1'b0; b_ok_q <= 1'b0; c_ok_q <= 1'b0; res_ok_q <= 1'b0;
      wr_lane_q <= 8'd0; wr_k_q <= 16'd0;
      c_q <= {NOut*32{1'b0}}; res_q <= {NOut*32{1'b0}}; res_flags_q <= 4'd0; res_w_q <= 3'd4;
      use_init_q <= 1'b0; cmd_pend_q <= 1'b0; init_pend_q <= 1'b0; init_row_q <= 8'd0;
      step_q <= 16'd0; out_done_q <= 1'b0; tiles_q <= 8'd0; arr_rst_q <= 1'b0;
      rep_st_q <= 8'd0; rep_cmd_q <= 8'd0; rep_len_q <= 16'd0; err_led_q <= 1'b0;
      n_crc_q <= 8'd0; n_unknown_q <= 8'd0; n_state_q <= 8'd0; n_len_q <= 8'd0;
      n_value_q <= 8'd0; n_timeout_q <= 8'd0; n_rxerr_q <= 8'd0;
    end else begin
      arr_rst_q <= 1'b0;
      if (rx_err_i) n_rxerr_q <= sat_inc(n_rxerr_q);

      // tile data path (state SRun)
      if (cmd_valid_o && cmd_ready_i) cmd_pend_q <= 1'b0;
      if (init_valid_o && init_ready_i) begin
        if (init_row_q == RowsB - 8'd1) init_pend_q <= 1'b0;
        init_row_q <= init_row_q + 8'd1;
      end
      step_q <= step_next;
      if (out_fire) begin
        for (wi = 0; wi < ROWS; wi = wi + 1) begin
          if (out_row_i == wi[7:0]) begin
            for (wb = 0; wb < COLS; wb = wb + 1) begin
              res_q[(wi*COLS + wb)*32 +: 32] <= out_data_i[wb*32 +: 32];
            end
          end
        end
        if (out_last_i) begin
          out_done_q  <= 1'b1;
          res_flags_q <= out_flags_i;
        end
      end

      // A frame's header: a load that opens invalidates its buffer until
      // the frame ends well; the payload counters start over.
      if (hdr_i) begin
        wr_lane_q <= 8'd0; wr_k_q <= 16'd0; pay_q <= {ProtoCfgLen*8{1'b0}};
        wr_en_q <= 1'b0;
        if (cmd_known && cfg_ok_q && is_load && ({16'd0, len_i} == want_len)) begin
          wr_en_q <= 1'b1;
          if (cmd_i == CmdLoadA) a_ok_q <= 1'b0;
          if (cmd_i == CmdLoadB) b_ok_q <= 1'b0;
          if (cmd_i == CmdLoadC) c_ok_q <= 1'b0;
        end
      end
      // A payload byte: the first ProtoCfgLen kept, a load's to its buffer.
      if (pay_valid_i) begin
        for (wi = 0; wi < ProtoCfgLen; wi = wi + 1) begin
          if (rx_idx_i == wi[15:0]) pay_q[wi*8 +: 8] <= rx_data_i;
        end
        if (wr_c) begin
          for (wi = 0; wi < NOut; wi = wi + 1) begin
            for (wb = 0; wb < 4; wb = wb + 1) begin
              if ((wr_k_q == wi[15:0]) && (wr_lane_q[1:0] == wb[1:0])) c_q[(wi*4 + wb)*8 +: 8] <= rx_data_i;
            end
          end
        end
        // lane / step counters for the tile buffers
        if ((cmd_i == CmdLoadC) ? (wr_lane_q == 8'd3) :
            (cmd_i == CmdLoadA) ? (wr_lane_q == RowsB - 8'd1) : (wr_lane_q == ColsB - 8'd1)) begin
          wr_lane_q <= 8'd0;
          wr_k_q    <= wr_k_q + 16'd1;
        end else begin
          wr_lane_q <= wr_lane_q + 8'd1;
        end
      end
      // The frame's end: its status.
      if (end_i) begin
        state_q   <= SExec;
        rep_cmd_q <= end_cmd_i;
        rep_st_q  <= end_timeout_i ? StTimeout : end_crc_ok_i ? verdict : StBadCrc;
      end

      case (state_q)
        SExec: begin
          // rep_st_q holds the verdict; act on a good frame
          rep_len_q <= 16'd0;
          state_q   <= SReply;
          if (is_load) begin
            if (cmd_i == CmdLoadA) a_ok_q <= (rep_st_q == StOk);
            if (cmd_i == CmdLoadB) b_ok_q <= (rep_st_q == StOk);
            if (cmd_i == CmdLoadC) c_ok_q <= (rep_st_q == StOk);
          end
          if (rep_st_q == StOk) begin
            case (cmd_i)
              CmdInfo: rep_len_q <= InfoLenW;
              CmdConfig: begin
                cfg_ok_q <= 1'b1;
                k_q <= cfg_k; ksteps_q <= cfg_steps[15:0];
                fmt_a_q <= cfg_fmt_a[0]; fmt_b_q <= cfg_fmt_b[0];
                rnd_q <= cfg_rnd[1:0]; out_fmt_q <= cfg_ofmt[2:0]; out_rnd_q <= cfg_ornd[1:0];
                sat_q <= cfg_sat[0]; scale_q <= cfg_scale[6:0];
                a_ok_q <= 1'b0; b_ok_q <= 1'b0; c_ok_q <= 1'b0;
              end
              CmdArrayReset: begin
                arr_rst_q <= 1'b1; tiles_q <= 8'd0; res_ok_q <= 1'b0;
              end
              CmdStart: begin
                state_q     <= SRun;
                use_init_q  <= start_use_init;
                cmd_pend_q  <= 1'b1;
                init_pend_q <= start_use_init;
                init_row_q  <= 8'd0;
                out_done_q  <= 1'b0;
                res_ok_q    <= 1'b0;
                res_w_q     <= ofmt_w;
                rep_len_q   <= 16'd1;
              end
              CmdRead: rep_len_q <= read_len;
              default: ;
            endcase
          end else begin
            case (rep_st_q)
              StBadCrc:     n_crc_q     <= sat_inc(n_crc_q);
              StUnknown:    n_unknown_q <= sat_inc(n_unknown_q);
              StWrongState: n_state_q   <= sat_inc(n_state_q);
              StBadLength:  n_len_q     <= sat_inc(n_len_q);
              StBadValue:   n_value_q   <= sat_inc(n_value_q);
              default:      n_timeout_q <= sat_inc(n_timeout_q);
            endcase
          end
        end
        SRun: begin
          if (run_done) begin
            state_q  <= SReply;
            res_ok_q <= 1'b1;
            tiles_q  <= tiles_q + 8'd1;
          end
        end
        SReply: begin
          if (done_i) begin
            state_q   <= SIdle;
            err_led_q <= (rep_st_q != StOk);
          end
        end
        default: ;   // SIdle: the receiver has the link
      endcase
    end
  end

  // ---------------------------------------------------------------------
  // Outputs
  // ---------------------------------------------------------------------
  assign send_o         = (state_q == SReply);
  assign rep_st_o       = rep_st_q;
  assign rep_cmd_o      = rep_cmd_q;
  assign rep_len_o      = rep_len_q;
  assign arr_rst_no     = !arr_rst_q;
  assign cmd_valid_o    = (state_q == SRun) && cmd_pend_q;
  assign cmd_k_o        = ksteps_q;
  assign cmd_fmt_a_o    = fmt_a_q;
  assign cmd_fmt_b_o    = fmt_b_q;
  assign cmd_rnd_o      = rnd_q;
  assign cmd_use_init_o = use_init_q;
  assign cmd_out_fmt_o  = out_fmt_q;
  assign cmd_out_rnd_o  = out_rnd_q;
  assign cmd_sat_o      = sat_q;
  assign cmd_scale_o    = scale_q;
  assign in_valid_o     = (state_q == SRun) && (step_q < ksteps_q);
  assign init_valid_o   = (state_q == SRun) && init_pend_q;
  assign out_ready_o    = 1'b1;
  assign error_o        = err_led_q;

endmodule
`default_nettype wire

`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_array: ROWS x COLS output-stationary FP8-multiply / accumulate
// systolic array with per-column quantizers (docs/array.md is the
// cycle-level contract; this header is a summary).
//
// PE kinds (docs/array.md "PE kinds", numerics.md section 10): every cell
// holds the PE PE_KIND picks (fp8sa_mac_pe fma, fp8sa_dot_pe dot,
// fp8sa_exact_pe exact, one port list); a step carries DOT_N products per
// PE (fma: 1), the init bank holds INIT_W-bit init words (binary32 for dot,
// exact and promotion) and the shadows RES_W-bit result words. The kind
// changes what a PE computes, never when: the timing below holds for all.
// SR_KIND is the SR construction of every PE and quantizer.
//
// Dataflow: one step (columns k*DOT_N .. k*DOT_N + DOT_N - 1 of A, ROWS *
// DOT_N codes; the same rows of B, COLS * DOT_N codes) per
// in_valid_i/in_ready_o handshake. Row r of A (with the tile's control:
// valid, first, last, use_init, fmt_a, fmt_b, rnd) is delayed r advances by
// an fp8sa_skew, column c of B c advances; A and its control then move right
// one cell per advance, B down one cell per advance. PE (r, c) holds step k
// injected at advance edge t after edge t + r + c and does its MAC at the
// next advance edge. stall = some cell has done and shadow_valid; every
// cycle without stall is an advance (all skew and operand registers move,
// bubbles are injected when there is no step handshake).
//
// Drain: a cell's last MAC sets done; the next advance copies acc/flags to
// the cell's shadow. Rows drain in order 0..ROWS-1 through one output
// register: the row under the drain pointer loads when all its shadows are
// valid and (!out_valid_o || out_ready_i); each column's shadow passes
// through that column's fp8sa_quantizer (controls of the oldest queued
// command; out_fmt 4 = raw accumulator, 5..7 = 0) and each column LFSR
// advances one draw per load. out_flags_o on a tile's last row is the OR of
// all its shadow and quantizer flags.
//
// Commands (fp8sa_cmd_queue, depth 4): pushed on cmd_valid_i/cmd_ready_o,
// popped when the tile's last row loads. Init bank: one row per
// init_valid_i/init_ready_o handshake; claimed by a use_init tile's first
// step, released at PE (ROWS-1, COLS-1)'s first MAC of that tile.
// Tile spacing (docs/array.md "Tile spacing", prevents a stall deadlock):
// a tile's last step is injected TILE_GAP = max(COLS, ceil((ROWS + COLS -
// 1) / 2)) or more advances after the previous tile's last step.
//
// Latency (no stall): a tile whose last step is injected at edge L has
// row i loaded into the output register at edge L + COLS + 2 + i + S (PE
// (i, COLS-1) does its last MAC at L + i + COLS + S, its shadow loads at
// the next edge), so out_valid_o shows row 0 COLS + 3 + S cycles after the
// cycle of the last step's handshake. S = MUL_STAGES, the PEs' product
// pipeline: a PE performs a step's MAC S advances after its operand
// registers hold the step (docs/array.md "Pipelined PE"); the init bank is
// released when PE (ROWS-1, COLS-1) performs a use_init tile's first MAC.
// Handshakes: valid/ready on cmd, in, init and out. Every output (ready,
// valid and data) is a function of registers only (Moore: no combinational
// path from any input to any output); handshakes act at the closing edge.
// Promotion (PROMOTE_N > 0, docs/numerics.md "Promotion"): every PE adds
// its narrow accumulator into a binary32 one every PROMOTE_N MACs and after
// the tile's last; the init bank, shadows, quantizer input and raw output
// are then binary32 words (RES_W = 32 bits per init_data_i column); the
// timing is unchanged.
// Seeds: PE (r, c) uses seed(1 + r*COLS + c), column quantizer c uses
// seed(1 + ROWS*COLS + c); seed(i) = (SEED ^ (i * 0x9E3779B9)) mod 2^LFSR_W,
// 1 if that is zero.
module fp8sa_array #(
  parameter integer ROWS      = 4,      // [1, 256]
  parameter integer COLS      = 4,      // [1, 256]
  parameter integer ACC_EXP_W = 8,      // [4, 8]
  parameter integer ACC_MAN_W = 23,     // [2, 23]
  parameter integer SR_BITS   = 16,     // [2, 24]
  parameter integer Q_SR_BITS = 16,     // [2, 24]
  parameter integer LFSR_W    = 32,     // [max(4, SR_BITS, Q_SR_BITS), 32]
  parameter [31:0]  SEED      = 32'h1,  // non-zero
  parameter integer MUL_STAGES = 0,     // [0, 2]: PE product pipeline (docs/array.md)
  parameter integer Q_STAGES  = 0,      // [0, 1]: register after the quantizers (docs/array.md)
  parameter integer PROMOTE_N = 0,      // 0 (off) or [2, 65535], a multiple of DOT_N, 0 for exact: promotion interval (docs/numerics.md "Promotion")
  parameter integer PE_KIND   = 0,      // [0, 2]: PeKindFma, PeKindDot, PeKindExact (docs/array.md "PE kinds")
  parameter integer DOT_N     = 1,      // 1, 2, 4, .., 64 (fma: 1): products per step
  parameter integer ALIGN_BITS = 13,    // [1, 48]: dot's window fraction bits (numerics.md 10.2)
  parameter integer SR_KIND   = 0,      // [0, 2]: SR construction of every PE and quantizer (numerics.md 5)
  // Slimmed arrays for small FPGAs (docs/array.md "Slimmed arrays"); the
  // model and the named configurations are the full array (3, 1):
  parameter integer RND_MODES = 3,      // [1, 3]: PE rounding hardware: 1 RNE, 2 +RZ, 3 +SR
  parameter integer OUT_QUANT = 1       // [0, 1]: 0 = no quantizer bank (raw output only)
) (
  input  wire                                  clk_i,
  input  wire                                  rst_ni,
  // tile commands
  input  wire                                  cmd_valid_i,
  output wire                                  cmd_ready_o,
  input  wire [`FP8SA_K_W-1:0]                           cmd_k_i,        // steps, 0 treated as 1
  input  wire                                  cmd_fmt_a_i,    // 0 E4M3, 1 E5M2
  input  wire                                  cmd_fmt_b_i,
  input  wire [`FP8SA_RND_W-1:0]                            cmd_rnd_i,      // 0 RNE, 1 RZ, 2 SR
  input  wire                                  cmd_use_init_i,
  input  wire [`FP8SA_OUT_FMT_W-1:0]                            cmd_out_fmt_i,  // 0..3 quantize, 4 raw
  input  wire [`FP8SA_RND_W-1:0]                            cmd_out_rnd_i,
  input  wire                                  cmd_sat_i,
  input  wire [`FP8SA_SCALE_W-1:0]                            cmd_scale_i,    // signed
  // steps
  input  wire                                  in_valid_i,
  output wire                                  in_ready_o,
  input  wire [ROWS*DOT_N*`FP8SA_FP8_W-1:0]               in_a_i,         // row r lane i in [8*(r*DOT_N+i) +: 8]
  input  wire [COLS*DOT_N*`FP8SA_FP8_W-1:0]               in_b_i,         // column c lane i in [8*(c*DOT_N+i) +: 8]
  // init bank rows
  input  wire                                  init_valid_i,
  output wire                                  init_ready_o,
  input  wire [COLS*((PE_KIND != 0 || PROMOTE_N > 0) ? `FP8SA_B32_W : 1+ACC_EXP_W+ACC_MAN_W)-1:0] init_data_i,  // column c in [INIT_W*c +: INIT_W]
  // result rows
  output wire                                  out_valid_o,
  input  wire                                  out_ready_i,
  output wire [COLS*`FP8SA_B32_W-1:0]                    out_data_o,     // column c in [32c+31:32c]
  output wire [`FP8SA_ROW_W-1:0]                            out_row_o,
  output wire                                  out_last_o,
  output wire [`FP8SA_FLAG_W-1:0]                            out_flags_o
);

  // ---------------------------------------------------------------------
  // Parameters
  // ---------------------------------------------------------------------
  `include "fp8sa_pkg.vh"

  // The result word (init bank, shadows, quantizer input, raw output): the
  // accumulator format, or binary32 with promotion (RES_W in docs/array.md).
  localparam integer ResExpW = (PROMOTE_N > 0) ? 8 : ACC_EXP_W;
  localparam integer ResManW = (PROMOTE_N > 0) ? 23 : ACC_MAN_W;
  localparam integer AccW  = 1 + ResExpW + ResManW;
  // The init word (init bank): binary32 for dot, exact and promotion, else
  // the accumulator format (INIT_W in docs/array.md).
  localparam integer InitW = (PE_KIND != PeKindFma || PROMOTE_N > 0) ? 32 : 1 + ACC_EXP_W + ACC_MAN_W;
  localparam integer NCell = ROWS * COLS;
  // Lane word of fp8sa_array_cell: DOT_N A codes below the control byte
  // (offsets in fp8sa_pkg.vh); CmdW (command queue entry, layout below)
  // comes from fp8sa_pkg.vh.
  localparam integer AW          = DOT_N * Fp8W;
  localparam integer LaneW       = AW + LaneCtrlW;
  localparam integer LaneRndLsb  = AW + LaneRndOff;
  localparam integer LaneFmtA    = AW + LaneFmtAOff;
  localparam integer LaneFmtB    = AW + LaneFmtBOff;
  localparam integer LaneUseInit = AW + LaneUseInitOff;
  localparam integer LaneLast    = AW + LaneLastOff;
  localparam integer LaneFirst   = AW + LaneFirstOff;
  localparam integer LaneValid   = AW + LaneValidOff;

  // Counter widths, sized for the largest legal array (256 x 256):
  localparam integer PtrW = 8;     // drain row pointer and out_row_o, 0 .. ROWS-1
  localparam integer RowW = 9;     // init rows loaded, 0 .. ROWS
  localparam integer GapW = 9;     // tile spacing counter, 1 .. TILE_GAP (<= 256)

  // Tile spacing: TILE_GAP = max(COLS, ceil((ROWS + COLS - 1) / 2)), <= 256.
  localparam integer HalfI    = (ROWS + COLS) / 2;
  localparam integer TileGapI = (COLS > HalfI) ? COLS : HalfI;
  localparam [GapW-1:0] TileGap = TileGapI[GapW-1:0];
  localparam integer RowsM1I  = ROWS - 1;
  localparam [PtrW-1:0] RowsM1  = RowsM1I[PtrW-1:0];
  localparam [RowW-1:0] RowsV   = ROWS[RowW-1:0];

  generate
    if (ROWS < 1 || ROWS > 256) begin : g_err_rows
      fp8sa_param_error_ROWS_out_of_range_1_to_256 u_param_error ();
    end
    if (COLS < 1 || COLS > 256) begin : g_err_cols
      fp8sa_param_error_COLS_out_of_range_1_to_256 u_param_error ();
    end
    if (ACC_EXP_W < 4 || ACC_EXP_W > 8) begin : g_err_exp_w
      fp8sa_param_error_ACC_EXP_W_out_of_range_4_to_8 u_param_error ();
    end
    if (ACC_MAN_W < 2 || ACC_MAN_W > 23) begin : g_err_man_w
      fp8sa_param_error_ACC_MAN_W_out_of_range_2_to_23 u_param_error ();
    end
    if (SR_BITS < 2 || SR_BITS > 24) begin : g_err_sr_bits
      fp8sa_param_error_SR_BITS_out_of_range_2_to_24 u_param_error ();
    end
    if (Q_SR_BITS < 2 || Q_SR_BITS > 24) begin : g_err_q_sr_bits
      fp8sa_param_error_Q_SR_BITS_out_of_range_2_to_24 u_param_error ();
    end
    if (LFSR_W < 4 || LFSR_W > 32) begin : g_err_lfsr_w
      fp8sa_param_error_LFSR_W_out_of_range_4_to_32 u_param_error ();
    end
    if (MUL_STAGES < 0 || MUL_STAGES > 2) begin : g_err_mul_stages
      fp8sa_param_error_MUL_STAGES_out_of_range_0_to_2 u_param_error ();
    end
    if (Q_STAGES < 0 || Q_STAGES > 1) begin : g_err_q_stages
      fp8sa_param_error_Q_STAGES_out_of_range_0_to_1 u_param_error ();
    end
    if (RND_MODES < 1 || RND_MODES > 3) begin : g_err_rnd_modes
      fp8sa_param_error_RND_MODES_out_of_range_1_to_3 u_param_error ();
    end
    if (OUT_QUANT < 0 || OUT_QUANT > 1) begin : g_err_out_quant
      fp8sa_param_error_OUT_QUANT_out_of_range_0_to_1 u_param_error ();
    end
    if (LFSR_W < SR_BITS || LFSR_W < Q_SR_BITS) begin : g_err_lfsr_w_sr
      fp8sa_param_error_LFSR_W_below_SR_BITS_or_Q_SR_BITS u_param_error ();
    end
    if (SEED == 32'd0) begin : g_err_seed
      fp8sa_param_error_SEED_is_zero u_param_error ();
    end
    if (PROMOTE_N < 0 || PROMOTE_N == 1 || PROMOTE_N > 65535) begin : g_err_promote_n
      fp8sa_param_error_PROMOTE_N_not_0_or_2_to_65535 u_param_error ();
    end
    if (PE_KIND < PeKindFma || PE_KIND > PeKindExact) begin : g_err_pe_kind
      fp8sa_param_error_PE_KIND_out_of_range_0_to_2 u_param_error ();
    end
    if (DOT_N != 1 && DOT_N != 2 && DOT_N != 4 && DOT_N != 8 && DOT_N != 16 && DOT_N != 32
        && DOT_N != 64) begin : g_err_dot_n
      fp8sa_param_error_DOT_N_not_a_power_of_two_1_to_64 u_param_error ();
    end
    if (ALIGN_BITS < 1 || ALIGN_BITS > 48) begin : g_err_align_bits
      fp8sa_param_error_ALIGN_BITS_out_of_range_1_to_48 u_param_error ();
    end
    if (SR_KIND < 0 || SR_KIND > 2) begin : g_err_sr_kind
      fp8sa_param_error_SR_KIND_out_of_range_0_to_2 u_param_error ();
    end
    if (PE_KIND == PeKindFma && DOT_N != 1) begin : g_err_fma_dot_n
      fp8sa_param_error_DOT_N_must_be_1_for_the_fma_PE u_param_error ();
    end
    if (PROMOTE_N > 0 && (PROMOTE_N % DOT_N) != 0) begin : g_err_promote_dot
      fp8sa_param_error_PROMOTE_N_not_a_multiple_of_DOT_N u_param_error ();
    end
    if (PE_KIND == PeKindExact && PROMOTE_N != 0) begin : g_err_exact_promote
      fp8sa_param_error_PROMOTE_N_must_be_0_for_the_exact_PE u_param_error ();
    end
  endgenerate

  // seed(i) = (SEED ^ (i * 0x9E3779B9)) mod 2^LFSR_W (32-bit wrapping
  // multiply), replaced by 1 when zero.
  function [31:0] seed_of;
    input integer idx;
    reg [31:0] prod;
    reg [31:0] mask;
    reg [31:0] s;
    begin
      prod = idx * 32'h9E3779B9;
      mask = (LFSR_W >= 32) ? 32'hFFFF_FFFF : ((32'd1 << LFSR_W) - 32'd1);
      s    = (SEED ^ prod) & mask;
      seed_of = (s == 32'd0) ? 32'd1 : s;
    end
  endfunction

  // ---------------------------------------------------------------------
  // Command queue. Entry layout:
  //   [15:0] K-1   [16] fmt_a   [17] fmt_b   [19:18] rnd   [20] use_init
  //   [23:21] out_fmt   [25:24] out_rnd   [26] sat   [33:27] scale
  // Reserved rounding codes 3 are stored as 0 (RNE): docs/numerics.md
  // defines 3 to behave as RNE, and the sanitised code keeps the PEs' and
  // quantizers' per-use reserved-code checks quiet (the array reports it
  // once, at the command handshake).
  // ---------------------------------------------------------------------
  wire cmd_fire = cmd_valid_i & cmd_ready_o;

  wire [15:0]     cmd_kmax    = (cmd_k_i == 16'd0) ? 16'd0 : (cmd_k_i - 16'd1);
  wire [1:0]      cmd_rnd_s   = (cmd_rnd_i == RndReserved) ? RndRne : cmd_rnd_i;
  wire [1:0]      cmd_ornd_s  = (cmd_out_rnd_i == RndReserved) ? RndRne : cmd_out_rnd_i;
  reg  [CmdW-1:0] cmd_entry;

  always @* begin
    cmd_entry                                = {CmdW{1'b0}};
    cmd_entry[CmdKLsb +: CmdKW]              = cmd_kmax;
    cmd_entry[CmdFmtA]                       = cmd_fmt_a_i;
    cmd_entry[CmdFmtB]                       = cmd_fmt_b_i;
    cmd_entry[CmdRndLsb +: RndW]             = cmd_rnd_s;
    cmd_entry[CmdUseInit]                    = cmd_use_init_i;
    cmd_entry[CmdOutFmtLsb +: OutFmtW]       = cmd_out_fmt_i;
    cmd_entry[CmdOutRndLsb +: RndW]          = cmd_ornd_s;
    cmd_entry[CmdSat]                        = cmd_sat_i;
    cmd_entry[CmdScaleLsb +: CmdScaleW]      = cmd_scale_i;
  end

  wire            inj_pending;
  wire [CmdW-1:0] inj_entry;
  wire [CmdW-1:0] head_entry;
  wire            inj_done;
  wire            tile_pop;

  fp8sa_cmd_queue #(
    .W (CmdW)
  ) u_cmdq (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .push_i      (cmd_fire),
    .push_data_i (cmd_entry),
    .ready_o     (cmd_ready_o),
    .inj_valid_o (inj_pending),
    .inj_data_o  (inj_entry),
    .inj_done_i  (inj_done),
    .head_data_o (head_entry),
    .pop_i       (tile_pop)
  );

  wire [15:0] inj_kmax     = inj_entry[CmdKLsb +: CmdKW];
  wire        inj_fmt_a    = inj_entry[CmdFmtA];
  wire        inj_fmt_b    = inj_entry[CmdFmtB];
  wire [1:0]  inj_rnd      = inj_entry[CmdRndLsb +: RndW];
  wire        inj_use_init = inj_entry[CmdUseInit];
  // The output controls of inj_entry are read from the head entry.
  wire        inj_out_unused = ^inj_entry[CmdW-1:CmdOutLsb];

  wire [2:0]  head_out_fmt = head_entry[CmdOutFmtLsb +: OutFmtW];
  wire [1:0]  head_out_rnd = head_entry[CmdOutRndLsb +: RndW];
  wire        head_sat     = head_entry[CmdSat];
  wire [6:0]  head_scale   = head_entry[CmdScaleLsb +: CmdScaleW];
  wire        head_in_unused = ^head_entry[CmdOutLsb-1:0];

  // ---------------------------------------------------------------------
  // Global advance
  // ---------------------------------------------------------------------
  wire [NCell-1:0] done_all;
  wire [NCell-1:0] sv_all;
  wire             stall = |(done_all & sv_all);
  wire             adv   = ~stall;

  // ---------------------------------------------------------------------
  // Init bank
  // ---------------------------------------------------------------------
  integer i_bank, i_row, i_col;               // loop indices, one per combinational block

  reg [NCell*InitW-1:0] bank_q, bank_d;
  reg [RowW-1:0]       rows_q, rows_d;      // rows loaded, 0..ROWS
  reg                  claimed_q, claimed_d;

  wire bank_full  = (rows_q == RowsV);
  wire init_fire  = init_valid_i & init_ready_o;
  wire bank_rel;                              // PE (ROWS-1, COLS-1): first MAC of a use_init tile

  assign init_ready_o = ~bank_full;

  // ---------------------------------------------------------------------
  // Injector
  // ---------------------------------------------------------------------
  reg  [15:0] kcnt_q, kcnt_d;                 // steps of the current entry injected
  // Advances since the last step of the previous tile was injected,
  // saturating at TILE_GAP (1 .. TILE_GAP; reset TILE_GAP).
  reg  [GapW-1:0] gap_q, gap_d;

  wire step_first = (kcnt_q == 16'd0);
  wire step_last  = (kcnt_q == inj_kmax);
  wire bank_ok    = bank_full & ~claimed_q;
  wire spacing_ok = (gap_q == TileGap);       // gap_q >= TILE_GAP

  assign in_ready_o = ~stall & inj_pending
                    & ~(step_first & inj_use_init & ~bank_ok)
                    & ~(step_last & ~spacing_ok);

  wire inj_fire = in_valid_i & in_ready_o;    // implies adv
  assign inj_done = inj_fire & step_last;

  always @* begin
    kcnt_d = kcnt_q;
    gap_d  = gap_q;
    if (inj_fire) begin
      kcnt_d = step_last ? 16'd0 : (kcnt_q + 16'd1);
    end
    if (inj_done) begin
      gap_d = {{(GapW - 1){1'b0}}, 1'b1};
    end else if (adv && (gap_q != TileGap)) begin
      gap_d = gap_q + {{(GapW - 1){1'b0}}, 1'b1};
    end
  end

  always @* begin
    bank_d    = bank_q;
    rows_d    = rows_q;
    claimed_d = claimed_q;
    if (bank_rel) begin
      rows_d    = {RowW{1'b0}};
      claimed_d = 1'b0;
    end else if (init_fire) begin
      rows_d = rows_q + {{(RowW - 1){1'b0}}, 1'b1};
    end
    for (i_bank = 0; i_bank < ROWS; i_bank = i_bank + 1) begin
      if (init_fire && (rows_q == i_bank[RowW-1:0])) begin
        bank_d[i_bank*COLS*InitW +: COLS*InitW] = init_data_i;
      end
    end
    if (inj_fire & step_first & inj_use_init) begin
      claimed_d = 1'b1;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      kcnt_q    <= 16'd0;
      gap_q     <= TileGap;
      bank_q    <= {NCell{{InitW{1'b0}}}};
      rows_q    <= {RowW{1'b0}};
      claimed_q <= 1'b0;
    end else begin
      kcnt_q    <= kcnt_d;
      gap_q     <= gap_d;
      bank_q    <= bank_d;
      rows_q    <= rows_d;
      claimed_q <= claimed_d;
    end
  end

  // Lane word injected into every row (fp8sa_array_cell layout); a bubble
  // has valid = 0 and its other bits are don't-care.
  reg [LaneW-1:0] inj_lane;   // the control fields; the A field is 0 here

  always @* begin
    inj_lane                        = {LaneW{1'b0}};
    inj_lane[LaneValid]             = inj_fire;
    inj_lane[LaneFirst]             = step_first;
    inj_lane[LaneLast]              = step_last;
    inj_lane[LaneUseInit]           = inj_use_init;
    inj_lane[LaneFmtB]              = inj_fmt_b;
    inj_lane[LaneFmtA]              = inj_fmt_a;
    inj_lane[LaneRndLsb +: RndW]    = inj_rnd;
  end

  // ---------------------------------------------------------------------
  // Skews and the cell grid
  // lane_bus slot (r, c), c in 0..COLS: input lane of cell (r, c); slot
  // (r, COLS) is the output of the row's last cell. b_bus slot (r, c),
  // r in 0..ROWS: input B of cell (r, c); slot (ROWS, c) is the output of
  // the column's last cell.
  // ---------------------------------------------------------------------
  wire [ROWS*(COLS+1)*LaneW-1:0] lane_bus;
  wire [(ROWS+1)*COLS*AW-1:0]    b_bus;
  wire [NCell*AccW-1:0]          shadow_all;
  wire [NCell*4-1:0]             sflags_all;
  wire [ROWS-1:0]                drain_row;
  wire [NCell-1:0]               init_taken_all;

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_row_skew
      reg  [LaneW-1:0] lane_in;
      always @* begin
        lane_in                       = inj_lane;
        lane_in[LaneALsb +: AW]       = in_a_i[AW*r +: AW];
      end
      fp8sa_skew #(
        .WIDTH (LaneW),
        .DEPTH (r)   // row 0: a wire
      ) u_skew (
        .clk_i  (clk_i),
        .rst_ni (rst_ni),
        .en_i   (adv),
        .d_i    (lane_in),
        .q_o    (lane_bus[(r*(COLS+1))*LaneW +: LaneW])
      );
    end

    for (c = 0; c < COLS; c = c + 1) begin : g_col_skew
      fp8sa_skew #(
        .WIDTH (AW),
        .DEPTH (c)   // column 0: a wire
      ) u_skew (
        .clk_i  (clk_i),
        .rst_ni (rst_ni),
        .en_i   (adv),
        .d_i    (in_b_i[AW*c +: AW]),
        .q_o    (b_bus[AW*c +: AW])
      );
    end

    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      for (c = 0; c < COLS; c = c + 1) begin : g_col
        localparam integer Idx = r * COLS + c;
        fp8sa_array_cell #(
          .ACC_EXP_W (ACC_EXP_W),
          .ACC_MAN_W (ACC_MAN_W),
          .SR_BITS   (SR_BITS),
          .LFSR_W    (LFSR_W),
          .SEED      (seed_of(1 + Idx)),
          .MUL_STAGES (MUL_STAGES),
          .PROMOTE_N (PROMOTE_N),
          .RND_MODES (RND_MODES),
          .PE_KIND   (PE_KIND),
          .DOT_N     (DOT_N),
          .ALIGN_BITS (ALIGN_BITS),
          .SR_KIND   (SR_KIND)
        ) u_cell (
          .clk_i          (clk_i),
          .rst_ni         (rst_ni),
          .adv_i          (adv),
          .lane_i         (lane_bus[(r*(COLS+1)+c)*LaneW +: LaneW]),
          .b_i            (b_bus[(r*COLS+c)*AW +: AW]),
          .bank_i         (bank_q[Idx*InitW +: InitW]),
          .drain_i        (drain_row[r]),
          .lane_o         (lane_bus[(r*(COLS+1)+c+1)*LaneW +: LaneW]),
          .b_o            (b_bus[((r+1)*COLS+c)*AW +: AW]),
          .done_o         (done_all[Idx]),
          .shadow_valid_o (sv_all[Idx]),
          .shadow_o       (shadow_all[Idx*AccW +: AccW]),
          .shadow_flags_o (sflags_all[Idx*4 +: 4]),
          .init_taken_o   (init_taken_all[Idx])
        );
      end
      // The lane leaving the row's last cell is read only for the bank
      // release (row ROWS-1).
      if (r < ROWS - 1) begin : g_lane_end
        wire lane_end_unused = ^lane_bus[(r*(COLS+1)+COLS)*LaneW +: LaneW];
      end
    end
  endgenerate

  wire b_end_unused = ^b_bus[ROWS*COLS*AW +: COLS*AW];

  // PE (ROWS-1, COLS-1) performs the first MAC of a use_init tile at this
  // edge (the last PE to read the bank for that tile).
  assign bank_rel = init_taken_all[NCell-1];
  generate
    if (NCell > 1) begin : g_taken_unused
      wire init_taken_unused = ^init_taken_all[NCell-2:0];
    end
  endgenerate
  wire [LaneW-1:0] lane_last = lane_bus[((ROWS-1)*(COLS+1)+COLS)*LaneW +: LaneW];
  wire lane_last_unused = ^lane_last;

  // ---------------------------------------------------------------------
  // Drain
  // ---------------------------------------------------------------------
  reg  [PtrW-1:0]      ptr_q, ptr_d;          // drain row pointer
  reg  [COLS-1:0]      row_sv;
  reg  [COLS*AccW-1:0] row_shadow;
  reg  [COLS*4-1:0]    row_sflags;

  always @* begin
    row_sv     = {COLS{1'b0}};
    row_shadow = {(COLS*AccW){1'b0}};
    row_sflags = {(COLS*4){1'b0}};
    for (i_row = 0; i_row < ROWS; i_row = i_row + 1) begin
      if (ptr_q == i_row[PtrW-1:0]) begin
        row_sv     = sv_all[i_row*COLS +: COLS];
        row_shadow = shadow_all[i_row*COLS*AccW +: COLS*AccW];
        row_sflags = sflags_all[i_row*COLS*4 +: COLS*4];
      end
    end
  end

  // The drain row loads (through the quantizers) into the first output-path
  // register: the output register itself (Q_STAGES = 0) or the quantizer
  // stage (Q_STAGES = 1), when that register is free or moving on.
  wire row_ready = &row_sv;
  wire path_free;                             // the first output-path register can load
  wire out_load  = row_ready & path_free;
  wire row_last  = (ptr_q == RowsM1);
  assign tile_pop = out_load & row_last;

  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_drain
      assign drain_row[r] = out_load & (ptr_q == r);
    end
  endgenerate

  // Per-column quantizer and LFSR. Codes 4 (raw) and 5..7 (reserved) are
  // never presented to the quantizer (its reserved-code check would fire on
  // every cycle, or on a delta-cycle glitch): it gets out_fmt[1:0] only, and
  // the output mux below ignores it for codes 4..7.
  wire       fmt_quant = ~head_out_fmt[OutFmtResBit];
  wire       fmt_raw   = (head_out_fmt == OutFmtRaw);
  wire [2:0] q_fmt     = {1'b0, head_out_fmt[OutFmtResBit-1:0]};

  wire [COLS*32-1:0] col_data;
  wire [COLS*4-1:0]  col_qflags;

  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_quant
      wire [15:0]          q_val;
      wire [3:0]           q_flags;
      wire [AccW-1:0]      sh = row_shadow[c*AccW +: AccW];
      reg  [31:0]          raw;

      if (OUT_QUANT == 1) begin : g_bank
        wire [Q_SR_BITS-1:0] q_rand;
        wire [LFSR_W-1:0]    q_state_unused;

        fp8sa_lfsr #(
          .LFSR_W (LFSR_W),
          .DRAW_W (Q_SR_BITS),
          .SEED   (seed_of(1 + NCell + c))
        ) u_lfsr (
          .clk_i       (clk_i),
          .rst_ni      (rst_ni),
          .seed_load_i (1'b0),
          .seed_i      ({LFSR_W{1'b0}}),
          .advance_i   (out_load),
          .rand_o      (q_rand),
          .state_o     (q_state_unused)
        );

        fp8sa_quantizer #(
          .ACC_EXP_W (ResExpW),
          .ACC_MAN_W (ResManW),
          .SR_BITS   (Q_SR_BITS),
          .SR_KIND   (SR_KIND)
        ) u_quant (
          .acc_i     (sh),
          .out_fmt_i (q_fmt),
          .rnd_i     (head_out_rnd),
          .sat_i     (head_sat),
          .scale_i   (head_scale),
          .rand_i    (q_rand),
          .q_o       (q_val),
          .flags_o   (q_flags)
        );
      end else begin : g_no_bank
        // No quantizer: a quantized format reads as 0 with no flags, like
        // the reserved output codes (the board link refuses such commands).
        wire   ctl_unused = ^{q_fmt, head_out_rnd, head_sat, head_scale};
        assign q_val   = 16'd0;
        assign q_flags = 4'b0000;
      end

      always @* begin
        raw           = 32'd0;
        raw[AccW-1:0] = sh;
      end

      assign col_data[32*c +: 32] = fmt_quant ? {16'd0, q_val} :
                                    fmt_raw   ? raw : 32'd0;
      assign col_qflags[4*c +: 4] = fmt_quant ? q_flags : 4'b0000;
    end
  endgenerate

  reg [3:0] row_flags;
  always @* begin
    row_flags = 4'b0000;
    for (i_col = 0; i_col < COLS; i_col = i_col + 1) begin
      row_flags = row_flags | row_sflags[4*i_col +: 4] | col_qflags[4*i_col +: 4];
    end
  end

  // ---------------------------------------------------------------------
  // Output path: an optional quantizer stage (Q_STAGES = 1), then the
  // output register. A loaded row: data, row index, last, flags (the tile's
  // OR on its last row, else 0).
  // ---------------------------------------------------------------------
  reg [3:0]         tflags_q, tflags_d;   // flags of the tile's rows already loaded
  reg [COLS*32-1:0] row_data;             // the row entering the output path
  reg [3:0]         row_oflags;

  always @* begin
    ptr_d      = ptr_q;
    tflags_d   = tflags_q;
    row_data   = col_data;
    row_oflags = 4'b0000;
    if (out_load) begin
      if (row_last) begin
        row_oflags = tflags_q | row_flags;
        tflags_d   = 4'b0000;
        ptr_d      = {PtrW{1'b0}};
      end else begin
        tflags_d   = tflags_q | row_flags;
        ptr_d      = ptr_q + {{(PtrW - 1){1'b0}}, 1'b1};
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ptr_q    <= {PtrW{1'b0}};
      tflags_q <= 4'b0000;
    end else begin
      ptr_q    <= ptr_d;
      tflags_q <= tflags_d;
    end
  end

  // The output path's word: {data, row, last, flags}. Q_STAGES = 1 puts a
  // quantizer-stage register before the output register; both are
  // fp8sa_stream_reg (a row moves on when the next register is free).
  localparam integer OutWordW = COLS*32 + PtrW + 1 + 4;
  wire [OutWordW-1:0] row_word = {row_data, ptr_q, row_last, row_oflags};
  wire                fill_valid;         // a word for the output register
  wire [OutWordW-1:0] fill_word;
  wire                out_free;           // the output register can load
  wire [OutWordW-1:0] out_word;

  generate
    if (Q_STAGES == 0) begin : g_q0
      assign path_free  = out_free;
      assign fill_valid = row_ready;
      assign fill_word  = row_word;
    end else begin : g_q1
      fp8sa_stream_reg #(.W(OutWordW)) u_qreg (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .valid_i(row_ready), .ready_o(path_free), .data_i(row_word),
        .valid_o(fill_valid), .ready_i(out_free), .data_o(fill_word)
      );
    end
  endgenerate

  fp8sa_stream_reg #(.W(OutWordW)) u_oreg (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .valid_i(fill_valid), .ready_o(out_free), .data_i(fill_word),
    .valid_o(out_valid_o), .ready_i(out_ready_i), .data_o(out_word)
  );
  assign {out_data_o, out_row_o, out_last_o, out_flags_o} = out_word;

`ifndef SYNTHESIS
  // Command contract checks (docs/array.md "Ports"), at the handshake.
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // reset: no command accepted
    end else if (cmd_fire) begin
      if (cmd_k_i == 16'd0) begin
        $display("fp8sa ERROR: %m: command with cmd_k_i == 0 (treated as 1) at time %0t", $time);
      end
      if (cmd_out_fmt_i > OutFmtRaw) begin
        $display("fp8sa ERROR: %m: command with reserved out_fmt %0d (output 0) at time %0t",
                 cmd_out_fmt_i, $time);
      end
      if (cmd_rnd_i == RndReserved) begin
        $display("fp8sa ERROR: %m: command with reserved rnd 3 (treated as RNE) at time %0t", $time);
      end
      if (cmd_out_rnd_i == RndReserved) begin
        $display("fp8sa ERROR: %m: command with reserved out_rnd 3 (treated as RNE) at time %0t",
                 $time);
      end
    end
  end
`endif

`ifdef FORMAL
  // ---------------------------------------------------------------------
  // Properties of the output path (formal/array_out.sby): out_valid_o is held
  // until out_ready_i, and the row, its data, last and flags stay stable
  // meanwhile; rows come in order 0 .. ROWS-1, out_last_o exactly on
  // ROWS-1; a tile is only drained for a command taken (no tile made up).
  // Environment: reset in the first cycle, free inputs otherwise.
  // ---------------------------------------------------------------------
  reg       f_past_valid;
  reg [3:0] f_tiles;        // commands taken minus tiles drained
  initial f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;

  always @* begin
    if (!f_past_valid) assume (!rst_ni);
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) f_tiles <= 4'd0;
    else f_tiles <= f_tiles + {3'd0, cmd_fire} - {3'd0, out_valid_o & out_ready_i & out_last_o};
  end

  // Labels pick the proofs of formal/array_out.sby: f_ctl_* are the
  // control properties (with the command queue's contract, asserted in
  // fp8sa_cmd_queue), proven by PDR; f_dat_* hold the output register's
  // data, proven by k-induction (they need no invariant).
  always @(posedge clk_i) begin
    if (f_past_valid && rst_ni && $past(rst_ni) && $past(out_valid_o) && !$past(out_ready_i)) begin
      f_ctl_hold_valid: assert (out_valid_o);
      f_dat_hold_data: assert (out_data_o == $past(out_data_o));
      f_ctl_hold_row: assert (out_row_o == $past(out_row_o));
      f_ctl_hold_last: assert (out_last_o == $past(out_last_o));
      f_dat_hold_flags: assert (out_flags_o == $past(out_flags_o));
    end
    // Order: after a row's handshake the next row shown is the next one.
    if (f_past_valid && rst_ni && $past(rst_ni) && $past(out_valid_o) && $past(out_ready_i)
        && out_valid_o)
      f_ctl_order: assert (out_row_o == ($past(out_last_o) ? {PtrW{1'b0}} : $past(out_row_o) + 1'b1));
  end

  always @* begin
    if (rst_ni && out_valid_o) f_ctl_last: assert (out_last_o == (out_row_o == RowsM1));
    // 4 queued commands plus a last row waiting in the output register
    // (and one in the quantizer stage).
    if (rst_ni) f_ctl_tiles_max: assert (f_tiles <= 4'd5 + Q_STAGES[3:0]);
    if (rst_ni && out_valid_o && out_last_o) f_ctl_tiles_taken: assert (f_tiles != 4'd0);
  end

  // Back-pressure: a row held while out_ready_i is low for two cycles, then
  // taken (f_cover_* wires: see fp8sa_cmd_queue.v).
  reg [1:0] f_held;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) f_held <= 2'd0;
    else if (out_valid_o && !out_ready_i) f_held <= (f_held == 2'd3) ? 2'd3 : f_held + 2'd1;
    else f_held <= 2'd0;
  end
  (* keep *) wire f_cover_backpressure = rst_ni && f_past_valid && out_valid_o && out_ready_i
                                         && (f_held >= 2'd2);
  always @* begin
    cover (f_cover_backpressure);
  end
`endif

endmodule
`default_nettype wire

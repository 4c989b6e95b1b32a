`default_nettype none
// fp8sa_array_bench_tb: streams a GEMM through fp8sa_array for a fixed number
// of clock cycles under an event-driven simulator (Icarus Verilog), for
// `make bench` (docs/bench.md). Verilog-2005.
//
// Timing is that of the C++ GEMM stream driver (cmodel gemm_stream.hpp) with
// no gaps and no back-pressure: cmd_valid_i and out_ready_i are high on every
// cycle, in_valid_i too (a step only handshakes when in_ready_o is high, and
// the driver always has the next step ready because the command queue is
// kept full), so the array runs at the rate the Verilated RTL runs in the
// bench.
//
// The steps come from a file written by the bench tool (one line per step,
// in tile order then k order, hex of {B row k (column c in [8c+7:8c]), A
// column k (row r in [8r+7:8r])}); after the last step of the last tile it
// starts again from the first, with the same commands (raw e8m23 output,
// RNE: the result of every pass is the same). Every result row is written
// to +out=FILE (hex of out_data_o, one line per row) for the bench tool to
// check against the functional model, and the row sequence (out_row_o,
// out_last_o) is checked here.
//
// Plusargs: +steps=FILE (required unless +cycles=0), +out=FILE, +cycles=N
// (rising edges after reset; 0: only start up, for the startup time).
// Last line: "BENCH cycles=N steps=N rows=N bad_rows=N".
module fp8sa_array_bench_tb;
  parameter integer ROWS  = 4;
  parameter integer COLS  = 4;
  parameter integer K     = 256;  // steps per tile (cmd_k_i)
  parameter integer TILES = 16;   // tiles in the step file
  parameter integer FMT_A = 0;    // 0 E4M3, 1 E5M2
  parameter integer FMT_B = 1;

  localparam integer AccW   = 32;  // e8m23
  localparam integer StepW  = (ROWS + COLS) * 8;
  localparam integer NSteps = TILES * K;

  reg clk = 1'b0;
  reg rst_n = 1'b1;  // 1 -> 0 at #1: a definite negedge for the asynchronous reset

  reg [StepW-1:0] steps [0:NSteps-1];
  reg [8*1024-1:0] steps_file;
  reg [8*1024-1:0] out_file;
  integer cycles;
  integer fd;
  integer step_idx;
  integer step_cnt;
  integer rows;
  integer bad_rows;
  integer exp_row;
  integer cyc;

  wire                 cmd_ready, in_ready, init_ready;
  wire                 out_valid, out_last;
  wire [COLS*32-1:0]   out_data;
  wire [7:0]           out_row;
  wire [3:0]           out_flags;
  wire [StepW-1:0]     cur = steps[step_idx];
  wire [16-1:0]        cmd_k = K;
  wire                 fmt_a = FMT_A;
  wire                 fmt_b = FMT_B;

  fp8sa_array #(
    .ROWS(ROWS), .COLS(COLS), .ACC_EXP_W(8), .ACC_MAN_W(23),
    .SR_BITS(16), .Q_SR_BITS(16), .LFSR_W(32), .SEED(32'h1)
  ) dut (
    .clk_i          (clk),
    .rst_ni         (rst_n),
    .cmd_valid_i    (rst_n),
    .cmd_ready_o    (cmd_ready),
    .cmd_k_i        (cmd_k),
    .cmd_fmt_a_i    (fmt_a),
    .cmd_fmt_b_i    (fmt_b),
    .cmd_rnd_i      (2'd0),
    .cmd_use_init_i (1'b0),
    .cmd_out_fmt_i  (3'd4),
    .cmd_out_rnd_i  (2'd0),
    .cmd_sat_i      (1'b0),
    .cmd_scale_i    (7'd0),
    .in_valid_i     (rst_n),
    .in_ready_o     (in_ready),
    .in_a_i         (cur[ROWS*8-1:0]),
    .in_b_i         (cur[StepW-1:ROWS*8]),
    .init_valid_i   (1'b0),
    .init_ready_o   (init_ready),
    .init_data_i    ({(COLS*AccW){1'b0}}),
    .out_valid_o    (out_valid),
    .out_ready_i    (rst_n),
    .out_data_o     (out_data),
    .out_row_o      (out_row),
    .out_last_o     (out_last),
    .out_flags_o    (out_flags)
  );

  // Handshakes act at the rising edge; the DUT's outputs are Moore, so the
  // values sampled here are those of the cycle the edge closes.
  always @(posedge clk) begin
    if (rst_n && in_ready) begin
      step_idx <= (step_idx == NSteps - 1) ? 0 : step_idx + 1;
      step_cnt <= step_cnt + 1;
    end
    if (rst_n && out_valid) begin
      if (out_row != exp_row || out_last != (exp_row == ROWS - 1)) bad_rows = bad_rows + 1;
      exp_row = (exp_row == ROWS - 1) ? 0 : exp_row + 1;
      rows = rows + 1;
      if (fd != 0) $fwrite(fd, "%h\n", out_data);
    end
  end

  initial begin
    step_idx = 0;
    step_cnt = 0;
    rows = 0;
    bad_rows = 0;
    exp_row = 0;
    fd = 0;
    if (!$value$plusargs("cycles=%d", cycles)) cycles = 0;
    if ($value$plusargs("steps=%s", steps_file)) $readmemh(steps_file, steps);
    else if (cycles != 0) begin
      $display("fp8sa_array_bench_tb: +steps=FILE is required");
      $finish;
    end
    if ($value$plusargs("out=%s", out_file)) fd = $fopen(out_file, "w");
    #1 rst_n = 1'b0;
    #4 rst_n = 1'b1;
    for (cyc = 0; cyc < cycles; cyc = cyc + 1) begin
      #5 clk = 1'b1;
      #5 clk = 1'b0;
    end
    #1;
    if (fd != 0) $fclose(fd);
    $display("BENCH cycles=%0d steps=%0d rows=%0d bad_rows=%0d", cycles, step_cnt, rows, bad_rows);
    $finish;
  end
endmodule

`default_nettype wire

// X-propagation check of fp8sa_array under Icarus (which models X, unlike
// Verilator). After reset, every data input is X whenever its valid is low
// (cmd fields, A/B steps, init rows), random legal traffic runs with random
// gaps and output back-pressure, and every output port is checked on every
// cycle: no X may reach any output, data outputs included.
// Prints "xprop: PASS ..." or "xprop: FAIL ..." and finishes.

`default_nettype none
module fp8sa_array_xprop_tb;
  localparam integer ROWS = 2, COLS = 3, ACC_W = 32, CYCLES = 20000;
  reg clk = 1'b0, rst_n = 1'b0;
  reg cmd_valid = 1'b0, in_valid = 1'b0, init_valid = 1'b0, out_ready = 1'b0;
  reg [15:0] cmd_k;
  reg cmd_fmt_a, cmd_fmt_b, cmd_use_init, cmd_sat;
  reg [1:0] cmd_rnd, cmd_out_rnd;
  reg [2:0] cmd_out_fmt;
  reg [6:0] cmd_scale;
  reg [ROWS*8-1:0] in_a;
  reg [COLS*8-1:0] in_b;
  reg [COLS*ACC_W-1:0] init_data;
  wire cmd_ready, in_ready, init_ready, out_valid, out_last;
  wire [COLS*32-1:0] out_data;
  wire [7:0] out_row;
  wire [3:0] out_flags;

  fp8sa_array #(.ROWS(ROWS), .COLS(COLS)) dut (
    .clk_i(clk), .rst_ni(rst_n),
    .cmd_valid_i(cmd_valid), .cmd_ready_o(cmd_ready), .cmd_k_i(cmd_k), .cmd_fmt_a_i(cmd_fmt_a),
    .cmd_fmt_b_i(cmd_fmt_b), .cmd_rnd_i(cmd_rnd), .cmd_use_init_i(cmd_use_init), .cmd_out_fmt_i(cmd_out_fmt),
    .cmd_out_rnd_i(cmd_out_rnd), .cmd_sat_i(cmd_sat), .cmd_scale_i(cmd_scale),
    .in_valid_i(in_valid), .in_ready_o(in_ready), .in_a_i(in_a), .in_b_i(in_b),
    .init_valid_i(init_valid), .init_ready_o(init_ready), .init_data_i(init_data),
    .out_valid_o(out_valid), .out_ready_i(out_ready), .out_data_o(out_data), .out_row_o(out_row),
    .out_last_o(out_last), .out_flags_o(out_flags));

  integer seed = 32'h5EED, cycle = 0, rows_out = 0, cmds = 0, steps = 0, inits = 0, i;
  reg failed = 1'b0;

  // Data inputs are X whenever their valid is low.
  task drive_x_cmd;  begin
    cmd_k = 16'bx; cmd_fmt_a = 1'bx; cmd_fmt_b = 1'bx; cmd_rnd = 2'bx; cmd_use_init = 1'bx;
    cmd_out_fmt = 3'bx; cmd_out_rnd = 2'bx; cmd_sat = 1'bx; cmd_scale = 7'bx;
  end endtask
  task new_cmd; begin
    cmd_k = 16'd1 + ($random(seed) & 16'd7);
    cmd_fmt_a = $random(seed); cmd_fmt_b = $random(seed);
    cmd_rnd = ($random(seed) & 32'h7fff) % 3;
    cmd_use_init = $random(seed);
    cmd_out_fmt = ($random(seed) & 32'h7fff) % 5;
    cmd_out_rnd = ($random(seed) & 32'h7fff) % 3;
    cmd_sat = $random(seed); cmd_scale = $random(seed);
  end endtask
  task new_step; begin
    for (i = 0; i < ROWS; i = i + 1) in_a[8*i +: 8] = $random(seed);
    for (i = 0; i < COLS; i = i + 1) in_b[8*i +: 8] = $random(seed);
  end endtask
  task new_init; begin
    for (i = 0; i < COLS; i = i + 1) init_data[ACC_W*i +: ACC_W] = $random(seed);
  end endtask

  always #5 clk = ~clk;

  initial begin
    drive_x_cmd; in_a = {ROWS*8{1'bx}}; in_b = {COLS*8{1'bx}}; init_data = {COLS*ACC_W{1'bx}};
    repeat (3) @(posedge clk);
    #1 rst_n = 1'b1;
    for (cycle = 0; cycle < CYCLES; cycle = cycle + 1) begin
      // Outputs of this cycle, after the edge has settled.
      #2;
      if ((^{cmd_ready, in_ready, init_ready, out_valid}) === 1'bx ||
          (^{out_data, out_row, out_last, out_flags}) === 1'bx) begin
        $display("xprop: FAIL at cycle %0d: ready %b%b%b valid %b data %h row %h last %b flags %b", cycle,
                 cmd_ready, in_ready, init_ready, out_valid, out_data, out_row, out_last, out_flags);
        failed = 1'b1;
        cycle = CYCLES;
      end
      // New inputs (held until taken: a well-behaved environment).
      if (!cmd_valid || cmd_ready) begin
        cmd_valid = ($random(seed) & 3) != 0;
        if (cmd_valid) new_cmd; else drive_x_cmd;
      end
      if (!in_valid || in_ready) begin
        in_valid = ($random(seed) & 3) != 0;
        if (in_valid) new_step; else begin in_a = {ROWS*8{1'bx}}; in_b = {COLS*8{1'bx}}; end
      end
      if (!init_valid || init_ready) begin
        init_valid = ($random(seed) & 1) != 0;
        if (init_valid) new_init; else init_data = {COLS*ACC_W{1'bx}};
      end
      out_ready = ($random(seed) & 3) != 0;
      @(posedge clk);
      if (cmd_valid && cmd_ready) cmds = cmds + 1;
      if (in_valid && in_ready) steps = steps + 1;
      if (init_valid && init_ready) inits = inits + 1;
      if (out_valid && out_ready) rows_out = rows_out + 1;
    end
    if (!failed)
      $display("xprop: PASS: %0d cycles after reset, %0d commands, %0d steps, %0d init rows, %0d result rows; no X on any output",
               CYCLES, cmds, steps, inits, rows_out);
    $finish;
  end
endmodule
`default_nettype wire

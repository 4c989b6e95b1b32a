`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_cmd_queue: the tile command queue of fp8sa_array (docs/array.md
// "Commands"): 4 entries of W bits, with two read positions.
//
//   push (push_i, ready_o = entries < 4): appends push_data_i.
//   inject position: inj_valid_o = some entry is not yet fully injected;
//     inj_data_o is the oldest such entry; inj_done_i (its last step was
//     injected) moves the position to the next entry.
//   head: head_data_o is the oldest entry (the oldest undrained tile);
//     pop_i (its last row was loaded into the output register) removes it.
//
// Latency: every output is a function of registers only; an entry pushed
// at edge e is visible on inj_data_o / head_data_o after e. Contract (kept
// by fp8sa_array): push_i only when ready_o, inj_done_i only when
// inj_valid_o, pop_i only for an entry already passed by inj_done_i.
// Reset (asynchronous, active low): empty, entries 0.
module fp8sa_cmd_queue #(
  parameter integer W = 8   // [1, 256] entry width
) (
  input  wire         clk_i,
  input  wire         rst_ni,
  input  wire         push_i,
  input  wire [W-1:0] push_data_i,
  output wire         ready_o,
  output wire         inj_valid_o,
  output wire [W-1:0] inj_data_o,
  input  wire         inj_done_i,
  output wire [W-1:0] head_data_o,
  input  wire         pop_i
);

  generate
    if (W < 1 || W > 256) begin : g_err_w
      fp8sa_param_error_W_out_of_range_1_to_256 u_param_error ();
    end
  endgenerate

  reg [4*W-1:0] mem_q, mem_d;
  reg [1:0]     wr_q, wr_d;      // next free slot
  reg [1:0]     rd_q, rd_d;      // oldest entry (head)
  reg [1:0]     inj_q, inj_d;    // oldest entry not fully injected
  reg [2:0]     cnt_q, cnt_d;    // entries, 0..4
  reg [2:0]     pend_q, pend_d;  // entries not fully injected, 0..4
  reg [W-1:0]   inj_data, head_data;
  integer       i_wr, i_rd;      // loop indices, one per combinational block

  always @* begin
    mem_d  = mem_q;
    wr_d   = wr_q;
    rd_d   = rd_q;
    inj_d  = inj_q;
    cnt_d  = cnt_q;
    pend_d = pend_q;
    for (i_wr = 0; i_wr < 4; i_wr = i_wr + 1) begin
      if (push_i && (wr_q == i_wr[1:0])) begin
        mem_d[i_wr*W +: W] = push_data_i;
      end
    end
    if (push_i) begin
      wr_d = wr_q + 2'd1;
    end
    if (inj_done_i) begin
      inj_d = inj_q + 2'd1;
    end
    if (pop_i) begin
      rd_d = rd_q + 2'd1;
    end
    cnt_d  = cnt_q + {2'b00, push_i} - {2'b00, pop_i};
    pend_d = pend_q + {2'b00, push_i} - {2'b00, inj_done_i};
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mem_q  <= {(4*W){1'b0}};
      wr_q   <= 2'd0;
      rd_q   <= 2'd0;
      inj_q  <= 2'd0;
      cnt_q  <= 3'd0;
      pend_q <= 3'd0;
    end else begin
      mem_q  <= mem_d;
      wr_q   <= wr_d;
      rd_q   <= rd_d;
      inj_q  <= inj_d;
      cnt_q  <= cnt_d;
      pend_q <= pend_d;
    end
  end

  assign ready_o     = (cnt_q != 3'd4);
  assign inj_valid_o = (pend_q != 3'd0);
  always @* begin
    inj_data  = {W{1'b0}};
    head_data = {W{1'b0}};
    for (i_rd = 0; i_rd < 4; i_rd = i_rd + 1) begin
      if (inj_q == i_rd[1:0]) begin
        inj_data = mem_q[i_rd*W +: W];
      end
      if (rd_q == i_rd[1:0]) begin
        head_data = mem_q[i_rd*W +: W];
      end
    end
  end

  assign inj_data_o  = inj_data;
  assign head_data_o = head_data;

`ifdef FORMAL
  // ---------------------------------------------------------------------
  // Properties (formal/run.sh). The environment (fp8sa_array) keeps the
  // contract of the header: assumed here. A reference queue that shifts
  // towards slot 0 on a pop (another structure than the ring above) gives
  // the expected head and inject entries: order kept, nothing lost or
  // duplicated. The internal invariants make the proof inductive.
  // ---------------------------------------------------------------------
  reg         f_past_valid;
  reg [4*W-1:0] f_q;        // f_q[0] is the oldest entry
  reg [2:0]   f_cnt;        // entries
  reg [2:0]   f_pend;       // entries not fully injected
  reg [4*W-1:0] f_q_d;
  reg [2:0]   f_cnt_d;
  integer     f_i;

  initial f_past_valid = 1'b0;
  always @(posedge clk_i) f_past_valid <= 1'b1;

  always @* begin
    if (!f_past_valid) assume (!rst_ni);
`ifdef FP8SA_FORMAL_CMD_QUEUE_TOP
    assume (!push_i || ready_o);
    assume (!inj_done_i || inj_valid_o);
    assume (!pop_i || (cnt_q > pend_q));          // the head was injected
`else
    // Inside fp8sa_array: its user keeps the contract (proven there; the
    // f_ctl_ labels pick the control properties, formal/array_out.sby).
    if (rst_ni) begin
      f_ctl_q_push: assert (!push_i || ready_o);
      f_ctl_q_inj: assert (!inj_done_i || inj_valid_o);
      f_ctl_q_pop: assert (!pop_i || (cnt_q > pend_q));
    end
`endif
  end

  always @* begin
    f_q_d   = f_q;
    f_cnt_d = f_cnt;
    if (pop_i) begin
      for (f_i = 0; f_i < 3; f_i = f_i + 1) f_q_d[f_i*W +: W] = f_q[(f_i+1)*W +: W];
      f_q_d[3*W +: W] = {W{1'b0}};
      f_cnt_d = f_cnt - 3'd1;
    end
    if (push_i) begin
      for (f_i = 0; f_i < 4; f_i = f_i + 1)
        if (f_i == f_cnt_d) f_q_d[f_i*W +: W] = push_data_i;
      f_cnt_d = f_cnt_d + 3'd1;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      f_q    <= {(4*W){1'b0}};
      f_cnt  <= 3'd0;
      f_pend <= 3'd0;
    end else begin
      f_q    <= f_q_d;
      f_cnt  <= f_cnt_d;
      f_pend <= f_pend + {2'b00, push_i} - {2'b00, inj_done_i};
    end
  end

  reg [W-1:0] f_head, f_inj;
  always @* begin
    f_head = f_q[0 +: W];
    f_inj  = {W{1'b0}};
    for (f_i = 0; f_i < 4; f_i = f_i + 1)
      if (f_i == f_cnt - f_pend) f_inj = f_q[f_i*W +: W];
  end

  always @* begin
    if (rst_ni) begin
      assert (f_cnt <= 3'd4);
      assert (f_pend <= f_cnt);
      assert (ready_o == (f_cnt != 3'd4));
      assert (inj_valid_o == (f_pend != 3'd0));
      if (f_cnt != 3'd0) assert (head_data_o == f_head);
      if (f_pend != 3'd0) assert (inj_data_o == f_inj);
      // Internal invariants (inductive strengthening).
      assert (cnt_q == f_cnt);
      assert (pend_q == f_pend);
      assert (wr_q == rd_q + cnt_q[1:0]);
      assert (inj_q == rd_q + cnt_q[1:0] - pend_q[1:0]);
      // The live ring slots hold the reference queue's entries (with this,
      // induction closes at length 1; formal/cmd_queue.sby).
      for (f_i = 0; f_i < 4; f_i = f_i + 1)
        if (f_i < f_cnt) assert (f_slot(f_i) == f_q[f_i*W +: W]);
    end
  end

  // The ring slot i entries after the head.
  function [W-1:0] f_slot;
    input integer i;
    reg [1:0] k;
    begin
      k      = rd_q + i[1:0];
      f_slot = mem_q[k*W +: W];
    end
  endfunction

  // Back-pressure: the queue fills (ready_o low) and drains again.
  reg f_was_full;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) f_was_full <= 1'b0;
    else if (!ready_o) f_was_full <= 1'b1;
  end
  // f_cover_* wires: formal/run.sh asks the SAT solver for a trace that
  // reaches each (Yosys's sat has no cover cells; the cover() is for SBY).
  (* keep *) wire f_cover_backpressure = rst_ni && f_was_full && (f_cnt == 3'd0);
  always @* begin
    cover (f_cover_backpressure);
  end
`endif

endmodule
`default_nettype wire

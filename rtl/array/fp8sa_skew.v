`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_skew: enable-gated delay line of DEPTH registers of WIDTH bits
// (the operand skew of fp8sa_array, docs/array.md "Dataflow").
//
// On every clock edge with en_i high the line shifts one place: stage 0
// loads d_i, stage i loads stage i-1. q_o is the last stage, so a word
// presented on d_i at an enabled edge e appears on q_o after the DEPTH-th
// enabled edge counted from e (e included). Edges with en_i low hold
// every stage.
//
// Latency: DEPTH enabled edges; q_o is registered (no combinational path
// from d_i or en_i to q_o). DEPTH = 0 is a wire (q_o = d_i, no register):
// the zero-delay lane of a skew and a PE's product pipeline without stages
// then need no generate branch of their own at every use. No handshake:
// the enable is the array's global advance. Reset (asynchronous, active
// low): every stage 0.
module fp8sa_skew #(
  parameter integer WIDTH = 8,   // [1, 4096] (a PE's DOT_N = 64 product words: 1280)
  parameter integer DEPTH = 1    // [0, 256]; 0: a wire
) (
  input  wire             clk_i,
  input  wire             rst_ni,
  input  wire             en_i,
  input  wire [WIDTH-1:0] d_i,
  output wire [WIDTH-1:0] q_o
);

  generate
    if (WIDTH < 1 || WIDTH > 4096) begin : g_err_width
      fp8sa_param_error_WIDTH_out_of_range_1_to_4096 u_param_error ();
    end
    if (DEPTH < 0 || DEPTH > 256) begin : g_err_depth
      fp8sa_param_error_DEPTH_out_of_range_0_to_256 u_param_error ();
    end
  endgenerate

  generate
    if (DEPTH == 0) begin : g_wire
      assign q_o = d_i;
      wire clk_rst_en_unused = ^{clk_i, rst_ni, en_i};
    end else begin : g_line
      reg [WIDTH*DEPTH-1:0] pipe_q, pipe_d;
      integer i;

      always @* begin
        pipe_d = pipe_q;
        if (en_i) begin
          for (i = DEPTH - 1; i > 0; i = i - 1) begin
            pipe_d[i*WIDTH +: WIDTH] = pipe_q[(i-1)*WIDTH +: WIDTH];
          end
          pipe_d[WIDTH-1:0] = d_i;
        end
      end

      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          pipe_q <= {(WIDTH*DEPTH){1'b0}};
        end else begin
          pipe_q <= pipe_d;
        end
      end

      assign q_o = pipe_q[(DEPTH-1)*WIDTH +: WIDTH];

`ifdef FORMAL
      // ---------------------------------------------------------------------
      // Properties (formal/skew.sby): a word taken at an enabled edge comes out
      // after exactly DEPTH enabled edges (nothing lost, duplicated or
      // reordered: every word is tracked, one at a time, by the free choice of
      // f_start); q_o holds on edges with en_i low; reset empties the line.
      // ---------------------------------------------------------------------
      reg             f_past_valid;
      reg             f_track;
      reg [WIDTH-1:0] f_word;
      reg [8:0]       f_n;          // enabled edges since the word was taken
      (* anyseq *) wire f_start;    // free: which word to track
      integer         f_s;

      initial f_past_valid = 1'b0;
      always @(posedge clk_i) f_past_valid <= 1'b1;

      always @* begin
        if (!f_past_valid) assume (!rst_ni);
      end

      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          f_track <= 1'b0;
          f_word  <= {WIDTH{1'b0}};
          f_n     <= 9'd0;
        end else if (!f_track && en_i && f_start) begin
          f_track <= 1'b1;
          f_word  <= d_i;
          f_n     <= 9'd1;
        end else if (f_track && en_i) begin
          if (f_n == DEPTH[8:0]) f_track <= 1'b0;
          f_n <= f_n + 9'd1;
        end
      end

      always @(posedge clk_i) begin
        if (f_past_valid && rst_ni && $past(rst_ni)) begin
          if (!$past(en_i)) assert (q_o == $past(q_o));
        end
        if (f_past_valid && !$past(rst_ni) && rst_ni) assert (q_o == {WIDTH{1'b0}});
      end
      always @* begin
        if (rst_ni && f_track && (f_n == DEPTH[8:0])) assert (q_o == f_word);
        // Internal invariant (inductive strengthening: with it, k-induction
        // closes at length 1 for every DEPTH): a tracked word taken f_n
        // enabled edges ago sits in stage f_n - 1.
        if (rst_ni && f_track) begin
          assert ((f_n >= 9'd1) && (f_n <= DEPTH[8:0]));
          for (f_s = 0; f_s < DEPTH; f_s = f_s + 1)
            if (f_n == f_s + 1) assert (pipe_q[f_s*WIDTH +: WIDTH] == f_word);
        end
      end
`endif
    end
  endgenerate

endmodule
`default_nettype wire

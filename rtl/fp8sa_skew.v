`default_nettype none
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
// from d_i or en_i to q_o). No handshake: the enable is the array's global
// advance. Reset (asynchronous, active low): every stage 0.
module fp8sa_skew #(
  parameter integer WIDTH = 8,   // [1, 1024]
  parameter integer DEPTH = 1    // [1, 256]; a zero-delay lane is a wire, not a skew
) (
  input  wire             clk_i,
  input  wire             rst_ni,
  input  wire             en_i,
  input  wire [WIDTH-1:0] d_i,
  output wire [WIDTH-1:0] q_o
);

  generate
    if (WIDTH < 1 || WIDTH > 1024) begin : g_err_width
      fp8sa_param_error_WIDTH_out_of_range_1_to_1024 u_param_error ();
    end
    if (DEPTH < 1 || DEPTH > 256) begin : g_err_depth
      fp8sa_param_error_DEPTH_out_of_range_1_to_256 u_param_error ();
    end
  endgenerate

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

endmodule
`default_nettype wire

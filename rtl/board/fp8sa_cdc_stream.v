`default_nettype none
// fp8sa_cdc_stream: a valid/ready stream of WIDTH-bit words from one clock
// domain to another, unrelated one (docs/fpga.md "Host link": the board's
// UART runs on the board's oscillator, the link and the array on the
// array's clock).
//
// Two-phase (toggle) handshake with the word held in a source register:
//   - the source takes a word when src_valid_i && src_ready_o, stores it in
//     data_q and flips req_q;
//   - req_q reaches the destination through two flops; dst_valid_o is high
//     while the synchronized req differs from ack_q, with dst_data_o = data_q;
//   - the destination flips ack_q when it takes the word, and ack_q reaches
//     the source through two flops; src_ready_o is high again when it
//     matches req_q.
// Only the one-bit toggles are synchronized. data_q crosses as a bus, but it
// changes only while src_ready_o is high, that is after the destination
// has taken the previous word and before the next req toggle can reach it:
// it is stable for at least two destination edges before dst_valid_o rises
// and until the destination takes it. The timing tools see data_q ->
// destination as a path between unrelated clocks; its delay does not matter
// beyond those two edges (a real-board timing report lists it unconstrained).
//
// One word in flight: a word takes two to three destination edges to
// appear and its acknowledgement two to three source edges to return.
// The board core checks at elaboration that this round trip fits in a UART
// byte time, so the receiver (which cannot wait) never finds it busy.
// Reset: one asynchronous, active-low reset per domain, each released
// synchronously to its own clock (the board core's reset synchronizers);
// both must be asserted together (a word in flight is lost).
module fp8sa_cdc_stream #(
  parameter integer WIDTH = 8   // [1, 1024]: bits per word
) (
  // source domain
  input  wire             src_clk_i,
  input  wire             src_rst_ni,
  input  wire             src_valid_i,
  output wire             src_ready_o,
  input  wire [WIDTH-1:0] src_data_i,
  // destination domain
  input  wire             dst_clk_i,
  input  wire             dst_rst_ni,
  output wire             dst_valid_o,
  input  wire             dst_ready_i,
  output wire [WIDTH-1:0] dst_data_o
);

  generate
    if (WIDTH < 1 || WIDTH > 1024) begin : g_err_width
      fp8sa_param_error_WIDTH_out_of_range_1_to_1024 u_param_error ();
    end
  endgenerate

  // Source domain: the word register, the request toggle and the
  // synchronizer of the acknowledgement.
  reg [WIDTH-1:0] data_q;
  reg             req_q;
  reg [1:0]       ack_sync_q;   // ack_sync_q[1]: ack_q, synchronized
  // Destination domain: the synchronizer of the request and the
  // acknowledgement toggle.
  reg [1:0]       req_sync_q;   // req_sync_q[1]: req_q, synchronized
  reg             ack_q;

  assign src_ready_o = (req_q == ack_sync_q[1]);

  always @(posedge src_clk_i or negedge src_rst_ni) begin
    if (!src_rst_ni) begin
      data_q     <= {WIDTH{1'b0}};
      req_q      <= 1'b0;
      ack_sync_q <= 2'b00;
    end else begin
      ack_sync_q <= {ack_sync_q[0], ack_q};
      if (src_valid_i && src_ready_o) begin
        data_q <= src_data_i;
        req_q  <= !req_q;
      end
    end
  end

  assign dst_valid_o = (req_sync_q[1] != ack_q);
  assign dst_data_o  = data_q;

  always @(posedge dst_clk_i or negedge dst_rst_ni) begin
    if (!dst_rst_ni) begin
      req_sync_q <= 2'b00;
      ack_q      <= 1'b0;
    end else begin
      req_sync_q <= {req_sync_q[0], req_q};
      if (dst_valid_o && dst_ready_i) ack_q <= !ack_q;
    end
  end

endmodule
`default_nettype wire

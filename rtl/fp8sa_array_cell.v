`default_nettype none
// fp8sa_array_cell: one position (r, c) of fp8sa_array (docs/array.md):
// the PE's operand registers, an fp8sa_mac_pe, and the drain state (done
// bit, shadow accumulator, shadow flags, shadow_valid).
//
// Lane word (A operand plus the control of its tile, travelling right
// along the row; positions in fp8sa_pkg.vh, shared with fp8sa_array):
//   [7:0] a   [9:8] rnd   [10] fmt_a   [11] fmt_b   [12] use_init
//   [13] last   [14] first   [15] valid
// b_i is the B operand, travelling down the column.
//
// On an advance edge (adv_i high): lane_q <= lane_i, b_q <= b_i, and if
// lane_q holds a valid step the PE issues its MAC on lane_q/b_q (en =
// valid, clr = first); the PE performs it MUL_STAGES advances later (at
// once for 0), reading init = use_init ? bank_i : +0 then. Edges with
// adv_i low hold everything except the shadow_valid clear (drain_i).
// The step's first/last/use_init travel with it through the PE's pipeline
// (its tag), so done and the init select below belong to the MAC being
// performed, and init_taken_o (the PE performs the first MAC of a use_init
// tile at this edge) tells the array when the init bank may be released.
// Drain state, per docs/array.md "Drain":
//   advance edge:  done <= (this edge performs the MAC of a last step)
//                  (so a PE whose last MAC coincides with the transfer of
//                  the previous tile keeps done = 1);
//                  if done: shadow <= acc, shadow_flags <= flags,
//                  shadow_valid <= 1.
//   drain_i edge:  shadow_valid <= 0 (the row was loaded into the output
//                  register). The array never drains a cell that transfers
//                  on the same edge (that cell would have stalled the array).
//
// PROMOTE_N > 0 (docs/numerics.md "Promotion"): the PE promotes its narrow
// accumulator into a binary32 one; bank_i, the PE's acc and the shadow are
// binary32 words (AccW = 32 here), and the step's last bit tells the PE the
// tile's last product. Same timing as without promotion.
//
// Latency: lane_o/b_o are the operand registers (one advance per cell);
// every output is a register (no combinational path from any input).
// No handshake: adv_i is the array's global advance (!stall).
module fp8sa_array_cell #(
  parameter integer ACC_EXP_W = 8,      // [4, 8]
  parameter integer ACC_MAN_W = 23,     // [2, 23]
  parameter integer SR_BITS   = 16,     // [2, 24], <= LFSR_W
  parameter integer LFSR_W    = 32,     // [4, 32]
  parameter [31:0]  SEED      = 32'h1,  // PE LFSR seed, non-zero in the low LFSR_W bits
  parameter integer MUL_STAGES = 0,     // [0, 2]: the PE's product pipeline
  parameter integer PROMOTE_N = 0       // 0 or [2, 65535]: the PE's promotion (bank and shadow binary32 then)
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         adv_i,          // global advance
  input  wire [15:0]                  lane_i,         // LaneW bits, from the left neighbour / row skew
  input  wire [7:0]                   b_i,            // from the upper neighbour / column skew
  input  wire [((PROMOTE_N > 0) ? 31 : ACC_EXP_W + ACC_MAN_W):0] bank_i,    // init_bank[r][c], ResW bits
  input  wire                         drain_i,        // this row loaded into the output register
  output wire [15:0]                  lane_o,         // LaneW bits: lane_q, to the right neighbour
  output wire [7:0]                   b_o,            // b_q, to the lower neighbour
  output wire                         done_o,
  output wire                         shadow_valid_o,
  output wire [((PROMOTE_N > 0) ? 31 : ACC_EXP_W + ACC_MAN_W):0] shadow_o,  // ResW bits
  output wire [3:0]                   shadow_flags_o,
  output wire                         init_taken_o    // the next edge performs a use_init tile's first MAC
);

  `include "fp8sa_pkg.vh"

  // The PE's result word: the accumulator, or binary32 with promotion.
  localparam integer AccW = (PROMOTE_N > 0) ? 32 : 1 + ACC_EXP_W + ACC_MAN_W;

  // Parameter ranges are checked by fp8sa_mac_pe and its submodules.

  reg  [LaneW-1:0] lane_q, lane_d;
  reg  [7:0]      b_q, b_d;
  reg             done_q, done_d;
  reg             sv_q, sv_d;
  reg  [AccW-1:0] shadow_q, shadow_d;
  reg  [3:0]      sflags_q, sflags_d;

  wire [AccW-1:0] acc;
  wire [3:0]      acc_flags;

  wire step_valid    = lane_q[LaneValid];
  wire step_first    = lane_q[LaneFirst];
  wire step_last     = lane_q[LaneLast];
  wire step_use_init = lane_q[LaneUseInit];

  wire mac_en  = adv_i & step_valid;
  wire mac_clr = mac_en & step_first;

  // The PE's tag: the step's control, read back at its accumulate stage.
  localparam integer TagLast = 0, TagUseInit = 1, TagFirst = 2;
  wire [2:0] acc_tag;
  wire       acc_fire;   // the next edge performs a MAC (implies adv_i)

  fp8sa_mac_pe #(
    .ACC_EXP_W (ACC_EXP_W),
    .ACC_MAN_W (ACC_MAN_W),
    .SR_BITS   (SR_BITS),
    .LFSR_W    (LFSR_W),
    .SEED      (SEED),
    .RND_MODES (3),
    .MUL_STAGES (MUL_STAGES),
    .TAG_W     (3),
    .PROMOTE_N (PROMOTE_N)
  ) u_pe (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .adv_i       (adv_i),
    .tag_i       ({step_first, step_use_init, step_last}),
    .en_i        (mac_en),
    .clr_i       (mac_clr),
    .last_i      (step_last),
    .init_i      (acc_tag[TagUseInit] ? bank_i : {AccW{1'b0}}),
    .a_i         (lane_q[LaneALsb +: LaneAW]),
    .fmt_a_i     (lane_q[LaneFmtA]),
    .b_i         (b_q),
    .fmt_b_i     (lane_q[LaneFmtB]),
    .rnd_i       (lane_q[LaneRndLsb +: RndW]),
    .seed_load_i (1'b0),
    .seed_i      ({LFSR_W{1'b0}}),
    .acc_o       (acc),
    .flags_o     (acc_flags),
    .acc_fire_o  (acc_fire),
    .acc_tag_o   (acc_tag)
  );

  always @* begin
    lane_d   = lane_q;
    b_d      = b_q;
    done_d   = done_q;
    sv_d     = sv_q & ~drain_i;
    shadow_d = shadow_q;
    sflags_d = sflags_q;
    if (adv_i) begin
      lane_d = lane_i;
      b_d    = b_i;
      done_d = acc_fire & acc_tag[TagLast];
      if (done_q) begin
        shadow_d = acc;
        sflags_d = acc_flags;
        sv_d     = 1'b1;
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      lane_q   <= {LaneW{1'b0}};
      b_q      <= 8'd0;
      done_q   <= 1'b0;
      sv_q     <= 1'b0;
      shadow_q <= {AccW{1'b0}};
      sflags_q <= 4'b0000;
    end else begin
      lane_q   <= lane_d;
      b_q      <= b_d;
      done_q   <= done_d;
      sv_q     <= sv_d;
      shadow_q <= shadow_d;
      sflags_q <= sflags_d;
    end
  end

  assign lane_o         = lane_q;
  assign b_o            = b_q;
  assign done_o         = done_q;
  assign shadow_valid_o = sv_q;
  assign shadow_o       = shadow_q;
  assign shadow_flags_o = sflags_q;
  assign init_taken_o   = acc_fire & acc_tag[TagFirst] & acc_tag[TagUseInit];

endmodule
`default_nettype wire

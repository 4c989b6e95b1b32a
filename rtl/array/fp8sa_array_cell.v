`default_nettype none
`include "fp8sa_widths.vh"
// fp8sa_array_cell: one position (r, c) of fp8sa_array (docs/array.md):
// the PE's operand registers, the PE (the socket fp8sa_pe: PE_KIND picks
// fp8sa_mac_pe, fp8sa_dot_pe or fp8sa_exact_pe, siblings with one port
// list), and the drain state (done bit, shadow result, shadow flags,
// shadow_valid).
//
// Lane word (the step's DOT_N A operands plus the control byte of its tile,
// travelling right along the row; offsets in fp8sa_pkg.vh, shared with
// fp8sa_array), AW = DOT_N * 8:
//   [AW-1:0] a (code i in [8i +: 8])   [AW+1:AW] rnd   [AW+2] fmt_a
//   [AW+3] fmt_b   [AW+4] use_init   [AW+5] last   [AW+6] first
//   [AW+7] valid
// (DOT_N = 1: [7:0] a, [9:8] rnd, ..., [15] valid.)
// b_i is the step's DOT_N B operands, travelling down the column.
//
// On an advance edge (adv_i high): lane_q <= lane_i, b_q <= b_i, and if
// lane_q holds a valid step the PE issues it on lane_q/b_q (en = valid,
// clr = first, last = last); the PE performs it MUL_STAGES advances later
// (at once for 0), reading init = use_init ? bank_i : +0 then. Edges with
// adv_i low hold everything except the shadow_valid clear (drain_i).
// The step's first/last/use_init travel with it through the PE's pipeline
// (its tag), so done and the init select below belong to the step being
// performed, and init_taken_o (the PE performs the first step of a
// use_init tile at this edge) tells the array when the init bank may be
// released.
// Drain state, per docs/array.md "Drain":
//   advance edge:  done <= (this edge performs a last step)
//                  (so a PE whose last step coincides with the transfer of
//                  the previous tile keeps done = 1);
//                  if done: shadow <= acc, shadow_flags <= flags,
//                  shadow_valid <= 1.
//   drain_i edge:  shadow_valid <= 0 (the row was loaded into the output
//                  register). The array never drains a cell that transfers
//                  on the same edge (that cell would have stalled the array).
//
// Words (numerics.md section 10 "Words"): bank_i is an init word of INIT_W
// bits (32, binary32, for dot, exact and PROMOTE_N > 0, else ACC_W), the
// PE's acc and the shadow a result word of RES_W bits (32 with
// PROMOTE_N > 0, else ACC_W). Same timing for every kind (docs/array.md
// "PE kinds").
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
  parameter integer RND_MODES = 3,      // [1, 3]: the PE's rounding hardware
  parameter integer PROMOTE_N = 0,      // 0 or [2, 65535]: the PE's promotion (a multiple of DOT_N; 0 for exact)
  parameter integer PE_KIND   = 0,      // [0, 2]: PeKindFma, PeKindDot, PeKindExact
  parameter integer DOT_N     = 1,      // 1, 2, 4, .., 64 (fma: 1): products per step
  parameter integer ALIGN_BITS = 13,    // [1, 48]: dot's window fraction bits
  parameter integer SR_KIND   = 0       // [0, 2]: SR construction
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         adv_i,          // global advance
  input  wire [DOT_N*`FP8SA_FP8_W+`FP8SA_LANE_CTRL_W-1:0]           lane_i,         // LaneW bits, from the left neighbour / row skew
  input  wire [DOT_N*`FP8SA_FP8_W-1:0]           b_i,            // from the upper neighbour / column skew
  input  wire [((PE_KIND != 0 || PROMOTE_N > 0) ? `FP8SA_B32_W-1 : ACC_EXP_W + ACC_MAN_W):0] bank_i,  // init_bank[r][c], INIT_W bits
  input  wire                         drain_i,        // this row loaded into the output register
  output wire [DOT_N*`FP8SA_FP8_W+`FP8SA_LANE_CTRL_W-1:0]           lane_o,         // LaneW bits: lane_q, to the right neighbour
  output wire [DOT_N*`FP8SA_FP8_W-1:0]           b_o,            // b_q, to the lower neighbour
  output wire                         done_o,
  output wire                         shadow_valid_o,
  output wire [((PROMOTE_N > 0) ? `FP8SA_B32_W-1 : ACC_EXP_W + ACC_MAN_W):0] shadow_o,  // RES_W bits
  output wire [`FP8SA_FLAG_W-1:0]                   shadow_flags_o,
  output wire                         init_taken_o    // the next edge performs a use_init tile's first step
);

  `include "fp8sa_pkg.vh"

  // The words: init (bank_i) and result (acc, shadow).
  localparam integer InitW = (PE_KIND != PeKindFma || PROMOTE_N > 0) ? 32 : 1 + ACC_EXP_W + ACC_MAN_W;
  localparam integer AccW  = (PROMOTE_N > 0) ? 32 : 1 + ACC_EXP_W + ACC_MAN_W;
  // The lane word: DOT_N A codes, then the control byte.
  localparam integer AW          = DOT_N * Fp8W;
  localparam integer LaneW       = AW + LaneCtrlW;
  localparam integer LaneRndLsb  = AW + LaneRndOff;
  localparam integer LaneFmtA    = AW + LaneFmtAOff;
  localparam integer LaneFmtB    = AW + LaneFmtBOff;
  localparam integer LaneUseInit = AW + LaneUseInitOff;
  localparam integer LaneLast    = AW + LaneLastOff;
  localparam integer LaneFirst   = AW + LaneFirstOff;
  localparam integer LaneValid   = AW + LaneValidOff;

  // The parameters' ranges are checked by the socket (PE_KIND), the PE and
  // its submodules.

  reg  [LaneW-1:0] lane_q, lane_d;
  reg  [AW-1:0]   b_q, b_d;
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

  wire [InitW-1:0] pe_init = acc_tag[TagUseInit] ? bank_i : {InitW{1'b0}};

  // The PE socket (fp8sa_pe: the kind picked there, as Ibex picks its
  // multiplier); what it carries is named once, here.
  wire [2:0]      pe_tag   = {step_first, step_use_init, step_last};
  wire [AW-1:0]   pe_a     = lane_q[LaneALsb +: AW];
  wire            pe_fmt_a = lane_q[LaneFmtA];
  wire            pe_fmt_b = lane_q[LaneFmtB];
  wire [RndW-1:0] pe_rnd   = lane_q[LaneRndLsb +: RndW];
  fp8sa_pe #(
    .ACC_EXP_W(ACC_EXP_W), .ACC_MAN_W(ACC_MAN_W), .SR_BITS(SR_BITS), .LFSR_W(LFSR_W), .SEED(SEED),
    .RND_MODES(RND_MODES), .MUL_STAGES(MUL_STAGES), .TAG_W(3), .PROMOTE_N(PROMOTE_N), .PE_KIND(PE_KIND),
    .DOT_N(DOT_N), .ALIGN_BITS(ALIGN_BITS), .SR_KIND(SR_KIND)
  ) u_pe (
    .clk_i(clk_i), .rst_ni(rst_ni), .adv_i(adv_i), .tag_i(pe_tag), .en_i(mac_en), .clr_i(mac_clr),
    .last_i(step_last), .init_i(pe_init), .a_i(pe_a), .fmt_a_i(pe_fmt_a), .b_i(b_q), .fmt_b_i(pe_fmt_b),
    .rnd_i(pe_rnd), .seed_load_i(1'b0), .seed_i({LFSR_W{1'b0}}),
    .acc_o(acc), .flags_o(acc_flags), .acc_fire_o(acc_fire), .acc_tag_o(acc_tag)
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
      b_q      <= {AW{1'b0}};
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

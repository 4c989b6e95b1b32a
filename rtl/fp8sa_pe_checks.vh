// fp8sa_pe_checks.vh: the checks every PE kind shares (the PE socket's
// parameters and contract, docs/array.md "PE kinds"), in one place; each PE
// (fp8sa_mac_pe, fp8sa_dot_pe, fp8sa_exact_pe) includes it inside its
// module body, after fp8sa_pkg.vh and a localparam ClrAlone (1: the PE
// performs clr_i without en_i, 0: it ignores it), and adds its own rules
// (PROMOTE_N, DOT_N) beside it.
// Elaboration: a bad parameter instantiates an undefined
// fp8sa_param_error_* module, so elaboration stops with a message that
// names the problem. Simulation: a step issued with the reserved rounding
// mode 3, and clr_i without en_i where ClrAlone = 0, are reported.
generate
  if (SR_BITS < 2 || SR_BITS > 24) begin : g_err_sr_bits
    fp8sa_param_error_SR_BITS_out_of_range_2_to_24 u_param_error ();
  end
  if (SR_BITS > LFSR_W) begin : g_err_sr_lfsr
    fp8sa_param_error_SR_BITS_exceeds_LFSR_W u_param_error ();
  end
  if (RND_MODES < 1 || RND_MODES > 3) begin : g_err_rnd_modes
    fp8sa_param_error_RND_MODES_out_of_range_1_to_3 u_param_error ();
  end
  if (MUL_STAGES < 0 || MUL_STAGES > 2) begin : g_err_mul_stages
    fp8sa_param_error_MUL_STAGES_out_of_range_0_to_2 u_param_error ();
  end
  if (TAG_W < 1 || TAG_W > 8) begin : g_err_tag_w
    fp8sa_param_error_TAG_W_out_of_range_1_to_8 u_param_error ();
  end
  if (ALIGN_BITS < 1 || ALIGN_BITS > 48) begin : g_err_align_bits
    fp8sa_param_error_ALIGN_BITS_out_of_range_1_to_48 u_param_error ();
  end
  if (SR_KIND < 0 || SR_KIND > 2) begin : g_err_sr_kind
    fp8sa_param_error_SR_KIND_out_of_range_0_to_2 u_param_error ();
  end
endgenerate

`ifndef SYNTHESIS
always @(posedge clk_i or negedge rst_ni) begin
  if (!rst_ni) begin
    // reset: nothing issued
  end else if (MUL_STAGES == 0 || adv_i) begin
    if (en_i && (rnd_i == RndReserved)) begin
      $display("fp8sa ERROR: %m: step issued with reserved rounding mode 3 (treated as RNE) at time %0t",
               $time);
    end
    if (clr_i && !en_i && (ClrAlone == 0)) begin
      $display("fp8sa ERROR: %m: clr_i without en_i (ignored: this PE kind clears only with a step) at time %0t",
               $time);
    end
  end
end
`endif

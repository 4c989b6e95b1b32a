`default_nettype none
// fp8sa_ulx3s_pll: 25 MHz in, OUT_HZ out (the ECP5 EHXPLLL), feedback from
// CLKOP, with the divisors Project Trellis' ecppll picks:
//   OUT_HZ a multiple of 12.5 MHz (x 1..8): refclk divisor 2, phase
//     detector 12.5 MHz, feedback divisor OUT_HZ / 12.5 MHz (yowasp-ecppll
//     -i 25 -o 12.5: 2, 1, output divisor 48);
//   otherwise the smallest refclk divisor D in [1, 8] (phase detector
//     25 MHz / D, at least 3.125 MHz) of which OUT_HZ is a multiple, up to
//     16 times: 10 MHz is D = 5, feedback 2 (yowasp-ecppll -i 25 -o 10:
//     5, 2, 60), 9.375 MHz is D = 8, feedback 3; for the arrays whose PE
//     closes below 12.5 MHz (fpga/boards.txt);
// CLKOP_DIV = 600 MHz / OUT_HZ rounded and CLKOP_CPHASE = CLKOP_DIV / 2 - 1
// (as ecppll writes them), VCO within 400..800 MHz. OUT_HZ is a whole
// number of kHz.
// nextpnr-ecp5 derives the output's constraint from these divisors and the
// input's FREQUENCY in the .lpf.
module fp8sa_ulx3s_pll #(
  parameter integer OUT_HZ = 12500000   // see above: 12.5 MHz x [1, 8], 10 MHz, 9.375 MHz, ...
) (
  input  wire clkin,     // 25 MHz
  output wire clkout0,   // OUT_HZ
  output wire locked
);
  // The refclk divisor (0: none fits).
  function integer in_div(input integer hz);
    integer d;
    begin
      in_div = 0;
      if (hz % 12500000 == 0) in_div = 2;
      else if (hz % 1000 == 0)
        for (d = 8; d >= 1; d = d - 1)
          if (((hz / 1000) * d) % 25000 == 0) in_div = d;
    end
  endfunction
  localparam integer InDiv = in_div(OUT_HZ);
  localparam integer FbDiv = (InDiv == 0) ? 0 : ((OUT_HZ / 1000) * InDiv) / 25000;
  localparam integer OpDiv = (600000000 + OUT_HZ / 2) / OUT_HZ;
  generate
    if (InDiv == 0 || FbDiv < 1 || FbDiv > 16 || OpDiv * (OUT_HZ / 100000) < 4000 ||
        OpDiv * (OUT_HZ / 100000) > 8000) begin : g_err_out_hz
      fp8sa_param_error_OUT_HZ_has_no_ecppll_setting u_param_error ();
    end
  endgenerate

  (* FREQUENCY_PIN_CLKI="25" *)
  (* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *) (* MFG_GMCREF_SEL="2" *)
  EHXPLLL #(
    .PLLRST_ENA("DISABLED"),
    .INTFB_WAKE("DISABLED"),
    .STDBY_ENABLE("DISABLED"),
    .DPHASE_SOURCE("DISABLED"),
    .OUTDIVIDER_MUXA("DIVA"),
    .OUTDIVIDER_MUXB("DIVB"),
    .OUTDIVIDER_MUXC("DIVC"),
    .OUTDIVIDER_MUXD("DIVD"),
    .CLKI_DIV(InDiv),
    .CLKOP_ENABLE("ENABLED"),
    .CLKOP_DIV(OpDiv),
    .CLKOP_CPHASE(OpDiv / 2 - 1),
    .CLKOP_FPHASE(0),
    .FEEDBK_PATH("CLKOP"),
    .CLKFB_DIV(FbDiv)
  ) u_pll (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clkin),
    .CLKOP(clkout0),
    .CLKFB(clkout0),
    .CLKINTFB(),
    .PHASESEL0(1'b0),
    .PHASESEL1(1'b0),
    .PHASEDIR(1'b1),
    .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC(1'b0),
    .ENCLKOP(1'b0),
    .LOCK(locked)
  );
endmodule
`default_nettype wire

`default_nettype none
// fp8sa_ulx3s_pll: 25 MHz in, 12.5 MHz out (the ECP5 EHXPLLL), the
// parameters computed by Project Trellis' ecppll:
//   yowasp-ecppll -n fp8sa_ulx3s_pll -i 25 -o 12.5
// (refclk divisor 2, feedback divisor 1, output divisor 48: VCO 600 MHz).
module fp8sa_ulx3s_pll (
  input  wire clkin,     // 25 MHz
  output wire clkout0,   // 12.5 MHz
  output wire locked
);
  (* FREQUENCY_PIN_CLKI="25" *)
  (* FREQUENCY_PIN_CLKOP="12.5" *)
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
    .CLKI_DIV(2),
    .CLKOP_ENABLE("ENABLED"),
    .CLKOP_DIV(48),
    .CLKOP_CPHASE(23),
    .CLKOP_FPHASE(0),
    .FEEDBK_PATH("CLKOP"),
    .CLKFB_DIV(1)
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

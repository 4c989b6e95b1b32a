`default_nettype none
// fp8sa_ulx3s_pll: 25 MHz in, OUT_HZ out (the ECP5 EHXPLLL). The 12.5 MHz
// setting is Project Trellis' ecppll's (yowasp-ecppll -i 25 -o 12.5:
// refclk divisor 2, feedback divisor 1, output divisor 48, VCO 600 MHz);
// other rates keep its 12.5 MHz phase detector and feedback from CLKOP:
// OUT_HZ = 12.5 MHz x CLKFB_DIV, CLKOP_DIV = 600 MHz / OUT_HZ rounded
// and CLKOP_CPHASE = CLKOP_DIV / 2 - 1 (as ecppll writes them), VCO within
// 400..800 MHz.
// nextpnr-ecp5 derives the output's constraint from these divisors and the
// input's FREQUENCY in the .lpf.
module fp8sa_ulx3s_pll #(
  parameter integer OUT_HZ = 12500000   // 12.5 MHz x [1, 8]
) (
  input  wire clkin,     // 25 MHz
  output wire clkout0,   // 12.5 MHz
  output wire locked
);
  localparam integer FbDiv = OUT_HZ / 12500000;
  localparam integer OpDiv = (600000000 + OUT_HZ / 2) / OUT_HZ;
  generate
    if (OUT_HZ % 12500000 != 0 || FbDiv < 1 || FbDiv > 8 || OpDiv * (OUT_HZ / 100000) < 4000 ||
        OpDiv * (OUT_HZ / 100000) > 8000) begin : g_err_out_hz
      fp8sa_param_error_OUT_HZ_not_12_5_MHz_times_1_to_8 u_param_error ();
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
    .CLKI_DIV(2),
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

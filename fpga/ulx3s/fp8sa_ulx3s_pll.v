`default_nettype none
// fp8sa_ulx3s_pll: 25 MHz in, OUT_HZ out (the ECP5 EHXPLLL), with the
// divisors Project Trellis' ecppll picks, feedback from CLKOP:
//   12.5 MHz x [1, 8] (yowasp-ecppll -i 25 -o 12.5: refclk divisor 2,
//     phase detector 12.5 MHz, feedback divisor OUT_HZ / 12.5 MHz);
//   otherwise 5 MHz x [1, 16] (yowasp-ecppll -i 25 -o 10: refclk divisor
//     5, phase detector 5 MHz, feedback divisor OUT_HZ / 5 MHz; for the
//     arrays whose PE closes below 12.5 MHz, fpga/boards.txt);
// CLKOP_DIV = 600 MHz / OUT_HZ rounded and CLKOP_CPHASE = CLKOP_DIV / 2 - 1
// (as ecppll writes them), VCO within 400..800 MHz.
// nextpnr-ecp5 derives the output's constraint from these divisors and the
// input's FREQUENCY in the .lpf.
module fp8sa_ulx3s_pll #(
  parameter integer OUT_HZ = 12500000   // 12.5 MHz x [1, 8] or 5 MHz x [1, 16]
) (
  input  wire clkin,     // 25 MHz
  output wire clkout0,   // OUT_HZ
  output wire locked
);
  localparam integer PfdHz = (OUT_HZ % 12500000 == 0) ? 12500000 : 5000000;
  localparam integer InDiv = 25000000 / PfdHz;
  localparam integer FbDiv = OUT_HZ / PfdHz;
  localparam integer OpDiv = (600000000 + OUT_HZ / 2) / OUT_HZ;
  generate
    if (OUT_HZ % PfdHz != 0 || FbDiv < 1 || FbDiv > 16 || (PfdHz == 12500000 && FbDiv > 8) ||
        OpDiv * (OUT_HZ / 100000) < 4000 || OpDiv * (OUT_HZ / 100000) > 8000) begin : g_err_out_hz
      fp8sa_param_error_OUT_HZ_not_12_5_MHz_x_1_to_8_or_5_MHz_x_1_to_16 u_param_error ();
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

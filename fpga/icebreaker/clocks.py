# nextpnr-ice40 --pre-pack: the two clock domains of fp8sa_icebreaker_top
# (the 12 MHz pin and the divided system clock), so each is checked
# against its own frequency. FP8SA_SYS_MHZ is substituted by fpga/build.sh.
ctx.addClock("CLK", 12)
ctx.addClock("clk_sys", FP8SA_SYS_MHZ)

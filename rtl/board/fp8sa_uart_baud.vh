// fp8sa_uart_baud.vh: the bit time both UART halves (fp8sa_uart_rx,
// fp8sa_uart_tx) count, in one place: the legal range of CLKS_PER_BIT
// (checked at elaboration) and the width and reload value of the bit-time
// counter. Included inside the module body, after the ports.
generate
  if (CLKS_PER_BIT < 4 || CLKS_PER_BIT > 65535) begin : g_err_cpb
    fp8sa_param_error_CLKS_PER_BIT_out_of_range_4_to_65535 u_param_error ();
  end
endgenerate

localparam integer CntW = $clog2(CLKS_PER_BIT + 1);   // bit-time counter
localparam integer BitM1I = CLKS_PER_BIT - 1;
localparam [CntW-1:0] BitM1 = BitM1I[CntW-1:0];        // a whole bit: reload value

// fp8sa_board_params.vh: the parameter list of a board (fp8sa_board_core)
// and of its host link (fp8sa_host_link), which are the same set: the
// array's build, the host protocol's limits and the UART's bit time.
// Included inside a module's parameter port list #( ... ), as all of it.
  parameter integer ROWS           = 2,        // [1, 64]
  parameter integer COLS           = 2,        // [1, 64]
  parameter integer ACC_EXP_W      = 8,        // the array's (fp8sa_array)
  parameter integer ACC_MAN_W      = 23,
  parameter integer SR_BITS        = 16,
  parameter integer Q_SR_BITS      = 16,
  parameter integer LFSR_W         = 32,
  parameter [31:0]  SEED           = 32'h1,
  parameter integer MUL_STAGES     = 0,
  parameter integer Q_STAGES       = 0,
  parameter integer K_MAX          = 1024,     // [1, 65535], ROWS*K_MAX and COLS*K_MAX <= 65535
  parameter integer CLKS_PER_BIT   = 26,       // [4, 65535]: UART clock cycles per bit (INFO reports it)
  parameter integer TIMEOUT_CYCLES = 1200000,  // [16, 2^30]: cycles without a byte that end a frame
  parameter integer RND_MODES      = 3,        // [1, 3]: the PEs' rounding hardware: rnd codes accepted < RND_MODES
  parameter integer OUT_QUANT      = 1,        // [0, 1]: 0 = the array has no quantizer bank: raw output only
  // The PE family (fp8sa_array, docs/array.md "PE kinds"), reported by INFO.
  parameter integer PROMOTE_N      = 0,        // 0 only: INFO has no field for it
  parameter integer PE_KIND        = 0,        // [0, 2]: PeKindFma, PeKindDot, PeKindExact (the init word's width)
  parameter integer DOT_N          = 1,        // 1, 2, 4, .., 64: products per step (the step's lanes)
  parameter integer ALIGN_BITS     = 13,       // [1, 48]: dot's window (INFO only on the link)
  parameter integer SR_KIND        = 0         // [0, 2]: SR construction (INFO only on the link)

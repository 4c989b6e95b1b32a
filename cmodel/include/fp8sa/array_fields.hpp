// The array's parameters, listed once (docs/array.md "Parameters").
//
// FP8SA_ARRAY_FIELDS(X) calls X once per ArrayConfig member, in order:
//
//   X(member, type, kind, role, init, "default", "name", "COLUMN", lo, hi, "example", "doc")
//
//   member     the ArrayConfig member (declared from this list, array.hpp)
//   type       its C++ type
//   kind       Int (decimal), Hex (uint32, written 0x...), Format (an eXmY
//              accumulator format: table columns COLUMN_EXP_W and
//              COLUMN_MAN_W), or Enum (type is PeKind or SrKind, named by
//              lower-case words; the codes are rtl/fp8sa_pkg.vh's
//              `localparam integer <type><Word> = <code>`)
//   role       Key: a Verilated configuration runs a request only when the
//              field is equal (fp8sa gemm --rows, --promote, --pe, ..);
//              Built: part of how a configuration is built (seed, SR
//              widths, pipeline): a request that does not give it takes the
//              matching configuration's, one that gives it runs the model
//              back-ends with its value and needs an RTL built with it
//   init       the C++ default
//   "default"  the same default as text ("4", "e8m23", "fma", "0x1"):
//              what a configuration table row that leaves the column out
//              takes (tests/unit/test_array_fields.cpp checks it is init)
//   "name"     the CLI option (--name) and, with '-' as '_', the Python
//              keyword; describe_array() uses it too
//   "COLUMN"   the RTL parameter and the configuration tables' column
//              (sim/array_configs.txt, fpga/boards.txt)
//   lo, hi     the legal range validate() checks for Int and Hex (Enum:
//              the codes; Format: unused, AccFormat::validate decides)
//   "example"  a legal value other than the default, for help texts and the
//              test that every field reaches every place
//   "doc"      one line for help texts
//
// From this list come: the ArrayConfig members, validate()'s range checks,
// operator==, describe_array(), the text form of each field (array_field_text /
// array_field_parse, the one reader of configuration-table values and CLI
// and Python values), the options of `fp8sa gemm` (tools/commands.cpp,
// tools/cmd_gemm.cpp), the keywords of fp8sa.gemm (python/src/core.cpp),
// the Verilated-configuration matcher (sim/backends.cpp) and the table
// parser (cmake/Fp8saConfigTable.cmake reads this file: keep one X(...)
// per line, no commas inside `init`).
//
// A new field: one line here, its cross-field rules (if any) in
// ArrayConfig::validate (cmodel/src/array/array.cpp), the RTL parameter of the
// same COLUMN name, and what the model does with it.
#pragma once

// clang-format off
#define FP8SA_ARRAY_FIELDS(X) \
  X(rows,       int,       Int,    Key,   4,           "4",     "rows",       "ROWS",       1, kArrayMaxDim,        "2",      "array rows, [1, 256]") \
  X(cols,       int,       Int,    Key,   4,           "4",     "cols",       "COLS",       1, kArrayMaxDim,        "3",      "array columns, [1, 256]") \
  X(acc,        AccFormat, Format, Key,   kFp32,       "e8m23", "acc",        "ACC",        0, 0,                   "e6m9",   "accumulator format eXmY (exponent 4-8 bits, mantissa 2-23)") \
  X(sr_bits,    int,       Int,    Built, 16,          "16",    "sr-bits",    "SR_BITS",    2, 24,                  "8",      "random bits per SR draw of the PEs, [2, 24]") \
  X(q_sr_bits,  int,       Int,    Built, 16,          "16",    "q-sr-bits",  "Q_SR_BITS",  2, 24,                  "6",      "random bits per SR draw of the quantizers, [2, 24]") \
  X(lfsr_w,     int,       Int,    Built, 32,          "32",    "lfsr-w",     "LFSR_W",     4, 32,                  "24",     "LFSR width, [max(4, sr-bits, q-sr-bits), 32]") \
  X(seed,       uint32_t,  Hex,    Built, 1u,          "0x1",   "seed",       "SEED",       1, 0xFFFFFFFFLL,        "0xBEEF", "array LFSR seed, [1, 0xFFFFFFFF] (docs/array.md \"Seeds\")") \
  X(mul_stages, int,       Int,    Built, 0,           "0",     "mul-stages", "MUL_STAGES", 0, 2,                   "1",      "PE product pipeline registers, [0, 2] (cycles, never bits)") \
  X(q_stages,   int,       Int,    Built, 0,           "0",     "q-stages",   "Q_STAGES",   0, 1,                   "1",      "register after the quantizers, [0, 1] (cycles, never bits)") \
  X(promote_n,  int,       Int,    Key,   0,           "0",     "promote",    "PROMOTE_N",  0, 65535,               "8",      "add the accumulator into an FP32 one every N MACs: 0 (off) or [2, 65535], a multiple of dot-n") \
  X(pe_kind,    PeKind,    Enum,   Key,   PeKind::Fma, "fma",   "pe",         "PE_KIND",    0, kPeKindCount - 1,    "exact",  "PE kind (docs/numerics.md section 10): fma (one rounding per product), dot (fused, aligned), exact") \
  X(dot_n,      int,       Int,    Key,   1,           "1",     "dot-n",      "DOT_N",      1, kMaxDotN,            "4",      "products per PE step: 1, 2, 4, .., 64 (pe dot or exact)") \
  X(align_bits, int,       Int,    Key,   13,          "13",    "align-bits", "ALIGN_BITS", 1, kMaxAlignBits,       "20",     "pe dot: fraction bits kept below the alignment exponent, [1, 48]") \
  X(sr_kind,    SrKind,    Enum,   Key,   SrKind::Mid, "mid",   "sr-kind",    "SR_KIND",    0, kSrKindCount - 1,    "trunc",  "SR construction (PEs and quantizers): mid, trunc or src")
// clang-format on

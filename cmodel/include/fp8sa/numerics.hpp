// fp8sa bit-exact numerics model: FP8 decode/multiply, accumulator adder,
// quantizer. Implements docs/numerics.md; independent of the RTL.
//
// All values travel as raw bit patterns (uint32_t for accumulator words,
// uint8_t for FP8, uint16_t for quantizer outputs). Nothing here allocates
// or uses MPFR: the model must be fast. Accumulator-word inputs use their low
// width() bits only (as the RTL ports, which are width() bits wide).
// Invalid enum values (Round code 3, OutFormat 4..7) throw std::invalid_argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fp8sa {

class Lfsr;
struct AccFormat;

// ---------------------------------------------------------------------------
// The format table: one descriptor per number format the array reads or
// writes (FP8 operands, quantizer outputs), in the order of their codes.
// Decoding, the quantizer's parameters, names and the parsers are derived
// from it. To add a format, add a row here and see docs/formats.md for the
// (few) other places a format touches.
// ---------------------------------------------------------------------------

struct FormatInfo {
  const char* name;        // lower case, as the CLI and the Python API spell it
  int exp_bits;
  int man_bits;
  int bias;
  bool has_inf;            // true: IEEE rule (exponent all ones: Inf if mantissa 0, else NaN);
                           // false: OCP E4M3 rule (no Inf; only S.1..1.1..1 is NaN)
  uint16_t canonical_nan;  // the NaN the quantizer produces (sign 0)

  constexpr int width() const { return 1 + exp_bits + man_bits; }
  constexpr uint32_t man_mask() const { return (1u << man_bits) - 1u; }
  // Largest biased exponent of a finite value, and the largest finite magnitude.
  constexpr int max_biased_exp() const { return has_inf ? (1 << exp_bits) - 2 : (1 << exp_bits) - 1; }
  constexpr uint32_t max_finite_bits() const {
    return (static_cast<uint32_t>(max_biased_exp()) << man_bits) | (has_inf ? man_mask() : man_mask() - 1u);
  }
  constexpr uint32_t inf_bits() const { return has_inf ? ((1u << exp_bits) - 1u) << man_bits : 0u; }
  constexpr int emin() const { return 1 - bias; }                   // exponent of the smallest normal
  constexpr int emax() const { return max_biased_exp() - bias; }    // exponent of the largest finite
  double max_finite() const;
};

inline constexpr FormatInfo kFormatTable[] = {
    // name   exp man bias  has_inf  canonical NaN
    {"e4m3", 4, 3, 7, false, 0x7F},     // OCP E4M3 ("fn": no Inf, S.1111.111 NaN), max 448
    {"e5m2", 5, 2, 15, true, 0x7E},     // OCP E5M2, max 57344
    {"fp16", 5, 10, 15, true, 0x7E00},  // IEEE binary16
    {"bf16", 8, 7, 127, true, 0x7FC0},  // bfloat16
};

// Operand formats: codes 0 and 1 of the table (cmd_fmt_a_i / cmd_fmt_b_i).
enum class Fp8Format : uint8_t { E4M3 = 0, E5M2 = 1 };
// Quantizer output formats: codes 0..3 of the table.
enum class OutFormat : uint8_t { E4M3 = 0, E5M2 = 1, FP16 = 2, BF16 = 3 };
// What a GEMM's outputs are (cmd_out_fmt_i): a quantized format, or the raw
// accumulator word (named "fp32", the CLI's name: binary32 for e8m23).
enum class OutKind : uint8_t { E4M3 = 0, E5M2 = 1, FP16 = 2, BF16 = 3, Raw = 4 };
enum class Round : uint8_t { RNE = 0, RZ = 1, SR = 2 };
// The SR construction (docs/numerics.md section 5, "SR kinds"): how the
// discarded fraction becomes the threshold k that the random word is
// compared with. One per array (SR_KIND), for the PEs and the quantizers.
enum class SrKind : uint8_t { Mid = 0, Trunc = 1, Src = 2 };
constexpr unsigned kSrKindCount = 3;

constexpr const FormatInfo& format_info(Fp8Format f) { return kFormatTable[static_cast<int>(f)]; }
// Throws std::invalid_argument for a code outside the table.
const FormatInfo& format_info(OutFormat f);
constexpr bool is_quantized(OutKind k) { return k != OutKind::Raw; }
// The quantizer format of a quantized output kind (throws for Raw).
OutFormat out_format(OutKind k);
// Bytes of one output element as fp8sa writes it: 1 (FP8 codes), 2 (FP16,
// BF16 bits), 4 (the raw word as float32).
int out_kind_bytes(OutKind k);
// The value of an output word (out_data_o, or what fp8sa gemm --out holds):
// a table format's word decoded exactly, or the raw accumulator word in acc.
// For reports and plots; the tests' references decode independently.
double output_word_value(uint32_t word, OutKind k, const AccFormat& acc);
const char* out_kind_name(OutKind k);  // "e4m3", ..., "fp32" for Raw
const char* format_name(Fp8Format f);  // "e4m3", "e5m2"
const char* round_name(Round r);       // "rne", "rz", "sr"
const char* sr_kind_name(SrKind k);    // "mid", "trunc", "src"

// True for the NaN and Inf codes of an FP8 operand format (derived from the
// format table: the all-ones exponent field for IEEE-like formats, the one
// NaN code S.1..1.1..1 for E4M3).
constexpr bool fp8_is_special(uint8_t code, Fp8Format f) {
  const FormatInfo& fi = kFormatTable[static_cast<int>(f)];
  const uint32_t mag = code & 0x7Fu;
  const uint32_t field = ((1u << fi.exp_bits) - 1u) << fi.man_bits;
  return fi.has_inf ? (mag & field) == field : mag == (field | fi.man_mask());
}
static_assert(fp8_is_special(0x7F, Fp8Format::E4M3) && !fp8_is_special(0x7E, Fp8Format::E4M3) &&
                  fp8_is_special(0xFC, Fp8Format::E5M2) && !fp8_is_special(0x7B, Fp8Format::E5M2),
              "fp8_is_special");

// Flag bits (numerics.md section 4).
enum : uint8_t {
  kFlagInexact = 0x1,
  kFlagUnderflow = 0x2,
  kFlagOverflow = 0x4,
  kFlagInvalid = 0x8,
};

// Accumulator format eXmY. Legal: exp_bits in [4, 8], man_bits in [2, 23].
struct AccFormat {
  int exp_bits = 8;
  int man_bits = 23;

  int width() const { return 1 + exp_bits + man_bits; }
  int bias() const { return (1 << (exp_bits - 1)) - 1; }
  uint32_t mask() const { return width() == 32 ? 0xFFFFFFFFu : ((1u << width()) - 1u); }
  uint32_t canonical_nan() const;  // sign 0, exp all ones, mantissa MSB 1
  // Throws std::invalid_argument naming the bad field when out of range.
  void validate() const;
  // Parses "e8m23" (case-insensitive); throws std::invalid_argument.
  static AccFormat parse(const std::string& s);
  std::string name() const;  // "e8m23"
  // Exact conversion of a packed value (low width() bits) to binary32 bits;
  // exact because exp_bits <= 8 and man_bits <= 23.
  uint32_t to_f32_bits(uint32_t bits) const;
  bool operator==(const AccFormat& o) const { return exp_bits == o.exp_bits && man_bits == o.man_bits; }
};

constexpr AccFormat kFp32{8, 23};

struct OpResult {
  uint32_t bits;  // packed result (accumulator word, or quantizer output)
  uint8_t flags;  // kFlag* bits
};

// Validates an SR random-bit count: [2, 24]. Throws std::invalid_argument.
void validate_sr_bits(int sr_bits);
// Throws std::invalid_argument for rnd code 3 or above.
Round round_from_code(unsigned code);

// Exact value of an FP8 code as a double (NaN for NaN codes, +-Inf for E5M2 Inf).
double fp8_to_double(uint8_t code, Fp8Format fmt);
// Exact value of an FP8 code as binary32 bits (every FP8 value is exact in
// binary32). NaN codes give a quiet NaN with the code's sign (0x7FC00000 / 0xFFC00000).
uint32_t fp8_to_f32_bits(uint8_t code, Fp8Format fmt);

// The accumulator adder (numerics.md sections 4 and 5) for one format.
// `rand` is the SR random word u (low sr_bits bits used); ignored for RNE/RZ.
class AccAdder {
 public:
  explicit AccAdder(AccFormat fmt = kFp32, int sr_bits = 16, SrKind sr_kind = SrKind::Mid);  // validates
  const AccFormat& format() const { return fmt_; }
  int sr_bits() const { return sr_bits_; }
  SrKind sr_kind() const { return sr_kind_; }

  // acc' = round(acc + a*b), one rounding, exact product.
  OpResult mac(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb,
               Round rnd, uint32_t rand = 0) const;
  // Plain two-operand adder: round(x + y), both in the accumulator format.
  OpResult add(uint32_t x, uint32_t y, Round rnd, uint32_t rand = 0) const;
  // n MACs in sequence: acc = mac(acc, a[i*stride_a], b[i*stride_b]) for
  // i = 0..n-1, flags ORed; bit-identical to the loop of mac() calls. If
  // `lfsr` is given it advances one draw per MAC whatever the mode (as in a
  // PE) and SR uses each draw; SR without an lfsr throws.
  OpResult dot(uint32_t acc, const uint8_t* a, Fp8Format fa, const uint8_t* b, Fp8Format fb, size_t n,
               Round rnd, Lfsr* lfsr = nullptr, ptrdiff_t stride_a = 1, ptrdiff_t stride_b = 1) const;

 private:
  AccFormat fmt_;
  int sr_bits_;
  SrKind sr_kind_;
};

// The quantizer (numerics.md section 6): accumulator value -> output format.
class Quantizer {
 public:
  explicit Quantizer(AccFormat in_fmt = kFp32, int sr_bits = 16, SrKind sr_kind = SrKind::Mid);  // validates
  const AccFormat& format() const { return fmt_; }
  int sr_bits() const { return sr_bits_; }
  SrKind sr_kind() const { return sr_kind_; }

  // scale in [-64, 63] (throws otherwise). Result in the low 8 (FP8) or 16 bits.
  OpResult quantize(uint32_t acc, OutFormat out, Round rnd, bool sat,
                    int scale = 0, uint32_t rand = 0) const;

 private:
  AccFormat fmt_;
  int sr_bits_;
  SrKind sr_kind_;
};

// Parsers (case-insensitive, names from the table); throw
// std::invalid_argument listing the accepted names.
OutFormat parse_out_format(const std::string& s);  // "e4m3" | "e5m2" | "fp16" | "bf16"
OutKind parse_out_kind(const std::string& s);      // those, or "fp32" (the raw word)
Fp8Format parse_fp8_format(const std::string& s);  // "e4m3" | "e5m2"
Round parse_round(const std::string& s);            // "rne" | "rtz" | "rz" | "sr"
SrKind parse_sr_kind(const std::string& s);         // "mid" | "trunc" | "src"
// Throws std::invalid_argument for an SR kind code above 2.
SrKind sr_kind_from_code(unsigned code);

}  // namespace fp8sa

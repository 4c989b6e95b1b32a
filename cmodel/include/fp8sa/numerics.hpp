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

enum class Fp8Format : uint8_t { E4M3 = 0, E5M2 = 1 };
enum class Round : uint8_t { RNE = 0, RZ = 1, SR = 2 };
enum class OutFormat : uint8_t { E4M3 = 0, E5M2 = 1, FP16 = 2, BF16 = 3 };

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
  explicit AccAdder(AccFormat fmt = kFp32, int sr_bits = 16);  // validates
  const AccFormat& format() const { return fmt_; }
  int sr_bits() const { return sr_bits_; }

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
};

// The quantizer (numerics.md section 6): accumulator value -> output format.
class Quantizer {
 public:
  explicit Quantizer(AccFormat in_fmt = kFp32, int sr_bits = 16);  // validates
  const AccFormat& format() const { return fmt_; }
  int sr_bits() const { return sr_bits_; }

  // scale in [-64, 63] (throws otherwise). Result in the low 8 (FP8) or 16 bits.
  OpResult quantize(uint32_t acc, OutFormat out, Round rnd, bool sat,
                    int scale = 0, uint32_t rand = 0) const;

 private:
  AccFormat fmt_;
  int sr_bits_;
};

// Output-format descriptors (one table, numerics.md section 6).
struct OutFormatInfo {
  int exp_bits;
  int man_bits;
  bool has_inf;
  uint16_t canonical_nan;
  const char* name;
};
const OutFormatInfo& out_format_info(OutFormat f);
// Parses "e4m3", "e5m2", "fp16", "bf16"; throws std::invalid_argument.
OutFormat parse_out_format(const std::string& s);
Fp8Format parse_fp8_format(const std::string& s);  // "e4m3" | "e5m2"
Round parse_round(const std::string& s);            // "rne" | "rtz" | "rz" | "sr"

}  // namespace fp8sa

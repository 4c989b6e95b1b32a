// fp8sa::ref -- independent references for docs/numerics.md.
//
// Everything here is written from the spec text and the format definitions,
// NOT from the model: it does not link fp8sa_model and includes from the
// model only the plain enum types of fp8sa/numerics.hpp (Fp8Format, Round,
// OutFormat, SrKind). The references are
//
//   * exact decoding of FP8 and of any binary format (to double, exactly),
//   * MPFR-based rounding of an exact real into an accumulator or output
//     format (RNE/RZ through mpfr_set_emin/mpfr_subnormalize, SR by the exact
//     integer construction of numerics.md section 5), with flags,
//   * ref_mac / ref_add / ref_quantize built on that (exact sum, one rounding),
//     with the SR kinds mid / trunc / src of section 5,
//   * the PE kinds of section 10 (pe_ref.cpp): the `dot` step and tile
//     (exact integer sums in the alignment window), the `exact` tile (MPFR
//     exact sum, one rounding) and the `fma` tile, promotion included,
//   * a fast exact table-based FP8 quantizer for exhaustive sweeps,
//   * a bit-serial LFSR and a GF(2) primitivity checker,
//   * a TestFloat `.tv` reader and the vectors-folder locator.
//
// Used by the model unit tests (tests/unit) and the RTL co-simulation tests
// (tests/cosim). Thread safety: the MPFR functions change MPFR's exponent
// range for the duration of one call and restore it; they are thread-safe
// only when MPFR was built with thread-local storage (mpfr_buildopt_tls_p();
// Debian's is). The fast quantizer, the decoders, the LFSR reference and the
// reader are pure and thread-safe.
//
// Flag bits are those of numerics.md section 4 (same as the model):
// 0x1 inexact, 0x2 underflow, 0x4 overflow, 0x8 invalid.
#pragma once

#include <cstdint>  // before mpfr.h
#include <mpfr.h>

#include <cstddef>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "fp8sa/numerics.hpp"  // enum types only (Fp8Format, Round, OutFormat, SrKind)

namespace fp8sa::ref {

using fp8sa::Fp8Format;
using fp8sa::OutFormat;
using fp8sa::Round;
// The SR kinds of numerics.md section 5 ("SR kinds"), codes as SR_KIND:
// Mid = 0, Trunc = 1, Src = 2 (how the discarded fraction g = f * 2^R
// becomes the threshold k). The plain enum of fp8sa/numerics.hpp.
using fp8sa::SrKind;

inline constexpr uint8_t kInexact = 0x1;
inline constexpr uint8_t kUnderflow = 0x2;
inline constexpr uint8_t kOverflow = 0x4;
inline constexpr uint8_t kInvalid = 0x8;

struct RefResult {
  uint32_t bits;  // packed result in the low bits of the word
  uint8_t flags;  // k* flag bits above
  bool operator==(const RefResult& o) const { return bits == o.bits && flags == o.flags; }
  bool operator!=(const RefResult& o) const { return !(*this == o); }
};

// "inexact|underflow" style text, "-" for no flags.
std::string flags_str(uint8_t flags);
// "0x%0*X" with `digits` hex digits.
std::string hex(uint32_t v, int digits = 8);

// ---------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------

// A binary floating-point format with `exp_bits` exponent bits and
// `man_bits` stored mantissa bits, bias 2^(exp_bits-1)-1, full subnormals.
// has_inf = true: IEEE-like (all-ones exponent is Inf / NaN).
// has_inf = false: OCP E4M3 style (all-ones exponent is a normal binade,
// except all-ones mantissa, which is the only NaN).
struct FloatFormat {
  int exp_bits = 8;
  int man_bits = 23;
  bool has_inf = true;

  int width() const { return 1 + exp_bits + man_bits; }
  int bias() const { return (1 << (exp_bits - 1)) - 1; }
  int emin() const { return 1 - bias(); }                  // min normal = 2^emin
  int emax() const { return has_inf ? bias() : bias() + 1; }  // max finite in [2^emax, 2^(emax+1))
  uint32_t sign_bit() const { return 1u << (exp_bits + man_bits); }
  uint32_t mask() const { return width() >= 32 ? 0xFFFFFFFFu : ((1u << width()) - 1u); }
  uint32_t exp_ones() const { return ((1u << exp_bits) - 1u) << man_bits; }
  uint32_t canonical_nan() const;   // sign 0; IEEE-like: exp ones, man MSB; E4M3: all ones
  uint32_t inf_bits() const;        // +Inf (throws std::logic_error if !has_inf)
  uint32_t max_bits() const;        // +max finite
  double max_finite() const;        // exact
  double min_normal() const;        // 2^emin
  double min_subnormal() const;     // 2^(emin - man_bits)
  std::string name() const;         // "e8m23", or "e4m3fn" for has_inf = false
};

// Accumulator format eXmY, validated: exp_bits in [4, 8], man_bits in [2, 23]
// (throws std::invalid_argument otherwise).
FloatFormat acc_format(int exp_bits, int man_bits);
// Same from the model's AccFormat (reads only its two public fields).
inline FloatFormat acc_format(const fp8sa::AccFormat& f) { return acc_format(f.exp_bits, f.man_bits); }
inline const FloatFormat kBinary32{8, 23, true};
// The output formats of numerics.md section 6 (throws std::invalid_argument for codes >= 4).
FloatFormat out_format(OutFormat f);
// The FP8 operand formats of numerics.md section 1.
FloatFormat fp8_format(Fp8Format f);

// Validation helpers, spec ranges (throw std::invalid_argument).
void check_round(Round rnd);      // RNE, RZ, SR only
void check_sr_bits(int sr_bits);  // [2, 24]
void check_scale(int scale);      // [-64, 63]
void check_sr_kind(SrKind kind);  // mid, trunc, src
const char* sr_kind_str(SrKind kind);  // "mid", "trunc", "src"

// ---------------------------------------------------------------------------
// Decoding (exact)
// ---------------------------------------------------------------------------

// Exact value of an FP8 code, written from numerics.md section 1:
// NaN for NaN codes, +-Inf for E5M2 infinities, signed zeros.
double fp8_decode(uint8_t code, Fp8Format fmt);
bool fp8_is_nan(uint8_t code, Fp8Format fmt);
bool fp8_is_inf(uint8_t code, Fp8Format fmt);

// Exact value of a packed word of format f (bits above width() ignored).
double decode(uint32_t bits, const FloatFormat& f);
bool is_nan(uint32_t bits, const FloatFormat& f);
bool is_snan(uint32_t bits, const FloatFormat& f);  // NaN with mantissa MSB 0 (IEEE-like only)
bool is_inf(uint32_t bits, const FloatFormat& f);
bool is_zero(uint32_t bits, const FloatFormat& f);
// Packs a value that is exactly representable in f (zeros keep their sign,
// +-Inf for IEEE-like formats, NaN -> canonical NaN). Throws std::logic_error
// when v is not representable (out of range or too many significant bits).
uint32_t encode_exact(double v, const FloatFormat& f);
// Bits of a float / float from bits.
uint32_t f32_bits(float f);
float f32_from_bits(uint32_t bits);

// ---------------------------------------------------------------------------
// Exact values and rounding (MPFR)
// ---------------------------------------------------------------------------

// An MPFR number wide enough to hold every exact sum this project forms
// (binary32-range accumulator + FP8 product: < 300 significant bits).
class Exact {
 public:
  static constexpr mpfr_prec_t kPrec = 384;
  Exact();
  explicit Exact(double v);  // exact
  Exact(const Exact& o);
  Exact& operator=(const Exact& o);
  ~Exact();
  mpfr_ptr get() { return v_; }
  mpfr_srcptr get() const { return v_; }
  std::string str() const;  // exact hex-float text ("0x1.8p+3")

 private:
  mpfr_t v_;
};

// Sets r = x + y; throws std::logic_error if the sum was not exact.
void exact_add(Exact& r, const Exact& x, const Exact& y);

// What the rounding does on overflow (|y| > max finite).
enum class OnOverflow {
  kAccumulator,  // section 4: +-Inf for RNE and SR, +-max for RZ
  kSaturate,     // section 6 with sat: +-max
  kInfinity,     // section 6 without sat: +-Inf, or canonical NaN + invalid if !has_inf
};

// The SR decomposition of numerics.md section 5 for a finite non-zero x,
// with g = f * 2^R and the threshold k of the SR kind `kind`, each from the
// defining text of its row of the table (k is computed from g, not from the
// bits D below; the tests check the two against each other).
struct SrSplit {
  double y_dn;       // |x| truncated to the destination grid (>= 0, unbounded exponent above)
  double ulp;        // grid spacing at y_dn
  uint64_t t;        // mid: floor(g / 2) = floor(f * 2^(R-1))
  int s;             // mid: sticky, g / 2 != t
  uint64_t g_floor;  // floor(g): trunc's k
  int g_half;        // the sign of (g - floor(g)) - 1/2: -1, 0 (a tie), +1
  uint64_t k;        // the kind's k (mid 2t + s, trunc floor(g), src RNE(g)): round up iff u < k
  uint64_t d;        // D = floor(f * 2^(R+1)): the R + 1 discarded bits below the kept LSB
  int st;            // f * 2^(R+1) != D: any discarded bit below them
  Exact f;           // the exact discarded fraction (|x| - y_dn) / ulp in [0, 1)
};
SrSplit sr_split(mpfr_srcptr x, const FloatFormat& f, int sr_bits, SrKind kind = SrKind::Mid);

// Rounds the exact value x (any MPFR value: NaN -> canonical NaN, no flags;
// +-Inf -> +-Inf (or per `ovf` for formats without Inf: canonical NaN +
// invalid, or +-max + inexact with kSaturate); zeros keep their sign) into
// format f with mode rnd (u: SR word, only its low sr_bits bits are used;
// sr_bits validated for SR only). Flags per numerics.md section 4: tininess
// after rounding for RNE/RZ, before rounding for SR.
// RNE/RZ use mpfr_set + mpfr_check_range + mpfr_subnormalize with the
// format's exponent range; SR uses sr_split with the SR kind `kind` (inexact
// iff f != 0, whatever k: trunc and src may keep y_dn for every u).
RefResult round_to_format(mpfr_srcptr x, const FloatFormat& f, Round rnd, uint32_t u, int sr_bits,
                          OnOverflow ovf, SrKind kind = SrKind::Mid);
// Section 4 accumulator rounding (OnOverflow::kAccumulator).
RefResult round_to_acc(mpfr_srcptr x, const FloatFormat& f, Round rnd, uint32_t u, int sr_bits,
                       SrKind kind = SrKind::Mid);
RefResult round_to_acc(double x_exact, const FloatFormat& f, Round rnd, uint32_t u, int sr_bits,
                       SrKind kind = SrKind::Mid);

// acc' = round(acc + a*b) (numerics.md sections 2 and 4), acc in format f.
// Invalid: product 0 * Inf (unless acc is a quiet NaN), sNaN acc, Inf - Inf.
// Operands and sr_bits are validated ([2, 24]) whatever the mode, like a
// hardware parameter; u is ignored for RNE/RZ, kind too.
RefResult ref_mac(uint32_t acc, uint8_t a, Fp8Format fa, uint8_t b, Fp8Format fb,
                  const FloatFormat& f, Round rnd, uint32_t u = 0, int sr_bits = 16,
                  SrKind kind = SrKind::Mid);
// round(x + y), both operands in format f.
RefResult ref_add(uint32_t x, uint32_t y, const FloatFormat& f, Round rnd, uint32_t u = 0,
                  int sr_bits = 16, SrKind kind = SrKind::Mid);
// The quantizer (numerics.md section 6): acc (format in_fmt) * 2^scale into
// out. Result in the low 8 (FP8) or 16 bits.
RefResult ref_quantize(uint32_t acc, const FloatFormat& in_fmt, OutFormat out, Round rnd, bool sat,
                       int scale = 0, uint32_t u = 0, int sr_bits = 16, SrKind kind = SrKind::Mid);

// ---------------------------------------------------------------------------
// PE kinds (numerics.md section 10; pe_ref.cpp)
// ---------------------------------------------------------------------------

// The parameters of a PE as section 10 names them. The kind is the function
// called (ref_fma_tile, ref_dot_tile, ref_exact_tile); each checks the
// fields it reads (std::invalid_argument): dot_n a power of two in [1, 64]
// (fma: 1), align_bits in [1, 48], sr_bits in [2, 24], promote_n 0 or in
// [2, 65535] and a multiple of dot_n (exact: 0), a tile's K in [1, 65535].
struct PeRefConfig {
  FloatFormat acc = kBinary32;  // the accumulator format (fma, dot) or the result format (exact)
  int dot_n = 1;                // DOT_N
  int align_bits = 13;          // ALIGN_BITS (dot)
  int sr_bits = 16;             // R of every SR rounding
  SrKind sr_kind = SrKind::Mid;
  int promote_n = 0;            // PROMOTE_N (fma, dot)
};

// e(x) of section 10.1 for a finite non-zero value v of format f:
// floor(log2 |v|), or f.emin() for a subnormal.
int exponent_of(double v, const FloatFormat& f);

// One `dot` step (section 10.2): the accumulator value c (the word c_bits
// of format c_fmt: the eXmY accumulator, or the binary32 init word in a
// tile's first step) and the n products a[i] * b[i] (n codes each), aligned
// to E, truncated to multiples of 2^(E - align_bits), summed exactly (64-bit
// integers in units of 2^(E - align_bits)) and rounded once into `acc` with
// rnd (u: this step's random word, SR kind `kind`). Flags per 10.2.
RefResult ref_dot_step(uint32_t c_bits, const FloatFormat& c_fmt, const uint8_t* a, const uint8_t* b,
                       int n, Fp8Format fa, Fp8Format fb, const FloatFormat& acc, int align_bits,
                       Round rnd, uint32_t u = 0, int sr_bits = 16, SrKind kind = SrKind::Mid);

// A tile of k products a[i * sa] * b[i * sb] on a `dot` PE: ceil(k / dot_n)
// steps, the last padded with +0 products (codes 0x00, 0x00); the first step
// starts from `init` (a binary32 word; +0 for no use_init). Without
// promotion the result is the eXmY accumulator word; with promote_n > 0 the
// narrow dot accumulator starts every group of promote_n / dot_n steps at +0
// and is added after the group (and after the tile's last step) into the
// binary32 w = init by ref_add (e8m23, RNE): the result is w. u[j] is step
// j's random word (nullptr: all 0). Flags: the OR of every rounding's.
RefResult ref_dot_tile(const PeRefConfig& cfg, uint32_t init, const uint8_t* a, ptrdiff_t sa,
                       const uint8_t* b, ptrdiff_t sb, int k, Fp8Format fa, Fp8Format fb, Round rnd,
                       const uint32_t* u);

// A tile of k products on an `fma` PE (sections 4, 8, 9): a chain of ref_mac
// from `init` (an eXmY word; with promotion a binary32 word, and the narrow
// accumulator starts every group of promote_n MACs at +0). u[i]: MAC i's
// random word (nullptr: all 0).
RefResult ref_fma_tile(const PeRefConfig& cfg, uint32_t init, const uint8_t* a, ptrdiff_t sa,
                       const uint8_t* b, ptrdiff_t sb, int k, Fp8Format fa, Fp8Format fb, Round rnd,
                       const uint32_t* u);

// A tile of k products on an `exact` PE (section 10.3): v = init (binary32)
// + the exact sum of the products (MPFR, checked exact; the padding of the
// last step to dot_n products counts as +0 products), rounded once into
// cfg.acc with rnd and the tile's one random word u; the special values,
// zero signs and invalid of 10.3.
RefResult ref_exact_tile(const PeRefConfig& cfg, uint32_t init, const uint8_t* a, ptrdiff_t sa,
                         const uint8_t* b, ptrdiff_t sb, int k, Fp8Format fa, Fp8Format fb, Round rnd,
                         uint32_t u);

// ---------------------------------------------------------------------------
// Fast exact FP8 quantizer reference (RNE and RZ), for exhaustive sweeps.
// ---------------------------------------------------------------------------

// Holds the sorted table of all non-negative finite values of an FP8 format
// (index == code) plus the next grid value above max (480 for E4M3, 65536 for
// E5M2, the "unbounded exponent" neighbour). A quantization finds the
// neighbours of |x| by binary search (within the few entries of |x|'s binade,
// found from its exponent, so that the exhaustive sweep stays fast) and
// decides by exact double comparison with their midpoint; ties go to the
// even code.
class Fp8FastQuantizer {
 public:
  explicit Fp8FastQuantizer(Fp8Format fmt);
  struct Pair {
    RefResult nosat;
    RefResult sat;
  };
  // x: the exact input value (a double, e.g. a binary32 input times 2^scale);
  // input_snan: the input was a signalling NaN (only used when x is NaN).
  Pair quantize_both(double x, Round rnd, bool input_snan = false) const;
  RefResult quantize(double x, Round rnd, bool sat, bool input_snan = false) const {
    Pair p = quantize_both(x, rnd, input_snan);
    return sat ? p.sat : p.nosat;
  }
  // Convenience: binary32 input bits (scale 0).
  Pair quantize_f32(uint32_t bits, Round rnd) const;
  const std::vector<double>& table() const { return mag_; }

 private:
  Fp8Format fmt_;
  uint8_t max_code_;   // largest finite positive code (0x7E / 0x7B)
  uint8_t inf_code_;   // 0x7C for E5M2, 0 (none) for E4M3
  uint8_t nan_code_;   // canonical NaN
  double tiny_rne_;    // |x| below this is tiny after RNE rounding
  double min_normal_;  // |x| below this is tiny after RZ rounding
  std::vector<double> mag_;  // mag_[c] for c in [0, max_code_ + 1]
  // Search brackets by binade: for |x| with binary exponent e (|x| in
  // [2^e, 2^(e+1))), the neighbours lie in mag_[lo_[e - kEOff] .. hi_[e - kEOff]].
  static constexpr int kEOff = 64;
  std::vector<uint16_t> lo_, hi_;
};

// ---------------------------------------------------------------------------
// LFSR (numerics.md section 7)
// ---------------------------------------------------------------------------

// XAPP052 taps as transcribed from numerics.md section 7 (1-based), W in [4, 32].
const std::vector<int>& lfsr_taps(int width);

// Bit-serial Fibonacci LFSR straight from the spec text: the state is a
// vector of bits s[0..W-1]; one step computes fb = XOR of s[t-1] over the
// taps, then s = {s[W-2:0], fb}; a draw of R bits is R steps, then s[R-1:0].
class LfsrRef {
 public:
  LfsrRef(int width, uint64_t seed);  // throws std::invalid_argument for bad width / zero seed
  void step();
  uint32_t draw(int r);                // R in [1, W]
  uint64_t state() const;              // s packed, s[i] at bit i

 private:
  int width_;
  std::vector<int> taps_;
  std::vector<uint8_t> s_;
};

// Polynomial over GF(2) as a bit mask (bit i = coefficient of x^i).
// For the taps of a Fibonacci LFSR: p(x) = 1 + sum over taps t of x^t
// (the reciprocal of the textbook form; a polynomial is primitive iff its
// reciprocal is).
uint64_t lfsr_polynomial(const std::vector<int>& taps);
// Prime factors (distinct, ascending) of n, by trial division.
std::vector<uint64_t> prime_factors(uint64_t n);
// True iff p (degree W in [1, 32], p(0) = 1) is primitive: x^(2^W-1) = 1 mod p
// and x^((2^W-1)/q) != 1 mod p for every prime q dividing 2^W-1.
bool is_primitive_gf2(uint64_t p);
// x^e mod p over GF(2) (deg p <= 32).
uint64_t gf2_pow_x_mod(uint64_t e, uint64_t p);

// ---------------------------------------------------------------------------
// TestFloat vectors
// ---------------------------------------------------------------------------

struct TvCase {
  uint32_t a, b, result;
  uint8_t flags;  // TestFloat encoding (0x10 invalid, 0x08 div-by-zero, 0x04 ovf, 0x02 unf, 0x01 inx)
  int line;       // 1-based line number in the file
};

// Thrown for a missing file or a malformed line: "<name>:<line>: <reason>".
struct TvError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses "a b result flags" lines: three 8-hex-digit words and one 2-hex-digit
// flags byte, separated by blanks. Blank lines are skipped; anything else
// malformed throws TvError naming the line and the reason.
std::vector<TvCase> parse_tv(std::istream& in, const std::string& name);
std::vector<TvCase> read_tv(const std::string& path);

// TestFloat flags -> fp8sa flags (invalid 0x10 -> 0x8; divide-by-zero dropped).
uint8_t flags_from_testfloat(uint8_t tf);

// The TestFloat vectors folder: $FP8SA_VECTORS if set and non-empty, else
// the CMake cache variable FP8SA_VECTORS_DIR compiled into this library.
std::string vectors_dir();
// Path of a file in vectors_dir(), or "" if that file does not exist.
std::string vectors_file(const std::string& file_name);

}  // namespace fp8sa::ref

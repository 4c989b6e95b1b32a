// Operand generators for the model tests: accumulator-format words biased
// toward special values and boundaries, and the table of all FP8 products
// for picking products near a wanted value. Reference-side only (uses
// fp8sa::ref, never the model).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ref.hpp"

namespace fp8sa::test {

// One representative FP8 pair for each distinct positive finite product value.
struct ProdRep {
  double v;
  uint8_t a, b;
  Fp8Format fa, fb;
};

inline const std::vector<ProdRep>& all_products() {
  static const std::vector<ProdRep> table = [] {
    std::vector<ProdRep> t;
    const Fp8Format fmts[2] = {Fp8Format::E4M3, Fp8Format::E5M2};
    for (Fp8Format fa : fmts)
      for (Fp8Format fb : fmts)
        for (unsigned a = 1; a < 0x80; ++a)
          for (unsigned b = 1; b < 0x80; ++b) {
            const double v = ref::fp8_decode(static_cast<uint8_t>(a), fa) *
                             ref::fp8_decode(static_cast<uint8_t>(b), fb);
            if (std::isfinite(v) && v > 0)
              t.push_back({v, static_cast<uint8_t>(a), static_cast<uint8_t>(b), fa, fb});
          }
    std::sort(t.begin(), t.end(), [](const ProdRep& x, const ProdRep& y) { return x.v < y.v; });
    t.erase(std::unique(t.begin(), t.end(), [](const ProdRep& x, const ProdRep& y) { return x.v == y.v; }),
            t.end());
    return t;
  }();
  return table;
}

// A product near d (within `spread` table entries of |d|), with the sign of d.
inline ProdRep product_near(double d, std::mt19937_64& rng, int spread = 3) {
  const std::vector<ProdRep>& t = all_products();
  const double ad = std::fabs(d);
  const auto it = std::lower_bound(t.begin(), t.end(), ad, [](const ProdRep& p, double v) { return p.v < v; });
  long i = static_cast<long>(it - t.begin());
  i += static_cast<long>(rng() % static_cast<uint64_t>(2 * spread + 1)) - spread;
  i = std::clamp(i, 0L, static_cast<long>(t.size()) - 1);
  ProdRep p = t[static_cast<size_t>(i)];
  if (std::signbit(d)) {
    p.a = static_cast<uint8_t>(p.a ^ 0x80u);
    p.v = -p.v;
  }
  return p;
}

// Accumulator-format words.
class AccGen {
 public:
  AccGen(const ref::FloatFormat& f, std::mt19937_64& rng) : f_(f), rng_(rng) {}

  uint32_t r32() { return static_cast<uint32_t>(rng_()); }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
  uint32_t sign() { return (rng_() & 1u) ? f_.sign_bit() : 0u; }
  uint32_t man() { return r32() & ((1u << f_.man_bits) - 1u); }
  uint32_t exp_field(uint32_t e) { return e << f_.man_bits; }
  uint32_t top_exp() const { return (1u << f_.exp_bits) - 1u; }  // Inf/NaN exponent

  uint32_t any() { return r32() & f_.mask(); }
  uint32_t finite() {
    uint32_t b;
    do b = any();
    while (((b >> f_.man_bits) & top_exp()) == top_exp());
    return b;
  }
  uint32_t special() {
    const uint32_t s = sign();
    const uint32_t ones = exp_field(top_exp());
    switch (below(12)) {
      case 0: return s;                                               // zero
      case 1: return s | ones;                                        // Inf
      case 2: return f_.canonical_nan();                              // qNaN
      case 3: return s | ones | (1u << (f_.man_bits - 1)) | man();    // qNaN, payload
      case 4: return s | ones | std::max(1u, man() >> 1);             // sNaN (MSB 0)
      case 5: return s | f_.max_bits();
      case 6: return s | (f_.max_bits() - below(3));                  // max - k ulp
      case 7: return s | exp_field(1);                                // min normal
      case 8: return s | (exp_field(1) + below(3));
      case 9: return s | (1u + below(3));                             // min subnormals
      case 10: return s | (exp_field(1) - 1u - below(3));             // max subnormals
      default: return s | man();                                      // any subnormal
    }
  }
  // Exponent field near the ends of the range.
  uint32_t edges() {
    static const int ends[] = {0, 1, 2, -2, -3};
    const int e = ends[below(5)];
    const uint32_t ef = e >= 0 ? static_cast<uint32_t>(e) : top_exp() + static_cast<uint32_t>(e + 1);
    return sign() | exp_field(ef) | man();
  }
  // A finite value with unbiased exponent in [lo, hi] (clamped to the format).
  uint32_t around(int lo, int hi) {
    lo = std::max(lo, f_.emin());
    hi = std::min(hi, f_.emax());
    if (lo > hi) return finite();
    const int e = lo + static_cast<int>(below(static_cast<uint32_t>(hi - lo + 1)));
    return sign() | exp_field(static_cast<uint32_t>(e + f_.bias())) | man();
  }
  // Mixed: specials, edges, and "interesting magnitude" values.
  uint32_t mixed(int lo = -40, int hi = 40) {
    switch (below(8)) {
      case 0: return any();
      case 1: return special();
      case 2: return edges();
      case 3: return finite();
      default: return around(lo, hi);
    }
  }

  // The format value nearest v (RNE; +-max beyond the range).
  uint32_t nearest(double v) {
    if (std::fabs(v) >= f_.max_finite()) return (std::signbit(v) ? f_.sign_bit() : 0u) | f_.max_bits();
    ref::Exact x(v);
    return ref::round_to_format(x.get(), f_, Round::RNE, 0, 16, ref::OnOverflow::kSaturate).bits;
  }
  // Moves a finite word k ulps in magnitude, clamped to [0, max].
  uint32_t step(uint32_t bits, int k) {
    const uint32_t s = bits & f_.sign_bit();
    long m = static_cast<long>(bits & (f_.sign_bit() - 1u)) + k;
    m = std::clamp(m, 0L, static_cast<long>(f_.max_bits()));
    return s | static_cast<uint32_t>(m);
  }

  // Boundary magnitudes of the format (overflow and tininess edges).
  std::vector<double> targets() const {
    const int Y = f_.man_bits;
    const double M = f_.max_finite(), ulpM = std::ldexp(1.0, f_.emax() - Y);
    const double mn = f_.min_normal(), ms = f_.min_subnormal();
    return {M,           M + ulpM / 2,     M + ulpM,        M - ulpM / 2,    M + ulpM / 4,
            mn,          mn - ms / 2,      mn - std::ldexp(1.0, f_.emin() - Y - 2),
            mn - ms,     mn + ms / 2,      ms,              ms / 2,          1.5 * ms,
            0.75 * ms,   0.25 * ms,        2 * mn,          mn * 1.5};
  }

 private:
  ref::FloatFormat f_;
  std::mt19937_64& rng_;
};

// Cancelling operands for an M x K x N GEMM (A row-major M x K, B K x N):
// A's second half in k negates its first half and B's second half repeats
// its first, so every dot product returns towards zero in k order (often
// exactly, not always: the products have a few mantissa bits).
inline void mirror_for_cancellation(std::vector<uint8_t>& A, std::vector<uint8_t>& B, int M, int K, int N) {
  const int h = K / 2;
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < h; ++k)
      A[static_cast<size_t>(m) * K + h + k] = static_cast<uint8_t>(A[static_cast<size_t>(m) * K + k] ^ 0x80u);
  for (int k = 0; k < h; ++k)
    for (int n = 0; n < N; ++n) B[static_cast<size_t>(h + k) * N + n] = B[static_cast<size_t>(k) * N + n];
}

}  // namespace fp8sa::test

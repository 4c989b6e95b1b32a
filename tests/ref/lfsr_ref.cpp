// fp8sa::ref LFSR reference and GF(2) primitivity checker (numerics.md section 7).
#include <stdexcept>
#include <string>

#include "ref.hpp"

namespace fp8sa::ref {

const std::vector<int>& lfsr_taps(int width) {
  // Transcribed from the table in numerics.md section 7 (XAPP052 table 3).
  static const std::vector<std::vector<int>> kTaps = {
      {4, 3},           {5, 3},           {6, 5},           {7, 6},
      {8, 6, 5, 4},     {9, 5},           {10, 7},          {11, 9},
      {12, 6, 4, 1},    {13, 4, 3, 1},    {14, 5, 3, 1},    {15, 14},
      {16, 15, 13, 4},  {17, 14},         {18, 11},         {19, 6, 2, 1},
      {20, 17},         {21, 19},         {22, 21},         {23, 18},
      {24, 23, 22, 17}, {25, 22},         {26, 6, 2, 1},    {27, 5, 2, 1},
      {28, 25},         {29, 27},         {30, 6, 4, 1},    {31, 28},
      {32, 22, 2, 1},
  };
  if (width < 4 || width > 32)
    throw std::invalid_argument("ref: LFSR width " + std::to_string(width) + " out of range [4, 32]");
  return kTaps[static_cast<size_t>(width - 4)];
}

LfsrRef::LfsrRef(int width, uint64_t seed) : width_(width), taps_(lfsr_taps(width)) {
  s_.assign(static_cast<size_t>(width), 0);
  bool any = false;
  for (int i = 0; i < width; ++i) {
    s_[static_cast<size_t>(i)] = static_cast<uint8_t>((seed >> i) & 1u);
    any = any || s_[static_cast<size_t>(i)] != 0;
  }
  if (!any) throw std::invalid_argument("ref: LFSR seed is zero in its low " + std::to_string(width) + " bits");
}

void LfsrRef::step() {
  uint8_t fb = 0;
  for (int t : taps_) fb ^= s_[static_cast<size_t>(t - 1)];
  for (int i = width_ - 1; i >= 1; --i) s_[static_cast<size_t>(i)] = s_[static_cast<size_t>(i - 1)];
  s_[0] = fb;
}

uint32_t LfsrRef::draw(int r) {
  if (r < 1 || r > width_) throw std::invalid_argument("ref: LFSR draw size out of range");
  for (int i = 0; i < r; ++i) step();
  uint32_t u = 0;
  for (int i = 0; i < r; ++i) u |= static_cast<uint32_t>(s_[static_cast<size_t>(i)]) << i;
  return u;
}

uint64_t LfsrRef::state() const {
  uint64_t v = 0;
  for (int i = 0; i < width_; ++i) v |= static_cast<uint64_t>(s_[static_cast<size_t>(i)]) << i;
  return v;
}

uint64_t lfsr_polynomial(const std::vector<int>& taps) {
  uint64_t p = 1;  // the constant term
  for (int t : taps) p ^= uint64_t{1} << t;
  return p;
}

std::vector<uint64_t> prime_factors(uint64_t n) {
  std::vector<uint64_t> f;
  for (uint64_t d = 2; d * d <= n; d += (d == 2 ? 1 : 2)) {
    if (n % d == 0) {
      f.push_back(d);
      while (n % d == 0) n /= d;
    }
  }
  if (n > 1) f.push_back(n);
  return f;
}

namespace {
int degree(uint64_t p) {
  int d = -1;
  for (int i = 0; i < 64; ++i)
    if ((p >> i) & 1u) d = i;
  return d;
}

// a * b mod p over GF(2), a and b of degree < deg p = w.
uint64_t mulmod(uint64_t a, uint64_t b, uint64_t p, int w) {
  uint64_t r = 0;
  for (int i = w - 1; i >= 0; --i) {
    r <<= 1;
    if ((r >> w) & 1u) r ^= p;
    if ((b >> i) & 1u) r ^= a;
  }
  return r;
}
}  // namespace

uint64_t gf2_pow_x_mod(uint64_t e, uint64_t p) {
  const int w = degree(p);
  if (w < 1 || w > 32) throw std::invalid_argument("ref: GF(2) polynomial degree must be in [1, 32]");
  uint64_t base = w == 1 ? (2u ^ p) : 2u;  // x mod p
  uint64_t r = 1;
  while (e != 0) {
    if (e & 1u) r = mulmod(r, base, p, w);
    base = mulmod(base, base, p, w);
    e >>= 1;
  }
  return r;
}

bool is_primitive_gf2(uint64_t p) {
  const int w = degree(p);
  if (w < 1 || w > 32 || (p & 1u) == 0) return false;
  const uint64_t n = (uint64_t{1} << w) - 1u;
  if (gf2_pow_x_mod(n, p) != 1u) return false;
  for (uint64_t q : prime_factors(n))
    if (gf2_pow_x_mod(n / q, p) == 1u) return false;
  return true;
}

}  // namespace fp8sa::ref

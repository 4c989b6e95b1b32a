// Fibonacci LFSR with XAPP052 taps (docs/numerics.md section 7).
#include "fp8sa/lfsr.hpp"

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "internal.hpp"

namespace fp8sa {

namespace {

uint32_t width_mask(int w) { return w >= 32 ? 0xFFFFFFFFu : ((1u << w) - 1u); }

void check_width(int width) {
  if (width < 4 || width > 32) {
    throw std::invalid_argument("lfsr width " + std::to_string(width) + " out of range [4, 32]");
  }
}

uint32_t slow_advance(uint32_t s, int steps, uint32_t tap_mask, uint32_t m) {
  for (int i = 0; i < steps; ++i) {
    const uint32_t fb = static_cast<uint32_t>(__builtin_parity(s & tap_mask));
    s = ((s << 1) | fb) & m;
  }
  return s;
}

// Byte-sliced tables of the `steps`-step map for (width, steps), built once.
const uint32_t* jump_table(int width, int steps, uint32_t tap_mask) {
  static std::mutex mu;
  static std::unique_ptr<uint32_t[]> tables[33][33];
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<uint32_t[]>& t = tables[width][steps];
  if (!t) {
    const uint32_t m = width_mask(width);
    uint32_t col[32] = {};
    for (int i = 0; i < width; ++i) col[i] = slow_advance(1u << i, steps, tap_mask, m);
    t.reset(new uint32_t[4 * 256]);
    for (int k = 0; k < 4; ++k) {
      for (int v = 0; v < 256; ++v) {
        uint32_t x = 0;
        for (int j = 0; j < 8; ++j) {
          const int bit = 8 * k + j;
          if (((v >> j) & 1) != 0 && bit < width) x ^= col[bit];
        }
        t[static_cast<size_t>(k * 256 + v)] = x;
      }
    }
  }
  return t.get();
}

// Jump-ahead powers for (width, draw_bits): entry [j][i] is the state 2^j
// draws after the unit state 1 << i, built once from the byte-sliced draw map.
const uint32_t (*draw_powers(int width, int draw_bits, const uint32_t* jump))[32] {
  static std::mutex mu;
  static std::unique_ptr<uint32_t[][32]> tables[33][33];
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<uint32_t[][32]>& t = tables[width][draw_bits];
  if (!t) {
    auto draw = [jump](uint32_t s) {
      return jump[s & 0xFFu] ^ jump[256 + ((s >> 8) & 0xFFu)] ^ jump[512 + ((s >> 16) & 0xFFu)] ^ jump[768 + (s >> 24)];
    };
    t.reset(new uint32_t[64][32]());
    for (int i = 0; i < width; ++i) t[0][i] = draw(1u << i);
    for (int j = 1; j < 64; ++j) {
      for (int i = 0; i < width; ++i) {
        uint32_t x = t[j - 1][i], r = 0;
        for (; x != 0; x &= x - 1) r ^= t[j - 1][__builtin_ctz(x)];
        t[j][i] = r;
      }
    }
  }
  return t.get();
}

}  // namespace

const std::vector<int>& Lfsr::taps(int width) {
  // Xilinx XAPP052 table 3 (maximal length), positions counted from 1.
  static const std::vector<int> kTaps[33] = {
      {}, {}, {}, {},                               // 0..3: unused
      {4, 3},           {5, 3},           {6, 5},           {7, 6},           // 4..7
      {8, 6, 5, 4},     {9, 5},           {10, 7},          {11, 9},          // 8..11
      {12, 6, 4, 1},    {13, 4, 3, 1},    {14, 5, 3, 1},    {15, 14},         // 12..15
      {16, 15, 13, 4},  {17, 14},         {18, 11},         {19, 6, 2, 1},    // 16..19
      {20, 17},         {21, 19},         {22, 21},         {23, 18},         // 20..23
      {24, 23, 22, 17}, {25, 22},         {26, 6, 2, 1},    {27, 5, 2, 1},    // 24..27
      {28, 25},         {29, 27},         {30, 6, 4, 1},    {31, 28},         // 28..31
      {32, 22, 2, 1},                                                         // 32
  };
  check_width(width);
  return kTaps[width];
}

Lfsr::Lfsr(int width, int draw_bits, uint64_t seed)
    : width_(width), draw_bits_(draw_bits), tap_mask_(0), state_(0), jump_(nullptr), pow_(nullptr) {
  check_width(width);
  if (draw_bits < 2 || draw_bits > width) {
    throw std::invalid_argument("lfsr draw_bits " + std::to_string(draw_bits) + " out of range [2, " +
                                std::to_string(width) + "] (width " + std::to_string(width) + ")");
  }
  for (int t : taps(width)) tap_mask_ |= 1u << (t - 1);
  jump_ = jump_table(width, draw_bits, tap_mask_);
  pow_ = draw_powers(width, draw_bits, jump_);
  this->seed(seed);
}

void Lfsr::seed(uint64_t s) {
  const uint32_t v = static_cast<uint32_t>(s & width_mask(width_));
  if (v == 0) {
    throw std::invalid_argument("lfsr seed " + detail::hex32(s) + " is zero in its low " + std::to_string(width_) +
                                " bits (a zero state never leaves zero)");
  }
  state_ = v;
}

uint32_t Lfsr::advance(uint32_t s, int steps) const { return slow_advance(s, steps, tap_mask_, width_mask(width_)); }

uint32_t Lfsr::advance_draw(uint32_t s) const {
  return jump_[s & 0xFFu] ^ jump_[256 + ((s >> 8) & 0xFFu)] ^ jump_[512 + ((s >> 16) & 0xFFu)] ^ jump_[768 + (s >> 24)];
}

void Lfsr::step() { state_ = advance(state_, 1); }

uint32_t Lfsr::peek() const { return advance_draw(state_) & width_mask(draw_bits_); }

uint32_t Lfsr::draw() {
  state_ = advance_draw(state_);
  return state_ & width_mask(draw_bits_);
}

void Lfsr::skip(uint64_t draws) {
  uint32_t s = state_;
  for (int j = 0; draws != 0; ++j, draws >>= 1) {
    if ((draws & 1u) == 0) continue;
    uint32_t r = 0;
    for (uint32_t x = s; x != 0; x &= x - 1) r ^= pow_[j][__builtin_ctz(x)];
    s = r;
  }
  state_ = s;
}

}  // namespace fp8sa

// fp8sa LFSR model (docs/numerics.md section 7): Fibonacci LFSR, XAPP052
// taps, R steps per draw. Independent of the RTL.
#pragma once

#include <cstdint>
#include <vector>

namespace fp8sa {

class Lfsr {
 public:
  // width in [4, 32]; draw_bits in [2, width]; seed non-zero in the low
  // `width` bits. Throws std::invalid_argument otherwise.
  Lfsr(int width = 32, int draw_bits = 16, uint64_t seed = 1);

  // Tap positions (1-based, XAPP052) for a width in [4, 32]; throws otherwise.
  static const std::vector<int>& taps(int width);

  void seed(uint64_t s);              // uses the low `width` bits; throws when they are zero
  void step();                        // one shift
  uint32_t peek() const;              // the next draw, without consuming it
  uint32_t draw();                    // advance draw_bits steps, return low draw_bits bits
  void skip(uint64_t draws);          // advance `draws` draws at once (O(log draws) jump-ahead)
  uint32_t state() const { return state_; }
  // The draw map as a byte-sliced table of 4 x 256 words (a draw is linear
  // over GF(2)): the state after a draw from s is t[s & 255] ^ t[256 + (s >> 8
  // & 255)] ^ t[512 + (s >> 16 & 255)] ^ t[768 + (s >> 24)]. Shared, lives
  // as long as the program.
  const uint32_t* draw_table() const { return jump_; }
  int width() const { return width_; }
  int draw_bits() const { return draw_bits_; }

 private:
  uint32_t advance(uint32_t s, int steps) const;
  uint32_t advance_draw(uint32_t s) const;  // draw_bits steps via jump_
  int width_;
  int draw_bits_;
  uint32_t tap_mask_;  // bit (t-1) set for each tap t
  uint32_t state_;
  // The draw_bits-step map is linear over GF(2): 4 x 256 byte-sliced table,
  // shared by every Lfsr with the same (width, draw_bits).
  const uint32_t* jump_;
  // skip(): pow_[j][i] is the state 2^j draws after the state with only bit i
  // set (a draw is linear over GF(2)); 64 x 32 words, shared like jump_.
  const uint32_t (*pow_)[32];
};

}  // namespace fp8sa

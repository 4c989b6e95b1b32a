// The PE seam of the model: the arithmetic of one processing element of any
// kind (docs/numerics.md sections 4, 8, 9 and 10), written once, used by
// every engine: the PE model (MacPe), the cycle model's reference path
// (ArrayCycleModel), the functional model's generic path
// (gemm_functional) and the exploration. The fast kernels (binary32 FMA
// chains, the narrow SIMD kernel) are specialisations of the `fma` kind
// that the tests hold bit-identical to this.
//
// A PE performs steps; a step takes DOT_N exact FP8 products:
//   fma    one product per step, section 4's MAC (DOT_N = 1)
//   dot    DOT_N products and the accumulator aligned to one reference
//          exponent, truncated to ALIGN_BITS fraction bits, summed, one
//          rounding per step (section 10.2)
//   exact  DOT_N products added into an 81-bit fixed-point accumulator,
//          one rounding of init + accumulator per tile (section 10.3)
// Promotion (section 9, promote_n > 0) composes with fma and dot.
//
// Pe is stateless (one per configuration, shareable across threads); the
// state of one PE across a tile is a PeState. To run a tile: step() each
// step in order (first = true on the tile's first, which starts from the
// init word; last = true on its last), then result(). tile() does exactly
// that for a whole tile of K products and is the reference loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "fp8sa/numerics.hpp"

namespace fp8sa {

class Lfsr;

// The PE kinds, by code (PE_KIND; rtl/fp8sa_pkg.vh PeKind*). A new kind
// touches this enum, pe.cpp, numerics.md section 10 and the RTL side (its
// sibling module, the socket in fp8sa_array_cell.v, fp8sa_pkg.vh):
// docs/pe_kinds.md lists the files.
enum class PeKind : uint8_t { Fma = 0, Dot = 1, Exact = 2 };
constexpr unsigned kPeKindCount = 3;
constexpr int kMaxDotN = 64;   // DOT_N in {1, 2, 4, .., 64}
constexpr int kMaxAlignBits = 48;

const char* pe_kind_name(PeKind k);            // "fma", "dot", "exact"
std::string pe_kind_names();                   // "fma, dot, exact"
PeKind parse_pe_kind(const std::string& s);    // case-insensitive; throws std::invalid_argument
PeKind pe_kind_from_code(unsigned code);       // throws for a code above 2

// The parameters of a PE (docs/numerics.md section 10; the array's
// PE_KIND, DOT_N, ALIGN_BITS, ACC_*, SR_BITS, SR_KIND, PROMOTE_N).
struct PeConfig {
  PeKind kind = PeKind::Fma;
  int dot_n = 1;          // 1, 2, 4, .., 64; fma: 1
  int align_bits = 13;    // [1, 48]; read by dot only
  AccFormat acc = kFp32;  // the accumulator (fma, dot) or result (exact) format
  int sr_bits = 16;       // [2, 24]
  SrKind sr_kind = SrKind::Mid;
  int promote_n = 0;      // 0, or [2, 65535] and a multiple of dot_n; exact: 0
  // Throws std::invalid_argument naming the field, prefixed with `who`
  // ("pe: dot_n 3 is not a power of two in [1, 64]").
  void validate(const char* who = "pe") const;
  // The init word's format (binary32 for dot, exact and promotion, else acc)
  // and the result word's (binary32 with promotion, else acc).
  AccFormat init_format() const;
  AccFormat result_format() const;
  uint64_t steps(uint64_t k) const { return (k + static_cast<uint64_t>(dot_n) - 1) / static_cast<uint64_t>(dot_n); }
  // LFSR draws a PE takes for a tile of k products: one per step (fma,
  // dot), one per tile (exact).
  uint64_t draws_per_tile(uint64_t k) const { return kind == PeKind::Exact ? 1u : steps(k); }
  bool operator==(const PeConfig& o) const;
  bool operator!=(const PeConfig& o) const { return !(*this == o); }
};

// Presets (docs/numerics.md section 10.2, "Presets"): named PE parameter
// sets that reproduce GPU tensor cores. A preset sets what it names; the
// CLI (--preset) and Python (preset=) refuse options that contradict it.
struct PePreset {
  const char* name;      // "h100-fp8", "ada-fp8", "b200-fp8", "exact", "fma"
  PeKind kind;
  int dot_n;             // 0: not set by the preset
  int align_bits;        // 0: not set
  const char* acc;       // nullptr: not set
  int rnd;               // -1: not set, else a Round code
  const char* what;      // one line for help texts
};
extern const PePreset kPePresets[5];
// The preset of that name (case-insensitive); throws std::invalid_argument
// listing the names.
const PePreset& find_pe_preset(const std::string& name);
std::string pe_preset_names();  // "h100-fp8, ada-fp8, b200-fp8, exact, fma"

// The state of one PE across a tile (all kinds; a kind uses its fields).
struct PeState {
  uint32_t acc = 0;    // fma, dot: the (narrow) accumulator word
  uint32_t wide = 0;   // promotion: the binary32 accumulator w
  uint32_t init = 0;   // exact: the tile's init word (binary32)
  int count = 0;       // promotion: steps since the last promotion
  uint8_t flags = 0;   // sticky flags of the tile so far
  // exact: the fixed-point accumulator X (units of 2^-32, two's complement
  // in 128 bits; its values use 81) and the sticky special bits.
  uint64_t x_lo = 0;
  uint64_t x_hi = 0;
  uint8_t special = 0;  // kPeNan | kPeInfPos | kPeInfNeg | kPeInv | kPeNegZero
  uint8_t rnd = 0;      // exact: the rounding mode of the last step (the tile's), for result()
};

enum : uint8_t { kPeNan = 1, kPeInfPos = 2, kPeInfNeg = 4, kPeInv = 8, kPeNegZero = 16 };

// One step's inputs.
struct PeStep {
  const uint8_t* a = nullptr;  // dot_n codes a[i * sa]
  ptrdiff_t sa = 1;
  const uint8_t* b = nullptr;  // dot_n codes b[i * sb]
  ptrdiff_t sb = 1;
  Fp8Format fa = Fp8Format::E4M3;
  Fp8Format fb = Fp8Format::E4M3;
  Round rnd = Round::RNE;
  uint32_t rand = 0;   // fma, dot: this step's draw (read by SR only)
  bool first = false;  // the tile's first step: starts from init (the previous state is not read)
  bool last = false;   // the tile's last step (promotion; exact: its draw is the tile's)
  uint32_t init = 0;   // the init word (init_format()), read when first
};

class Pe {
 public:
  explicit Pe(const PeConfig& cfg);  // validates
  const PeConfig& config() const { return cfg_; }

  // One step on s (which first = true resets).
  void step(PeState* s, const PeStep& in) const;
  // The PE's acc_o / flags_o for state s: fma and dot read the registers;
  // exact rounds init + X once with the random word u (the LFSR state's low
  // sr_bits bits: after a tile's last step, that step's draw).
  OpResult result(const PeState& s, uint32_t u = 0) const;
  // A whole tile of k >= 1 products a[i * sa] * b[i * sb] from the init
  // word (padded to whole steps with +0 products): the result word and the
  // tile's flags. lfsr (null only without SR) advances draws_per_tile(k)
  // draws whatever the mode, as the PE's does.
  OpResult tile(uint32_t init, const uint8_t* a, ptrdiff_t sa, const uint8_t* b, ptrdiff_t sb, size_t k,
                Fp8Format fa, Fp8Format fb, Round rnd, Lfsr* lfsr) const;

 private:
  PeConfig cfg_;
  AccAdder adder_;       // fma: the MAC; dot: rounds S into acc
  AccAdder wide_adder_;  // promotion: binary32 RNE
};

}  // namespace fp8sa

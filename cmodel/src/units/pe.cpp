// The PE seam (pe.hpp): the arithmetic of the fma, dot and exact PE kinds,
// docs/numerics.md sections 4, 8, 9 and 10. Independent of the RTL.
#include "fp8sa/pe.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

#include "fp8sa/lfsr.hpp"
#include "internal.hpp"

namespace fp8sa {

using detail::kClsFinite;
using detail::kClsInf;
using detail::kClsNan;
using detail::kClsZero;

// ---------------------------------------------------------------------------
// Names and parameters
// ---------------------------------------------------------------------------

const char* pe_kind_name(PeKind k) {
  switch (k) {
    case PeKind::Fma: return "fma";
    case PeKind::Dot: return "dot";
    case PeKind::Exact: return "exact";
  }
  throw std::invalid_argument("PE kind code " + std::to_string(static_cast<unsigned>(k)) + " out of range");
}

PeKind pe_kind_from_code(unsigned code) {
  if (code >= kPeKindCount) {
    throw std::invalid_argument("PE kind code " + std::to_string(code) + " out of range (legal: " + pe_kind_names() + ")");
  }
  return static_cast<PeKind>(code);
}

std::string pe_kind_names() {
  std::string s;
  for (unsigned c = 0; c < kPeKindCount; ++c) s += (c ? ", " : "") + std::string(pe_kind_name(static_cast<PeKind>(c)));
  return s;
}

PeKind parse_pe_kind(const std::string& s) {
  std::string t = s;
  for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (unsigned c = 0; c < kPeKindCount; ++c)
    if (t == pe_kind_name(static_cast<PeKind>(c))) return static_cast<PeKind>(c);
  throw std::invalid_argument("bad PE kind '" + s + "': expected " + pe_kind_names());
}

const PePreset kPePresets[5] = {
    {"h100-fp8", PeKind::Dot, 32, 13, "e8m13", static_cast<int>(Round::RZ),
     "H100/H200 FP8 tensor cores: dot, 32 products, 13-bit window, e8m13 truncated"},
    {"ada-fp8", PeKind::Dot, 16, 13, "e8m13", static_cast<int>(Round::RZ),
     "Ada/L40S FP8 tensor cores: dot, 16 products, 13-bit window, e8m13 truncated"},
    {"b200-fp8", PeKind::Dot, 32, 31, "e8m23", static_cast<int>(Round::RNE),
     "B200 FP8 tensor cores: dot, 32 products, 31-bit window, e8m23 RNE"},
    {"exact", PeKind::Exact, 0, 0, nullptr, -1, "exact fixed-point accumulator, one rounding per tile"},
    {"fma", PeKind::Fma, 1, 0, nullptr, -1, "today's PE: one fused multiply-add per product"},
};

const PePreset& find_pe_preset(const std::string& name) {
  std::string t = name;
  for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const PePreset& p : kPePresets)
    if (t == p.name) return p;
  throw std::invalid_argument("bad preset '" + name + "': expected " + pe_preset_names());
}

std::string pe_preset_names() {
  std::string s;
  for (const PePreset& p : kPePresets) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

void PeConfig::validate(const char* who) const {
  const std::string w = std::string(who) + ": ";
  auto bad = [&](const std::string& m) { throw std::invalid_argument(w + m); };
  pe_kind_from_code(static_cast<unsigned>(kind));
  acc.validate();
  validate_sr_bits(sr_bits);
  sr_kind_from_code(static_cast<unsigned>(sr_kind));
  if (dot_n < 1 || dot_n > kMaxDotN || (dot_n & (dot_n - 1)) != 0) {
    bad("dot_n " + std::to_string(dot_n) + " is not a power of two in [1, 64]");
  }
  if (kind == PeKind::Fma && dot_n != 1) {
    bad("dot_n " + std::to_string(dot_n) + " needs pe dot or exact (the fma PE takes one product per step)");
  }
  if (align_bits < 1 || align_bits > kMaxAlignBits) {
    bad("align_bits " + std::to_string(align_bits) + " out of range [1, 48]");
  }
  if (promote_n != 0 && (promote_n < 2 || promote_n > 65535)) {
    bad("promote_n " + std::to_string(promote_n) + " out of range (0 = off, or [2, 65535])");
  }
  if (kind == PeKind::Exact && promote_n != 0) {
    bad("promote_n " + std::to_string(promote_n) + " with pe exact (the exact PE rounds once per tile: nothing to promote)");
  }
  if (promote_n != 0 && promote_n % dot_n != 0) {
    bad("promote_n " + std::to_string(promote_n) + " is not a multiple of dot_n " + std::to_string(dot_n) +
        " (promotion happens after whole steps)");
  }
}

AccFormat PeConfig::init_format() const {
  return (kind != PeKind::Fma || promote_n > 0) ? kFp32 : acc;
}

AccFormat PeConfig::result_format() const { return promote_n > 0 ? kFp32 : acc; }

bool PeConfig::operator==(const PeConfig& o) const {
  return kind == o.kind && dot_n == o.dot_n && align_bits == o.align_bits && acc == o.acc && sr_bits == o.sr_bits &&
         sr_kind == o.sr_kind && promote_n == o.promote_n;
}

// ---------------------------------------------------------------------------
// Arithmetic helpers
// ---------------------------------------------------------------------------

namespace {

const PeConfig& validated(const PeConfig& c) {
  c.validate();
  return c;
}

using u128 = unsigned __int128;
using i128 = __int128;

inline int bitlen128(u128 x) {
  const uint64_t hi = static_cast<uint64_t>(x >> 64);
  return hi != 0 ? 128 - __builtin_clzll(hi) : detail::bitlen64(static_cast<uint64_t>(x));
}

inline u128 low_mask128(int n) { return n >= 128 ? ~u128{0} : ((u128{1} << n) - 1u); }

// sig * 2^sh as a right-jammed placement into 128 bits (sh < 0: lost bits
// ORed into bit 0). sig != 0.
inline u128 place128(u128 sig, int sh) {
  if (sh >= 0) return sig << sh;
  const int r = -sh;
  if (r >= 128) return 1u;
  return (sig >> r) | ((sig & low_mask128(r)) != 0 ? 1u : 0u);
}

// Exact sum of two finite non-zero values (-1)^sa * ma * 2^ea and
// (-1)^sb * mb * 2^eb (ma != 0, mb < 2^82, mb = 0 allowed) as sign, M (< 2^63, with a jammed
// sticky bit 0) and E for detail::round_value. Returns false for an exact
// zero. The operand with the higher top bit is placed with its top at bit
// 125 of a 128-bit window; the other loses bits (into the sticky) only when
// its top is 2 or more below, so the sum's leading bit is then at 123 or
// above and the rounding reads nothing near the sticky; with the tops 0 or
// 1 apart both fit exactly. The window is then cut to 62 bits, jamming the
// rest: a rounding reads at most 24 + 25 bits below the leading bit.
bool exact_sum_wide(uint32_t sa, u128 ma, int ea, uint32_t sb, u128 mb, int eb, uint32_t* sign, uint64_t* M,
                    int* E) {
  const int ta = ea + bitlen128(ma);
  const int tb = mb != 0 ? eb + bitlen128(mb) : ta;  // mb = 0: a zero second operand
  const int e0 = std::max(ta, tb) - 125;
  const u128 A = place128(ma, ea - e0);
  const u128 B = mb != 0 ? place128(mb, eb - e0) : u128{0};
  u128 S;
  uint32_t s;
  if (sa == sb) {
    S = A + B;
    s = sa;
  } else if (A >= B) {
    S = A - B;
    s = sa;
  } else {
    S = B - A;
    s = sb;
  }
  if (S == 0) return false;
  int e = e0;
  const int len = bitlen128(S);
  if (len > 62) {
    const int r = len - 62;
    S = (S >> r) | ((S & low_mask128(r)) != 0 ? 1u : 0u);
    e += r;
  }
  *sign = s;
  *M = static_cast<uint64_t>(S);
  *E = e;
  return true;
}

// A finite non-zero value's packing into `fmt` after rounding M * 2^E
// (sign s); overflow gives Inf (RNE, SR) or the largest finite (RZ).
OpResult round_pack(uint32_t s, uint64_t M, int E, const AccFormat& fmt, Round rnd, uint32_t u, int R, SrKind kind) {
  const detail::RoundFmt rf = detail::acc_round_fmt(fmt);
  const detail::Rounded r = detail::round_value(M, E, rf, rnd, u, R, kind);
  const uint32_t sign_shift = static_cast<uint32_t>(fmt.exp_bits + fmt.man_bits);
  if (r.overflow) {
    const uint32_t inf = ((1u << fmt.exp_bits) - 1u) << fmt.man_bits;
    const uint32_t mag = rnd == Round::RZ ? inf - 1u : inf;
    return OpResult{(s << sign_shift) | mag, r.flags};
  }
  return OpResult{detail::pack_rounded(r, s, fmt.exp_bits, fmt.man_bits, fmt.bias()), r.flags};
}

inline uint32_t zero_word(uint32_t sign, const AccFormat& fmt) {
  return sign << static_cast<uint32_t>(fmt.exp_bits + fmt.man_bits);
}

inline const detail::Fp8Dec& dec(uint8_t code, Fp8Format f) {
  return detail::kFp8Dec.t[static_cast<int>(f)][code];
}

// e(x) of numerics.md 10.1 for a decoded FP8 operand: its significand's LSB
// exponent plus the format's mantissa bits (a subnormal's LSB exponent is
// emin - Mf, so this gives emin for it).
inline int fp8_e(const detail::Fp8Dec& d, Fp8Format f) {
  return d.exp + kFormatTable[static_cast<int>(f)].man_bits;
}

}  // namespace

// ---------------------------------------------------------------------------
// Pe
// ---------------------------------------------------------------------------

Pe::Pe(const PeConfig& cfg)
    : cfg_(validated(cfg)), adder_(cfg.acc, cfg.sr_bits, cfg.sr_kind), wide_adder_(kFp32, 2) {}

void Pe::step(PeState* s, const PeStep& in) const {
  if (static_cast<unsigned>(in.rnd) > 2u) round_from_code(static_cast<unsigned>(in.rnd));  // throws
  const AccFormat& fmt = cfg_.acc;
  const bool promote = cfg_.promote_n > 0;
  if (in.first) {
    s->flags = 0;
    s->count = 0;
    if (cfg_.kind == PeKind::Exact) {
      s->x_lo = s->x_hi = 0;
      s->special = kPeNegZero;
      s->init = in.init;
    } else if (promote) {
      s->acc = 0;
      s->wide = in.init;
    } else {
      s->acc = in.init & cfg_.init_format().mask();
    }
  }
  switch (cfg_.kind) {
    case PeKind::Fma: {
      const OpResult r = adder_.mac(s->acc, in.a[0], in.fa, in.b[0], in.fb, in.rnd, in.rand);
      s->acc = r.bits;
      s->flags = static_cast<uint8_t>(s->flags | r.flags);
      break;
    }
    case PeKind::Dot: {
      // The accumulator term c: the init word as binary32 in a tile's first
      // step (without promotion), else the eXmY accumulator (numerics.md 10.2).
      const bool c_is_init = in.first && !promote;
      const AccFormat cfmt = c_is_init ? kFp32 : fmt;
      const detail::Unpacked c = detail::unpack_acc(s->acc & cfmt.mask(), cfmt);
      bool nan = c.cls == kClsNan;
      bool inv = c.snan;
      bool pinf = c.cls == kClsInf && c.sign == 0;
      bool ninf = c.cls == kClsInf && c.sign != 0;
      bool all_negz = c.cls == kClsZero && c.sign != 0;
      bool any_nonzero = c.cls == kClsFinite;
      int E = c.cls == kClsFinite ? c.exp + cfmt.man_bits : -100000;
      const int n = cfg_.dot_n;
      for (int i = 0; i < n; ++i) {
        const detail::Fp8Dec& da = dec(in.a[i * in.sa], in.fa);
        const detail::Fp8Dec& db = dec(in.b[i * in.sb], in.fb);
        const uint8_t cls = static_cast<uint8_t>(da.cls | db.cls);
        const uint8_t ps = static_cast<uint8_t>(da.sign ^ db.sign);
        if (cls & kClsNan) {
          nan = true;
        } else if ((cls & kClsInf) && (cls & kClsZero)) {
          inv = true;
        } else if (cls & kClsInf) {
          (ps ? ninf : pinf) = true;
        } else if (cls & kClsZero) {
          if (!ps) all_negz = false;
          continue;
        } else {
          any_nonzero = true;
          E = std::max(E, fp8_e(da, in.fa) + fp8_e(db, in.fb));
        }
        all_negz = false;
      }
      if (pinf && ninf) inv = true;
      const uint32_t sign_shift = static_cast<uint32_t>(fmt.exp_bits + fmt.man_bits);
      const uint32_t inf = ((1u << fmt.exp_bits) - 1u) << fmt.man_bits;
      OpResult r{0, 0};
      if (nan || inv) {
        r = OpResult{fmt.canonical_nan(), static_cast<uint8_t>(inv ? kFlagInvalid : 0)};
      } else if (pinf || ninf) {
        r = OpResult{(static_cast<uint32_t>(ninf) << sign_shift) | inf, 0};
      } else if (!any_nonzero) {
        r = OpResult{zero_word(all_negz ? 1u : 0u, fmt), 0};
      } else {
        // Truncate every non-zero term to a multiple of 2^(E - F), sum.
        const int unit = E - cfg_.align_bits;
        bool lost = false;
        int64_t S = 0;
        auto add_term = [&](uint64_t sig, int lsb, uint32_t sgn) {
          const int sh = unit - lsb;
          uint64_t t;
          if (sh <= 0) {
            t = sig << (-sh);
          } else {
            t = detail::shr64(sig, sh);
            if ((sig & detail::low_mask64(sh)) != 0) lost = true;
          }
          S += sgn ? -static_cast<int64_t>(t) : static_cast<int64_t>(t);
        };
        if (c.cls == kClsFinite) add_term(c.sig, c.exp, c.sign);
        for (int i = 0; i < n; ++i) {
          const detail::Fp8Dec& da = dec(in.a[i * in.sa], in.fa);
          const detail::Fp8Dec& db = dec(in.b[i * in.sb], in.fb);
          if ((da.cls | db.cls) != kClsFinite) continue;
          add_term(static_cast<uint64_t>(da.sig) * db.sig, da.exp + db.exp, static_cast<uint32_t>(da.sign ^ db.sign));
        }
        if (S == 0) {
          r = OpResult{0u, static_cast<uint8_t>(lost ? kFlagInexact : 0)};
        } else {
          const uint32_t sg = S < 0 ? 1u : 0u;
          const uint64_t M = sg ? static_cast<uint64_t>(-S) : static_cast<uint64_t>(S);
          r = round_pack(sg, M, unit, fmt, in.rnd, in.rand, cfg_.sr_bits, cfg_.sr_kind);
          if (lost) r.flags = static_cast<uint8_t>(r.flags | kFlagInexact);
        }
      }
      s->acc = r.bits;
      s->flags = static_cast<uint8_t>(s->flags | r.flags);
      break;
    }
    case PeKind::Exact: {
      i128 X = static_cast<i128>((static_cast<u128>(s->x_hi) << 64) | s->x_lo);
      uint8_t sp = s->special;
      for (int i = 0; i < cfg_.dot_n; ++i) {
        const detail::Fp8Dec& da = dec(in.a[i * in.sa], in.fa);
        const detail::Fp8Dec& db = dec(in.b[i * in.sb], in.fb);
        const uint8_t cls = static_cast<uint8_t>(da.cls | db.cls);
        const uint8_t ps = static_cast<uint8_t>(da.sign ^ db.sign);
        if (!(cls == kClsZero && ps)) sp = static_cast<uint8_t>(sp & ~kPeNegZero);
        if (cls & kClsNan) {
          sp |= kPeNan;
        } else if ((cls & kClsInf) && (cls & kClsZero)) {
          sp |= kPeInv;
        } else if (cls & kClsInf) {
          sp |= ps ? kPeInfNeg : kPeInfPos;
        } else if (cls == kClsFinite) {
          // An integer in units of 2^-32: the product's LSB exponent is >= -32.
          const i128 v = static_cast<i128>(static_cast<u128>(static_cast<uint64_t>(da.sig) * db.sig)
                                           << (da.exp + db.exp + 32));
          X += ps ? -v : v;
        }
      }
      const u128 ux = static_cast<u128>(X);
      s->x_lo = static_cast<uint64_t>(ux);
      s->x_hi = static_cast<uint64_t>(ux >> 64);
      s->special = sp;
      s->rnd = static_cast<uint8_t>(in.rnd);
      break;
    }
  }
  if (promote && (in.last || ++s->count == cfg_.promote_n / cfg_.dot_n)) {
    const OpResult w = wide_adder_.add(s->wide, fmt.to_f32_bits(s->acc), Round::RNE);
    s->wide = w.bits;
    s->flags = static_cast<uint8_t>(s->flags | w.flags);
    s->acc = 0;
    s->count = 0;
  }
}

OpResult Pe::result(const PeState& s, uint32_t u) const {
  if (cfg_.kind != PeKind::Exact) return OpResult{cfg_.promote_n > 0 ? s.wide : s.acc, s.flags};
  // numerics.md 10.3: one rounding of C + X * 2^-32.
  const AccFormat& fmt = cfg_.acc;
  const detail::Unpacked c = detail::unpack_acc(s.init, kFp32);
  bool inv = (s.special & kPeInv) != 0 || c.snan;
  const bool pinf = (s.special & kPeInfPos) != 0 || (c.cls == kClsInf && c.sign == 0);
  const bool ninf = (s.special & kPeInfNeg) != 0 || (c.cls == kClsInf && c.sign != 0);
  if (pinf && ninf) inv = true;
  const uint32_t sign_shift = static_cast<uint32_t>(fmt.exp_bits + fmt.man_bits);
  if (inv || (s.special & kPeNan) != 0 || c.cls == kClsNan) {
    return OpResult{fmt.canonical_nan(), static_cast<uint8_t>(inv ? kFlagInvalid : 0)};
  }
  if (pinf || ninf) {
    return OpResult{(static_cast<uint32_t>(ninf) << sign_shift) | (((1u << fmt.exp_bits) - 1u) << fmt.man_bits), 0};
  }
  const i128 X = static_cast<i128>((static_cast<u128>(s.x_hi) << 64) | s.x_lo);
  const uint32_t xs = X < 0 ? 1u : 0u;
  const u128 xm = xs ? static_cast<u128>(-X) : static_cast<u128>(X);
  if (xm == 0 && c.cls == kClsZero) {
    const bool negz = c.sign != 0 && (s.special & kPeNegZero) != 0;
    return OpResult{zero_word(negz ? 1u : 0u, fmt), 0};
  }
  uint32_t sign = c.sign;
  uint64_t M = c.sig;
  int E = c.exp;
  if (xm != 0) {
    // A zero C adds nothing: sum X with itself as the only operand.
    const bool nonzero = c.cls == kClsZero ? exact_sum_wide(xs, xm, -32, xs, 0, -100000, &sign, &M, &E)
                                           : exact_sum_wide(xs, xm, -32, c.sign, c.sig, c.exp, &sign, &M, &E);
    if (!nonzero) return OpResult{0u, 0u};  // exact cancellation: +0 in every mode
  }
  return round_pack(sign, M, E, fmt, static_cast<Round>(s.rnd), u, cfg_.sr_bits, cfg_.sr_kind);
}

OpResult Pe::tile(uint32_t init, const uint8_t* a, ptrdiff_t sa, const uint8_t* b, ptrdiff_t sb, size_t k,
                  Fp8Format fa, Fp8Format fb, Round rnd, Lfsr* lfsr) const {
  if (static_cast<unsigned>(rnd) > 2u) round_from_code(static_cast<unsigned>(rnd));  // throws
  if (rnd == Round::SR && lfsr == nullptr) {
    throw std::invalid_argument("Pe::tile: SR needs an Lfsr for the random words (lfsr is null)");
  }
  if (k == 0) throw std::invalid_argument("Pe::tile: a tile has at least one product (k = 0)");
  if (cfg_.kind == PeKind::Fma && cfg_.promote_n == 0) {
    // Section 4's MAC chain: AccAdder::dot is that loop (one draw per MAC).
    return adder_.dot(init & cfg_.acc.mask(), a, fa, b, fb, k, rnd, lfsr, sa, sb);
  }
  PeState st;
  PeStep in;
  in.fa = fa;
  in.fb = fb;
  in.rnd = rnd;
  in.init = init;
  const size_t n = static_cast<size_t>(cfg_.dot_n);
  const size_t steps = (k + n - 1) / n;
  uint8_t pa[kMaxDotN], pb[kMaxDotN];  // the last step's products, padded with +0 codes
  for (size_t j = 0; j < steps; ++j) {
    const size_t k0 = j * n;
    if (k0 + n <= k) {
      in.a = a + static_cast<ptrdiff_t>(k0) * sa;
      in.b = b + static_cast<ptrdiff_t>(k0) * sb;
      in.sa = sa;
      in.sb = sb;
    } else {
      for (size_t i = 0; i < n; ++i) {
        pa[i] = k0 + i < k ? a[static_cast<ptrdiff_t>(k0 + i) * sa] : uint8_t{0};
        pb[i] = k0 + i < k ? b[static_cast<ptrdiff_t>(k0 + i) * sb] : uint8_t{0};
      }
      in.a = pa;
      in.b = pb;
      in.sa = in.sb = 1;
    }
    in.first = j == 0;
    in.last = j + 1 == steps;
    if (cfg_.kind == PeKind::Exact) {
      in.rand = 0;
    } else {
      in.rand = lfsr != nullptr ? lfsr->draw() : 0u;
    }
    step(&st, in);
  }
  // exact: one draw per tile, taken at its last step; the rounding uses it.
  const uint32_t u = (cfg_.kind == PeKind::Exact && lfsr != nullptr) ? lfsr->draw() : 0u;
  return result(st, u);
}

}  // namespace fp8sa

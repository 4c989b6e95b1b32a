// The model registry and the four built-in models: see fp8sa/explore/models.hpp
// and docs/exploration.md "Method".
#include "fp8sa/explore/models.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/lfsr.hpp"
#include "fp8sa/pe.hpp"
#include "fp8sa/explore/point.hpp"
#include "fp8sa/explore/reference.hpp"

namespace fp8sa::explore {

namespace {

// The 32-bit seed of a point's LFSRs (never 0: an LFSR's dead state).
uint32_t seed32_of(uint64_t seed) {
  const uint32_t s = static_cast<uint32_t>(seed ^ (seed >> 32));
  return s == 0 ? 1u : s;
}

// "fp8sa": the array's own bits, gemm_functional (the functional back-end,
// bit-identical to the RTL) on an 8 x 4 array, one thread.
void run_fp8sa(const Point& p, const DataSet& d, double* y) {
  ArrayConfig cfg;
  cfg.rows = 8;
  cfg.cols = 4;
  cfg.acc = p.acc;
  cfg.sr_bits = p.sr_bits;
  cfg.lfsr_w = 32;
  cfg.seed = seed32_of(p.seed);
  cfg.promote_n = p.promote;
  cfg.pe_kind = p.pe;
  cfg.dot_n = p.dot_n;
  cfg.align_bits = p.align_bits;
  cfg.sr_kind = p.sr_kind;
  GemmProblem g;
  g.M = d.M;
  g.K = d.K;
  g.N = d.N;
  g.A = d.A.data();
  g.B = d.B.data();
  g.fmt_a = d.fa;
  g.fmt_b = d.fb;
  g.rnd = p.rnd;
  GemmOutput out;
  GemmOptions opt;
  opt.threads = 1;
  gemm_functional(g, cfg, &out, opt);
  const AccFormat of = cfg.result_format();
  const size_t n = static_cast<size_t>(d.M) * static_cast<size_t>(d.N);
  for (size_t i = 0; i < n; ++i) y[i] = output_word_value(out.out[i], OutKind::Raw, of);
}

__int128 abs128(__int128 v) { return v < 0 ? -v : v; }

int bitlen128(unsigned __int128 v) {
  const uint64_t hi = static_cast<uint64_t>(v >> 64), lo = static_cast<uint64_t>(v);
  if (hi != 0) return 128 - __builtin_clzll(hi);
  return lo != 0 ? 64 - __builtin_clzll(lo) : 0;
}

// Khattak & Mikaitis (2025)-style H100 FP8 block model, as this project
// reads it (not hardware): blocks of 32 exact products plus the running
// sum, every term truncated towards zero at 13 bits below the largest
// term's leading bit (14 bits kept), the truncated terms summed exactly; at
// most 33 * 2^14 < 2^20 at that LSB, so the binary32 sum is exact. Fixed
// point at 2^-45 (13 bits below the smallest product's LSB, 2^-32).
double km_block_dot(const int64_t* a, const int64_t* b, ptrdiff_t sb, int K) {
  __int128 c = 0;
  __int128 t[33];
  for (int k0 = 0; k0 < K; k0 += 32) {
    const int n = std::min(32, K - k0);
    int lead = bitlen128(static_cast<unsigned __int128>(abs128(c)));
    for (int i = 0; i < n; ++i) {
      t[i] = static_cast<__int128>(a[k0 + i]) * b[static_cast<ptrdiff_t>(k0 + i) * sb] * 8192;  // 2^-32 -> 2^-45
      lead = std::max(lead, bitlen128(static_cast<unsigned __int128>(abs128(t[i]))));
    }
    t[n] = c;
    const int sh = lead - 14;  // bits below the 14 kept
    __int128 s = 0;
    for (int i = 0; i <= n; ++i) {
      if (sh <= 0) {
        s += t[i];
      } else {
        const __int128 m = abs128(t[i]) >> sh;
        s += t[i] < 0 ? -m : m;
      }
    }
    c = sh <= 0 ? s : s * (static_cast<__int128>(1) << sh);
  }
  return std::ldexp(static_cast<double>(c), -45);
}


void run_km_block(const Point&, const DataSet& d, double* y) {
  const size_t M = static_cast<size_t>(d.M), K = static_cast<size_t>(d.K), N = static_cast<size_t>(d.N);
  std::vector<int64_t> ia(M * K), ib(K * N);
  for (size_t i = 0; i < ia.size(); ++i) ia[i] = fixed16(d.A[i], d.fa);
  for (size_t i = 0; i < ib.size(); ++i) ib[i] = fixed16(d.B[i], d.fb);
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n) y[m * N + n] = km_block_dot(&ia[m * K], &ib[n], static_cast<ptrdiff_t>(N), d.K);
}

// SR with other draws than the PE's: the fma PE (the PE seam, pe.hpp) fed
// with one-LFSR-step-apart draws (one_step), or with mt19937_64 words.
void run_sr_draws(const Point& p, const DataSet& d, double* y, bool one_step) {
  const size_t M = static_cast<size_t>(d.M), K = static_cast<size_t>(d.K), N = static_cast<size_t>(d.N);
  PeConfig pc;
  pc.acc = p.acc;
  pc.sr_bits = p.sr_bits;
  pc.sr_kind = p.sr_kind;
  const Pe pe(pc);
  const uint32_t mask = (1u << p.sr_bits) - 1u;
  const uint32_t seed32 = seed32_of(p.seed);
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n) {
      const uint32_t s = derive_seed(seed32, static_cast<uint32_t>(1 + m * N + n), 32);
      Lfsr l(32, p.sr_bits, s);
      std::mt19937_64 rng(s);
      PeState st;
      PeStep in;
      in.fa = d.fa;
      in.fb = d.fb;
      in.rnd = Round::SR;
      in.sb = static_cast<ptrdiff_t>(N);
      for (size_t k = 0; k < K; ++k) {
        if (one_step) {
          l.step();
          in.rand = l.state() & mask;
        } else {
          in.rand = static_cast<uint32_t>(rng()) & mask;
        }
        in.a = &d.A[m * K + k];
        in.b = &d.B[k * N + n];
        in.first = k == 0;
        in.last = k + 1 == K;
        pe.step(&st, in);
      }
      y[m * N + n] = output_word_value(pe.result(st).bits, OutKind::Raw, p.acc);
    }
}

struct Registry {
  std::mutex mu;
  std::vector<std::unique_ptr<ModelEntry>> entries;  // stable addresses: the planner keeps pointers
};

void add(Registry& r, ModelEntry m) {
  if (m.name.empty() || !m.run) throw std::invalid_argument("register_model: a model needs a name and a run function");
  for (const auto& e : r.entries)
    if (e->name == m.name) throw std::invalid_argument("register_model: model '" + m.name + "' is already registered");
  r.entries.push_back(std::make_unique<ModelEntry>(std::move(m)));
}

Registry& registry() {
  static Registry* r = [] {
    auto* g = new Registry;
    ModelEntry hw;
    hw.name = "fp8sa";
    hw.description = "the array's own bits: gemm_functional (bit-identical to the RTL) on an 8 x 4 array";
    hw.hardware = true;
    hw.cost = 1;
    hw.run = run_fp8sa;
    add(*g, hw);
    ModelEntry km;
    km.name = "km-block";
    km.description = "Khattak & Mikaitis (2025)-style H100 FP8 block model (not hardware): blocks of 32 products "
                     "truncated to 14 bits below the largest term";
    km.uses_acc = false;
    km.run = run_km_block;
    add(*g, km);
    ModelEntry s1;
    s1.name = "sr-1step";
    s1.description = "the fp8sa MAC with SR draws one LFSR step apart (not hardware)";
    s1.sr_only = true;
    s1.run = [](const Point& p, const DataSet& d, double* y) { run_sr_draws(p, d, y, true); };
    add(*g, s1);
    ModelEntry si;
    si.name = "sr-ideal";
    si.description = "the fp8sa MAC with SR draws from mt19937_64 (not hardware)";
    si.sr_only = true;
    si.run = [](const Point& p, const DataSet& d, double* y) { run_sr_draws(p, d, y, false); };
    add(*g, si);
    return g;
  }();
  return *r;
}

}  // namespace

void register_model(ModelEntry m) {
  Registry& r = registry();
  std::lock_guard<std::mutex> l(r.mu);
  add(r, std::move(m));
}

const ModelEntry& find_model(const std::string& s) {
  Registry& r = registry();
  std::lock_guard<std::mutex> l(r.mu);
  std::string names;
  for (size_t i = 0; i < r.entries.size(); ++i) {
    if (r.entries[i]->name == s) return *r.entries[i];
    names += (i == 0 ? "" : i + 1 == r.entries.size() ? " or " : ", ") + r.entries[i]->name;
  }
  throw std::invalid_argument("model '" + s + "': expected " + names);
}

std::vector<const ModelEntry*> models() {
  Registry& r = registry();
  std::lock_guard<std::mutex> l(r.mu);
  std::vector<const ModelEntry*> v;
  for (const auto& e : r.entries) v.push_back(e.get());
  return v;
}

}  // namespace fp8sa::explore

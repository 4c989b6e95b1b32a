// fp8sa explore's engine: see explore.hpp and docs/exploration.md "Method".
#include "explore.hpp"

#include <algorithm>
#include <ctime>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/lfsr.hpp"
#include "fp8sa/pe.hpp"
#include "npy.hpp"

namespace fp8sa::explore {

namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string fmt_g(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  char b[40];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

int rows_of(int trials) { return (trials + 3) / 4; }

// Quantizes a binary32 value to an FP8 code: RNE, saturating.
uint8_t to_fp8(float x, Fp8Format f) {
  static const Quantizer q(kFp32);
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return static_cast<uint8_t>(
      q.quantize(b, f == Fp8Format::E4M3 ? OutFormat::E4M3 : OutFormat::E5M2, Round::RNE, true).bits);
}

// The float32 values of an .npy tensor, any shape (cli::read_npy checks it).
std::vector<float> npy_floats(const std::string& path) {
  cli::NpyArray a;
  try {
    a = cli::read_npy(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("data npy: ") + e.what());
  }
  if (a.descr != "<f4") {
    throw std::invalid_argument("data npy: " + path + ": dtype " + a.descr + ", expected float32 ('<f4')");
  }
  if (a.count() == 0) throw std::invalid_argument("data npy: " + path + ": no elements");
  std::vector<float> v(a.count());
  std::memcpy(v.data(), a.data.data(), v.size() * 4);
  return v;
}

// Per-tensor power-of-two scale that brings max |x| within the FP8 format
// (as FP8 training scales a tensor), and the codes; non-finite values -> 0.
// A tensor with no finite non-zero value is refused: every point on it
// would report a zero (or undefined) error.
std::vector<uint8_t> quantize_tensor(const std::vector<float>& x, Fp8Format f, const std::string& path,
                                     std::string* note) {
  float amax = 0;
  size_t bad = 0;
  for (float v : x) {
    if (!std::isfinite(v)) {
      ++bad;
    } else {
      amax = std::max(amax, std::fabs(v));
    }
  }
  if (!(amax > 0))
    throw std::invalid_argument("data npy: " + path + ": no finite non-zero value (" + std::to_string(x.size()) +
                                " values, " + std::to_string(bad) + " non-finite): nothing to measure an error on");
  const double fmax = format_info(f).max_finite();
  const int e = amax > 0 ? static_cast<int>(std::floor(std::log2(fmax / amax))) : 0;
  std::vector<uint8_t> c(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float v = std::isfinite(x[i]) ? static_cast<float>(std::ldexp(static_cast<double>(x[i]), e)) : 0.0f;
    c[i] = to_fp8(v, f);
  }
  char b[160];
  std::snprintf(b, sizeof b, "%zu values, scaled by 2^%d to %s%s", x.size(), e, format_name(f),
                bad ? (", " + std::to_string(bad) + " non-finite set to 0").c_str() : "");
  *note += (note->empty() ? "" : "; ") + std::string(b);
  return c;
}

// value * 2^16 of an FP8 code, an integer for every finite code.
int64_t fixed16(uint8_t code, Fp8Format f) { return static_cast<int64_t>(std::ldexp(fp8_to_double(code, f), 16)); }

double to_double(__int128 v, int scale) { return std::ldexp(static_cast<double>(v), scale); }

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
  return to_double(c, -45);
}

}  // namespace

const char* model_name(Model m) {
  switch (m) {
    case Model::Hw: return "fp8sa";
    case Model::KmBlock: return "km-block";
    case Model::Sr1Step: return "sr-1step";
    default: return "sr-ideal";
  }
}

Model parse_model(const std::string& s) {
  for (Model m : {Model::Hw, Model::KmBlock, Model::Sr1Step, Model::SrIdeal})
    if (s == model_name(m)) return m;
  throw std::invalid_argument("model '" + s + "': expected fp8sa, km-block, sr-1step or sr-ideal");
}

std::string operands_name(Fp8Format fa, Fp8Format fb) {
  if (fa == fb) return format_name(fa);
  return std::string(format_name(fa)) + "x" + format_name(fb);
}

void parse_operands(const std::string& s, Fp8Format* fa, Fp8Format* fb) {
  for (Fp8Format a : {Fp8Format::E4M3, Fp8Format::E5M2})
    for (Fp8Format b : {Fp8Format::E4M3, Fp8Format::E5M2})
      if (s == operands_name(a, b) || (a == b && s == std::string(format_name(a)) + "x" + format_name(b))) {
        *fa = a;
        *fb = b;
        return;
      }
  throw std::invalid_argument("operands '" + s + "': expected e4m3, e5m2, e4m3xe5m2 or e5m2xe4m3");
}

std::string Point::key() const {
  const bool km = model == Model::KmBlock;
  const bool sr = model == Model::Sr1Step || model == Model::SrIdeal || rnd == Round::SR;
  char b[512];
  std::snprintf(b, sizeof b, "model=%s acc=%s round=%s R=%s promote=%s k=%d ops=%s data=%s trials=%d seed=%" PRIu64,
                model_name(model), km ? "-" : acc.name().c_str(),
                km ? "-" : (model == Model::Hw ? round_name(rnd) : "sr"),
                (!km && sr) ? std::to_string(sr_bits).c_str() : "-",
                model == Model::Hw ? std::to_string(promote).c_str() : "-", k, operands_name(fa, fb).c_str(),
                data.c_str(), 4 * rows_of(trials), seed);
  // The PE and SR kinds appear only when they are not the defaults, so that
  // the keys (and cached points) of fma / mid points stay what they were.
  std::string text = b;
  if (model == Model::Hw && pe != PeKind::Fma) {
    text += std::string(" pe=") + pe_kind_name(pe) + "/" + std::to_string(dot_n);
    if (pe == PeKind::Dot) text += "/" + std::to_string(align_bits);
  }
  if (sr && sr_kind != SrKind::Mid) text += std::string(" srk=") + sr_kind_name(sr_kind);
  return text;
}

std::string Point::data_key() const {
  char b[512];
  std::snprintf(b, sizeof b, "k=%d ops=%s data=%s trials=%d seed=%" PRIu64, k, operands_name(fa, fb).c_str(),
                data.c_str(), 4 * rows_of(trials), seed);
  return b;
}

std::shared_ptr<const DataSet> make_data(const Point& p) {
  auto d = std::make_shared<DataSet>();
  d->M = rows_of(p.trials);
  d->K = p.k;
  d->N = 4;
  d->fa = p.fa;
  d->fb = p.fb;
  const size_t M = static_cast<size_t>(d->M), K = static_cast<size_t>(d->K), N = 4;
  d->A.resize(M * K);
  d->B.resize(K * N);
  std::mt19937_64 rng(fnv1a(p.data_key()));
  if (p.data.rfind("npy:", 0) == 0) {
    const std::string spec = p.data.substr(4);
    const size_t colon = spec.find(':');
    const std::string pa = spec.substr(0, colon), pb = colon == std::string::npos ? pa : spec.substr(colon + 1);
    const std::vector<float> xa = npy_floats(pa);
    const std::vector<float> xb = colon == std::string::npos ? xa : npy_floats(pb);
    const std::vector<uint8_t> ca = quantize_tensor(xa, p.fa, pa, &d->note);
    const std::vector<uint8_t> cb = quantize_tensor(xb, p.fb, pb, &d->note);
    // Windows of K consecutive values: A's rows from the start of its
    // tensor, B's columns from the middle of its own (wrapping around).
    const size_t off = colon == std::string::npos ? cb.size() / 2 : 0;
    for (size_t i = 0; i < M * K; ++i) d->A[i] = ca[i % ca.size()];
    for (size_t n = 0; n < N; ++n)
      for (size_t k = 0; k < K; ++k) d->B[k * N + n] = cb[(off + n * K + k) % cb.size()];
  } else {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::uniform_real_distribution<float> ud(0.0f, 1.0f);
    std::student_t_distribution<float> td(3.0f);
    auto gen = [&](Fp8Format f) -> uint8_t {
      if (p.data == "normal") return to_fp8(nd(rng), f);
      if (p.data == "uniform") return to_fp8(ud(rng), f);
      if (p.data == "heavy") return to_fp8(td(rng), f);
      throw std::invalid_argument("data '" + p.data + "': expected normal, uniform, heavy or npy:FILE[:FILE]");
    };
    for (auto& a : d->A) a = gen(p.fa);
    for (auto& b : d->B) b = gen(p.fb);
  }
  // Exact sums: value * 2^16 of every operand is an integer below 2^32, so
  // products are exact integers at 2^-32 below 2^64, K of them below 2^80.
  std::vector<int64_t> ia(M * K), ib(K * N);
  for (size_t i = 0; i < ia.size(); ++i) ia[i] = fixed16(d->A[i], p.fa);
  for (size_t i = 0; i < ib.size(); ++i) ib[i] = fixed16(d->B[i], p.fb);
  d->exact.resize(M * N);
  d->abs_sum.resize(M * N);
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n) {
      __int128 s = 0, sa = 0;
      for (size_t k = 0; k < K; ++k) {
        const __int128 pr = static_cast<__int128>(ia[m * K + k]) * ib[k * N + n];
        s += pr;
        sa += abs128(pr);
      }
      d->exact[m * N + n] = to_double(s, -32);
      d->abs_sum[m * N + n] = to_double(sa, -32);
    }
  return d;
}

namespace {

// This thread's CPU time: a point runs on one thread, and the machine may
// be shared, so wall-clock time would measure the neighbours too.
double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

Stats run_point(const Point& p, const DataSet& d) {
  const double t0 = thread_cpu_seconds();
  const size_t M = static_cast<size_t>(d.M), K = static_cast<size_t>(d.K), N = static_cast<size_t>(d.N);
  std::vector<double> y(M * N);
  const uint32_t seed32 = static_cast<uint32_t>(p.seed ^ (p.seed >> 32)) == 0 ? 1u : static_cast<uint32_t>(p.seed ^ (p.seed >> 32));
  if (p.model == Model::Hw) {
    ArrayConfig cfg;
    cfg.rows = 8;
    cfg.cols = 4;
    cfg.acc = p.acc;
    cfg.sr_bits = p.sr_bits;
    cfg.lfsr_w = 32;
    cfg.seed = seed32;
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
    for (size_t i = 0; i < M * N; ++i) y[i] = output_word_value(out.out[i], OutKind::Raw, of);
  } else if (p.model == Model::KmBlock) {
    std::vector<int64_t> ia(M * K), ib(K * N);
    for (size_t i = 0; i < ia.size(); ++i) ia[i] = fixed16(d.A[i], d.fa);
    for (size_t i = 0; i < ib.size(); ++i) ib[i] = fixed16(d.B[i], d.fb);
    for (size_t m = 0; m < M; ++m)
      for (size_t n = 0; n < N; ++n)
        y[m * N + n] = km_block_dot(&ia[m * K], &ib[n], static_cast<ptrdiff_t>(N), d.K);
  } else {
    // SR with other draws than the PE's: the fma PE (the PE seam, pe.hpp)
    // fed with one-LFSR-step-apart draws, or with mt19937_64 words.
    PeConfig pc;
    pc.acc = p.acc;
    pc.sr_bits = p.sr_bits;
    pc.sr_kind = p.sr_kind;
    const Pe pe(pc);
    const uint32_t mask = (1u << p.sr_bits) - 1u;
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
          if (p.model == Model::Sr1Step) {
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
  Stats s;
  double sum_abs = 0, sum_sq = 0, sum = 0, sum_nsq = 0;
  int nn = 0;
  for (size_t i = 0; i < M * N; ++i) {
    const double x = d.exact[i];
    if (!std::isfinite(y[i])) {
      ++s.nonfinite;
      continue;
    }
    if (d.abs_sum[i] > 0) {
      const double e = std::fabs(y[i] - x) / d.abs_sum[i];
      sum_nsq += e * e;
      s.max_norm = std::max(s.max_norm, e);
      ++nn;
    }
    if (x == 0) {
      ++s.zero_exact;
      continue;
    }
    const double r = (y[i] - x) / std::fabs(x);
    ++s.trials;
    sum += r;
    sum_abs += std::fabs(r);
    sum_sq += r * r;
    s.max_rel = std::max(s.max_rel, std::fabs(r));
  }
  if (s.trials > 0) {
    s.mean_rel = sum_abs / s.trials;
    s.rms_rel = std::sqrt(sum_sq / s.trials);
    s.bias = sum / s.trials;
    const double var = std::max(0.0, sum_sq / s.trials - s.bias * s.bias);
    s.bias_se = s.trials > 1 ? std::sqrt(var / (s.trials - 1)) : 0.0;
  }
  if (nn > 0) s.rms_norm = std::sqrt(sum_nsq / nn);
  if (s.nonfinite > 0) {
    const double inf = std::numeric_limits<double>::infinity();
    s.mean_rel = s.rms_rel = s.max_rel = s.rms_norm = s.max_norm = inf;
    s.bias = s.bias_se = inf;
    s.trials += s.nonfinite;
  }
  s.macs = static_cast<uint64_t>(M) * N * K;
  s.seconds = thread_cpu_seconds() - t0;
  return s;
}

namespace {

std::string cache_path(const std::string& dir, const Point& p) {
  char b[32];
  std::snprintf(b, sizeof b, "%016" PRIx64 ".txt", fnv1a(std::string(kVersion) + "|" + p.key()));
  return dir + "/" + b;
}

double parse_num(const std::string& s) {
  if (s == "inf") return std::numeric_limits<double>::infinity();
  return std::strtod(s.c_str(), nullptr);
}

}  // namespace

bool cache_load(const std::string& dir, const Point& p, Stats* s) {
  if (dir.empty()) return false;
  std::ifstream f(cache_path(dir, p));
  std::string version, key, line;
  if (!std::getline(f, version) || !std::getline(f, key) || !std::getline(f, line)) return false;
  if (version != kVersion || key != p.key()) return false;
  std::istringstream is(line);
  std::string v[13];
  for (auto& x : v)
    if (!(is >> x)) return false;
  s->trials = std::atoi(v[0].c_str());
  s->zero_exact = std::atoi(v[1].c_str());
  s->nonfinite = std::atoi(v[2].c_str());
  s->mean_rel = parse_num(v[3]);
  s->rms_rel = parse_num(v[4]);
  s->max_rel = parse_num(v[5]);
  s->bias = parse_num(v[6]);
  s->bias_se = parse_num(v[7]);
  s->rms_norm = parse_num(v[8]);
  s->max_norm = parse_num(v[9]);
  s->macs = std::strtoull(v[10].c_str(), nullptr, 10);
  s->seconds = parse_num(v[11]);
  return v[12] == "end";
}

void cache_store(const std::string& dir, const Point& p, const Stats& s) {
  if (dir.empty()) return;
  const std::string path = cache_path(dir, p), tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    char b[512];
    std::snprintf(b, sizeof b, "%d %d %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g %" PRIu64 " %.6g end", s.trials,
                  s.zero_exact, s.nonfinite, s.mean_rel, s.rms_rel, s.max_rel, s.bias, s.bias_se, s.rms_norm,
                  s.max_norm, s.macs, s.seconds);
    // %.17g prints inf as "inf", which parse_num reads back.
    f << kVersion << "\n" << p.key() << "\n" << b << "\n";
    if (!f) return;
  }
  std::rename(tmp.c_str(), path.c_str());
}

std::string csv_header() {
  return "model,acc,round,sr_bits,promote,k,operands,data,trials,seed,mean_rel,rms_rel,max_rel,bias,bias_se,"
         "rms_norm,max_norm,zero_exact,nonfinite,macs,seconds,pe,dot_n,align_bits,sr_kind";
}

std::string csv_line(const Point& p, const Stats& s, bool with_time) {
  const bool km = p.model == Model::KmBlock;
  const bool sr = !km && (p.model != Model::Hw || p.rnd == Round::SR);
  std::string data = p.data;
  std::replace(data.begin(), data.end(), ',', ';');
  std::ostringstream o;
  o << model_name(p.model) << "," << (km ? "-" : p.acc.name()) << ","
    << (km ? "-" : (p.model == Model::Hw ? round_name(p.rnd) : "sr")) << "," << (sr ? std::to_string(p.sr_bits) : "-")
    << "," << (p.model == Model::Hw ? p.promote : 0) << "," << p.k << "," << operands_name(p.fa, p.fb) << "," << data
    << "," << s.trials << "," << p.seed << "," << fmt_g(s.mean_rel) << "," << fmt_g(s.rms_rel) << ","
    << fmt_g(s.max_rel) << "," << fmt_g(s.bias) << "," << fmt_g(s.bias_se) << "," << fmt_g(s.rms_norm) << ","
    << fmt_g(s.max_norm) << "," << s.zero_exact << "," << s.nonfinite << "," << s.macs << ","
    << (with_time ? fmt_g(s.seconds) : std::string("-"));
  const bool hw = p.model == Model::Hw;
  o << "," << (hw ? pe_kind_name(p.pe) : "-") << "," << (hw ? std::to_string(p.dot_n) : "-") << ","
    << (hw && p.pe == PeKind::Dot ? std::to_string(p.align_bits) : "-") << "," << (sr ? sr_kind_name(p.sr_kind) : "-");
  return o.str();
}

}  // namespace fp8sa::explore

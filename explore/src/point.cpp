// fp8sa explore's points and operands: see fp8sa/explore/point.hpp and
// docs/exploration.md "Method".
#include "fp8sa/explore/point.hpp"

#include <algorithm>
#include <mutex>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>

#include "fp8sa/array.hpp"
#include "fp8sa/pe.hpp"
#include "fp8sa/explore/models.hpp"
#include "fp8sa/explore/reference.hpp"

namespace fp8sa::explore {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

namespace {

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

std::mutex reader_mu;
TensorReader& tensor_reader() {
  static TensorReader r;
  return r;
}

// The float32 values of a tensor file, through the program's reader.
std::vector<float> npy_floats(const std::string& path) {
  TensorReader r;
  {
    std::lock_guard<std::mutex> l(reader_mu);
    r = tensor_reader();
  }
  if (!r) throw std::invalid_argument("data npy: " + path + ": this program reads no tensor files");
  std::vector<float> v;
  try {
    v = r(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("data npy: ") + e.what());
  }
  if (v.empty()) throw std::invalid_argument("data npy: " + path + ": no elements");
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

}  // namespace

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
  const ModelEntry& m = find_model(model);
  const bool km = !m.uses_acc;
  const bool sr = m.sr_only || (!km && rnd == Round::SR);
  char b[512];
  std::snprintf(b, sizeof b, "model=%s acc=%s round=%s R=%s promote=%s k=%d ops=%s data=%s trials=%d seed=%" PRIu64,
                m.name.c_str(), km ? "-" : acc.name().c_str(),
                km ? "-" : (m.hardware ? round_name(rnd) : "sr"),
                (!km && sr) ? std::to_string(sr_bits).c_str() : "-",
                m.hardware ? std::to_string(promote).c_str() : "-", k, operands_name(fa, fb).c_str(),
                data.c_str(), 4 * rows_of(trials), seed);
  // The PE and SR kinds appear only when they are not the defaults, so that
  // the keys (and cached points) of fma / mid points stay what they were.
  std::string text = b;
  if (m.hardware && pe != PeKind::Fma) {
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

void set_tensor_reader(TensorReader reader) {
  std::lock_guard<std::mutex> l(reader_mu);
  tensor_reader() = std::move(reader);
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
  exact_dots(d->A.data(), p.fa, d->B.data(), p.fb, d->M, d->K, d->N, &d->exact, &d->abs_sum);
  return d;
}

std::string csv_header() {
  return "model,acc,round,sr_bits,promote,k,operands,data,trials,seed,mean_rel,rms_rel,max_rel,bias,bias_se,"
         "rms_norm,max_norm,zero_exact,nonfinite,macs,seconds,pe,dot_n,align_bits,sr_kind";
}

std::string csv_line(const Point& p, const Stats& s, bool with_time) {
  const ModelEntry& m = find_model(p.model);
  const bool km = !m.uses_acc;
  const bool sr = !km && (m.sr_only || p.rnd == Round::SR);
  std::string data = p.data;
  std::replace(data.begin(), data.end(), ',', ';');
  std::ostringstream o;
  o << m.name << "," << (km ? "-" : p.acc.name()) << ","
    << (km ? "-" : (m.hardware ? round_name(p.rnd) : "sr")) << "," << (sr ? std::to_string(p.sr_bits) : "-")
    << "," << (m.hardware ? p.promote : 0) << "," << p.k << "," << operands_name(p.fa, p.fb) << "," << data
    << "," << s.trials << "," << p.seed << "," << fmt_g(s.mean_rel) << "," << fmt_g(s.rms_rel) << ","
    << fmt_g(s.max_rel) << "," << fmt_g(s.bias) << "," << fmt_g(s.bias_se) << "," << fmt_g(s.rms_norm) << ","
    << fmt_g(s.max_norm) << "," << s.zero_exact << "," << s.nonfinite << "," << s.macs << ","
    << (with_time ? fmt_g(s.seconds) : std::string("-"));
  const bool hw = m.hardware;
  o << "," << (hw ? pe_kind_name(p.pe) : "-") << "," << (hw ? std::to_string(p.dot_n) : "-") << ","
    << (hw && p.pe == PeKind::Dot ? std::to_string(p.align_bits) : "-") << "," << (sr ? sr_kind_name(p.sr_kind) : "-");
  return o.str();
}

}  // namespace fp8sa::explore

#include "bench_util.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>

namespace fp8sa::bench {

std::vector<uint8_t> randn_fp8(size_t n, Fp8Format fmt, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const Quantizer q(kFp32);
  const OutFormat of = fmt == Fp8Format::E4M3 ? OutFormat::E4M3 : OutFormat::E5M2;
  std::vector<uint8_t> v(n);
  for (auto& c : v) {
    const float x = nd(rng);
    uint32_t b;
    std::memcpy(&b, &x, 4);
    c = static_cast<uint8_t>(q.quantize(b, of, Round::RNE, true).bits);
  }
  return v;
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void Report::line(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  text += std::string(buf) + "\n";
  std::printf("%s\n", buf);
  std::fflush(stdout);
}

void Usage::error(const std::string& m) const {
  std::fprintf(stderr, "%s: %s\n", prog, m.c_str());
  std::fputs(text, stderr);
  std::exit(2);
}

int Usage::parse_int(const std::string& s, const char* what, int lo, int hi) const {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < lo || v > hi) {
    error(std::string(what) + ": '" + s + "' is not an integer in [" + std::to_string(lo) + ", " +
          std::to_string(hi) + "]");
  }
  return static_cast<int>(v);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> v;
  std::string cur;
  for (char c : s + sep) {
    if (c == sep) {
      if (!cur.empty()) v.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return v;
}

}  // namespace fp8sa::bench

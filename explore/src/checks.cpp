// fp8sa explore --quick's sanity checks: see fp8sa/explore/checks.hpp.
#include "fp8sa/explore/checks.hpp"

#include <cmath>
#include <cstdio>

#include "fp8sa/explore/models.hpp"

namespace fp8sa::explore {

namespace {

struct Query {
  std::string model = "fp8sa";
  std::string acc = "e8m23";
  Round rnd = Round::RNE;
  int sr_bits = 16, promote = 0, k = 4096;
  std::string ops = "e4m3", data = "uniform";
};

// The matching point with the most trials (sweeps may share a point at
// different trial counts).
const Result* find(const std::vector<Result>& rs, const Query& q) {
  const Result* best = nullptr;
  for (const Result& r : rs) {
    const Point& p = r.p;
    if (p.model != q.model || p.k != q.k || operands_name(p.fa, p.fb) != q.ops || p.data != q.data) continue;
    const ModelEntry& m = find_model(q.model);
    if (m.uses_acc) {  // what the model reads must match; the rest is "-" in its key
      if (p.acc.name() != q.acc) continue;
      if (m.hardware && (p.rnd != q.rnd || p.promote != q.promote)) continue;
      if ((!m.hardware || q.rnd == Round::SR) && p.sr_bits != q.sr_bits) continue;
    }
    if (!best || r.p.trials > best->p.trials) best = &r;
  }
  return best;
}

std::string g3(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

std::string pct(double v) {
  if (std::isinf(v)) return "Inf";
  char b[32];
  std::snprintf(b, sizeof b, "%.3g%%", 100.0 * v);
  return b;
}

}  // namespace

std::vector<std::string> sanity(const std::vector<Result>& rs) {
  std::vector<std::string> bad;
  auto need = [&](const Query& q, const char* what) -> const Result* {
    const Result* r = find(rs, q);
    if (!r) bad.push_back(std::string("missing point: ") + what);
    return r;
  };
  Query q;
  q.k = 4096;
  if (const Result* r = need(q, "e8m23 rne k=4096 uniform"); r && !(r->s.rms_rel < 1e-5))
    bad.push_back("FP32 RMS relative error " + g3(r->s.rms_rel) + " is not below 1e-5");
  q.data = "normal";
  if (const Result* r = need(q, "e8m23 rne k=4096 normal"); r && !(r->s.rms_norm < 1e-6))
    bad.push_back("FP32 RMS normwise error " + g3(r->s.rms_norm) + " on normal data is not below 1e-6");
  q = Query();
  q.acc = "e8m4";
  if (const Result* r = need(q, "e8m4 rne k=4096 uniform"); r && !(r->s.bias < -0.3))
    bad.push_back("no swamping cliff: e8m4 RNE bias " + pct(r->s.bias) + " at K = 4096 is not below -30%");
  q.rnd = Round::SR;
  if (const Result* r = need(q, "e8m4 sr k=4096 uniform"); r && !(std::fabs(r->s.bias) < 0.02))
    bad.push_back("SR is biased: e8m4 SR R=16 bias " + pct(r->s.bias) + " at K = 4096");
  q = Query();
  q.acc = "e8m13";
  q.rnd = Round::RZ;
  const Result* a = need(q, "e8m13 rz k=4096 uniform");
  q.promote = 128;
  const Result* b = need(q, "e8m13 rz promote 128 k=4096 uniform");
  if (a && b && !(std::fabs(b->s.bias) < std::fabs(a->s.bias) / 4))
    bad.push_back("promotion every 128 does not cut e8m13 RZ's bias by 4x: " + pct(a->s.bias) + " -> " + pct(b->s.bias));
  Query c;
  c.model = "km-block";
  if (const Result* r = need(c, "km-block k=4096 uniform"); r && !(r->s.bias < 0 && r->s.bias > -0.2))
    bad.push_back("km-block bias " + pct(r->s.bias) + " is not in (-20%, 0)");
  return bad;
}

}  // namespace fp8sa::explore

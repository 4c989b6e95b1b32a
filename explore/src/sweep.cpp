// fp8sa explore's sweep files: see fp8sa/explore/sweep.hpp.
#include "fp8sa/explore/sweep.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include <sys/stat.h>

#include "fp8sa/array.hpp"
#include "fp8sa/explore/models.hpp"
#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"
#include "text.hpp"

namespace fp8sa::explore {

using text::parse_int;
using text::shown;
using text::to_lower;

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(s);
  while (std::getline(is, cur, ',')) {
    cur = trim(cur);
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}


const char* const kQuickSweep =
    "trials = 64\n"
    "seed = 1\n"
    "operands = e4m3\n"
    "[sweep fp32]\n"
    "acc = e8m23\n"
    "k = 1024, 4096\n"
    "data = uniform, normal\n"
    "[sweep cliff]\n"
    "acc = e8m4, e8m10\n"
    "round = rne, sr\n"
    "k = 4096\n"
    "data = uniform\n"
    "[sweep hopper]\n"
    "acc = e8m13\n"
    "round = rz\n"
    "promote = 0, 128\n"
    "k = 4096\n"
    "data = uniform\n"
    "[sweep block]\n"
    "model = km-block\n"
    "k = 4096\n"
    "data = uniform\n";

namespace {

// The ArrayConfig fields a sweep sets, named by member: Field::promote_n
// is checked by the compiler against the list.
#define FP8SA_SWEEP_FIELD(member, ...) member,
enum class Field : size_t { FP8SA_ARRAY_FIELDS(FP8SA_SWEEP_FIELD) };
#undef FP8SA_SWEEP_FIELD
constexpr Field kSweptFields[] = {Field::acc,   Field::sr_bits,    Field::promote_n, Field::pe_kind,
                                  Field::dot_n, Field::align_bits, Field::sr_kind};

const ArrayField& array_field(Field f) { return array_fields().at(static_cast<size_t>(f)); }

// A field's sweep key: its list name with '_' for '-' ("dot-n" -> "dot_n").
const std::string& field_key(Field f) {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> v;
    for (const ArrayField& af : array_fields()) v.push_back(af.python_name());
    return v;
  }();
  return keys.at(static_cast<size_t>(f));
}

// The keys' list for messages: "model, acc, round, ...".
std::string keys_text() {
  std::string s;
  for (const std::string& k : sweep_keys()) s += (s.empty() ? "" : ", ") + k;
  return s;
}


// a * b, saturating at UINT64_MAX.
uint64_t mul_sat(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// An inclusive range of integers.
struct Range {
  long long a, b;
  uint64_t size() const { return static_cast<uint64_t>(b - a) + 1; }
};

// "a" or "a..b" of integers in [lo, hi] (not expanded: "seed = 0..2^62" is two numbers).
Range int_range(const std::string& s, long long lo, long long hi, const std::string& what) {
  const size_t dd = s.find("..");
  if (dd == std::string::npos) {
    const long long v = parse_int(s, lo, hi, what);
    return {v, v};
  }
  const long long a = parse_int(s.substr(0, dd), lo, hi, what), b = parse_int(s.substr(dd + 2), lo, hi, what);
  if (b < a) throw SweepError(what + ": empty range '" + shown(s) + "'");
  return {a, b};
}

// int_range over an array field's legal range (FP8SA_ARRAY_FIELDS lo, hi).
Range field_range(const std::string& s, Field f, const std::string& what) {
  return int_range(s, array_field(f).lo, array_field(f).hi, what);
}

uint64_t total(const std::vector<Range>& rs) {
  uint64_t n = 0;
  for (const Range& r : rs) n = add_sat(n, r.size());
  return n;
}

// "eXmY" with X and Y each a number or a range a..b: "e8m2..23", "e4..8m10".
struct AccItem {
  Range x, y;
};

AccItem acc_item(const std::string& item, const std::string& what) {
  const std::string s = to_lower(item);
  const size_t m = s.find('m');
  if (s.size() < 4 || s[0] != 'e' || m == std::string::npos) {
    throw SweepError(what + ": '" + shown(item) + "' is not eXmY (e.g. e8m23, e8m2..23, e4..8m10)");
  }
  return {int_range(s.substr(1, m - 1), 4, 8, what + " (exponent bits)"),
          int_range(s.substr(m + 1), 2, 23, what + " (mantissa bits)")};
}

// A section's lists, parsed and validated, not yet multiplied out.
struct Lists {
  std::vector<const ModelEntry*> models;  // the registry's entries
  std::vector<AccItem> accs;
  std::vector<Round> rounds;
  std::vector<Range> sr_bits, ks;
  std::vector<int> promotes, trials;
  std::vector<std::pair<Fp8Format, Fp8Format>> ops;
  std::vector<std::string> data;
  std::vector<Range> seeds;
  // The PE (docs/numerics.md section 10) and the SR construction (section 5).
  std::vector<PeKind> pes;
  std::vector<int> dot_ns;
  std::vector<Range> aligns;
  std::vector<SrKind> sr_kinds;

  uint64_t accs_count() const {
    uint64_t n = 0;
    for (const AccItem& a : accs) n = add_sat(n, mul_sat(a.x.size(), a.y.size()));
    return n;
  }
  // Points before duplicates are removed: what the model ignores counts once
  // (km-block: accumulator, rounding, R, promotion; the SR models: rounding
  // and promotion; R only with SR).
  uint64_t count() const {
    const uint64_t n_sr = static_cast<uint64_t>(std::count(rounds.begin(), rounds.end(), Round::SR));
    const uint64_t n_det = rounds.size() - n_sr;
    uint64_t per_model = 0;
    for (const ModelEntry* m : models) {
      uint64_t c;
      if (!m->uses_acc) {
        c = 1;
      } else if (m->hardware) {
        c = mul_sat(mul_sat(accs_count(), add_sat(n_det, mul_sat(mul_sat(n_sr, total(sr_bits)), sr_kinds.size()))),
                    promotes.size());
        // Every PE kind x DOT_N x window (an upper bound: fma ignores the
        // last two, exact the window).
        c = mul_sat(c, mul_sat(mul_sat(pes.size(), dot_ns.size()), total(aligns)));
      } else {
        c = mul_sat(mul_sat(accs_count(), total(sr_bits)), sr_kinds.size());
      }
      per_model = add_sat(per_model, c);
    }
    uint64_t n = mul_sat(per_model, total(ks));
    for (size_t s : {ops.size(), data.size(), trials.size()}) n = mul_sat(n, s);
    n = mul_sat(n, total(seeds));
    return n;
  }
};

std::string where(const std::string& file, int line) { return file + ":" + std::to_string(line); }

Lists parse_lists(const SweepSection& s, const std::string& file) {
  Lists l;
  // The list of key k (its default when absent) and "FILE:LINE: k" for its messages.
  auto get = [&](const std::string& k, const std::vector<std::string>& def, std::string* w) {
    const auto it = s.v.find(k);
    *w = where(file, it == s.v.end() ? s.line : it->second.line) + ": " + k;
    return it == s.v.end() ? def : it->second.items;
  };
  // An array field's list: its key and, when absent, the array's default.
  auto field = [&](Field f, std::string* w) {
    return get(field_key(f), {array_field(f).dflt}, w);
  };
  std::string w;
  for (const auto& m : get("model", {"fp8sa"}, &w)) {
    try {
      l.models.push_back(&find_model(to_lower(m)));
    } catch (const std::invalid_argument& e) {
      throw SweepError(w + ": " + e.what());
    }
  }
  for (const auto& a : field(Field::acc, &w)) l.accs.push_back(acc_item(a, w));
  for (const auto& r : get("round", {"rne"}, &w)) {
    try {
      l.rounds.push_back(parse_round(to_lower(r)));
    } catch (const std::invalid_argument& e) {
      throw SweepError(w + ": " + e.what());
    }
  }
  for (const auto& x : field(Field::sr_bits, &w)) l.sr_bits.push_back(field_range(x, Field::sr_bits, w));
  for (const auto& x : field(Field::promote_n, &w)) {
    if (to_lower(x) == "off") {
      l.promotes.push_back(0);
      continue;
    }
    const long long v = parse_int(x, 0, 65535, w);
    if (v == 1) throw SweepError(w + ": 1 is not an interval (0 or off, or [2, 65535])");
    l.promotes.push_back(static_cast<int>(v));
  }
  for (const auto& x : get("k", {"4096"}, &w))
    l.ks.push_back(int_range(x, 1, 65535, w + " (a tile's K is at most 65535: cmd_k_i is 16 bits)"));
  for (const auto& x : get("trials", {"256"}, &w)) l.trials.push_back(static_cast<int>(parse_int(x, 4, 1 << 20, w)));
  for (const auto& x : get("operands", {"e4m3"}, &w)) {
    Fp8Format a, b;
    try {
      parse_operands(to_lower(x), &a, &b);
    } catch (const std::invalid_argument& e) {
      throw SweepError(w + ": " + e.what());
    }
    l.ops.push_back({a, b});
  }
  for (const auto& d : get("data", {"normal"}, &w)) {
    // Names are case-insensitive; a npy: path is kept as written.
    const std::string low = to_lower(d);
    if (low == "normal" || low == "uniform" || low == "heavy") {
      l.data.push_back(low);
    } else if (low.rfind("npy:", 0) == 0) {
      const std::string spec = d.substr(4);
      const size_t colon = spec.find(':');
      if (spec.empty() || colon == 0 || (colon != std::string::npos && colon + 1 == spec.size()))
        throw SweepError(w + ": '" + shown(d) + "': expected npy:FILE or npy:FILE_A:FILE_B");
      l.data.push_back("npy:" + spec);
    } else {
      throw SweepError(w + ": '" + shown(d) + "': expected normal, uniform, heavy or npy:FILE[:FILE]");
    }
  }
  for (const auto& x : get("seed", {"1"}, &w)) l.seeds.push_back(int_range(x, 0, INT64_MAX, w));
  for (const auto& x : field(Field::pe_kind, &w)) {
    try {
      l.pes.push_back(parse_pe_kind(x));
    } catch (const std::invalid_argument& e) {
      throw SweepError(w + ": " + e.what());
    }
  }
  for (const auto& x : field(Field::dot_n, &w)) {
    const long long v = parse_int(x, 1, kMaxDotN, w);
    if ((v & (v - 1)) != 0) throw SweepError(w + ": " + std::to_string(v) + " is not a power of two in [1, 64]");
    l.dot_ns.push_back(static_cast<int>(v));
  }
  for (const auto& x : field(Field::align_bits, &w)) l.aligns.push_back(field_range(x, Field::align_bits, w));
  for (const auto& x : field(Field::sr_kind, &w)) {
    try {
      l.sr_kinds.push_back(parse_sr_kind(x));
    } catch (const std::invalid_argument& e) {
      throw SweepError(w + ": " + e.what());
    }
  }
  // A promotion interval must be whole steps, and exact has none.
  field(Field::promote_n, &w);
  for (int pn : l.promotes) {
    for (PeKind pk : l.pes) {
      if (pk == PeKind::Exact && pn != 0)
        throw SweepError(w + ": " + std::to_string(pn) + " with pe exact (the exact PE rounds once per tile)");
      if (pk == PeKind::Fma) continue;
      for (int dn : l.dot_ns)
        if (pn % dn != 0)
          throw SweepError(w + ": " + std::to_string(pn) + " is not a multiple of " + field_key(Field::dot_n) +
                           " " + std::to_string(dn) + " (promotion happens after whole steps)");
    }
  }
  return l;
}

void expand(const Lists& l, std::vector<Point>* out) {
  for (const ModelEntry* m : l.models)
    for (const AccItem& ai : l.accs)
      for (long long ax = ai.x.a; ax <= ai.x.b; ++ax)
        for (long long ay = ai.y.a; ay <= ai.y.b; ++ay)
          for (Round r0 : l.rounds)
            for (const Range& rr : l.sr_bits)
              for (long long R = rr.a; R <= rr.b; ++R)
                for (int pn : l.promotes) {
                  Point base;
                  base.model = m->name;
                  base.acc = AccFormat{static_cast<int>(ax), static_cast<int>(ay)};
                  base.rnd = m->hardware ? r0 : Round::SR;
                  base.sr_bits = base.rnd == Round::SR ? static_cast<int>(R) : 16;
                  base.promote = m->hardware ? pn : 0;
                  if (!m->uses_acc) {
                    base.acc = kFp32;
                    base.rnd = Round::RZ;
                    base.sr_bits = 16;
                  }
                  // What the model ignores is emitted once (at the first value of its list).
                  const bool first_r = &rr == &l.sr_bits.front() && R == rr.a;
                  const bool first_p = pn == l.promotes.front();
                  if (base.rnd != Round::SR && !first_r) continue;
                  if (!m->hardware && !first_p) continue;
                  if (!m->hardware && r0 != l.rounds.front()) continue;
                  if (!m->uses_acc && !(ax == l.accs.front().x.a && ay == l.accs.front().y.a &&
                                               &ai == &l.accs.front()))
                    continue;
                  // The PE and SR kinds: the SR models and SR points take
                  // every sr_kind, the hardware every PE; what a point
                  // ignores is emitted once.
                  for (PeKind pk : l.pes)
                    for (int dn : l.dot_ns)
                      for (const Range& ar : l.aligns)
                        for (long long ab = ar.a; ab <= ar.b; ++ab)
                          for (SrKind sk : l.sr_kinds) {
                  Point pe_base = base;
                  const bool hw = m->hardware;
                  const bool first_pe = pk == l.pes.front() && dn == l.dot_ns.front() && &ar == &l.aligns.front() &&
                                        ab == ar.a;
                  if (!hw && !first_pe) continue;
                  if (hw && pk == PeKind::Fma && !(dn == l.dot_ns.front() && &ar == &l.aligns.front() && ab == ar.a))
                    continue;
                  if (hw && pk == PeKind::Exact && !(&ar == &l.aligns.front() && ab == ar.a)) continue;
                  if (pe_base.rnd != Round::SR && sk != l.sr_kinds.front()) continue;
                  pe_base.pe = hw ? pk : PeKind::Fma;
                  pe_base.dot_n = pe_base.pe == PeKind::Fma ? 1 : dn;
                  pe_base.align_bits = pe_base.pe == PeKind::Dot ? static_cast<int>(ab) : 13;
                  pe_base.sr_kind = pe_base.rnd == Round::SR ? sk : SrKind::Mid;
                  for (const Range& kr : l.ks)
                    for (long long k = kr.a; k <= kr.b; ++k)
                      for (const auto& op : l.ops)
                        for (const auto& d : l.data)
                          for (int t : l.trials)
                            for (const Range& sr : l.seeds)
                              for (long long sd = sr.a;; ++sd) {
                              Point p = pe_base;
                              p.k = static_cast<int>(k);
                              p.fa = op.first;
                              p.fb = op.second;
                              p.data = d;
                              p.trials = t;
                              p.seed = static_cast<uint64_t>(sd);
                              out->push_back(p);
                              if (sd == sr.b) break;  // sr.b may be INT64_MAX
                            }
                          }
                }
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string gib(uint64_t bytes) {
  char b[64];
  if (bytes >= (uint64_t{1} << 30))
    std::snprintf(b, sizeof b, "%.1f GiB", static_cast<double>(bytes) / static_cast<double>(uint64_t{1} << 30));
  else
    std::snprintf(b, sizeof b, "%.0f MiB", static_cast<double>(bytes) / static_cast<double>(uint64_t{1} << 20));
  return b;
}

}  // namespace

const std::vector<std::string>& sweep_keys() {
  static const std::vector<std::string> keys = {
      "model",       field_key(Field::acc),    "round", field_key(Field::sr_bits),    field_key(Field::promote_n),
      "k",           "operands",         "data",  "trials",               "seed",
      field_key(Field::pe_kind), field_key(Field::dot_n), field_key(Field::align_bits), field_key(Field::sr_kind)};
  return keys;
}

const std::vector<std::string>& sweep_array_key_members() {
  static const std::vector<std::string> members = [] {
    std::vector<std::string> v;
    for (Field f : kSweptFields) v.push_back(array_field(f).member);
    return v;
  }();
  return members;
}

std::vector<SweepSection> parse_sweep(const std::string& text, const std::string& name) {
  SweepSection defaults;
  defaults.name = "(defaults)";
  std::vector<SweepSection> parsed;
  std::istringstream is(text);
  std::string line;
  int ln = 0;
  bool in_defaults = true;
  while (std::getline(is, line)) {
    ++ln;
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    const std::string w = where(name, ln);
    if (line.front() == '[') {
      // "[sweep NAME]": the word sweep, white space, a name.
      const bool shape = line.back() == ']' && line.size() >= 7 && to_lower(line.substr(1, 5)) == "sweep";
      const std::string inner = shape ? line.substr(6, line.size() - 7) : "";
      if (!shape || (!inner.empty() && inner[0] != ' ' && inner[0] != '\t'))
        throw SweepError(w + ": expected a section header '[sweep NAME]', got '" + shown(line) + "'");
      const std::string sec = trim(inner);
      if (sec.empty()) throw SweepError(w + ": a [sweep NAME] needs a name");
      for (const SweepSection& s : parsed)
        if (s.name == sec)
          throw SweepError(w + ": section [sweep " + shown(sec) + "] is already defined at line " +
                           std::to_string(s.line) + " (section names must differ)");
      parsed.push_back(SweepSection{sec, ln, {}});
      in_defaults = false;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) throw SweepError(w + ": expected 'key = value, ...', got '" + shown(line) + "'");
    const std::string key = to_lower(trim(line.substr(0, eq)));
    if (std::find(sweep_keys().begin(), sweep_keys().end(), key) == sweep_keys().end())
      throw SweepError(w + ": unknown key '" + shown(key) + "' (keys: " + keys_text() + ")");
    SweepSection& cur = in_defaults ? defaults : parsed.back();
    const auto it = cur.v.find(key);
    if (it != cur.v.end())
      throw SweepError(w + ": key '" + key + "' given twice in this section (first at line " +
                       std::to_string(it->second.line) + ")");
    std::vector<std::string> vals = split_list(line.substr(eq + 1));
    if (vals.empty()) throw SweepError(w + ": key '" + key + "' has no value");
    cur.v[key] = SweepSection::Value{ln, std::move(vals)};
  }
  if (parsed.empty()) throw SweepError(name + ": no [sweep NAME] section");
  for (SweepSection& s : parsed)
    for (const auto& kv : defaults.v)
      if (s.v.count(kv.first) == 0) s.v[kv.first] = kv.second;
  return parsed;
}

uint64_t point_bytes(const Point& p) {
  const uint64_t M = static_cast<uint64_t>((p.trials + 3) / 4), K = static_cast<uint64_t>(p.k), N = 4;
  // make_data: the codes (1 byte) and their fixed-point copies (8 bytes) of
  // A (M x K) and B (K x N), the exact and |.| sums (2 x 8 bytes per
  // output); run_point: its outputs (8 bytes) and the model's words.
  uint64_t b = 9 * (M * K + K * N) + 64 * M * N + 4096;
  if (p.data.rfind("npy:", 0) == 0) {
    // The tensor as read, its float32 copy and its codes: 2.5 x the file.
    const std::string spec = p.data.substr(4);
    const size_t colon = spec.find(':');
    uint64_t files = file_size(spec.substr(0, colon));
    if (colon != std::string::npos) files = add_sat(files, file_size(spec.substr(colon + 1)));
    b = add_sat(b, mul_sat(files, 5) / 2);
  }
  return b;
}

std::vector<Point> plan_sweep(const std::string& text, const std::string& name, const SweepLimits& lim) {
  const std::vector<SweepSection> secs = parse_sweep(text, name);
  std::vector<Lists> lists;
  uint64_t n = 0, biggest = 0;
  size_t big = 0;
  for (size_t i = 0; i < secs.size(); ++i) {
    lists.push_back(parse_lists(secs[i], name));
    const uint64_t c = lists.back().count();
    n = add_sat(n, c);
    if (c > biggest) {
      biggest = c;
      big = i;
    }
  }
  if (n > lim.max_points)
    throw SweepError(name + ": the sweep has " + (n == UINT64_MAX ? "over 2^64" : std::to_string(n)) +
                     " points (the most in [sweep " + shown(secs[big].name) + "], line " +
                     std::to_string(secs[big].line) + ": " + std::to_string(biggest) + "), over the limit of " +
                     std::to_string(lim.max_points) + "; raise it with --max-points N");
  std::vector<Point> all;
  std::vector<size_t> section_of;
  all.reserve(static_cast<size_t>(n));
  for (size_t i = 0; i < lists.size(); ++i) {
    expand(lists[i], &all);
    section_of.resize(all.size(), i);
  }
  std::vector<Point> pts;
  std::unordered_set<std::string> seen;
  // The data sets: bytes of each distinct one (the workers hold up to
  // `threads` of them at once, each with its run).
  std::map<std::string, std::pair<uint64_t, size_t>> sets;  // data key -> bytes, section
  for (size_t i = 0; i < all.size(); ++i) {
    if (!seen.insert(all[i].key()).second) continue;
    pts.push_back(all[i]);
    auto& s = sets[all[i].data_key()];
    const uint64_t b = point_bytes(all[i]);
    if (b > s.first) s = {b, section_of[i]};
  }
  std::vector<std::pair<uint64_t, size_t>> by_size;
  for (const auto& kv : sets) by_size.push_back(kv.second);
  std::sort(by_size.rbegin(), by_size.rend());
  const size_t held = std::min(by_size.size(), static_cast<size_t>(std::max(1, lim.threads)));
  uint64_t peak = 0;
  for (size_t i = 0; i < held; ++i) peak = add_sat(peak, by_size[i].first);
  if (peak > lim.max_memory) {
    const SweepSection& s = secs[by_size.front().second];
    throw SweepError(where(name, s.line) + ": [sweep " + shown(s.name) + "]: its largest data set (trials x k) needs about " +
                     gib(by_size.front().first) + "; " + std::to_string(held) + " worker thread" +
                     (held == 1 ? "" : "s") + " hold about " + gib(peak) + ", over the limit of " +
                     std::to_string(lim.max_memory >> 20) +
                     " MiB; raise it with --max-memory MIB, or use fewer --threads, trials or a smaller k");
  }
  return pts;
}

}  // namespace fp8sa::explore

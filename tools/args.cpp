#include "args.hpp"

#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace fp8sa::cli {
namespace {


std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

std::string shown(const std::string& s) {
  constexpr size_t kMax = 40;
  std::string t;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    t.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  return s.size() <= kMax ? t : t + "...";
}

std::string to_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

long long parse_int(const std::string& text, long long lo, long long hi, const std::string& what) {
  const std::string bad = what + ": '" + shown(text) + "' is not an integer (decimal, or hex with 0x)";
  size_t i = 0;
  bool neg = false;
  if (i < text.size() && text[i] == '-') {
    neg = true;
    ++i;
  }
  unsigned base = 10;
  if (text.size() - i > 2 && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
    base = 16;
    i += 2;
  }
  if (i >= text.size()) throw UsageError(bad);
  unsigned long long v = 0;
  bool overflow = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else throw UsageError(bad);
    if (v > (~0ULL - d) / base) overflow = true;
    else v = v * base + d;
  }
  const std::string range = what + ": " + shown(text) + " is out of range [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "]";
  // |LLONG_MIN| = 2^63 fits in unsigned long long.
  if (overflow || (!neg && v > static_cast<unsigned long long>(hi < 0 ? 0 : hi)) ||
      (neg && v > 0x8000000000000000ULL))
    throw UsageError(range);
  const long long s = neg ? (v == 0x8000000000000000ULL ? INT64_MIN : -static_cast<long long>(v))
                          : static_cast<long long>(v);
  if (s < lo || s > hi) throw UsageError(range);
  return s;
}

double parse_double(const std::string& text, double lo, double hi, const std::string& what) {
  const std::string bad = what + ": '" + shown(text) + "' is not a finite number";
  // strtod also accepts "inf", "nan" and hex floats; allow only decimal digits,
  // one point, one exponent, signs.
  if (text.empty() || text.size() > 64) throw UsageError(bad);
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      throw UsageError(bad);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || end == text.c_str()) throw UsageError(bad);
  if (errno == ERANGE && std::fabs(v) > 1.0) throw UsageError(what + ": " + shown(text) + " overflows a double");
  if (!std::isfinite(v)) throw UsageError(bad);
  if (v < lo || v > hi)
    throw UsageError(what + ": " + shown(text) + " is out of range [" + num(lo) + ", " + num(hi) + "]");
  return v;
}

Args::Args(const CmdSpec& spec, int argc, const char* const* argv, int first) : spec_(&spec) {
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") help_ = true;
    if (a == "--") break;
  }
  if (help_) return;
  bool only_positional = false;
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (only_positional || a == "-" || a.empty() || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a.size() < 3 || a[1] != '-')
      throw UsageError("unknown option " + shown(a) + " (options are --name; try 'fp8sa help " + spec.name + "')");
    std::string name = a.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptSpec* o = nullptr;
    for (const OptSpec& s : spec.opts)
      if (s.name == name) o = &s;
    if (!o) throw UsageError("unknown option --" + shown(name) + " (try 'fp8sa help " + spec.name + "')");
    for (const auto& kv : values_)
      if (kv.first == name) throw UsageError("option --" + name + " is given more than once");
    if (o->value.empty()) {
      if (inline_value) throw UsageError("option --" + name + " takes no value");
      value = "1";
    } else if (!inline_value) {
      if (i + 1 >= argc) throw UsageError("option --" + name + " needs a value (" + o->value + ")");
      value = argv[++i];
    }
    values_.emplace_back(name, value);
  }
  for (const OptSpec& s : spec.opts)
    if (s.required && !has(s.name)) throw UsageError("missing required option --" + s.name + " " + s.value);
  const int np = static_cast<int>(positional_.size());
  if (np > spec.max_positional) {
    if (spec.max_positional == 0) throw UsageError("unexpected argument '" + shown(positional_[0]) + "'");
    throw UsageError("unexpected argument '" + shown(positional_[static_cast<size_t>(spec.max_positional)]) +
                     "' (takes at most " + std::to_string(spec.max_positional) + " " + spec.positional + ")");
  }
  if (np < spec.min_positional)
    throw UsageError("missing " + spec.positional + " (expected " + std::to_string(spec.min_positional) +
                     (spec.min_positional == 1 ? " argument" : " arguments") + ")");
}

const OptSpec* Args::find(const std::string& name) const {
  for (const OptSpec& s : spec_->opts)
    if (s.name == name) return &s;
  throw std::logic_error("fp8sa " + spec_->name + ": option --" + name + " is not in the command's table");
}

bool Args::has(const std::string& name) const {
  find(name);
  for (const auto& kv : values_)
    if (kv.first == name) return true;
  return false;
}

std::string Args::get(const std::string& name, const std::string& def) const {
  find(name);
  for (const auto& kv : values_)
    if (kv.first == name) return kv.second;
  return def;
}

std::string Args::get_choice(const std::string& name, const std::string& def,
                             const std::vector<std::string>& choices) const {
  const std::string v = to_lower(get(name, def));
  std::string list;
  for (const std::string& c : choices) {
    if (v == c) return v;
    list += (list.empty() ? "" : ", ") + c;
  }
  throw UsageError("option --" + name + ": '" + shown(get(name, def)) + "' is not one of: " + list);
}

long long Args::get_int(const std::string& name, long long def, long long lo, long long hi) const {
  if (!has(name)) return def;
  return parse_int(get(name, ""), lo, hi, "option --" + name);
}

double Args::get_double(const std::string& name, double def, double lo, double hi) const {
  if (!has(name)) return def;
  return parse_double(get(name, ""), lo, hi, "option --" + name);
}

std::string help_text(const CmdSpec& spec) {
  std::ostringstream o;
  o << "usage: fp8sa " << spec.name;
  for (const OptSpec& s : spec.opts)
    if (s.required) o << " --" << s.name << (s.value.empty() ? "" : " " + s.value);
  bool any_optional = false;
  for (const OptSpec& s : spec.opts) any_optional = any_optional || !s.required;
  if (any_optional) o << " [options]";
  if (!spec.positional.empty()) {
    if (spec.min_positional == 0) o << " [" << spec.positional << "]";
    else o << " " << spec.positional;
  }
  o << "\n\n" << spec.summary << "\n";
  size_t width = 0;
  for (const OptSpec& s : spec.opts) width = std::max(width, s.name.size() + (s.value.empty() ? 0 : s.value.size() + 1));
  auto row = [&](const OptSpec& s) {
    std::string left = "--" + s.name + (s.value.empty() ? "" : " " + s.value);
    o << "  " << left << std::string(width + 4 - left.size(), ' ') << s.help;
    if (!s.def.empty()) o << " [default: " << s.def << "]";
    o << "\n";
  };
  bool first = true;
  for (const OptSpec& s : spec.opts)
    if (s.required) {
      if (first) o << "\nrequired:\n";
      first = false;
      row(s);
    }
  first = true;
  for (const OptSpec& s : spec.opts)
    if (!s.required) {
      if (first) o << "\noptions:\n";
      first = false;
      row(s);
    }
  o << "  --help" << std::string(width + 2 > 4 ? width + 2 - 4 : 1, ' ') << "this text\n";
  if (!spec.notes.empty()) o << "\n" << spec.notes << (spec.notes.back() == '\n' ? "" : "\n");
  return o.str();
}

}  // namespace fp8sa::cli

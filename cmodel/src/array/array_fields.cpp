// The array's field list (array_fields.hpp) as data, and what comes from it:
// the text form of each field, operator==, describe_array() and validate()'s
// range checks (ArrayConfig::validate in array.cpp adds the cross-field rules).
#include <cctype>
#include <cstdio>
#include <stdexcept>

#include "fp8sa/array.hpp"

namespace fp8sa {
namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The name of an enum value and its count, per enum type (the Enum kind).
const char* enum_name(PeKind k) { return pe_kind_name(k); }
const char* enum_name(SrKind k) { return sr_kind_name(k); }
template <class E>
constexpr unsigned enum_count();
template <>
constexpr unsigned enum_count<PeKind>() { return kPeKindCount; }
template <>
constexpr unsigned enum_count<SrKind>() { return kSrKindCount; }

// Per member type: text, parse, value, set_value.
long long parse_integer(const std::string& t, const char* member) {
  // Decimal or 0x hex, no sign games: what the tables and the CLI write.
  const std::string s = lower(t);
  const bool hex = s.size() > 2 && s[0] == '0' && s[1] == 'x';
  const size_t start = hex ? 2 : 0;
  if (s.size() == start || s.size() - start > 16) throw std::invalid_argument(std::string(member) + ": '" + t + "' is not an integer");
  long long v = 0;
  for (size_t i = start; i < s.size(); ++i) {
    const char ch = s[i];
    int d;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    else if (hex && ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    else throw std::invalid_argument(std::string(member) + ": '" + t + "' is not an integer");
    v = v * (hex ? 16 : 10) + d;
    if (v > (1LL << 40)) throw std::invalid_argument(std::string(member) + ": '" + t + "' is too large");
  }
  return v;
}

std::string text_of(int v, ArrayFieldKind) { return std::to_string(v); }
std::string text_of(uint32_t v, ArrayFieldKind) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08X", v);
  return b;
}
std::string text_of(const AccFormat& v, ArrayFieldKind) { return v.name(); }
template <class E>
std::string text_of(E v, ArrayFieldKind) {
  return enum_name(v);
}

void parse_into(int* m, const std::string& t, const char* member) {
  *m = static_cast<int>(parse_integer(t, member));
}
void parse_into(uint32_t* m, const std::string& t, const char* member) {
  const long long v = parse_integer(t, member);
  if (v > 0xFFFFFFFFLL) throw std::invalid_argument(std::string(member) + ": '" + t + "' is not a 32-bit value");
  *m = static_cast<uint32_t>(v);
}
void parse_into(AccFormat* m, const std::string& t, const char*) { *m = AccFormat::parse(t); }
template <class E>
void parse_into(E* m, const std::string& t, const char* member) {
  const std::string s = lower(t);
  std::string names;
  for (unsigned c = 0; c < enum_count<E>(); ++c) {
    if (s == enum_name(static_cast<E>(c))) {
      *m = static_cast<E>(c);
      return;
    }
    names += (names.empty() ? "" : ", ") + std::string(enum_name(static_cast<E>(c)));
  }
  throw std::invalid_argument(std::string(member) + ": '" + t + "' is not one of " + names);
}

long long value_of(int v) { return v; }
long long value_of(uint32_t v) { return v; }
long long value_of(const AccFormat& v) { return v.exp_bits * 100LL + v.man_bits; }
template <class E>
long long value_of(E v) {
  return static_cast<long long>(v);
}
void set_raw(int* m, long long v) { *m = static_cast<int>(v); }
void set_raw(uint32_t* m, long long v) { *m = static_cast<uint32_t>(v); }
void set_raw(AccFormat* m, long long v) { *m = AccFormat{static_cast<int>(v / 100), static_cast<int>(v % 100)}; }
template <class E>
void set_raw(E* m, long long v) {
  *m = static_cast<E>(v);
}

template <class E>
std::vector<std::string> choices_of(const E*) {
  std::vector<std::string> r;
  for (unsigned c = 0; c < enum_count<E>(); ++c) r.push_back(enum_name(static_cast<E>(c)));
  return r;
}
std::vector<std::string> choices_of(const int*) { return {}; }
std::vector<std::string> choices_of(const uint32_t*) { return {}; }
std::vector<std::string> choices_of(const AccFormat*) { return {}; }

// One entry per field: the data, and the member's accessors.
struct FieldOps {
  std::string (*text)(const ArrayConfig&);
  void (*parse)(ArrayConfig&, const std::string&);
  long long (*value)(const ArrayConfig&);
  void (*set)(ArrayConfig&, long long);
  bool (*equal)(const ArrayConfig&, const ArrayConfig&);
  std::vector<std::string> (*choices)();
};

#define FP8SA_FIELD_OPS(member, type, kind, role, init, dflt, name, column, lo, hi, example, doc)                 \
  FieldOps{[](const ArrayConfig& c) { return text_of(c.member, ArrayFieldKind::kind); },                    \
           [](ArrayConfig& c, const std::string& t) { parse_into(&c.member, t, #member); },                  \
           [](const ArrayConfig& c) { return value_of(c.member); },                                          \
           [](ArrayConfig& c, long long v) { set_raw(&c.member, v); },                                       \
           [](const ArrayConfig& a, const ArrayConfig& b) { return a.member == b.member; },                  \
           [] { return choices_of(static_cast<const type*>(nullptr)); }},
const FieldOps kOps[] = {FP8SA_ARRAY_FIELDS(FP8SA_FIELD_OPS)};
#undef FP8SA_FIELD_OPS

#define FP8SA_FIELD_DATA(member, type, kind, role, init, dflt, name, column, lo, hi, example, doc) \
  ArrayField{#member, ArrayFieldKind::kind, ArrayFieldRole::role, dflt, name, column, lo, hi, example, doc},
const std::vector<ArrayField> kFields = {FP8SA_ARRAY_FIELDS(FP8SA_FIELD_DATA)};
#undef FP8SA_FIELD_DATA

const FieldOps& ops(const ArrayField& f) {
  const ptrdiff_t i = &f - kFields.data();
  if (i >= 0 && static_cast<size_t>(i) < kFields.size()) return kOps[i];
  for (size_t j = 0; j < kFields.size(); ++j)  // a copy of an entry
    if (std::string(kFields[j].member) == f.member) return kOps[j];
  throw std::logic_error(std::string("array field ") + f.member + " is not in the list");
}

}  // namespace

const std::vector<ArrayField>& array_fields() { return kFields; }

std::vector<std::string> ArrayField::choices() const { return ops(*this).choices(); }

std::string ArrayField::python_name() const {
  std::string s = name;
  for (char& ch : s)
    if (ch == '-') ch = '_';
  return s;
}

const ArrayField* find_array_field(const std::string& name) {
  for (const ArrayField& f : kFields)
    if (name == f.name || name == f.python_name() || name == f.column || name == f.member) return &f;
  return nullptr;
}

std::string array_field_text(const ArrayConfig& c, const ArrayField& f) { return ops(f).text(c); }

void array_field_parse(ArrayConfig& c, const ArrayField& f, const std::string& text) {
  try {
    ops(f).parse(c, text);
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    throw std::invalid_argument(m.rfind(f.member, 0) == 0 ? m : std::string(f.member) + ": " + m);
  }
}

long long array_field_value(const ArrayConfig& c, const ArrayField& f) { return ops(f).value(c); }
void array_field_set_value(ArrayConfig& c, const ArrayField& f, long long v) { ops(f).set(c, v); }
bool array_field_equal(const ArrayConfig& a, const ArrayConfig& b, const ArrayField& f) { return ops(f).equal(a, b); }

bool ArrayConfig::operator==(const ArrayConfig& o) const {
  for (const ArrayField& f : kFields)
    if (!array_field_equal(*this, o, f)) return false;
  return true;
}

std::string describe_array(const ArrayConfig& c) {
  static const ArrayConfig d;
  std::string s = std::to_string(c.rows) + "x" + std::to_string(c.cols) + " " + c.acc.name();
  for (const ArrayField& f : kFields) {
    const std::string m = f.member;
    if (m == "rows" || m == "cols" || m == "acc" || array_field_equal(c, d, f)) continue;
    s += std::string(" ") + f.name + " " + array_field_text(c, f);
  }
  return s;
}

ArrayConfig array_config_from(const std::vector<std::pair<std::string, std::string>>& values, const std::string& what) {
  ArrayConfig c;
  std::vector<const ArrayField*> seen;
  try {
    for (const auto& kv : values) {
      const ArrayField* f = find_array_field(kv.first);
      if (f == nullptr) throw std::invalid_argument("no array field '" + kv.first + "'");
      for (const ArrayField* g : seen)
        if (g == f) throw std::invalid_argument(std::string(f->member) + " given twice");
      seen.push_back(f);
      array_field_parse(c, *f, kv.second);
    }
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(what + ": " + e.what());
  }
  return c;
}

// The ranges of the list (validate() in array.cpp runs this first).
void validate_field_ranges(const ArrayConfig& c) {
  for (const ArrayField& f : kFields) {
    if (f.kind == ArrayFieldKind::Format) {
      try {
        c.acc.validate();
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("array: ") + e.what());
      }
      continue;
    }
    const long long v = array_field_value(c, f);
    if (v < f.lo || v > f.hi) {
      std::string r = f.kind == ArrayFieldKind::Hex ? text_of(static_cast<uint32_t>(f.lo), f.kind) + ", " +
                                                          text_of(static_cast<uint32_t>(f.hi), f.kind)
                                                    : std::to_string(f.lo) + ", " + std::to_string(f.hi);
      if (f.kind == ArrayFieldKind::Enum) {
        r.clear();
        for (const std::string& n : f.choices()) r += (r.empty() ? "" : ", ") + n;
        throw std::invalid_argument(std::string("array: ") + f.member + " code " + std::to_string(v) +
                                    " is not one of " + r);
      }
      throw std::invalid_argument(std::string("array: ") + f.member + " " + std::to_string(v) + " out of range [" + r + "]");
    }
  }
}

}  // namespace fp8sa

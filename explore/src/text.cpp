// The sweep parser's words for bad values: see text.hpp.
#include "text.hpp"

#include <cerrno>
#include <cstdlib>

#include "fp8sa/explore/sweep.hpp"

namespace fp8sa::explore::text {

std::string shown(const std::string& s) {
  constexpr size_t kMax = 40;
  std::string t = s.substr(0, kMax);
  for (char& c : t)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  return s.size() <= kMax ? t : t + "...";
}

std::string to_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

long long parse_int(const std::string& s, long long lo, long long hi, const std::string& what) {
  const bool neg = !s.empty() && s[0] == '-';
  std::string digits = s.substr(neg ? 1 : 0);
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits = digits.substr(2);
  }
  const char* allowed = base == 16 ? "0123456789abcdefABCDEF" : "0123456789";
  if (digits.empty() || digits.find_first_not_of(allowed) != std::string::npos)
    throw SweepError(what + ": '" + shown(s) + "' is not an integer (decimal, or hex with 0x)");
  errno = 0;
  const unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
  // 2^64 - 1 and beyond set ERANGE; |v| up to 2^64 fits in 128 bits signed.
  const __int128 x = neg ? -static_cast<__int128>(v) : static_cast<__int128>(v);
  if (errno == ERANGE || x < lo || x > hi)
    throw SweepError(what + ": " + shown(s) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "]");
  return static_cast<long long>(x);
}

}  // namespace fp8sa::explore::text

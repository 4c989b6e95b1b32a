// The sweep parser's words for bad values (internal to the library): the
// same messages as the CLI's option parser (tools/args.cpp), which the
// library does not link (docs/architecture.md: explore/ uses the model only).
#pragma once

#include <string>

namespace fp8sa::explore::text {

// s as an error message quotes it: printable ASCII, '?' for the rest, at
// most 40 characters and "..." after.
std::string shown(const std::string& s);
std::string to_lower(std::string s);
// Decimal, or hex with 0x, optionally negative, in [lo, hi]; SweepError
// "WHAT: 'x' is not an integer ..." or "WHAT: x is out of range [lo, hi]".
long long parse_int(const std::string& s, long long lo, long long hi, const std::string& what);

}  // namespace fp8sa::explore::text

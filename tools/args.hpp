// Command-line options of the fp8sa tool: one table per command (CmdSpec)
// from which both the parser and the help text are made, so every accepted
// option is documented with its default.
//
// Grammar: `--name value`, `--name=value`, `--flag`, positional words, `--`
// (everything after it is positional), `-h` / `--help` anywhere. An unknown
// option, a flag given a value, a missing value, an option given twice, a
// missing required option or the wrong number of positional words is a
// UsageError (one line, exit status 2). Integers are decimal (leading zeros
// allowed, never octal) or hexadecimal with a `0x` prefix; real numbers are
// finite decimal or scientific notation. Named values (formats, modes,
// back-ends) are case-insensitive.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fp8sa::cli {

// Bad command line or bad input file: printed as one line, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptSpec {
  std::string name;   // without the leading "--"
  std::string value;  // placeholder for the value ("N", "FILE"); empty: a flag
  std::string def;    // default, as shown in the help; empty: none
  std::string help;   // one line
  bool required = false;
};

struct CmdSpec {
  std::string name;           // "gemm"
  std::string summary;        // one line
  std::vector<OptSpec> opts;
  std::string positional;     // placeholder for positional words ("FILE"); empty: none
  int min_positional = 0, max_positional = 0;
  std::string notes;          // extra help text (may be several lines)
};

// The help text of one command: usage line, options (required first, then
// optional with defaults), notes.
std::string help_text(const CmdSpec& spec);

class Args {
 public:
  // Parses argv[first..] against spec. Throws UsageError, except that when
  // -h/--help is present nothing else is checked and help() is true.
  Args(const CmdSpec& spec, int argc, const char* const* argv, int first);

  bool help() const { return help_; }
  bool has(const std::string& name) const;
  // The value given, or def when the option is absent.
  std::string get(const std::string& name, const std::string& def) const;
  // The value given, lower-cased and checked against choices (lower-case).
  std::string get_choice(const std::string& name, const std::string& def,
                         const std::vector<std::string>& choices) const;
  long long get_int(const std::string& name, long long def, long long lo, long long hi) const;
  double get_double(const std::string& name, double def, double lo, double hi) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  const OptSpec* find(const std::string& name) const;  // logic_error if not in the spec
  const CmdSpec* spec_;
  std::vector<std::pair<std::string, std::string>> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

// Strict number parsing for option values and files (what names the value
// in the error message, e.g. "option --rows").
long long parse_int(const std::string& text, long long lo, long long hi, const std::string& what);
double parse_double(const std::string& text, double lo, double hi, const std::string& what);
std::string to_lower(std::string s);
// A user-given word as echoed in a message: printable ASCII only (others
// become '?'), at most 40 characters, so that an error stays one short line.
std::string shown(const std::string& s);

}  // namespace fp8sa::cli

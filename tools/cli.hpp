// Shared pieces of the fp8sa command-line tool.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace fp8sa::cli {

// Bad command line or bad input file: printed as one line, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Minimal "--name value" / "--flag" parser over argv[first..]. Unknown
// options and missing values are UsageErrors naming the option.
class Args {
 public:
  Args(int argc, char** argv, int first, std::vector<std::string> valued,
       std::vector<std::string> flags);
  bool has(const std::string& name) const;
  std::string get(const std::string& name, const std::string& def) const;
  std::string require(const std::string& name) const;
  long long get_int(const std::string& name, long long def, long long lo, long long hi) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
  std::vector<std::string> positional_;
};

int cmd_vectors(int argc, char** argv);
int cmd_demo(int argc, char** argv);
int cmd_gemm(int argc, char** argv);
int cmd_randn(int argc, char** argv);
int cmd_lockstep(int argc, char** argv);

}  // namespace fp8sa::cli

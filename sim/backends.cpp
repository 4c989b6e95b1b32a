#include "backends.hpp"

#include <cstdio>
#include <stdexcept>

namespace fp8sa {
namespace {

// A Verilated configuration runs an ArrayConfig when every field of the list
// is equal (ArrayConfig::operator==, from FP8SA_ARRAY_FIELDS).
bool same(const ArrayConfig& a, const ArrayConfig& b) { return a == b; }

class RtlBackend final : public GemmBackend {
 public:
  explicit RtlBackend(const rtl::NamedArrayConfig& nc) : nc_(nc) {}
  std::string name() const override { return "rtl:" + nc_.name; }
  const ArrayConfig& config() const override { return nc_.cfg; }
  GemmRun run(const GemmProblem& p, const GemmRunOptions& opt) override {
    const std::unique_ptr<rtl::ArrayRtl> hw = rtl::make_array(nc_.name);  // from reset
    return run_on_ports(*hw, p, nc_.cfg, opt);
  }

 private:
  rtl::NamedArrayConfig nc_;
};

}  // namespace

std::string rtl_config_name(const ArrayConfig& cfg) {
  for (const auto& nc : rtl::array_configs())
    if (same(nc.cfg, cfg)) return nc.name;
  return "";
}

std::string describe_rtl_configs() {
  std::string s;
  for (const auto& nc : rtl::array_configs()) s += (s.empty() ? "" : ", ") + nc.name + " (" + describe_array(nc.cfg) + ")";
  return s;
}

std::unique_ptr<GemmBackend> make_backend(const std::string& name, const ArrayConfig& cfg) {
  if (name == "functional" || name == "cycle") return make_model_backend(name, cfg);
  if (name == "rtl") {
    const std::string n = rtl_config_name(cfg);
    if (n.empty())
      throw std::invalid_argument("no Verilated array is " + describe_array(cfg) + " (built: " + describe_rtl_configs() +
                                  "); add it to sim/array_configs.txt");
    return std::make_unique<RtlBackend>(rtl::array_config(n));
  }
  if (name.rfind("rtl:", 0) == 0) {
    const rtl::NamedArrayConfig& nc = rtl::array_config(name.substr(4));  // throws listing the names
    if (!same(nc.cfg, cfg))
      throw std::invalid_argument("back-end " + name + " is " + describe_array(nc.cfg) + ", not " + describe_array(cfg));
    return std::make_unique<RtlBackend>(nc);
  }
  throw std::invalid_argument("unknown back-end '" + name + "' (functional, cycle, rtl, rtl:NAME)");
}

}  // namespace fp8sa

// The model's GEMM back-ends (backend.hpp): functional and cycle.
#include "fp8sa/backend.hpp"

#include <stdexcept>

namespace fp8sa {

double GemmRun::utilisation() const {
  if (!has_cycles || cycles == 0) return 0.0;
  return static_cast<double>(pe_macs) / (static_cast<double>(cycles) * rows * cols * dot_n);
}

namespace {

class FunctionalBackend final : public GemmBackend {
 public:
  explicit FunctionalBackend(const ArrayConfig& cfg) : cfg_(cfg) { cfg_.validate(); }
  std::string name() const override { return "functional"; }
  const ArrayConfig& config() const override { return cfg_; }
  GemmRun run(const GemmProblem& p, const GemmRunOptions& opt) override {
    GemmRun r;
    gemm_functional(p, cfg_, &r.out, opt.functional);
    r.rows = cfg_.rows;
    r.cols = cfg_.cols;
    return r;
  }

 private:
  ArrayConfig cfg_;
};

class CycleBackend final : public GemmBackend {
 public:
  explicit CycleBackend(const ArrayConfig& cfg) : cfg_(cfg) { cfg_.validate(); }
  std::string name() const override { return "cycle"; }
  const ArrayConfig& config() const override { return cfg_; }
  GemmRun run(const GemmProblem& p, const GemmRunOptions& opt) override {
    ArrayCycleModel model(cfg_);  // from reset, as the contract says
    return run_on_ports(model, p, cfg_, opt);
  }

 private:
  ArrayConfig cfg_;
};

}  // namespace

std::unique_ptr<GemmBackend> make_model_backend(const std::string& name, const ArrayConfig& cfg) {
  if (name == "functional") return std::make_unique<FunctionalBackend>(cfg);
  if (name == "cycle") return std::make_unique<CycleBackend>(cfg);
  throw std::invalid_argument("back-end '" + name + "' is not a model back-end (functional, cycle)");
}

}  // namespace fp8sa

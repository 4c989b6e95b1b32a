#include "array_options.hpp"

#include "cli.hpp"
#include "commands.hpp"

namespace fp8sa::cli {

ArrayOptions parse_array_options(const Args& args, const PePreset* preset) {
  const std::vector<ArrayField>& fields = array_fields();
  ArrayOptions o;
  o.given.assign(fields.size(), false);
  o.set.assign(fields.size(), false);
  // What the preset names, as text of the field's kind.
  auto preset_value = [&](const ArrayField& f) -> std::string {
    if (preset == nullptr) return "";
    const std::string n = f.name;
    if (n == "pe") return pe_kind_name(preset->kind);
    if (n == "dot-n" && preset->dot_n != 0) return std::to_string(preset->dot_n);
    if (n == "align-bits" && preset->align_bits != 0) return std::to_string(preset->align_bits);
    if (n == "acc" && preset->acc != nullptr) return preset->acc;
    return "";
  };
  for (size_t i = 0; i < fields.size(); ++i) {
    const ArrayField& f = fields[i];
    const std::string def = gemm_array_default(f.name, f.dflt);
    // Each kind read the way the CLI reads such values (its messages name the option).
    std::string text;
    switch (f.kind) {
      case ArrayFieldKind::Int:
      case ArrayFieldKind::Hex:
        text = std::to_string(args.get_int(f.name, parse_int(def, f.lo, f.hi, f.name), f.lo, f.hi));
        break;
      case ArrayFieldKind::Format:
        text = parse_acc_format(args.get(f.name, def)).name();
        break;
      case ArrayFieldKind::Enum:
        text = args.get_choice(f.name, def, f.choices());
        break;
    }
    o.given[i] = args.has(f.name);
    const std::string pv = preset_value(f);
    ArrayConfig given_cfg;
    array_field_parse(given_cfg, f, text);
    if (!pv.empty()) {
      ArrayConfig p;
      array_field_parse(p, f, pv);
      if (o.given[i] && !array_field_equal(p, given_cfg, f))
        throw UsageError(std::string("--") + f.name + " " + array_field_text(given_cfg, f) + " contradicts --preset " +
                         preset->name + " (" + pv + "); give one of them");
      text = pv;
      o.set[i] = true;
    }
    o.set[i] = o.set[i] || o.given[i];
    try {
      array_field_parse(o.cfg, f, text);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--") + f.name + ": " + e.what());
    }
  }
  // The CLI's rules between options, said in its words (validate() says the rest).
  const ArrayConfig& c = o.cfg;
  if (args.has("align-bits") && c.pe_kind != PeKind::Dot)
    throw UsageError("--align-bits applies to --pe dot only (the " + std::string(pe_kind_name(c.pe_kind)) +
                     " PE has no alignment window)");
  if (args.has("dot-n") && c.pe_kind == PeKind::Fma && c.dot_n != 1)
    throw UsageError("--dot-n " + std::to_string(c.dot_n) +
                     " needs --pe dot or exact (the fma PE takes one product per step)");
  if (c.promote_n == 1) throw UsageError("--promote 1: the promotion interval is 0 (off) or in [2, 65535]");
  return o;
}

bool array_request_matches(const ArrayConfig& built, const ArrayOptions& o) {
  for (const ArrayField& f : array_fields()) {
    if (f.role == ArrayFieldRole::Key && !array_field_equal(built, o.cfg, f)) return false;
  }
  return true;
}

}  // namespace fp8sa::cli

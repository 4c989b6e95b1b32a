// fp8sa._core: pybind11 bindings of the C++ model (cmodel/), numpy in and
// out. The Python face (python/fp8sa/__init__.py) adds defaults, float32
// inputs and decoding; everything numeric happens here, in the model.
//
// Errors: every bad argument raises ValueError with the model's own
// message (the validate() and parse_*() texts the CLI prints) or the CLI's
// parse_acc_format text; nothing here invents a second parser.
//
// Back-ends: "functional" and "cycle" always; "rtl:NAME" / "rtl" only when
// the module is built in-tree with the Verilated models (FP8SA_PY_WITH_RTL,
// the default `make`); `pip install .` builds the model only and says so.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>
#include <stdexcept>
#include <string>

#include "cli.hpp"  // parse_acc_format: the CLI's accumulator-format parser and message
#include "fp8sa/array.hpp"
#include "fp8sa/backend.hpp"
#include "fp8sa/gemm.hpp"
#include "fp8sa/lfsr.hpp"
#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"
#ifdef FP8SA_PY_WITH_RTL
#include "backends.hpp"
#include "board_sim.hpp"
#include "fp8sa/host/board_backend.hpp"
#endif

namespace py = pybind11;
using namespace fp8sa;

namespace {

template <class T>
using Arr = py::array_t<T, py::array::c_style | py::array::forcecast>;

AccFormat acc_format(const std::string& s) {
  try {
    return cli::parse_acc_format(s);
  } catch (const cli::UsageError& e) {
    throw std::invalid_argument(e.what());
  }
}

// The quantizer's output format ("e4m3", "e5m2", "fp16", "bf16").
OutFormat out_format_arg(const std::string& s) { return parse_out_format(s); }

bool has_rtl() {
#ifdef FP8SA_PY_WITH_RTL
  return true;
#else
  return false;
#endif
}

// ---- the array's keywords: one per field of the list (array_fields.hpp) ----

// Python's default array: 8 x 8 (as `fp8sa gemm`), else the list's defaults.
ArrayConfig python_default_array() {
  ArrayConfig c;
  c.rows = 8;
  c.cols = 8;
  return c;
}

// The array of a call: the defaults, then the keywords given (a dict of
// Python keyword -> int or str). given: per field of array_fields().
ArrayConfig array_from_keywords(const py::dict& kw, std::vector<bool>* given) {
  const std::vector<ArrayField>& fields = array_fields();
  ArrayConfig c = python_default_array();
  given->assign(fields.size(), false);
  for (const auto& item : kw) {
    const std::string key = py::str(item.first);
    size_t i = 0;
    while (i < fields.size() && fields[i].python_name() != key) ++i;
    if (i == fields.size()) throw std::invalid_argument("no array keyword '" + key + "'");
    const py::handle v = item.second;
    std::string text;
    if (py::isinstance<py::str>(v)) {
      text = v.cast<std::string>();
    } else {
      const long long x = v.cast<long long>();
      if (x < fields[i].lo || (fields[i].kind != ArrayFieldKind::Format && x > fields[i].hi))
        throw std::invalid_argument(key + " " + std::to_string(x) + " out of range [" + std::to_string(fields[i].lo) +
                                    ", " + std::to_string(fields[i].hi) + "]");
      text = std::to_string(x);
    }
    array_field_parse(c, fields[i], text);
    (*given)[i] = true;
  }
  return c;
}

// Every field by its Python keyword: ints as int, the others as their names.
py::dict array_dict(const ArrayConfig& c) {
  py::dict d;
  for (const ArrayField& f : array_fields()) {
    if (f.kind == ArrayFieldKind::Int || f.kind == ArrayFieldKind::Hex)
      d[py::str(f.python_name())] = array_field_value(c, f);
    else
      d[py::str(f.python_name())] = array_field_text(c, f);
  }
  return d;
}

// The list itself, for the Python face (its keywords, checks and docs).
py::list array_fields_py() {
  py::list l;
  const ArrayConfig d = python_default_array();
  for (const ArrayField& f : array_fields()) {
    py::dict e;
    e["name"] = f.python_name();
    e["member"] = f.member;
    e["column"] = f.column;
    e["kind"] = f.kind == ArrayFieldKind::Int ? "int" : f.kind == ArrayFieldKind::Hex ? "hex"
                : f.kind == ArrayFieldKind::Format ? "format" : "enum";
    e["role"] = f.role == ArrayFieldRole::Key ? "key" : "built";
    e["default"] = array_dict(d)[py::str(f.python_name())];
    e["lo"] = f.lo;
    e["hi"] = f.hi;
    e["choices"] = f.choices();
    e["example"] = f.example;
    e["doc"] = f.doc;
    l.append(e);
  }
  return l;
}

// ---- the simulated boards: backend "board:sim" / "board:sim:NAME" ----

// "board:sim" -> "icebreaker" (fp8sa board --sim's default), "board:sim:NAME" -> NAME.
bool is_board_backend(const std::string& name) { return name == "board" || name.rfind("board:", 0) == 0; }
std::string sim_board_name(const std::string& backend) {
  if (backend == "board:sim") return "icebreaker";
  if (backend.rfind("board:sim:", 0) == 0 && backend.size() > 10) return backend.substr(10);
  throw std::invalid_argument("backend '" + backend + "': a board back-end is board:sim or board:sim:NAME "
                              "(a simulated board of fpga/boards.txt)");
}

#ifdef FP8SA_PY_WITH_RTL
// One simulated board per name for the module's life (opened on first use:
// its Verilated board core, reset, asked INFO), shared by every GEMM on it;
// its mutex keeps one GEMM at a time on the link (run() releases the GIL).
struct SimBoardSlot {
  std::mutex m;
  std::unique_ptr<board::BoardBackend> be;
};
SimBoardSlot& sim_board(const std::string& name) {
  static std::mutex all;
  static std::map<std::string, std::unique_ptr<SimBoardSlot>> boards;
  std::lock_guard<std::mutex> g(all);
  auto& slot = boards[name];
  if (!slot) {
    bool known = false;
    std::string names;
    for (const board::SimBoardInfo& b : board::sim_boards()) {
      known = known || b.name == name;
      names += (names.empty() ? "" : ", ") + b.name;
    }
    if (!known)
      throw std::invalid_argument("backend board:sim:" + name + ": no such simulated board (built: " + names + ")");
    auto s = std::make_unique<SimBoardSlot>();
    try {
      s->be = std::make_unique<board::BoardBackend>(board::open_sim_board(name));
    } catch (const board::BoardError& e) {
      throw std::runtime_error("simulated board " + name + ": " + e.what());
    }
    slot = std::move(s);
  }
  return *slot;
}

// The board as a back-end of one call: its GEMM under the board's lock, link
// errors as RuntimeError (a bad problem stays ValueError).
class LockedBoard final : public GemmBackend {
 public:
  explicit LockedBoard(SimBoardSlot& s) : s_(s) {}
  std::string name() const override { return "board"; }
  const ArrayConfig& config() const override { return s_.be->config(); }
  GemmRun run(const GemmProblem& p, const GemmRunOptions& opt) override {
    std::lock_guard<std::mutex> g(s_.m);
    try {
      return s_.be->run(p, opt);
    } catch (const board::BoardError& e) {
      throw std::runtime_error(std::string("board link: ") + e.what());
    }
  }

 private:
  SimBoardSlot& s_;
};
#endif

// The simulated boards built into this module: name, part, SYS_HZ, BAUD and
// the UART's clock.
py::list sim_boards_py() {
  py::list l;
#ifdef FP8SA_PY_WITH_RTL
  for (const board::SimBoardInfo& b : board::sim_boards()) {
    py::dict d;
    d["name"] = b.name;
    d["part"] = b.part;
    d["sys_hz"] = b.clock_hz;
    d["baud"] = b.baud;
    d["uart_hz"] = b.uart_hz;
    l.append(d);
  }
#endif
  return l;
}

// A board back-end's array (the board's INFO, every field of the list) and
// its limits (k_max, rnd_modes, out_quant).
py::dict board_array(const std::string& backend) {
  const std::string name = sim_board_name(backend);
#ifdef FP8SA_PY_WITH_RTL
  SimBoardSlot& s = sim_board(name);
  py::dict d = array_dict(s.be->config());
  d["k_max"] = s.be->info().k_max;
  d["rnd_modes"] = s.be->info().rnd_modes;
  d["out_quant"] = s.be->info().out_quant;
  return d;
#else
  throw std::invalid_argument("backend '" + backend +
                              "' needs the Verilated boards, which this fp8sa module was built without "
                              "(pip install builds the model only; the in-tree `make` build links the RTL)");
#endif
}

std::unique_ptr<GemmBackend> backend_for(const std::string& name, ArrayConfig* cfg, const std::vector<bool>& given) {
  if (is_board_backend(name)) {
    const std::string bname = sim_board_name(name);
#ifdef FP8SA_PY_WITH_RTL
    SimBoardSlot& s = sim_board(bname);
    // The array is the board's; every keyword given must agree.
    const std::vector<ArrayField>& fields = array_fields();
    for (size_t i = 0; i < fields.size(); ++i)
      if (given[i] && !array_field_equal(*cfg, s.be->config(), fields[i]))
        throw std::invalid_argument("backend " + name + " has " + fields[i].python_name() + " " +
                                    array_field_text(s.be->config(), fields[i]) + "; " + fields[i].python_name() +
                                    "=" + array_field_text(*cfg, fields[i]) +
                                    " contradicts it (give none of them, or the same)");
    *cfg = s.be->config();
    return std::make_unique<LockedBoard>(s);
#else
    (void)given;
    throw std::invalid_argument("backend '" + name +
                                "' needs the Verilated boards, which this fp8sa module was built without "
                                "(pip install builds the model only; the in-tree `make` build links the RTL)");
#endif
  }
  const bool rtl = name == "rtl" || name.rfind("rtl:", 0) == 0;
  if (!rtl) return make_model_backend(name, *cfg);
#ifdef FP8SA_PY_WITH_RTL
  if (name.size() > 4) {
    // rtl:NAME: the array is that configuration; every keyword given must agree.
    const rtl::NamedArrayConfig& nc = rtl::array_config(name.substr(4));
    const std::vector<ArrayField>& fields = array_fields();
    for (size_t i = 0; i < fields.size(); ++i)
      if (given[i] && !array_field_equal(*cfg, nc.cfg, fields[i]))
        throw std::invalid_argument("backend " + name + " has " + fields[i].python_name() + " " +
                                    array_field_text(nc.cfg, fields[i]) + "; " + fields[i].python_name() + "=" +
                                    array_field_text(*cfg, fields[i]) +
                                    " contradicts it (give none of them, or the same)");
    *cfg = nc.cfg;
  }
  return make_backend(name, *cfg);
#else
  (void)given;
  throw std::invalid_argument("backend '" + name +
                              "' needs the Verilated RTL, which this fp8sa module was built without "
                              "(pip install builds the model only; the in-tree `make` build links the RTL)");
#endif
}

// C_init words: the PE's init word, binary32 with promotion and for the dot
// and exact PEs (as the CLI's --c).
void check_init_words(const uint32_t* w, py::ssize_t n, const ArrayConfig& cfg) {
  const AccFormat f = cfg.init_format();
  for (py::ssize_t i = 0; i < n; ++i)
    if (w[i] & ~f.mask())
      throw std::invalid_argument("gemm: c_init element " + std::to_string(i) + " has bits above the " + f.name() +
                                  " init word" +
                                  (f == kFp32 && !(cfg.acc == kFp32) ? " (the init word is binary32 here)" : ""));
}

// gemm(A codes, B codes, C_init words or None, ...) -> (out words M x N uint32, tile flags uint8, info dict)
// The named controls of a GEMM (operand formats, rounding, output), parsed
// into p, then the whole problem validated: gemm and gemm_f32 alike.
void set_controls(GemmProblem& p, const std::string& fmt_a, const std::string& fmt_b, const std::string& rnd,
                  const std::string& out_fmt, const std::string& out_rnd, bool sat, int scale) {
  p.fmt_a = parse_fp8_format(fmt_a);
  p.fmt_b = parse_fp8_format(fmt_b);
  p.rnd = parse_round(rnd);
  p.out_fmt = parse_out_kind(out_fmt);
  p.out_rnd = parse_round(out_rnd);
  p.sat = sat;
  p.scale = scale;
  p.validate();
}

py::tuple gemm(Arr<uint8_t> a, Arr<uint8_t> b, py::object c_init, const std::string& fmt_a, const std::string& fmt_b,
               const std::string& rnd, const std::string& out_fmt, const std::string& out_rnd, bool sat, int scale,
               const py::dict& array, const std::string& backend, int threads) {
  if (a.ndim() != 2 || b.ndim() != 2)
    throw std::invalid_argument("gemm: a and b must be 2-D (a is " + std::to_string(a.ndim()) + "-D, b is " +
                                std::to_string(b.ndim()) + "-D)");
  if (a.shape(1) != b.shape(0))
    throw std::invalid_argument("gemm: shape mismatch: a is " + std::to_string(a.shape(0)) + " x " +
                                std::to_string(a.shape(1)) + ", b is " + std::to_string(b.shape(0)) + " x " +
                                std::to_string(b.shape(1)) + " (a's columns must equal b's rows)");
  std::vector<bool> given;
  ArrayConfig cfg = array_from_keywords(array, &given);
  std::unique_ptr<GemmBackend> be = backend_for(backend, &cfg, given);
  cfg = be->config();

  GemmProblem p;
  p.M = static_cast<int>(a.shape(0));
  p.K = static_cast<int>(a.shape(1));
  p.N = static_cast<int>(b.shape(1));
  // As the CLI: at most 2^28 outputs (1 GiB of accumulator words); K is checked by validate().
  if (static_cast<uint64_t>(a.shape(0)) * static_cast<uint64_t>(b.shape(1)) > (uint64_t{1} << 28) ||
      a.shape(1) > 65535)
    throw std::invalid_argument("gemm: " + std::to_string(a.shape(0)) + " x " + std::to_string(b.shape(1)) +
                                " outputs (at most 2^28) or K " + std::to_string(a.shape(1)) +
                                " (at most 65535): too large");
  p.A = a.data();
  p.B = b.data();
  Arr<uint32_t> c;
  if (!c_init.is_none()) {
    c = c_init.cast<Arr<uint32_t>>();
    if (c.ndim() != 2 || c.shape(0) != a.shape(0) || c.shape(1) != b.shape(1))
      throw std::invalid_argument("gemm: c_init must be " + std::to_string(p.M) + " x " + std::to_string(p.N));
    check_init_words(c.data(), c.size(), cfg);
    p.C_init = c.data();
  }
  set_controls(p, fmt_a, fmt_b, rnd, out_fmt, out_rnd, sat, scale);

  GemmRunOptions opt;
  opt.functional.threads = threads;
  GemmRun run;
  {
    py::gil_scoped_release nogil;
    run = be->run(p, opt);
  }
  // The result words handed to numpy without a copy: the array owns the
  // model's vector through a capsule.
  auto words = std::make_unique<std::vector<uint32_t>>(std::move(run.out.out));
  const uint32_t* wdata = words->data();
  const py::capsule owner(words.get(), [](void* v) { delete static_cast<std::vector<uint32_t>*>(v); });
  words.release();
  Arr<uint32_t> out({static_cast<py::ssize_t>(p.M), static_cast<py::ssize_t>(p.N)}, wdata, owner);
  Arr<uint8_t> flags({static_cast<py::ssize_t>(run.out.tiles_m), static_cast<py::ssize_t>(run.out.tiles_n)});
  std::memcpy(flags.mutable_data(), run.out.tile_flags.data(), run.out.tile_flags.size());
  py::dict info;
  info["backend"] = be->name();
  for (const auto& kv : array_dict(cfg)) info[kv.first] = kv.second;  // every field of the list
  info["result_fmt"] = cfg.result_format().name();  // the raw output words' format (binary32 with promotion)
  info["init_fmt"] = cfg.init_format().name();      // C's words (binary32 for dot, exact and promotion)
  if (run.has_cycles) {
    info["cycles"] = run.cycles;
    info["pe_macs"] = run.pe_macs;
  }
  return py::make_tuple(out, flags, info);
}

// quantize(binary32 bits or acc words, fmt, round, sat, seed, scale, acc, sr_bits) -> (codes uint16, flags uint8)
// SR draws come from one LFSR (32 bits wide, sr_bits per draw, the seed as
// given), one draw per element in C order, whatever the rounding.
// rand: None, or explicit random words (uint32, one per element, the low
// sr_bits bits used) in place of the LFSR draws.
py::tuple quantize(Arr<uint32_t> words, const std::string& fmt, const std::string& rnd, bool sat, long long seed,
                   int scale, const std::string& acc, int sr_bits, const std::string& sr_kind, py::object rand) {
  const AccFormat in = acc_format(acc);
  const Quantizer q(in, sr_bits, parse_sr_kind(sr_kind));
  Arr<uint32_t> rwords;
  const uint32_t* rw = nullptr;
  if (!rand.is_none()) {
    rwords = rand.cast<Arr<uint32_t>>();
    if (rwords.size() != words.size())
      throw std::invalid_argument("quantize: rand has " + std::to_string(rwords.size()) + " words for " +
                                  std::to_string(words.size()) + " elements (one per element)");
    rw = rwords.data();
  }
  const OutFormat of = out_format_arg(fmt);
  const Round r = parse_round(rnd);
  if (scale < -64 || scale > 63) throw std::invalid_argument("scale " + std::to_string(scale) + " out of range [-64, 63]");
  if (seed < 1 || seed > 0xFFFFFFFFLL) throw std::invalid_argument("seed " + std::to_string(seed) + " out of range [1, 4294967295]");
  Lfsr lfsr(32, sr_bits, static_cast<uint64_t>(seed));
  std::vector<py::ssize_t> shape(words.shape(), words.shape() + words.ndim());
  Arr<uint16_t> codes(shape);
  Arr<uint8_t> flags(shape);
  const uint32_t* w = words.data();
  uint16_t* o = codes.mutable_data();
  uint8_t* f = flags.mutable_data();
  const py::ssize_t n = words.size();
  const uint32_t mask = in.mask();
  for (py::ssize_t i = 0; i < n; ++i)
    if (w[i] & ~mask)
      throw std::invalid_argument("quantize: element " + std::to_string(i) + " has bits above the " + in.name() + " word");
  {
    py::gil_scoped_release nogil;
    for (py::ssize_t i = 0; i < n; ++i) {
      const uint32_t u = rw != nullptr ? rw[i] : r == Round::SR ? lfsr.draw() : 0u;
      const OpResult res = q.quantize(w[i], of, r, sat, scale, u);
      o[i] = static_cast<uint16_t>(res.bits);
      f[i] = res.flags;
    }
  }
  return py::make_tuple(codes, flags);
}

// decode(codes, fmt) -> float64 values (exact: every table format and every
// accumulator word is exact in binary64).
// acc_word: fmt names an accumulator eXmY even where a table format has the
// same name (e4m3, e5m2): the raw words of an acc e4m3 GEMM are eXmY words
// (IEEE-style Inf and NaN), not OCP E4M3 codes.
Arr<double> decode(Arr<uint32_t> codes, const std::string& fmt, bool acc_word) {
  std::vector<py::ssize_t> shape(codes.shape(), codes.shape() + codes.ndim());
  Arr<double> out(shape);
  const py::ssize_t n = codes.size();
  const uint32_t* c = codes.data();
  double* o = out.mutable_data();
  const std::string f = cli::to_lower(fmt);
  bool table = false;
  OutFormat of = OutFormat::E4M3;
  AccFormat af;
  try {
    if (acc_word) throw std::invalid_argument("an accumulator word");
    of = parse_out_format(f);
    table = true;
  } catch (const std::invalid_argument&) {
    if (f.size() < 2 || f[0] != 'e')
      throw std::invalid_argument("decode: '" + cli::shown(fmt) +
                                  "' is not a format: e4m3, e5m2, fp16, bf16, or an accumulator eXmY");
    af = acc_format(f);
  }
  const int width = table ? format_info(of).width() : af.width();
  const uint32_t mask = width == 32 ? 0xFFFFFFFFu : ((1u << width) - 1u);
  for (py::ssize_t i = 0; i < n; ++i)
    if (c[i] & ~mask)
      throw std::invalid_argument("decode: element " + std::to_string(i) + " has bits above the " +
                                  std::to_string(width) + "-bit " + f + " code");
  const AccFormat raw_acc = table ? kFp32 : af;
  const OutKind kind = table ? static_cast<OutKind>(of) : OutKind::Raw;
  if (!table && af == kFp32) {
    // binary32 words (fp8sa.gemm's raw e8m23 output): the float's own value,
    // widened exactly; NaN words keep output_word_value's NaN. About ten
    // times faster than the per-word decode on a 1024^2 result.
    for (py::ssize_t i = 0; i < n; ++i) {
      const uint32_t w = c[i];
      if ((w & 0x7F800000u) == 0x7F800000u && (w & 0x007FFFFFu) != 0) {
        o[i] = output_word_value(w, kind, raw_acc);
      } else {
        float v;
        std::memcpy(&v, &w, 4);
        o[i] = static_cast<double>(v);
      }
    }
    return out;
  }
  for (py::ssize_t i = 0; i < n; ++i) o[i] = output_word_value(c[i], kind, raw_acc);
  return out;
}

py::list formats() {
  py::list l;
  for (const FormatInfo& f : kFormatTable) {
    py::dict d;
    d["name"] = f.name;
    d["exp_bits"] = f.exp_bits;
    d["man_bits"] = f.man_bits;
    d["bias"] = f.bias;
    d["has_inf"] = f.has_inf;
    d["canonical_nan"] = f.canonical_nan;
    d["max_finite"] = f.max_finite();
    d["max_finite_bits"] = f.max_finite_bits();
    d["width"] = f.width();
    l.append(d);
  }
  return l;
}

py::list pe_presets() {
  py::list l;
  for (const PePreset& p : kPePresets) {
    py::dict d;
    d["name"] = p.name;
    d["pe"] = pe_kind_name(p.kind);
    d["dot_n"] = p.dot_n != 0 ? py::object(py::int_(p.dot_n)) : py::object(py::none());
    d["align_bits"] = p.align_bits != 0 ? py::object(py::int_(p.align_bits)) : py::object(py::none());
    d["acc"] = p.acc != nullptr ? py::object(py::str(p.acc)) : py::object(py::none());
    d["round"] = p.rnd >= 0 ? py::object(py::str(round_name(static_cast<Round>(p.rnd)))) : py::object(py::none());
    d["what"] = p.what;
    l.append(d);
  }
  return l;
}

py::list rtl_configs() {
  py::list l;
#ifdef FP8SA_PY_WITH_RTL
  for (const auto& nc : rtl::array_configs()) {
    py::dict d;
    d["name"] = nc.name;
    for (const auto& kv : array_dict(nc.cfg)) d[kv.first] = kv.second;  // every field of the list
    l.append(d);
  }
#endif
  return l;
}

// ---- fused paths for fp8sa.torch (issue 20 section 2) ----------------------
// The same bits as quantize()/gemm() + decode(), without the per-element
// flag arrays, the float64 round trip and the extra copies: the flags come
// back ORed, the values as float32.

// The AVX-512 loops of the fused calls (x86 with F, BW, DQ, VL; checked at
// run time), AVX2 loops where written, the scalar loops otherwise.
// FP8SA_PY_NO_AVX512 set in the environment takes the scalar loops on any
// CPU (=avx2: the AVX2 loops), so that the tests cover all of them
// (test_torch.py runs its comparisons once more with each).
#if defined(__x86_64__) && defined(__GNUC__)
#define FP8SA_PY_X86 1
#define FP8SA_PY_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define FP8SA_PY_AVX2 __attribute__((target("avx2")))
bool py_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                         std::getenv("FP8SA_PY_NO_AVX512") == nullptr;
  return ok;
}
// The AVX2 loops (quantize_f32 into FP8, round_f32's FP16 SR, the SR output walk), where AVX-512 is
// missing or FP8SA_PY_NO_AVX512=avx2 declines it; FP8SA_PY_NO_AVX512 with
// any other value takes the scalar loops.
bool py_avx2() {
  static const bool ok = [] {
    const char* e = std::getenv("FP8SA_PY_NO_AVX512");
    return __builtin_cpu_supports("avx2") && (e == nullptr || std::string(e) == "avx2");
  }();
  return ok;
}
#else
#define FP8SA_PY_X86 0
bool py_avx512() { return false; }
bool py_avx2() { return false; }
#endif

// Binary32 words to an FP8 format with RNE or RZ through a table: the result
// (code and flags) depends only on the sign, the exponent, the mantissa bits
// down to the round bit of a normal result (bit 20 for E5M2, 19 for E4M3)
// and whether any bit below is set. Every rounding position of the format
// (normal or subnormal result, any scale in [-64, 63]) is at or above that
// bit, and binary32 subnormals stay below 2^-63 after any scale (far below
// every FP8 subnormal). Each entry is the model's own Quantizer on a
// representative word (the test suite checks random words of every entry).
struct Fp8Table {
  int shift = 0;                 // bits below the round bit of a normal result
  std::vector<uint16_t> entry;   // code | flags << 8, index (w >> shift) << 1 | sticky

  // The entry (code | flags << 8) of binary32 word w.
  uint16_t at(uint32_t w) const {
    return entry[((w >> shift) << 1) | ((w & ((uint32_t{1} << shift) - 1u)) != 0u ? 1u : 0u)];
  }
  // Codes of words w[0, n) into o; returns their entries' OR.
  unsigned run(const uint32_t* w, uint8_t* o, py::ssize_t n) const {
    unsigned f = 0;
    for (py::ssize_t i = 0; i < n; ++i) {
      const uint16_t en = at(w[i]);
      o[i] = static_cast<uint8_t>(en);
      f |= en;
    }
    return f;
  }
};

const Fp8Table& fp8_table(OutFormat of, Round r, bool sat, int scale) {
  static std::mutex mu;
  static std::map<std::tuple<int, int, bool, int>, std::unique_ptr<Fp8Table>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[std::make_tuple(static_cast<int>(of), static_cast<int>(r), sat, scale)];
  if (!slot) {
    auto t = std::make_unique<Fp8Table>();
    const int man = format_info(of).man_bits;
    t->shift = 23 - man - 1;
    const uint32_t n = (uint32_t{1} << (32 - t->shift)) * 2;
    t->entry.resize(n);
    const Quantizer q(kFp32, 16, SrKind::Mid);
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t w = ((i >> 1) << t->shift) | (i & 1u);
      const OpResult res = q.quantize(w, of, r, sat, scale, 0u);
      t->entry[i] = static_cast<uint16_t>((res.bits & 0xFFu) | (static_cast<uint32_t>(res.flags) << 8));
    }
    slot = std::move(t);
  }
  return *slot;
}

// sr_fp8 (the rule is described at quantize_outputs below).
template <SrKind KIND>
struct SrFp8 {
  int man, sh, bias, emin, emax, R;
  uint32_t umask;
  bool fast(uint32_t w, int scale) const {
    const int e = static_cast<int>((w >> 23) & 0xFFu);
    const int E = e - 127 + scale;
    return e != 0 && e != 255 && E >= emin && E < emax;
  }
  // code | inexact << 8
  uint32_t round(uint32_t w, int scale, uint32_t u) const {
    const uint32_t rem = w & ((1u << sh) - 1u);
    const int r1 = R + 1;
    // Branch-free: the random comparison and the sticky bits are data.
    uint32_t D, st;
    if (sh >= r1) {
      D = rem >> (sh - r1);
      st = static_cast<uint32_t>((rem & ((1u << (sh - r1)) - 1u)) != 0u);
    } else {
      D = rem << (r1 - sh);
      st = 0u;
    }
    uint32_t k;
    if (KIND == SrKind::Trunc)
      k = D >> 1;
    else if (KIND == SrKind::Src)
      k = (D >> 1) + (D & (st | (D >> 1)) & 1u);
    else
      k = ((D >> 2) << 1) | static_cast<uint32_t>(((D & 3u) | st) != 0u);
    const int E = static_cast<int>((w >> 23) & 0xFFu) - 127 + scale;
    uint32_t code = (static_cast<uint32_t>(E + bias) << man) | ((w >> sh) & ((1u << man) - 1u));
    code += static_cast<uint32_t>((u & umask) < k);
    code |= (w >> 31) << 7;
    static_assert(kFlagInexact == 1u, "the inexact flag is bit 0");
    return code | (static_cast<uint32_t>(rem != 0u) << 8);  // kFlagInexact << 8
  }
};

// f(i, u) for i in [0, n), u lfsr's i-th draw from its state (SR; 0
// otherwise): the same draws as calling lfsr.draw() in order. Returns the OR
// of f's results (flags: a local here, where a byte store of f's cannot
// alias it). One stream's
// draw map (four table loads, Lfsr::draw_table) waits on the previous draw,
// so it runs at that latency per element; here the stream is cut into
// kDrawStreams segments, each jumped to its first draw (Lfsr::skip), and
// advanced side by side.
constexpr int kDrawStreams = 8;
template <class F>
unsigned for_each_draw(py::ssize_t n, bool sr, const Lfsr& lfsr, F&& f) {
  unsigned acc = 0;
  if (!sr) {
    for (py::ssize_t i = 0; i < n; ++i) acc |= f(i, 0u);
    return acc;
  }
  const py::ssize_t seg = (n + kDrawStreams - 1) / kDrawStreams;
  uint32_t st[kDrawStreams];
  for (int s = 0; s < kDrawStreams; ++s) {
    Lfsr l = lfsr;
    l.skip(static_cast<uint64_t>(s) * static_cast<uint64_t>(seg));
    st[s] = l.state();
  }
  const uint32_t* jt = lfsr.draw_table();
  const uint32_t mask = lfsr.draw_bits() >= 32 ? 0xFFFFFFFFu : (1u << lfsr.draw_bits()) - 1u;
  for (py::ssize_t i = 0; i < seg; ++i) {
    for (int s = 0; s < kDrawStreams; ++s) {
      const py::ssize_t j = s * seg + i;
      if (j >= n) break;
      uint32_t& x = st[s];
      x = jt[x & 0xFFu] ^ jt[256 + ((x >> 8) & 0xFFu)] ^ jt[512 + ((x >> 16) & 0xFFu)] ^ jt[768 + (x >> 24)];
      acc |= f(j, x & mask);
    }
  }
  return acc;
}

#if FP8SA_PY_X86
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// quantize_f32's RNE / RZ into FP8 on AVX-512, 16 words per zmm: results
// that are normal FP8 values below the top binade (emin <= E < emax, E the
// word's exponent plus scale, any sat) are computed in the lanes: the top
// `man` mantissa bits kept, rem the sh = 23 - man bits below, RNE up iff
// rem > half or rem == half with the kept LSB set (a carry moves into the
// exponent, at most emax: finite); inexact iff rem != 0. Every other lane,
// and the tail, takes the table (fp8_table). Returns the flags' OR.
FP8SA_PY_AVX512 unsigned fp8_rn_avx512(const uint32_t* w, uint8_t* o, py::ssize_t n, const Fp8Table& t,
                                       const FormatInfo& fi, Round r, int scale) {
  const int man = fi.man_bits, sh = 23 - man;
  const __m512i vff = _mm512_set1_epi32(0xFF), vrem = _mm512_set1_epi32(static_cast<int>((1u << sh) - 1u));
  const __m512i vhalf = _mm512_set1_epi32(static_cast<int>(1u << (sh - 1))), one = _mm512_set1_epi32(1);
  const __m512i vman = _mm512_set1_epi32((1 << man) - 1), vbias = _mm512_set1_epi32(fi.bias - 127 + scale);
  const __m512i vemin = _mm512_set1_epi32(fi.emin() + 127 - scale), vemax = _mm512_set1_epi32(fi.emax() + 127 - scale);
  const __m512i zero = _mm512_setzero_si512(), vabs = _mm512_set1_epi32(0x7FFFFFFF);
  unsigned f = 0;
  __mmask16 inex = 0;
  py::ssize_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i x = _mm512_loadu_si512(w + i);
    const __m512i e = _mm512_and_si512(_mm512_srli_epi32(x, 23), vff);
    const __mmask16 fast = _mm512_mask_cmpgt_epi32_mask(
        _mm512_mask_cmplt_epi32_mask(
            _mm512_mask_cmpge_epi32_mask(_mm512_mask_cmpneq_epi32_mask(_mm512_cmpneq_epi32_mask(e, zero), e, vff),
                                         e, vemin),
            e, vemax),
        e, zero);
    const __m512i rem = _mm512_and_si512(x, vrem);
    __m512i code = _mm512_or_si512(_mm512_slli_epi32(_mm512_add_epi32(e, vbias), static_cast<unsigned>(man)),
                                   _mm512_and_si512(_mm512_srli_epi32(x, static_cast<unsigned>(sh)), vman));
    if (r == Round::RNE) {
      const __mmask16 up = _mm512_cmpgt_epu32_mask(rem, vhalf) |
                           (_mm512_cmpeq_epi32_mask(rem, vhalf) & _mm512_test_epi32_mask(code, one));
      code = _mm512_mask_add_epi32(code, up, code, one);
    }
    // +-0 (half of a ReLU's outputs) is the signed zero code, exact, in the lanes.
    const __mmask16 z = _mm512_testn_epi32_mask(x, vabs);
    const __m512i sgn = _mm512_slli_epi32(_mm512_srli_epi32(x, 31), 7);
    code = _mm512_mask_mov_epi32(_mm512_or_si512(code, sgn), z, sgn);
    inex |= _mm512_mask_test_epi32_mask(fast, rem, rem);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + i), _mm512_cvtepi32_epi8(code));
    for (unsigned slow = static_cast<uint16_t>(~(fast | z)); slow != 0; slow &= slow - 1u) {
      const py::ssize_t j = i + __builtin_ctz(slow);
      const uint16_t en = t.at(w[j]);
      o[j] = static_cast<uint8_t>(en);
      f |= en;
    }
  }
  f |= t.run(w + i, o + i, n - i);
  return (f >> 8) | (inex != 0 ? static_cast<unsigned>(kFlagInexact) : 0u);
}
#pragma GCC diagnostic pop
#endif

#if FP8SA_PY_X86
// fp8_rn_avx512 on AVX2, 8 words per ymm: the same lanes (normal FP8 results
// below the top binade, and +-0) computed the same way, the others and the
// tail through the table. Returns the flags' OR.
FP8SA_PY_AVX2 unsigned fp8_rn_avx2(const uint32_t* w, uint8_t* o, py::ssize_t n, const Fp8Table& t,
                                   const FormatInfo& fi, Round r, int scale) {
  const int man = fi.man_bits, sh = 23 - man;
  const __m256i vff = _mm256_set1_epi32(0xFF), vrem = _mm256_set1_epi32(static_cast<int>((1u << sh) - 1u));
  const __m256i vhalf = _mm256_set1_epi32(static_cast<int>(1u << (sh - 1))), one = _mm256_set1_epi32(1);
  const __m256i vman = _mm256_set1_epi32((1 << man) - 1), vbias = _mm256_set1_epi32(fi.bias - 127 + scale);
  // e >= emin' as e > emin' - 1, e < emax' as emax' > e (signed: e is 0..255)
  const __m256i vemin1 = _mm256_set1_epi32(fi.emin() + 127 - scale - 1);
  const __m256i vemax = _mm256_set1_epi32(fi.emax() + 127 - scale);
  const __m256i zero = _mm256_setzero_si256(), vabs = _mm256_set1_epi32(0x7FFFFFFF);
  // byte 0 of each 32-bit lane to bytes 0..3 of its 128-bit half
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  unsigned f = 0;
  __m256i inex = zero;
  py::ssize_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i));
    const __m256i e = _mm256_and_si256(_mm256_srli_epi32(x, 23), vff);
    const __m256i fast = _mm256_andnot_si256(
        _mm256_cmpeq_epi32(e, vff),
        _mm256_and_si256(_mm256_and_si256(_mm256_cmpgt_epi32(e, vemin1), _mm256_cmpgt_epi32(vemax, e)),
                         _mm256_cmpgt_epi32(e, zero)));
    const __m256i rem = _mm256_and_si256(x, vrem);
    __m256i code = _mm256_or_si256(_mm256_slli_epi32(_mm256_add_epi32(e, vbias), man),
                                   _mm256_and_si256(_mm256_srli_epi32(x, sh), vman));
    if (r == Round::RNE) {
      // rem and half are below 2^23: the signed compare is the unsigned one
      const __m256i up = _mm256_or_si256(
          _mm256_cmpgt_epi32(rem, vhalf),
          _mm256_and_si256(_mm256_cmpeq_epi32(rem, vhalf), _mm256_cmpeq_epi32(_mm256_and_si256(code, one), one)));
      code = _mm256_sub_epi32(code, up);  // up is -1 where it rounds up
    }
    const __m256i z = _mm256_cmpeq_epi32(_mm256_and_si256(x, vabs), zero);
    const __m256i sgn = _mm256_slli_epi32(_mm256_srli_epi32(x, 31), 7);
    code = _mm256_blendv_epi8(_mm256_or_si256(code, sgn), sgn, z);
    inex = _mm256_or_si256(inex, _mm256_andnot_si256(_mm256_cmpeq_epi32(rem, zero), fast));
    const __m256i b = _mm256_shuffle_epi8(code, pick);
    const uint32_t lo4 = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm256_castsi256_si128(b)));
    const uint32_t hi4 = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm256_extracti128_si256(b, 1)));
    std::memcpy(o + i, &lo4, 4);
    std::memcpy(o + i + 4, &hi4, 4);
    const unsigned done = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_or_si256(fast, z))));
    for (unsigned slow = ~done & 0xFFu; slow != 0; slow &= slow - 1u) {
      const py::ssize_t j = i + __builtin_ctz(slow);
      const uint16_t en = t.at(w[j]);
      o[j] = static_cast<uint8_t>(en);
      f |= en;
    }
  }
  f |= t.run(w + i, o + i, n - i);
  return (f >> 8) | (_mm256_testz_si256(inex, inex) == 0 ? static_cast<unsigned>(kFlagInexact) : 0u);
}
#endif

#if FP8SA_PY_X86
// The map of 16 draws of an LFSR (its width and draw_bits) as a byte-sliced
// table like Lfsr::draw_table (the map is linear over GF(2)): entry
// 256 b + v is the state 16 draws after the state v << 8b, from Lfsr::skip.
// Built once per (width, draw_bits).
const uint32_t* jump16_table(const Lfsr& proto) {
  static std::mutex mu;
  static std::map<std::pair<int, int>, std::vector<uint32_t>> cache;
  std::lock_guard<std::mutex> lock(mu);
  std::vector<uint32_t>& t = cache[std::make_pair(proto.width(), proto.draw_bits())];
  if (t.empty()) {
    t.assign(1024, 0u);
    const uint64_t wmask = (uint64_t{1} << proto.width()) - 1u;
    for (int b = 0; b < 4; ++b)
      for (uint64_t v = 1; v < 256; ++v) {
        const uint64_t st = v << (8 * b);
        if ((st & ~wmask) != 0) continue;  // not a state of this width
        Lfsr l(proto.width(), proto.draw_bits(), st);
        l.skip(16);
        t[static_cast<size_t>(256 * b) + v] = l.state();
      }
  }
  return t.data();
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// A GF(2)-linear map of 32-bit states given as a byte-sliced table (1024
// words: Lfsr::draw_table, jump16_table) held as eight nibble tables of 16
// words, the image of each nibble value at each nibble position (entries
// of the byte table). Applied to 16 lanes with eight in-register
// permutes (vpermd reads an index's low 4 bits) and XORs: the byte table's
// four gathers cost several times more on the CPUs measured here.
struct NibMap {
  alignas(64) uint32_t t[8][16];
};

NibMap nib_map_of(const uint32_t* bytes) {
  NibMap m;
  for (int k = 0; k < 8; ++k)
    for (uint32_t v = 0; v < 16; ++v) m.t[k][v] = bytes[256 * (k >> 1) + (v << (4 * (k & 1)))];
  return m;
}

FP8SA_PY_AVX512 inline __m512i nib_apply(const NibMap& m, __m512i s) {
  __m512i r = _mm512_permutexvar_epi32(s, _mm512_load_si512(m.t[0]));
  r = _mm512_ternarylogic_epi32(r, _mm512_permutexvar_epi32(_mm512_srli_epi32(s, 4), _mm512_load_si512(m.t[1])),
                                _mm512_permutexvar_epi32(_mm512_srli_epi32(s, 8), _mm512_load_si512(m.t[2])), 0x96);
  r = _mm512_ternarylogic_epi32(r, _mm512_permutexvar_epi32(_mm512_srli_epi32(s, 12), _mm512_load_si512(m.t[3])),
                                _mm512_permutexvar_epi32(_mm512_srli_epi32(s, 16), _mm512_load_si512(m.t[4])), 0x96);
  r = _mm512_ternarylogic_epi32(r, _mm512_permutexvar_epi32(_mm512_srli_epi32(s, 20), _mm512_load_si512(m.t[5])),
                                _mm512_permutexvar_epi32(_mm512_srli_epi32(s, 24), _mm512_load_si512(m.t[6])), 0x96);
  return _mm512_xor_si512(r, _mm512_permutexvar_epi32(_mm512_srli_epi32(s, 28), _mm512_load_si512(m.t[7])));
}

// One LFSR stream, 16 consecutive draws per zmm: lane c holds the state
// after draw i + c of the block starting at draw i, and the block moves on
// by the 16-draw map (jump16_table as a NibMap). The same draws as
// Lfsr::draw in order.
struct Draws16 {
  __m512i st;
  NibMap j16;
};

FP8SA_PY_AVX512 inline void draws16_start(Draws16* d, const Lfsr& lfsr) {
  alignas(64) uint32_t init[16];
  Lfsr l = lfsr;
  for (int c = 0; c < 16; ++c) {
    l.draw();
    init[c] = l.state();
  }
  d->st = _mm512_load_si512(init);
  d->j16 = nib_map_of(jump16_table(lfsr));
}

FP8SA_PY_AVX512 inline void draws16_next(Draws16* d) { d->st = nib_apply(d->j16, d->st); }

// quantize_f32 with SR into FP8 (mid), 16 elements per zmm: sr_fp8 in the
// lanes it covers (as sr_walk16), the Quantizer for the others with their
// own draws. Returns the flags' OR.
FP8SA_PY_AVX512 unsigned fp8_sr_avx512(const uint32_t* w, uint8_t* o, py::ssize_t n, const Lfsr& lfsr,
                                       const SrFp8<SrKind::Mid>& sr, const Quantizer& q, OutFormat of, bool sat,
                                       int scale) {
  Draws16 d;
  draws16_start(&d, lfsr);
  const int r1 = sr.R + 1;
  const bool down = sr.sh >= r1;
  const __m512i vff = _mm512_set1_epi32(0xFF), vdm = _mm512_set1_epi32(static_cast<int>(sr.umask));
  const __m512i vrem = _mm512_set1_epi32(static_cast<int>((1u << sr.sh) - 1u));
  const __m512i vlow = _mm512_set1_epi32(static_cast<int>(down ? (1u << (sr.sh - r1)) - 1u : 0u));
  const __m512i vman = _mm512_set1_epi32((1 << sr.man) - 1), vbias = _mm512_set1_epi32(sr.bias - 127 + scale);
  const __m512i vemin = _mm512_set1_epi32(sr.emin + 127 - scale), vemax = _mm512_set1_epi32(sr.emax + 127 - scale);
  const __m512i one = _mm512_set1_epi32(1), three = _mm512_set1_epi32(3), zero = _mm512_setzero_si512();
  const __m512i vabs = _mm512_set1_epi32(0x7FFFFFFF);
  __mmask16 inex = 0;
  unsigned flags = 0;
  alignas(64) uint32_t ub[16];
  py::ssize_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i u = _mm512_and_si512(d.st, vdm);
    const __m512i x = _mm512_loadu_si512(w + i);
    const __m512i e = _mm512_and_si512(_mm512_srli_epi32(x, 23), vff);
    const __mmask16 fast = _mm512_mask_cmpgt_epi32_mask(
        _mm512_mask_cmplt_epi32_mask(
            _mm512_mask_cmpge_epi32_mask(_mm512_mask_cmpneq_epi32_mask(_mm512_cmpneq_epi32_mask(e, zero), e, vff),
                                         e, vemin),
            e, vemax),
        e, zero);
    const __m512i rem = _mm512_and_si512(x, vrem);
    __m512i D;
    __mmask16 stk = 0;
    if (down) {
      D = _mm512_srlv_epi32(rem, _mm512_set1_epi32(sr.sh - r1));
      stk = _mm512_test_epi32_mask(rem, vlow);
    } else {
      D = _mm512_sllv_epi32(rem, _mm512_set1_epi32(r1 - sr.sh));
    }
    // mid: ((D >> 2) << 1) | ((D & 3) != 0 || st)
    const __m512i kb = _mm512_slli_epi32(_mm512_srli_epi32(D, 2), 1);
    const __m512i k = _mm512_mask_or_epi32(kb, _mm512_test_epi32_mask(D, three) | stk, kb, one);
    __m512i code = _mm512_or_si512(_mm512_sllv_epi32(_mm512_add_epi32(e, vbias), _mm512_set1_epi32(sr.man)),
                                   _mm512_and_si512(_mm512_srlv_epi32(x, _mm512_set1_epi32(sr.sh)), vman));
    code = _mm512_mask_add_epi32(code, _mm512_cmplt_epu32_mask(u, k), code, one);
    // +-0 (the ReLU's zero errors): the signed zero code, exact, in the lanes.
    const __mmask16 z = _mm512_testn_epi32_mask(x, vabs);
    const __m512i sgn = _mm512_slli_epi32(_mm512_srli_epi32(x, 31), 7);
    code = _mm512_mask_mov_epi32(_mm512_or_si512(code, sgn), z, sgn);
    inex |= _mm512_mask_test_epi32_mask(fast, rem, rem);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + i), _mm512_cvtepi32_epi8(code));
    unsigned slow = static_cast<uint16_t>(~(fast | z));
    if (slow != 0) {
      _mm512_store_si512(ub, u);
      for (; slow != 0; slow &= slow - 1u) {
        const int c = __builtin_ctz(slow);
        const OpResult res = q.quantize(w[i + c], of, Round::SR, sat, scale, ub[c]);
        o[i + c] = static_cast<uint8_t>(res.bits);
        flags |= res.flags;
      }
    }
    draws16_next(&d);
  }
  if (i < n) {  // the tail: lane c holds element i + c's state
    _mm512_store_si512(ub, _mm512_and_si512(d.st, vdm));
    for (int c = 0; i + c < n; ++c) {
      const uint32_t v = w[i + c];
      if (sr.fast(v, scale)) {
        const uint32_t res = sr.round(v, scale, ub[c]);
        o[i + c] = static_cast<uint8_t>(res);
        flags |= res >> 8;
      } else {
        const OpResult res = q.quantize(v, of, Round::SR, sat, scale, ub[c]);
        o[i + c] = static_cast<uint8_t>(res.bits);
        flags |= res.flags;
      }
    }
  }
  return flags | (inex != 0 ? static_cast<unsigned>(kFlagInexact) : 0u);
}
// round_f32's FP16 SR (the fast16 rule there), 16 elements per zmm; lanes
// outside it through the Quantizer with their own draws, decoded by table.
FP8SA_PY_AVX512 unsigned fp16_sr_avx512(const uint32_t* w, float* o, py::ssize_t n, const Lfsr& lfsr, int sr_bits,
                                        const Quantizer& q, OutFormat of, bool sat, const float* dv) {
  Draws16 d;
  draws16_start(&d, lfsr);
  const __m512i vdm = _mm512_set1_epi32(static_cast<int>((1u << sr_bits) - 1u)), vff = _mm512_set1_epi32(0xFF);
  const __m512i lo = _mm512_set1_epi32(113), hi = _mm512_set1_epi32(141), rmask = _mm512_set1_epi32(0x1FFF);
  const __m512i carry = _mm512_set1_epi32(0x2000), sh = _mm512_set1_epi32(sr_bits - 13);
  __mmask16 inex = 0;
  unsigned flags = 0;
  alignas(64) uint32_t ub[16];
  py::ssize_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i u = _mm512_and_si512(d.st, vdm);
    const __m512i x = _mm512_loadu_si512(w + i);
    const __m512i e = _mm512_and_si512(_mm512_srli_epi32(x, 23), vff);
    const __mmask16 fast = _mm512_mask_cmple_epi32_mask(_mm512_cmpge_epi32_mask(e, lo), e, hi);
    const __m512i rem = _mm512_and_si512(x, rmask);
    const __m512i k = _mm512_sllv_epi32(rem, sh);  // < 2^24: sr_bits <= 24
    const __m512i v = _mm512_mask_add_epi32(_mm512_andnot_si512(rmask, x), _mm512_cmplt_epu32_mask(u, k),
                                            _mm512_andnot_si512(rmask, x), carry);
    inex |= _mm512_mask_test_epi32_mask(fast, rem, rem);
    _mm512_mask_storeu_epi32(o + i, fast, v);
    unsigned slow = static_cast<uint16_t>(~fast);
    if (slow != 0) {
      _mm512_store_si512(ub, u);
      for (; slow != 0; slow &= slow - 1u) {
        const int c = __builtin_ctz(slow);
        const OpResult res = q.quantize(w[i + c], of, Round::SR, sat, 0, ub[c]);
        o[i + c] = dv[res.bits];
        flags |= res.flags;
      }
    }
    draws16_next(&d);
  }
  if (i < n) {  // the tail: lane c holds element i + c's state
    _mm512_store_si512(ub, _mm512_and_si512(d.st, vdm));
    for (int c = 0; i + c < n; ++c) {
      const OpResult res = q.quantize(w[i + c], of, Round::SR, sat, 0, ub[c]);
      o[i + c] = dv[res.bits];
      flags |= res.flags;
    }
  }
  return flags | (inex != 0 ? static_cast<unsigned>(kFlagInexact) : 0u);
}
#pragma GCC diagnostic pop
#endif

#if FP8SA_PY_X86
std::vector<uint32_t> jump_table_for(int width, int draw_bits, uint64_t draws);

// The AVX2 SR loops (fp8_sr_avx2, fp16_sr_avx2, sr_walk8): the AVX-512
// loops above on 8 lanes. AVX2's vpermd has 8 entries, so a GF(2)-linear
// map of 32-bit states (a byte-sliced table, as NibMap's) is held as eleven
// tables of 8 words, the image of each 3-bit value at each 3-bit position
// (bits 30-31 in the last): one permute, one shift and one XOR per 3 bits.
struct TriMap {
  alignas(32) uint32_t t[11][8];
};

TriMap tri_map_of(const uint32_t* bytes) {
  TriMap m;
  for (int k = 0; k < 11; ++k)
    for (uint32_t v = 0; v < 8; ++v) {
      const uint32_t x = static_cast<uint32_t>(uint64_t{v} << (3 * k));  // k = 10: bits 30-31 only
      m.t[k][v] = bytes[x & 0xFFu] ^ bytes[256 + ((x >> 8) & 0xFFu)] ^ bytes[512 + ((x >> 16) & 0xFFu)] ^
                  bytes[768 + (x >> 24)];
    }
  return m;
}

FP8SA_PY_AVX2 inline __m256i tri_apply(const TriMap& m, __m256i s) {
  __m256i r = _mm256_permutevar8x32_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(m.t[0])), s);
#define FP8SA_TRI(k)                                                                                          \
  r = _mm256_xor_si256(r, _mm256_permutevar8x32_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(m.t[k])), \
                                                      _mm256_srli_epi32(s, 3 * (k))))
  FP8SA_TRI(1); FP8SA_TRI(2); FP8SA_TRI(3); FP8SA_TRI(4); FP8SA_TRI(5);
  FP8SA_TRI(6); FP8SA_TRI(7); FP8SA_TRI(8); FP8SA_TRI(9); FP8SA_TRI(10);
#undef FP8SA_TRI
  return r;
}

// The map of 8 draws of an LFSR (its width and draw_bits), built once.
const TriMap& jump8_map(const Lfsr& proto) {
  static std::mutex mu;
  static std::map<std::pair<int, int>, std::unique_ptr<TriMap>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[std::make_pair(proto.width(), proto.draw_bits())];
  if (!slot) slot = std::make_unique<TriMap>(tri_map_of(jump_table_for(proto.width(), proto.draw_bits(), 8).data()));
  return *slot;
}

// One LFSR stream, 8 consecutive draws per ymm (as Draws16): lane c holds
// the state after draw i + c of the block starting at draw i.
struct Draws8 {
  __m256i st;
  const TriMap* j8;
};

FP8SA_PY_AVX2 inline void draws8_start(Draws8* d, const Lfsr& lfsr) {
  alignas(32) uint32_t init[8];
  Lfsr l = lfsr;
  for (int c = 0; c < 8; ++c) {
    l.draw();
    init[c] = l.state();
  }
  d->st = _mm256_load_si256(reinterpret_cast<const __m256i*>(init));
  d->j8 = &jump8_map(lfsr);
}

FP8SA_PY_AVX2 inline void draws8_next(Draws8* d) { d->st = tri_apply(*d->j8, d->st); }

// a < b on unsigned 32-bit lanes (all ones where true).
FP8SA_PY_AVX2 inline __m256i ltu_epi32(__m256i a, __m256i b) {
  const __m256i bias = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  return _mm256_cmpgt_epi32(_mm256_xor_si256(b, bias), _mm256_xor_si256(a, bias));
}

// The lanes of a compare result as a bit mask.
FP8SA_PY_AVX2 inline unsigned lanes8(__m256i m) {
  return static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(m)));
}

// Lanes whose binary32 exponent e gives a normal FP8 result below the top
// binade: e != 0, e != 255, emin' <= e < emax' (vemin1 = emin' - 1).
FP8SA_PY_AVX2 inline __m256i fp8_fast_lanes(__m256i e, __m256i vemin1, __m256i vemax) {
  const __m256i zero = _mm256_setzero_si256();
  return _mm256_andnot_si256(
      _mm256_cmpeq_epi32(e, _mm256_set1_epi32(0xFF)),
      _mm256_and_si256(_mm256_and_si256(_mm256_cmpgt_epi32(e, vemin1), _mm256_cmpgt_epi32(vemax, e)),
                       _mm256_cmpgt_epi32(e, zero)));
}

// sr_fp8's threshold k from the sh discarded bits rem (SrFp8::round), per lane.
template <SrKind KIND>
FP8SA_PY_AVX2 inline __m256i sr_threshold8(__m256i rem, int sh, int r1) {
  const __m256i one = _mm256_set1_epi32(1), zero = _mm256_setzero_si256();
  __m256i D, stk = zero;
  if (sh >= r1) {
    D = _mm256_srl_epi32(rem, _mm_cvtsi32_si128(sh - r1));
    const __m256i vlow = _mm256_set1_epi32(static_cast<int>((1u << (sh - r1)) - 1u));
    stk = _mm256_andnot_si256(_mm256_cmpeq_epi32(_mm256_and_si256(rem, vlow), zero), _mm256_set1_epi32(-1));
  } else {
    D = _mm256_sll_epi32(rem, _mm_cvtsi32_si128(r1 - sh));
  }
  if (KIND == SrKind::Trunc) return _mm256_srli_epi32(D, 1);
  if (KIND == SrKind::Src) {  // (D >> 1) + (D & 1 && (st || D & 2))
    const __m256i b0 = _mm256_cmpeq_epi32(_mm256_and_si256(D, one), one);
    const __m256i b1 = _mm256_cmpeq_epi32(_mm256_and_si256(D, _mm256_set1_epi32(2)), _mm256_set1_epi32(2));
    return _mm256_sub_epi32(_mm256_srli_epi32(D, 1), _mm256_and_si256(b0, _mm256_or_si256(stk, b1)));
  }
  // mid: ((D >> 2) << 1) | ((D & 3) != 0 || st)
  const __m256i lowset = _mm256_andnot_si256(_mm256_cmpeq_epi32(_mm256_and_si256(D, _mm256_set1_epi32(3)), zero),
                                             _mm256_set1_epi32(-1));
  return _mm256_or_si256(_mm256_slli_epi32(_mm256_srli_epi32(D, 2), 1),
                         _mm256_and_si256(_mm256_or_si256(lowset, stk), one));
}

// quantize_f32 with SR into FP8 (mid) on AVX2, 8 elements per ymm:
// fp8_sr_avx512's lanes. Returns the flags' OR.
FP8SA_PY_AVX2 unsigned fp8_sr_avx2(const uint32_t* w, uint8_t* o, py::ssize_t n, const Lfsr& lfsr,
                                   const SrFp8<SrKind::Mid>& sr, const Quantizer& q, OutFormat of, bool sat,
                                   int scale) {
  Draws8 d;
  draws8_start(&d, lfsr);
  const int r1 = sr.R + 1;
  const __m256i vff = _mm256_set1_epi32(0xFF), vdm = _mm256_set1_epi32(static_cast<int>(sr.umask));
  const __m256i vrem = _mm256_set1_epi32(static_cast<int>((1u << sr.sh) - 1u));
  const __m256i vman = _mm256_set1_epi32((1 << sr.man) - 1), vbias = _mm256_set1_epi32(sr.bias - 127 + scale);
  const __m256i vemin1 = _mm256_set1_epi32(sr.emin + 127 - scale - 1), vemax = _mm256_set1_epi32(sr.emax + 127 - scale);
  const __m256i zero = _mm256_setzero_si256(), vabs = _mm256_set1_epi32(0x7FFFFFFF);
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  __m256i inex = zero;
  unsigned flags = 0;
  alignas(32) uint32_t ub[8];
  py::ssize_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i u = _mm256_and_si256(d.st, vdm);
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i));
    const __m256i e = _mm256_and_si256(_mm256_srli_epi32(x, 23), vff);
    const __m256i fast = fp8_fast_lanes(e, vemin1, vemax);
    const __m256i rem = _mm256_and_si256(x, vrem);
    const __m256i k = sr_threshold8<SrKind::Mid>(rem, sr.sh, r1);
    __m256i code = _mm256_or_si256(_mm256_sll_epi32(_mm256_add_epi32(e, vbias), _mm_cvtsi32_si128(sr.man)),
                                   _mm256_and_si256(_mm256_srl_epi32(x, _mm_cvtsi32_si128(sr.sh)), vman));
    code = _mm256_sub_epi32(code, ltu_epi32(u, k));  // -1 where it rounds up
    // +-0 (the ReLU's zero errors): the signed zero code, exact, in the lanes.
    const __m256i z = _mm256_cmpeq_epi32(_mm256_and_si256(x, vabs), zero);
    const __m256i sgn = _mm256_slli_epi32(_mm256_srli_epi32(x, 31), 7);
    code = _mm256_blendv_epi8(_mm256_or_si256(code, sgn), sgn, z);
    inex = _mm256_or_si256(inex, _mm256_andnot_si256(_mm256_cmpeq_epi32(rem, zero), fast));
    const __m256i b = _mm256_shuffle_epi8(code, pick);
    const uint32_t lo4 = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm256_castsi256_si128(b)));
    const uint32_t hi4 = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm256_extracti128_si256(b, 1)));
    std::memcpy(o + i, &lo4, 4);
    std::memcpy(o + i + 4, &hi4, 4);
    unsigned slow = ~lanes8(_mm256_or_si256(fast, z)) & 0xFFu;
    if (slow != 0) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(ub), u);
      for (; slow != 0; slow &= slow - 1u) {
        const int c = __builtin_ctz(slow);
        const OpResult res = q.quantize(w[i + c], of, Round::SR, sat, scale, ub[c]);
        o[i + c] = static_cast<uint8_t>(res.bits);
        flags |= res.flags;
      }
    }
    draws8_next(&d);
  }
  if (i < n) {  // the tail: lane c holds element i + c's state
    _mm256_store_si256(reinterpret_cast<__m256i*>(ub), _mm256_and_si256(d.st, vdm));
    for (int c = 0; i + c < n; ++c) {
      const uint32_t v = w[i + c];
      if (sr.fast(v, scale)) {
        const uint32_t res = sr.round(v, scale, ub[c]);
        o[i + c] = static_cast<uint8_t>(res);
        flags |= res >> 8;
      } else {
        const OpResult res = q.quantize(v, of, Round::SR, sat, scale, ub[c]);
        o[i + c] = static_cast<uint8_t>(res.bits);
        flags |= res.flags;
      }
    }
  }
  return flags | (_mm256_testz_si256(inex, inex) == 0 ? static_cast<unsigned>(kFlagInexact) : 0u);
}

// round_f32's FP16 SR (fp16_sr_avx512's lanes, and +-0 as itself) on AVX2,
// 8 elements per ymm. Returns the flags' OR.
FP8SA_PY_AVX2 unsigned fp16_sr_avx2(const uint32_t* w, float* o, py::ssize_t n, const Lfsr& lfsr, int sr_bits,
                                    const Quantizer& q, OutFormat of, bool sat, const float* dv) {
  Draws8 d;
  draws8_start(&d, lfsr);
  const __m256i vdm = _mm256_set1_epi32(static_cast<int>((1u << sr_bits) - 1u)), vff = _mm256_set1_epi32(0xFF);
  const __m256i lo1 = _mm256_set1_epi32(112), hi1 = _mm256_set1_epi32(142), rmask = _mm256_set1_epi32(0x1FFF);
  const __m256i carry = _mm256_set1_epi32(0x2000), zero = _mm256_setzero_si256();
  const __m256i vabs = _mm256_set1_epi32(0x7FFFFFFF);
  const __m128i sh = _mm_cvtsi32_si128(sr_bits - 13);
  __m256i inex = zero;
  unsigned flags = 0;
  alignas(32) uint32_t ub[8];
  py::ssize_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i u = _mm256_and_si256(d.st, vdm);
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i));
    const __m256i e = _mm256_and_si256(_mm256_srli_epi32(x, 23), vff);
    const __m256i fast = _mm256_and_si256(_mm256_cmpgt_epi32(e, lo1), _mm256_cmpgt_epi32(hi1, e));  // 113..141
    const __m256i rem = _mm256_and_si256(x, rmask);
    const __m256i k = _mm256_sll_epi32(rem, sh);  // < 2^24: sr_bits <= 24
    const __m256i v = _mm256_add_epi32(_mm256_andnot_si256(rmask, x), _mm256_and_si256(_mm256_cmpgt_epi32(k, u), carry));
    const __m256i z = _mm256_cmpeq_epi32(_mm256_and_si256(x, vabs), zero);
    inex = _mm256_or_si256(inex, _mm256_andnot_si256(_mm256_cmpeq_epi32(rem, zero), fast));
    // fast lanes the rounded word, +-0 itself, the others overwritten below
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + i), _mm256_blendv_epi8(v, x, z));
    unsigned slow = ~lanes8(_mm256_or_si256(fast, z)) & 0xFFu;
    if (slow != 0) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(ub), u);
      for (; slow != 0; slow &= slow - 1u) {
        const int c = __builtin_ctz(slow);
        const OpResult res = q.quantize(w[i + c], of, Round::SR, sat, 0, ub[c]);
        o[i + c] = dv[res.bits];
        flags |= res.flags;
      }
    }
    draws8_next(&d);
  }
  if (i < n) {  // the tail: lane c holds element i + c's state
    _mm256_store_si256(reinterpret_cast<__m256i*>(ub), _mm256_and_si256(d.st, vdm));
    for (int c = 0; i + c < n; ++c) {
      const OpResult res = q.quantize(w[i + c], of, Round::SR, sat, 0, ub[c]);
      o[i + c] = dv[res.bits];
      flags |= res.flags;
    }
  }
  return flags | (_mm256_testz_si256(inex, inex) == 0 ? static_cast<unsigned>(kFlagInexact) : 0u);
}
#endif

// quantize_f32(x float32, out uint8 (FP8) or uint16 (fp16/bf16) of x's size,
// fmt, round, sat, seed, scale, sr_bits) -> the OR of the flags. As
// quantize() on binary32 words (e8m23, sr_kind mid): one LFSR draw per
// element in C order with SR.
int quantize_f32(py::array_t<float, py::array::c_style> x, py::array out, const std::string& fmt,
                 const std::string& rnd, bool sat, long long seed, int scale, int sr_bits) {
  const OutFormat of = out_format_arg(fmt);
  const Round r = parse_round(rnd);
  if (scale < -64 || scale > 63) throw std::invalid_argument("scale " + std::to_string(scale) + " out of range [-64, 63]");
  if (seed < 1 || seed > 0xFFFFFFFFLL) throw std::invalid_argument("seed " + std::to_string(seed) + " out of range [1, 4294967295]");
  const bool fp8 = format_info(of).width() == 8;
  const py::ssize_t n = x.size();
  if (!(out.flags() & py::array::c_style) || !out.writeable() || out.size() != n ||
      out.itemsize() != (fp8 ? 1 : 2) || out.dtype().kind() != 'u')
    throw std::invalid_argument(std::string("quantize_f32: out must be a writeable C-contiguous ") +
                                (fp8 ? "uint8" : "uint16") + " array of x's size");
  const uint32_t* w = reinterpret_cast<const uint32_t*>(x.data());
  unsigned flags = 0;
  if (fp8 && r != Round::SR) {
    const Fp8Table& t = fp8_table(of, r, sat, scale);
    uint8_t* o = static_cast<uint8_t*>(out.mutable_data());
    py::gil_scoped_release nogil;
#if FP8SA_PY_X86
    if (py_avx512()) return static_cast<int>(fp8_rn_avx512(w, o, n, t, format_info(of), r, scale));
    if (py_avx2()) return static_cast<int>(fp8_rn_avx2(w, o, n, t, format_info(of), r, scale));
#endif
    flags = t.run(w, o, n) >> 8;
  } else {
    const Quantizer q(kFp32, sr_bits, SrKind::Mid);
    const Lfsr lfsr(32, sr_bits, static_cast<uint64_t>(seed));
    void* o = out.mutable_data();
    py::gil_scoped_release nogil;
    // SR into FP8: sr_fp8 where the result is a normal below the top binade.
    const FormatInfo& fi = format_info(of);
    const SrFp8<SrKind::Mid> sr{fi.man_bits, 23 - fi.man_bits, fi.bias, fi.emin(), fi.emax(), sr_bits,
                                sr_bits >= 32 ? 0xFFFFFFFFu : (1u << sr_bits) - 1u};
    const bool fast = fp8 && r == Round::SR && sr_bits <= 24;
#if FP8SA_PY_X86
    if (fast && py_avx512())
      return static_cast<int>(fp8_sr_avx512(w, static_cast<uint8_t*>(o), n, lfsr, sr, q, of, sat, scale));
    if (fast && py_avx2())
      return static_cast<int>(fp8_sr_avx2(w, static_cast<uint8_t*>(o), n, lfsr, sr, q, of, sat, scale));
#endif
    flags = for_each_draw(n, r == Round::SR, lfsr, [&](py::ssize_t i, uint32_t u) -> unsigned {
      if (fast && sr.fast(w[i], scale)) {
        const uint32_t res = sr.round(w[i], scale, u);
        static_cast<uint8_t*>(o)[i] = static_cast<uint8_t>(res);
        return res >> 8;
      }
      if (fast && (w[i] & 0x7FFFFFFFu) == 0u) {  // +-0 (a ReLU's zero errors): the signed zero, exact
        static_cast<uint8_t*>(o)[i] = static_cast<uint8_t>((w[i] >> 31) << 7);
        return 0u;
      }
      const OpResult res = q.quantize(w[i], of, r, sat, scale, u);
      if (fp8)
        static_cast<uint8_t*>(o)[i] = static_cast<uint8_t>(res.bits);
      else
        static_cast<uint16_t*>(o)[i] = static_cast<uint16_t>(res.bits);
      return res.flags;
    });
  }
  return static_cast<int>(flags);
}

// The float32 values of all 2^width codes of a quantizer output format (the
// model's own decode, output_word_value), built once per format.
const float* decode_table(OutFormat of) {
  static std::mutex mu;
  static std::map<int, std::vector<float>> tables;
  std::lock_guard<std::mutex> lock(mu);
  std::vector<float>& d = tables[static_cast<int>(of)];
  if (d.empty()) {
    d.resize(size_t{1} << format_info(of).width());
    for (size_t c = 0; c < d.size(); ++c)
      d[c] = static_cast<float>(output_word_value(static_cast<uint32_t>(c), static_cast<OutKind>(of), kFp32));
  }
  return d.data();
}

// round_f32's pass: n binary32 words w rounded to fmt (decoded to float32
// in o, not aliasing w) with the draws of one LFSR seeded with seed.
// Returns the flags' OR.
unsigned round_words(const uint32_t* w, float* o, py::ssize_t n, OutFormat of, Round r, bool sat, long long seed,
                     int sr_bits) {
  const Quantizer q(kFp32, sr_bits, SrKind::Mid);
  const Lfsr lfsr(32, sr_bits, static_cast<uint64_t>(seed));
  const float* dv = decode_table(of);
  unsigned flags = 0;
  // FP16 with SR (mid, sr_bits >= 14), binary32 inputs whose result is a
  // normal FP16 below the top binade: the 13 discarded bits rem give the
  // mid threshold k = rem << (sr_bits - 13) (D = rem << (sr_bits - 12) has
  // its two low bits clear and nothing below), up = u < k, and the
  // rounded value is the binary32 word with its low 13 bits cleared plus
  // up (a carry moves into the exponent, still normal and finite);
  // inexact iff rem != 0. Other inputs take the Quantizer.
  const bool fast16 = of == OutFormat::FP16 && r == Round::SR && !sat && sr_bits >= 14 && sr_bits <= 32;
  const bool vec = FP8SA_PY_X86 && fast16 && sr_bits <= 24 && (py_avx512() || py_avx2());
#if FP8SA_PY_X86
  if (vec && py_avx512()) flags = fp16_sr_avx512(w, o, n, lfsr, sr_bits, q, of, sat, dv);
  else if (vec) flags = fp16_sr_avx2(w, o, n, lfsr, sr_bits, q, of, sat, dv);
#endif
  if (!vec) flags = for_each_draw(n, r == Round::SR, lfsr, [&](py::ssize_t i, uint32_t u) -> unsigned {
    const uint32_t e = (w[i] >> 23) & 0xFFu;
    if (fast16 && e >= 113u && e <= 141u) {
      const uint32_t rem = w[i] & 0x1FFFu;
      const uint64_t k = static_cast<uint64_t>(rem) << (sr_bits - 13);
      const uint32_t v = (w[i] & ~0x1FFFu) + (static_cast<uint64_t>(u) < k ? 0x2000u : 0u);
      std::memcpy(&o[i], &v, 4);
      return static_cast<unsigned>(rem != 0u);  // kFlagInexact
    }
    if (fast16 && (w[i] & 0x7FFFFFFFu) == 0u) {  // +-0: itself, exact
      std::memcpy(&o[i], &w[i], 4);
      return 0u;
    }
    const OpResult res = q.quantize(w[i], of, r, sat, 0, u);
    o[i] = dv[res.bits];
    return res.flags;
  });
  return flags;
}

void check_seed(long long seed) {
  if (seed < 1 || seed > 0xFFFFFFFFLL) throw std::invalid_argument("seed " + std::to_string(seed) + " out of range [1, 4294967295]");
}

// round_f32(x float32, fmt, round, sat, seed, sr_bits) -> (float32 values of
// the codes, flags OR): fake_quantize (decode(quantize(x))) in one pass.
py::tuple round_f32(py::array_t<float, py::array::c_style> x, const std::string& fmt, const std::string& rnd,
                    bool sat, long long seed, int sr_bits) {
  const OutFormat of = out_format_arg(fmt);
  const Round r = parse_round(rnd);
  check_seed(seed);
  std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
  py::array_t<float> out(shape);
  const py::ssize_t n = x.size();
  const uint32_t* w = reinterpret_cast<const uint32_t*>(x.data());
  float* o = out.mutable_data();
  unsigned flags = 0;
  {
    py::gil_scoped_release nogil;
    flags = round_words(w, o, n, of, r, sat, seed, sr_bits);
  }
  return py::make_tuple(out, static_cast<int>(flags));
}

// MasterSGD's update in float32, the operations of its PyTorch composition
// in its order, each rounded once (g = grad / s; buf = buf * m + g; new =
// p - lr * buf): separate statements, and no contraction into FMAs (GCC
// contracts across statements by default where the target has FMA).
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
void sgd_update(const float* p, const float* grad, float* buf, float* nw, size_t n, float lr, float m, float s) {
  for (size_t i = 0; i < n; ++i) {
    const float g = grad[i] / s;
    const float bm = buf[i] * m;
    const float bn = bm + g;
    buf[i] = bn;
    const float step = lr * bn;
    nw[i] = p[i] - step;
  }
}

// sgd_round_f32(p, grad, buf, out, lr, momentum, grad_scale, fmt, round,
// seed, sr_bits) -> flags OR: MasterSGD.step of one tensor with masters in
// fmt (FP16), fused (issue 20 section 2): buf updated in place, out = the
// new weights rounded by round_f32's pass with the same seed and draws; no
// temporaries. p, grad: float32 of one size; buf, out: writeable
// C-contiguous float32 of that size.
int sgd_round_f32(py::array_t<float, py::array::c_style> p, py::array_t<float, py::array::c_style> grad, py::array buf,
                  py::array out, double lr, double momentum, double grad_scale, const std::string& fmt,
                  const std::string& rnd, bool sat, long long seed, int sr_bits) {
  const OutFormat of = out_format_arg(fmt);
  const Round r = parse_round(rnd);
  check_seed(seed);
  const py::ssize_t n = p.size();
  for (const py::array* a : {&buf, &out})
    if (!(a->flags() & py::array::c_style) || !a->writeable() || a->size() != n || a->itemsize() != 4 ||
        a->dtype().kind() != 'f')
      throw std::invalid_argument("sgd_round_f32: buf and out must be writeable C-contiguous float32 arrays of p's size");
  if (grad.size() != n) throw std::invalid_argument("sgd_round_f32: grad must have p's size");
  const float* pp = p.data();
  const float* gp = grad.data();
  float* bp = static_cast<float*>(buf.mutable_data());
  float* op = static_cast<float*>(out.mutable_data());
  unsigned flags = 0;
  {
    py::gil_scoped_release nogil;
    thread_local std::vector<float> nw;  // the unrounded new weights, kept between calls
    nw.resize(static_cast<size_t>(n));
    sgd_update(pp, gp, bp, nw.data(), static_cast<size_t>(n), static_cast<float>(lr), static_cast<float>(momentum),
               static_cast<float>(grad_scale));
    flags = round_words(reinterpret_cast<const uint32_t*>(nw.data()), op, n, of, r, sat, seed, sr_bits);
  }
  return static_cast<int>(flags);
}

// gemm_f32's output quantizer (issue 20 section 2). The GEMM runs with raw
// outputs and the array's quantizer stage is applied here, to the same
// words with the same draws as the functional model's per-tile output unit
// (gemm_functional.cpp, finish_tile), which jumps column c's LFSR to tile
// t's draws with Lfsr::skip and quantizes through the generic Quantizer,
// per element: at a training step's sizes that cost 15-30 times the GEMM.
// Column c's LFSR (seed derive_seed(seed, 1 + R*C + c)) gives row r of tile
// t draw t*R + r, so walking the tiles in order is one continuous stream
// per column (the C streams run side by side); padded rows and columns
// draw too. Padded PEs hold +0, which quantizes to +0 without a flag, so
// only the real outputs are quantized. Binary32 words (e8m23, or any
// accumulator with promotion) into FP8: RNE and RZ through fp8_table; SR
// through sr_fp8 (SrFp8, the rule below) where the result is a normal below
// the top binade, 16 columns per zmm on AVX-512 (sr_walk16). Every other word goes through the model's
// Quantizer. The tests compare every path with fp8sa.gemm's quantized
// output (test_torch.py, test_gemm_f32_quantized_output_is_gemm).
//
// sr_fp8: binary32 w (exponent field e, 0 < e < 255), the unbiased result
// exponent E = e - 127 + scale with emin <= E < emax of the FP8 format: the
// result is normal, the kept bits are w's top `man` mantissa bits, and the
// sh = 23 - man bits below are the discarded part rem. The rounding goes up
// iff u < k (numerics.md section 5, the kind's threshold of rem with R
// random bits: from D, the R + 1 bits below the kept LSB, and st, any bit
// below them: mid 2 floor(D / 4) + (D mod 4 != 0 or st), trunc floor(D / 2),
// src floor(D / 2) rounded to nearest even by D's LSB and st). A carry out of
// the mantissa moves into the exponent, at most emax: finite, and not E4M3's
// NaN code. Inexact iff rem != 0; never tiny, never an overflow.
#if FP8SA_PY_X86
// GCC 12 warns inside avx512fintrin.h (the _mm512_undefined_* operands of its
// masked forms), as in cmodel/src/gemm_narrow512.cpp.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// The map of `draws` draws of an LFSR (width, draw_bits) as a byte-sliced
// table like Lfsr::draw_table (the map is linear over GF(2)): entry 256 b + v
// is the XOR of the images of v's bits at byte b, each from Lfsr::skip.
std::vector<uint32_t> jump_table_for(int width, int draw_bits, uint64_t draws) {
  uint32_t bit[32] = {};
  for (int i = 0; i < width; ++i) {
    Lfsr l(width, draw_bits, uint64_t{1} << i);
    l.skip(draws);
    bit[i] = l.state();
  }
  std::vector<uint32_t> t(1024, 0u);
  for (int b = 0; b < 4; ++b)
    for (uint32_t v = 1; v < 256; ++v) {
      const int low = __builtin_ctz(v);
      t[static_cast<size_t>(256 * b) + v] = t[static_cast<size_t>(256 * b) + (v & (v - 1u))] ^ bit[8 * b + low];
    }
  return t;
}

// The SR output walks' stream states in memory order (sr_walk16, sr_walk8):
// per tile column tj and column c, column c's stream (state st[c]) jumped
// past the tj * ROWS draws of the tiles before it in a tile row.
std::vector<uint32_t> walk_states(const ArrayConfig& cfg, const uint32_t* st, long tn) {
  const int R = cfg.rows, C = cfg.cols;
  std::vector<uint32_t> S(static_cast<size_t>(tn) * static_cast<size_t>(C));
  for (long tj = 0; tj < tn; ++tj)
    for (int c = 0; c < C; ++c) {
      Lfsr l(cfg.lfsr_w, cfg.q_sr_bits, st[c]);
      l.skip(static_cast<uint64_t>(tj) * static_cast<uint64_t>(R));
      S[static_cast<size_t>(tj) * static_cast<size_t>(C) + static_cast<size_t>(c)] = l.state();
    }
  return S;
}

// sr_walk with 16 columns per zmm (COLS a multiple of 16, binary32 words
// into FP8): the same per-element steps as the scalar walk, in 32-bit
// lanes. A lane's LFSR draw is the draw map (nib_apply); sr_fp8's rule and
// its fast test per lane; the rounded code's value directly as binary32
// bits; +-0 as itself. Lanes outside the problem are masked off (their
// draws still advance); lanes sr_fp8 does not cover go through the
// Quantizer with their own draw, as in the scalar walk.
template <SrKind KIND>
FP8SA_PY_AVX512 unsigned sr_walk16(const GemmProblem& p, const ArrayConfig& cfg, const Quantizer& q,
                                   const SrFp8<KIND>& sr, const uint32_t* jt, uint32_t* st,
                                   const std::vector<uint32_t>& words, const float* dv, float* o) {
  const OutFormat of = out_format(p.out_fmt);
  const int R = cfg.rows, C = cfg.cols;
  const long tm = (p.M + R - 1) / R, tn = (p.N + C - 1) / C;
  const size_t M = static_cast<size_t>(p.M), N = static_cast<size_t>(p.N);
  const int r1 = sr.R + 1;
  const bool down = sr.sh >= r1;  // D = rem >> (sh - r1), else rem << (r1 - sh)
  const __m512i vff = _mm512_set1_epi32(0xFF), vdm = _mm512_set1_epi32(static_cast<int>(sr.umask));
  const __m512i vrem = _mm512_set1_epi32(static_cast<int>((1u << sr.sh) - 1u));
  const __m512i vlow = _mm512_set1_epi32(static_cast<int>(down ? (1u << (sr.sh - r1)) - 1u : 0u));
  const __m512i vunit = _mm512_set1_epi32(static_cast<int>(1u << sr.sh));
  const __m512i vscale = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(p.scale) << 23));
  const __m512i vemin = _mm512_set1_epi32(sr.emin + 127 - p.scale), vemax = _mm512_set1_epi32(sr.emax + 127 - p.scale);
  const __m512i one = _mm512_set1_epi32(1), three = _mm512_set1_epi32(3), two = _mm512_set1_epi32(2);
  const __m512i zero = _mm512_setzero_si512(), vabs = _mm512_set1_epi32(0x7FFFFFFF);
  __mmask16 inex = 0;
  unsigned flags = 0;
  alignas(64) uint32_t ub[16];
  // The walk goes over the output in memory order, row by row; its draws
  // are the tile-order walk's: column c of tile (ti, tj) starts its rows at
  // draw (ti * tn + tj) * R of column c's stream. S holds, per tile column
  // tj and column c, the stream's state before the current row's draw; a
  // row advances every one of them by one draw (tn * C / 16 independent
  // gather chains: no wait on one chain's latency), and the end of a tile
  // row jumps each by the (tn - 1) * R draws of the other tiles of that row
  // (the jump's byte-sliced table, jump_table_for, from Lfsr::skip).
  std::vector<uint32_t> S = walk_states(cfg, st, tn);
  const NibMap draw = nib_map_of(jt);
  const NibMap jrow = tn > 1 ? nib_map_of(jump_table_for(cfg.lfsr_w, cfg.q_sr_bits,
                                                         static_cast<uint64_t>(tn - 1) * static_cast<uint64_t>(R)).data())
                             : draw;
  for (long ti = 0; ti < tm; ++ti) {
    for (int r = 0; r < R; ++r) {
      const size_t m = static_cast<size_t>(ti * R + r);
      for (long tj = 0; tj < tn; ++tj) {
        uint32_t* stj = S.data() + static_cast<size_t>(tj) * static_cast<size_t>(C);
        for (int c0 = 0; c0 < C; c0 += 16) {
          const __m512i s = nib_apply(draw, _mm512_loadu_si512(stj + c0));
          _mm512_storeu_si512(stj + c0, s);
          const size_t n0 = static_cast<size_t>(tj * C + c0);
          if (m >= M || n0 >= N) continue;  // padding: its draws advance all the same
          const __mmask16 valid = N - n0 >= 16 ? static_cast<__mmask16>(0xFFFF)
                                               : static_cast<__mmask16>((1u << (N - n0)) - 1u);
          const __m512i u = _mm512_and_si512(s, vdm);
          const size_t i0 = m * N + n0;
          const __m512i w = _mm512_maskz_loadu_epi32(valid, words.data() + i0);
          const __m512i e = _mm512_and_si512(_mm512_srli_epi32(w, 23), vff);
          // e != 0, e != 255, emin <= e - 127 + scale < emax
          const __mmask16 fast = _mm512_mask_cmpgt_epi32_mask(
              _mm512_mask_cmplt_epi32_mask(
                  _mm512_mask_cmpge_epi32_mask(_mm512_mask_cmpneq_epi32_mask(
                                                   _mm512_cmpneq_epi32_mask(e, zero), e, vff),
                                               e, vemin),
                  e, vemax),
              e, zero);
          const __m512i rem = _mm512_and_si512(w, vrem);
          __m512i D;
          __mmask16 stk;
          if (down) {
            D = _mm512_srlv_epi32(rem, _mm512_set1_epi32(sr.sh - r1));
            stk = _mm512_test_epi32_mask(rem, vlow);
          } else {
            D = _mm512_sllv_epi32(rem, _mm512_set1_epi32(r1 - sr.sh));
            stk = 0;
          }
          __m512i k;
          if (KIND == SrKind::Trunc) {
            k = _mm512_srli_epi32(D, 1);
          } else if (KIND == SrKind::Src) {
            // (D >> 1) + (D & 1 && (st || D & 2))
            const __mmask16 b0 = _mm512_test_epi32_mask(D, one);
            const __mmask16 b1 = _mm512_test_epi32_mask(D, two);
            k = _mm512_mask_add_epi32(_mm512_srli_epi32(D, 1), b0 & (stk | b1), _mm512_srli_epi32(D, 1), one);
          } else {
            // ((D >> 2) << 1) | ((D & 3) != 0 || st)
            const __mmask16 sb = _mm512_test_epi32_mask(D, three) | stk;
            k = _mm512_mask_or_epi32(_mm512_slli_epi32(_mm512_srli_epi32(D, 2), 1), sb,
                                     _mm512_slli_epi32(_mm512_srli_epi32(D, 2), 1), one);
          }
          // The value of the rounded code itself: a normal FP8 value is
          // the binary32 word w with its sh low bits cleared, plus one unit
          // there when the rounding goes up (a carry moves into the
          // exponent), times 2^scale (exponent + scale, still normal).
          __m512i v = _mm512_andnot_si512(vrem, w);
          v = _mm512_mask_add_epi32(v, _mm512_cmplt_epu32_mask(u, k), v, vunit);
          v = _mm512_add_epi32(v, vscale);
          inex |= _mm512_mask_test_epi32_mask(fast, rem, rem);
          _mm512_mask_storeu_epi32(o + i0, fast, v);
          // +-0 (a weight gradient of a dead unit): its own value, exact.
          const __mmask16 z = _mm512_mask_testn_epi32_mask(valid, w, vabs);
          _mm512_mask_storeu_epi32(o + i0, z, w);
          __mmask16 slow = static_cast<__mmask16>(valid & ~(fast | z));
          if (slow != 0) {
            _mm512_store_si512(ub, u);
            while (slow != 0) {
              const int c = __builtin_ctz(slow);
              slow = static_cast<__mmask16>(slow & (slow - 1u));
              const OpResult res = q.quantize(words[i0 + static_cast<size_t>(c)], of, Round::SR, p.sat, p.scale, ub[c]);
              o[i0 + static_cast<size_t>(c)] = dv[res.bits];
              flags |= res.flags;
            }
          }
        }
      }
    }
    if (tn > 1)  // to the next tile row: past the other tiles' rows
      for (size_t i = 0; i < S.size(); i += 16)
        _mm512_storeu_si512(S.data() + i, nib_apply(jrow, _mm512_loadu_si512(S.data() + i)));
  }
  return flags | (inex != 0 ? static_cast<unsigned>(kFlagInexact) : 0u);
}
#pragma GCC diagnostic pop
#endif

#if FP8SA_PY_X86
// sr_walk16 on AVX2: 8 columns per ymm (COLS a multiple of 8), the same
// per-element steps, the draw map and the tile-row jump as TriMaps.
template <SrKind KIND>
FP8SA_PY_AVX2 unsigned sr_walk8(const GemmProblem& p, const ArrayConfig& cfg, const Quantizer& q,
                                const SrFp8<KIND>& sr, const uint32_t* jt, uint32_t* st,
                                const std::vector<uint32_t>& words, const float* dv, float* o) {
  const OutFormat of = out_format(p.out_fmt);
  const int R = cfg.rows, C = cfg.cols;
  const long tm = (p.M + R - 1) / R, tn = (p.N + C - 1) / C;
  const size_t M = static_cast<size_t>(p.M), N = static_cast<size_t>(p.N);
  const int r1 = sr.R + 1;
  const __m256i vff = _mm256_set1_epi32(0xFF), vdm = _mm256_set1_epi32(static_cast<int>(sr.umask));
  const __m256i vrem = _mm256_set1_epi32(static_cast<int>((1u << sr.sh) - 1u));
  const __m256i vunit = _mm256_set1_epi32(static_cast<int>(1u << sr.sh));
  const __m256i vscale = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(p.scale) << 23));
  const __m256i vemin1 = _mm256_set1_epi32(sr.emin + 127 - p.scale - 1), vemax = _mm256_set1_epi32(sr.emax + 127 - p.scale);
  const __m256i zero = _mm256_setzero_si256(), vabs = _mm256_set1_epi32(0x7FFFFFFF);
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i inex = zero;
  unsigned flags = 0;
  alignas(32) uint32_t ub[8];
  // S as in sr_walk16: per tile column tj and column c, the stream's state
  // before the current row's draw.
  std::vector<uint32_t> S = walk_states(cfg, st, tn);
  const TriMap draw = tri_map_of(jt);
  const TriMap jrow = tn > 1 ? tri_map_of(jump_table_for(cfg.lfsr_w, cfg.q_sr_bits,
                                                         static_cast<uint64_t>(tn - 1) * static_cast<uint64_t>(R)).data())
                             : draw;
  for (long ti = 0; ti < tm; ++ti) {
    for (int r = 0; r < R; ++r) {
      const size_t m = static_cast<size_t>(ti * R + r);
      for (long tj = 0; tj < tn; ++tj) {
        uint32_t* stj = S.data() + static_cast<size_t>(tj) * static_cast<size_t>(C);
        for (int c0 = 0; c0 < C; c0 += 8) {
          const __m256i s = tri_apply(draw, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(stj + c0)));
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(stj + c0), s);
          const size_t n0 = static_cast<size_t>(tj * C + c0);
          if (m >= M || n0 >= N) continue;  // padding: its draws advance all the same
          const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<size_t>(N - n0, 8))), iota);
          const __m256i u = _mm256_and_si256(s, vdm);
          const size_t i0 = m * N + n0;
          const __m256i w = _mm256_maskload_epi32(reinterpret_cast<const int*>(words.data() + i0), valid);
          const __m256i e = _mm256_and_si256(_mm256_srli_epi32(w, 23), vff);
          const __m256i fast = _mm256_and_si256(valid, fp8_fast_lanes(e, vemin1, vemax));
          const __m256i rem = _mm256_and_si256(w, vrem);
          const __m256i k = sr_threshold8<KIND>(rem, sr.sh, r1);
          // The rounded code's value as binary32 bits (sr_walk16).
          __m256i v = _mm256_andnot_si256(vrem, w);
          v = _mm256_add_epi32(v, _mm256_and_si256(ltu_epi32(u, k), vunit));
          v = _mm256_add_epi32(v, vscale);
          inex = _mm256_or_si256(inex, _mm256_andnot_si256(_mm256_cmpeq_epi32(rem, zero), fast));
          // +-0 (a weight gradient of a dead unit): its own value, exact.
          const __m256i z = _mm256_and_si256(valid, _mm256_cmpeq_epi32(_mm256_and_si256(w, vabs), zero));
          _mm256_maskstore_epi32(reinterpret_cast<int*>(o + i0), _mm256_or_si256(fast, z), _mm256_blendv_epi8(v, w, z));
          unsigned slow = lanes8(_mm256_andnot_si256(_mm256_or_si256(fast, z), valid));
          if (slow != 0) {
            _mm256_store_si256(reinterpret_cast<__m256i*>(ub), u);
            for (; slow != 0; slow &= slow - 1u) {
              const int c = __builtin_ctz(slow);
              const OpResult res = q.quantize(words[i0 + static_cast<size_t>(c)], of, Round::SR, p.sat, p.scale, ub[c]);
              o[i0 + static_cast<size_t>(c)] = dv[res.bits];
              flags |= res.flags;
            }
          }
        }
      }
    }
    if (tn > 1)  // to the next tile row: past the other tiles' rows
      for (size_t i = 0; i < S.size(); i += 8)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(S.data() + i),
                            tri_apply(jrow, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(S.data() + i))));
  }
  return flags | (_mm256_testz_si256(inex, inex) == 0 ? static_cast<unsigned>(kFlagInexact) : 0u);
}
#endif

// The SR walk of quantize_outputs: column c's stream state st[c], advanced
// one draw at a time by the LFSR's own draw map (Lfsr::draw_table, as
// Lfsr::draw). fast: binary32 words into FP8 (sr_fp8 where it applies).
template <SrKind KIND>
unsigned sr_walk(const GemmProblem& p, const ArrayConfig& cfg, const Quantizer& q, bool fast,
                 const std::vector<uint32_t>& words, const float* dv, float* o) {
  const OutFormat of = out_format(p.out_fmt);
  const FormatInfo& fi = format_info(of);
  const int R = cfg.rows, C = cfg.cols;
  const long tm = (p.M + R - 1) / R, tn = (p.N + C - 1) / C;
  const size_t M = static_cast<size_t>(p.M), N = static_cast<size_t>(p.N);
  const SrFp8<KIND> sr{fi.man_bits, 23 - fi.man_bits, fi.bias, fi.emin(), fi.emax(), cfg.q_sr_bits,
                       (1u << cfg.q_sr_bits) - 1u};
  const uint32_t dmask = sr.umask;  // Lfsr::draw's low draw_bits bits
  std::vector<uint32_t> st;
  const uint32_t* jt = nullptr;
  for (int c = 0; c < C; ++c) {
    const Lfsr l(cfg.lfsr_w, cfg.q_sr_bits, derive_seed(cfg.seed, static_cast<uint32_t>(1 + R * C + c), cfg.lfsr_w));
    st.push_back(l.state());
    jt = l.draw_table();
  }
#if FP8SA_PY_X86
  if (fast && C % 16 == 0 && py_avx512()) return sr_walk16<KIND>(p, cfg, q, sr, jt, st.data(), words, dv, o);
  if (fast && C % 8 == 0 && py_avx2()) return sr_walk8<KIND>(p, cfg, q, sr, jt, st.data(), words, dv, o);
#endif
  unsigned flags = 0, f8 = 0;  // f8: sr_fp8's inexact flags, << 8
  for (long ti = 0; ti < tm; ++ti) {
    for (long tj = 0; tj < tn; ++tj) {
      const size_t n0 = static_cast<size_t>(tj * C);
      const int cn = static_cast<int>(std::min<size_t>(static_cast<size_t>(C), N - n0));  // real columns
      for (int r = 0; r < R; ++r) {
        const size_t m = static_cast<size_t>(ti * R + r);
        for (int c = 0; c < C; ++c) {
          uint32_t& s = st[static_cast<size_t>(c)];
          s = jt[s & 0xFFu] ^ jt[256 + ((s >> 8) & 0xFFu)] ^ jt[512 + ((s >> 16) & 0xFFu)] ^ jt[768 + (s >> 24)];
          if (m >= M || c >= cn) continue;
          const uint32_t u = s & dmask;
          const size_t i = m * N + n0 + static_cast<size_t>(c);
          const uint32_t w = words[i];
          if (fast && sr.fast(w, p.scale)) {
            const uint32_t res = sr.round(w, p.scale, u);
            o[i] = dv[res & 0xFFu];
            f8 |= res;
          } else if (fast && (w & 0x7FFFFFFFu) == 0u) {  // +-0 (a dead unit's gradient): itself, exact
            std::memcpy(&o[i], &w, 4);
          } else {
            const OpResult res = q.quantize(w, of, Round::SR, p.sat, p.scale, u);
            o[i] = dv[res.bits];
            flags |= res.flags;
          }
        }
      }
    }
  }
  return flags | (f8 >> 8);
}

unsigned quantize_outputs(const GemmProblem& p, const ArrayConfig& cfg, const std::vector<uint32_t>& words, float* o) {
  const OutFormat of = out_format(p.out_fmt);
  const FormatInfo& fi = format_info(of);
  const float* dv = decode_table(of);
  const Quantizer q(cfg.result_format(), cfg.q_sr_bits, cfg.sr_kind);
  const bool f32 = cfg.result_format() == kFp32;
  const bool fp8 = fi.width() == 8;
  const size_t M = static_cast<size_t>(p.M), N = static_cast<size_t>(p.N);
  unsigned flags = 0;
  if (p.out_rnd != Round::SR) {
    if (f32 && fp8) {
      const Fp8Table& t = fp8_table(of, p.out_rnd, p.sat, p.scale);
      unsigned f = 0;
      for (size_t i = 0; i < M * N; ++i) {
        const uint16_t en = t.at(words[i]);
        o[i] = dv[en & 0xFFu];
        f |= en;
      }
      return f >> 8;
    }
    for (size_t i = 0; i < M * N; ++i) {
      const OpResult res = q.quantize(words[i], of, p.out_rnd, p.sat, p.scale, 0u);
      o[i] = dv[res.bits];
      flags |= res.flags;
    }
    return flags;
  }
  const bool fast = f32 && fp8;
  if (cfg.sr_kind == SrKind::Trunc) return sr_walk<SrKind::Trunc>(p, cfg, q, fast, words, dv, o);
  if (cfg.sr_kind == SrKind::Src) return sr_walk<SrKind::Src>(p, cfg, q, fast, words, dv, o);
  return sr_walk<SrKind::Mid>(p, cfg, q, fast, words, dv, o);
}

// Narrow accumulator words (the raw output of an eXmY array) to float32, as
// output_word_value: with an 8-bit exponent the word is binary32's top bits
// (same bias, subnormals on the same grid), so a shift, except for Inf/NaN
// words (the model's own decode); words of up to 16 bits by a table of the
// model's own decode, built once per format; others one at a time.
void decode_raw(const uint32_t* w, size_t n, const AccFormat& rf, float* o) {
  const uint32_t mask = rf.mask();
  if (rf.exp_bits == 8) {
    const int sh = 23 - rf.man_bits, man = rf.man_bits;
    for (size_t i = 0; i < n; ++i) {
      const uint32_t x = w[i] & mask;
      if (((x >> man) & 0xFFu) != 0xFFu) {
        const uint32_t b = x << sh;
        std::memcpy(&o[i], &b, 4);
      } else {
        o[i] = static_cast<float>(output_word_value(x, OutKind::Raw, rf));
      }
    }
    return;
  }
  if (rf.width() <= 16) {
    static std::mutex mu;
    static std::map<std::pair<int, int>, std::vector<float>> tables;
    const float* t;
    {
      std::lock_guard<std::mutex> lock(mu);
      std::vector<float>& d = tables[std::make_pair(rf.exp_bits, rf.man_bits)];
      if (d.empty()) {
        d.resize(size_t{1} << rf.width());
        for (size_t c = 0; c < d.size(); ++c)
          d[c] = static_cast<float>(output_word_value(static_cast<uint32_t>(c), OutKind::Raw, rf));
      }
      t = d.data();
    }
    for (size_t i = 0; i < n; ++i) o[i] = t[w[i] & mask];
    return;
  }
  for (size_t i = 0; i < n; ++i) o[i] = static_cast<float>(output_word_value(w[i], OutKind::Raw, rf));
}

// dst (rows x cols, row-major) = the transpose of src (cols x rows,
// row-major): 16 x 16 byte blocks by four rounds of SSE2 unpacks, the
// edges one byte at a time.
void transpose_codes(const uint8_t* src, py::ssize_t rows, py::ssize_t cols, uint8_t* dst) {
  py::ssize_t i0 = 0, j0 = 0;
#if FP8SA_PY_X86
  for (j0 = 0; j0 + 16 <= cols; j0 += 16)
    for (i0 = 0; i0 + 16 <= rows; i0 += 16) {
      __m128i x[16], y[16];
      for (int r = 0; r < 16; ++r)  // src rows j0 + r, columns i0 .. i0 + 15
        x[r] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + (j0 + r) * rows + i0));
      for (int r = 0; r < 8; ++r) {  // byte pairs of rows 2r, 2r + 1
        y[2 * r] = _mm_unpacklo_epi8(x[2 * r], x[2 * r + 1]);
        y[2 * r + 1] = _mm_unpackhi_epi8(x[2 * r], x[2 * r + 1]);
      }
      for (int g = 0; g < 4; ++g) {  // 4 bytes a column, rows 4g .. 4g + 3: x[4g + q] columns 4q .. 4q + 3
        x[4 * g] = _mm_unpacklo_epi16(y[4 * g], y[4 * g + 2]);
        x[4 * g + 1] = _mm_unpackhi_epi16(y[4 * g], y[4 * g + 2]);
        x[4 * g + 2] = _mm_unpacklo_epi16(y[4 * g + 1], y[4 * g + 3]);
        x[4 * g + 3] = _mm_unpackhi_epi16(y[4 * g + 1], y[4 * g + 3]);
      }
      for (int q = 0; q < 4; ++q) {  // 8 bytes a column: y[k] columns 2k, 2k + 1 (rows 0-7), y[8 + k] (rows 8-15)
        y[2 * q] = _mm_unpacklo_epi32(x[q], x[4 + q]);
        y[2 * q + 1] = _mm_unpackhi_epi32(x[q], x[4 + q]);
        y[8 + 2 * q] = _mm_unpacklo_epi32(x[8 + q], x[12 + q]);
        y[8 + 2 * q + 1] = _mm_unpackhi_epi32(x[8 + q], x[12 + q]);
      }
      for (int k = 0; k < 8; ++k) {  // dst rows i0 + 2k, i0 + 2k + 1, columns j0 .. j0 + 15
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (i0 + 2 * k) * cols + j0), _mm_unpacklo_epi64(y[k], y[8 + k]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (i0 + 2 * k + 1) * cols + j0),
                         _mm_unpackhi_epi64(y[k], y[8 + k]));
      }
    }
  i0 = rows - rows % 16;
  j0 = cols - cols % 16;
#endif
  for (py::ssize_t i = 0; i < rows; ++i)  // the edges: the last rows % 16 rows, the last cols % 16 columns
    for (py::ssize_t j = (i < i0 ? j0 : 0); j < cols; ++j) dst[i * cols + j] = src[j * rows + i];
}

// A 2-D uint8 operand as row-major codes: a C-contiguous array in place, a
// transposed view of one (Linear's W^T, the weight gradient's X^T) by
// transpose_codes into buf (numpy's strided copy took 3-4 times as long),
// anything else through numpy (keep). nullptr if in is not a 2-D array.
const uint8_t* row_major_codes(const py::array_t<uint8_t>& in, Arr<uint8_t>* keep, std::vector<uint8_t>* buf) {
  if (!in || in.ndim() != 2) return nullptr;
  const py::ssize_t r = in.shape(0), c = in.shape(1);
  if (!(in.flags() & py::array::c_style) && r > 1 && c > 1 && in.strides(0) == 1 && in.strides(1) == r) {
    buf->resize(static_cast<size_t>(r) * static_cast<size_t>(c));
    transpose_codes(in.data(), r, c, buf->data());
    return buf->data();
  }
  *keep = Arr<uint8_t>::ensure(in);
  return *keep ? keep->data() : nullptr;
}

// gemm_f32(a codes, b codes, fmt_a, fmt_b, round, out_fmt, out_round, sat,
// scale, array keywords, threads) -> (float32 values M x N, OR of the tile
// flags): gemm() on the functional model (the array: Python's defaults and
// the keywords given, as gemm()) and decode(); a quantized output's stage
// runs on the raw words in quantize_outputs.
// a and b may be strided (a transpose): they are packed here.
py::tuple gemm_f32(py::array_t<uint8_t> a_in, py::array_t<uint8_t> b_in, const std::string& fmt_a,
                   const std::string& fmt_b, const std::string& rnd, const std::string& out_fmt,
                   const std::string& out_rnd, bool sat, int scale, const py::dict& array, int threads) {
  std::vector<uint8_t> abuf, bbuf;
  Arr<uint8_t> a, b;
  const uint8_t* A = row_major_codes(a_in, &a, &abuf);
  const uint8_t* B = row_major_codes(b_in, &b, &bbuf);
  if (!A || !B || a_in.ndim() != 2 || b_in.ndim() != 2 || a_in.shape(1) != b_in.shape(0))
    throw std::invalid_argument("gemm_f32: a (M x K) and b (K x N) uint8 codes");
  std::vector<bool> given;
  ArrayConfig cfg = array_from_keywords(array, &given);
  std::unique_ptr<GemmBackend> be = make_model_backend("functional", cfg);
  cfg = be->config();
  GemmProblem p;
  p.M = static_cast<int>(a_in.shape(0));
  p.K = static_cast<int>(a_in.shape(1));
  p.N = static_cast<int>(b_in.shape(1));
  p.A = A;
  p.B = B;
  set_controls(p, fmt_a, fmt_b, rnd, out_fmt, out_rnd, sat, scale);
  GemmRunOptions opt;
  opt.functional.threads = threads;
  // Binary32 result words (e8m23, promotion, dot, exact) are their own
  // values: the model's vector goes to numpy as it is (no copy).
  const bool own = !is_quantized(p.out_fmt) && cfg.result_format() == kFp32;
  py::array_t<float> out;
  if (!own) out = py::array_t<float>({static_cast<py::ssize_t>(p.M), static_cast<py::ssize_t>(p.N)});
  std::unique_ptr<std::vector<uint32_t>> words;
  unsigned flags = 0;
  {
    py::gil_scoped_release nogil;
    // The quantizer stage runs here (quantize_outputs) on the raw words.
    const GemmProblem q = p;
    p.out_fmt = OutKind::Raw;
    GemmRun run = be->run(p, opt);
    for (uint8_t f : run.out.tile_flags) flags |= f;
    const AccFormat rf = cfg.result_format();
    const size_t n = run.out.out.size();
    if (own)
      words = std::make_unique<std::vector<uint32_t>>(std::move(run.out.out));
    else if (is_quantized(q.out_fmt))
      flags |= quantize_outputs(q, cfg, run.out.out, out.mutable_data());
    else
      decode_raw(run.out.out.data(), n, rf, out.mutable_data());
  }
  if (own) {
    float* data = reinterpret_cast<float*>(words->data());
    const py::capsule owner(words.get(), [](void* v) { delete static_cast<std::vector<uint32_t>*>(v); });
    words.release();
    out = py::array_t<float>({static_cast<py::ssize_t>(p.M), static_cast<py::ssize_t>(p.N)}, data, owner);
  }
  return py::make_tuple(out, static_cast<int>(flags));
}

}  // namespace

void bind_explore(py::module_& m);  // explore.cpp: fp8sa.explore

PYBIND11_MODULE(_core, m) {
  m.doc() = "fp8sa bit-exact model (C++), see fp8sa.gemm / fp8sa.quantize";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const cli::UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  bind_explore(m);
  m.def("gemm", &gemm, py::arg("a"), py::arg("b"), py::arg("c_init"), py::arg("fmt_a"), py::arg("fmt_b"),
        py::arg("round"), py::arg("out_fmt"), py::arg("out_round"), py::arg("sat"), py::arg("scale"),
        py::arg("array"), py::arg("backend"), py::arg("threads"));
  m.def("array_fields", &array_fields_py);
  m.def("quantize", &quantize, py::arg("words"), py::arg("fmt"), py::arg("round"), py::arg("sat"), py::arg("seed"),
        py::arg("scale"), py::arg("acc"), py::arg("sr_bits"), py::arg("sr_kind"), py::arg("rand"));
  m.def("quantize_f32", &quantize_f32, py::arg("x"), py::arg("out"), py::arg("fmt"), py::arg("round"), py::arg("sat"),
        py::arg("seed"), py::arg("scale"), py::arg("sr_bits"));
  m.def("round_f32", &round_f32, py::arg("x"), py::arg("fmt"), py::arg("round"), py::arg("sat"), py::arg("seed"),
        py::arg("sr_bits"));
  m.def("sgd_round_f32", &sgd_round_f32, py::arg("p"), py::arg("grad"), py::arg("buf"), py::arg("out"), py::arg("lr"),
        py::arg("momentum"), py::arg("grad_scale"), py::arg("fmt"), py::arg("round"), py::arg("sat"), py::arg("seed"),
        py::arg("sr_bits"));
  m.def("gemm_f32", &gemm_f32, py::arg("a"), py::arg("b"), py::arg("fmt_a"), py::arg("fmt_b"), py::arg("round"),
        py::arg("out_fmt"), py::arg("out_round"), py::arg("sat"), py::arg("scale"), py::arg("array"),
        py::arg("threads"));
  m.def("pe_presets", &pe_presets);
  m.def("decode", &decode, py::arg("codes"), py::arg("fmt"), py::arg("acc_word") = false);
  m.def("formats", &formats);
  m.def("rtl_configs", &rtl_configs);
  m.def("has_rtl", &has_rtl);
  m.def("sim_boards", &sim_boards_py);
  m.def("board_array", &board_array, py::arg("backend"));
  m.attr("FLAG_INEXACT") = static_cast<int>(kFlagInexact);
  m.attr("FLAG_UNDERFLOW") = static_cast<int>(kFlagUnderflow);
  m.attr("FLAG_OVERFLOW") = static_cast<int>(kFlagOverflow);
  m.attr("FLAG_INVALID") = static_cast<int>(kFlagInvalid);
}

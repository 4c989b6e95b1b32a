// Cycle-accurate model of the fp8sa systolic array (docs/array.md): ROWS x
// COLS MAC PEs (output-stationary, A right along rows, B down columns, the
// array skews the operands itself), a shadow accumulator per PE, one
// quantizer and one LFSR per output column, a 4-deep command queue, the init
// bank and one output register. Independent of the RTL.
//
// Latency: with no stalls, PE (r, c) performs step k of a tile injected at
// edge t at edge t + r + c + 1; row i of a tile is in the output register
// COLS + 2 + i edges after the edge that injected the tile's last step.
// Handshakes: cmd, in (steps), init (init-bank rows) and out (result rows),
// all valid/ready; every output is a function of state only (Moore), so
// outputs() may be read before clock() and is what the RTL drives during the
// cycle that ends with that clock().
//
// Use: fill an ArrayInputs with the values the inputs hold during a cycle,
// read outputs() (the ready signals for that cycle), then clock(inputs) for
// the rising edge that ends it. Nothing allocates after construction.
//
// How it is fast (docs/array.md "The cycle model"): the control (skew ring,
// done, shadow_valid, stall, queue, bank, drain) is per diagonal and per row,
// O(ROWS + COLS) per edge, not per PE; the accumulator values are computed
// lazily, a row at a time, from a history of the injected steps: when a row
// drains (the shadows it loads into the output register) and whenever the
// history would otherwise overflow. No value that reaches a port depends on
// when it is computed, so the ports are those of an eager model on every
// cycle. e8m23 RNE segments without NaN/Inf operands run a vector kernel
// (binary32 add of the exact product = fmaf, inexact from an exact per-lane
// test); everything else runs AccAdder, the reference path
// (ArrayModelOptions::allow_fast = false runs it everywhere).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fp8sa/array_fields.hpp"
#include "fp8sa/lfsr.hpp"
#include "fp8sa/numerics.hpp"
#include "fp8sa/pe.hpp"

namespace fp8sa {

constexpr int kArrayMaxDim = 256;  // ROWS, COLS <= 256 in the models (the RTL configurations are smaller)
constexpr int kMaxPortLanes = kArrayMaxDim * kMaxDotN;  // in_a_i / in_b_i lanes: ROWS * DOT_N, COLS * DOT_N
constexpr int kCmdQueueDepth = 4;
constexpr uint8_t kOutFmtRaw = static_cast<uint8_t>(OutKind::Raw);  // cmd_out_fmt_i code for the raw accumulator word

// The array's parameters (docs/array.md "Parameters"): the members come
// from the one list, FP8SA_ARRAY_FIELDS (array_fields.hpp), with their
// defaults, ranges, RTL parameter names (ROWS, COLS, ACC_EXP_W/ACC_MAN_W,
// SR_BITS, Q_SR_BITS, LFSR_W, SEED, MUL_STAGES, Q_STAGES, PROMOTE_N,
// PE_KIND, DOT_N, ALIGN_BITS, SR_KIND) and one-line docs.
struct ArrayConfig {
#define FP8SA_ARRAY_MEMBER(member, type, kind, role, init, dflt, name, column, lo, hi, example, doc) type member = init;
  FP8SA_ARRAY_FIELDS(FP8SA_ARRAY_MEMBER)
#undef FP8SA_ARRAY_MEMBER
  // Throws std::invalid_argument naming the field, e.g. "array: rows 0 out of range [1, 256]".
  void validate() const;
  // TILE_GAP = max(COLS, ceil((ROWS + COLS - 1) / 2)), docs/array.md "Tile spacing".
  int tile_gap() const;
  // The PE's parameters (the seam every engine uses, pe.hpp).
  PeConfig pe() const { return PeConfig{pe_kind, dot_n, align_bits, acc, sr_bits, sr_kind, promote_n}; }
  // The tile's result word (shadows, quantizer input, raw output): binary32
  // with promotion, else the accumulator format; and the init word (init
  // bank, C_init): binary32 for dot, exact and promotion, else acc
  // (docs/numerics.md section 10, "Words").
  AccFormat result_format() const { return promote_n > 0 ? kFp32 : acc; }
  AccFormat init_format() const { return pe().init_format(); }
  // Every field of the list equal (the Verilated-configuration matcher uses this).
  bool operator==(const ArrayConfig& o) const;
  bool operator!=(const ArrayConfig& o) const { return !(*this == o); }
  // Steps of a tile of k products: ceil(k / dot_n) (cmd_k_i).
  uint32_t steps(uint32_t k) const { return (k + static_cast<uint32_t>(dot_n) - 1) / static_cast<uint32_t>(dot_n); }
};

// The fields of the list, for code that walks them (the CLI options, the
// Python keywords, the table reader, the matcher, the tests): one entry per
// FP8SA_ARRAY_FIELDS line, in order.
enum class ArrayFieldKind : uint8_t { Int, Hex, Format, Enum };
enum class ArrayFieldRole : uint8_t { Key, Built };  // array_fields.hpp "role"
struct ArrayField {
  const char* member;   // "promote_n"
  ArrayFieldKind kind;
  ArrayFieldRole role;
  const char* dflt;     // "0": the default as text
  const char* name;     // "promote": the CLI option, the Python keyword (with '_' for '-')
  const char* column;   // "PROMOTE_N": the RTL parameter, the table column (Format: COLUMN_EXP_W, COLUMN_MAN_W)
  long long lo, hi;     // Int, Hex: the range; Enum: the codes; Format: unused
  const char* example;  // a legal value other than the default
  const char* doc;      // one line
  // Enum: the value names, by code ("fma", "dot", "exact"); empty otherwise.
  std::vector<std::string> choices() const;
  std::string python_name() const;  // name with '-' as '_'
};
const std::vector<ArrayField>& array_fields();
// The field of that CLI name (or Python keyword, or column); nullptr if none.
const ArrayField* find_array_field(const std::string& name);
// The field's value as text: "4", "e8m23", "0x0000BEEF", "dot".
std::string array_field_text(const ArrayConfig& c, const ArrayField& f);
// Sets the field from text (decimal or 0x hex for Int and Hex, eXmY, an
// enum name, case-insensitive); throws std::invalid_argument naming the
// field for text that is not a value of its kind. Ranges are validate()'s.
void array_field_parse(ArrayConfig& c, const ArrayField& f, const std::string& text);
// Int, Hex, Enum: the value (Enum: its code); Format: exp_bits * 100 + man_bits.
long long array_field_value(const ArrayConfig& c, const ArrayField& f);
// Int, Hex, Enum: stores v unchecked (cast; for tests of validate());
// Format: v = exp_bits * 100 + man_bits.
void array_field_set_value(ArrayConfig& c, const ArrayField& f, long long v);
bool array_field_equal(const ArrayConfig& a, const ArrayConfig& b, const ArrayField& f);
// The one reader of a configuration's values as text: (field, value) pairs,
// a field named by its column (ROWS, ACC), CLI name or member; fields not
// given take their defaults. Validates; throws std::invalid_argument starting
// with `what` for an unknown field, a field given twice or a bad value.
ArrayConfig array_config_from(const std::vector<std::pair<std::string, std::string>>& values, const std::string& what);
// describe_array: "4x4 e8m23" and then "name value" for every other field that is not at
// its default, e.g. "2x2 e8m13 seed 0xBEEF pe dot dot-n 32".
std::string describe_array(const ArrayConfig& c);

// seed(i) of docs/array.md "Seeds": (seed ^ (index * 0x9E3779B9)) mod
// 2^lfsr_w (32-bit wrapping multiply), 1 when that is zero. PE (r, c) uses
// index 1 + r*cols + c, column quantizer c uses 1 + rows*cols + c.
uint32_t derive_seed(uint32_t seed, uint32_t index, int lfsr_w);

// One value per row or column of a bus port (in_a_i, in_b_i, init_data_i,
// out_data_o), indexed like the std::array it replaces. Up to kInline lanes
// live inside the object (no heap, so a copy of the port structs costs what
// it did with 16-wide arrays); wider arrays put their lanes on the heap once
// (resize()), and a copy or assignment copies size() lanes only, reusing the
// destination's heap block when it is large enough. A 256-wide std::array
// would make every ArrayOutputs copy 1 KiB and every ArrayInputs 1.5 KiB,
// whatever the array's size; a std::vector would allocate on every copy.
template <class T>
class PortLanes {
 public:
  static constexpr int kInline = 16;
  PortLanes() = default;  // kInline lanes, all 0
  explicit PortLanes(int n) { resize(n); }
  PortLanes(const PortLanes& o) { *this = o; }
  PortLanes& operator=(const PortLanes& o) {
    if (this != &o) {
      resize(static_cast<int>(o.n_));
      std::memcpy(data(), o.data(), o.n_ * sizeof(T));
    }
    return *this;
  }
  // n lanes in [1, kMaxPortLanes] (throws std::invalid_argument otherwise); all 0.
  void resize(int n);
  size_t size() const { return n_; }
  T* data() { return heap_ ? heap_.get() : inline_.data(); }
  const T* data() const { return heap_ ? heap_.get() : inline_.data(); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + n_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + n_; }

 private:
  std::array<T, kInline> inline_{};
  std::unique_ptr<T[]> heap_;  // used when n_ > kInline
  size_t n_ = kInline, cap_ = 0;
};

// The value every *_i port holds during one cycle (clk_i is the clock() call).
// Only the first `rows` entries of in_a_i and the first `cols` of in_b_i and
// init_data_i are used. Multi-bit control fields are the RTL port codes.
// Default-constructed, the lanes fit arrays up to 16 x 16; ArrayInputs(cfg)
// fits any (the model throws std::invalid_argument for lanes too few).
struct ArrayInputs {
  ArrayInputs() = default;
  explicit ArrayInputs(const ArrayConfig& cfg);
  bool rst_ni = true;  // 0: asynchronous reset held over this edge (see clock())
  // tile command
  bool cmd_valid_i = false;
  uint16_t cmd_k_i = 1;         // steps in the tile; 0 runs as 1
  bool cmd_fmt_a_i = false;     // 0 E4M3, 1 E5M2
  bool cmd_fmt_b_i = false;
  uint8_t cmd_rnd_i = 0;        // 0 RNE, 1 RZ, 2 SR (3 reserved: throws)
  bool cmd_use_init_i = false;  // start from the init bank instead of +0
  uint8_t cmd_out_fmt_i = kOutFmtRaw;  // 0 E4M3, 1 E5M2, 2 FP16, 3 BF16, 4 raw (5..7 reserved: throws)
  uint8_t cmd_out_rnd_i = 0;    // quantizer rounding, 0 RNE, 1 RZ, 2 SR (3 reserved: throws)
  bool cmd_sat_i = false;
  int8_t cmd_scale_i = 0;       // [-64, 63] (the 7-bit two's-complement port's value)
  // step
  bool in_valid_i = false;
  PortLanes<uint8_t> in_a_i;  // column k of A: row r in [r]
  PortLanes<uint8_t> in_b_i;  // row k of B: column c in [c]
  // init-bank row (the low RES_W bits of each word are used, as the port is RES_W bits:
  // ACC_W, or 32 with promotion, ArrayConfig::result_format())
  bool init_valid_i = false;
  PortLanes<uint32_t> init_data_i;
  // result
  bool out_ready_i = false;
};

// Every *_o port (out_data_o column c in [c], zero-extended to 32 bits).
struct ArrayOutputs {
  ArrayOutputs() = default;
  explicit ArrayOutputs(const ArrayConfig& cfg);  // out_data_o with cfg.cols lanes
  bool cmd_ready_o = false;
  bool in_ready_o = false;
  bool init_ready_o = false;
  bool out_valid_o = false;
  PortLanes<uint32_t> out_data_o;
  uint8_t out_row_o = 0;
  bool out_last_o = false;
  uint8_t out_flags_o = 0;
};

// Model-only switches (not RTL parameters).
struct ArrayModelOptions {
  bool allow_fast = true;  // false: every MAC through AccAdder (the reference path), for differential tests
};

class ArrayCycleModel {
 public:
  explicit ArrayCycleModel(const ArrayConfig& cfg, const ArrayModelOptions& opt = {});  // validates; starts in reset state

  const ArrayConfig& config() const { return cfg_; }
  void reset();  // rst_ni asserted: everything empty, LFSRs at their seeds, cycle() = 0
  const ArrayOutputs& outputs() const { return out_; }
  // One rising edge closing a cycle in which the inputs held `in`. With
  // in.rst_ni == 0 this is reset(). Throws std::invalid_argument (before
  // changing any state) for a command handshake with a reserved code or a
  // scale out of [-64, 63], and for input lanes fewer than ROWS / COLS.
  void clock(const ArrayInputs& in);
  uint64_t cycle() const { return cycle_; }  // clock() calls since the last reset

  // Observability for tests and traces (not ports).
  bool stall() const { return stall_; }           // this cycle is not an advance
  uint64_t advances() const { return advances_; }  // advance edges since reset
  uint64_t macs() const;                          // PE MACs since reset (steps * DOT_N)
  const Lfsr& col_lfsr(int c) const { return col_lfsr_[static_cast<size_t>(c)]; }
  int cmd_entries() const { return q_count_; }
  // MACs computed on the fast kernel / on AccAdder since construction.
  uint64_t fast_macs() const { return fast_macs_; }
  uint64_t generic_macs() const { return generic_macs_; }

 private:
  // One skew / operand register stage (all PEs on diagonal r + c = d read
  // the entry injected d advances ago); the operands are in the history.
  struct Slot {
    bool valid = false, first = false, last = false, use_init = false;
  };
  // A command queue entry = one tile: its controls, and once injected the
  // sequence number of its first step and (use_init) the bank it claimed.
  struct Cmd {
    uint32_t k = 1;
    bool fmt_a = false, fmt_b = false, use_init = false, sat = false;
    uint8_t rnd = 0, out_fmt = kOutFmtRaw, out_rnd = 0;
    int scale = 0;
    uint64_t seq0 = 0;  // sequence number of step 0
  };
  // Step history: operands and tile of every injected step, by sequence
  // number modulo hist_cap_.
  struct StepMeta {
    uint8_t qslot = 0;      // command queue slot of its tile
    bool first = false, last = false;
    bool special = false;   // a NaN or Inf operand code in the step
  };

  size_t idx(int r, int c) const { return static_cast<size_t>(r * cfg_.cols + c); }
  const Slot& slot(int d) const { return ring_[static_cast<size_t>((head_ - d) & ring_mask_)]; }
  void check_cmd(const ArrayInputs& in) const;
  void check_lanes(const ArrayInputs& in) const;
  void update_outputs();
  bool shadow_valid(int r, int c) const { return shadow_set_[static_cast<size_t>(r + c)] > row_clear_[static_cast<size_t>(r)]; }
  bool row_ready(int r);
  void inject(const ArrayInputs& in);
  // Lazy values: apply steps [row_next_[r], end) to row r's PEs.
  void catch_up(int r, uint64_t end);
  void catch_up_all();  // every row through the steps its PEs have consumed
  // Steps [s0, s1) of the tile in queue slot qs (t = q_[qs]) on row r's PEs.
  void run_generic(int r, uint64_t s0, uint64_t s1, const Cmd& t, int qs);
  void run_fast(int r, uint64_t s0, uint64_t s1, const Cmd& t, int qs);

  ArrayConfig cfg_;
  ArrayModelOptions opt_;
  int gap_max_;
  uint32_t acc_mask_;  // the init word's bits (INIT_W)
  Pe pe_;                // the PE's arithmetic (reference path)
  Quantizer quant_;
  std::vector<Lfsr> col_lfsr_;
  std::vector<uint32_t> pe_seed_;
  bool fast_ok_;  // e8m23: the fast kernel may run RNE segments

  // skew + operand registers: ring_[head_ - d] is the entry injected d advances ago
  std::vector<Slot> ring_;
  int ring_mask_ = 0, head_ = 0;
  std::vector<uint64_t> prefix_pes_;  // [x]: PEs that have used a step x advances after its injection
  // advances at which last steps were injected, newest last (at most 8 in
  // the ring's reach by the tile spacing): their diagonals are `done`
  std::array<uint64_t, 8> last_adv_{};
  int last_n_ = 0;
  // shadow_valid(r, c) = shadow_set_[r + c] > row_clear_[r]: edge stamps of
  // the last shadow load on each diagonal and the last drain of each row
  std::vector<uint64_t> shadow_set_, row_clear_;
  int ready_cursor_ = 0;  // columns of drain_row_ known to have valid shadows

  // step history
  uint64_t seq_next_ = 0;  // steps injected since reset
  int hist_cap_ = 0;       // power of two >= ROWS + COLS + a catch-up batch
  std::vector<StepMeta> hist_meta_;
  std::vector<uint8_t> hist_a_, hist_b_;  // [s][r], [s][c] codes
  std::vector<float> hist_af_, hist_bf_;  // the same as binary32 values (fast path; B rows padded to lanes_)
  int lanes_ = 0;                         // COLS rounded up to the fast kernel's vector width
  std::vector<float> fast_acc_;           // fast kernel scratch, lanes_ each
  std::vector<uint32_t> fast_inex_;
  bool avx2_ = false;                     // the CPU runs the AVX2 kernel
  std::vector<uint64_t> row_next_;        // next step to apply, per row
  uint64_t row_next_min_ = 0;             // a lower bound of min(row_next_)
  // per PE (lazy state, valid through row_next_[r]) and per tile slot result
  std::vector<uint32_t> acc_;   // the (narrow) accumulator
  std::vector<uint32_t> wide_;  // promotion: the binary32 accumulator
  std::vector<uint8_t> flags_;
  std::vector<PeState> ex_;     // exact PEs: the fixed-point state (acc_/flags_ then hold the tile's result)
  std::vector<Lfsr> pe_lfsr_;
  std::vector<uint64_t> row_draws_;  // draws owed to each PE LFSR of the row (applied before an SR MAC)
  std::vector<uint32_t> res_[4];     // [queue slot][pe]: value after the tile's last MAC (the shadow)
  std::vector<uint8_t> res_flags_[4];
  std::vector<uint32_t> tile_init_[4];  // [queue slot][pe]: the init bank the tile claimed

  // command queue: q_[(q_head_ + i) % 4], i < q_count_; the first q_injected_
  // entries are fully injected; q_step_ steps of the next one are injected
  std::array<Cmd, kCmdQueueDepth> q_{};
  int q_head_ = 0, q_count_ = 0, q_injected_ = 0;
  uint32_t q_step_ = 0;
  // init bank
  std::vector<uint32_t> bank_;
  int bank_rows_ = 0;
  bool bank_claimed_ = false;
  // drain
  int drain_row_ = 0;
  uint8_t tile_flags_ = 0;
  int gap_ = 0;
  bool stall_ = false;
  ArrayOutputs out_{};
  // quantizer stage (q_stages = 1): a loaded row waiting for the output register
  bool q_valid_ = false, q_last_ = false;
  uint8_t q_row_ = 0, q_flags_ = 0;
  PortLanes<uint32_t> q_data_;
  uint64_t cycle_ = 0, advances_ = 0, macs_retired_ = 0;
  uint64_t fast_macs_ = 0, generic_macs_ = 0;
};

}  // namespace fp8sa

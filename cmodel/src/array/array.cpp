// Cycle-accurate model of the systolic array (docs/array.md).
//
// Every register of the page has a representation here, and clock()
// computes each one's next value from the current ones and the inputs, in an
// order that reads every register before it is written. Two things make it
// cheaper than one object per PE clocked on every edge:
//
// * Control per diagonal and per row. All skew and operand registers move on
//   the same advance, so they are one ring of steps: PE (r, c)'s operand
//   registers hold the entry injected r + c advances ago. With S =
//   mul_stages product pipeline stages a PE performs the MAC of the entry at
//   distance r + c + S (its accumulate stage) at the next advance, so
//   `done` of PE (r, c) is "the entry at distance r + c + S + 1 is a valid
//   last step", a property of the diagonal r + c; the advances at which
//   last steps were injected (a handful within the ring's reach, by the tile
//   spacing) give the done diagonals. A shadow loads a whole done diagonal at
//   an advance and a drain clears a whole row, so shadow_valid(r, c) is
//   "diagonal r + c was loaded after row r was last drained": two edge
//   stamps. (The same edge never does both to one PE: a row drains only when
//   all its shadows are valid, and an advance loads only shadows that are
//   not, or the edge would be a stall.)
//
// * Lazy values. The PE accumulators, flags and LFSRs only reach a port
//   through a shadow when its row drains. So the model keeps a history of
//   the injected steps (operands and tile) and applies them to a row's PEs
//   in batches: when the row drains (through the end of the tile being
//   drained) and, for every row, when the history would otherwise overflow
//   (through the steps the row's last PE has already used). A batch is split
//   at tile ends; the value after a tile's last step is that PE's shadow for
//   the tile, kept per command-queue slot (a PE's shadow is drained before
//   its next tile's last MAC can be applied, so a slot is never reused
//   early). A MAC's result depends only on the steps before it, never on the
//   edge at which it is computed, so every output equals the eager model's.
//
// Batches run AccAdder (the reference path, every format and mode) or, for
// e8m23 RNE segments whose steps and starting values hold no NaN or Inf, a
// vector kernel: an FP8 product is exact in binary32 and the binary32 sum
// of it and the accumulator is one rounding, i.e. fmaf (numerics.md section
// 4). With finite inputs only inexact can be raised (|product| < 2^32 is
// below half an ulp of any binary32 above 2^56, so the sum never overflows;
// a tiny sum of binary32 numbers is exact), and a sum s = acc + p is exact
// iff s - acc == p and s - p == acc (for round-to-nearest one of the two
// differences is exact, Fast2Sum), a per-lane test with no MXCSR.
#include "fp8sa/array.hpp"

#include <algorithm>
#include <cfenv>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FP8SA_ARRAY_AVX2 1
#else
#define FP8SA_ARRAY_AVX2 0
#endif

namespace fp8sa {

namespace {

std::string range_msg(const char* what, long v, long lo, long hi) {
  return std::string("array: ") + what + " " + std::to_string(v) + " out of range [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "]";
}

uint32_t lfsr_mask(int w) { return w >= 32 ? 0xFFFFFFFFu : ((1u << w) - 1u); }

const ArrayConfig& validated(const ArrayConfig& c) {
  c.validate();
  return c;
}

int pow2_at_least(int n) {
  int p = 1;
  while (p < n) p <<= 1;
  return p;
}

bool fp8_special(uint8_t code, bool e5m2) { return fp8_is_special(code, e5m2 ? Fp8Format::E5M2 : Fp8Format::E4M3); }
bool f32_special(uint32_t bits) { return (bits & 0x7F800000u) == 0x7F800000u; }

// The FP8 codes of both formats as binary32 values (exact; NaN codes give a
// NaN, never used by the fast kernel).
struct Fp8Floats {
  float v[2][256];
  Fp8Floats() {
    for (int f = 0; f < 2; ++f) {
      for (int c = 0; c < 256; ++c) {
        const uint32_t b = fp8_to_f32_bits(static_cast<uint8_t>(c), static_cast<Fp8Format>(f));
        std::memcpy(&v[f][c], &b, 4);
      }
    }
  }
};
const Fp8Floats& fp8_floats() {
  static const Fp8Floats t;
  return t;
}

constexpr int kCatchUpBatch = 256;  // steps of history beyond ROWS + COLS: the least a forced catch-up applies
constexpr int kLaneGroup = 8;       // the fast kernel's vector width (binary32 lanes)

// Fast kernel: for steps s = 0..n-1, lane c < lanes (a multiple of
// kLaneGroup): acc[c] = acc[c] + a[s] * b[s][c] in binary32 RNE, inex[c] |=
// (that sum was inexact). a[s] = a_col[s * a_stride], b[s] = b_rows + s *
// b_stride, s taken modulo the ring through `wrap` (index mask).
void fast_kernel_scalar(float* acc, uint32_t* inex, int lanes, const float* a_col, int a_stride,
                        const float* b_rows, int b_stride, uint64_t s0, uint64_t n, uint64_t wrap) {
  for (uint64_t s = s0; s < s0 + n; ++s) {
    const uint64_t h = s & wrap;
    const float a = a_col[h * static_cast<uint64_t>(a_stride)];
    const float* b = b_rows + h * static_cast<uint64_t>(b_stride);
    for (int c = 0; c < lanes; ++c) {
      const float p = a * b[c];
      const float x = acc[c];
      const float sum = x + p;
      inex[c] |= static_cast<uint32_t>((sum - x != p) | (sum - p != x));
      acc[c] = sum;
    }
  }
}

#if FP8SA_ARRAY_AVX2
__attribute__((target("avx2"))) void fast_kernel_avx2(float* acc, uint32_t* inex, int lanes, const float* a_col,
                                                      int a_stride, const float* b_rows, int b_stride, uint64_t s0,
                                                      uint64_t n, uint64_t wrap) {
  // Lanes in groups of 4 vectors at a time, so that up to four independent
  // add chains hide the add latency.
  for (int c0 = 0; c0 < lanes; c0 += 4 * kLaneGroup) {
    const int groups = std::min(4, (lanes - c0) / kLaneGroup);
    __m256 x[4], f[4];
    for (int g = 0; g < groups; ++g) {
      x[g] = _mm256_loadu_ps(acc + c0 + g * kLaneGroup);
      f[g] = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(inex + c0 + g * kLaneGroup)));
    }
    for (uint64_t s = s0; s < s0 + n; ++s) {
      const uint64_t h = s & wrap;
      const __m256 a = _mm256_broadcast_ss(a_col + h * static_cast<uint64_t>(a_stride));
      const float* b = b_rows + h * static_cast<uint64_t>(b_stride) + c0;
      for (int g = 0; g < groups; ++g) {
        const __m256 p = _mm256_mul_ps(a, _mm256_loadu_ps(b + g * kLaneGroup));
        const __m256 sum = _mm256_add_ps(x[g], p);
        const __m256 e1 = _mm256_cmp_ps(_mm256_sub_ps(sum, x[g]), p, _CMP_NEQ_UQ);
        const __m256 e2 = _mm256_cmp_ps(_mm256_sub_ps(sum, p), x[g], _CMP_NEQ_UQ);
        f[g] = _mm256_or_ps(f[g], _mm256_or_ps(e1, e2));
        x[g] = sum;
      }
    }
    for (int g = 0; g < groups; ++g) {
      _mm256_storeu_ps(acc + c0 + g * kLaneGroup, x[g]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(inex + c0 + g * kLaneGroup), _mm256_castps_si256(f[g]));
    }
  }
}

bool cpu_has_avx2() { return __builtin_cpu_supports("avx2"); }
#endif

}  // namespace

template <class T>
void PortLanes<T>::resize(int n) {
  if (n < 1 || n > kMaxPortLanes) throw std::invalid_argument(range_msg("port lanes", n, 1, kMaxPortLanes));
  const size_t un = static_cast<size_t>(n);
  if (un > kInline && cap_ < un) {
    heap_.reset(new T[un]);
    cap_ = un;
  }
  if (un <= kInline) {
    heap_.reset();
    cap_ = 0;
  }
  n_ = un;
  std::fill(data(), data() + n_, T{});
}
template class PortLanes<uint8_t>;
template class PortLanes<uint32_t>;

ArrayInputs::ArrayInputs(const ArrayConfig& cfg) {
  in_a_i.resize(cfg.rows * cfg.dot_n);
  in_b_i.resize(cfg.cols * cfg.dot_n);
  init_data_i.resize(cfg.cols);
}

ArrayOutputs::ArrayOutputs(const ArrayConfig& cfg) { out_data_o.resize(cfg.cols); }

void validate_field_ranges(const ArrayConfig& c);  // array_fields.cpp: the list's ranges

void ArrayConfig::validate() const {
  validate_field_ranges(*this);
  // The rules between fields.
  const int wmin = std::max(4, std::max(sr_bits, q_sr_bits));
  if (lfsr_w < wmin) {
    throw std::invalid_argument(range_msg("lfsr_w", lfsr_w, wmin, 32) +
                                " (max(4, sr_bits, q_sr_bits): a draw takes that many bits of the state)");
  }
  if (promote_n == 1) {
    throw std::invalid_argument("array: promote_n " + std::to_string(promote_n) +
                                " out of range (0 = off, or [2, 65535])");
  }
  pe().validate("array");  // PE kind, dot_n, align_bits, sr_kind and their rules with promote_n
}

int ArrayConfig::tile_gap() const { return std::max(cols, (rows + cols) / 2); }  // ceil((R + C - 1) / 2)

uint32_t derive_seed(uint32_t seed, uint32_t index, int lfsr_w) {
  if (lfsr_w < 4 || lfsr_w > 32) throw std::invalid_argument(range_msg("lfsr_w", lfsr_w, 4, 32));
  const uint32_t v = (seed ^ (index * 0x9E3779B9u)) & lfsr_mask(lfsr_w);
  return v == 0 ? 1u : v;
}

ArrayCycleModel::ArrayCycleModel(const ArrayConfig& cfg, const ArrayModelOptions& opt)
    : cfg_(validated(cfg)), opt_(opt), gap_max_(cfg.tile_gap()), acc_mask_(cfg.init_format().mask()),
      pe_(cfg.pe()), quant_(cfg.result_format(), cfg.q_sr_bits, cfg.sr_kind),
      fast_ok_(cfg.pe_kind == PeKind::Fma && cfg.acc == kFp32 && cfg.promote_n == 0 && opt.allow_fast),
      out_(cfg), q_data_(cfg.cols) {
  const int R = cfg_.rows, C = cfg_.cols, n = R * C;
  const size_t un = static_cast<size_t>(n);
  col_lfsr_.reserve(static_cast<size_t>(C));
  for (int c = 0; c < C; ++c) {
    col_lfsr_.emplace_back(cfg_.lfsr_w, cfg_.q_sr_bits,
                           derive_seed(cfg_.seed, static_cast<uint32_t>(1 + n + c), cfg_.lfsr_w));
  }
  pe_seed_.resize(un);
  pe_lfsr_.reserve(un);
  for (int i = 0; i < n; ++i) {
    pe_seed_[static_cast<size_t>(i)] = derive_seed(cfg_.seed, static_cast<uint32_t>(1 + i), cfg_.lfsr_w);
    pe_lfsr_.emplace_back(cfg_.lfsr_w, cfg_.sr_bits, pe_seed_[static_cast<size_t>(i)]);
  }
  const int S = cfg_.mul_stages;
  ring_.resize(static_cast<size_t>(pow2_at_least(R + C + S)));
  ring_mask_ = static_cast<int>(ring_.size()) - 1;
  // prefix_pes_[x] = PEs on diagonals d < x - S = those that performed the MAC of a step x advances after its injection
  prefix_pes_.assign(static_cast<size_t>(R + C + S), 0);
  for (int x = 1; x < R + C + S; ++x) {
    const int d = x - 1 - S;
    const int diag = d < 0 ? 0 : std::min(R - 1, d) - std::max(0, d - C + 1) + 1;
    prefix_pes_[static_cast<size_t>(x)] = prefix_pes_[static_cast<size_t>(x - 1)] + static_cast<uint64_t>(diag);
  }
  shadow_set_.resize(static_cast<size_t>(R + C - 1));
  row_clear_.resize(static_cast<size_t>(R));
  hist_cap_ = pow2_at_least(R + C + S + kCatchUpBatch);
  const size_t hc = static_cast<size_t>(hist_cap_);
  lanes_ = (C + kLaneGroup - 1) / kLaneGroup * kLaneGroup;
  hist_meta_.resize(hc);
  hist_a_.resize(hc * static_cast<size_t>(R * cfg_.dot_n));
  hist_b_.resize(hc * static_cast<size_t>(C * cfg_.dot_n));
  if (fast_ok_) {
    hist_af_.resize(hc * static_cast<size_t>(R));
    hist_bf_.assign(hc * static_cast<size_t>(lanes_), 0.0f);  // lanes >= C stay +0
    fast_acc_.resize(static_cast<size_t>(lanes_));
    fast_inex_.resize(static_cast<size_t>(lanes_));
  }
#if FP8SA_ARRAY_AVX2
  avx2_ = cpu_has_avx2();
#endif
  row_next_.resize(static_cast<size_t>(R));
  row_draws_.resize(static_cast<size_t>(R));
  acc_.resize(un);
  wide_.resize(un);
  flags_.resize(un);
  if (cfg_.pe_kind == PeKind::Exact) ex_.resize(un);
  for (int q = 0; q < kCmdQueueDepth; ++q) {
    res_[q].resize(un);
    res_flags_[q].resize(un);
    tile_init_[q].resize(un);
  }
  bank_.resize(un);
  reset();
}

void ArrayCycleModel::reset() {
  const int R = cfg_.rows, C = cfg_.cols;
  for (size_t i = 0; i < pe_lfsr_.size(); ++i) pe_lfsr_[i].seed(pe_seed_[i]);
  for (int c = 0; c < C; ++c) {
    col_lfsr_[static_cast<size_t>(c)].seed(derive_seed(cfg_.seed, static_cast<uint32_t>(1 + R * C + c), cfg_.lfsr_w));
  }
  std::fill(ring_.begin(), ring_.end(), Slot{});
  head_ = 0;
  last_n_ = 0;
  std::fill(shadow_set_.begin(), shadow_set_.end(), 0);
  std::fill(row_clear_.begin(), row_clear_.end(), 0);
  ready_cursor_ = 0;
  seq_next_ = 0;
  std::fill(row_next_.begin(), row_next_.end(), 0);
  row_next_min_ = 0;
  std::fill(row_draws_.begin(), row_draws_.end(), 0);
  std::fill(acc_.begin(), acc_.end(), 0);
  std::fill(wide_.begin(), wide_.end(), 0);
  std::fill(flags_.begin(), flags_.end(), 0);
  std::fill(ex_.begin(), ex_.end(), PeState{});
  q_.fill(Cmd{});
  q_head_ = q_count_ = q_injected_ = 0;
  q_step_ = 0;
  std::fill(bank_.begin(), bank_.end(), 0);
  bank_rows_ = 0;
  bank_claimed_ = false;
  drain_row_ = 0;
  tile_flags_ = 0;
  gap_ = gap_max_;
  stall_ = false;
  out_.cmd_ready_o = out_.in_ready_o = out_.init_ready_o = out_.out_valid_o = out_.out_last_o = false;
  std::fill(out_.out_data_o.begin(), out_.out_data_o.end(), 0u);
  out_.out_row_o = out_.out_flags_o = 0;
  q_valid_ = q_last_ = false;
  q_row_ = q_flags_ = 0;
  std::fill(q_data_.begin(), q_data_.end(), 0u);
  cycle_ = advances_ = macs_retired_ = 0;
  update_outputs();
}

uint64_t ArrayCycleModel::macs() const {
  uint64_t m = macs_retired_;
  const int reach = cfg_.rows + cfg_.cols + cfg_.mul_stages;
  for (int x = 0; x < reach; ++x) {
    if (slot(x).valid) m += prefix_pes_[static_cast<size_t>(x)];
  }
  return m * static_cast<uint64_t>(cfg_.dot_n);
}

void ArrayCycleModel::check_cmd(const ArrayInputs& in) const {
  if (in.cmd_rnd_i > 2) {
    throw std::invalid_argument("array: cmd_rnd_i " + std::to_string(in.cmd_rnd_i) +
                                (in.cmd_rnd_i == 3 ? " is reserved" : " does not fit 2 bits") +
                                " (legal: 0 RNE, 1 RZ, 2 SR)");
  }
  if (in.cmd_out_rnd_i > 2) {
    throw std::invalid_argument("array: cmd_out_rnd_i " + std::to_string(in.cmd_out_rnd_i) +
                                (in.cmd_out_rnd_i == 3 ? " is reserved" : " does not fit 2 bits") +
                                " (legal: 0 RNE, 1 RZ, 2 SR)");
  }
  if (in.cmd_out_fmt_i > kOutFmtRaw) {
    throw std::invalid_argument("array: cmd_out_fmt_i " + std::to_string(in.cmd_out_fmt_i) +
                                (in.cmd_out_fmt_i <= 7 ? " is reserved" : " does not fit 3 bits") +
                                " (legal: 0 E4M3, 1 E5M2, 2 FP16, 3 BF16, 4 raw)");
  }
  if (in.cmd_scale_i < -64 || in.cmd_scale_i > 63) {
    throw std::invalid_argument(range_msg("cmd_scale_i", in.cmd_scale_i, -64, 63));
  }
}

void ArrayCycleModel::check_lanes(const ArrayInputs& in) const {
  const size_t R = static_cast<size_t>(cfg_.rows), C = static_cast<size_t>(cfg_.cols);
  const size_t D = static_cast<size_t>(cfg_.dot_n);
  if (in.in_a_i.size() < R * D || in.in_b_i.size() < C * D || in.init_data_i.size() < C) {
    throw std::invalid_argument("array: ArrayInputs lanes (in_a_i " + std::to_string(in.in_a_i.size()) + ", in_b_i " +
                                std::to_string(in.in_b_i.size()) + ", init_data_i " +
                                std::to_string(in.init_data_i.size()) + ") too few for a " + std::to_string(R) + "x" +
                                std::to_string(C) + " array: construct them as ArrayInputs(config)");
  }
}

bool ArrayCycleModel::row_ready(int r) {
  while (ready_cursor_ < cfg_.cols && shadow_valid(r, ready_cursor_)) ++ready_cursor_;
  return ready_cursor_ == cfg_.cols;
}

void ArrayCycleModel::clock(const ArrayInputs& in) {
  if (!in.rst_ni) {
    reset();
    return;
  }
  // Handshakes of this cycle, from the Moore outputs.
  const bool cmd_fire = in.cmd_valid_i && out_.cmd_ready_o;
  const bool in_fire = in.in_valid_i && out_.in_ready_o;  // implies an advance
  const bool init_fire = in.init_valid_i && out_.init_ready_o;
  if (cmd_fire) check_cmd(in);  // before any state changes
  if (in_fire || init_fire) check_lanes(in);
  const bool advance = !stall_;
  const int rows = cfg_.rows, cols = cfg_.cols, S = cfg_.mul_stages;
  const uint64_t edge = cycle_ + 1;  // stamp of this edge

  // Output path: the quantizer stage (q_stages = 1) moves on into the
  // output register when that is free; the drain row loads into the first
  // register of the path (the output register, or the quantizer stage) when
  // that is free or moving on.
  const bool out_free = !out_.out_valid_o || in.out_ready_i;
  const bool q_move = cfg_.q_stages == 1 && q_valid_ && out_free;
  if (q_move) {
    out_.out_data_o = q_data_;
    out_.out_row_o = q_row_;
    out_.out_last_o = q_last_;
    out_.out_flags_o = q_flags_;
  }
  const bool path_free = cfg_.q_stages == 0 ? out_free : (!q_valid_ || q_move);
  // Drain: reads the shadows of drain_row_, which an advance does not write
  // when the row is ready (see the file comment).
  const bool load = row_ready(drain_row_) && path_free;
  bool pop = false;
  if (load) {
    const int q = q_head_;
    const Cmd& oc = q_[static_cast<size_t>(q)];  // oldest undrained tile
    catch_up(drain_row_, oc.seq0 + oc.k);
    uint8_t row_flags = 0;
    const size_t base = idx(drain_row_, 0);
    const uint32_t* shadow = res_[q].data() + base;
    const uint8_t* shadow_flags = res_flags_[q].data() + base;
    PortLanes<uint32_t>& dst = cfg_.q_stages == 0 ? out_.out_data_o : q_data_;
    for (int c = 0; c < cols; ++c) {
      Lfsr& l = col_lfsr_[static_cast<size_t>(c)];
      uint32_t word = shadow[c];
      row_flags = static_cast<uint8_t>(row_flags | shadow_flags[c]);
      if (oc.out_fmt != kOutFmtRaw) {
        const OpResult qr = quant_.quantize(word, static_cast<OutFormat>(oc.out_fmt), static_cast<Round>(oc.out_rnd),
                                            oc.sat, oc.scale, l.peek());
        word = qr.bits;
        row_flags = static_cast<uint8_t>(row_flags | qr.flags);
      }
      l.draw();  // every load, every column, raw included
      dst[static_cast<size_t>(c)] = word;
    }
    row_clear_[static_cast<size_t>(drain_row_)] = edge;
    ready_cursor_ = 0;
    const bool last = drain_row_ == rows - 1;
    const uint8_t oflags = last ? static_cast<uint8_t>(tile_flags_ | row_flags) : uint8_t{0};
    if (cfg_.q_stages == 0) {
      out_.out_row_o = static_cast<uint8_t>(drain_row_);
      out_.out_last_o = last;
      out_.out_flags_o = oflags;
    } else {
      q_row_ = static_cast<uint8_t>(drain_row_);
      q_last_ = last;
      q_flags_ = oflags;
    }
    tile_flags_ = last ? uint8_t{0} : static_cast<uint8_t>(tile_flags_ | row_flags);
    drain_row_ = last ? 0 : drain_row_ + 1;
    pop = last;
  }
  if (cfg_.q_stages == 0) {
    out_.out_valid_o = load || (out_.out_valid_o && !in.out_ready_i);
  } else {
    out_.out_valid_o = q_move || (out_.out_valid_o && !in.out_ready_i);
    q_valid_ = load || (q_valid_ && !q_move);
  }

  if (advance) {
    ++advances_;
    const uint64_t A = advances_ - 1;  // advances before this edge
    // Shadow copies: every done diagonal (a last step one stage past its
    // accumulate stage).
    for (int j = 0; j < last_n_; ++j) {
      const uint64_t x = A - last_adv_[static_cast<size_t>(j)];
      if (x >= static_cast<uint64_t>(S + 1) && x <= static_cast<uint64_t>(rows + cols - 1 + S))
        shadow_set_[static_cast<size_t>(x - 1 - static_cast<uint64_t>(S))] = edge;
    }
    // Init bank release: PE (ROWS-1, COLS-1) performs a use_init tile's
    // first MAC. Exclusive with a claim (needs !claimed) and with an init
    // row (init_ready_o is 0 while the bank is full).
    const Slot& corner = slot(rows + cols - 2 + S);
    if (corner.valid && corner.first && corner.use_init) {
      bank_rows_ = 0;
      bank_claimed_ = false;
    }
    // The entry leaving the array's reach has been used by every PE.
    if (slot(rows + cols - 1 + S).valid) macs_retired_ += static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
    if (in_fire) {
      inject(in);
    } else {
      head_ = (head_ + 1) & ring_mask_;
      ring_[static_cast<size_t>(head_)] = Slot{};
      gap_ = std::min(gap_ + 1, gap_max_);
    }
  }

  if (init_fire) {
    for (int c = 0; c < cols; ++c) bank_[idx(bank_rows_, c)] = in.init_data_i[static_cast<size_t>(c)] & acc_mask_;
    ++bank_rows_;
  }
  // Command queue: pop (last row loaded) and push; the injection index
  // q_head_ + q_injected_ is unchanged by a pop (a drained tile was injected).
  if (pop) {
    q_head_ = (q_head_ + 1) % kCmdQueueDepth;
    --q_count_;
    --q_injected_;
  }
  if (cmd_fire) {
    Cmd& e = q_[static_cast<size_t>((q_head_ + q_count_) % kCmdQueueDepth)];
    e.k = in.cmd_k_i == 0 ? 1u : in.cmd_k_i;
    e.fmt_a = in.cmd_fmt_a_i;
    e.fmt_b = in.cmd_fmt_b_i;
    e.rnd = in.cmd_rnd_i;
    e.use_init = in.cmd_use_init_i;
    e.out_fmt = in.cmd_out_fmt_i;
    e.out_rnd = in.cmd_out_rnd_i;
    e.sat = in.cmd_sat_i;
    e.scale = in.cmd_scale_i;
    ++q_count_;
  }
  ++cycle_;
  update_outputs();
}

// The step handshake of an advance: history, skew ring, queue counters.
void ArrayCycleModel::inject(const ArrayInputs& in) {
  const int R = cfg_.rows, C = cfg_.cols;
  // The history slot about to be written must have been applied by every row.
  if (seq_next_ - row_next_min_ >= static_cast<uint64_t>(hist_cap_)) {
    row_next_min_ = *std::min_element(row_next_.begin(), row_next_.end());
    if (seq_next_ - row_next_min_ >= static_cast<uint64_t>(hist_cap_)) {
      catch_up_all();
      row_next_min_ = *std::min_element(row_next_.begin(), row_next_.end());
    }
  }
  const int qs = (q_head_ + q_injected_) % kCmdQueueDepth;
  Cmd& ic = q_[static_cast<size_t>(qs)];
  const bool first = q_step_ == 0, last = q_step_ + 1 == ic.k;
  if (first) {
    ic.seq0 = seq_next_;
    if (ic.use_init) {
      bank_claimed_ = true;
      std::copy(bank_.begin(), bank_.end(), tile_init_[qs].begin());
    }
  }
  const size_t h = static_cast<size_t>(seq_next_ & static_cast<uint64_t>(hist_cap_ - 1));
  const int D = cfg_.dot_n;  // lanes per row / column: [r*D + i], product i of the step
  uint8_t* a = hist_a_.data() + h * static_cast<size_t>(R * D);
  uint8_t* b = hist_b_.data() + h * static_cast<size_t>(C * D);
  bool special = false;
  for (int r = 0; r < R * D; ++r) {
    a[r] = in.in_a_i[static_cast<size_t>(r)];
    special |= fp8_special(a[r], ic.fmt_a);
  }
  for (int c = 0; c < C * D; ++c) {
    b[c] = in.in_b_i[static_cast<size_t>(c)];
    special |= fp8_special(b[c], ic.fmt_b);
  }
  if (fast_ok_ && !special) {
    const float* ta = fp8_floats().v[ic.fmt_a];
    const float* tb = fp8_floats().v[ic.fmt_b];
    float* af = hist_af_.data() + h * static_cast<size_t>(R);
    float* bf = hist_bf_.data() + h * static_cast<size_t>(lanes_);
    for (int r = 0; r < R; ++r) af[r] = ta[a[r]];
    for (int c = 0; c < C; ++c) bf[c] = tb[b[c]];
  }
  StepMeta& m = hist_meta_[h];
  m.qslot = static_cast<uint8_t>(qs);
  m.first = first;
  m.last = last;
  m.special = special;
  ++seq_next_;

  head_ = (head_ + 1) & ring_mask_;
  Slot& ns = ring_[static_cast<size_t>(head_)];
  ns.valid = true;
  ns.first = first;
  ns.last = last;
  ns.use_init = ic.use_init;
  gap_ = last ? 1 : std::min(gap_ + 1, gap_max_);
  if (last) {
    // Forget last steps beyond the array's reach; at most 3 remain in it
    // (tile spacing >= (ROWS + COLS - 1) / 2) without a PE pipeline, 5 on a
    // 1 x 1 array with 2 stages, so 8 entries never fill.
    int keep = 0;
    for (int j = 0; j < last_n_; ++j) {
      if (advances_ - last_adv_[static_cast<size_t>(j)] <= static_cast<uint64_t>(R + C + cfg_.mul_stages))
        last_adv_[static_cast<size_t>(keep++)] = last_adv_[static_cast<size_t>(j)];
    }
    if (keep == static_cast<int>(last_adv_.size())) throw std::logic_error("array: last-step list overflow");
    last_adv_[static_cast<size_t>(keep++)] = advances_;
    last_n_ = keep;
    q_step_ = 0;
    ++q_injected_;
  } else {
    ++q_step_;
  }
}

void ArrayCycleModel::update_outputs() {
  const int R = cfg_.rows, C = cfg_.cols, S = cfg_.mul_stages;
  // stall = some done PE (a last step one stage past its accumulate stage)
  // still has a valid shadow.
  bool stall = false;
  for (int j = 0; j < last_n_ && !stall; ++j) {
    const uint64_t x = advances_ - last_adv_[static_cast<size_t>(j)];
    if (x < static_cast<uint64_t>(S + 1) || x > static_cast<uint64_t>(R + C - 1 + S)) continue;
    const int d = static_cast<int>(x - 1) - S;
    const uint64_t set = shadow_set_[static_cast<size_t>(d)];
    for (int r = std::max(0, d - C + 1); r <= std::min(R - 1, d) && !stall; ++r)
      stall = set > row_clear_[static_cast<size_t>(r)];
  }
  stall_ = stall;
  out_.cmd_ready_o = q_count_ < kCmdQueueDepth;
  out_.init_ready_o = bank_rows_ < R;
  bool in_ready = false;
  if (!stall && q_injected_ < q_count_) {
    const Cmd& ic = q_[static_cast<size_t>((q_head_ + q_injected_) % kCmdQueueDepth)];
    const bool first = q_step_ == 0;
    const bool last = q_step_ + 1 == ic.k;
    const bool bank_free = bank_rows_ == R && !bank_claimed_;
    in_ready = !(first && ic.use_init && !bank_free) && !(last && gap_ < gap_max_);
  }
  out_.in_ready_o = in_ready;
}

void ArrayCycleModel::catch_up_all() {
  // Row r's PEs have all performed the MACs of the steps at distance >=
  // r + COLS + S in the ring (PE (r, COLS-1) performs a step's MAC when it
  // is at distance r + COLS - 1 + S, then it moves on).
  const int R = cfg_.rows, C = cfg_.cols, S = cfg_.mul_stages;
  uint64_t newer = 0;  // valid entries at distance < r + C + S
  for (int x = 0; x < C - 1 + S; ++x) newer += slot(x).valid;
  for (int r = 0; r < R; ++r) {
    newer += slot(r + C - 1 + S).valid;
    catch_up(r, seq_next_ - newer);
  }
}

void ArrayCycleModel::catch_up(int r, uint64_t end) {
  const uint64_t wrap = static_cast<uint64_t>(hist_cap_ - 1);
  uint64_t s = row_next_[static_cast<size_t>(r)];
  if (s >= end) return;
  const bool fast_round = fast_ok_ && std::fegetround() == FE_TONEAREST;
  while (s < end) {
    const StepMeta& m = hist_meta_[static_cast<size_t>(s & wrap)];
    const int qs = m.qslot;
    const Cmd& t = q_[static_cast<size_t>(qs)];
    const uint64_t tile_end = t.seq0 + t.k;
    const uint64_t seg_end = std::min(end, tile_end);
    // The fast kernel needs RNE, e8m23, no NaN/Inf operand code in the
    // segment and finite starting values.
    bool fast = fast_round && static_cast<Round>(t.rnd) == Round::RNE;
    for (uint64_t u = s; u < seg_end && fast; ++u) fast = !hist_meta_[static_cast<size_t>(u & wrap)].special;
    if (fast) {
      const size_t base = idx(r, 0);
      const uint32_t* start = m.first ? (t.use_init ? tile_init_[qs].data() + base : nullptr) : acc_.data() + base;
      for (int c = 0; c < cfg_.cols && fast && start != nullptr; ++c) fast = !f32_special(start[c]);
    }
    if (fast) run_fast(r, s, seg_end, t, qs);
    else run_generic(r, s, seg_end, t, qs);
    if (seg_end == tile_end) {
      const size_t base = idx(r, 0);
      const std::vector<uint32_t>& result = cfg_.promote_n > 0 ? wide_ : acc_;
      std::copy(result.begin() + static_cast<ptrdiff_t>(base), result.begin() + static_cast<ptrdiff_t>(base) + cfg_.cols,
                res_[qs].begin() + static_cast<ptrdiff_t>(base));
      std::copy(flags_.begin() + static_cast<ptrdiff_t>(base),
                flags_.begin() + static_cast<ptrdiff_t>(base) + cfg_.cols,
                res_flags_[qs].begin() + static_cast<ptrdiff_t>(base));
    }
    s = seg_end;
  }
  row_next_[static_cast<size_t>(r)] = end;
}

void ArrayCycleModel::run_generic(int r, uint64_t s0, uint64_t s1, const Cmd& t, int qs) {
  const int R = cfg_.rows, C = cfg_.cols, D = cfg_.dot_n;
  const uint64_t wrap = static_cast<uint64_t>(hist_cap_ - 1);
  const bool sr = static_cast<Round>(t.rnd) == Round::SR;
  const bool exact = cfg_.pe_kind == PeKind::Exact;
  uint64_t& owed = row_draws_[static_cast<size_t>(r)];
  // Promotion (numerics.md "Promotion"): the step's index j in its tile
  // gives the steps since the group's start, j % (promote_n / dot_n).
  const uint64_t group = cfg_.promote_n > 0 ? static_cast<uint64_t>(cfg_.promote_n / D) : 0;
  PeStep in;
  in.fa = static_cast<Fp8Format>(t.fmt_a);
  in.fb = static_cast<Fp8Format>(t.fmt_b);
  in.rnd = static_cast<Round>(t.rnd);
  uint64_t lasts = 0;  // tile ends in [s0, s1): exact's draws
  for (int c = 0; c < C; ++c) {
    const size_t i = idx(r, c);
    Lfsr& l = pe_lfsr_[i];
    if (sr && owed != 0) l.skip(owed);
    in.init = t.use_init ? tile_init_[qs][i] : 0u;
    PeState st;
    if (exact) {
      st = ex_[i];
    } else {
      st.acc = acc_[i];
      st.wide = wide_[i];
      st.flags = flags_[i];
    }
    lasts = 0;
    for (uint64_t s = s0; s < s1; ++s) {
      const size_t h = static_cast<size_t>(s & wrap);
      const uint64_t j = s - t.seq0;  // the step's index in its tile
      in.a = hist_a_.data() + h * static_cast<size_t>(R * D) + static_cast<size_t>(r * D);
      in.b = hist_b_.data() + h * static_cast<size_t>(C * D) + static_cast<size_t>(c * D);
      in.first = j == 0;
      in.last = j + 1 == t.k;
      st.count = group != 0 ? static_cast<int>(j % group) : 0;
      // fma, dot: one draw per step; exact: one per tile, at its last step.
      in.rand = (sr && !exact) ? l.draw() : 0u;
      pe_.step(&st, in);
      if (exact && in.last) {
        ++lasts;
        const OpResult res = pe_.result(st, sr ? l.draw() : 0u);
        acc_[i] = res.bits;  // the tile's result word, read at its end
        flags_[i] = res.flags;
      }
    }
    if (exact) {
      ex_[i] = st;
    } else {
      acc_[i] = st.acc;
      wide_[i] = st.wide;
      flags_[i] = st.flags;
    }
  }
  // Every step (fma, dot) or tile end (exact) advances the PE's LFSR one
  // draw; SR took them above.
  if (sr) owed = 0;
  else owed += exact ? lasts : s1 - s0;
  generic_macs_ += (s1 - s0) * static_cast<uint64_t>(C) * static_cast<uint64_t>(D);
}

void ArrayCycleModel::run_fast(int r, uint64_t s0, uint64_t s1, const Cmd& t, int qs) {
  const int R = cfg_.rows, C = cfg_.cols;
  const uint64_t wrap = static_cast<uint64_t>(hist_cap_ - 1);
  const bool first = hist_meta_[static_cast<size_t>(s0 & wrap)].first;
  const size_t base = idx(r, 0);
  float* acc = fast_acc_.data();
  uint32_t* inex = fast_inex_.data();
  std::fill(fast_acc_.begin(), fast_acc_.end(), 0.0f);
  std::fill(fast_inex_.begin(), fast_inex_.end(), 0u);
  if (!first) std::memcpy(acc, acc_.data() + base, static_cast<size_t>(C) * 4);
  else if (t.use_init) std::memcpy(acc, tile_init_[qs].data() + base, static_cast<size_t>(C) * 4);
  const float* a_col = hist_af_.data() + r;
#if FP8SA_ARRAY_AVX2
  if (avx2_) fast_kernel_avx2(acc, inex, lanes_, a_col, R, hist_bf_.data(), lanes_, s0, s1 - s0, wrap);
  else fast_kernel_scalar(acc, inex, lanes_, a_col, R, hist_bf_.data(), lanes_, s0, s1 - s0, wrap);
#else
  fast_kernel_scalar(acc, inex, lanes_, a_col, R, hist_bf_.data(), lanes_, s0, s1 - s0, wrap);
#endif
  std::memcpy(acc_.data() + base, acc, static_cast<size_t>(C) * 4);
  for (int c = 0; c < C; ++c) {
    const uint8_t f = inex[c] != 0 ? static_cast<uint8_t>(kFlagInexact) : uint8_t{0};
    flags_[base + static_cast<size_t>(c)] = first ? f : static_cast<uint8_t>(flags_[base + static_cast<size_t>(c)] | f);
  }
  row_draws_[static_cast<size_t>(r)] += s1 - s0;
  fast_macs_ += (s1 - s0) * static_cast<uint64_t>(C);
}

}  // namespace fp8sa

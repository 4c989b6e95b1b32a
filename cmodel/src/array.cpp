// Cycle-accurate model of the systolic array (docs/array.md).
//
// Every register of the page is a member; clock() computes each register's
// next value from the current ones and the inputs, in an order that reads
// every register before it is written (the pairs that could conflict are
// shown exclusive in the comments). The skew and operand registers are kept
// as one ring of steps: all of them move on the same advance, so PE (r, c)'s
// operand registers hold the step injected r + c advances ago.
#include "fp8sa/array.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

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

}  // namespace

void ArrayConfig::validate() const {
  if (rows < 1 || rows > kArrayMaxDim) throw std::invalid_argument(range_msg("rows", rows, 1, kArrayMaxDim));
  if (cols < 1 || cols > kArrayMaxDim) throw std::invalid_argument(range_msg("cols", cols, 1, kArrayMaxDim));
  try {
    acc.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("array: ") + e.what());
  }
  if (sr_bits < 2 || sr_bits > 24) throw std::invalid_argument(range_msg("sr_bits", sr_bits, 2, 24));
  if (q_sr_bits < 2 || q_sr_bits > 24) throw std::invalid_argument(range_msg("q_sr_bits", q_sr_bits, 2, 24));
  const int wmin = std::max(4, std::max(sr_bits, q_sr_bits));
  if (lfsr_w < wmin || lfsr_w > 32) {
    throw std::invalid_argument(range_msg("lfsr_w", lfsr_w, wmin, 32) +
                                " (max(4, sr_bits, q_sr_bits): a draw takes that many bits of the state)");
  }
  if (seed == 0) throw std::invalid_argument("array: seed 0 is not allowed (SEED must be non-zero)");
}

int ArrayConfig::tile_gap() const { return std::max(cols, (rows + cols) / 2); }  // ceil((R + C - 1) / 2)

uint32_t derive_seed(uint32_t seed, uint32_t index, int lfsr_w) {
  if (lfsr_w < 4 || lfsr_w > 32) throw std::invalid_argument(range_msg("lfsr_w", lfsr_w, 4, 32));
  const uint32_t v = (seed ^ (index * 0x9E3779B9u)) & lfsr_mask(lfsr_w);
  return v == 0 ? 1u : v;
}

ArrayCycleModel::ArrayCycleModel(const ArrayConfig& cfg)
    : cfg_(validated(cfg)), gap_max_(cfg.tile_gap()), acc_mask_(cfg.acc.mask()), quant_(cfg.acc, cfg.q_sr_bits) {
  const int n = cfg_.rows * cfg_.cols;
  pes_.reserve(static_cast<size_t>(n));
  for (int r = 0; r < cfg_.rows; ++r) {
    for (int c = 0; c < cfg_.cols; ++c) {
      MacPeConfig pc;
      pc.acc = cfg_.acc;
      pc.sr_bits = cfg_.sr_bits;
      pc.lfsr_w = cfg_.lfsr_w;
      pc.seed = derive_seed(cfg_.seed, static_cast<uint32_t>(1 + r * cfg_.cols + c), cfg_.lfsr_w);
      pes_.emplace_back(pc);
    }
  }
  col_lfsr_.reserve(static_cast<size_t>(cfg_.cols));
  for (int c = 0; c < cfg_.cols; ++c) {
    col_lfsr_.emplace_back(cfg_.lfsr_w, cfg_.q_sr_bits,
                           derive_seed(cfg_.seed, static_cast<uint32_t>(1 + n + c), cfg_.lfsr_w));
  }
  reset();
}

void ArrayCycleModel::reset() {
  for (MacPe& pe : pes_) pe.reset();
  for (int c = 0; c < cfg_.cols; ++c) {
    col_lfsr_[static_cast<size_t>(c)].seed(
        derive_seed(cfg_.seed, static_cast<uint32_t>(1 + cfg_.rows * cfg_.cols + c), cfg_.lfsr_w));
  }
  ring_.fill(Step{});
  head_ = 0;
  done_.fill(false);
  shadow_valid_.fill(false);
  shadow_.fill(0);
  shadow_flags_.fill(0);
  q_.fill(Cmd{});
  q_head_ = q_count_ = q_injected_ = 0;
  q_step_ = 0;
  bank_.fill(0);
  bank_rows_ = 0;
  bank_claimed_ = false;
  drain_row_ = 0;
  tile_flags_ = 0;
  gap_ = gap_max_;
  stall_ = false;
  out_ = ArrayOutputs{};
  cycle_ = advances_ = macs_ = 0;
  update_outputs();
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
  const bool advance = !stall_;
  const int rows = cfg_.rows, cols = cfg_.cols;

  // Drain: reads shadow_valid/shadow of drain_row_. An advance only writes
  // the shadows of PEs with done = 1, which have shadow_valid = 0 (or the
  // cycle would be a stall), so never the drain row when it is ready.
  bool row_ready = true;
  for (int c = 0; c < cols; ++c) row_ready = row_ready && shadow_valid_[idx(drain_row_, c)];
  const bool load = row_ready && (!out_.out_valid_o || in.out_ready_i);
  bool pop = false;
  if (load) {
    const Cmd& oc = q_[static_cast<size_t>(q_head_)];  // oldest undrained tile
    uint8_t row_flags = 0;
    for (int c = 0; c < cols; ++c) {
      const size_t i = idx(drain_row_, c);
      Lfsr& l = col_lfsr_[static_cast<size_t>(c)];
      uint32_t word = shadow_[i];
      row_flags = static_cast<uint8_t>(row_flags | shadow_flags_[i]);
      if (oc.out_fmt != kOutFmtRaw) {
        const OpResult q = quant_.quantize(word, static_cast<OutFormat>(oc.out_fmt), static_cast<Round>(oc.out_rnd),
                                           oc.sat, oc.scale, l.peek());
        word = q.bits;
        row_flags = static_cast<uint8_t>(row_flags | q.flags);
      }
      l.draw();  // every load, every column, raw included
      out_.out_data_o[static_cast<size_t>(c)] = word;
      shadow_valid_[i] = false;
    }
    const bool last = drain_row_ == rows - 1;
    out_.out_row_o = static_cast<uint8_t>(drain_row_);
    out_.out_last_o = last;
    out_.out_flags_o = last ? static_cast<uint8_t>(tile_flags_ | row_flags) : uint8_t{0};
    tile_flags_ = last ? uint8_t{0} : static_cast<uint8_t>(tile_flags_ | row_flags);
    drain_row_ = last ? 0 : drain_row_ + 1;
    pop = last;
  }
  out_.out_valid_o = load || (out_.out_valid_o && !in.out_ready_i);

  if (advance) {
    ++advances_;
    // PEs: shadow copy of the previous tile (reads acc_o before this edge's
    // MAC), then the MAC of the step in the operand registers.
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const size_t i = idx(r, c);
        MacPe& pe = pes_[i];
        if (done_[i]) {
          shadow_[i] = pe.acc();
          shadow_flags_[i] = pe.flags();
          shadow_valid_[i] = true;
        }
        const Step& s = slot(r + c);
        done_[i] = s.valid && s.last;
        if (s.valid) {
          MacPeInputs pi;
          pi.en = true;
          pi.clr = s.first;
          pi.init = s.use_init ? bank_[i] : 0u;
          pi.a = s.a[static_cast<size_t>(r)];
          pi.b = s.b[static_cast<size_t>(c)];
          pi.fmt_a = static_cast<Fp8Format>(s.fmt_a);
          pi.fmt_b = static_cast<Fp8Format>(s.fmt_b);
          pi.rnd = static_cast<Round>(s.rnd);
          pe.clock(pi);
          ++macs_;
        }
      }
    }
    // Init bank release: PE (ROWS-1, COLS-1) does a use_init tile's first
    // MAC. Exclusive with a claim (needs !claimed) and with an init row
    // (init_ready_o is 0 while the bank is full).
    const Step& corner = slot(rows + cols - 2);
    if (corner.valid && corner.first && corner.use_init) {
      bank_rows_ = 0;
      bank_claimed_ = false;
    }
    // Shift the skew/operand registers and inject the step or a bubble.
    head_ = (head_ + 1) & (kRing - 1);
    Step& ns = ring_[static_cast<size_t>(head_)];
    if (in_fire) {
      const Cmd& ic = q_[static_cast<size_t>((q_head_ + q_injected_) % kCmdQueueDepth)];
      ns.valid = true;
      ns.first = q_step_ == 0;
      ns.last = q_step_ + 1 == ic.k;
      ns.fmt_a = ic.fmt_a;
      ns.fmt_b = ic.fmt_b;
      ns.use_init = ic.use_init;
      ns.rnd = ic.rnd;
      for (int r = 0; r < rows; ++r) ns.a[static_cast<size_t>(r)] = in.in_a_i[static_cast<size_t>(r)];
      for (int c = 0; c < cols; ++c) ns.b[static_cast<size_t>(c)] = in.in_b_i[static_cast<size_t>(c)];
      if (ns.first && ns.use_init) bank_claimed_ = true;
      gap_ = ns.last ? 1 : std::min(gap_ + 1, gap_max_);
      if (ns.last) {
        q_step_ = 0;
        ++q_injected_;
      } else {
        ++q_step_;
      }
    } else {
      ns.valid = false;
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

void ArrayCycleModel::update_outputs() {
  bool stall = false;
  const int n = cfg_.rows * cfg_.cols;
  for (int i = 0; i < n; ++i) stall = stall || (done_[static_cast<size_t>(i)] && shadow_valid_[static_cast<size_t>(i)]);
  stall_ = stall;
  out_.cmd_ready_o = q_count_ < kCmdQueueDepth;
  out_.init_ready_o = bank_rows_ < cfg_.rows;
  bool in_ready = false;
  if (!stall && q_injected_ < q_count_) {
    const Cmd& ic = q_[static_cast<size_t>((q_head_ + q_injected_) % kCmdQueueDepth)];
    const bool first = q_step_ == 0;
    const bool last = q_step_ + 1 == ic.k;
    const bool bank_free = bank_rows_ == cfg_.rows && !bank_claimed_;
    in_ready = !(first && ic.use_init && !bank_free) && !(last && gap_ < gap_max_);
  }
  out_.in_ready_o = in_ready;
}

}  // namespace fp8sa

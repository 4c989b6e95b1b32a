// fp8sa explore: the accumulator-width exploration (docs/exploration.md).
// Reads a sweep file (or the built-in --quick sweep), runs every point on
// all cores (each point one model run on one thread; points sharing
// operands share one data set and its exact reference), caches each point,
// writes the CSV and, with --report, docs/exploration.md's text, every
// number in it taken from this run's points.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.hpp"
#include "explore.hpp"
#include "input_file.hpp"
#include "sweep.hpp"
#include "fp8sa/array.hpp"
#include "fp8sa/gemm.hpp"

namespace fp8sa::cli {

namespace {

using explore::DataSet;
using explore::Model;
using explore::Point;
using explore::Stats;

// The sweep file's parser and planner, trim and split_list are in sweep.cpp.

// The built-in --quick sweep (a few seconds; its sanity checks run in make test).
const char* const kQuickSweep =
    "trials = 64\n"
    "seed = 1\n"
    "operands = e4m3\n"
    "[sweep fp32]\n"
    "acc = e8m23\n"
    "k = 1024, 4096\n"
    "data = uniform, normal\n"
    "[sweep cliff]\n"
    "acc = e8m4, e8m10\n"
    "round = rne, sr\n"
    "k = 4096\n"
    "data = uniform\n"
    "[sweep hopper]\n"
    "acc = e8m13\n"
    "round = rz\n"
    "promote = 0, 128\n"
    "k = 4096\n"
    "data = uniform\n"
    "[sweep block]\n"
    "model = km-block\n"
    "k = 4096\n"
    "data = uniform\n";

struct Result {
  Point p;
  Stats s;
  bool cached = false;
  std::string note;  // the data set's note (an npy tensor's scaling), when it was made in this run
};

void make_dirs(const std::string& path) {
  std::string cur;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty()) mkdir(cur.c_str(), 0777);
    }
    if (i < path.size()) cur += path[i];
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw UsageError("cannot create directory '" + shown(path) + "'");
}

// Runs the points on `threads` workers, progress on stderr.
std::vector<Result> run_all(std::vector<Point> pts, const std::string& cache, int threads, bool quiet) {
  std::stable_sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.data_key() < b.data_key(); });
  std::vector<Result> res(pts.size());
  std::map<std::string, int> remaining;
  for (const Point& p : pts) ++remaining[p.data_key()];
  std::map<std::string, std::shared_future<std::shared_ptr<const DataSet>>> live;
  std::mutex mu;
  std::atomic<size_t> next{0}, done{0}, hits{0};
  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < pts.size();) {
      const Point& p = pts[i];
      res[i].p = p;
      try {
        if (explore::cache_load(cache, p, &res[i].s)) {
          res[i].cached = true;
          ++hits;
        } else {
          std::shared_future<std::shared_ptr<const DataSet>> fut;
          std::promise<std::shared_ptr<const DataSet>> prom;
          bool make = false;
          {
            std::lock_guard<std::mutex> l(mu);
            auto it = live.find(p.data_key());
            if (it == live.end()) {
              fut = prom.get_future().share();
              live[p.data_key()] = fut;
              make = true;
            } else {
              fut = it->second;
            }
          }
          if (make) {
            try {
              prom.set_value(explore::make_data(p));
            } catch (...) {
              prom.set_exception(std::current_exception());
            }
          }
          const std::shared_ptr<const DataSet> d = fut.get();
          res[i].s = explore::run_point(p, *d);
          res[i].note = d->note;
          explore::cache_store(cache, p, res[i].s);
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> l(mu);
        if (error.empty()) error = e.what();
        next = pts.size();
      }
      {
        std::lock_guard<std::mutex> l(mu);
        if (--remaining[p.data_key()] == 0) live.erase(p.data_key());
      }
      ++done;
    }
  };
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i) ts.emplace_back(worker);
  if (!quiet) {
    while (done < pts.size() && error.empty()) {
      for (int w = 0; w < 20 && done < pts.size(); ++w) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const size_t d = done, h = hits;
      const double eta = d > h ? el / static_cast<double>(d - h) * static_cast<double>(pts.size() - d) : 0.0;
      std::fprintf(stderr, "fp8sa explore: %zu/%zu points (%zu cached), %.0f s, about %.0f s to go\n", d, pts.size(), h,
                   el, eta);
    }
  }
  for (auto& t : ts) t.join();
  if (!error.empty()) throw UsageError(error);
  return res;
}

// --shard I/N: "I/N" with 1 <= I <= N <= 100000.
std::pair<int, int> parse_shard(const std::string& v) {
  const size_t slash = v.find('/');
  auto num = [&](const std::string& t) {
    if (t.empty() || t.size() > 6 || t.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::atoi(t.c_str());
  };
  const int i = slash == std::string::npos ? -1 : num(v.substr(0, slash));
  const int n = slash == std::string::npos ? -1 : num(v.substr(slash + 1));
  if (i < 1 || n < 1 || n > 100000 || i > n)
    throw UsageError("--shard '" + shown(v) + "': expected I/N with 1 <= I <= N <= 100000 (e.g. 3/16)");
  return {i, n};
}

// The points of shard I of N, in their planned order: a function of the
// sweep and N only, so the shards of a job list hold disjoint points whose
// union is the sweep. A point's cost is its MACs, 8x for the comparison
// models (sr-1step, sr-ideal, km-block: scalar code, several times slower per
// MAC than the fp8sa model's fast path; 8 is a rough weight, docs/scale-out.md
// "Shards of a sweep"). Points
// that share operands (data_key) stay together, so their data set and exact
// reference are made once, unless the group costs more than a shard's share
// (total / N): then it is cut into that many consecutive pieces, each making
// the data set again. The pieces go, costliest first, each to the shard with
// the least cost so far (ties: the lowest shard).
std::vector<Point> shard_points(const std::vector<Point>& pts, std::pair<int, int> shard) {
  auto cost_of = [](const Point& p) {
    return static_cast<uint64_t>(p.trials) * static_cast<uint64_t>(p.k) * (p.model == Model::Hw ? 1 : 8);
  };
  std::vector<std::string> keys;  // groups in first-appearance order
  std::map<std::string, uint64_t> cost;
  std::map<std::string, size_t> count;
  uint64_t total = 0;
  for (const Point& p : pts) {
    const std::string k = p.data_key();
    if (!count.count(k)) keys.push_back(k);
    cost[k] += cost_of(p);
    ++count[k];
    total += cost_of(p);
  }
  const uint64_t share = std::max<uint64_t>(1, (total + static_cast<uint64_t>(shard.second) - 1) /
                                                   static_cast<uint64_t>(shard.second));
  struct Piece {
    std::string key;
    size_t part, parts;
    uint64_t cost;
  };
  std::vector<Piece> pieces;
  std::map<std::string, size_t> parts;
  for (const std::string& k : keys) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(count[k], (cost[k] + share - 1) / share));
    parts[k] = std::max<size_t>(1, n);
    for (size_t j = 0; j < parts[k]; ++j) pieces.push_back({k, j, parts[k], cost[k] / parts[k]});
  }
  std::stable_sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.cost > b.cost; });
  std::vector<uint64_t> load(static_cast<size_t>(shard.second), 0);
  std::set<std::pair<std::string, size_t>> mine;
  for (const Piece& pc : pieces) {
    const size_t s = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[s] += pc.cost;
    if (s + 1 == static_cast<size_t>(shard.first)) mine.insert({pc.key, pc.part});
  }
  std::vector<Point> out;
  std::map<std::string, size_t> seen;
  for (const Point& p : pts) {
    const std::string k = p.data_key();
    const size_t i = seen[k]++;
    if (mine.count({k, i * parts[k] / count[k]})) out.push_back(p);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Lookups and the report
// ---------------------------------------------------------------------------

struct Query {
  Model model = Model::Hw;
  std::string acc = "e8m23";
  Round rnd = Round::RNE;
  int sr_bits = 16, promote = 0, k = 4096;
  std::string ops = "e4m3", data = "uniform";
};

// The matching point with the most trials (sweeps may share a point at
// different trial counts).
const Result* find(const std::vector<Result>& rs, const Query& q) {
  const Result* best = nullptr;
  for (const Result& r : rs) {
    const Point& p = r.p;
    if (p.model != q.model || p.k != q.k || explore::operands_name(p.fa, p.fb) != q.ops || p.data != q.data) continue;
    if (q.model != Model::KmBlock) {
      if (p.acc.name() != q.acc) continue;
      if (q.model == Model::Hw && (p.rnd != q.rnd || p.promote != q.promote)) continue;
      if ((q.model != Model::Hw || q.rnd == Round::SR) && p.sr_bits != q.sr_bits) continue;
    }
    if (!best || r.p.trials > best->p.trials) best = &r;
  }
  return best;
}

std::string g3(double v) {
  if (std::isinf(v)) return "Inf (overflow)";
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

std::string pct(double v) {
  if (std::isinf(v)) return "Inf";
  char b[32];
  std::snprintf(b, sizeof b, "%.3g%%", 100.0 * v);
  return b;
}

// PE areas (docs/area.csv, target cmos, unit pe, and pe_promote for the
// promoted PEs): transistors by "eXmY rounding" ("eXmY rounding pN" with
// PROMOTE_N = N). Read before the sweep runs: a missing, oversized or
// malformed table is an error naming it.
constexpr size_t kAreaMaxBytes = size_t{16} << 20;

std::map<std::string, double> read_area(const std::string& path) {
  const std::string text = read_text_file(path, kAreaMaxBytes, "area table (--area)");
  std::map<std::string, double> a;
  std::istringstream f(text);
  std::string line;
  if (!std::getline(f, line)) throw UsageError("area table (--area) '" + shown(path) + "' is empty");
  std::vector<std::string> head = split_list(line);
  auto col = [&](const std::string& n) {
    return static_cast<int>(std::find(head.begin(), head.end(), n) - head.begin());
  };
  const int ct = col("target"), cu = col("unit"), cc = col("config"), cx = col("transistors");
  const int nh = static_cast<int>(head.size());
  if (std::max({ct, cu, cc, cx}) >= nh)
    throw UsageError("area table (--area) '" + shown(path) +
                     "': no columns target, unit, config and transistors in its first line (make synth's docs/area.csv)");
  while (std::getline(f, line)) {
    std::vector<std::string> v;
    std::string cur;
    std::istringstream is(line);
    while (std::getline(is, cur, ',')) v.push_back(cur);
    const int n = static_cast<int>(v.size());
    if (std::max({ct, cu, cc, cx}) >= n) continue;
    const std::string& unit = v[static_cast<size_t>(cu)];
    if (v[static_cast<size_t>(ct)] == "cmos" && (unit == "pe" || unit == "pe_promote"))
      a[v[static_cast<size_t>(cc)]] = std::atof(v[static_cast<size_t>(cx)].c_str());
  }
  return a;
}

std::string area_key(const Point& p) {
  const std::string r = p.rnd == Round::RNE ? "rne" : p.rnd == Round::RZ ? "rne_rz" : "sr" + std::to_string(p.sr_bits);
  return p.acc.name() + " " + r + (p.promote != 0 ? " p" + std::to_string(p.promote) : "");
}

std::string cfg_name(const Point& p) {
  std::string s = p.acc.name() + " " + round_name(p.rnd);
  if (p.rnd == Round::SR) s += " R=" + std::to_string(p.sr_bits);
  if (p.promote != 0) s += ", promote " + std::to_string(p.promote);
  return s;
}

// MAC rate of gemm_functional, generic path and default path, measured here.
struct Speed {
  std::string acc;
  Round rnd;
  double generic = 0, fast = 0;          // MAC/s, wall clock
  double generic_cpu = 0, fast_cpu = 0;  // MAC per CPU-second (all threads' CPU time)
};

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<Speed> measure_speed(int threads) {
  const int M = 128, K = 2048, N = 128;
  std::vector<uint8_t> A(static_cast<size_t>(M) * K), B(static_cast<size_t>(K) * N);
  // N(0, 1) samples quantized to E4M3 (RNE, saturating), as make bench section 6.
  std::mt19937_64 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const Quantizer qz(kFp32);
  auto code = [&] {
    const float x = nd(rng);
    uint32_t b;
    std::memcpy(&b, &x, 4);
    return static_cast<uint8_t>(qz.quantize(b, OutFormat::E4M3, Round::RNE, true).bits);
  };
  for (auto& a : A) a = code();
  for (auto& b : B) b = code();
  std::vector<Speed> out;
  for (const char* acc : {"e8m10", "e6m9", "e5m10"})
    for (Round r : {Round::RNE, Round::RZ, Round::SR}) {
      ArrayConfig cfg;
      cfg.rows = cfg.cols = 8;
      cfg.acc = AccFormat::parse(acc);
      GemmProblem p;
      p.M = M;
      p.K = K;
      p.N = N;
      p.A = A.data();
      p.B = B.data();
      p.rnd = r;
      Speed s{acc, r};
      for (int fast = 0; fast < 2; ++fast) {
        GemmOptions o;
        o.threads = threads;
        o.allow_fast = fast == 1;
        GemmOutput g;
        double best = 1e30, best_cpu = 1e30;
        for (int rep = 0; rep < 2; ++rep) {
          const auto t0 = std::chrono::steady_clock::now();
          const double c0 = process_cpu_seconds();
          gemm_functional(p, cfg, &g, o);
          best_cpu = std::min(best_cpu, process_cpu_seconds() - c0);
          best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        const double macs = static_cast<double>(M) * K * N;
        (fast ? s.fast : s.generic) = macs / best;
        (fast ? s.fast_cpu : s.generic_cpu) = macs / best_cpu;
      }
      out.push_back(s);
    }
  return out;
}

// reproducible: no date and no measured time (seconds, rates, the speed
// table), so that the text depends on the points' statistics only.
void write_report(const std::vector<Result>& rs, const std::string& path, const std::map<std::string, double>& area,
                  const std::string& sweep_name, double seconds, int threads, bool reproducible) {
  std::ostringstream o;
  uint64_t macs = 0, hw_macs = 0;
  double hw_s = 0;
  size_t cached = 0;
  std::set<int> trials;
  std::set<uint64_t> seeds;
  for (const Result& r : rs) {
    macs += r.s.macs;
    cached += r.cached ? 1 : 0;
    trials.insert(4 * ((r.p.trials + 3) / 4));
    seeds.insert(r.p.seed);
    if (r.p.model == Model::Hw) {
      hw_macs += r.s.macs;
      hw_s += r.s.seconds;
    }
  }
  auto join = [](const auto& set) {
    std::string s;
    for (const auto& x : set) s += (s.empty() ? "" : ", ") + std::to_string(x);
    return s;
  };
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  o << "# Accumulator-width exploration\n\n"
    << "Generated by `make explore` (`fp8sa explore --config " << sweep_name
    << "`, tools/cmd_explore.cpp, plots by tools/plot_explore.py)"
    << (reproducible ? std::string(" with `--reproducible` (no date, no measured time: the same bytes wherever the "
                                   "points ran, docs/scale-out.md)")
                     : std::string(" on ") + when)
    << ". Every number below is read from this run's points (docs/explore/explore.csv); nothing is typed in by hand.\n\n"
    << "## Method\n\n"
    << "* **Hardware bits.** Each point is one `gemm_functional` call (the functional back-end, bit-identical to the "
       "RTL) on an 8 x 4 array: M x K x 4 with M = trials / 4, so every output is one dot product of length K on one PE, "
       "with the PE's own LFSR draws for SR. The raw accumulator word is the result (binary32 with promotion).\n"
    << "* **Exact reference.** The exact dot product of the FP8 operands, from a 128-bit fixed-point accumulator at "
       "2^-32 (the LSB of the smallest FP8 x FP8 product), so exact for every K <= 65535.\n"
    << "* **Error.** Relative error (y - x) / |x| per output: mean of its magnitude, RMS, max, and the bias (its "
       "signed mean, with the standard error of that mean, `se`); outputs with x = 0 are left out of it. The normwise "
       "error |y - x| / sum |a_i b_i| (RMS) is reported too: zero-mean data has sums near zero whose relative error "
       "is large for every accumulator, and the normwise error does not have that noise. An overflow to Inf makes the "
       "error Inf.\n"
    << "* **Data.** `normal`: N(0, 1); `uniform`: U(0, 1), all positive; `heavy`: Student-t with 3 degrees of "
       "freedom; each quantized to the operand format with RNE, saturating. Points that differ only in the "
       "accumulator share their operands.\n"
    << "* **Comparison models (not hardware).** `km-block`: a Khattak & Mikaitis (2025)-style H100 FP8 model as this "
       "project reads it: blocks of 32 products plus the running sum aligned to the largest term's leading bit and "
       "each truncated to 14 bits there, summed exactly. `sr-1step` and `sr-ideal`: the fp8sa MAC (AccAdder) fed with "
       "SR draws one LFSR step apart, or from mt19937_64, instead of the PE's.\n"
    << "* **Run.** " << rs.size() << " points"
    << (reproducible ? std::string() : " (" + std::to_string(cached) + " from the cache)")
    << ", trials per point: " << join(trials)
    << ", seed " << join(seeds) << ", ";
  if (!reproducible) o << threads << " threads, ";
  o << std::fixed;
  o.precision(1);
  if (!reproducible) o << seconds << " s, ";
  o << static_cast<double>(macs) / 1e9 << " G MACs";
  if (hw_s > 0 && !reproducible) {
    o.precision(2);
    o << "; the hardware points ran at " << static_cast<double>(hw_macs) / hw_s / 1e9
      << " G MAC per CPU-second (one thread per point; points computed in this run)";
  }
  o << ".\n\n";
  o.unsetf(std::ios::fixed);
  o.precision(6);

  // Speed of the model before (generic) and after (fast path).
  if (reproducible) {
    o << "## The model's speed (issue 11 section 2)\n\n"
      << "Not measured in a `--reproducible` report (a merge of jobs that ran elsewhere); `make explore` "
         "measures it.\n\n";
  } else {
    const std::vector<Speed> sp = measure_speed(threads);
    o << "## The model's speed (issue 11 section 2)\n\n"
      << "`gemm_functional`, 128 x 2048 x 128, E4M3 operands (N(0, 1) quantized), 8x8 array, " << threads
      << " threads, best of 2 runs, measured during this `make explore`: the generic AccAdder path "
         "(`allow_fast = false`, the only path before issue 11) and the default path (gemm_narrow.cpp). The machine "
         "is shared, so the rate per CPU-second (the process's CPU time over both threads: what the cores give when "
         "they are the model's alone) is the comparable figure; wall-clock MAC/s is what this run got. "
         "2 x the per-CPU-second rate is the 2-core rate (issue target: 1e9 MAC/s).\n\n"
      << "| acc | rounding | generic MAC/CPU-s | fast MAC/CPU-s | speed-up | generic MAC/s wall | fast MAC/s wall |\n"
      << "|---|---|---|---|---|---|---|\n";
    for (const Speed& s : sp) {
      char b[256];
      std::snprintf(b, sizeof b, "| %s | %s | %.3g | %.3g | %.1fx | %.3g | %.3g |\n", s.acc.c_str(),
                    round_name(s.rnd), s.generic_cpu, s.fast_cpu, s.fast_cpu / s.generic_cpu, s.generic, s.fast);
      o << b;
    }
    o << "\n";
  }

  // The swamping cliff.
  {
    std::vector<int> mans, ks;
    for (const Result& r : rs)
      if (r.p.model == Model::Hw && r.p.acc.exp_bits == 8 && r.p.data == "uniform" && r.p.promote == 0 &&
          r.p.rnd == Round::RNE && explore::operands_name(r.p.fa, r.p.fb) == "e4m3") {
        mans.push_back(r.p.acc.man_bits);
        ks.push_back(r.p.k);
      }
    std::sort(mans.begin(), mans.end());
    mans.erase(std::unique(mans.begin(), mans.end()), mans.end());
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    o << "## The swamping cliff (all-positive data)\n\n"
      << "Bias (mean signed relative error) of e8mY accumulators on `uniform` E4M3 data: RNE | SR with R = 16 | RZ. "
         "With all-positive products an RNE accumulator stops growing once a product is below half its ulp, so it "
         "loses a growing fraction of the sum as K grows; SR stays unbiased (plot: explore/cliff.png).\n\n| Y |";
    for (int k : ks) o << " K=" << k << " |";
    o << "\n|---|";
    for (size_t i = 0; i < ks.size(); ++i) o << "---|";
    o << "\n";
    for (int y : mans) {
      o << "| " << y << " |";
      for (int k : ks) {
        Query q;
        q.acc = "e8m" + std::to_string(y);
        q.k = k;
        std::string cell;
        for (Round r : {Round::RNE, Round::SR, Round::RZ}) {
          q.rnd = r;
          const Result* x = find(rs, q);
          cell += (cell.empty() ? "" : " \\| ") + (x ? pct(x->s.bias) : std::string("-"));
        }
        o << " " << cell << " |";
      }
      o << "\n";
    }
    o << "\n";
    for (int k : ks) {
      int need = -1;
      for (auto it = mans.rbegin(); it != mans.rend(); ++it) {
        Query q;
        q.acc = "e8m" + std::to_string(*it);
        q.k = k;
        const Result* x = find(rs, q);
        if (!x) continue;
        if (!(std::fabs(x->s.bias) < 0.01)) break;
        need = *it;
      }
      Query q;
      q.k = k;
      q.rnd = Round::SR;
      double sr_max = 0, sr_se = 0, sr_z = 0;
      int sr_y = 0;
      for (int y : mans) {
        q.acc = "e8m" + std::to_string(y);
        const Result* x = find(rs, q);
        if (!x) continue;
        if (std::fabs(x->s.bias) > sr_max) {
          sr_max = std::fabs(x->s.bias);
          sr_se = x->s.bias_se;
          sr_y = y;
        }
        if (x->s.bias_se > 0) sr_z = std::max(sr_z, std::fabs(x->s.bias) / x->s.bias_se);
      }
      char z[64];
      std::snprintf(z, sizeof z, "%.1f", sr_z);
      o << "* K = " << k << ": RNE needs " << (need < 0 ? std::string("more than the largest swept") : std::to_string(need))
        << " mantissa bits for |bias| < 1% (every wider one too); SR R=16's largest |bias| over the swept Y is "
        << pct(sr_max) << " (Y = " << sr_y << ", standard error " << pct(sr_se)
        << "), and its largest |bias| / se over the swept Y is " << z << ".\n";
    }
    o << "\n";
  }

  // SR bias vs R.
  {
    o << "## Stochastic rounding: bias against R and the LFSR\n\n"
      << "The PE draws R bits per MAC from its own 32-bit LFSR, taking **R LFSR steps per draw** (docs/numerics.md "
         "section 7), so successive draws do not share bits. `sr-1step` takes one step per draw instead (successive "
         "draws share R - 1 bits: correlated), `sr-ideal` uses mt19937_64. El Arar et al. (2025): SR with r random "
         "bits behaves in expectation like truncation to p + r bits; that is the \"add r random bits, then "
         "truncate\" construction, whose RZ-like prediction is the last column (RZ at e8m(Y + R), from the cliff "
         "sweep). fp8sa's SR is not that construction: it rounds up with probability (2t + s) / 2^R "
         "(docs/numerics.md section 5, s the sticky bit), the midpoint of the (R - 1)-bit interval that holds the "
         "discarded fraction, so any inexact sum rounds up with probability at least 2^-R. With all-positive "
         "products far below the accumulator's ulp (swamping) that is an upward bias of about 2^-R ulp per MAC, "
         "growing with K, where the truncating construction loses downward. `uniform` E4M3 data, K = 4096; bias "
         "with its standard error (plot: explore/sr_bias.png).\n\n";
    std::vector<std::string> accs;
    for (const Result& r : rs)
      if (r.p.model == Model::Sr1Step && r.p.k == 4096 && r.p.data == "uniform") accs.push_back(r.p.acc.name());
    std::sort(accs.begin(), accs.end());
    accs.erase(std::unique(accs.begin(), accs.end()), accs.end());
    for (const std::string& acc : accs) {
      o << "**" << acc << "**\n\n| R | fp8sa SR (R steps/draw) | se | sr-1step | sr-ideal | RZ at e8m(Y+R) |\n"
        << "|---|---|---|---|---|---|\n";
      const int Y = AccFormat::parse(acc).man_bits;
      int visible = 0, corr_visible = 0, rmin = 0;
      double bias_rmin = 0, rz_rmin = 0;
      for (int R = 2; R <= 24; ++R) {
        Query q;
        q.acc = acc;
        q.rnd = Round::SR;
        q.sr_bits = R;
        const Result* hw = find(rs, q);
        if (!hw) continue;
        q.model = Model::Sr1Step;
        const Result* s1 = find(rs, q);
        q.model = Model::SrIdeal;
        const Result* si = find(rs, q);
        Query z;
        z.acc = "e8m" + std::to_string(std::min(23, Y + R));
        z.rnd = Round::RZ;
        const Result* rz = Y + R <= 23 ? find(rs, z) : nullptr;
        if (std::fabs(hw->s.bias) > 3 * hw->s.bias_se) visible = std::max(visible, R);
        if (s1 && std::fabs(s1->s.bias) > 3 * s1->s.bias_se && !(std::fabs(hw->s.bias) > 3 * hw->s.bias_se))
          corr_visible = std::max(corr_visible, R);
        if (rmin == 0) {
          rmin = R;
          bias_rmin = hw->s.bias;
          rz_rmin = rz ? rz->s.bias : 0.0;
        }
        o << "| " << R << " | " << pct(hw->s.bias) << " | " << pct(hw->s.bias_se) << " | "
          << (s1 ? pct(s1->s.bias) : "-") << " | " << (si ? pct(si->s.bias) : "-") << " | "
          << (rz ? pct(rz->s.bias) : "-") << " |\n";
      }
      o << "\n* " << acc << ": the hardware SR's bias is "
        << (visible ? "visible (|bias| > 3 se) up to R = " + std::to_string(visible) +
                          "; above that it is within 3 standard errors of zero."
                    : std::string("within 3 standard errors of zero at every swept R."));
      if (rmin != 0) {
        o << " At R = " << rmin << " it is " << pct(bias_rmin) << " ("
          << (bias_rmin > 0 ? "upward: the sticky bit's midpoint rounding" : "downward")
          << "), where truncation to e8m" << Y + rmin << " would give " << pct(rz_rmin) << ".";
      }
      o << (corr_visible ? " One LFSR step per draw shows a bias where the hardware's R steps per draw do not, up to R = " +
                               std::to_string(corr_visible) + " (the correlation of overlapping draws)."
                         : " One LFSR step per draw shows no bias beyond 3 standard errors where the hardware's does not.")
        << "\n\n";
    }
  }

  // Hopper-like.
  {
    o << "## A Hopper-like accumulator: 14 significant bits, truncation\n\n"
      << "e8m13 with RZ (14 significant bits, truncation: DeepSeek-V3's description of Hopper's FP8 accumulation), "
         "E4M3 operands, K = 4096, with and without promotion to binary32 every 128 products, against the km-block "
         "model (not hardware) on the same operands. DeepSeek-V3 reports a maximum relative error of about 2% for "
         "this accumulation at K = 4096 (plot: explore/hopper.png).\n\n"
      << "| data | model | mean rel | RMS rel | max rel | bias | RMS normwise |\n|---|---|---|---|---|---|---|\n";
    for (const char* d : {"uniform", "normal", "heavy"}) {
      struct Row {
        const char* name;
        Query q;
      };
      Query a;
      a.acc = "e8m13";
      a.rnd = Round::RZ;
      a.data = d;
      Query b = a;
      b.promote = 128;
      Query c;
      c.model = Model::KmBlock;
      c.data = d;
      Query f;
      f.data = d;
      for (const Row& row : {Row{"e8m13 RZ", a}, Row{"e8m13 RZ, promote 128", b}, Row{"km-block (not hardware)", c},
                             Row{"e8m23 RNE (FP32)", f}}) {
        const Result* x = find(rs, row.q);
        if (!x) continue;
        o << "| " << d << " | " << row.name << " | " << pct(x->s.mean_rel) << " | " << pct(x->s.rms_rel) << " | "
          << pct(x->s.max_rel) << " | " << pct(x->s.bias) << " | " << g3(x->s.rms_norm) << " |\n";
      }
    }
    o << "\n";
    Query a;
    a.acc = "e8m13";
    a.rnd = Round::RZ;
    Query c;
    c.model = Model::KmBlock;
    const Result* seq = find(rs, a);
    const Result* blk = find(rs, c);
    Query b = a;
    b.promote = 128;
    const Result* pro = find(rs, b);
    if (seq && blk && pro) {
      o << "* All-positive data, K = 4096: the sequential 14-bit truncating MAC loses " << pct(-seq->s.bias)
        << " of the sum on average (max relative error " << pct(seq->s.max_rel) << "), the block model "
        << pct(-blk->s.bias) << " (max " << pct(blk->s.max_rel) << "); promotion every 128 brings the MAC to "
        << pct(-pro->s.bias) << " (max " << pct(pro->s.max_rel) << ").\n";
      Query an = a, cn = c, bn = b;
      an.data = cn.data = bn.data = "normal";
      const Result* seqn = find(rs, an);
      const Result* blkn = find(rs, cn);
      const Result* pron = find(rs, bn);
      if (seqn && blkn && pron) {
        o << "* Zero-mean data, K = 4096: RMS normwise error " << g3(seqn->s.rms_norm) << " (sequential), "
          << g3(blkn->s.rms_norm) << " (block model), " << g3(pron->s.rms_norm)
          << " (sequential, promotion every 128); sequential / block = " << g3(seqn->s.rms_norm / blkn->s.rms_norm)
          << "; the relative error's maximum (" << pct(seqn->s.max_rel)
          << " sequential) comes from outputs whose exact sum is near zero.\n";
        o << "* DeepSeek-V3's \"about 2%\" (a maximum relative error on real GEMMs at K = 4096) lies "
          << (seq->s.max_rel > 0.02 ? "below" : "above") << " the sequential MAC's all-positive maximum ("
          << pct(seq->s.max_rel) << ") and " << (seqn->s.rms_norm * 100 < 2 ? "above" : "below")
          << " its zero-mean normwise RMS (" << pct(seqn->s.rms_norm)
          << "): real tensors (neither all-positive nor exactly zero-mean) sit in between; with promotion "
             "every 128 both data sets stay below "
          << pct(std::max(pro->s.max_rel, pron->s.rms_norm)) << " in those measures.\n";
      }
      o << "* Where they differ: the block model truncates each product once, against the largest of 33 terms (the "
           "running sum dominates after the first blocks, so a product loses the bits below 2^-13 of the sum), and "
           "then adds 33 truncated terms exactly; the sequential MAC truncates after every product, so its error per "
           "product is up to one ulp of the running sum. On all-positive data the two agree (bias ratio "
        << g3(seq->s.bias / blk->s.bias) << "): the running sum dominates every block. On zero-mean data (the ratio of their normwise errors below) "
           "the block model's truncations of positive and negative products can partly cancel, while the sequential "
           "MAC truncates the running sum itself, towards zero, at every step.\n";
    }
    o << "\nAgainst K (uniform, E4M3): bias of e8m13 RZ with promotion off / 32 / 64 / 128 / 256 and the block "
         "model.\n\n| K | off | 32 | 64 | 128 | 256 | km-block |\n|---|---|---|---|---|---|---|\n";
    std::set<int> ks;
    for (const Result& r : rs)
      if (r.p.model == Model::Hw && r.p.acc.name() == "e8m13" && r.p.rnd == Round::RZ) ks.insert(r.p.k);
    for (int k : ks) {
      o << "| " << k << " |";
      for (int pn : {0, 32, 64, 128, 256}) {
        Query q = a;
        q.k = k;
        q.promote = pn;
        const Result* x = find(rs, q);
        o << " " << (x ? pct(x->s.bias) : "-") << " |";
      }
      Query q = c;
      q.k = k;
      const Result* x = find(rs, q);
      o << " " << (x ? pct(x->s.bias) : "-") << " |\n";
    }
    o << "\n";
  }

  // Pareto pick.
  {
    o << "## The smallest accumulator within 2x of FP32 at K = 4096\n\n";
    Query f;
    f.data = "normal";
    const Result* fn = find(rs, f);
    f.data = "uniform";
    const Result* fu = find(rs, f);
    if (!fn || !fu) {
      o << "(the sweep has no e8m23 RNE points at K = 4096 on normal and uniform E4M3 data)\n\n";
    } else {
      o << "Criterion: RMS normwise error at K = 4096 (E4M3 operands) at most 2x that of e8m23 RNE (FP32: "
        << g3(fn->s.rms_norm) << " on normal, " << g3(fu->s.rms_norm)
        << " on uniform data) on **both** data sets. Smallest = fewest accumulator bits (1 + exponent + mantissa); "
           "among equals RNE before RZ before SR (fewer R first), no promotion first.\n\n";
      struct Cand {
        const Result* r;
        int bits;
        int cost;
      };
      std::vector<Cand> ok, ok_u;  // both data sets; all-positive data alone
      for (const Result& r : rs) {
        if (r.p.model == Model::Hw && r.p.k == 4096 && r.p.data == "uniform" &&
            explore::operands_name(r.p.fa, r.p.fb) == "e4m3" && r.s.rms_norm <= 2 * fu->s.rms_norm) {
          const int cost = (r.p.rnd == Round::RNE ? 0 : r.p.rnd == Round::RZ ? 1 : 2 + r.p.sr_bits) * 2 +
                           (r.p.promote != 0 ? 1 : 0);
          ok_u.push_back({&r, r.p.acc.width(), cost});
        }
        if (r.p.model != Model::Hw || r.p.k != 4096 || r.p.data != "normal" ||
            explore::operands_name(r.p.fa, r.p.fb) != "e4m3")
          continue;
        Query q;
        q.acc = r.p.acc.name();
        q.rnd = r.p.rnd;
        q.sr_bits = r.p.sr_bits;
        q.promote = r.p.promote;
        q.data = "uniform";
        const Result* u = find(rs, q);
        if (!u) continue;
        if (r.s.rms_norm <= 2 * fn->s.rms_norm && u->s.rms_norm <= 2 * fu->s.rms_norm) {
          const int cost = (r.p.rnd == Round::RNE ? 0 : r.p.rnd == Round::RZ ? 1 : 2 + r.p.sr_bits) * 2 +
                           (r.p.promote != 0 ? 1 : 0);
          ok.push_back({&r, r.p.acc.width(), cost});
        }
      }
      auto by_size = [](const Cand& a, const Cand& b) { return a.bits != b.bits ? a.bits < b.bits : a.cost < b.cost; };
      std::sort(ok.begin(), ok.end(), by_size);
      std::sort(ok_u.begin(), ok_u.end(), by_size);
      const double base = area.count("e8m23 rne") ? area.at("e8m23 rne") : 0.0;
      if (ok.empty()) {
        o << "No swept configuration meets it.\n\n";
      } else {
        const Result* best = ok.front().r;
        o << "* Smallest swept: **" << cfg_name(best->p) << "** (" << best->p.acc.width() << " bits; RMS normwise "
          << g3(best->s.rms_norm) << " on normal data).\n";
        const Cand* with_area = nullptr;
        for (const Cand& c : ok)
          if (area.count(area_key(c.r->p))) {
            with_area = &c;
            break;
          }
        if (with_area && base > 0) {
          const double a = area.at(area_key(with_area->r->p));
          char b[256];
          std::snprintf(b, sizeof b, "%.0f CMOS transistors against %.0f for e8m23 RNE (docs/area.csv): %.0f%% less",
                        a, base, 100.0 * (1.0 - a / base));
          o << "* Smallest with a synthesized PE in docs/area.csv: **" << cfg_name(with_area->r->p)
            << "**, " << b << ".\n";
        }
        o << "* Configurations meeting it, by size (first 12):";
        for (size_t i = 0; i < ok.size() && i < 12; ++i) o << (i ? "; " : " ") << cfg_name(ok[i].r->p);
        o << ".\n";
        if (!ok_u.empty()) {
          o << "* On all-positive data alone (FP32's sums of quantized normals are nearly exact, which makes the "
               "zero-mean criterion very strict), the smallest is **"
            << cfg_name(ok_u.front().r->p) << "** (" << ok_u.front().bits << " bits); the first 8:";
          for (size_t i = 0; i < ok_u.size() && i < 8; ++i) o << (i ? "; " : " ") << cfg_name(ok_u[i].r->p);
          o << ".\n";
          for (const Cand& c : ok_u)
            if (area.count(area_key(c.r->p)) && base > 0) {
              const double a = area.at(area_key(c.r->p));
              char b[200];
              std::snprintf(b, sizeof b, "%.0f transistors, %.0f%% less than e8m23 RNE", a, 100.0 * (1.0 - a / base));
              o << "* ... and with a synthesized PE: **" << cfg_name(c.r->p) << "**, " << b << ".\n";
              break;
            }
        }
        // The promoted PEs make synth built (the narrow accumulator plus a
        // binary32 adder and register): their area and error, met or not.
        std::ostringstream pe;
        int npe = 0;
        std::set<std::string> done;
        for (const Result& r : rs) {
          if (r.p.model != Model::Hw || r.p.k != 4096 || r.p.data != "normal" || r.p.promote == 0 ||
              explore::operands_name(r.p.fa, r.p.fb) != "e4m3" || !area.count(area_key(r.p)) || base <= 0 ||
              !done.insert(area_key(r.p)).second)
            continue;
          Query q;
          q.acc = r.p.acc.name();
          q.rnd = r.p.rnd;
          q.sr_bits = r.p.sr_bits;
          q.promote = r.p.promote;
          q.data = "uniform";
          const Result* u = find(rs, q);
          q.data = "normal";
          const Result* n = find(rs, q);  // the most trials of this point
          char b[320];
          std::snprintf(b, sizeof b, "%s%s (%.0f transistors, %+.0f%% against e8m23 RNE): RMS normwise %s on normal "
                        "(%sx FP32), %s on uniform data (%sx FP32)",
                        npe ? "; " : " ", cfg_name(n->p).c_str(), area.at(area_key(n->p)),
                        100.0 * (area.at(area_key(n->p)) / base - 1.0), g3(n->s.rms_norm).c_str(),
                        g3(n->s.rms_norm / fn->s.rms_norm).c_str(), u ? g3(u->s.rms_norm).c_str() : "-",
                        u ? g3(u->s.rms_norm / fu->s.rms_norm).c_str() : "-");
          pe << b;
          ++npe;
        }
        if (npe != 0) {
          o << "* Synthesized promoted PEs (docs/area.csv unit `pe_promote`: the narrow accumulator plus a binary32 "
               "adder and register):"
            << pe.str() << ".\n\n";
        } else {
          o << "* No promoted configuration of this sweep has a synthesized PE in docs/area.csv (unit "
               "`pe_promote`).\n\n";
        }
      }
      o << "Error against PE area (CMOS transistors, docs/area.csv), K = 4096, uniform data: explore/pareto.png.\n\n";
    }
  }
  o << "## Files\n\n* `docs/explore/explore.csv`: every point (columns as above; `seconds` is the point's model time).\n"
    << "* `docs/explore/*.png`: the plots.\n* `docs/explore/sweep.conf`: the sweep `make explore` runs.\n";
  std::ofstream f(path);
  f << o.str();
  if (!f) throw UsageError("cannot write '" + shown(path) + "'");
}

// --quick's sanity checks: returns the failures (one line each).
std::vector<std::string> sanity(const std::vector<Result>& rs) {
  std::vector<std::string> bad;
  auto need = [&](const Query& q, const char* what) -> const Result* {
    const Result* r = find(rs, q);
    if (!r) bad.push_back(std::string("missing point: ") + what);
    return r;
  };
  Query q;
  q.k = 4096;
  if (const Result* r = need(q, "e8m23 rne k=4096 uniform"); r && !(r->s.rms_rel < 1e-5))
    bad.push_back("FP32 RMS relative error " + g3(r->s.rms_rel) + " is not below 1e-5");
  q.data = "normal";
  if (const Result* r = need(q, "e8m23 rne k=4096 normal"); r && !(r->s.rms_norm < 1e-6))
    bad.push_back("FP32 RMS normwise error " + g3(r->s.rms_norm) + " on normal data is not below 1e-6");
  q = Query();
  q.acc = "e8m4";
  if (const Result* r = need(q, "e8m4 rne k=4096 uniform"); r && !(r->s.bias < -0.3))
    bad.push_back("no swamping cliff: e8m4 RNE bias " + pct(r->s.bias) + " at K = 4096 is not below -30%");
  q.rnd = Round::SR;
  if (const Result* r = need(q, "e8m4 sr k=4096 uniform"); r && !(std::fabs(r->s.bias) < 0.02))
    bad.push_back("SR is biased: e8m4 SR R=16 bias " + pct(r->s.bias) + " at K = 4096");
  q = Query();
  q.acc = "e8m13";
  q.rnd = Round::RZ;
  const Result* a = need(q, "e8m13 rz k=4096 uniform");
  q.promote = 128;
  const Result* b = need(q, "e8m13 rz promote 128 k=4096 uniform");
  if (a && b && !(std::fabs(b->s.bias) < std::fabs(a->s.bias) / 4))
    bad.push_back("promotion every 128 does not cut e8m13 RZ's bias by 4x: " + pct(a->s.bias) + " -> " + pct(b->s.bias));
  Query c;
  c.model = Model::KmBlock;
  if (const Result* r = need(c, "km-block k=4096 uniform"); r && !(r->s.bias < 0 && r->s.bias > -0.2))
    bad.push_back("km-block bias " + pct(r->s.bias) + " is not in (-20%, 0)");
  return bad;
}

}  // namespace

// A path the report will be written to at the end: checked now (without
// truncating what is there), so a bad path fails before the sweep runs.
void check_writable(const std::string& path, const char* option) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw UsageError(std::string(option) + " '" + shown(path) + "': it is a directory");
  const bool existed = ::stat(path.c_str(), &st) == 0;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0666);
  if (fd < 0) throw UsageError(std::string(option) + " '" + shown(path) + "': cannot create: " + std::strerror(errno));
  ::close(fd);
  if (!existed) ::unlink(path.c_str());
}

int cmd_explore(const Args& args) {
  const bool quick = args.has("quick");
  const std::string config = args.get("config", "");
  if (quick == !config.empty()) throw UsageError("give exactly one of --config FILE and --quick");
  const int threads = static_cast<int>(
      args.get_int("threads", static_cast<long long>(std::max(1u, std::thread::hardware_concurrency())), 1, 256));
  const bool quiet = args.has("quiet");
  SweepLimits lim;
  lim.threads = threads;
  lim.max_points = static_cast<uint64_t>(args.get_int("max-points", 100000, 1, 1LL << 32));
  lim.max_memory = static_cast<uint64_t>(args.get_int("max-memory", 4096, 1, 1LL << 24)) << 20;
  const std::string csv = args.get("csv", "");
  const std::string report = args.get("report", "");
  // Every file is checked before the sweep runs: the sweep file (bounded),
  // the area table the report joins, the report's path.
  if (args.has("area") && report.empty()) throw UsageError("--area is read for --report only");
  std::string text = kQuickSweep, name = "(--quick)";
  if (!quick) {
    text = read_text_file(config, kSweepMaxBytes, "sweep file");
    name = config;
  }
  std::vector<Point> pts = plan_sweep(text, name, lim);
  const bool reproducible = args.has("reproducible");
  if (args.has("shard")) pts = shard_points(pts, parse_shard(args.get("shard", "")));
  std::map<std::string, double> area;
  if (!report.empty()) {
    check_writable(report, "--report");
    area = read_area(args.get("area", "docs/area.csv"));
  }
  std::ofstream out;
  if (!csv.empty()) {
    out.open(csv);
    if (!out) throw UsageError("cannot create '" + shown(csv) + "'");
  }
  const std::string cache = args.get("cache", "");
  if (!cache.empty()) make_dirs(cache);
  if (args.has("cached-only")) {
    if (cache.empty()) throw UsageError("--cached-only needs --cache DIR");
    size_t missing = 0;
    std::string first;
    for (const Point& p : pts) {
      Stats st;
      if (!explore::cache_load(cache, p, &st) && missing++ == 0) first = p.key();
    }
    if (missing > 0)
      throw UsageError("--cached-only: " + std::to_string(missing) + " of " + std::to_string(pts.size()) +
                       " points are not in the cache '" + shown(cache) + "' (first: " + first + ")");
  }
  if (!quiet) std::fprintf(stderr, "fp8sa explore: %zu points, %d threads%s\n", pts.size(), threads,
                           cache.empty() ? "" : (", cache " + cache).c_str());
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Result> rs = run_all(pts, cache, threads, quiet);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (out.is_open()) {
    out << explore::csv_header() << "\n";
    for (const Result& r : rs) out << explore::csv_line(r.p, r.s, !reproducible) << "\n";
    out.close();
    if (!out) throw UsageError("cannot write '" + shown(csv) + "'");
  }
  size_t cached = 0;
  for (const Result& r : rs) cached += r.cached ? 1 : 0;
  if (quick || args.has("print")) {
    std::printf("%s\n", explore::csv_header().c_str());
    for (const Result& r : rs) std::printf("%s\n", explore::csv_line(r.p, r.s, !reproducible).c_str());
  }
  std::printf("fp8sa explore: %zu points (%zu cached), %.1f s%s%s\n", rs.size(), cached, secs,
              csv.empty() ? "" : (", " + csv).c_str(), report.empty() ? "" : (", " + report).c_str());
  // What the data sets made in this run say about themselves (an npy
  // tensor's scaling, its non-finite values), once per data set.
  std::set<std::string> notes;
  for (const Result& r : rs)
    if (!r.note.empty() && notes.insert(r.p.data_key()).second)
      std::printf("data %s (k %d, %d trials, %s): %s\n", r.p.data.c_str(), r.p.k, r.p.trials,
                  explore::operands_name(r.p.fa, r.p.fb).c_str(), r.note.c_str());
  if (!report.empty()) write_report(rs, report, area, name, secs, threads, reproducible);
  if (quick) {
    const std::vector<std::string> bad = sanity(rs);
    for (const std::string& b : bad) std::printf("SANITY FAILED: %s\n", b.c_str());
    std::printf("%s: %zu sanity check(s) failed\n", bad.empty() ? "PASS" : "FAIL", bad.size());
    return bad.empty() ? 0 : 1;
  }
  return 0;
}

}  // namespace fp8sa::cli

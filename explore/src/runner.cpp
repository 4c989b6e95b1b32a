// The point runner, the cache and the shards: see fp8sa/explore/runner.hpp.
#include "fp8sa/explore/runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sys/stat.h>

#include "fp8sa/explore/models.hpp"
#include "text.hpp"

namespace fp8sa::explore {

namespace {

// This thread's CPU time: a point runs on one thread, and the machine may
// be shared, so wall-clock time would measure the neighbours too.
double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

Stats run_point(const Point& p, const DataSet& d) {
  const ModelEntry& m = find_model(p.model);
  const double t0 = thread_cpu_seconds();
  const size_t n = static_cast<size_t>(d.M) * static_cast<size_t>(d.N);
  std::vector<double> y(n);
  m.run(p, d, y.data());
  Stats s = point_stats(y.data(), d.exact.data(), d.abs_sum.data(), n);
  s.macs = static_cast<uint64_t>(n) * static_cast<uint64_t>(d.K);
  s.seconds = thread_cpu_seconds() - t0;
  return s;
}

std::vector<Result> run_points(std::vector<Point> pts, const RunOptions& opt) {
  std::stable_sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.data_key() < b.data_key(); });
  for (const Point& p : pts) find_model(p.model);  // an unknown model fails before any work
  std::vector<Result> res(pts.size());
  std::map<std::string, int> remaining;
  for (const Point& p : pts) ++remaining[p.data_key()];
  std::map<std::string, std::shared_future<std::shared_ptr<const DataSet>>> live;
  std::mutex mu;
  std::atomic<size_t> next{0}, done{0}, hits{0};
  std::string error;
  const std::string& cache = opt.cache;
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < pts.size();) {
      const Point& p = pts[i];
      res[i].p = p;
      try {
        if (cache_load(cache, p, &res[i].s)) {
          res[i].cached = true;
          ++hits;
        } else {
          // The first point of a data set makes it; the others wait on it.
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
              prom.set_value(make_data(p));
            } catch (...) {
              prom.set_exception(std::current_exception());
            }
          }
          const std::shared_ptr<const DataSet> d = fut.get();
          res[i].s = run_point(p, *d);
          res[i].note = d->note;
          cache_store(cache, p, res[i].s);
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
  const int threads = std::max(1, opt.threads);
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i) ts.emplace_back(worker);
  if (opt.progress) {
    auto failed = [&] {
      std::lock_guard<std::mutex> l(mu);
      return !error.empty();
    };
    while (done < pts.size() && !failed()) {
      for (int w = 0; w < 20 && done < pts.size(); ++w) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      opt.progress(done, pts.size(), hits, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  for (auto& t : ts) t.join();
  if (!error.empty()) throw std::invalid_argument(error);
  return res;
}

namespace {


std::string cache_path(const std::string& dir, const Point& p) {
  char b[32];
  std::snprintf(b, sizeof b, "%016" PRIx64 ".txt", fnv1a(std::string(kVersion) + "|" + p.key()));
  return dir + "/" + b;
}

double parse_num(const std::string& s) {
  if (s == "inf") return std::numeric_limits<double>::infinity();
  return std::strtod(s.c_str(), nullptr);
}

}  // namespace

bool cache_load(const std::string& dir, const Point& p, Stats* s) {
  if (dir.empty()) return false;
  std::ifstream f(cache_path(dir, p));
  std::string version, key, line;
  if (!std::getline(f, version) || !std::getline(f, key) || !std::getline(f, line)) return false;
  if (version != kVersion || key != p.key()) return false;
  std::istringstream is(line);
  std::string v[13];
  for (auto& x : v)
    if (!(is >> x)) return false;
  s->trials = std::atoi(v[0].c_str());
  s->zero_exact = std::atoi(v[1].c_str());
  s->nonfinite = std::atoi(v[2].c_str());
  s->mean_rel = parse_num(v[3]);
  s->rms_rel = parse_num(v[4]);
  s->max_rel = parse_num(v[5]);
  s->bias = parse_num(v[6]);
  s->bias_se = parse_num(v[7]);
  s->rms_norm = parse_num(v[8]);
  s->max_norm = parse_num(v[9]);
  s->macs = std::strtoull(v[10].c_str(), nullptr, 10);
  s->seconds = parse_num(v[11]);
  return v[12] == "end";
}

void cache_store(const std::string& dir, const Point& p, const Stats& s) {
  if (dir.empty()) return;
  const std::string path = cache_path(dir, p), tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    char b[512];
    std::snprintf(b, sizeof b, "%d %d %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g %" PRIu64 " %.6g end", s.trials,
                  s.zero_exact, s.nonfinite, s.mean_rel, s.rms_rel, s.max_rel, s.bias, s.bias_se, s.rms_norm,
                  s.max_norm, s.macs, s.seconds);
    // %.17g prints inf as "inf", which parse_num reads back.
    f << kVersion << "\n" << p.key() << "\n" << b << "\n";
    if (!f) return;
  }
  std::rename(tmp.c_str(), path.c_str());
}


void make_cache_dir(const std::string& path) {
  std::string cur;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty()) mkdir(cur.c_str(), 0777);
    }
    if (i < path.size()) cur += path[i];
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::invalid_argument("cannot create directory '" + text::shown(path) + "'");
}

std::pair<int, int> parse_shard(const std::string& v) {
  const size_t slash = v.find('/');
  auto num = [&](const std::string& t) {
    if (t.empty() || t.size() > 6 || t.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::atoi(t.c_str());
  };
  const int i = slash == std::string::npos ? -1 : num(v.substr(0, slash));
  const int n = slash == std::string::npos ? -1 : num(v.substr(slash + 1));
  if (i < 1 || n < 1 || n > 100000 || i > n)
    throw std::invalid_argument("--shard '" + text::shown(v) + "': expected I/N with 1 <= I <= N <= 100000 (e.g. 3/16)");
  return {i, n};
}

// A point's cost is its MACs times its model's cost per MAC (the
// comparison models: scalar code, several times slower per MAC than the
// fp8sa model's fast path; 8 is a rough weight). Points that share operands
// (data_key) stay together, so their data set and exact reference are made
// once, unless the group costs more than a shard's share (total / N): then
// it is cut into that many consecutive pieces, each making the data set
// again. The pieces go, costliest first, each to the shard with the least
// cost so far (ties: the lowest shard).
std::vector<Point> shard_points(const std::vector<Point>& pts, std::pair<int, int> shard) {
  auto cost_of = [](const Point& p) {
    return static_cast<uint64_t>(p.trials) * static_cast<uint64_t>(p.k) *
           static_cast<uint64_t>(std::max(1, find_model(p.model).cost));
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

}  // namespace fp8sa::explore

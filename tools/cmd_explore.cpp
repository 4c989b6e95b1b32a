// fp8sa explore: the accumulator-width exploration (docs/exploration.md), a
// thin front end over the exploration library (explore/): reads a sweep
// file (or the built-in --quick sweep), runs its points on all cores with
// the point cache, writes the CSV and, with --run-info, the run's facts
// (time, threads, cache hits, the model's speed) that the report script
// (tools/explore_report.py) turns into docs/exploration.md with the CSV.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.hpp"
#include "input_file.hpp"
#include "npy.hpp"
#include "fp8sa/explore/checks.hpp"
#include "fp8sa/explore/runner.hpp"
#include "fp8sa/explore/speed.hpp"
#include "fp8sa/explore/sweep.hpp"

namespace fp8sa::cli {

namespace {

using explore::Point;
using explore::Result;

// A path written at the end: checked now (without truncating what is
// there), so a bad path fails before the sweep runs.
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

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

// The run's facts the report needs beyond the CSV (JSON). reproducible:
// only what the sweep determines (no date, time, threads, cache hits or
// speed), so that the report is the same bytes wherever the points ran.
void write_run_info(const std::string& path, const std::string& sweep, const std::vector<Result>& rs, double seconds,
                    int threads, bool reproducible) {
  std::ostringstream o;
  o << "{\n  \"sweep\": " << json_string(sweep) << ",\n  \"points\": " << rs.size()
    << ",\n  \"reproducible\": " << (reproducible ? "true" : "false");
  if (!reproducible) {
    size_t cached = 0;
    for (const Result& r : rs) cached += r.cached ? 1 : 0;
    char when[64];
    const std::time_t now = std::time(nullptr);
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    o << ",\n  \"date\": " << json_string(when) << ",\n  \"cached\": " << cached << ",\n  \"seconds\": " << num(seconds)
      << ",\n  \"threads\": " << threads << ",\n  \"speed\": [";
    const std::vector<explore::Speed> sp = explore::measure_speed(threads);
    for (size_t i = 0; i < sp.size(); ++i)
      o << (i ? "," : "") << "\n    {\"acc\": " << json_string(sp[i].acc) << ", \"round\": \"" << round_name(sp[i].rnd)
        << "\", \"generic\": " << num(sp[i].generic) << ", \"fast\": " << num(sp[i].fast)
        << ", \"generic_cpu\": " << num(sp[i].generic_cpu) << ", \"fast_cpu\": " << num(sp[i].fast_cpu) << "}";
    o << "\n  ]";
  }
  o << "\n}\n";
  std::ofstream f(path);
  f << o.str();
  if (!f) throw UsageError("cannot write '" + shown(path) + "'");
}

void print_csv(FILE* f, const std::vector<Result>& rs, bool with_time) {
  std::fprintf(f, "%s\n", explore::csv_header().c_str());
  for (const Result& r : rs) std::fprintf(f, "%s\n", explore::csv_line(r.p, r.s, with_time).c_str());
}

}  // namespace

int cmd_explore(const Args& args) {
  const bool quick = args.has("quick");
  const std::string config = args.get("config", "");
  if (quick == !config.empty()) throw UsageError("give exactly one of --config FILE and --quick");
  const int threads = static_cast<int>(
      args.get_int("threads", static_cast<long long>(std::max(1u, std::thread::hardware_concurrency())), 1, 256));
  const bool quiet = args.has("quiet"), reproducible = args.has("reproducible");
  explore::SweepLimits lim;
  lim.threads = threads;
  lim.max_points = static_cast<uint64_t>(args.get_int("max-points", 100000, 1, 1LL << 32));
  lim.max_memory = static_cast<uint64_t>(args.get_int("max-memory", 4096, 1, 1LL << 24)) << 20;
  // Every file is checked before the sweep runs: the sweep file (bounded),
  // the paths written at the end.
  std::string text = explore::kQuickSweep, name = "(--quick)";
  if (!quick) {
    text = read_text_file(config, explore::kSweepMaxBytes, "sweep file");
    name = config;
  }
  std::vector<Point> pts = explore::plan_sweep(text, name, lim);
  explore::set_tensor_reader(read_npy_float32);  // data = npy:FILE
  if (args.has("shard")) pts = explore::shard_points(pts, explore::parse_shard(args.get("shard", "")));
  const std::string csv = args.get("csv", ""), run_info = args.get("run-info", "");
  if (!run_info.empty()) check_writable(run_info, "--run-info");
  FILE* out = nullptr;
  if (!csv.empty() && !(out = std::fopen(csv.c_str(), "w"))) throw UsageError("cannot create '" + shown(csv) + "'");
  explore::RunOptions opt;
  opt.cache = args.get("cache", "");
  opt.threads = threads;
  if (!opt.cache.empty()) explore::make_cache_dir(opt.cache);
  if (args.has("cached-only")) {
    if (opt.cache.empty()) throw UsageError("--cached-only needs --cache DIR");
    size_t missing = 0;
    std::string first;
    for (const Point& p : pts) {
      explore::Stats st;
      if (!explore::cache_load(opt.cache, p, &st) && missing++ == 0) first = p.key();
    }
    if (missing > 0)
      throw UsageError("--cached-only: " + std::to_string(missing) + " of " + std::to_string(pts.size()) +
                       " points are not in the cache '" + shown(opt.cache) + "' (first: " + first + ")");
  }
  if (!quiet) {
    std::fprintf(stderr, "fp8sa explore: %zu points, %d threads%s\n", pts.size(), threads,
                 opt.cache.empty() ? "" : (", cache " + opt.cache).c_str());
    opt.progress = [](size_t done, size_t total, size_t hits, double el) {
      const double eta = done > hits ? el / static_cast<double>(done - hits) * static_cast<double>(total - done) : 0.0;
      std::fprintf(stderr, "fp8sa explore: %zu/%zu points (%zu cached), %.0f s, about %.0f s to go\n", done, total,
                   hits, el, eta);
    };
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Result> rs = explore::run_points(pts, opt);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (out) {
    print_csv(out, rs, !reproducible);
    const bool bad = std::ferror(out) != 0;
    if (std::fclose(out) != 0 || bad) throw UsageError("cannot write '" + shown(csv) + "'");
  }
  size_t cached = 0;
  for (const Result& r : rs) cached += r.cached ? 1 : 0;
  if (quick || args.has("print")) print_csv(stdout, rs, !reproducible);
  std::printf("fp8sa explore: %zu points (%zu cached), %.1f s%s%s\n", rs.size(), cached, secs,
              csv.empty() ? "" : (", " + csv).c_str(), run_info.empty() ? "" : (", " + run_info).c_str());
  // What the data sets made in this run say about themselves (an npy
  // tensor's scaling, its non-finite values), once per data set.
  std::set<std::string> notes;
  for (const Result& r : rs)
    if (!r.note.empty() && notes.insert(r.p.data_key()).second)
      std::printf("data %s (k %d, %d trials, %s): %s\n", r.p.data.c_str(), r.p.k, r.p.trials,
                  explore::operands_name(r.p.fa, r.p.fb).c_str(), r.note.c_str());
  if (!run_info.empty()) write_run_info(run_info, name, rs, secs, threads, reproducible);
  if (quick) {
    const std::vector<std::string> bad = explore::sanity(rs);
    for (const std::string& b : bad) std::printf("SANITY FAILED: %s\n", b.c_str());
    std::printf("%s: %zu sanity check(s) failed\n", bad.empty() ? "PASS" : "FAIL", bad.size());
    return bad.empty() ? 0 : 1;
  }
  return 0;
}

}  // namespace fp8sa::cli

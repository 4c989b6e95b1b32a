// The point runner: runs points on a pool of threads (each point one model
// run on one thread; points sharing operands share one data set and its
// exact reference, made once and dropped when its last point is done), the
// per-point cache, and the shards of a sweep (fp8sa explore --shard).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fp8sa/explore/point.hpp"
#include "fp8sa/explore/stats.hpp"

namespace fp8sa::explore {

// Runs one point on its data set (the registered model, on this thread).
Stats run_point(const Point& p, const DataSet& d);

struct Result {
  Point p;
  Stats s;
  bool cached = false;
  std::string note;  // the data set's note (an npy tensor's scaling), when it was made in this run
};

struct RunOptions {
  std::string cache;  // the cache folder ("" for none)
  int threads = 1;
  // Called about every 2 s from the calling thread while points run:
  // (done, total, from the cache, seconds so far).
  std::function<void(size_t, size_t, size_t, double)> progress;
};

// Runs the points (sorted by their operands, so the results come back in
// that order). The first error (a bad .npy) stops the run: rethrown as
// std::invalid_argument.
std::vector<Result> run_points(std::vector<Point> pts, const RunOptions& opt);

// The cache: one small text file per point in dir, named by a hash of
// key() and kVersion, holding both (a hit needs both to match).
bool cache_load(const std::string& dir, const Point& p, Stats* s);
void cache_store(const std::string& dir, const Point& p, const Stats& s);  // best effort
// Creates dir and its parents; std::invalid_argument when it cannot.
void make_cache_dir(const std::string& dir);

// "I/N" with 1 <= I <= N <= 100000; std::invalid_argument otherwise.
std::pair<int, int> parse_shard(const std::string& v);
// The points of shard I of N, in their planned order: a function of the
// sweep and N only, so the shards of a job list hold disjoint points whose
// union is the sweep (docs/scale-out.md "Shards of a sweep").
std::vector<Point> shard_points(const std::vector<Point>& pts, std::pair<int, int> shard);

}  // namespace fp8sa::explore

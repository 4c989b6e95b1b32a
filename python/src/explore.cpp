// fp8sa._core._explore: the exploration library (explore/) for Python, the
// face of fp8sa.explore (python/fp8sa/explore.py): plan a sweep (a sweep
// file's text, or one section per point dict), run the points on a pool of
// threads with the cache, and get each point's row with the CSV's columns;
// the model registry; the exact and float64 references.
//
// Errors are the library's: the sweep parser's SweepError (FILE:LINE and the
// CLI's words) and the runner's, both std::invalid_argument (ValueError).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "fp8sa/explore/models.hpp"
#include "fp8sa/explore/reference.hpp"
#include "fp8sa/explore/runner.hpp"
#include "fp8sa/explore/sweep.hpp"
#include "npy.hpp"  // the CLI's .npy reader: data = npy:FILE

namespace py = pybind11;

namespace {

using fp8sa::explore::Point;
using fp8sa::explore::Result;

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> v;
  std::string cur;
  std::istringstream is(line);
  while (std::getline(is, cur, ',')) v.push_back(cur);
  if (!line.empty() && line.back() == ',') v.push_back("");
  return v;
}

// One result as the CSV's columns: the fields a model does not read are
// None (the CSV's "-"), the statistics at full double precision (the CSV
// prints 6 digits), data as written (the CSV turns its commas into ';').
py::dict row_of(const Result& r) {
  static const std::vector<std::string> cols = split_csv(fp8sa::explore::csv_header());
  const std::vector<std::string> f = split_csv(fp8sa::explore::csv_line(r.p, r.s, true));
  const fp8sa::explore::Stats& s = r.s;
  py::dict d;
  for (size_t i = 0; i < cols.size() && i < f.size(); ++i) {
    const std::string& c = cols[i];
    if (f[i] == "-") {
      d[c.c_str()] = py::none();
    } else if (c == "mean_rel") {
      d["mean_rel"] = s.mean_rel;
    } else if (c == "rms_rel") {
      d["rms_rel"] = s.rms_rel;
    } else if (c == "max_rel") {
      d["max_rel"] = s.max_rel;
    } else if (c == "bias") {
      d["bias"] = s.bias;
    } else if (c == "bias_se") {
      d["bias_se"] = s.bias_se;
    } else if (c == "rms_norm") {
      d["rms_norm"] = s.rms_norm;
    } else if (c == "max_norm") {
      d["max_norm"] = s.max_norm;
    } else if (c == "seconds") {
      d["seconds"] = s.seconds;
    } else if (c == "data") {
      d["data"] = r.p.data;
    } else if (c == "seed" || c == "macs") {
      d[c.c_str()] = std::stoull(f[i]);
    } else if (c == "sr_bits" || c == "promote" || c == "k" || c == "trials" || c == "zero_exact" ||
               c == "nonfinite" || c == "dot_n" || c == "align_bits") {
      d[c.c_str()] = std::stoll(f[i]);
    } else {
      d[c.c_str()] = f[i];
    }
  }
  return d;
}

py::dict point_dict(const Point& p) {
  py::dict d;
  d["model"] = p.model;
  d["acc"] = p.acc.name();
  d["round"] = fp8sa::round_name(p.rnd);
  d["sr_bits"] = p.sr_bits;
  d["promote"] = p.promote;
  d["k"] = p.k;
  d["operands"] = fp8sa::explore::operands_name(p.fa, p.fb);
  d["data"] = p.data;
  d["trials"] = p.trials;
  d["seed"] = p.seed;
  d["pe"] = fp8sa::pe_kind_name(p.pe);
  d["dot_n"] = p.dot_n;
  d["align_bits"] = p.align_bits;
  d["sr_kind"] = fp8sa::sr_kind_name(p.sr_kind);
  return d;
}

fp8sa::Fp8Format fp8_format(const std::string& s) {
  fp8sa::Fp8Format a, b;
  fp8sa::explore::parse_operands(s, &a, &b);
  if (a != b) throw std::invalid_argument("format '" + s + "': expected e4m3 or e5m2");
  return a;
}

}  // namespace

void bind_explore(py::module_& m) {
  py::module_ e = m.def_submodule("_explore", "fp8sa explore's library (explore/); use fp8sa.explore");
  fp8sa::explore::set_tensor_reader(fp8sa::cli::read_npy_float32);
  py::class_<Point>(e, "Point", "One sweep point (fp8sa explore); its key is its identity in the cache and the CSV")
      .def_property_readonly("key", &Point::key)
      .def_property_readonly("data_key", &Point::data_key)
      .def("as_dict", &point_dict)
      .def("__repr__", [](const Point& p) { return "<fp8sa.explore point " + p.key() + ">"; });
  e.def(
      "plan",
      [](const std::string& text, const std::string& name, uint64_t max_points, uint64_t max_memory_mib, int threads) {
        fp8sa::explore::SweepLimits lim;
        lim.max_points = max_points;
        lim.max_memory = max_memory_mib << 20;
        lim.threads = threads;
        return fp8sa::explore::plan_sweep(text, name, lim);
      },
      py::arg("text"), py::arg("name"), py::arg("max_points"), py::arg("max_memory_mib"), py::arg("threads"),
      "The points of a sweep file's text (name: how errors call it).");
  e.def(
      "run",
      [](const std::vector<Point>& pts, int threads, const std::string& cache) {
        fp8sa::explore::RunOptions opt;
        opt.threads = threads;
        opt.cache = cache;
        std::vector<Result> rs;
        {
          py::gil_scoped_release nogil;
          if (!cache.empty()) fp8sa::explore::make_cache_dir(cache);
          rs = fp8sa::explore::run_points(pts, opt);
        }
        py::list rows;
        for (const Result& r : rs) rows.append(row_of(r));
        return rows;
      },
      py::arg("points"), py::arg("threads"), py::arg("cache"),
      "Runs the points (in fp8sa explore's order: grouped by operands) and returns one dict per point.");
  e.def("csv_header", &fp8sa::explore::csv_header);
  e.def("kQuickSweep", [] { return std::string(fp8sa::explore::kQuickSweep); });
  e.def("models", [] {
    py::list l;
    for (const fp8sa::explore::ModelEntry* me : fp8sa::explore::models()) {
      py::dict d;
      d["name"] = me->name;
      d["description"] = me->description;
      d["hardware"] = me->hardware;
      d["uses_acc"] = me->uses_acc;
      d["sr_only"] = me->sr_only;
      l.append(d);
    }
    return l;
  });
  e.def(
      "exact_dots",
      [](py::array_t<uint8_t, py::array::c_style | py::array::forcecast> a,
         py::array_t<uint8_t, py::array::c_style | py::array::forcecast> b, const std::string& fmt_a,
         const std::string& fmt_b) {
        if (a.ndim() != 2 || b.ndim() != 2 || a.shape(1) != b.shape(0))
          throw std::invalid_argument("exact_dots: a (M x K) and b (K x N) must be 2-D with matching K");
        if (a.shape(1) > 65535) throw std::invalid_argument("exact_dots: K is at most 65535 (the sum's 128 bits)");
        const int M = static_cast<int>(a.shape(0)), K = static_cast<int>(a.shape(1)), N = static_cast<int>(b.shape(1));
        std::vector<double> ex, abs_sum;
        const fp8sa::Fp8Format fa = fp8_format(fmt_a), fb = fp8_format(fmt_b);
        fp8sa::explore::exact_dots(a.data(), fa, b.data(), fb, M, K, N, &ex, &abs_sum);
        py::array_t<double> x({M, N}), s({M, N});
        std::memcpy(x.mutable_data(), ex.data(), ex.size() * sizeof(double));
        std::memcpy(s.mutable_data(), abs_sum.data(), abs_sum.size() * sizeof(double));
        return py::make_tuple(x, s);
      },
      py::arg("a"), py::arg("b"), py::arg("fmt_a"), py::arg("fmt_b"));
  e.def(
      "reference_gemm",
      [](py::array_t<double, py::array::c_style | py::array::forcecast> a,
         py::array_t<double, py::array::c_style | py::array::forcecast> b) {
        if (a.ndim() != 2 || b.ndim() != 2 || a.shape(1) != b.shape(0))
          throw std::invalid_argument("reference_gemm: a (M x K) and b (K x N) must be 2-D with matching K");
        const uint64_t M = static_cast<uint64_t>(a.shape(0)), K = static_cast<uint64_t>(a.shape(1)),
                       N = static_cast<uint64_t>(b.shape(1));
        py::array_t<double> ref({a.shape(0), b.shape(1)});
        const double* pa = a.data();
        const double* pb = b.data();
        double* pr = ref.mutable_data();
        {
          py::gil_scoped_release nogil;
          fp8sa::explore::reference_gemm(pa, pb, M, K, N, [](uint64_t, uint64_t) { return 0.0; }, pr);
        }
        return ref;
      },
      py::arg("a"), py::arg("b"));
}

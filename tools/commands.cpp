// The option table of every fp8sa command: the parser (args.cpp) accepts
// exactly these options, and `fp8sa help CMD` / `fp8sa CMD --help` print
// them with their defaults. The command code (cmd_*.cpp) reads them by name
// (an option read there but missing here is a logic_error, exit 3).
// Kept apart from the commands so that the option fuzzer (tests/fuzz) links
// the real tables without the model or the Verilated RTL.
#include "commands.hpp"

#include "fp8sa/array_fields.hpp"  // the macro only: this file links no model

namespace fp8sa::cli {

// Options that several commands share (fp8sa gemm and fp8sa board: the same GEMM problem).
namespace {
const OptSpec kOptA{"a", "A.npy", "", "M x K operand: uint8 FP8 codes, or float32 (quantized on the way in)", true};
const OptSpec kOptB{"b", "B.npy", "", "K x N operand, same dtypes", true};
const OptSpec kOptFmtA{"fmt-a", "FMT", "e4m3", "format of A: e4m3 or e5m2"};
const OptSpec kOptFmtB{"fmt-b", "FMT", "e4m3", "format of B: e4m3 or e5m2"};
const OptSpec kOptRound{"round", "MODE", "rne", "accumulator rounding: rne, rz (rtz) or sr"};
const OptSpec kOptOutFmt{"out-fmt", "FMT", "fp32", "output: fp32 (the raw accumulator word), e4m3, e5m2, fp16 or bf16"};
const OptSpec kOptOutRound{"out-round", "MODE", "rne", "quantizer rounding: rne, rz (rtz) or sr (quantized outputs only)"};
const OptSpec kOptSat{"sat", "", "", "saturate quantized outputs to +-max finite (quantized outputs only)"};
const OptSpec kOptScale{"scale", "S", "0", "quantize acc * 2^S, S in [-64, 63] (quantized outputs only)"};
const OptSpec kOptCheck{"check", "MODE", "sample", "error check: sample (a 64 x 64 grid of outputs), full (every output), none"};
const OptSpec kOptQuiet{"quiet", "", "", "no progress lines on stderr"};

// opts with the array options inserted before the option named `before`.
std::vector<OptSpec> with_array_options(std::vector<OptSpec> opts, const std::string& before) {
  std::vector<OptSpec> out;
  for (OptSpec& o : opts) {
    if (o.name == before)
      for (OptSpec& a : array_options()) out.push_back(std::move(a));
    out.push_back(std::move(o));
  }
  return out;
}
}  // namespace

const std::vector<std::pair<std::string, std::string>> kGemmArrayDefaults = {{"rows", "8"}, {"cols", "8"}};

std::string gemm_array_default(const std::string& name, const std::string& list_default) {
  for (const auto& d : kGemmArrayDefaults)
    if (d.first == name) return d.second;
  return list_default;
}

std::vector<OptSpec> array_options() {
  std::vector<OptSpec> v;
  auto meta = [](const std::string& kind) {
    return kind == "Format" ? "eXmY" : kind == "Enum" ? "KIND" : "N";
  };
#define FP8SA_ARRAY_OPTION(member, type, kind, role, init, dflt, name, column, lo, hi, example, doc) \
  v.push_back(OptSpec{name, meta(#kind), gemm_array_default(name, dflt), doc});
  FP8SA_ARRAY_FIELDS(FP8SA_ARRAY_OPTION)
#undef FP8SA_ARRAY_OPTION
  return v;
}

const CmdSpec kGemmSpec{
    "gemm",
    "A GEMM on the array's back-ends, bit-compared, with a report.\n"
    "C = A x B (+ C) on the functional model, the cycle model and/or the Verilated RTL (which must\n"
    "agree bit for bit); the report gives cycles, utilisation, tile flags and the error against float64.",
    with_array_options({
        kOptA,
        kOptB,
        {"c", "C.npy", "", "M x N initial accumulator: float32 (e8m23, --promote, --pe dot or exact) or uint32 init words"},
        {"config", "NAME", "", "a named array configuration (sim/array_configs.txt): sets every array option below"},
        kOptFmtA,
        kOptFmtB,
        kOptRound,
        {"preset", "NAME", "", "PE preset: h100-fp8, ada-fp8, b200-fp8, exact or fma (sets pe, dot-n, align-bits, acc, round)"},
        kOptOutFmt,
        kOptOutRound,
        kOptSat,
        kOptScale,
        {"backend", "LIST", "all", "functional, cycle, rtl, rtl:NAME (a Verilated config), a comma list, or all"},
        kOptCheck,
        {"out", "OUT.npy", "", "write the result (dtype by --out-fmt, see below)"},
        kOptQuiet,
    }, "fmt-a"),
    "", 0, 0,
    "Output dtypes: fp32 -> float32 (the accumulator value, exact for every eXmY); e4m3, e5m2 ->\n"
    "uint8 FP8 codes; fp16 -> float16; bf16 -> uint16 (the BF16 bit patterns).\n"
    "float32 operands are quantized with RNE, saturating (NaN kept); the report counts the values\n"
    "changed and gives the error against the unquantized float32 values as well.\n"
    "--backend rtl needs a Verilated configuration with these rows, cols, accumulator, --promote and PE;\n"
    "without --rows and --cols it takes the size of the first such configuration. --seed, --sr-bits,\n"
    "--q-sr-bits, --lfsr-w, --mul-stages and --q-stages are then that configuration's unless given;\n"
    "given, the model back-ends run them and an RTL back-end must have been built with them.\n"
    "With --promote N the result word (fp32 output, C, the quantizer input) is binary32 whatever\n"
    "--acc (docs/numerics.md section 9). With --pe dot or exact, C is binary32 init words.\n"
    "Presets (docs/numerics.md 10.2): h100-fp8 = dot 32, align 13, e8m13, rz; ada-fp8 = dot 16, align 13,\n"
    "e8m13, rz; b200-fp8 = dot 32, align 31, e8m23, rne; exact = --pe exact; fma = --pe fma.\n"
    "Exit status: 0 (all back-ends agree), 1 (they differ), 2 (bad options or input)."};

const CmdSpec kBoardSpec{
    "board",
    "A GEMM on an fp8sa FPGA board (or the simulated one), bit-compared with the model.\n"
    "Tiles C = A x B (+ C) onto the board's array over its UART link (docs/fpga.md), compares every\n"
    "output and tile flag with the functional model of the same array, and reports MAC/s with the link,\n"
    "in the board's cycles at its clock against the array's peak, and the bound the link's baud rate sets.",
    {
        kOptA,
        kOptB,
        {"c", "C.npy", "", "M x N initial accumulator: float32 (e8m23 only) or uint32 accumulator words"},
        {"port", "DEVICE", "", "the board's serial port, e.g. /dev/ttyUSB1 (a real board)"},
        {"baud", "N", "500000", "serial rate (--port only; the board's rate is built into its bitstream: fpga/boards.txt BAUD)"},
        {"sim", "", "", "use the simulated board: the Verilated board core behind a bit-level UART"},
        {"board", "NAME", "icebreaker", "which simulated board (fpga/boards.txt): icebreaker or ulx3s"},
        {"vcd", "FILE", "", "waveform of the whole simulated board (--sim only; large)"},
        {"timeout", "S", "2", "seconds to wait for each reply (board time), (0, 3600]"},
        kOptFmtA,
        kOptFmtB,
        kOptRound,
        kOptOutFmt,
        kOptOutRound,
        kOptSat,
        kOptScale,
        kOptCheck,
        {"out", "OUT.npy", "", "write the result (dtype by --out-fmt, as fp8sa gemm)"},
        kOptQuiet,
    },
    "", 0, 0,
    "The array (rows, columns, accumulator, seed) is the board's: fp8sa board asks it (INFO).\n"
    "K is at most the board's K_MAX (1024 on the shipped boards).\n"
    "Exit status: 0 (board and model agree), 1 (they differ, or the link failed), 2 (bad options\n"
    "or input, or no board answers)."};

const CmdSpec kRandnSpec{
    "randn",
    "A float32 .npy of normal random numbers (operands for gemm).\n"
    "Writes a rows x cols array of samples of N(0, sigma^2).",
    {
        {"rows", "R", "", "rows, [1, 65536]", true},
        {"cols", "C", "", "columns, [1, 65536]", true},
        {"out", "X.npy", "", "output file", true},
        {"seed", "N", "1", "random seed (std::mt19937_64), [0, 2^63 - 1]"},
        {"sigma", "S", "1", "standard deviation, (0, 3.4e38]"},
    },
    "", 0, 0,
    "The same seed gives the same file on every machine with the same C++ standard library."};

const CmdSpec kLockstepSpec{
    "lockstep",
    "Cycle model vs Verilated array in lockstep, every port every cycle.\n"
    "Random GEMMs (shapes, formats, rounding, output formats, special values, C input), random\n"
    "stalls on every handshake and resets in mid-stream.",
    {
        {"config", "NAME", "a4x4", "Verilated array configuration (sim/array_configs.txt)"},
        {"seed", "N", "1", "random seed, [0, 2^63 - 1]"},
        {"gemms", "G", "20", "random GEMMs to run, [1, 1048576]"},
        {"max-k", "K", "40", "largest K of a random GEMM, [1, 65535]"},
        {"vcd", "FILE", "lockstep_CONFIG_SEED.vcd", "waveform of the RTL's last 300 cycles, written on a mismatch"},
        {"progress", "", "", "print a progress line per GEMM on stderr"},
    },
    "", 0, 0,
    "On the first difference: the configuration, seed, cycle, port, both values, a reproduce\n"
    "command and the VCD; exit status 1."};

const CmdSpec kVectorsSpec{
    "vectors",
    "A TestFloat vector file on the accumulator adder (model or RTL).\n"
    "Applies a Berkeley TestFloat file ('a b result flags', hex, one case per line) to the\n"
    "accumulator adder of the model or of the Verilated RTL, used as a plain two-operand adder.",
    {
        {"round", "MODE", "", "rounding the file was made with: rne, or rz (rtz)", true},
        {"op", "OP", "add", "operation of the file (only add)"},
        {"acc", "eXmY", "e8m23", "accumulator format (exponent 4-8 bits, mantissa 2-23)"},
        {"backend", "NAME", "model", "model, or rtl (the Verilated adder, built for e8m23 only)"},
        {"max-print", "N", "50", "print at most N failing cases"},
        {"quiet", "", "", "print no failing case, only the summary line"},
    },
    "FILE", 1, 1,
    "Prints each failure and ends with 'N passed, N failed'. Exit status 0 (all passed),\n"
    "1 (a case failed), 2 (bad command line or malformed file: one line naming the line).\n"
    "NaN results compare as 'is a NaN' (fp8sa returns one canonical NaN); flags always compare.\n"
    "The shipped files: tests/vectors/f32_add_rne_l1.tv, tests/vectors/f32_add_rtz_l1.tv."};

const CmdSpec kDemoSpec{
    "demo",
    "Unit-level demo: an FP8 dot product on the model PE and the RTL PE.\n"
    "E4M3 x E5M2 on the model MAC PE and the Verilated RTL PE for several accumulators and\n"
    "roundings, every cycle compared, then quantized to E4M3.",
    {
        {"k", "N", "4096", "dot-product length, [1, 16777216]"},
        {"seed", "N", "1", "random seed of the operands"},
    },
    "", 0, 0,
    "Ends with 'PASS: 0 mismatching ...' (exit 0) or the first difference (exit 1)."};

const CmdSpec kExploreSpec{
    "explore",
    "Accumulator-width exploration: error against an exact reference, per sweep point.\n"
    "Runs a sweep (accumulator eXmY, rounding, SR bits, promotion, K, operand formats, data) on\n"
    "the functional model's own bits and on comparison models, all cores, cached per point; writes\n"
    "a CSV and, with --run-info, the run's facts; tools/explore_report.py makes docs/exploration.md\n"
    "from both (docs/exploration.md \"Method\"; Python: fp8sa.explore).",
    {
        {"config", "FILE", "", "sweep file: 'key = v1, v2' lines in [sweep NAME] sections (below)"},
        {"quick", "", "", "the built-in few-second sweep with sanity checks (exit 1 when one fails)"},
        {"csv", "OUT.csv", "", "write every point's statistics"},
        {"run-info", "OUT.json", "", "write the run's facts for the report script (time, threads, cache hits, model speed)"},
        {"cache", "DIR", "", "per-point cache directory (created); a cached point is not recomputed"},
        {"threads", "N", "all cores", "worker threads, [1, 256] (points run in parallel, one thread each)"},
        {"max-points", "N", "100000", "refuse a sweep of more points, [1, 2^32] (counted before any is made)"},
        {"max-memory", "MIB", "4096", "refuse a sweep whose data sets need more memory (MiB, estimated before any is made)"},
        {"print", "", "", "print every point's CSV line on stdout"},
        {"shard", "I/N", "", "run only shard I of N, [1, N] (points sharing operands stay together; scripts/jobs.sh)"},
        {"cached-only", "", "", "compute nothing: every point must be in --cache (a merge of shards' results)"},
        {"reproducible", "", "", "no measured time or date in the CSV and run info (byte-identical wherever the points ran)"},
        kOptQuiet,
    },
    "", 0, 0,
    "Sweep keys (comma lists; a..b ranges of integers): model (fp8sa, km-block, sr-1step, sr-ideal),\n"
    "acc (eXmY, e8m2..23, e4..8m10), round (rne, rz, sr), sr_bits (2..24), promote (0/off or\n"
    "[2, 65535]), k ([1, 65535]), operands (e4m3, e5m2, e4m3xe5m2, e5m2xe4m3), data (normal,\n"
    "uniform, heavy, npy:FILE[:FILE] float32 tensors), trials (dot products per point), seed;\n"
    "the PE: pe (fma, dot, exact), dot_n (1, 2, .., 64), align_bits (1..48), sr_kind (mid, trunc, src).\n"
    "Keys before the first [sweep NAME] are defaults for every section; each section is the\n"
    "cartesian product of its lists; section names must differ. Named values are case-insensitive.\n"
    "A bad line is one error naming FILE:LINE, exit status 2. Refused before anything runs: a sweep\n"
    "file over 1 MiB, more points than --max-points, data sets over --max-memory, a --run-info\n"
    "path that cannot be written; an npy: tensor with no finite non-zero value. Input files that\n"
    "are FIFOs wait 5 s for a writer."};

}  // namespace fp8sa::cli

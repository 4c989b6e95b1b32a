// NumPy .npy reader and writer: exactly what fp8sa exchanges, uint8 (FP8
// codes), float32, uint16/float16 (16-bit outputs) and uint32 (raw words),
// little-endian, C order.
//
// The reader parses the header as the format defines it: magic "\x93NUMPY",
// version 1.0, 2.0 or 3.0 (2-byte header length for 1.0, 4-byte after),
// then a Python dict literal with exactly the keys 'descr', 'fortran_order'
// and 'shape' (each once, in any order, single or double quotes, optional
// trailing comma), followed only by spaces and a newline. The shape is a tuple
// of non-negative decimal integers ("()", "(3,)", "(2, 3)"); the element count
// and the byte count are computed with overflow checks and compared with what
// the file holds BEFORE anything is allocated, so memory stays bounded by the
// real file size. Every malformed, unsupported, truncated or over-long file
// is a UsageError naming the file and the problem.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"

namespace fp8sa::cli {

struct NpyHeader {
  std::string descr;          // '|u1', '<f4', '<u2', '<f2', '<u4'
  std::vector<uint64_t> shape;  // C order
  uint64_t count = 0;         // product of shape (1 for shape ())
  uint64_t data_bytes = 0;    // count * element size
  size_t header_bytes = 0;    // magic + version + length field + dict, where the data starts
};

struct NpyArray {
  std::string descr;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> data;  // raw little-endian element bytes
  size_t elem_size() const;
  size_t count() const { return data.size() / elem_size(); }
  // Element i of a 1/2/4-byte integer or float array, as raw bits.
  uint32_t bits(size_t i) const;
};

// Largest header a file may have (numpy itself refuses more than 10,000
// bytes by default; version 1.0 cannot exceed 65,535).
constexpr size_t kNpyMaxHeader = 65536;

// Bytes of one element of a supported descr, 0 if unsupported.
size_t npy_descr_size(const std::string& descr);

// Parses the header at the start of buf (len bytes, possibly more than the
// header). Throws UsageError("<name>: ...") when it is malformed or
// unsupported, or "<name>: truncated .npy header" when len is too short.
NpyHeader parse_npy_header(const uint8_t* buf, size_t len, const std::string& name);

// A whole .npy image in memory (the fuzz target and the tests use this).
NpyArray parse_npy(const uint8_t* buf, size_t len, const std::string& name);

// Reads a file: regular files are sized with fstat before the data is
// allocated; pipes and devices are read in chunks, never beyond what the
// header promised plus one byte.
NpyArray read_npy(const std::string& path);

// The values of a float32 ('<f4') .npy file of any shape, at least one
// (fp8sa explore's data = npy:FILE). UsageError naming the file otherwise.
std::vector<float> read_npy_float32(const std::string& path);

// An output file opened (created or truncated) before a long computation, so
// a bad path fails first; write() checks every write and the close.
class NpyWriter {
 public:
  explicit NpyWriter(const std::string& path);  // throws UsageError: cannot create
  ~NpyWriter();
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;
  // Writes a 2-D array (descr supported, data = rows*cols elements) and
  // closes the file; throws UsageError naming the path on any write or close
  // error (e.g. a full disk).
  void write(const std::string& descr, uint64_t rows, uint64_t cols, const uint8_t* data, size_t bytes);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

// Opens path and writes the array in one go.
void write_npy(const std::string& path, const std::string& descr, uint64_t rows, uint64_t cols,
               const std::vector<uint8_t>& data);

}  // namespace fp8sa::cli

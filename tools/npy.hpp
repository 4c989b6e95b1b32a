// Minimal NumPy .npy reader/writer (format versions 1.0-3.0, C order,
// little-endian): exactly what fp8sa gemm exchanges: uint8 (FP8 codes),
// float32, uint16/float16 (16-bit outputs) and uint32 (raw words).
// Every malformed or unsupported file is a UsageError naming the file and
// the problem; nothing is silently truncated or converted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fp8sa::cli {

struct NpyArray {
  std::string descr;            // '|u1', '<f4', '<u2', '<f2', '<u4'
  std::vector<size_t> shape;    // C order
  std::vector<uint8_t> data;    // raw little-endian element bytes
  size_t elem_size() const;
  size_t count() const;
  // Element i of a 1/2/4-byte integer or float array, as raw bits.
  uint32_t bits(size_t i) const;
};

NpyArray read_npy(const std::string& path);
// Writes a 2-D array; descr is one of the supported ones; data has
// rows*cols elements of that size.
void write_npy(const std::string& path, const std::string& descr, size_t rows, size_t cols,
               const std::vector<uint8_t>& data);

}  // namespace fp8sa::cli

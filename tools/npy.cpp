#include "npy.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

#include "cli.hpp"

namespace fp8sa::cli {
namespace {

const char kMagic[] = "\x93NUMPY";

size_t descr_size(const std::string& d) {
  if (d == "|u1" || d == "<u1" || d == "|i1") return 1;
  if (d == "<u2" || d == "<f2") return 2;
  if (d == "<f4" || d == "<u4") return 4;
  return 0;
}

// Value of key `key` in the header dict text (a Python literal).
std::string dict_value(const std::string& h, const std::string& key, const std::string& path) {
  const std::string k = "'" + key + "'";
  const size_t p = h.find(k);
  if (p == std::string::npos) throw UsageError(path + ": .npy header has no " + k);
  size_t v = h.find(':', p + k.size());
  if (v == std::string::npos) throw UsageError(path + ": .npy header: no value for " + k);
  ++v;
  while (v < h.size() && h[v] == ' ') ++v;
  if (v >= h.size()) throw UsageError(path + ": .npy header: no value for " + k);
  if (h[v] == '\'') {
    const size_t e = h.find('\'', v + 1);
    if (e == std::string::npos) throw UsageError(path + ": .npy header: unterminated string");
    return h.substr(v + 1, e - v - 1);
  }
  if (h[v] == '(') {
    const size_t e = h.find(')', v);
    if (e == std::string::npos) throw UsageError(path + ": .npy header: unterminated shape");
    return h.substr(v, e - v + 1);
  }
  size_t e = v;
  while (e < h.size() && h[e] != ',' && h[e] != '}') ++e;
  return h.substr(v, e - v);
}

}  // namespace

size_t NpyArray::elem_size() const { return descr_size(descr); }

size_t NpyArray::count() const {
  size_t n = 1;
  for (size_t s : shape) n *= s;
  return n;
}

uint32_t NpyArray::bits(size_t i) const {
  const size_t es = elem_size();
  uint32_t v = 0;
  for (size_t b = 0; b < es; ++b) v |= static_cast<uint32_t>(data[i * es + b]) << (8 * b);
  return v;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot open file");
  char magic[6];
  if (!in.read(magic, 6) || std::memcmp(magic, kMagic, 6) != 0)
    throw UsageError(path + ": not a .npy file (bad magic)");
  unsigned char ver[2];
  if (!in.read(reinterpret_cast<char*>(ver), 2)) throw UsageError(path + ": truncated .npy header");
  if (ver[0] < 1 || ver[0] > 3)
    throw UsageError(path + ": unsupported .npy version " + std::to_string(ver[0]));
  size_t hlen = 0;
  unsigned char lenb[4] = {0, 0, 0, 0};
  const int nlen = ver[0] == 1 ? 2 : 4;
  if (!in.read(reinterpret_cast<char*>(lenb), nlen)) throw UsageError(path + ": truncated .npy header");
  for (int i = 0; i < nlen; ++i) hlen |= static_cast<size_t>(lenb[i]) << (8 * i);
  if (hlen > (1u << 20)) throw UsageError(path + ": .npy header length " + std::to_string(hlen) + " is implausible");
  std::string h(hlen, '\0');
  if (!in.read(&h[0], static_cast<std::streamsize>(hlen))) throw UsageError(path + ": truncated .npy header");

  NpyArray a;
  a.descr = dict_value(h, "descr", path);
  if (descr_size(a.descr) == 0)
    throw UsageError(path + ": unsupported dtype '" + a.descr +
                     "' (supported: uint8 FP8 codes '|u1', float32 '<f4', '<u2', '<f2', '<u4')");
  if (a.descr == "|i1") throw UsageError(path + ": dtype int8: FP8 codes must be uint8");
  const std::string fo = dict_value(h, "fortran_order", path);
  if (fo != "False") throw UsageError(path + ": Fortran-order arrays are not supported (save with C order)");
  const std::string sh = dict_value(h, "shape", path);
  std::string inner = sh.substr(1, sh.size() - 2);
  std::stringstream ss(inner);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    const size_t b = tok.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    tok = tok.substr(b);
    size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(tok, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0) throw UsageError(path + ": bad shape " + sh);
    a.shape.push_back(static_cast<size_t>(v));
  }
  const size_t bytes = a.count() * a.elem_size();
  a.data.resize(bytes);
  if (bytes && !in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(bytes)))
    throw UsageError(path + ": truncated: shape " + sh + " needs " + std::to_string(bytes) +
                     " data bytes, file has " + std::to_string(in.gcount()));
  if (in.peek() != std::char_traits<char>::eof())
    throw UsageError(path + ": file is longer than shape " + sh + " says (trailing bytes)");
  return a;
}

void write_npy(const std::string& path, const std::string& descr, size_t rows, size_t cols,
               const std::vector<uint8_t>& data) {
  const size_t es = descr_size(descr);
  if (es == 0 || data.size() != rows * cols * es)
    throw std::logic_error("write_npy: descr/size mismatch for " + path);
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" +
                  std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  // Pad so that magic(6) + version(2) + len(2) + header is a multiple of 64, ending in '\n'.
  const size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) throw UsageError(path + ": cannot create file");
  out.write(kMagic, 6);
  const char ver[2] = {1, 0};
  out.write(ver, 2);
  const char len[2] = {static_cast<char>(h.size() & 0xFF), static_cast<char>(h.size() >> 8)};
  out.write(len, 2);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw UsageError(path + ": write error");
}

}  // namespace fp8sa::cli

#include "npy.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_file.hpp"

namespace fp8sa::cli {
namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kMaxDims = 64;  // numpy 2's limit (numpy 1: 32)

std::string errno_text() { return std::strerror(errno); }

// Recursive-descent parser of the header dict (a Python literal, the subset
// numpy writes and reads back): { 'key': value, ... }.
class HeaderParser {
 public:
  HeaderParser(const uint8_t* p, size_t n, const std::string& name) : p_(p), n_(n), name_(name) {}

  void parse(NpyHeader* h) {
    bool seen_descr = false, seen_fo = false, seen_shape = false;
    bool fortran = false;
    skip_ws();
    expect('{', "the header must be a dict starting with '{'");
    skip_ws();
    while (peek() != '}') {
      const std::string key = string_literal("a key (a quoted string)");
      skip_ws();
      expect(':', "expected ':' after key '" + key + "'");
      skip_ws();
      if (key == "descr") {
        if (seen_descr) fail("key 'descr' appears more than once");
        seen_descr = true;
        if (peek() == '[') fail("structured dtypes ('descr' a list) are not supported");
        h->descr = string_literal("'descr' as a quoted string");
      } else if (key == "fortran_order") {
        if (seen_fo) fail("key 'fortran_order' appears more than once");
        seen_fo = true;
        fortran = boolean();
      } else if (key == "shape") {
        if (seen_shape) fail("key 'shape' appears more than once");
        seen_shape = true;
        shape(&h->shape);
      } else {
        fail("unexpected key '" + key + "' (a .npy header has exactly 'descr', 'fortran_order', 'shape')");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
        skip_ws();
      } else if (peek() != '}') {
        fail("expected ',' or '}' after the value of '" + key + "'");
      }
    }
    ++i_;  // '}'
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
    if (i_ != n_) fail("unexpected bytes after the header dict");
    if (!seen_descr) fail("no 'descr' key");
    if (!seen_fo) fail("no 'fortran_order' key");
    if (!seen_shape) fail("no 'shape' key");
    if (fortran) throw UsageError(name_ + ": Fortran-order arrays are not supported (save with C order)");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw UsageError(name_ + ": bad .npy header: " + what);
  }
  int peek() const { return i_ < n_ ? p_[i_] : -1; }
  void skip_ws() {
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
  }
  void expect(char c, const std::string& what) {
    if (peek() != c) fail(what);
    ++i_;
  }
  std::string string_literal(const std::string& what) {
    const int q = peek();
    if (q != '\'' && q != '"') fail("expected " + what);
    ++i_;
    std::string s;
    for (;;) {
      if (i_ >= n_) fail("unterminated string");
      const uint8_t c = p_[i_++];
      if (c == q) break;
      if (c == '\\' || c == '\n' || c < 0x20 || c >= 0x7F) fail("unsupported character in a string");
      if (s.size() >= 64) fail("string longer than 64 characters");
      s.push_back(static_cast<char>(c));
    }
    return s;
  }
  bool word(const char* w) {
    const size_t l = std::strlen(w);
    if (n_ - i_ < l || std::memcmp(p_ + i_, w, l) != 0) return false;
    // The word must end here (not "Truer").
    if (i_ + l < n_) {
      const uint8_t c = p_[i_ + l];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') return false;
    }
    i_ += l;
    return true;
  }
  bool boolean() {
    if (word("True")) return true;
    if (word("False")) return false;
    fail("'fortran_order' must be True or False");
  }
  uint64_t integer() {
    if (peek() < '0' || peek() > '9') fail("shape entries must be non-negative integers");
    if (peek() == '0' && i_ + 1 < n_ && p_[i_ + 1] >= '0' && p_[i_ + 1] <= '9')
      fail("shape entry with a leading zero (not a Python integer)");
    uint64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      const uint64_t d = static_cast<uint64_t>(p_[i_++] - '0');
      if (v > (static_cast<uint64_t>(INT64_MAX) - d) / 10) fail("shape entry larger than 2^63 - 1");
      v = v * 10 + d;
    }
    const int c = peek();
    if (c == '.' || c == 'e' || c == 'E' || c == 'j' || c == 'J' || c == '_' || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
      fail("shape entries must be non-negative integers");
    return v;
  }
  void shape(std::vector<uint64_t>* dims) {
    expect('(', "'shape' must be a tuple, e.g. (2, 3)");
    skip_ws();
    if (peek() == ')') {
      ++i_;
      return;  // () : a scalar
    }
    for (;;) {
      if (dims->size() >= kMaxDims) fail("shape has more than " + std::to_string(kMaxDims) + " dimensions");
      dims->push_back(integer());
      skip_ws();
      if (peek() == ')') {
        // "(3)" is the integer 3 in Python, not a tuple.
        if (dims->size() == 1) fail("'shape' (" + std::to_string((*dims)[0]) + ") is not a tuple: write (" +
                                    std::to_string((*dims)[0]) + ",)");
        ++i_;
        return;
      }
      expect(',', "shape entries must be separated by ','");
      skip_ws();
      if (peek() == ')') {
        ++i_;
        return;
      }
    }
  }

  const uint8_t* p_;
  size_t n_, i_ = 0;
  const std::string& name_;
};

std::string shape_text(const std::vector<uint64_t>& s) {
  std::string t = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (t.size() > 80) {
      t += ", ...";
      break;
    }
    t += (i ? ", " : "") + std::to_string(s[i]);
  }
  if (s.size() == 1) t += ",";
  return t + ")";
}

std::string truncated_data(const std::string& name, const NpyHeader& h, uint64_t have) {
  return name + ": truncated: shape " + shape_text(h.shape) + " of '" + h.descr + "' needs " +
         std::to_string(h.data_bytes) + " data bytes, the file has " + std::to_string(have);
}

std::string trailing_data(const std::string& name, const NpyHeader& h) {
  return name + ": the file is longer than shape " + shape_text(h.shape) + " of '" + h.descr + "' says (" +
         std::to_string(h.data_bytes) + " data bytes, then trailing bytes)";
}

}  // namespace

size_t npy_descr_size(const std::string& d) {
  if (d == "|u1" || d == "<u1" || d == "u1") return 1;
  if (d == "<u2" || d == "<f2") return 2;
  if (d == "<f4" || d == "<u4") return 4;
  return 0;
}

size_t NpyArray::elem_size() const { return npy_descr_size(descr); }

// (Per element: callers that walk a whole array read data directly.)
uint32_t NpyArray::bits(size_t i) const {
  const size_t es = elem_size();
  uint32_t v = 0;
  for (size_t b = 0; b < es; ++b) v |= static_cast<uint32_t>(data[i * es + b]) << (8 * b);
  return v;
}

NpyHeader parse_npy_header(const uint8_t* buf, size_t len, const std::string& name) {
  if (std::memcmp(buf, kMagic, std::min(len, kMagicLen)) != 0)
    throw UsageError(name + ": not a .npy file (bad magic)");
  if (len < kMagicLen + 2) throw UsageError(name + ": truncated .npy header");
  const unsigned major = buf[6], minor = buf[7];
  if (major < 1 || major > 3 || minor != 0)
    throw UsageError(name + ": unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                     " (supported: 1.0, 2.0, 3.0)");
  const size_t nlen = major == 1 ? 2 : 4;
  if (len < kMagicLen + 2 + nlen) throw UsageError(name + ": truncated .npy header");
  uint64_t hlen = 0;
  for (size_t i = 0; i < nlen; ++i) hlen |= static_cast<uint64_t>(buf[8 + i]) << (8 * i);
  if (hlen > kNpyMaxHeader)
    throw UsageError(name + ": .npy header length " + std::to_string(hlen) + " is over the limit of " +
                     std::to_string(kNpyMaxHeader) + " bytes");
  const size_t start = kMagicLen + 2 + nlen;
  if (len - start < hlen) throw UsageError(name + ": truncated .npy header");

  NpyHeader h;
  HeaderParser(buf + start, static_cast<size_t>(hlen), name).parse(&h);
  h.header_bytes = start + static_cast<size_t>(hlen);
  const size_t es = npy_descr_size(h.descr);
  if (es == 0) {
    if (h.descr == "|i1" || h.descr == "i1") throw UsageError(name + ": dtype int8 ('|i1'): FP8 codes must be uint8");
    if (!h.descr.empty() && h.descr[0] == '>')
      throw UsageError(name + ": big-endian dtype '" + h.descr + "' is not supported (save little-endian)");
    throw UsageError(name + ": unsupported dtype '" + h.descr +
                     "' (supported: uint8 FP8 codes '|u1', float32 '<f4', '<u2', '<f2', '<u4')");
  }
  uint64_t count = 1;
  bool zero = false;
  for (uint64_t d : h.shape) zero = zero || d == 0;
  if (zero) {
    count = 0;
  } else {
    for (uint64_t d : h.shape)
      if (__builtin_mul_overflow(count, d, &count))
        throw UsageError(name + ": shape " + shape_text(h.shape) + " has 2^64 or more elements");
  }
  h.count = count;
  if (__builtin_mul_overflow(count, static_cast<uint64_t>(es), &h.data_bytes))
    throw UsageError(name + ": shape " + shape_text(h.shape) + " of '" + h.descr + "' needs 2^64 or more bytes");
  return h;
}

NpyArray parse_npy(const uint8_t* buf, size_t len, const std::string& name) {
  const NpyHeader h = parse_npy_header(buf, len, name);
  const uint64_t have = len - h.header_bytes;
  if (have < h.data_bytes) throw UsageError(truncated_data(name, h, have));
  if (have > h.data_bytes) throw UsageError(trailing_data(name, h));
  NpyArray a;
  a.descr = h.descr;
  a.shape = h.shape;
  a.data.assign(buf + h.header_bytes, buf + len);
  return a;
}

NpyArray read_npy(const std::string& path) {
  InputFile f(path);  // never blocks on a FIFO without a writer (input_file.hpp)
  const bool regular = f.regular();

  // The fixed part, then the dict (its length is known from the fixed part).
  std::vector<uint8_t> head(12);
  size_t got = f.read(head.data(), 10);
  if (got == 0) throw UsageError(path + ": empty, not a .npy file");
  if (got >= 8 && head[6] != 1) got += f.read(head.data() + got, 2);  // 4-byte length
  head.resize(got);
  size_t need = 0;
  try {
    parse_npy_header(head.data(), head.size(), path);
  } catch (const UsageError& e) {
    if (std::string(e.what()).find("truncated .npy header") == std::string::npos) throw;
    // Only the dict is missing (or the file is really truncated): size it.
    const size_t nlen = head.size() >= 8 && head[6] == 1 ? 2 : 4;
    if (head.size() >= 8 + nlen) {
      for (size_t i = 0; i < nlen; ++i) need |= static_cast<size_t>(head[8 + i]) << (8 * i);
    }
  }
  if (need > 0) {
    const size_t base = head.size();
    head.resize(base + need);  // need <= kNpyMaxHeader: checked by the parse above
    head.resize(base + f.read(head.data() + base, need));
  }
  const NpyHeader h = parse_npy_header(head.data(), head.size(), path);

  NpyArray a;
  a.descr = h.descr;
  a.shape = h.shape;
  if (regular) {
    const uint64_t size = f.size();
    const uint64_t have = size > h.header_bytes ? size - h.header_bytes : 0;
    if (have < h.data_bytes) throw UsageError(truncated_data(path, h, have));
    if (have > h.data_bytes) throw UsageError(trailing_data(path, h));
    a.data.resize(static_cast<size_t>(h.data_bytes));
    const size_t r = f.read(a.data.data(), a.data.size());
    if (r != a.data.size()) throw UsageError(truncated_data(path, h, r));  // the file shrank meanwhile
    uint8_t extra;
    if (f.read(&extra, 1) != 0) throw UsageError(trailing_data(path, h));
    return a;
  }
  // A pipe or a device: the buffer grows only as data arrives.
  constexpr size_t kChunk = size_t{1} << 20;
  uint64_t total = 0;
  for (;;) {
    const uint64_t want = std::min<uint64_t>(kChunk, h.data_bytes + 1 - total);
    const size_t base = a.data.size();
    a.data.resize(base + static_cast<size_t>(want));
    const size_t r = f.read(a.data.data() + base, static_cast<size_t>(want));
    a.data.resize(base + r);
    total += r;
    if (total > h.data_bytes) throw UsageError(trailing_data(path, h));
    if (r < want) break;  // end of input
  }
  if (total < h.data_bytes) throw UsageError(truncated_data(path, h, total));
  return a;
}

NpyWriter::NpyWriter(const std::string& path) : path_(path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw UsageError(path + ": cannot create output file: it is a directory");
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) throw UsageError(path + ": cannot create output file: " + errno_text());
}

NpyWriter::~NpyWriter() {
  if (!f_) return;
  // Never written (the run failed before the result): do not leave an
  // empty file that looks like a result.
  struct stat st {};
  const bool regular = ::fstat(fileno(f_), &st) == 0 && S_ISREG(st.st_mode);
  std::fclose(f_);
  if (regular) ::unlink(path_.c_str());
}

void NpyWriter::write(const std::string& descr, uint64_t rows, uint64_t cols, const uint8_t* data, size_t bytes) {
  const size_t es = npy_descr_size(descr);
  if (!f_) throw std::logic_error("NpyWriter::write called twice for " + path_);
  if (es == 0 || rows * cols * es != bytes) throw std::logic_error("NpyWriter: descr/size mismatch for " + path_);
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                  std::to_string(cols) + "), }";
  // Pad so that magic(6) + version(2) + len(2) + header is a multiple of 64, ending in '\n'.
  const size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h.push_back('\n');
  const char pre[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<char>(h.size() & 0xFF),
                        static_cast<char>(h.size() >> 8)};
  std::FILE* f = f_;
  f_ = nullptr;  // closed below whatever happens
  errno = 0;
  bool ok = std::fwrite(pre, 1, sizeof pre, f) == sizeof pre;
  ok = ok && std::fwrite(h.data(), 1, h.size(), f) == h.size();
  ok = ok && (bytes == 0 || std::fwrite(data, 1, bytes, f) == bytes);
  ok = ok && std::fflush(f) == 0;
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    errno = ok ? errno : write_errno;
    throw UsageError(path_ + ": write error: " + (errno ? errno_text() : std::string("short write")));
  }
}

void write_npy(const std::string& path, const std::string& descr, uint64_t rows, uint64_t cols,
               const std::vector<uint8_t>& data) {
  NpyWriter w(path);
  w.write(descr, rows, cols, data.data(), data.size());
}

std::vector<float> read_npy_float32(const std::string& path) {
  const NpyArray a = read_npy(path);
  if (a.descr != "<f4") throw UsageError(path + ": dtype " + a.descr + ", expected float32 ('<f4')");
  if (a.count() == 0) throw UsageError(path + ": no elements");
  std::vector<float> v(a.count());
  std::memcpy(v.data(), a.data.data(), v.size() * 4);
  return v;
}

}  // namespace fp8sa::cli

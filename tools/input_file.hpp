// Input files of the fp8sa CLI (.npy operands, sweep files, area tables,
// TestFloat vectors): opened without ever blocking for ever, read with a
// bound.
//
// open(2) of a FIFO blocks until a writer opens it; a FIFO that nobody
// writes would hang the command for ever. InputFile opens with O_NONBLOCK,
// refuses a directory, and for a FIFO waits at most kFifoWriterWait seconds
// for a writer (or its data) on the first read: then it is an ordinary
// blocking pipe (a writer that opens later than that is an error naming the
// FIFO). Regular files, pipes that already have a writer (/dev/stdin under
// `cat x |`) and devices read as before.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace fp8sa::cli {

// How long the first read of a FIFO waits for a writer, in seconds.
constexpr double kFifoWriterWait = 5.0;

class InputFile {
 public:
  // Throws UsageError("<path>: cannot open file: ...", "<path>: is a
  // directory ..."), or with `what` ("sweep file") "cannot read sweep file
  // '<path>': ...".
  explicit InputFile(const std::string& path, const std::string& what = "");
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  bool regular() const { return regular_; }
  uint64_t size() const { return size_; }  // regular files: the size at open

  // Reads n bytes, or fewer at the end of the input; returns how many.
  // Throws UsageError on a read error and on a FIFO with no writer.
  size_t read(uint8_t* p, size_t n);

  // The rest of the input as a stdio stream (owned by the caller), after
  // the FIFO wait (the TestFloat reader streams with getc).
  std::FILE* to_stdio();

 private:
  void set_blocking();
  bool wait_for_writer();  // false: end of input (a writer came and went)

  [[noreturn]] void fail(const std::string& why) const;

  std::string path_, what_;
  int fd_ = -1;
  bool regular_ = false, fifo_wait_ = false;
  uint64_t size_ = 0;
  double waited_ = 0;
};

// A whole text file of at most max_bytes bytes (sweep files, CSV tables):
// regular files are sized first, anything else is read up to max_bytes + 1.
// Throws UsageError naming `what` (e.g. "sweep file") and the path when it
// cannot be read or is larger.
std::string read_text_file(const std::string& path, size_t max_bytes, const std::string& what);

}  // namespace fp8sa::cli

#include "input_file.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.hpp"

namespace fp8sa::cli {

void InputFile::fail(const std::string& why) const {
  if (what_.empty()) throw UsageError(path_ + ": " + why);
  throw UsageError("cannot read " + what_ + " '" + shown(path_) + "': " + why);
}

InputFile::InputFile(const std::string& path, const std::string& what) : path_(path), what_(what) {
  // O_NONBLOCK: open(2) of a FIFO without a writer returns at once.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) fail(std::string(what_.empty() ? "cannot open file: " : "") + std::strerror(errno));
  struct stat st {};
  const bool stat_ok = ::fstat(fd_, &st) == 0;
  const std::string why = stat_ok ? "" : std::string("cannot stat file: ") + std::strerror(errno);
  if (!stat_ok || S_ISDIR(st.st_mode)) {
    ::close(fd_);  // the destructor does not run for a constructor that throws
    fd_ = -1;
    fail(!stat_ok ? why : what_.empty() ? "is a directory, not a file" : "it is a directory");
  }
  regular_ = S_ISREG(st.st_mode);
  size_ = regular_ ? static_cast<uint64_t>(st.st_size) : 0;
  if (S_ISFIFO(st.st_mode)) {
    fifo_wait_ = true;  // blocking again once a writer is seen (read)
  } else {
    set_blocking();
  }
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::set_blocking() {
  const int fl = ::fcntl(fd_, F_GETFL);
  if (fl >= 0) ::fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);
  fifo_wait_ = false;
}

// A FIFO opened without blocking reads as end of input (0) while it has no
// writer, and as EAGAIN when a writer holds it open without data. poll()
// reports POLLHUP only once a writer has come and gone (Linux: never for a
// FIFO that no writer has opened yet).
bool InputFile::wait_for_writer() {
  constexpr int kSliceMs = 50;
  pollfd pfd{fd_, POLLIN, 0};
  const int pr = ::poll(&pfd, 1, 0);
  if (pr > 0 && (pfd.revents & POLLHUP) && !(pfd.revents & POLLIN)) return false;
  if (waited_ >= kFifoWriterWait) {
    char b[64];
    std::snprintf(b, sizeof b, "%g", kFifoWriterWait);
    fail(std::string("a FIFO with no writer (nothing opened it for writing within ") + b + " s)");
  }
  const auto t0 = std::chrono::steady_clock::now();
  ::poll(&pfd, 1, kSliceMs);
  waited_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return true;
}

size_t InputFile::read(uint8_t* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd_, p + got, n - got);
    if (r > 0) {
      got += static_cast<size_t>(r);
      if (fifo_wait_) set_blocking();
      continue;
    }
    if (r == 0) {
      if (fifo_wait_ && wait_for_writer()) continue;
      break;  // end of input
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN && fifo_wait_) {  // a writer holds the FIFO: wait for its data
      set_blocking();
      continue;
    }
    fail(std::string("read error: ") + std::strerror(errno));
  }
  return got;
}

std::FILE* InputFile::to_stdio() {
  uint8_t first = 0;
  const size_t r = read(&first, 1);  // the FIFO wait, if any
  std::FILE* f = ::fdopen(fd_, "rb");
  if (!f) fail(std::string("cannot open file: ") + std::strerror(errno));
  fd_ = -1;
  if (r == 1) std::ungetc(first, f);
  return f;
}

std::string read_text_file(const std::string& path, size_t max_bytes, const std::string& what) {
  InputFile f(path, what);
  auto too_big = [&] {
    throw UsageError(what + " '" + shown(path) + "' is over the limit of " + std::to_string(max_bytes) +
                     " bytes (is it the right file?)");
  };
  if (f.regular() && f.size() > max_bytes) too_big();
  std::string s;
  constexpr size_t kChunk = 1 << 16;
  for (;;) {
    const size_t base = s.size();
    const size_t want = std::min(kChunk, max_bytes + 1 - base);
    s.resize(base + want);
    const size_t r = f.read(reinterpret_cast<uint8_t*>(&s[base]), want);
    s.resize(base + r);
    if (s.size() > max_bytes) too_big();
    if (r < want) break;
  }
  return s;
}

}  // namespace fp8sa::cli

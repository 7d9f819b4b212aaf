// libFuzzer target for persistence::AofReader. Built and run by fuzz/run.
//
// The first input byte picks how the rest is delivered: the reader's buffer
// size (1..32 bytes, or 64 KiB) and whether it comes from a memfd (a regular
// file, whose size the reader knows) or a pipe (whose size it does not). Each
// input is read twice, with the chosen buffer and with a 64 KiB one, and both
// runs are compared with a small reference parser written independently over
// the whole input:
//   - the same commands, the same final result, valid_up_to, error_offset;
//   - offsets are consistent: command_offset() < valid_up_to() <=
//     bytes_read() <= input size, error_offset() >= valid_up_to();
//   - kEnd exactly when the input ends between commands;
//   - error() set exactly after kTruncated / kCorrupt, with Redis's headline.
// Large declared counts and lengths must not allocate memory up front: the
// run's malloc limit (fuzz/run's -rss_limit_mb) turns that into a crash.
//
// fuzz-sources: src/persistence/aof_reader.cc
// fuzz-seed: \x00*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n
// fuzz-seed: \x03#TS:1700000000\r\n*1\r\n$4\r\nPING\r\n#TS:1
// fuzz-seed: \x21*3\r\n$3\r\nset\r\n$3\r\nk\r\n\r\n$0\r\n\r\n
// fuzz-seed: \x05*2147483647\r\n$9223372036854775805\r\nab
// fuzz-seed: \x07*1\r\n$3\r\nsetXX*0\r\n*-1\r\n
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/aof_reader.h"

namespace {

using basalt::persistence::AofReader;
using Result = AofReader::Result;

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  Result result = Result::kEnd;
  uint64_t valid_up_to = 0;
  uint64_t error_offset = 0;  // only compared after kTruncated / kCorrupt
  bool operator==(const Outcome&) const = default;
};

// The grammar, over the whole input at once.
class Reference {
 public:
  explicit Reference(std::string_view in) : in_(in) {}

  Outcome Run() {
    Outcome out;
    size_t p = 0;
    while (true) {
      if (p == in_.size()) {
        out.result = Result::kEnd;
        out.valid_up_to = p;
        return out;
      }
      if (in_[p] == '#') {
        const size_t nl = in_.find('\n', p);
        if (nl == std::string_view::npos) return Fail(Result::kTruncated, p, out);
        p = nl + 1;
        out.valid_up_to = p;
        continue;
      }
      int64_t argc;
      size_t q = p;
      Result r = Number('*', INT32_MAX, &q, &argc);
      if (r == Result::kCommand && argc == 0) r = Result::kCorrupt;
      if (r != Result::kCommand) return Fail(r, p, out);
      std::vector<std::string> argv;
      for (int64_t i = 0; i < argc; ++i) {
        const size_t line = q;
        int64_t len;
        r = Number('$', INT64_MAX - 2, &q, &len);
        if (r != Result::kCommand) return Fail(r, line, out);
        const size_t avail = in_.size() - q;
        if (uint64_t(len) > avail) return Fail(Result::kTruncated, q, out);
        const size_t l = size_t(len);
        for (size_t k = 0; k < 2; ++k) {
          if (q + l + k == in_.size()) return Fail(Result::kTruncated, q, out);
          if (in_[q + l + k] != "\r\n"[k]) return Fail(Result::kCorrupt, q, out);
        }
        argv.emplace_back(in_.substr(q, l));
        q += l + 2;
      }
      out.commands.push_back(std::move(argv));
      p = q;
      out.valid_up_to = p;
    }
  }

 private:
  // kCommand for a good "<prefix><digits>\r\n" at *p (advanced past it).
  Result Number(char prefix, int64_t max, size_t* p, int64_t* value) {
    size_t q = *p;
    if (q == in_.size()) return Result::kTruncated;
    if (in_[q++] != prefix) return Result::kCorrupt;
    int64_t v = 0;
    size_t digits = 0;
    while (q < in_.size() && in_[q] >= '0' && in_[q] <= '9') {
      const int d = in_[q++] - '0';
      if (v > (max - d) / 10) return Result::kCorrupt;
      v = v * 10 + d;
      ++digits;
    }
    if (q == in_.size()) return Result::kTruncated;
    if (digits == 0 || in_[q++] != '\r') return Result::kCorrupt;
    if (q == in_.size()) return Result::kTruncated;
    if (in_[q++] != '\n') return Result::kCorrupt;
    *p = q;
    *value = v;
    return Result::kCommand;
  }

  Outcome& Fail(Result r, size_t at, Outcome& out) {
    out.result = r;
    out.error_offset = at;
    return out;
  }

  std::string_view in_;
};

void WriteAll(int fd, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = write(fd, data.data() + off, data.size() - off);
    FUZZ_CHECK(n > 0);
    off += size_t(n);
  }
}

Outcome Read(std::string_view data, size_t buffer_size, bool use_pipe) {
  int fd;
  if (use_pipe) {
    int fds[2];
    FUZZ_CHECK(pipe(fds) == 0);
    WriteAll(fds[1], data);  // fits: callers keep piped inputs under 64 KiB
    close(fds[1]);
    fd = fds[0];
  } else {
    fd = memfd_create("aof_reader_fuzz", 0);
    FUZZ_CHECK(fd >= 0);
    WriteAll(fd, data);
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
  }
  AofReader::Options opts;
  opts.buffer_size = buffer_size;
  AofReader reader(fd, opts);
  Outcome out;
  std::vector<std::string> argv = {"stale"};
  while (true) {
    const Result r = reader.Next(&argv);
    FUZZ_CHECK(reader.valid_up_to() <= reader.bytes_read());
    FUZZ_CHECK(reader.bytes_read() <= data.size());
    if (r != Result::kCommand) {
      FUZZ_CHECK(argv.empty());
      out.result = r;
      break;
    }
    FUZZ_CHECK(!argv.empty());
    FUZZ_CHECK(reader.error().empty());
    FUZZ_CHECK(reader.command_offset() < reader.valid_up_to());
    FUZZ_CHECK(data[reader.command_offset()] == '*');
    out.commands.push_back(argv);
  }
  out.valid_up_to = reader.valid_up_to();
  switch (out.result) {
    case Result::kEnd:
      FUZZ_CHECK(reader.error().empty());
      FUZZ_CHECK(out.valid_up_to == data.size());
      break;
    case Result::kTruncated:
      FUZZ_CHECK(reader.error().rfind("Unexpected end of file reading the append only file: ", 0) ==
                 0);
      FUZZ_CHECK(reader.bytes_read() == data.size());
      break;
    case Result::kCorrupt:
      FUZZ_CHECK(reader.error().rfind("Bad file format reading the append only file: ", 0) == 0);
      break;
    case Result::kCommand:
      FUZZ_CHECK(false);
  }
  if (out.result != Result::kEnd) {
    out.error_offset = reader.error_offset();
    FUZZ_CHECK(out.error_offset >= out.valid_up_to);
    FUZZ_CHECK(out.error_offset <= data.size());
    // Sticky.
    const std::string error = reader.error();
    FUZZ_CHECK(reader.Next(&argv) == out.result);
    FUZZ_CHECK(reader.error() == error);
  }
  close(fd);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  // mode bits 0-4: buffer size 1..31, or 64 KiB for 0; bit 5: pipe.
  const size_t buffer_size = (mode & 31) == 0 ? 64 * 1024 : (mode & 31);
  const bool use_pipe = (mode & 32) != 0 && input.size() <= 60000;

  const Outcome expected = Reference(input).Run();
  const Outcome small = Read(input, buffer_size, use_pipe);
  FUZZ_CHECK(small == expected);
  const Outcome big = Read(input, 64 * 1024, false);
  FUZZ_CHECK(big == expected);
  return 0;
}

#include "persistence/aof_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace basalt::persistence {
namespace {

// The largest argc accepted: Redis's own limit for a multibulk request.
constexpr int64_t kMaxArgc = std::numeric_limits<int32_t>::max();
// The largest bulk length accepted (redis-check-aof's bound).
constexpr int64_t kMaxBulkLen = std::numeric_limits<int64_t>::max() - 2;
// What a bulk string may reserve before its bytes arrive, unless a regular
// file is known to hold more.
constexpr size_t kMaxBlindReserve = 1 << 20;
// What argv may reserve from argc alone.
constexpr size_t kMaxArgvReserve = 1024;

constexpr const char kBadFormat[] = "Bad file format reading the append only file: ";
constexpr const char kUnexpectedEnd[] = "Unexpected end of file reading the append only file: ";
constexpr const char kReadError[] = "Unrecoverable error reading the append only file: ";

// A byte as check-aof shows an unexpected prefix: the character if printable.
std::string ShowByte(int c) {
  char buf[8];
  if (c >= 0x20 && c < 0x7f) {
    std::snprintf(buf, sizeof(buf), "'%c'", c);
  } else {
    std::snprintf(buf, sizeof(buf), "'\\x%02x'", c);
  }
  return buf;
}

std::string Hex(int c) {
  char buf[4];
  std::snprintf(buf, sizeof(buf), "%02x", c);
  return buf;
}

}  // namespace

AofReader::AofReader(int fd) : AofReader(fd, Options()) {}

AofReader::AofReader(int fd, const Options& options)
    : fd_(fd),
      buf_size_(std::max<size_t>(options.buffer_size, 1)),
      buf_offset_(options.start_offset),
      read_offset_(options.start_offset),
      valid_up_to_(options.start_offset),
      command_offset_(options.start_offset) {
  buf_ = std::make_unique<char[]>(buf_size_);
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) file_end_ = uint64_t(st.st_size);
}

AofReader::~AofReader() = default;

bool AofReader::Fill() {
  if (eof_ || io_errno_ != 0) return false;
  buf_offset_ += end_;
  pos_ = end_ = 0;
  while (true) {
    const ssize_t n = read(fd_, buf_.get(), buf_size_);
    if (n > 0) {
      end_ = size_t(n);
      read_offset_ += uint64_t(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno != EINTR) {
      io_errno_ = errno;
      return false;
    }
  }
}

void AofReader::SetCorrupt(const std::string& detail) {
  sticky_ = Result::kCorrupt;
  if (io_errno_ != 0) {
    error_ = std::string(kReadError) + std::strerror(io_errno_);
  } else {
    error_ = kBadFormat + detail;
  }
}

void AofReader::SetTruncated(const std::string& detail) {
  sticky_ = Result::kTruncated;
  error_ = kUnexpectedEnd + detail;
}

AofReader::Result AofReader::Fail(Step step) {
  error_offset_ = element_offset_;
  // A read error looks like the end of the input to the element readers.
  if (step == Step::kEof && io_errno_ == 0) {
    SetTruncated(detail_);
  } else {
    SetCorrupt(detail_);
  }
  return sticky_;
}

AofReader::Step AofReader::SkipAnnotation() {
  while (true) {
    if (pos_ == end_ && !Fill()) {
      detail_ = "Expected \\n at the end of an annotation, got end of file";
      return Step::kEof;
    }
    const void* nl = std::memchr(buf_.get() + pos_, '\n', end_ - pos_);
    if (nl != nullptr) {
      pos_ = size_t(static_cast<const char*>(nl) - buf_.get()) + 1;
      return Step::kOk;
    }
    pos_ = end_;
  }
}

AofReader::Step AofReader::ReadNumber(char prefix, int64_t max, int64_t* value) {
  int c = Peek();
  if (c < 0) {
    detail_ = std::string("Expected prefix '") + prefix + "', got end of file";
    return Step::kEof;
  }
  if (c != prefix) {
    detail_ = std::string("Expected prefix '") + prefix + "', got: " + ShowByte(c);
    return Step::kBad;
  }
  ++pos_;
  int64_t v = 0;
  int digits = 0;
  while (true) {
    c = Peek();
    if (c < 0) {
      detail_ = std::string("Expected \\r\\n after '") + prefix + "' and a number, got end of file";
      return Step::kEof;
    }
    if (c < '0' || c > '9') break;
    ++pos_;
    ++digits;
    if (v > (max - (c - '0')) / 10) {
      detail_ = prefix == '*' ? "Invalid multibulk length" : "Invalid bulk length";
      detail_ += ", more than " + std::to_string(max);
      return Step::kBad;
    }
    v = v * 10 + (c - '0');
  }
  if (digits == 0) {
    detail_ = std::string("Expected a number after '") + prefix + "', got: " + ShowByte(c);
    return Step::kBad;
  }
  if (c != '\r') {
    detail_ = "Expected \\r\\n, got: " + Hex(c);
    return Step::kBad;
  }
  ++pos_;
  c = Peek();
  if (c < 0) {
    detail_ = std::string("Expected \\r\\n after '") + prefix + "' and a number, got end of file";
    return Step::kEof;
  }
  if (c != '\n') {
    detail_ = "Expected \\r\\n, got: 0d" + Hex(c);
    return Step::kBad;
  }
  ++pos_;
  *value = v;
  return Step::kOk;
}

AofReader::Step AofReader::ReadBulk(int64_t len, std::string* out) {
  uint64_t remaining = uint64_t(len);
  // Reserve only what can be backed by real bytes: a corrupt length must not
  // make us allocate gigabytes before the end of the file shows it is wrong.
  const uint64_t here = Offset();
  const uint64_t known = file_end_ > here ? file_end_ - here : 0;
  out->reserve(size_t(std::min<uint64_t>(remaining, std::max<uint64_t>(kMaxBlindReserve, known))));
  auto eof_detail = [&](uint64_t got) {
    detail_ = "Expected to read " + std::to_string(uint64_t(len) + 2) + " bytes, got " +
              std::to_string(got) + " bytes";
  };
  while (remaining > 0) {
    if (pos_ == end_ && !Fill()) {
      eof_detail(uint64_t(len) - remaining);
      return Step::kEof;
    }
    const size_t n = size_t(std::min<uint64_t>(remaining, end_ - pos_));
    out->append(buf_.get() + pos_, n);
    pos_ += n;
    remaining -= n;
  }
  int c = Peek();
  if (c < 0) {
    eof_detail(uint64_t(len));
    return Step::kEof;
  }
  if (c != '\r') {
    detail_ =
        "Expected \\r\\n after a bulk string of " + std::to_string(len) + " bytes, got: " + Hex(c);
    return Step::kBad;
  }
  ++pos_;
  c = Peek();
  if (c < 0) {
    eof_detail(uint64_t(len) + 1);
    return Step::kEof;
  }
  if (c != '\n') {
    detail_ = "Expected \\r\\n after a bulk string of " + std::to_string(len) + " bytes, got: 0d" +
              Hex(c);
    return Step::kBad;
  }
  ++pos_;
  return Step::kOk;
}

AofReader::Result AofReader::Next(std::vector<std::string>* argv) {
  if (sticky_ != Result::kCommand) {
    argv->clear();
    return sticky_;
  }
  // Annotations between commands.
  while (true) {
    element_offset_ = Offset();
    const int c = Peek();
    if (c < 0) {
      argv->clear();
      if (io_errno_ != 0) return Fail(Step::kBad);
      valid_up_to_ = Offset();
      return Result::kEnd;
    }
    if (c != '#') break;
    const Step s = SkipAnnotation();
    if (s != Step::kOk) {
      argv->clear();
      return Fail(s);
    }
    valid_up_to_ = Offset();
  }

  const uint64_t start = Offset();
  int64_t argc = 0;
  Step s = ReadNumber('*', kMaxArgc, &argc);
  if (s == Step::kOk && argc == 0) {
    detail_ = "Invalid multibulk length 0";
    s = Step::kBad;
  }
  if (s != Step::kOk) {
    argv->clear();
    return Fail(s);
  }
  // argv keeps its strings (and their capacity) from the previous command;
  // it only grows as arguments actually arrive.
  if (argv->capacity() < kMaxArgvReserve) {
    argv->reserve(std::min<size_t>(size_t(argc), kMaxArgvReserve));
  }
  for (int64_t i = 0; i < argc; ++i) {
    element_offset_ = Offset();
    int64_t len = 0;
    s = ReadNumber('$', kMaxBulkLen, &len);
    if (s == Step::kOk) {
      if (size_t(i) == argv->size()) {
        argv->emplace_back();
      } else {
        (*argv)[size_t(i)].clear();
      }
      element_offset_ = Offset();
      s = ReadBulk(len, &(*argv)[size_t(i)]);
    }
    if (s != Step::kOk) {
      argv->clear();
      return Fail(s);
    }
  }
  argv->resize(size_t(argc));
  command_offset_ = start;
  valid_up_to_ = Offset();
  return Result::kCommand;
}

}  // namespace basalt::persistence

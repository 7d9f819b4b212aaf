#include "persistence/aof_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace basalt::persistence {
namespace {

using namespace std::string_literals;
using Result = AofReader::Result;
using Argv = std::vector<std::string>;

// A memory-backed regular file holding `data`, positioned at its start.
class MemFile {
 public:
  explicit MemFile(std::string_view data) {
    fd_ = memfd_create("aof_reader_test", 0);
    EXPECT_GE(fd_, 0);
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = write(fd_, data.data() + off, data.size() - off);
      EXPECT_GT(n, 0);
      if (n <= 0) break;
      off += size_t(n);
    }
    lseek(fd_, 0, SEEK_SET);
  }
  ~MemFile() { close(fd_); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct Outcome {
  std::vector<Argv> commands;
  std::vector<uint64_t> command_offsets;
  Result result = Result::kCommand;
  uint64_t valid_up_to = 0;
  uint64_t error_offset = 0;
  std::string error;
};

Outcome ReadAll(std::string_view data, size_t buffer_size = 64 * 1024) {
  MemFile f(data);
  AofReader::Options opts;
  opts.buffer_size = buffer_size;
  AofReader r(f.fd(), opts);
  Outcome out;
  Argv argv;
  while (true) {
    const Result res = r.Next(&argv);
    if (res != Result::kCommand) {
      EXPECT_TRUE(argv.empty());
      out.result = res;
      break;
    }
    out.commands.push_back(argv);
    out.command_offsets.push_back(r.command_offset());
    EXPECT_LE(r.valid_up_to(), r.bytes_read());
  }
  out.valid_up_to = r.valid_up_to();
  out.error_offset = r.error_offset();
  out.error = r.error();
  if (out.result == Result::kCorrupt) {
    EXPECT_LE(r.bytes_read(), data.size());
  } else {
    EXPECT_EQ(r.bytes_read(), data.size());
  }
  // The result is sticky.
  EXPECT_EQ(r.Next(&argv), out.result);
  EXPECT_EQ(r.valid_up_to(), out.valid_up_to);
  return out;
}

std::string Cmd(const Argv& argv) {
  std::string s = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

const size_t kBufferSizes[] = {1, 2, 3, 7, 64 * 1024};

TEST(AofReaderTest, GoodStream) {
  const std::vector<Argv> cmds = {
      {"SELECT", "0"},
      {"set", "a", "1"},
      {"set", "bin\r\n\0key"s, ""},
      {"RPUSH", "l", std::string(100000, 'x'), "*1\r\n$1\r\n", "#not an annotation"},
      {"PING"},
  };
  std::string data;
  std::vector<uint64_t> offsets;
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (i == 2) data += "#TS:1700000000\r\n";
    if (i == 3) data += "#\n#another\r\n";
    offsets.push_back(data.size());
    data += Cmd(cmds[i]);
  }
  data += "#TS:1700000001\r\n";
  for (size_t bs : kBufferSizes) {
    const Outcome o = ReadAll(data, bs);
    EXPECT_EQ(o.result, Result::kEnd) << bs;
    EXPECT_EQ(o.commands, cmds) << bs;
    EXPECT_EQ(o.command_offsets, offsets) << bs;
    EXPECT_EQ(o.valid_up_to, data.size()) << bs;
    EXPECT_EQ(o.error, "") << bs;
  }
  EXPECT_EQ(ReadAll("").result, Result::kEnd);
  EXPECT_EQ(ReadAll("").valid_up_to, 0u);
}

// What redis-server 7.0.15 writes to an incr file with aof-timestamp-enabled.
TEST(AofReaderTest, RedisWrittenIncr) {
  const std::string data =
      "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\ne\r\n$1\r\n5\r\n"
      "#TS:1795356629\r\n*3\r\n$3\r\nset\r\n$1\r\nf\r\n$1\r\n6\r\n"
      "#TS:1795356630\r\n*3\r\n$3\r\nset\r\n$1\r\ng\r\n$1\r\n7\r\n";
  const Outcome o = ReadAll(data);
  EXPECT_EQ(o.result, Result::kEnd);
  ASSERT_EQ(o.commands.size(), 4u);
  EXPECT_EQ(o.commands[3], (Argv{"set", "g", "7"}));
}

// Cutting a good stream anywhere: kEnd exactly at command and annotation
// boundaries, kTruncated elsewhere, with valid_up_to at the last boundary.
TEST(AofReaderTest, EveryTruncationPoint) {
  const std::vector<Argv> cmds = {{"set", "key", "value"}, {"DEL", ""}, {"x", "12\r\n45678901"}};
  std::string data;
  std::vector<size_t> boundaries = {0};
  std::vector<size_t> commands_before = {0};  // complete commands at each boundary
  for (size_t i = 0; i < cmds.size(); ++i) {
    data += "#TS:1\r\n";
    boundaries.push_back(data.size());
    commands_before.push_back(i);
    data += Cmd(cmds[i]);
    boundaries.push_back(data.size());
    commands_before.push_back(i + 1);
  }
  for (size_t bs : {size_t(1), size_t(5), size_t(64 * 1024)}) {
    size_t b = 0;  // index of the last boundary <= len
    for (size_t len = 0; len <= data.size(); ++len) {
      while (b + 1 < boundaries.size() && boundaries[b + 1] <= len) ++b;
      const Outcome o = ReadAll(std::string_view(data).substr(0, len), bs);
      ASSERT_EQ(o.commands.size(), commands_before[b]) << len;
      EXPECT_EQ(o.valid_up_to, boundaries[b]) << len;
      if (boundaries[b] == len) {
        EXPECT_EQ(o.result, Result::kEnd) << len;
      } else {
        EXPECT_EQ(o.result, Result::kTruncated) << len;
        EXPECT_EQ(o.error.rfind("Unexpected end of file reading the append only file: ", 0), 0u)
            << o.error;
        EXPECT_GE(o.error_offset, o.valid_up_to) << len;
        EXPECT_LE(o.error_offset, len) << len;
      }
    }
  }
}

TEST(AofReaderTest, TruncationReasons) {
  const std::string good = Cmd({"SELECT", "0"}) + Cmd({"set", "a", "1"});  // 50 bytes
  ASSERT_EQ(good.size(), 50u);
  struct Case {
    std::string tail;
    uint64_t error_offset;
    std::string detail;
  };
  const Case cases[] = {
      {"*", 50, "Expected \\r\\n after '*' and a number, got end of file"},
      {"*3\r", 50, "Expected \\r\\n after '*' and a number, got end of file"},
      {"*3\r\n", 54, "Expected prefix '$', got end of file"},
      {"*3\r\n$3", 54, "Expected \\r\\n after '$' and a number, got end of file"},
      // redis-check-aof: "0x3a: Expected to read 5 bytes, got 0 bytes" and so on.
      {"*3\r\n$3\r\n", 58, "Expected to read 5 bytes, got 0 bytes"},
      {"*3\r\n$3\r\nse", 58, "Expected to read 5 bytes, got 2 bytes"},
      {"*3\r\n$3\r\nset\r", 58, "Expected to read 5 bytes, got 4 bytes"},
      {"#TS:12", 50, "Expected \\n at the end of an annotation, got end of file"},
      {"*2147483647\r\n$1\r\na\r\n", 70, "Expected prefix '$', got end of file"},
  };
  for (const Case& c : cases) {
    const Outcome o = ReadAll(good + c.tail);
    EXPECT_EQ(o.result, Result::kTruncated) << c.tail;
    EXPECT_EQ(o.commands.size(), 2u) << c.tail;
    EXPECT_EQ(o.valid_up_to, 50u) << c.tail;
    EXPECT_EQ(o.error_offset, c.error_offset) << c.tail;
    EXPECT_EQ(o.error, "Unexpected end of file reading the append only file: " + c.detail)
        << c.tail;
  }
}

TEST(AofReaderTest, CorruptReasons) {
  const std::string good = Cmd({"SELECT", "0"}) + Cmd({"set", "a", "1"});
  struct Case {
    std::string tail;
    uint64_t error_offset;
    std::string detail;
  };
  // Offsets are where redis-check-aof 7.0.15 reports the same inputs.
  const Case cases[] = {
      {"\r\n", 50, "Expected prefix '*', got: '\\x0d'"},
      {"x3\r\n", 50, "Expected prefix '*', got: 'x'"},
      {"*0\r\n", 50, "Invalid multibulk length 0"},
      {"*-1\r\n", 50, "Expected a number after '*', got: '-'"},
      {"*abc\r\n", 50, "Expected a number after '*', got: 'a'"},
      {"*\r\n", 50, "Expected a number after '*', got: '\\x0d'"},
      {"*1x\r\n$1\r\na\r\n", 50, "Expected \\r\\n, got: 78"},
      {"*1\n$1\na\r\n", 50, "Expected \\r\\n, got: 0a"},
      {"*1\rx", 50, "Expected \\r\\n, got: 0d78"},
      {"*2147483648\r\n", 50, "Invalid multibulk length, more than 2147483647"},
      {"*3\r\n+3\r\n", 54, "Expected prefix '$', got: '+'"},
      {"*1\r\n$-1\r\n", 54, "Expected a number after '$', got: '-'"},
      {"*1\r\n$ 1\r\na\r\n", 54, "Expected a number after '$', got: ' '"},
      {"*1\r\n$1x\r\na\r\n", 54, "Expected \\r\\n, got: 78"},
      {"*1\r\n$99999999999999999999\r\n", 54, "Invalid bulk length, more than 9223372036854775805"},
      {"*1\r\n$3\r\nsetXX", 58, "Expected \\r\\n after a bulk string of 3 bytes, got: 58"},
      {"*1\r\n$3\r\nset\rX", 58, "Expected \\r\\n after a bulk string of 3 bytes, got: 0d58"},
      {"*1\r\n$1\r\nab\r\n", 58, "Expected \\r\\n after a bulk string of 1 bytes, got: 62"},
      {"*2\r\n$4\r\nMULTI\r\n", 58, "Expected \\r\\n after a bulk string of 4 bytes, got: 49"},
      {"*1\r\n$1\r\na\r\n\0"s, 61, "Expected prefix '*', got: '\\x00'"},
  };
  for (size_t bs : kBufferSizes) {
    for (const Case& c : cases) {
      const Outcome o = ReadAll(good + c.tail, bs);
      EXPECT_EQ(o.result, Result::kCorrupt) << c.tail;
      EXPECT_EQ(o.valid_up_to, good.size() + (c.error_offset == 61 ? 11 : 0)) << c.tail;
      EXPECT_EQ(o.error_offset, c.error_offset) << c.tail;
      EXPECT_EQ(o.error, "Bad file format reading the append only file: " + c.detail) << c.tail;
    }
  }
}

// Counts and lengths come from the file: nothing big may be allocated before
// the bytes are there (a failing reserve would throw or abort here).
TEST(AofReaderTest, HugeCountsAllocateNothingUpFront) {
  {
    MemFile f("*2147483647\r\n$1\r\na\r\n");
    AofReader r(f.fd());
    Argv argv;
    EXPECT_EQ(r.Next(&argv), Result::kTruncated);
    EXPECT_LE(argv.capacity(), 1024u);
  }
  for (const char* data : {"*1\r\n$9223372036854775805\r\nabc", "*1\r\n$4294967296\r\nab"}) {
    const Outcome o = ReadAll(data);
    EXPECT_EQ(o.result, Result::kTruncated);
    EXPECT_EQ(o.error_offset, std::string_view(data).find("\r\n", 4) + 2);
  }
  EXPECT_EQ(ReadAll("*1\r\n$4294967296\r\nab").error,
            "Unexpected end of file reading the append only file: Expected to read 4294967298 "
            "bytes, got 2 bytes");
}

TEST(AofReaderTest, ReusesArgvAndShrinksIt) {
  MemFile f(Cmd({"a", "b", "c"}) + Cmd({"d"}) + Cmd({"e", "f"}));
  AofReader r(f.fd());
  Argv argv = {"stale", "stale", "stale", "stale", "stale"};
  ASSERT_EQ(r.Next(&argv), Result::kCommand);
  EXPECT_EQ(argv, (Argv{"a", "b", "c"}));
  ASSERT_EQ(r.Next(&argv), Result::kCommand);
  EXPECT_EQ(argv, (Argv{"d"}));
  ASSERT_EQ(r.Next(&argv), Result::kCommand);
  EXPECT_EQ(argv, (Argv{"e", "f"}));
  EXPECT_EQ(r.Next(&argv), Result::kEnd);
  EXPECT_TRUE(argv.empty());
}

TEST(AofReaderTest, StartOffset) {
  const std::string preamble = "REDIS0010...";
  const std::string data = preamble + Cmd({"set", "k", "v"}) + "*1\r\n$3\r\nab";
  MemFile f(data);
  lseek(f.fd(), off_t(preamble.size()), SEEK_SET);
  AofReader::Options opts;
  opts.start_offset = preamble.size();
  AofReader r(f.fd(), opts);
  Argv argv;
  ASSERT_EQ(r.Next(&argv), Result::kCommand);
  EXPECT_EQ(r.command_offset(), preamble.size());
  EXPECT_EQ(r.Next(&argv), Result::kTruncated);
  EXPECT_EQ(r.valid_up_to(), preamble.size() + Cmd({"set", "k", "v"}).size());
  EXPECT_EQ(r.error_offset(), r.valid_up_to() + 8);
  EXPECT_EQ(r.bytes_read(), data.size());
}

TEST(AofReaderTest, ReadErrors) {
  AofReader bad(-1);
  Argv argv;
  EXPECT_EQ(bad.Next(&argv), Result::kCorrupt);
  EXPECT_EQ(bad.error(), "Unrecoverable error reading the append only file: Bad file descriptor");

  const int dir = open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dir, 0);
  AofReader d(dir);
  EXPECT_EQ(d.Next(&argv), Result::kCorrupt);
  EXPECT_EQ(d.error(), "Unrecoverable error reading the append only file: Is a directory");
  close(dir);
}

TEST(AofReaderTest, ReadsFromAPipeInPieces) {
  std::string data;
  std::vector<Argv> cmds;
  for (int i = 0; i < 2000; ++i) {
    cmds.push_back({"set", "key:" + std::to_string(i), std::string(size_t(i % 300), 'v')});
    data += "#TS:" + std::to_string(i) + "\r\n" + Cmd(cmds.back());
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    size_t off = 0, step = 1;
    while (off < data.size()) {
      const size_t n = std::min(step, data.size() - off);
      if (write(fds[1], data.data() + off, n) != ssize_t(n)) break;
      off += n;
      step = step * 3 % 1021 + 1;
    }
    close(fds[1]);
  });
  AofReader::Options opts;
  opts.buffer_size = 4096;
  AofReader r(fds[0], opts);
  Argv argv;
  size_t i = 0;
  Result res;
  while ((res = r.Next(&argv)) == Result::kCommand) {
    ASSERT_LT(i, cmds.size());
    EXPECT_EQ(argv, cmds[i]);
    ++i;
  }
  writer.join();
  close(fds[0]);
  EXPECT_EQ(res, Result::kEnd);
  EXPECT_EQ(i, cmds.size());
  EXPECT_EQ(r.valid_up_to(), data.size());
}

}  // namespace
}  // namespace basalt::persistence

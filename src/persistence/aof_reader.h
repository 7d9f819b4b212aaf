// AofReader: reads the commands of an AOF file (a base file without RDB
// preamble, or an incr file) one at a time, from a file descriptor, through a
// fixed-size buffer, so a file of any size is read in constant memory beyond
// the command being returned.
//
// The format is what Redis 7.0 writes: each command is a RESP array of bulk
// strings, "*<argc>\r\n" then argc times "$<len>\r\n<len bytes>\r\n";
// between commands, annotation lines starting with '#' (e.g. "#TS:1700000000\r\n"
// with aof-timestamp-enabled) are skipped.
//
// Outcomes and how they compare with redis-server 7.0.15 / redis-check-aof:
//  - kEnd: the input ended between two commands.
//  - kTruncated: the input ended inside a command, as after a crash mid-write.
//    Redis logs "Unexpected end of file reading the append only file" (or with
//    aof-load-truncated yes, truncates at the end of the last complete command,
//    our valid_up_to()). Unlike Redis, an annotation without its newline at the
//    end of the input is kTruncated too: appending after it would glue the next
//    command to the annotation.
//  - kCorrupt: bytes that cannot be a command. Redis logs "Bad file format
//    reading the append only file". We check more strictly than redis-server
//    (which parses numbers with atoi and skips the two bytes after a bulk
//    string unread) and as strictly as redis-check-aof: argc >= 1, lengths are
//    plain decimal digits, every line and bulk string ends in "\r\n". A read()
//    error is kCorrupt as well, with "Unrecoverable error reading the append
//    only file: <strerror>" as Redis says.
// After kTruncated or kCorrupt, Next() keeps returning the same result.
//
// Memory: argc and bulk lengths come from the file, so nothing is reserved on
// their word alone: argv grows as arguments arrive, and a bulk string reserves
// at most max(1 MiB, what is left of a regular file) before its bytes arrive.
//
// Thread-safety: an AofReader is used by one thread at a time. It does not own
// the fd and never seeks it: reading starts at the fd's current position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace basalt::persistence {

class AofReader {
 public:
  struct Options {
    // The file offset the fd is positioned at; reported offsets include it
    // (e.g. the size of an RDB preamble the caller already consumed).
    uint64_t start_offset = 0;
    size_t buffer_size = 64 * 1024;
  };

  explicit AofReader(int fd);
  AofReader(int fd, const Options& options);
  AofReader(const AofReader&) = delete;
  AofReader& operator=(const AofReader&) = delete;
  ~AofReader();

  enum class Result { kCommand, kEnd, kTruncated, kCorrupt };
  // Next command into *argv (replacing its contents; strings are reused). On
  // anything but kCommand, *argv is left empty. kEnd: clean end of input.
  // kTruncated: the input ends inside a command (or annotation);
  // kCorrupt: bytes that are not a valid command (error() has the reason).
  Result Next(std::vector<std::string>* argv);

  // Offset just after the last complete command or annotation line: where a
  // truncated file must be cut (after kEnd: the end of the input).
  uint64_t valid_up_to() const { return valid_up_to_; }
  // Where the last command returned by Next() began (a loader reverting an
  // unfinished MULTI cuts there).
  uint64_t command_offset() const { return command_offset_; }
  // After kTruncated / kCorrupt: the offset of the line or bulk string being
  // read when the problem was found (as redis-check-aof reports it).
  uint64_t error_offset() const { return error_offset_; }
  // After kTruncated / kCorrupt: Redis's headline and a detail, e.g. "Bad file
  // format reading the append only file: Expected prefix '$', got: '+'" or
  // "Unexpected end of file reading the append only file: Expected to read 5
  // bytes, got 2 bytes". Empty otherwise.
  const std::string& error() const { return error_; }
  // Offset up to which the fd has been read (loading progress).
  uint64_t bytes_read() const { return read_offset_; }

 private:
  // Outcome of reading one element; kOk continues the command.
  enum class Step { kOk, kEof, kBad };

  // Refills the buffer (keeping nothing: callers consume what they look at).
  // False at end of input or on a read error (io_errno_ set).
  bool Fill();
  // The next byte, or -1 at end of input / read error.
  int Peek() {
    if (pos_ == end_ && !Fill()) return -1;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  uint64_t Offset() const { return buf_offset_ + pos_; }

  Step SkipAnnotation();
  // Reads "<prefix><digits>\r\n" into *value (at most max).
  Step ReadNumber(char prefix, int64_t max, int64_t* value);
  // Reads len bytes and the "\r\n" after them into *out.
  Step ReadBulk(int64_t len, std::string* out);
  Result Fail(Step step);
  void SetCorrupt(const std::string& detail);
  void SetTruncated(const std::string& detail);

  int fd_;
  std::unique_ptr<char[]> buf_;
  size_t buf_size_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t buf_offset_;    // file offset of buf_[0]
  uint64_t read_offset_;   // file offset after the last byte read
  uint64_t file_end_ = 0;  // size of a regular file; 0 when unknown
  bool eof_ = false;
  int io_errno_ = 0;

  uint64_t valid_up_to_;
  uint64_t command_offset_;
  uint64_t element_offset_ = 0;  // start of the line / bulk being read
  uint64_t error_offset_ = 0;
  std::string error_;
  std::string detail_;                // set by the element readers for Fail()
  Result sticky_ = Result::kCommand;  // kTruncated / kCorrupt once failed
};

}  // namespace basalt::persistence

// The RDB file format (version 10, as Redis 7.0 writes it): constants, the
// low-level writer (RdbEncoder), the pull-based input with a running CRC
// (RdbSource and its file/socket and in-memory implementations), the reading
// primitives, and the flat blobs RDB embeds (listpack, ziplist, intset,
// zipmap) with full validation.
//
// Format summary (all of it public knowledge, see the RDB file format notes):
//   "REDIS" + 4-digit version, then records: AUX (0xFA) key value,
//   SELECTDB (0xFE) len, RESIZEDB (0xFB) len len, [EXPIRETIME_MS (0xFC) 8 bytes
//   LE | EXPIRETIME (0xFD) 4 bytes LE], [IDLE (0xF8) len | FREQ (0xF9) byte],
//   type byte, key string, value; EOF (0xFF) and an 8-byte little-endian CRC-64.
//   Length: 00xxxxxx (6 bits), 01xxxxxx yyyyyyyy (14 bits, big endian),
//   0x80 + 4 bytes BE, 0x81 + 8 bytes BE; 11xxxxxx marks a special string
//   encoding: 0 int8, 1 int16 LE, 2 int32 LE, 3 LZF (clen, len, data).
//
// Thread-safety: RdbEncoder, RdbSource and ListpackWriter objects are owned by
// one thread at a time; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace basalt::persistence {

constexpr int kRdbVersion = 10;

// Opcodes (bytes that can stand where a value type is expected).
constexpr uint8_t kRdbOpFunction2 = 245;
constexpr uint8_t kRdbOpFunctionPreGa = 246;
constexpr uint8_t kRdbOpModuleAux = 247;
constexpr uint8_t kRdbOpIdle = 248;
constexpr uint8_t kRdbOpFreq = 249;
constexpr uint8_t kRdbOpAux = 250;
constexpr uint8_t kRdbOpResizeDb = 251;
constexpr uint8_t kRdbOpExpireMs = 252;
constexpr uint8_t kRdbOpExpireSec = 253;
constexpr uint8_t kRdbOpSelectDb = 254;
constexpr uint8_t kRdbOpEof = 255;

// Value types.
constexpr uint8_t kRdbTypeString = 0;
constexpr uint8_t kRdbTypeList = 1;
constexpr uint8_t kRdbTypeSet = 2;
constexpr uint8_t kRdbTypeZSet = 3;
constexpr uint8_t kRdbTypeHash = 4;
constexpr uint8_t kRdbTypeZSet2 = 5;
constexpr uint8_t kRdbTypeModulePreGa = 6;
constexpr uint8_t kRdbTypeModule2 = 7;
constexpr uint8_t kRdbTypeHashZipmap = 9;
constexpr uint8_t kRdbTypeListZiplist = 10;
constexpr uint8_t kRdbTypeSetIntset = 11;
constexpr uint8_t kRdbTypeZSetZiplist = 12;
constexpr uint8_t kRdbTypeHashZiplist = 13;
constexpr uint8_t kRdbTypeListQuicklist = 14;
constexpr uint8_t kRdbTypeStreamListpacks = 15;
constexpr uint8_t kRdbTypeHashListpack = 16;
constexpr uint8_t kRdbTypeZSetListpack = 17;
constexpr uint8_t kRdbTypeListQuicklist2 = 18;
constexpr uint8_t kRdbTypeStreamListpacks2 = 19;

constexpr bool IsRdbObjectType(uint8_t t) { return t <= 7 || (t >= 9 && t <= 19); }

// Containers of QUICKLIST_2 nodes.
constexpr uint64_t kQuicklistNodePlain = 1;   // one element, stored as a plain string
constexpr uint64_t kQuicklistNodePacked = 2;  // a listpack of elements

// Redis 7.0 keeps list elements of at least this many bytes in PLAIN nodes
// (its quicklist packed threshold); everything smaller goes into listpacks,
// alone in its node when larger than the node size limit.
constexpr size_t kQuicklistPlainThreshold = size_t(1) << 30;

// ---------------------------------------------------------------------------
// Writing

class RdbEncoder {
 public:
  // Appends to *out (caller-owned, must outlive the encoder). `compress`:
  // rdbcompression, LZF for strings over 20 bytes when it saves space.
  RdbEncoder(std::string* out, bool compress) : out_(out), compress_(compress) {}

  std::string* out() { return out_; }
  bool compress() const { return compress_; }

  void Byte(uint8_t b) { out_->push_back(char(b)); }
  void Length(uint64_t n);
  // A string: int8/16/32 encoding when s is a canonical integer of at most 11
  // characters that fits, else LZF (when enabled, longer than 20 bytes and
  // smaller), else raw. The same rule Redis uses for every string it saves.
  void String(std::string_view s);
  // The 8-byte little-endian IEEE 754 double of ZSET_2 scores.
  void BinaryDouble(double d);
  void Millis(int64_t ms);  // 8 bytes little endian
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  bool TryIntString(std::string_view s);
  bool TryLzfString(std::string_view s);

  std::string* out_;
  bool compress_;
  std::string scratch_;  // LZF output, reused across strings
};

// "REDIS0010" + one AUX record per pair.
void WriteRdbHeader(RdbEncoder& enc, const std::vector<std::pair<std::string, std::string>>& aux);
// SELECTDB db + RESIZEDB db_size expires_size.
void WriteSelectDb(RdbEncoder& enc, int db, uint64_t db_size, uint64_t expires_size);
// Appends only the EOF opcode. The checksum that follows covers every byte of
// the stream up to and including this opcode.
void WriteRdbEof(std::string* out);
// Appends the 8-byte little-endian checksum (0 when rdbchecksum is off).
void WriteRdbChecksum(std::string* out, uint64_t crc);

// ---------------------------------------------------------------------------
// Reading

// Pull-based input that keeps a running CRC-64 and byte offset of everything
// consumed. Subclasses supply ReadSome(); Read() never consumes more than asked.
class RdbSource {
 public:
  virtual ~RdbSource() = default;

  // Fills exactly n bytes or returns false (end of input or I/O error; error()
  // is non-empty for the latter). Updates crc() and offset() by what it read.
  bool Read(void* dst, size_t n);
  uint64_t crc() const { return crc_; }
  uint64_t offset() const { return offset_; }
  // The I/O error that made Read() fail, empty at a plain end of input.
  const std::string& error() const { return error_; }
  // CRC upkeep costs a little per byte; sources whose checksum is verified
  // some other way (DUMP payloads) can turn it off.
  void set_track_crc(bool on) { track_crc_ = on; }

  // The error for a failed Read(): "Unexpected end of file at offset N" or the
  // I/O error with the offset.
  Status ReadError() const;
  // "<why> at offset N", for corrupt data.
  Status Corrupt(std::string_view why) const;

 protected:
  // Reads between 1 and n bytes into dst; returns the count, 0 at end of
  // input, or -1 after setting error_ (set_error()).
  virtual long ReadSome(void* dst, size_t n) = 0;
  void set_error(std::string e) { error_ = std::move(e); }

 private:
  uint64_t crc_ = 0;
  uint64_t offset_ = 0;
  bool track_crc_ = true;
  std::string error_;
};

// An in-memory payload (DUMP/RESTORE, tests). The bytes must outlive the source.
class StringSource final : public RdbSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  size_t remaining() const { return data_.size() - pos_; }

 protected:
  long ReadSome(void* dst, size_t n) override;

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// A buffered reader over a file descriptor (an RDB file, or a socket during a
// full sync). It does not own or close the fd. With a `limit`, it never reads
// more than that many bytes from the fd, so the bytes that follow an RDB
// transfer on a socket stay there for the caller; without one it reads ahead
// in 64 KiB blocks. A non-blocking fd is waited on with poll(), up to
// `timeout_ms` per wait (negative: no timeout).
class FdSource final : public RdbSource {
 public:
  explicit FdSource(int fd, uint64_t limit = UINT64_MAX, int timeout_ms = -1);
  // Bytes taken from the fd so far (offset() plus what is buffered).
  uint64_t fd_bytes() const { return fd_bytes_; }
  // Bytes read from the fd but not consumed yet (what followed the RDB).
  std::string_view buffered() const { return {buf_.data() + pos_, end_ - pos_}; }

 protected:
  long ReadSome(void* dst, size_t n) override;

 private:
  long FdRead(void* dst, size_t n);

  int fd_;
  uint64_t limit_;
  int timeout_ms_;
  uint64_t fd_bytes_ = 0;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
};

// Reading primitives. Every failure comes back as a Status naming the offset.
Status ReadByte(RdbSource& src, uint8_t* b);
// A plain length; a special string encoding here is an error.
Status ReadLength(RdbSource& src, uint64_t* len);
// A length or, with *encoded set, the special encoding number (0..3).
Status ReadLengthOrEncoding(RdbSource& src, uint64_t* len, bool* encoded);
// A string in any of its forms (raw, int8/16/32, LZF) into *out.
Status ReadString(RdbSource& src, std::string* out);
Status ReadBinaryDouble(RdbSource& src, double* d);
// The old textual double of ZSET (type 3): length byte (253 nan, 254 +inf,
// 255 -inf) and ASCII digits.
Status ReadTextDouble(RdbSource& src, double* d);
Status ReadMillis(RdbSource& src, int64_t* ms);  // 8 bytes LE
Status ReadSeconds(RdbSource& src, int32_t* s);  // 4 bytes LE

// ---------------------------------------------------------------------------
// Embedded flat encodings

// One element of a listpack or ziplist: a string (view into the blob) or an
// integer.
struct PackedItem {
  std::string_view str;
  int64_t num = 0;
  bool is_int = false;
  // The element as text; integers are formatted into buf (>= 21 bytes).
  std::string_view Text(char* buf) const;
};

// Builds a listpack: total-bytes u32 LE, element count u16 LE (65535 when
// larger), entries (encoding, data, backlen), 0xFF. Strings that are canonical
// int64 text get the smallest integer encoding, as Redis's lpAppend does.
class ListpackWriter {
 public:
  ListpackWriter() { Clear(); }
  void Clear();
  void Add(std::string_view s);
  void AddInt(int64_t v);
  size_t count() const { return count_; }
  // Bytes of the finished listpack, terminator included.
  size_t bytes() const { return buf_.size() + 1; }
  // Completes the header and terminator; returns the blob (valid until the
  // next call on the writer).
  std::string_view Finish();

  // Bytes one element adds to a listpack (encoding, data and backlen).
  static size_t EntrySize(std::string_view s);

 private:
  void AppendBacklen(size_t entry_len);
  std::string buf_;
  size_t count_ = 0;
};

// Validate a whole blob (every bound, count, backlen/prevlen and terminator)
// and append its elements to *out. Errors carry a reason without an offset.
Status ParseListpack(std::string_view blob, std::vector<PackedItem>* out);
Status ParseZiplist(std::string_view blob, std::vector<PackedItem>* out);
// An intset: encoding u32 LE (2, 4 or 8), count u32 LE, values LE, strictly
// ascending.
Status ParseIntset(std::string_view blob, std::vector<int64_t>* out);
// A zipmap (RDB type 9, Redis < 2.6): appends key, value, key, value, ...
Status ParseZipmap(std::string_view blob, std::vector<std::string_view>* out);
// An intset blob of ascending distinct values, at the narrowest width.
std::string EncodeIntset(std::span<const int64_t> sorted);

}  // namespace basalt::persistence

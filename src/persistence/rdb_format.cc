#include "persistence/rdb_format.h"

#include <lzf.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/numbers.h"
#include "persistence/crc64.h"

namespace basalt::persistence {
namespace {

// Little-endian loads and stores of unaligned integers.
template <typename T>
T LoadLE(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); i++) v |= uint64_t(p[i]) << (8 * i);
  return T(v);  // modular narrowing: two's complement for the signed types
}

template <typename T>
void AppendLE(std::string* out, T v) {
  for (size_t i = 0; i < sizeof(T); i++) out->push_back(char(uint64_t(v) >> (8 * i)));
}

template <typename T>
void StoreLE(char* p, T v) {
  for (size_t i = 0; i < sizeof(T); i++) p[i] = char(uint64_t(v) >> (8 * i));
}

uint32_t LoadBE32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// LZF never expands more than this: a 3-byte back reference yields at most
// 264 bytes. A header claiming more is corrupt, and checking first keeps a
// tiny input from making us allocate gigabytes.
constexpr uint64_t kLzfMaxRatio = 90;

// Raw strings longer than this are read in growing pieces, so a corrupt
// length costs at most about twice the input actually present.
constexpr size_t kReadChunk = size_t(1) << 20;

Status ReadRawString(RdbSource& src, uint64_t n, std::string* out) {
  out->clear();
  if (n <= kReadChunk) {
    out->resize(n);
    if (!src.Read(out->data(), n)) return src.ReadError();
    return Status::Ok();
  }
  size_t chunk = kReadChunk;
  while (out->size() < n) {
    size_t have = out->size();
    size_t take = size_t(std::min<uint64_t>(chunk, n - have));
    out->resize(have + take);
    if (!src.Read(out->data() + have, take)) return src.ReadError();
    chunk = std::min<size_t>(chunk * 2, size_t(64) << 20);
  }
  return Status::Ok();
}

// Bytes of the backlen that follows a listpack entry of `len` bytes.
size_t BacklenSize(size_t len) {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

// Decodes the listpack entry at p (p < end); sets *item and *len (encoding
// plus data, without the backlen). False when it runs past `end` or uses an
// unknown encoding.
bool DecodeListpackEntry(const uint8_t* p, const uint8_t* end, PackedItem* item, size_t* len) {
  size_t avail = size_t(end - p);
  uint8_t b = p[0];
  item->is_int = true;
  item->str = {};
  if ((b & 0x80) == 0) {  // 7-bit unsigned
    item->num = b;
    *len = 1;
    return true;
  }
  if ((b & 0xC0) == 0x80) {  // string, 6-bit length
    size_t n = b & 0x3F;
    if (avail < 1 + n) return false;
    item->is_int = false;
    item->str = {reinterpret_cast<const char*>(p + 1), n};
    *len = 1 + n;
    return true;
  }
  if ((b & 0xE0) == 0xC0) {  // 13-bit signed
    if (avail < 2) return false;
    int64_t uv = int64_t(b & 0x1F) << 8 | p[1];
    item->num = uv >= 4096 ? uv - 8192 : uv;
    *len = 2;
    return true;
  }
  if ((b & 0xF0) == 0xE0) {  // string, 12-bit length
    if (avail < 2) return false;
    size_t n = size_t(b & 0x0F) << 8 | p[1];
    if (avail - 2 < n) return false;
    item->is_int = false;
    item->str = {reinterpret_cast<const char*>(p + 2), n};
    *len = 2 + n;
    return true;
  }
  switch (b) {
    case 0xF0: {  // string, 32-bit length
      if (avail < 5) return false;
      uint32_t n = LoadLE<uint32_t>(p + 1);
      if (avail - 5 < n) return false;
      item->is_int = false;
      item->str = {reinterpret_cast<const char*>(p + 5), n};
      *len = 5 + size_t(n);
      return true;
    }
    case 0xF1:
      if (avail < 3) return false;
      item->num = LoadLE<int16_t>(p + 1);
      *len = 3;
      return true;
    case 0xF2: {
      if (avail < 4) return false;
      uint32_t uv = uint32_t(p[1]) | uint32_t(p[2]) << 8 | uint32_t(p[3]) << 16;
      item->num = int32_t(uv << 8) >> 8;  // sign-extend 24 bits
      *len = 4;
      return true;
    }
    case 0xF3:
      if (avail < 5) return false;
      item->num = LoadLE<int32_t>(p + 1);
      *len = 5;
      return true;
    case 0xF4:
      if (avail < 9) return false;
      item->num = LoadLE<int64_t>(p + 1);
      *len = 9;
      return true;
    default:
      return false;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// RdbEncoder

void RdbEncoder::Length(uint64_t n) {
  if (n < (1 << 6)) {
    Byte(uint8_t(n));
  } else if (n < (1 << 14)) {
    Byte(uint8_t(0x40 | (n >> 8)));
    Byte(uint8_t(n));
  } else if (n <= UINT32_MAX) {
    Byte(0x80);
    for (int i = 3; i >= 0; i--) Byte(uint8_t(n >> (8 * i)));
  } else {
    Byte(0x81);
    for (int i = 7; i >= 0; i--) Byte(uint8_t(n >> (8 * i)));
  }
}

bool RdbEncoder::TryIntString(std::string_view s) {
  if (s.empty() || s.size() > 11) return false;
  std::optional<int64_t> v = ParseInt64(s);
  if (!v) return false;
  if (*v >= INT8_MIN && *v <= INT8_MAX) {
    Byte(0xC0);
    Byte(uint8_t(*v));
  } else if (*v >= INT16_MIN && *v <= INT16_MAX) {
    Byte(0xC1);
    AppendLE(out_, int16_t(*v));
  } else if (*v >= INT32_MIN && *v <= INT32_MAX) {
    Byte(0xC2);
    AppendLE(out_, int32_t(*v));
  } else {
    return false;
  }
  return true;
}

bool RdbEncoder::TryLzfString(std::string_view s) {
  if (!compress_ || s.size() <= 20 || s.size() > UINT_MAX) return false;
  // Worth it only when it saves at least 4 bytes (Redis's rule too).
  size_t room = s.size() - 4;
  if (scratch_.size() < room) scratch_.resize(room);
  unsigned int clen = lzf_compress(s.data(), unsigned(s.size()), scratch_.data(), unsigned(room));
  if (clen == 0) return false;
  Byte(0xC3);
  Length(clen);
  Length(s.size());
  out_->append(scratch_.data(), clen);
  // Don't keep a huge buffer around after one huge string.
  if (scratch_.size() > (size_t(1) << 20)) std::string().swap(scratch_);
  return true;
}

void RdbEncoder::String(std::string_view s) {
  if (TryIntString(s) || TryLzfString(s)) return;
  Length(s.size());
  out_->append(s);
}

void RdbEncoder::BinaryDouble(double d) { AppendLE(out_, std::bit_cast<uint64_t>(d)); }

void RdbEncoder::Millis(int64_t ms) { AppendLE(out_, ms); }

void WriteRdbHeader(RdbEncoder& enc, const std::vector<std::pair<std::string, std::string>>& aux) {
  char magic[16];
  snprintf(magic, sizeof(magic), "REDIS%04d", kRdbVersion);
  enc.Raw(magic);
  for (const auto& [k, v] : aux) {
    enc.Byte(kRdbOpAux);
    enc.String(k);
    enc.String(v);
  }
}

void WriteSelectDb(RdbEncoder& enc, int db, uint64_t db_size, uint64_t expires_size) {
  enc.Byte(kRdbOpSelectDb);
  enc.Length(uint64_t(db));
  enc.Byte(kRdbOpResizeDb);
  enc.Length(db_size);
  enc.Length(expires_size);
}

void WriteRdbEof(std::string* out) { out->push_back(char(kRdbOpEof)); }

void WriteRdbChecksum(std::string* out, uint64_t crc) { AppendLE(out, crc); }

// ---------------------------------------------------------------------------
// Sources

bool RdbSource::Read(void* dst, size_t n) {
  char* p = static_cast<char*>(dst);
  size_t got = 0;
  while (got < n) {
    long r = ReadSome(p + got, n - got);
    if (r <= 0) {
      offset_ += got;
      return false;
    }
    got += size_t(r);
  }
  if (track_crc_) crc_ = Crc64(crc_, dst, n);
  offset_ += n;
  return true;
}

Status RdbSource::ReadError() const {
  if (!error_.empty()) return Status::Error(error_ + " at offset " + std::to_string(offset_));
  return Status::Error("Unexpected end of file at offset " + std::to_string(offset_));
}

Status RdbSource::Corrupt(std::string_view why) const {
  std::string m(why);
  m += " at offset ";
  m += std::to_string(offset_);
  return Status::Error(m);
}

long StringSource::ReadSome(void* dst, size_t n) {
  size_t take = std::min(n, data_.size() - pos_);
  if (take == 0) return 0;
  memcpy(dst, data_.data() + pos_, take);
  pos_ += take;
  return long(take);
}

FdSource::FdSource(int fd, uint64_t limit, int timeout_ms)
    : fd_(fd), limit_(limit), timeout_ms_(timeout_ms), buf_(64 * 1024) {}

long FdSource::FdRead(void* dst, size_t n) {
  n = size_t(std::min<uint64_t>(n, limit_ - fd_bytes_));
  if (n == 0) return 0;
  for (;;) {
    ssize_t r = read(fd_, dst, n);
    if (r >= 0) {
      fd_bytes_ += uint64_t(r);
      return long(r);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd pfd{fd_, POLLIN, 0};
      int pr = poll(&pfd, 1, timeout_ms_);
      if (pr > 0 || (pr < 0 && errno == EINTR)) continue;
      set_error(pr == 0 ? std::string("Timeout reading RDB data")
                        : std::string("Error waiting for RDB data: ") + strerror(errno));
      return -1;
    }
    set_error(std::string("Error reading RDB data: ") + strerror(errno));
    return -1;
  }
}

long FdSource::ReadSome(void* dst, size_t n) {
  if (pos_ == end_) {
    // Large reads bypass the buffer: one copy fewer for big strings.
    if (n >= buf_.size()) return FdRead(dst, n);
    long r = FdRead(buf_.data(), buf_.size());
    if (r <= 0) return r;
    pos_ = 0;
    end_ = size_t(r);
  }
  size_t take = std::min(n, end_ - pos_);
  memcpy(dst, buf_.data() + pos_, take);
  pos_ += take;
  return long(take);
}

// ---------------------------------------------------------------------------
// Reading primitives

Status ReadByte(RdbSource& src, uint8_t* b) {
  if (!src.Read(b, 1)) return src.ReadError();
  return Status::Ok();
}

Status ReadLengthOrEncoding(RdbSource& src, uint64_t* len, bool* encoded) {
  uint8_t b[9];
  if (!src.Read(b, 1)) return src.ReadError();
  *encoded = false;
  switch (b[0] >> 6) {
    case 0:
      *len = b[0] & 0x3F;
      return Status::Ok();
    case 1:
      if (!src.Read(b + 1, 1)) return src.ReadError();
      *len = uint64_t(b[0] & 0x3F) << 8 | b[1];
      return Status::Ok();
    case 3:
      *encoded = true;
      *len = b[0] & 0x3F;
      return Status::Ok();
    default:
      break;
  }
  if (b[0] == 0x80) {
    if (!src.Read(b + 1, 4)) return src.ReadError();
    *len = LoadBE32(b + 1);
    return Status::Ok();
  }
  if (b[0] == 0x81) {
    if (!src.Read(b + 1, 8)) return src.ReadError();
    *len = uint64_t(LoadBE32(b + 1)) << 32 | LoadBE32(b + 5);
    return Status::Ok();
  }
  return src.Corrupt("Unknown length encoding " + std::to_string(b[0]));
}

Status ReadLength(RdbSource& src, uint64_t* len) {
  bool encoded;
  Status s = ReadLengthOrEncoding(src, len, &encoded);
  if (!s.ok()) return s;
  if (encoded) return src.Corrupt("Unexpected string encoding where a length was expected");
  return Status::Ok();
}

Status ReadString(RdbSource& src, std::string* out) {
  uint64_t len;
  bool encoded;
  Status s = ReadLengthOrEncoding(src, &len, &encoded);
  if (!s.ok()) return s;
  if (!encoded) return ReadRawString(src, len, out);
  uint8_t b[4];
  int64_t v;
  switch (len) {
    case 0:
      if (!src.Read(b, 1)) return src.ReadError();
      v = int8_t(b[0]);
      break;
    case 1:
      if (!src.Read(b, 2)) return src.ReadError();
      v = LoadLE<int16_t>(b);
      break;
    case 2:
      if (!src.Read(b, 4)) return src.ReadError();
      v = LoadLE<int32_t>(b);
      break;
    case 3: {
      uint64_t clen, rawlen;
      if (Status st = ReadLength(src, &clen); !st.ok()) return st;
      if (Status st = ReadLength(src, &rawlen); !st.ok()) return st;
      if (rawlen == 0 || clen == 0 || rawlen > clen * kLzfMaxRatio + 300 || rawlen > UINT_MAX ||
          clen > UINT_MAX) {
        return src.Corrupt("Invalid LZF compressed string");
      }
      std::string comp;
      if (Status st = ReadRawString(src, clen, &comp); !st.ok()) return st;
      out->resize(rawlen);
      unsigned int n = lzf_decompress(comp.data(), unsigned(clen), out->data(), unsigned(rawlen));
      if (n != rawlen) return src.Corrupt("Invalid LZF compressed string");
      return Status::Ok();
    }
    default:
      return src.Corrupt("Unknown string encoding " + std::to_string(len));
  }
  char buf[24];
  out->assign(buf, FormatInt64(v, buf));
  return Status::Ok();
}

Status ReadBinaryDouble(RdbSource& src, double* d) {
  uint8_t b[8];
  if (!src.Read(b, 8)) return src.ReadError();
  *d = std::bit_cast<double>(LoadLE<uint64_t>(b));
  return Status::Ok();
}

Status ReadTextDouble(RdbSource& src, double* d) {
  uint8_t len;
  if (!src.Read(&len, 1)) return src.ReadError();
  switch (len) {
    case 253:
      *d = std::nan("");
      return Status::Ok();
    case 254:
      *d = HUGE_VAL;
      return Status::Ok();
    case 255:
      *d = -HUGE_VAL;
      return Status::Ok();
    default:
      break;
  }
  char buf[256];
  if (!src.Read(buf, len)) return src.ReadError();
  buf[len] = '\0';
  char* end = nullptr;
  *d = strtod(buf, &end);
  if (len == 0 || end == buf) return src.Corrupt("Invalid double value");
  return Status::Ok();
}

Status ReadMillis(RdbSource& src, int64_t* ms) {
  uint8_t b[8];
  if (!src.Read(b, 8)) return src.ReadError();
  *ms = LoadLE<int64_t>(b);
  return Status::Ok();
}

Status ReadSeconds(RdbSource& src, int32_t* s) {
  uint8_t b[4];
  if (!src.Read(b, 4)) return src.ReadError();
  *s = LoadLE<int32_t>(b);
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Listpack

std::string_view PackedItem::Text(char* buf) const {
  if (!is_int) return str;
  return {buf, FormatInt64(num, buf)};
}

void ListpackWriter::Clear() {
  buf_.assign(6, '\0');
  count_ = 0;
}

void ListpackWriter::AppendBacklen(size_t len) {
  size_t n = BacklenSize(len);
  // Most significant group first; every byte but the leftmost carries the
  // continuation bit, so the value can be read from its last byte backwards.
  for (size_t i = 0; i < n; i++) {
    uint8_t group = uint8_t((uint64_t(len) >> (7 * (n - 1 - i))) & 127);
    buf_.push_back(char(i == 0 ? group : group | 128));
  }
}

void ListpackWriter::AddInt(int64_t v) {
  size_t start = buf_.size();
  if (v >= 0 && v <= 127) {
    buf_.push_back(char(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t uv = v < 0 ? uint64_t(v + 8192) : uint64_t(v);
    buf_.push_back(char(0xC0 | (uv >> 8)));
    buf_.push_back(char(uv & 0xFF));
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    buf_.push_back(char(0xF1));
    AppendLE(&buf_, int16_t(v));
  } else if (v >= -(int64_t(1) << 23) && v < (int64_t(1) << 23)) {
    buf_.push_back(char(0xF2));
    uint32_t uv = uint32_t(v);
    for (int i = 0; i < 3; i++) buf_.push_back(char(uv >> (8 * i)));
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    buf_.push_back(char(0xF3));
    AppendLE(&buf_, int32_t(v));
  } else {
    buf_.push_back(char(0xF4));
    AppendLE(&buf_, v);
  }
  AppendBacklen(buf_.size() - start);
  count_++;
}

void ListpackWriter::Add(std::string_view s) {
  if (s.size() <= 20) {
    if (std::optional<int64_t> v = ParseInt64(s)) {
      AddInt(*v);
      return;
    }
  }
  size_t start = buf_.size();
  size_t n = s.size();
  if (n < 64) {
    buf_.push_back(char(0x80 | n));
  } else if (n < 4096) {
    buf_.push_back(char(0xE0 | (n >> 8)));
    buf_.push_back(char(n & 0xFF));
  } else {
    buf_.push_back(char(0xF0));
    AppendLE(&buf_, uint32_t(n));
  }
  buf_.append(s);
  AppendBacklen(buf_.size() - start);
  count_++;
}

std::string_view ListpackWriter::Finish() {
  buf_.push_back(char(0xFF));
  StoreLE(buf_.data(), uint32_t(buf_.size()));
  StoreLE(buf_.data() + 4, uint16_t(std::min<size_t>(count_, 65535)));
  return buf_;
}

size_t ListpackWriter::EntrySize(std::string_view s) {
  size_t len;
  std::optional<int64_t> v;
  if (s.size() <= 20) v = ParseInt64(s);
  if (v) {
    int64_t x = *v;
    if (x >= 0 && x <= 127) {
      len = 1;
    } else if (x >= -4096 && x <= 4095) {
      len = 2;
    } else if (x >= INT16_MIN && x <= INT16_MAX) {
      len = 3;
    } else if (x >= -(int64_t(1) << 23) && x < (int64_t(1) << 23)) {
      len = 4;
    } else if (x >= INT32_MIN && x <= INT32_MAX) {
      len = 5;
    } else {
      len = 9;
    }
  } else {
    len = s.size() + (s.size() < 64 ? 1 : s.size() < 4096 ? 2 : 5);
  }
  return len + BacklenSize(len);
}

Status ParseListpack(std::string_view blob, std::vector<PackedItem>* out) {
  const auto* base = reinterpret_cast<const uint8_t*>(blob.data());
  size_t size = blob.size();
  if (size < 7) return Status::Error("Listpack too short");
  if (LoadLE<uint32_t>(base) != size) return Status::Error("Listpack size mismatch");
  if (base[size - 1] != 0xFF) return Status::Error("Listpack not terminated");
  uint16_t header_count = LoadLE<uint16_t>(base + 4);
  const uint8_t* end = base + size - 1;  // the terminator
  const uint8_t* p = base + 6;
  size_t count = 0;
  while (p < end) {
    PackedItem item;
    size_t len;
    if (!DecodeListpackEntry(p, end, &item, &len)) return Status::Error("Bad listpack entry");
    size_t bl = BacklenSize(len);
    if (size_t(end - p) - len < bl) return Status::Error("Listpack entry out of range");
    // The backlen, read from its last byte backwards, must give the entry size.
    const uint8_t* q = p + len + bl - 1;
    uint64_t v = 0;
    for (size_t i = 0;; i++) {
      if (i >= bl) return Status::Error("Bad listpack backlen");
      v |= uint64_t(*q & 127) << (7 * i);
      if (!(*q & 128)) break;
      q--;
    }
    if (v != len || q != p + len) return Status::Error("Bad listpack backlen");
    out->push_back(item);
    count++;
    p += len + bl;
  }
  if (header_count != 65535 && header_count != count) {
    return Status::Error("Listpack element count mismatch");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Ziplist (lists, hashes and zsets written by Redis 3.2 to 6.2)

Status ParseZiplist(std::string_view blob, std::vector<PackedItem>* out) {
  const auto* base = reinterpret_cast<const uint8_t*>(blob.data());
  size_t size = blob.size();
  constexpr size_t kHeader = 10;
  if (size < kHeader + 1) return Status::Error("Ziplist too short");
  if (LoadLE<uint32_t>(base) != size) return Status::Error("Ziplist size mismatch");
  if (base[size - 1] != 0xFF) return Status::Error("Ziplist not terminated");
  uint32_t tail = LoadLE<uint32_t>(base + 4);
  uint16_t header_count = LoadLE<uint16_t>(base + 8);
  size_t end = size - 1;
  size_t p = kHeader, last = kHeader, prev_len = 0, count = 0;
  while (p < end) {
    size_t avail = end - p;
    size_t prevlen, hs;
    if (base[p] < 254) {
      prevlen = base[p];
      hs = 1;
    } else if (base[p] == 254) {
      if (avail < 5) return Status::Error("Ziplist entry out of range");
      prevlen = LoadLE<uint32_t>(base + p + 1);
      hs = 5;
    } else {
      return Status::Error("Ziplist ends early");
    }
    if (prevlen != prev_len) return Status::Error("Bad ziplist prevlen");
    if (avail - hs < 1) return Status::Error("Ziplist entry out of range");
    const uint8_t* e = base + p + hs;
    size_t left = avail - hs;  // bytes from e to the terminator
    size_t eh;                 // encoding header bytes
    size_t dlen;               // data bytes
    PackedItem item;
    item.is_int = true;
    switch (e[0] >> 6) {
      case 0:
        eh = 1;
        dlen = e[0] & 0x3F;
        item.is_int = false;
        break;
      case 1:
        if (left < 2) return Status::Error("Ziplist entry out of range");
        eh = 2;
        dlen = size_t(e[0] & 0x3F) << 8 | e[1];
        item.is_int = false;
        break;
      case 2:
        if (left < 5) return Status::Error("Ziplist entry out of range");
        eh = 5;
        dlen = LoadBE32(e + 1);
        item.is_int = false;
        break;
      default:
        eh = 1;
        switch (e[0]) {
          case 0xC0:
            dlen = 2;
            break;
          case 0xD0:
            dlen = 4;
            break;
          case 0xE0:
            dlen = 8;
            break;
          case 0xF0:
            dlen = 3;
            break;
          case 0xFE:
            dlen = 1;
            break;
          default:
            if (e[0] >= 0xF1 && e[0] <= 0xFD) {
              dlen = 0;
              item.num = (e[0] & 0x0F) - 1;
              break;
            }
            return Status::Error("Bad ziplist entry encoding");
        }
    }
    if (left - eh < dlen) return Status::Error("Ziplist entry out of range");
    const uint8_t* d = e + eh;
    if (!item.is_int) {
      item.str = {reinterpret_cast<const char*>(d), dlen};
    } else if (dlen > 0) {
      switch (dlen) {
        case 1:
          item.num = int8_t(d[0]);
          break;
        case 2:
          item.num = LoadLE<int16_t>(d);
          break;
        case 3: {
          uint32_t uv = uint32_t(d[0]) | uint32_t(d[1]) << 8 | uint32_t(d[2]) << 16;
          item.num = int32_t(uv << 8) >> 8;
          break;
        }
        case 4:
          item.num = LoadLE<int32_t>(d);
          break;
        default:
          item.num = LoadLE<int64_t>(d);
          break;
      }
    }
    out->push_back(item);
    count++;
    last = p;
    prev_len = hs + eh + dlen;
    p += prev_len;
  }
  if (tail != last) return Status::Error("Bad ziplist tail offset");
  if (header_count != 65535 && header_count != count) {
    return Status::Error("Ziplist element count mismatch");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Intset and zipmap

Status ParseIntset(std::string_view blob, std::vector<int64_t>* out) {
  const auto* base = reinterpret_cast<const uint8_t*>(blob.data());
  if (blob.size() < 8) return Status::Error("Intset too short");
  uint32_t width = LoadLE<uint32_t>(base);
  uint32_t count = LoadLE<uint32_t>(base + 4);
  if (width != 2 && width != 4 && width != 8) return Status::Error("Bad intset encoding");
  if (uint64_t(count) * width + 8 != blob.size()) return Status::Error("Intset size mismatch");
  out->reserve(out->size() + count);
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t* p = base + 8 + size_t(i) * width;
    int64_t v = width == 2   ? LoadLE<int16_t>(p)
                : width == 4 ? LoadLE<int32_t>(p)
                             : LoadLE<int64_t>(p);
    if (i > 0 && v <= out->back()) return Status::Error("Intset not sorted or has duplicates");
    out->push_back(v);
  }
  return Status::Ok();
}

std::string EncodeIntset(std::span<const int64_t> sorted) {
  uint32_t width = 2;
  for (int64_t v : sorted) {
    if (v < INT32_MIN || v > INT32_MAX) {
      width = 8;
      break;
    }
    if (v < INT16_MIN || v > INT16_MAX) width = 4;
  }
  std::string out;
  out.reserve(8 + sorted.size() * width);
  AppendLE(&out, width);
  AppendLE(&out, uint32_t(sorted.size()));
  for (int64_t v : sorted) {
    if (width == 2) {
      AppendLE(&out, int16_t(v));
    } else if (width == 4) {
      AppendLE(&out, int32_t(v));
    } else {
      AppendLE(&out, v);
    }
  }
  return out;
}

Status ParseZipmap(std::string_view blob, std::vector<std::string_view>* out) {
  const auto* base = reinterpret_cast<const uint8_t*>(blob.data());
  size_t size = blob.size();
  if (size < 2) return Status::Error("Zipmap too short");
  if (base[size - 1] != 0xFF) return Status::Error("Zipmap not terminated");
  size_t end = size - 1;
  size_t p = 1, pairs = 0;
  // A length: one byte below 254, or 254 and four bytes LE.
  auto read_len = [&](size_t* len) {
    if (p >= end) return false;
    if (base[p] < 254) {
      *len = base[p++];
      return true;
    }
    if (base[p] == 255 || end - p < 5) return false;
    *len = LoadLE<uint32_t>(base + p + 1);
    p += 5;
    return true;
  };
  while (p < end) {
    size_t klen, vlen;
    if (!read_len(&klen) || end - p < klen) return Status::Error("Bad zipmap entry");
    std::string_view key(blob.data() + p, klen);
    p += klen;
    if (!read_len(&vlen) || p >= end) return Status::Error("Bad zipmap entry");
    size_t free_bytes = base[p++];
    if (end - p < vlen || end - p - vlen < free_bytes) return Status::Error("Bad zipmap entry");
    out->push_back(key);
    out->push_back(std::string_view(blob.data() + p, vlen));
    p += vlen + free_bytes;
    pairs++;
  }
  if (base[0] < 254 && base[0] != pairs) return Status::Error("Zipmap element count mismatch");
  return Status::Ok();
}

}  // namespace basalt::persistence

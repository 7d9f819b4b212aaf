// libFuzzer target for the Lua scripting engine (scripting::LuaEngine with its
// sandbox, redis API, struct/cmsgpack/cjson/bit libraries, and both RESP
// conversions). Built and run by fuzz/run.
//
// Input: two control bytes, then the script body, then up to 8 strings, each
// part separated by a 0xff byte:
//   byte 0, bit 0: the reply is written in RESP3 (else RESP2);
//           bit 1: the script calls redis.setresp(3) before the body runs
//                  (the host then answers redis.call in RESP3);
//           bit 2: the persistent engine (else a fresh one for this input);
//           bit 3: run the script a second time (cache hit, state left behind);
//           bits 4-7: how many of the strings are KEYS (the rest are ARGV);
//   byte 1: polls the script may take before the host stops it (1..64, modulo
//           64), about 10,000 Lua instructions each.
// The fake ScriptHost answers redis.call from canned RESP replies chosen by the
// command name and its arguments (see FakeHost::Call), in the RESP version the
// script asked for, so Reply->Lua sees every type, nested arrays and errors.
//
// Checked for every run:
//   - the reply is exactly one complete RESP value, of the builder's protocol
//     only (no RESP3 type in a RESP2 reply), with consistent lengths and
//     counts, simple strings and errors without CR/LF (a strict checker below;
//     RESP2 replies are also read back with protocol::ReplyReader);
//   - the Lua stack is back where it was and the engine has no host left;
//   - nothing escapes Run or LoadScript as an exception.
// Memory is bounded: the Lua allocator is wrapped with a 64 MiB cap (a failed
// allocation is a Lua "not enough memory" error, as real OOM would be) and the
// host stops a script whose state passes 32 MiB; inputs over 8 KiB are skipped.
// An exception escaping Run is accepted only right after the cap refused an
// allocation (that refusal is the fuzzer's, not a server condition).
//
// clang-format off
// fuzz-sources: src/scripting/lua_engine.cc src/scripting/lua_convert.cc src/scripting/lua_struct.cc src/scripting/lua_cmsgpack.cc src/protocol/reply_builder.cc src/protocol/reply_reader.cc
// fuzz-libs: -I/usr/include/lua5.1 /usr/lib/x86_64-linux-gnu/liblua5.1-cjson.a /usr/lib/x86_64-linux-gnu/liblua5.1-bitop.a /usr/lib/x86_64-linux-gnu/liblua5.1-c++.a -lcrypto -ldl -lm
// fuzz-seed: \x00\x10local c = redis.call('INCR', KEYS[1])\nif c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end\nreturn c\xffrate:1\xff60
// fuzz-seed: \x13\x10return {redis.call('HGETALL', KEYS[1]), redis.call('SMEMBERS', 'x'), redis.call('DOUBLE', '3.5'), redis.call('BOOL', 'f'), redis.call('VERBATIM', 'hi'), redis.call('BIGNUM', '123456789012345678901234567890'), redis.call('GET', 'nil')}\xffh
// fuzz-seed: \x02\x04local t = redis.call('NESTED', '5') return {t, {double=1.5}, {big_number='12'}, {map={a=1,b={1,2}}}, {set={x=true}}, {verbatim_string={format='txt', string='a\\r\\nb'}}, true, false, nil}
// fuzz-seed: \x01\x02while true do end
// fuzz-seed: \x00\x08local ok, e = pcall(redis.call, 'ERR', 'x') return {ok, e, redis.pcall('WRONGTYPE'), redis.error_reply('MY err'), redis.status_reply('fine')}
// fuzz-seed: \x08\x20return cjson.encode({KEYS, ARGV, cmsgpack.unpack(cmsgpack.pack({1, 'a', {b=2}})), struct.pack('>i4s', 7, ARGV[1]), bit.bxor(5, 3), redis.sha1hex(ARGV[1])})\xffk\xffvalue
// fuzz-seed: \x01\x04redis.setresp(3) return redis.call('HGETALL', 'h')
// fuzz-seed: \x00\x04#!lua flags=no-writes\nreturn redis.call('LRANGE', 'a', 'nil', 'c')
// fuzz-seed: \x04\x04local s = string.rep('x', 1024) for i = 1, 20 do s = s .. s end return #s
// fuzz-seed: \x01\x04return redis.call('RAW', '*2\\r\\n:1\\r\\n$3\\r\\nabc\\r\\n')
// fuzz-seed: \x01\x04return redis.pcall('RAW', '|9223372036854775807\\r\\n+a\\r\\n+b\\r\\n:1\\r\\n')
// fuzz-seed: \x00\x04local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(redis.call('PING')) end end) return {co(), co(), tostring(math.random())}
// fuzz-seed: \x01\x04return {{verbatim_string={format='', string='ab'}}, {verbatim_string={format='m\\0x', string=''}}}
// fuzz-seed: \x10\x04return {struct.unpack('<i2>I4bBhHlLfdc0s', ARGV[1])}, struct.size('!4i3'), struct.pack('<d', 1.5)\xff\x01\x02\x00\x00\x00\x05\x80\x81\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x03abc
// fuzz-seed: \x01\x04return {cmsgpack.unpack(ARGV[1])}\xff\x93\x01\xa1a\x82\xa1b\xc3\xa1c\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xdc\x00\x01\xc0
// fuzz-seed: \x00\x04return cjson.encode(cjson.decode(ARGV[1]))\xff{"a":[1,2.5,{"b":null,"c":"\\u00e9"}],"d":true}
// fuzz-seed: \x01\x04local t = {} local c = t for i = 1, 1100 do c[1] = {} c = c[1] end return t
// fuzz-seed: \x03\x04return {redis.call('RAW', ARGV[1]), redis.pcall('RAW', ARGV[2])}\xff%2\r\n_\r\n:1\r\n~1\r\n#f\r\n*1\r\n\xff|1\r\n+a\r\n+b\r\n*-1\r\n
// fuzz-seed: \x00\x04local ok, e = pcall(error, {err='X y'}) local ok2, e2 = pcall(error) return {tostring(ok), e, tostring(e2), redis.pcall(), pcall(redis.call, {}), loadstring(ARGV[1])()}\xffreturn 7
// fuzz-seed: \x00\x04redis.log(redis.LOG_WARNING, 'w', 1, nil) redis.set_repl(redis.REPL_ALL) return {redis.sha1hex(''), pcall(redis.set_repl, redis.REPL_AOF), pcall(redis.setresp, 4), redis.REDIS_VERSION}
// fuzz-seed: \x01\x04error({err='CUSTOM boom\r\nsecond line'})
// fuzz-seed: \x02\x04return {{double=0/0}, {double=1/0}, {double=-1/0}, {big_number='1\r\n2'}, {ok='a\nb'}, {err=''}, 2^63, -2^63, 0/0, 3.99, {map={[1]=false, [true]={set={[2.5]=true}}}}}
// fuzz-seed: \x00\x04local s = string.rep('ab', 4096) return {#string.format('%q', s), s:find('(a)(b)'), string.gsub('hello', 'l+', function(x) return redis.call('PING').ok end)}
// fuzz-seed: \x00\x04return {pcall(redis.setresp, 0/0), pcall(redis.set_repl, -1e300), pcall(redis.log, 1e10, 'x'), pcall(redis.setresp, 3.5)}
// fuzz-seed: \x00\x04return {redis.pcall('RAW', ARGV[1]), redis.pcall('RAW', ARGV[2]), redis.pcall('RAW', ARGV[3])}\xff$9223372036854775807\r\nab\r\n\xff*9223372036854775807\r\n:1\r\n\xff$-1\r\n
// clang-format on

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "protocol/reply_reader.h"
#include "scripting/lua_engine.h"

extern "C" {
#include <lua.h>
}

namespace {

using basalt::protocol::ReplyBuilder;
using basalt::protocol::ReplyReader;
using basalt::scripting::LuaEngine;
using basalt::scripting::ScriptHost;

constexpr size_t kMaxInput = 8 * 1024;
constexpr size_t kAllocCap = 64u << 20;
constexpr size_t kPollStopMemory = 32u << 20;

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) {
    std::fprintf(stderr, "check failed: %s\n", what);
    if (!detail.empty()) {
      std::fprintf(stderr, "reply (%zu bytes): ", detail.size());
      for (unsigned char c : detail.substr(0, 2000)) {
        if (c >= 0x20 && c < 0x7f) {
          std::fputc(c, stderr);
        } else {
          std::fprintf(stderr, "\\x%02x", c);
        }
      }
      std::fputc('\n', stderr);
    }
    std::abort();
  }
}

// --- The allocation cap ---

struct CappedAlloc {
  lua_Alloc inner = nullptr;
  void* inner_ud = nullptr;
  int64_t total = 0;
  bool refused = false;  // the cap refused an allocation since the last reset
};

void* Capped(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* a = static_cast<CappedAlloc*>(ud);
  if (nsize > osize && a->total + int64_t(nsize - osize) > int64_t(kAllocCap)) {
    a->refused = true;
    return nullptr;
  }
  void* p = a->inner(a->inner_ud, ptr, osize, nsize);
  if (p != nullptr || nsize == 0) a->total += int64_t(nsize) - int64_t(ptr ? osize : 0);
  return p;
}

struct Engine {
  LuaEngine engine{LuaEngine::Kind::kEval};
  CappedAlloc alloc;
  int uses = 0;
  Engine() {
    lua_State* L = engine.state();
    alloc.inner = lua_getallocf(L, &alloc.inner_ud);
    alloc.total = int64_t(engine.memory());
    lua_setallocf(L, Capped, &alloc);
  }
};

// --- A strict RESP checker ---

class RespChecker {
 public:
  RespChecker(std::string_view s, int resp) : s_(s), resp_(resp) {}
  // True if s_ is exactly one well-formed value; max_depth() is its nesting.
  bool CheckOne() { return Value(0) && pos_ == s_.size(); }
  int max_depth() const { return max_depth_; }
  const char* why() const { return why_; }

 private:
  bool Fail(const char* why) {
    why_ = why;
    return false;
  }
  bool Line(std::string_view* line) {
    size_t end = s_.find("\r\n", pos_);
    if (end == std::string_view::npos) return Fail("unterminated line");
    *line = s_.substr(pos_, end - pos_);
    pos_ = end + 2;
    if (line->find_first_of("\r\n") != std::string_view::npos) return Fail("CR or LF in a line");
    return true;
  }
  static bool Int(std::string_view s, int64_t* v) {
    if (s.empty() || s.size() > 20) return false;
    std::string t(s);
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(t.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || t[0] == '+' || t[0] == ' ') return false;
    *v = x;
    return true;
  }
  bool Value(int depth) {
    if (depth > max_depth_) max_depth_ = depth;
    if (pos_ >= s_.size()) return Fail("missing value");
    char type = s_[pos_++];
    std::string_view line;
    if (!Line(&line)) return false;
    bool resp3 = resp_ == 3;
    int64_t n;
    switch (type) {
      case '+':
      case '-':
        return true;
      case ':':
        return Int(line, &n) || Fail("bad integer");
      case '$':
      case '=': {
        if (type == '=' && !resp3) return Fail("verbatim in RESP2");
        if (!Int(line, &n)) return Fail("bad bulk length");
        if (n == -1 && type == '$' && !resp3) return true;
        if (n < 0) return Fail("negative bulk length");
        if (s_.size() - pos_ < size_t(n) + 2) return Fail("short bulk");
        if (s_.compare(pos_ + size_t(n), 2, "\r\n") != 0) return Fail("bulk not followed by CRLF");
        if (type == '=' && (n < 4 || s_[pos_ + 3] != ':')) return Fail("bad verbatim prefix");
        pos_ += size_t(n) + 2;
        return true;
      }
      case '*':
      case '%':
      case '~':
      case '>': {
        if (type != '*' && !resp3) return Fail("RESP3 aggregate in RESP2");
        if (!Int(line, &n)) return Fail("bad aggregate length");
        if (n == -1 && type == '*' && !resp3) return true;
        if (n < 0) return Fail("negative aggregate length");
        int64_t items = type == '%' ? 2 * n : n;
        for (int64_t i = 0; i < items; i++) {
          if (!Value(depth + 1)) return false;
        }
        return true;
      }
      case '_':
        if (!resp3) return Fail("RESP3 null in RESP2");
        return line.empty() || Fail("text after _");
      case '#':
        if (!resp3) return Fail("boolean in RESP2");
        return line == "t" || line == "f" || Fail("bad boolean");
      case ',': {
        if (!resp3) return Fail("double in RESP2");
        if (line == "inf" || line == "-inf" || line == "nan" || line == "-nan") return true;
        std::string t(line);
        char* end = nullptr;
        std::strtod(t.c_str(), &end);
        return (!t.empty() && *end == '\0') || Fail("bad double");
      }
      case '(':
        // Redis writes a script's big_number as given (newlines blanked).
        return resp3 || Fail("big number in RESP2");
      default:
        return Fail("unknown type byte");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  int resp_;
  int max_depth_ = 0;
  const char* why_ = "";
};

void CheckReply(const std::string& out, int resp) {
  RespChecker checker(out, resp);
  Check(checker.CheckOne(), checker.why(), out);
  if (resp == 2 && checker.max_depth() <= ReplyReader::kMaxDepth) {
    ReplyReader reader;
    reader.Feed(out);
    basalt::protocol::Reply r;
    Check(reader.Next(&r) == ReplyReader::Result::kReply, "ReplyReader reads the reply", out);
    Check(reader.buffered() == 0, "ReplyReader consumes the reply", out);
  }
}

// --- The fake host ---

class FakeHost : public ScriptHost {
 public:
  FakeHost(int poll_budget, const Engine* engine) : budget_(poll_budget), engine_(engine) {}

  void Call(std::span<const std::string_view> args, int resp, std::string* reply) override {
    Check(!args.empty(), "Call with no arguments");
    Check(resp == 2 || resp == 3, "Call resp is 2 or 3");
    ReplyBuilder rb(reply, resp);
    std::string name(args[0]);
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string_view a1 = args.size() > 1 ? args[1] : std::string_view();
    // Unknown names pick a canned reply by their length, so any name reaches all.
    static const char* const kNames[] = {"ping",    "get",     "set",    "incr",   "lrange",
                                         "nested",  "hgetall", "smembers", "double", "bool",
                                         "verbatim", "bignum", "err",    "wrongtype", "null",
                                         "attr",    "raw",     "push",   "bare"};
    constexpr size_t kCount = sizeof(kNames) / sizeof(kNames[0]);
    size_t which = kCount;
    for (size_t i = 0; i < kCount; i++) {
      if (name == kNames[i]) which = i;
    }
    if (which == kCount) which = name.size() % kCount;
    switch (which) {
      case 0:
        rb.SimpleString("PONG");
        break;
      case 1:
        if (a1.empty() || a1 == "nil") {
          rb.Null();
        } else {
          rb.Bulk(a1);
        }
        break;
      case 2:
        rb.Ok();
        break;
      case 3: {
        int64_t v = int64_t(args.size());
        if (!a1.empty()) v = std::strtoll(std::string(a1).c_str(), nullptr, 10);
        rb.Integer(v);
        break;
      }
      case 4:
        rb.ArrayHeader(args.size() - 1);
        for (size_t i = 1; i < args.size(); i++) {
          if (args[i] == "nil") {
            rb.Null();
          } else {
            rb.Bulk(args[i]);
          }
        }
        break;
      case 5: {
        int depth = a1.empty() ? 3 : std::atoi(std::string(a1).c_str()) % 40;
        if (depth < 0) depth = -depth;
        for (int i = 0; i < depth; i++) {
          rb.ArrayHeader(i % 3 == 0 ? 2 : 1);
          if (i % 3 == 0) rb.Integer(i);
        }
        rb.Bulk("leaf");
        break;
      }
      case 6:
        rb.MapHeader(3);
        rb.Bulk("f1");
        rb.Bulk(a1);
        rb.Integer(42);
        rb.Null();
        rb.Bulk("nested");
        rb.ArrayHeader(2);
        rb.Double(2.5);
        rb.Bool(true);
        break;
      case 7:
        rb.SetHeader(args.size());
        for (size_t i = 0; i < args.size(); i++) rb.Bulk(args[i]);
        break;
      case 8: {
        double d = a1.empty() ? 1.5 : std::strtod(std::string(a1).c_str(), nullptr);
        rb.Double(d);
        break;
      }
      case 9:
        rb.Bool(a1 != "f");
        break;
      case 10:
        rb.Verbatim(a1);
        break;
      case 11:
        if (resp == 3) {
          reply->append("(").append(a1.empty() ? "1234567890123456789012345678901234567890" : "-1");
          reply->append("\r\n");
        } else {
          rb.Bulk("1234567890123456789012345678901234567890");
        }
        break;
      case 12:
        rb.Error("ERR unknown command '" + std::string(args[0]) + "'");
        break;
      case 13:
        rb.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
        break;
      case 14:
        rb.NullArray();
        break;
      case 15:
        if (resp == 3) reply->append("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.5\r\n");
        rb.Bulk(a1);
        break;
      case 16:
        // Not a valid reply in general: what PushReply does with garbage.
        reply->append(a1);
        break;
      case 17:
        rb.PushHeader(2);
        rb.Bulk("message");
        rb.Integer(-1);
        break;
      default:
        reply->append(a1.empty() ? "-oops\r\n" : "-\r\n");
        break;
    }
  }

  const char* SetReplication(int flags) override {
    Check(flags >= 0 && flags <= 3, "set_repl flags in range");
    return flags == 1 ? "ERR fuzz refuses REPL_AOF" : nullptr;
  }
  void Log(int level, std::string_view) override {
    Check(level >= 0 && level <= 3, "log level in range");
  }
  int AclCheck(std::span<const std::string_view> args) override {
    Check(!args.empty(), "acl_check_cmd has a command");
    return args[0] == "nosuch" ? -1 : int(args.size() % 2);
  }
  const char* Poll() override {
    polls_++;
    if (polls_ > budget_) return "ERR Script killed by user with SCRIPT KILL...";
    if (engine_->engine.memory() > kPollStopMemory) return "ERR fuzz: script memory over 32 MiB";
    return nullptr;
  }

 private:
  int budget_;
  int polls_ = 0;
  const Engine* engine_;
};

std::unique_ptr<Engine> g_persistent;

}  // namespace

// The persistent engine keeps allocations from one input to the next, so
// libFuzzer's per-input leak check (a full LeakSanitizer scan whenever an input
// allocated more than it freed) would run after most inputs and cut the speed
// about 30 times. It is turned off here unless the command line sets it; the
// engine's own leaks still show in LeakSanitizer's report at exit.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  static std::vector<char*> args;
  bool given = false;
  for (int i = 0; i < *argc; i++) {
    args.push_back((*argv)[i]);
    given = given || std::strncmp((*argv)[i], "-detect_leaks=", 14) == 0;
  }
  static char kNoLeakCheck[] = "-detect_leaks=0";
  if (!given) args.push_back(kNoLeakCheck);
  args.push_back(nullptr);
  *argc = int(args.size()) - 1;
  *argv = args.data();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > kMaxInput) return 0;
  const uint8_t mode = data[0];
  const int poll_budget = 1 + data[1] % 64;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<std::string_view> parts;
  while (parts.size() < 9) {
    size_t sep = rest.find('\xff');
    parts.push_back(rest.substr(0, sep));
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + 1);
  }
  std::string body(parts[0]);
  if (mode & 2) body.insert(0, "redis.setresp(3) ");
  std::vector<std::string_view> strings(parts.begin() + 1, parts.end());
  size_t nkeys = std::min<size_t>(mode >> 4, strings.size());
  std::span<const std::string_view> keys(strings.data(), nkeys);
  std::span<const std::string_view> argv(strings.data() + nkeys, strings.size() - nkeys);
  const int rb_resp = (mode & 1) ? 3 : 2;

  std::unique_ptr<Engine> fresh;
  Engine* e;
  if (mode & 4) {
    if (!g_persistent || g_persistent->uses >= 1000 ||
        g_persistent->engine.script_count() >= 200) {
      g_persistent.reset();
      g_persistent = std::make_unique<Engine>();
    }
    e = g_persistent.get();
    e->uses++;
  } else {
    fresh = std::make_unique<Engine>();
    e = fresh.get();
  }
  lua_State* L = e->engine.state();
  e->alloc.refused = false;

  // Anything escaping the engine is a bug, unless the fuzzer's own cap just
  // refused an allocation outside the script's pcall; then the engine is dropped.
  auto drop_after_cap = [&]() {
    Check(e->alloc.refused, "an exception escaped the engine");
    if (e == g_persistent.get()) g_persistent.reset();
  };

  std::string sha;
  const LuaEngine::Script* script = nullptr;
  try {
    auto loaded = e->engine.LoadScript(body, &sha);
    if (!loaded.ok()) {
      Check(loaded.status().message().rfind("ERR ", 0) == 0, "compile error starts with ERR");
      Check(lua_gettop(L) == 0, "stack balanced after a compile error");
      return 0;
    }
    script = *loaded;
    Check(sha.size() == 40, "sha1 hex length");
    Check(e->engine.FindScript(sha) == script, "FindScript finds the loaded script");
  } catch (...) {
    drop_after_cap();
    return 0;
  }

  const int runs = (mode & 8) ? 2 : 1;
  for (int run = 0; run < runs; run++) {
    FakeHost host(poll_budget, e);
    std::string out;
    ReplyBuilder rb(&out, rb_resp);
    try {
      e->engine.Run(script->ref, "f_" + sha, false, keys, argv, host, rb);
    } catch (...) {
      drop_after_cap();
      return 0;
    }
    CheckReply(out, rb_resp);
    Check(lua_gettop(L) == 0, "stack balanced after Run");
    Check(e->engine.host() == nullptr, "no host after Run");
  }
  if (e == g_persistent.get()) {
    lua_gc(L, LUA_GCCOLLECT, 0);
    if (e->engine.memory() > (8u << 20)) g_persistent.reset();
  }
  return 0;
}

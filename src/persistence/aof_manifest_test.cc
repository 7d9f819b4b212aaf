#include "persistence/aof_manifest.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace basalt::persistence {
namespace {

using namespace std::string_literals;

// The error message of a parse that must fail.
std::string ParseError(std::string_view text) {
  auto m = AofManifest::Parse(text);
  EXPECT_FALSE(m.ok()) << "parsed: " << text;
  return m.ok() ? "" : m.status().message();
}

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

TEST(AofManifestTest, ParsesWhatRedisWrites) {
  // Written by redis-server 7.0.15 after two BGREWRITEAOFs with
  // aof-disable-auto-gc yes.
  const std::string text =
      "file appendonly.aof.4.base.aof seq 4 type b\n"
      "file appendonly.aof.3.incr.aof seq 3 type h\n"
      "file appendonly.aof.3.base.aof seq 3 type h\n"
      "file appendonly.aof.2.incr.aof seq 2 type h\n"
      "file appendonly.aof.2.base.rdb seq 2 type h\n"
      "file appendonly.aof.4.incr.aof seq 4 type i\n";
  auto m = AofManifest::Parse(text);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE(m->base.has_value());
  EXPECT_EQ(m->base->name, "appendonly.aof.4.base.aof");
  EXPECT_EQ(m->base->seq, 4);
  EXPECT_EQ(m->base->type, AofFileType::kBase);
  ASSERT_EQ(m->history.size(), 4u);
  EXPECT_EQ(m->history[0].name, "appendonly.aof.3.incr.aof");
  EXPECT_EQ(m->history[3].name, "appendonly.aof.2.base.rdb");
  EXPECT_EQ(m->history[3].type, AofFileType::kHistory);
  ASSERT_EQ(m->incr.size(), 1u);
  EXPECT_EQ(m->incr[0].seq, 4);
  EXPECT_EQ(m->cur_base_seq, 4);
  EXPECT_EQ(m->cur_incr_seq, 4);
  EXPECT_EQ(m->Format(), text);
}

TEST(AofManifestTest, FormatQuotesLikeRedis) {
  // redis-server 7.0.15 --appendfilename $'a b"c\'d\te\x01\xff.aof'
  AofManifest m;
  const std::string prefix = "a b\"c'd\te\x01\xff.aof"s;
  m.base = AofFileInfo{AofManifest::BaseName(prefix, 1, true), 1, AofFileType::kBase};
  m.incr.push_back({AofManifest::IncrName(prefix, 1), 1, AofFileType::kIncr});
  const std::string expected =
      "file \"a b\\\"c'd\\te\\x01\\xff.aof.1.base.rdb\" seq 1 type b\n"
      "file \"a b\\\"c'd\\te\\x01\\xff.aof.1.incr.aof\" seq 1 type i\n";
  EXPECT_EQ(m.Format(), expected);
  auto back = AofManifest::Parse(expected);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->base->name, prefix + ".1.base.rdb");
  EXPECT_EQ(back->incr[0].name, prefix + ".1.incr.aof");

  // Bare: printable bytes other than '"' and '\', including quote and '#'.
  EXPECT_EQ(AofManifest::QuoteName("a'b.aof"), "a'b.aof");
  EXPECT_EQ(AofManifest::QuoteName("a#b{}.aof"), "a#b{}.aof");
  EXPECT_EQ(AofManifest::QuoteName("a\x7f"), "\"a\\x7f\"");
  EXPECT_EQ(AofManifest::QuoteName("\\"), "\"\\\\\"");
  EXPECT_EQ(AofManifest::QuoteName("\n\r\a\b\v"), "\"\\n\\r\\a\\b\\x0b\"");
  EXPECT_EQ(AofManifest::QuoteName("a\0b"s), "\"a\\x00b\"");
}

TEST(AofManifestTest, RoundTripsEveryByte) {
  for (int c = 1; c < 256; ++c) {
    // Redis writes a quote bare and cannot read it back (see below); it
    // rejects paths.
    if (c == '\'' || c == '/' || c == '\\') continue;
    AofManifest m;
    m.incr.push_back({"x"s + char(c) + "y", 7, AofFileType::kIncr});
    auto back = AofManifest::Parse(m.Format());
    ASSERT_TRUE(back.ok()) << c << ": " << back.status().message();
    ASSERT_EQ(back->incr.size(), 1u);
    EXPECT_EQ(back->incr[0].name, m.incr[0].name) << c;
  }
  // As Redis 7.0.15: "Invalid AOF manifest file format" for its own output.
  EXPECT_TRUE(StartsWith(ParseError("file a'b.aof.1.base.rdb seq 1 type b\n"),
                         "Invalid AOF manifest file format (line 1: "));
  EXPECT_TRUE(StartsWith(ParseError("file a/b seq 1 type b\n"), "File can't be a path"));
}

TEST(AofManifestTest, Names) {
  EXPECT_EQ(AofManifest::BaseName("appendonly.aof", 1, true), "appendonly.aof.1.base.rdb");
  EXPECT_EQ(AofManifest::BaseName("appendonly.aof", 12, false), "appendonly.aof.12.base.aof");
  EXPECT_EQ(AofManifest::IncrName("appendonly.aof", 3), "appendonly.aof.3.incr.aof");
  EXPECT_EQ(AofManifest::ManifestName("appendonly.aof"), "appendonly.aof.manifest");
}

// Each case below was checked against redis-server 7.0.15 (accepted: it went
// on to open the named file).
TEST(AofManifestTest, AcceptsWhatRedisAccepts) {
  struct Case {
    std::string text;
    std::optional<int64_t> base_seq;  // nullopt: no base
    size_t incr_count;
  };
  const Case cases[] = {
      {"# comment\nfile x seq 1 type b\n", 1, 0},
      {"#", std::nullopt, 0},
      {"# c\n", std::nullopt, 0},
      {"file x seq 1 type b\n# no newline", 1, 0},
      {"file x seq 1 type base\n", 1, 0},       // only the first byte of type counts
      {"file x seq -1 type b\n", -1, 0},        // any non-zero seq for a base
      {"file x seq 12abc type b\n", 12, 0},     // atoll
      {"file x seq 1 type b foo bar\n", 1, 0},  // unknown keys ignored
      {"file x seq 1 type b\r\n", 1, 0},
      {"FILE x SEQ 1 TYPE b\n", 1, 0},
      {"file \"x\" seq 1 type b\n", 1, 0},
      {"seq 1 type b file 'a\"b'\n", 1, 0},
      {"file \"\" seq 1 type b\n", 1, 0},
      {"file a seq 2 seq 1 type i\nfile b seq 2 type i\n", std::nullopt, 2},  // last key wins
      {"file a seq 1 type h\nfile b seq 1 type h\n", std::nullopt, 0},
      {"file a seq 3 type b\nfile b seq 1 type i\n", 3, 1},
      {"file b seq 1 type i\n", std::nullopt, 1},
  };
  for (const Case& c : cases) {
    auto m = AofManifest::Parse(c.text);
    ASSERT_TRUE(m.ok()) << c.text << ": " << m.status().message();
    ASSERT_EQ(m->base.has_value(), c.base_seq.has_value()) << c.text;
    if (c.base_seq) {
      EXPECT_EQ(m->base->seq, *c.base_seq) << c.text;
    }
    EXPECT_EQ(m->incr.size(), c.incr_count) << c.text;
  }
  auto sat = AofManifest::Parse("file x seq 99999999999999999999 type b\n");
  ASSERT_TRUE(sat.ok());
  EXPECT_EQ(sat->base->seq, INT64_MAX);
  auto last = AofManifest::Parse("file a seq 3 type i file z\n");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->incr[0].name, "z");
}

TEST(AofManifestTest, RejectsWhatRedisRejects) {
  EXPECT_EQ(ParseError(""), "Found an empty AOF manifest");
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::string kInvalid = "Invalid AOF manifest file format";
  const std::string kPath = "File can't be a path, just a filename";
  const Case cases[] = {
      {"\nfile x seq 1 type b\n", kInvalid + " (line 1: '')"},
      {"  \nfile x seq 1 type b\n", kInvalid + " (line 1: '')"},
      {"# c\n\n", kInvalid + " (line 2: '')"},
      {"  # c\n", kInvalid + " (line 1: '# c')"},
      {"file x seq 1\n", kInvalid + " (line 1: 'file x seq 1')"},
      {"file x type b\n", kInvalid + " (line 1: 'file x type b')"},
      {"seq 1 type b\n", kInvalid + " (line 1: 'seq 1 type b')"},
      {"file x seq abc type b\n", kInvalid + " (line 1: 'file x seq abc type b')"},
      {"file x seq 0 type b\n", kInvalid + " (line 1: 'file x seq 0 type b')"},
      {"file x seq 0 type z\n", kInvalid + " (line 1: 'file x seq 0 type z')"},
      {"file x seq 1 type b foo\n", kInvalid + " (line 1: 'file x seq 1 type b foo')"},
      {"file x seq 1 type \"\"\n", kInvalid + " (line 1: 'file x seq 1 type \"\"')"},
      {"file x seq 1 type b \"\"\n", kInvalid + " (line 1: 'file x seq 1 type b \"\"')"},
      {"file \"x seq 1 type b\n", kInvalid + " (line 1: 'file \"x seq 1 type b')"},
      {"file x seq 1 type z\nfile y\n", "Unknown AOF file type (line 1: 'file x seq 1 type z')"},
      {"file a seq 1 type b\nfile a seq 1 type b\n",
       "Found duplicate base file information (line 2: 'file a seq 1 type b')"},
      {"file a seq 2 type i\nfile b seq 1 type i\n",
       "Found a non-monotonic sequence number (line 2: 'file b seq 1 type i')"},
      {"file a seq 2 type i\nfile b seq 2 type i\n",
       "Found a non-monotonic sequence number (line 2: 'file b seq 2 type i')"},
      {"file a seq -1 type i\n",
       "Found a non-monotonic sequence number (line 1: 'file a seq -1 type i')"},
      {"file x seq 1 type b", "The AOF manifest file contains too long line (line 1)"},
      {"file x\0 seq 1 type b\n"s, "The AOF manifest file contains too long line (line 1)"},
      {"file x seq 1 type b\n\0"s, "The AOF manifest file contains too long line (line 2)"},
      {"file b seq 1 type i\n\0\n"s, "The AOF manifest file contains too long line (line 2)"},
      {"file x seq 1 type b\r", "The AOF manifest file contains too long line (line 1)"},
      {"file x seq 1 type b x\n", kInvalid + " (line 1: 'file x seq 1 type b x')"},
      {"a b c d\n", kInvalid + " (line 1: 'a b c d')"},
      {"file a/b seq 1\n", kInvalid + " (line 1: 'file a/b seq 1')"},
      {"file a/b seq 1 type b seq\n", kInvalid + " (line 1: 'file a/b seq 1 type b seq')"},
      {"file a/b seq 1 type b\n", kPath + " (line 1: 'file a/b seq 1 type b')"},
      {"file a\\b seq 1 type b\n", kPath + " (line 1: 'file a\\b seq 1 type b')"},
      {"file \"a\\\\b\" seq 1 type b\n", kPath + " (line 1: 'file \"a\\\\b\" seq 1 type b')"},
      {"seq 0 file a/b type z\n", kPath + " (line 1: 'seq 0 file a/b type z')"},
      {"file a/b file c seq 1 type b\n", kPath + " (line 1: 'file a/b file c seq 1 type b')"},
      {"file x seq 1 type b\nfile x/ seq 2 type i\n", kPath + " (line 2: 'file x/ seq 2 type i')"},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseError(c.text), c.reason) << c.text;
}

TEST(AofManifestTest, LineLengthLimit) {
  // Redis reads 1024-byte pieces: a 1023-byte line plus its newline fits.
  auto line = [](size_t len) { return "file " + std::string(len - 18, 'x') + " seq 1 type b"; };
  ASSERT_EQ(line(1023).size(), 1023u);
  EXPECT_TRUE(AofManifest::Parse(line(1023) + "\n").ok());
  EXPECT_EQ(ParseError(line(1024) + "\n"), "The AOF manifest file contains too long line (line 1)");
  // A comment is skipped piece by piece: the rest of a long one is a line.
  EXPECT_TRUE(AofManifest::Parse("#" + std::string(1022, 'x') + "\n").ok());
  EXPECT_EQ(ParseError("#" + std::string(1023, 'x') + "\n"),
            "Invalid AOF manifest file format (line 2: '')");
  EXPECT_TRUE(StartsWith(ParseError("#" + std::string(1100, 'x') + "\nfile x seq 1 type b\n"),
                         "Invalid AOF manifest file format (line 2: 'xxxx"));
}

TEST(AofManifestTest, FormatOrderAndEmpty) {
  AofManifest m;
  EXPECT_EQ(m.Format(), "");
  m.incr.push_back({"i2", 2, AofFileType::kIncr});
  m.history.push_back({"h1", 1, AofFileType::kHistory});
  m.base = AofFileInfo{"b2", 2, AofFileType::kBase};
  EXPECT_EQ(m.Format(), "file b2 seq 2 type b\nfile h1 seq 1 type h\nfile i2 seq 2 type i\n");
}

}  // namespace
}  // namespace basalt::persistence

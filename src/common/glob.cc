#include "common/glob.h"

#include <cstddef>
#include <utility>

namespace basalt {
namespace {

unsigned char Fold(unsigned char c, bool nocase) {
  return (nocase && c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// Evaluates the bracket class whose body starts at pat[i] (just past the '[')
// against byte c. Stores the index just past the class in *next.
bool MatchClass(std::string_view pat, size_t i, unsigned char c, bool nocase, size_t* next) {
  const size_t n = pat.size();
  bool negate = false;
  if (i < n && pat[i] == '^') {
    negate = true;
    ++i;
  }
  c = Fold(c, nocase);
  bool hit = false;
  while (i < n) {
    const unsigned char pc = static_cast<unsigned char>(pat[i]);
    if (pc == '\\' && i + 1 < n) {
      hit |= Fold(static_cast<unsigned char>(pat[i + 1]), nocase) == c;
      i += 2;
    } else if (pc == ']') {
      ++i;
      break;
    } else if (i + 2 < n && pat[i + 1] == '-') {
      // Range ends compare as signed chars, as redis-server does on x86/ARM
      // Linux: [\x01-\xfe] is the range -2..1, i.e. {0xfe, 0xff, 0x00, 0x01}.
      int lo = static_cast<signed char>(Fold(pc, nocase));
      int hi = static_cast<signed char>(Fold(static_cast<unsigned char>(pat[i + 2]), nocase));
      if (lo > hi) std::swap(lo, hi);
      const int sc = static_cast<signed char>(c);
      hit |= sc >= lo && sc <= hi;
      i += 3;
    } else {
      hit |= Fold(pc, nocase) == c;
      ++i;
    }
  }
  // Falling off the end leaves the class unterminated: it simply ends there.
  *next = i;
  return hit != negate;
}

// redis-server gives up (no match) on patterns whose matching would go deeper
// than this many '*' groups; every match passes through all of them, so that
// means any pattern with more non-trailing groups never matches there.
constexpr size_t kMaxStarGroups = 1000;

// Counts runs of '*' that are followed by something else, skipping escaped
// bytes and the bodies of [...] classes where '*' is literal.
size_t CountInnerStarGroups(std::string_view pat) {
  const size_t n = pat.size();
  size_t groups = 0;
  size_t i = 0;
  while (i < n) {
    if (pat[i] == '*') {
      while (i < n && pat[i] == '*') ++i;
      if (i < n) ++groups;
    } else if (pat[i] == '\\') {
      i += 2;
    } else if (pat[i] == '[') {
      MatchClass(pat, i + 1, 0, false, &i);
    } else {
      ++i;
    }
  }
  return groups;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  // Redis quirk kept on purpose: an empty subject matches only the empty
  // pattern, not even "*" (KEYS and SCAN special-case a lone "*" themselves).
  if (str.empty()) return pattern.empty();
  if (CountInnerStarGroups(pattern) > kMaxStarGroups) return false;
  const size_t pn = pattern.size();
  const size_t sn = str.size();
  size_t p = 0;
  size_t s = 0;
  // Backtrack point: the pattern index just past the latest '*' run, and the
  // string index that star currently stops at. Every non-star token consumes
  // exactly one byte, so retrying only from the latest star is complete: any
  // match an earlier star could find, the latest one can find too.
  bool have_star = false;
  size_t star_p = 0;
  size_t star_s = 0;

  while (true) {
    if (p < pn) {
      const unsigned char pc = static_cast<unsigned char>(pattern[p]);
      if (pc == '*') {
        while (p < pn && pattern[p] == '*') ++p;
        if (p == pn) return true;
        have_star = true;
        star_p = p;
        star_s = s;
        continue;
      }
      if (s < sn) {
        const unsigned char sc = static_cast<unsigned char>(str[s]);
        bool ok;
        size_t next;
        if (pc == '?') {
          ok = true;
          next = p + 1;
        } else if (pc == '[') {
          ok = MatchClass(pattern, p + 1, sc, nocase, &next);
        } else if (pc == '\\' && p + 1 < pn) {
          ok = Fold(static_cast<unsigned char>(pattern[p + 1]), nocase) == Fold(sc, nocase);
          next = p + 2;
        } else {
          ok = Fold(pc, nocase) == Fold(sc, nocase);
          next = p + 1;
        }
        if (ok) {
          p = next;
          ++s;
          continue;
        }
      }
    } else if (s == sn) {
      return true;
    }
    // Mismatch: let the latest star swallow one more byte and retry after it.
    if (!have_star || star_s >= sn) return false;
    ++star_s;
    p = star_p;
    s = star_s;
  }
}

}  // namespace basalt

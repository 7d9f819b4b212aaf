// GEO commands: GEOADD GEODIST GEOHASH GEOPOS GEOSEARCH GEOSEARCHSTORE
// GEORADIUS GEORADIUS_RO GEORADIUSBYMEMBER GEORADIUSBYMEMBER_RO.
//
// A geo set is an ordinary sorted set whose scores are 52-bit geohashes
// (storage/geohash.h), so ZRANGE, ZREM, DUMP and the RDB carry it unchanged.
// A search scans the score intervals of up to 9 geohash cells around the
// centre (the cell size chosen from the radius), keeps the points inside the
// shape, then sorts them by distance when asked to.
//
// Replies follow Redis 7.0: distances as bulk strings with 4 decimals in both
// protocols; coordinates with 17 decimals, trailing zeros removed, as bulk
// strings in RESP2 and doubles in RESP3; WITHHASH as the integer score.
// Sorting uses the orders Redis gets from its sorts: a full sort keeps the
// scan order of equal distances (glibc's qsort is a merge sort), and a
// sort cut by COUNT is the Bentley-McIlroy quicksort restricted to the
// requested prefix (PartialSort below), whose order of equal distances is
// the one it produces.
//
// Writes, as Redis 7.0 writes them: GEOADD is written to the log and
// notified as the ZADD it turns into ("zadd key [options] score member
// ..."); GEORADIUS/GEORADIUSBYMEMBER with STORE/STOREDIST and GEOSEARCHSTORE
// as sent, firing "georadiusstore"/"geosearchstore" (or "del" when an empty
// result deleted the destination). A search that stores nothing and deletes
// nothing writes nothing.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/zset_ops.h"
#include "common/numbers.h"
#include "storage/geohash.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::EntryBuilder;
using storage::ValueType;
using storage::ZMemberScore;
using storage::ZSetObject;
namespace geo = storage::geo;

// ---------------------------------------------------------------- Parsing

// A longitude/latitude pair at args[0], args[1], within the GEO limits.
std::optional<std::pair<double, double>> LonLatArg(CommandContext& ctx, const std::string_view* args) {
  auto lon = ParseDouble(args[0]);
  if (!lon) {
    ctx.Error(errors::kNotFloat);
    return std::nullopt;
  }
  auto lat = ParseDouble(args[1]);
  if (!lat) {
    ctx.Error(errors::kNotFloat);
    return std::nullopt;
  }
  if (*lon < geo::kLonMin || *lon > geo::kLonMax || *lat < geo::kLatMin || *lat > geo::kLatMax) {
    char buf[1024];
    snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    ctx.Error(buf);
    return std::nullopt;
  }
  return std::make_pair(*lon, *lat);
}

// Meters per unit of "m", "km", "ft" or "mi" (any case).
std::optional<double> UnitArg(CommandContext& ctx, std::string_view u) {
  if (EqualsIgnoreCase(u, "m")) return 1;
  if (EqualsIgnoreCase(u, "km")) return 1000;
  if (EqualsIgnoreCase(u, "ft")) return 0.3048;
  if (EqualsIgnoreCase(u, "mi")) return 1609.34;
  ctx.Error(errors::kGeoUnit);
  return std::nullopt;
}

// "radius unit" at args[0..1] into the shape (as a circle).
bool RadiusArg(CommandContext& ctx, const std::string_view* args, geo::Shape* s) {
  auto r = ParseDouble(args[0]);
  if (!r) {
    ctx.Error(errors::kGeoNeedRadius);
    return false;
  }
  if (*r < 0) {
    ctx.Error(errors::kGeoNegativeRadius);
    return false;
  }
  auto unit = UnitArg(ctx, args[1]);
  if (!unit) return false;
  s->kind = geo::Shape::kCircle;
  s->radius = *r;
  s->to_meters = *unit;
  return true;
}

// "width height unit" at args[0..2] into the shape (as a box).
bool BoxArg(CommandContext& ctx, const std::string_view* args, geo::Shape* s) {
  auto w = ParseDouble(args[0]);
  if (!w) {
    ctx.Error(errors::kGeoNeedWidth);
    return false;
  }
  auto h = ParseDouble(args[1]);
  if (!h) {
    ctx.Error(errors::kGeoNeedHeight);
    return false;
  }
  if (*h < 0 || *w < 0) {
    ctx.Error(errors::kGeoNegativeBox);
    return false;
  }
  auto unit = UnitArg(ctx, args[2]);
  if (!unit) return false;
  s->kind = geo::Shape::kBox;
  s->width = *w;
  s->height = *h;
  s->to_meters = *unit;
  return true;
}

// The position of `member` of z, as GEOPOS reports it.
bool MemberPosition(const ZSetObject* z, std::string_view member, double* lon, double* lat) {
  std::optional<double> score = z->Score(member);
  return score && geo::DecodeScore(*score, lon, lat);
}

// ---------------------------------------------------------------- Replies

// A distance in the reply's unit: a bulk string with 4 decimals.
void ReplyDistance(CommandContext& ctx, double d) {
  char buf[512];
  int n = snprintf(buf, sizeof(buf), "%.4f", d);
  ctx.reply.Bulk(std::string_view(buf, size_t(std::min<int>(n, sizeof(buf) - 1))));
}

// A coordinate: 17 decimals without trailing zeros; a bulk string in RESP2,
// a double in RESP3.
void ReplyCoordinate(CommandContext& ctx, double v) {
  std::string text = FormatLongDoubleHuman(v).value_or("0");
  if (ctx.reply.resp() < 3) return ctx.reply.Bulk(text);
  std::string* out = ctx.reply.out();
  out->push_back(',');
  out->append(text);
  out->append("\r\n", 2);
}

// ---------------------------------------------------------------- GEOADD

// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
void CmdGeoAdd(CommandContext& ctx) {
  auto& a = ctx.args;
  size_t first = 2;
  int flags = 0;
  bool ch = false;
  for (; first < a.size(); first++) {
    if (EqualsIgnoreCase(a[first], "nx")) {
      flags |= ZSetObject::kAddNX;
    } else if (EqualsIgnoreCase(a[first], "xx")) {
      flags |= ZSetObject::kAddXX;
    } else if (EqualsIgnoreCase(a[first], "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  const bool nx = flags & ZSetObject::kAddNX, xx = flags & ZSetObject::kAddXX;
  if ((a.size() - first) % 3 != 0 || (nx && xx)) return ctx.Error(errors::kSyntax);
  const size_t n = (a.size() - first) / 3;
  std::vector<ZAddItem> items(n);
  std::vector<std::string> scores(n);
  for (size_t i = 0; i < n; i++) {
    auto xy = LonLatArg(ctx, &a[first + 3 * i]);
    if (!xy) return;
    geo::Cell c;
    geo::EncodeWgs84(xy->first, xy->second, geo::kStepMax, &c);
    items[i] = ZAddItem{geo::ScoreOf(c), a[first + 3 * i + 2]};
    char buf[24];
    scores[i].assign(buf, FormatInt64(int64_t(c.bits), buf));
  }
  // The ZADD it becomes has no pair to add: ZADD's own syntax error.
  if (n == 0) return ctx.Error(errors::kSyntax);
  KeyGuard g(ctx.db(), a[1]);
  StatusOr<ZAddResult> r = OpZAdd(g, flags, items, ZSetLimits(ctx));
  if (!r.ok()) return ctx.Error(r.status().message());
  int64_t changed = r->added + r->updated;
  if (changed > 0) {
    std::vector<std::string_view> zadd;
    zadd.reserve(first + 2 * n);
    zadd.push_back("zadd");
    for (size_t i = 1; i < first; i++) zadd.push_back(a[i]);
    for (size_t i = 0; i < n; i++) {
      zadd.push_back(scores[i]);
      zadd.push_back(items[i].member);
    }
    ctx.Propagate(zadd);
    if (changed > 1) ctx.host.AddDirty(changed - 1);
    ctx.Changed(g.key(), "zadd", kNotifyZSet);
  }
  ctx.reply.Integer(ch ? changed : r->added);
}

// ---------------------------------------------------------------- Point queries

// GEODIST key member1 member2 [M | KM | FT | MI]
void CmdGeoDist(CommandContext& ctx) {
  auto& a = ctx.args;
  double to_meters = 1;
  if (a.size() == 5) {
    auto u = UnitArg(ctx, a[4]);
    if (!u) return;
    to_meters = *u;
  } else if (a.size() > 5) {
    return ctx.Error(errors::kSyntax);
  }
  KeyGuard g(ctx.db(), a[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  double x1, y1, x2, y2;
  if (z == nullptr || !MemberPosition(z, a[2], &x1, &y1) || !MemberPosition(z, a[3], &x2, &y2)) {
    return ctx.reply.Null();
  }
  ReplyDistance(ctx, geo::Distance(x1, y1, x2, y2) / to_meters);
}

// GEOHASH key [member [member ...]]
void CmdGeoHash(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    std::optional<double> score;
    if (z != nullptr) score = z->Score(ctx.args[i]);
    char text[11];
    if (score && geo::HashString(*score, text)) {
      ctx.reply.Bulk(std::string_view(text, sizeof(text)));
    } else {
      ctx.reply.Null();
    }
  }
}

// GEOPOS key [member [member ...]]
void CmdGeoPos(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    double lon, lat;
    if (z != nullptr && MemberPosition(z, ctx.args[i], &lon, &lat)) {
      ctx.reply.ArrayHeader(2);
      ReplyCoordinate(ctx, lon);
      ReplyCoordinate(ctx, lat);
    } else {
      ctx.reply.NullArray();
    }
  }
}

// ---------------------------------------------------------------- Searches

// One point found by a search; `member` points into the searched set.
struct GeoPoint {
  double lon, lat;
  double dist;  // meters from the centre
  double score;
  std::string_view member;
};

// Appends the members of z whose scores fall in cell c and that lie inside
// the shape, in ascending score order; stops once `limit` (> 0) points are
// collected.
void ScanCell(const ZSetObject& z, geo::Cell c, const geo::Shape& s, size_t limit,
              std::vector<GeoPoint>* out) {
  uint64_t min, max;
  geo::ScoreRange(c, &min, &max);
  storage::ZScoreRange range{double(min), double(max), false, true};
  for (auto it = z.FirstInRange(range, false); it.Valid() && range.BelowMax(it.score());
       it.Next()) {
    GeoPoint p;
    if (!geo::DecodeScore(it.score(), &p.lon, &p.lat)) continue;
    if (!geo::InShape(s, p.lon, p.lat, &p.dist)) continue;
    p.score = it.score();
    p.member = it.member();
    out->push_back(p);
    if (limit != 0 && out->size() >= limit) break;
  }
}

// The storage operation of every search: the points of z inside the shape,
// in scan order (cell by cell, ascending score within a cell); with
// `limit` > 0 (ANY), the first `limit` found.
std::vector<GeoPoint> OpGeoSearch(const ZSetObject& z, const geo::Shape& s, size_t limit) {
  std::vector<GeoPoint> out;
  geo::SearchCells cells = geo::CellsForShape(s);
  // A cell equal to the one scanned just before is skipped (with a huge
  // radius neighbours coincide). Like Redis, the centre cell is not
  // compared: `last` stays 0 until a neighbour is scanned.
  size_t last = 0;
  for (size_t i = 0; i < 9; i++) {
    const geo::Cell& c = cells.cells[i];
    if (c.IsZero()) continue;
    if (last != 0 && c.bits == cells.cells[last].bits && c.step == cells.cells[last].step) {
      continue;
    }
    if (!out.empty() && limit != 0 && out.size() >= limit) break;
    ScanCell(z, c, s, limit, &out);
    last = i;
  }
  return out;
}

// -1, 0, 1 as a qsort comparator of distances answers (ascending, or
// descending with `desc`).
int CompareDist(const GeoPoint& x, const GeoPoint& y, bool desc) {
  if (x.dist == y.dist) return 0;
  int r = x.dist > y.dist ? 1 : -1;
  return desc ? -r : r;
}

// Bentley & McIlroy's quicksort ("Engineering a Sort Function", 1993):
// median of three (ninther above 40 elements), a three-way partition that
// parks equal keys at both ends then swaps them to the middle, insertion
// sort below 7 elements; restricted to partitions that overlap [lo, hi]
// (only that prefix is wanted). Redis sorts a COUNT-limited search this
// way, so equal distances come out in the order this algorithm leaves them.
// (Unlike some BSD descendants it does not switch to insertion sort after a
// pass without swaps: redis-server 7.0.15's tie order shows it does not.)
class PartialSort {
 public:
  PartialSort(bool desc, GeoPoint* lo, GeoPoint* hi) : desc_(desc), lo_(lo), hi_(hi) {}

  void Sort(GeoPoint* a, size_t n) {
    for (;;) {
      if (n < 7) return Insertion(a, n);
      GeoPoint* pm = a + n / 2;
      if (n > 7) {
        GeoPoint* pl = a;
        GeoPoint* pn = a + n - 1;
        if (n > 40) {
          size_t d = n / 8;
          pl = Med3(pl, pl + d, pl + 2 * d);
          pm = Med3(pm - d, pm, pm + d);
          pn = Med3(pn - 2 * d, pn - d, pn);
        }
        pm = Med3(pl, pm, pn);
      }
      std::swap(*a, *pm);
      GeoPoint *pa = a + 1, *pb = a + 1;
      GeoPoint *pc = a + n - 1, *pd = a + n - 1;
      for (;;) {
        int r;
        while (pb <= pc && (r = Cmp(pb, a)) <= 0) {
          if (r == 0) {
            std::swap(*pa, *pb);
            pa++;
          }
          pb++;
        }
        while (pb <= pc && (r = Cmp(pc, a)) >= 0) {
          if (r == 0) {
            std::swap(*pc, *pd);
            pd--;
          }
          pc--;
        }
        if (pb > pc) break;
        std::swap(*pb, *pc);
        pb++;
        pc--;
      }
      GeoPoint* pn = a + n;
      ptrdiff_t r = std::min(pa - a, pb - pa);
      SwapRuns(a, pb - r, r);
      r = std::min(pd - pc, pn - pd - 1);
      SwapRuns(pb, pn - r, r);
      if ((r = pb - pa) > 1 && Wanted(a, a + r - 1)) Sort(a, size_t(r));
      if ((r = pd - pc) <= 1) return;
      a = pn - r;
      n = size_t(r);
      if (!Wanted(a, a + r - 1)) return;
    }
  }

 private:
  int Cmp(const GeoPoint* x, const GeoPoint* y) const { return CompareDist(*x, *y, desc_); }
  GeoPoint* Med3(GeoPoint* a, GeoPoint* b, GeoPoint* c) const {
    return Cmp(a, b) < 0 ? (Cmp(b, c) < 0 ? b : (Cmp(a, c) < 0 ? c : a))
                         : (Cmp(b, c) > 0 ? b : (Cmp(a, c) < 0 ? a : c));
  }
  void Insertion(GeoPoint* a, size_t n) const {
    for (GeoPoint* pm = a + 1; pm < a + n; pm++) {
      for (GeoPoint* pl = pm; pl > a && Cmp(pl - 1, pl) > 0; pl--) std::swap(*pl, *(pl - 1));
    }
  }
  static void SwapRuns(GeoPoint* a, GeoPoint* b, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) std::swap(a[i], b[i]);
  }
  // Whether the partition [l, r] overlaps the wanted prefix.
  bool Wanted(const GeoPoint* l, const GeoPoint* r) const {
    return !((lo_ < l && hi_ < l) || (lo_ > r && hi_ > r));
  }

  bool desc_;
  GeoPoint* lo_;
  GeoPoint* hi_;
};

enum class GeoSort { kNone, kAsc, kDesc };

// Orders the points by distance; only the first `wanted` need be in place.
void SortPoints(std::vector<GeoPoint>* points, GeoSort sort, size_t wanted) {
  if (sort == GeoSort::kNone || points->empty()) return;
  const bool desc = sort == GeoSort::kDesc;
  if (wanted == points->size()) {
    std::stable_sort(points->begin(), points->end(), [desc](const GeoPoint& x, const GeoPoint& y) {
      return CompareDist(x, y, desc) < 0;
    });
    return;
  }
  GeoPoint* base = points->data();
  PartialSort(desc, base, base + wanted - 1).Sort(base, points->size());
}

// Which search command is parsing.
enum class GeoCmd {
  kRadius,          // GEORADIUS
  kRadiusRo,        // GEORADIUS_RO
  kByMember,        // GEORADIUSBYMEMBER
  kByMemberRo,      // GEORADIUSBYMEMBER_RO
  kSearch,          // GEOSEARCH
  kSearchStore,     // GEOSEARCHSTORE
};

bool IsSearch(GeoCmd c) { return c == GeoCmd::kSearch || c == GeoCmd::kSearchStore; }
bool CanStore(GeoCmd c) { return c == GeoCmd::kRadius || c == GeoCmd::kByMember; }

// The argument index of the source key, and of the first option.
size_t SourceIndex(GeoCmd c) { return c == GeoCmd::kSearchStore ? 2 : 1; }
size_t FirstOption(GeoCmd c) {
  switch (c) {
    case GeoCmd::kRadius:
    case GeoCmd::kRadiusRo:
      return 6;
    case GeoCmd::kByMember:
    case GeoCmd::kByMemberRo:
      return 5;
    case GeoCmd::kSearch:
      return 2;
    case GeoCmd::kSearchStore:
      return 3;
  }
  return 2;
}

// What a search was asked for.
struct GeoQuery {
  geo::Shape shape;
  std::string_view store;  // destination, empty for none
  bool has_store = false;
  bool storedist = false;
  bool withdist = false, withhash = false, withcoord = false;
  bool any = false;
  int64_t count = 0;  // 0: unlimited
  GeoSort sort = GeoSort::kNone;
};

// Parses a search's arguments in Redis's order, replying its error on the
// first problem: the centre and radius of GEORADIUS* (a member's position
// when the set exists), then the options left to right (FROMMEMBER looks
// the member up as it is met), then the combinations.
bool ParseGeoQuery(CommandContext& ctx, GeoCmd cmd, const ZSetObject* z, GeoQuery* q) {
  auto& a = ctx.args;
  const std::string_view* args = a.data();
  if (cmd == GeoCmd::kRadius || cmd == GeoCmd::kRadiusRo) {
    auto xy = LonLatArg(ctx, args + 2);
    if (!xy) return false;
    q->shape.lon = xy->first;
    q->shape.lat = xy->second;
    if (!RadiusArg(ctx, args + 4, &q->shape)) return false;
  } else if ((cmd == GeoCmd::kByMember || cmd == GeoCmd::kByMemberRo) && z != nullptr) {
    if (!MemberPosition(z, a[2], &q->shape.lon, &q->shape.lat)) {
      ctx.Error(errors::kGeoMemberDecode);
      return false;
    }
    if (!RadiusArg(ctx, args + 3, &q->shape)) return false;
  }
  if (cmd == GeoCmd::kSearchStore) {
    q->store = a[1];
    q->has_store = true;
  }
  bool frommember = false, fromlonlat = false, byradius = false, bybox = false;
  const size_t base = FirstOption(cmd);
  const size_t remaining = a.size() > base ? a.size() - base : 0;
  for (size_t i = 0; i < remaining; i++) {
    std::string_view arg = a[base + i];
    const std::string_view* next = args + base + i + 1;
    if (EqualsIgnoreCase(arg, "withdist")) {
      q->withdist = true;
    } else if (EqualsIgnoreCase(arg, "withhash")) {
      q->withhash = true;
    } else if (EqualsIgnoreCase(arg, "withcoord")) {
      q->withcoord = true;
    } else if (EqualsIgnoreCase(arg, "any")) {
      q->any = true;
    } else if (EqualsIgnoreCase(arg, "asc")) {
      q->sort = GeoSort::kAsc;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      q->sort = GeoSort::kDesc;
    } else if (EqualsIgnoreCase(arg, "count") && i + 1 < remaining) {
      auto c = ParseInt64(next[0]);
      if (!c) {
        ctx.Error(errors::kNotInteger);
        return false;
      }
      if (*c <= 0) {
        ctx.Error(errors::kGeoCountPositive);
        return false;
      }
      q->count = *c;
      i++;
    } else if ((EqualsIgnoreCase(arg, "store") || EqualsIgnoreCase(arg, "storedist")) &&
               i + 1 < remaining && CanStore(cmd)) {
      q->store = next[0];
      q->has_store = true;
      q->storedist = EqualsIgnoreCase(arg, "storedist");
      i++;
    } else if (EqualsIgnoreCase(arg, "storedist") && cmd == GeoCmd::kSearchStore) {
      q->storedist = true;
    } else if (EqualsIgnoreCase(arg, "frommember") && i + 1 < remaining && IsSearch(cmd) &&
               !fromlonlat) {
      // Without a source set the member is not looked up: the reply is
      // empty anyway once the other arguments check out.
      if (z != nullptr && !MemberPosition(z, next[0], &q->shape.lon, &q->shape.lat)) {
        ctx.Error(errors::kGeoMemberDecode);
        return false;
      }
      frommember = true;
      i++;
    } else if (EqualsIgnoreCase(arg, "fromlonlat") && i + 2 < remaining && IsSearch(cmd) &&
               !frommember) {
      auto xy = LonLatArg(ctx, next);
      if (!xy) return false;
      q->shape.lon = xy->first;
      q->shape.lat = xy->second;
      fromlonlat = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "byradius") && i + 2 < remaining && IsSearch(cmd) &&
               !bybox) {
      if (!RadiusArg(ctx, next, &q->shape)) return false;
      byradius = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "bybox") && i + 3 < remaining && IsSearch(cmd) &&
               !byradius) {
      if (!BoxArg(ctx, next, &q->shape)) return false;
      bybox = true;
      i += 3;
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  if (q->has_store && (q->withdist || q->withhash || q->withcoord)) {
    ctx.Error(cmd == GeoCmd::kSearchStore ? errors::kGeoSearchStoreWith : errors::kGeoStoreWith);
    return false;
  }
  if (IsSearch(cmd) && !frommember && !fromlonlat) {
    ctx.Error(std::string(errors::kGeoFromPrefix) + std::string(a[0]));
    return false;
  }
  if (IsSearch(cmd) && !byradius && !bybox) {
    ctx.Error(std::string(errors::kGeoByPrefix) + std::string(a[0]));
    return false;
  }
  if (q->any && q->count == 0) {
    ctx.Error(errors::kGeoAnyNeedsCount);
    return false;
  }
  return true;
}

// Writes the points (already sorted) as a search reply.
void ReplyPoints(CommandContext& ctx, const GeoQuery& q, std::span<const GeoPoint> points) {
  const size_t options = size_t(q.withdist) + size_t(q.withhash) + size_t(q.withcoord);
  ctx.reply.ArrayHeader(points.size());
  for (const GeoPoint& p : points) {
    if (options > 0) ctx.reply.ArrayHeader(options + 1);
    ctx.reply.Bulk(p.member);
    if (q.withdist) ReplyDistance(ctx, p.dist / q.shape.to_meters);
    if (q.withhash) ctx.reply.Integer(int64_t(p.score));
    if (q.withcoord) {
      ctx.reply.ArrayHeader(2);
      ReplyCoordinate(ctx, p.lon);
      ReplyCoordinate(ctx, p.lat);
    }
  }
}

// Stores the points as a sorted set at q.store (scores: the geohash, or the
// distance in the query's unit with STOREDIST), replacing what was there,
// or deletes it when there are none; propagates, notifies, counts changes.
void StorePoints(CommandContext& ctx, GeoCmd cmd, const GeoQuery& q,
                 std::span<const GeoPoint> points) {
  std::vector<ZMemberScore> items;
  items.reserve(points.size());
  for (const GeoPoint& p : points) {
    items.push_back(ZMemberScore{p.member, q.storedist ? p.dist / q.shape.to_meters : p.score});
  }
  std::sort(items.begin(), items.end(), [](const ZMemberScore& x, const ZMemberScore& y) {
    return x.score < y.score || (x.score == y.score && x.member < y.member);
  });
  // A member is found once per search; keep the set well-formed regardless.
  items.erase(std::unique(items.begin(), items.end(),
                          [](const ZMemberScore& x, const ZMemberScore& y) {
                            return x.member == y.member;
                          }),
              items.end());
  ZStored stored = OpStoreZSet(Locked(ctx.db(), q.store), items, ZSetLimits(ctx));
  FinishZStore(ctx, q.store, stored,
               cmd == GeoCmd::kSearchStore ? "geosearchstore" : "georadiusstore");
  // Redis counts one change per stored member.
  if (stored == ZStored::kStored && points.size() > 1) {
    ctx.host.AddDirty(int64_t(points.size()) - 1);
  }
}

// GEORADIUS* / GEOSEARCH / GEOSEARCHSTORE.
void GeoSearchGeneric(CommandContext& ctx, GeoCmd cmd) {
  auto& a = ctx.args;
  storage::Database& db = ctx.db();
  const std::string_view src = a[SourceIndex(cmd)];
  // Lock the source and every possible destination: GEOSEARCHSTORE's, or
  // any argument after a STORE/STOREDIST word (a superset of the one the
  // parser will pick, which only costs a lock).
  storage::LockSet locks;
  locks.AddKey(db, src);
  if (cmd == GeoCmd::kSearchStore) locks.AddKey(db, a[1]);
  if (CanStore(cmd)) {
    for (size_t i = FirstOption(cmd); i + 1 < a.size(); i++) {
      if (EqualsIgnoreCase(a[i], "store") || EqualsIgnoreCase(a[i], "storedist")) {
        locks.AddKey(db, a[i + 1]);
      }
    }
  }
  locks.Acquire();

  LockedKey source = Locked(db, src);
  Entry* e = source.shard.Find(source.key, source.hash);
  CountHit(ctx, src, e != nullptr);
  if (e != nullptr && !Holds<ZSetObject>(e)) return ctx.Error(errors::kWrongType);
  const ZSetObject* z = e == nullptr ? nullptr : ValueAs<ZSetObject>(e);

  GeoQuery q;
  if (!ParseGeoQuery(ctx, cmd, z, &q)) return;
  if (z == nullptr) {
    if (!q.has_store) return ctx.reply.ArrayHeader(0);
    StorePoints(ctx, cmd, q, {});
    return ctx.reply.Integer(0);
  }
  // COUNT needs the nearest ones: it sorts ascending unless told otherwise
  // (ANY takes the first found instead).
  if (q.count != 0 && q.sort == GeoSort::kNone && !q.any) q.sort = GeoSort::kAsc;

  std::vector<GeoPoint> points = OpGeoSearch(*z, q.shape, q.any ? size_t(q.count) : 0);
  if (points.empty() && !q.has_store) return ctx.reply.ArrayHeader(0);
  size_t returned = points.size();
  if (q.count != 0 && uint64_t(q.count) < returned) returned = size_t(q.count);
  SortPoints(&points, q.sort, returned);
  std::span<const GeoPoint> result(points.data(), returned);
  if (!q.has_store) return ReplyPoints(ctx, q, result);
  StorePoints(ctx, cmd, q, result);
  ctx.reply.Integer(int64_t(returned));
}

// GEORADIUS key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST]
//   [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]
void CmdGeoRadius(CommandContext& ctx) { GeoSearchGeneric(ctx, GeoCmd::kRadius); }
// GEORADIUS_RO key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST]
//   [WITHHASH] [COUNT count [ANY]] [ASC | DESC]
void CmdGeoRadiusRo(CommandContext& ctx) { GeoSearchGeneric(ctx, GeoCmd::kRadiusRo); }
// GEORADIUSBYMEMBER key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST]
//   [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]
void CmdGeoRadiusByMember(CommandContext& ctx) { GeoSearchGeneric(ctx, GeoCmd::kByMember); }
// GEORADIUSBYMEMBER_RO key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST]
//   [WITHHASH] [COUNT count [ANY]] [ASC | DESC]
void CmdGeoRadiusByMemberRo(CommandContext& ctx) { GeoSearchGeneric(ctx, GeoCmd::kByMemberRo); }
// GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude
//   BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI
//   [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
void CmdGeoSearch(CommandContext& ctx) { GeoSearchGeneric(ctx, GeoCmd::kSearch); }
// GEOSEARCHSTORE destination source FROMMEMBER member | FROMLONLAT longitude latitude
//   BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI
//   [ASC | DESC] [COUNT count [ANY]] [STOREDIST]
void CmdGeoSearchStore(CommandContext& ctx) { GeoSearchGeneric(ctx, GeoCmd::kSearchStore); }

}  // namespace

void RegisterGeoFamily(CommandTable& t) {
  const char* g = "geo";
  const char* read = "@read @geo @slow";
  const char* write = "@write @geo @slow";
  auto one = [&](const char* name, int arity, CommandFlag flags, const char* acl, Handler h) {
    t.Add(Spec(g, name, arity, flags, 1, 1, 1, acl, h));
  };
  one("geoadd", -5, kWrite | kDenyOom, write, CmdGeoAdd);
  one("geodist", -4, kReadOnly, read, CmdGeoDist);
  one("geohash", -2, kReadOnly, read, CmdGeoHash);
  one("geopos", -2, kReadOnly, read, CmdGeoPos);
  one("geosearch", -7, kReadOnly, read, CmdGeoSearch);
  one("georadius_ro", -6, kReadOnly, read, CmdGeoRadiusRo);
  one("georadiusbymember_ro", -5, kReadOnly, read, CmdGeoRadiusByMemberRo);
  t.Add(Spec(g, "geosearchstore", -8, kWrite | kDenyOom, 1, 2, 1, write, CmdGeoSearchStore));
  one("georadius", -6, kWrite | kDenyOom | kMovableKeys, write, CmdGeoRadius);
  one("georadiusbymember", -5, kWrite | kDenyOom | kMovableKeys, write, CmdGeoRadiusByMember);
}

}  // namespace basalt::commands

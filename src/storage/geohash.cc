#include "storage/geohash.h"

#include <cmath>

namespace basalt::storage::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
// Half the Web Mercator world width (meters): where the step estimate starts.
constexpr double kMercatorMax = 20037726.37;

double ToRad(double deg) { return deg * kDegToRad; }
double ToDeg(double rad) { return rad / kDegToRad; }

// Spreads the 32 bits of v to the even positions of a 64-bit value.
uint64_t Spread(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// The inverse of Spread: gathers the even bits of v.
uint32_t Gather(uint64_t v) {
  uint64_t x = v & 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return uint32_t(x);
}

constexpr Range kLonRange{kLonMin, kLonMax};
constexpr Range kLatRange{kLatMin, kLatMax};

// The cell `dx` columns east and `dy` rows north of c, wrapping around at
// the edges of the grid (as the published neighbour algorithm does). Only
// a coordinate that moves is reduced to `step` bits: a point at exactly
// longitude 180 or latitude 85.05112878 encodes one past the last index
// (2^step), and Redis keeps that overflow bit in the unmoved coordinate.
Cell Move(Cell c, int dx, int dy) {
  uint64_t sep = Deinterleave(c.bits);
  uint32_t mask = c.step >= 32 ? 0xFFFFFFFFu : (uint32_t(1) << c.step) - 1;
  uint32_t lat = uint32_t(sep);
  uint32_t lon = uint32_t(sep >> 32);
  if (dy != 0) lat = (lat + uint32_t(dy)) & mask;
  if (dx != 0) lon = (lon + uint32_t(dx)) & mask;
  return Cell{Interleave(lat, lon), c.step};
}

// How many halvings leave a cell comfortably larger than a search of
// `meters` around latitude `lat`: one step per doubling below the Mercator
// half-width, two steps coarser for safety, coarser still near the poles
// (meridians converge), within 1..26.
int StepsForRadius(double meters, double lat) {
  if (meters == 0) return kStepMax;
  int step = 1;
  while (meters < kMercatorMax) {
    meters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > kStepMax) step = kStepMax;
  return step;
}

// The lon/lat bounding box of the shape: {min lon, min lat, max lon, max lat}.
// The longitude span is taken at the latitude edge farther from the equator
// (where a given width spans the most degrees).
void BoundingBox(const Shape& s, double out[4]) {
  double half_h = s.to_meters * (s.kind == Shape::kCircle ? s.radius : s.height / 2);
  double half_w = s.to_meters * (s.kind == Shape::kCircle ? s.radius : s.width / 2);
  double lat_delta = ToDeg(half_h / kEarthRadiusMeters);
  double lon_delta_top = ToDeg(half_w / kEarthRadiusMeters / std::cos(ToRad(s.lat + lat_delta)));
  double lon_delta_bottom =
      ToDeg(half_w / kEarthRadiusMeters / std::cos(ToRad(s.lat - lat_delta)));
  bool south = s.lat < 0;
  out[0] = south ? s.lon - lon_delta_bottom : s.lon - lon_delta_top;
  out[2] = south ? s.lon + lon_delta_bottom : s.lon + lon_delta_top;
  out[1] = s.lat - lat_delta;
  out[3] = s.lat + lat_delta;
}

}  // namespace

uint64_t Interleave(uint32_t x, uint32_t y) { return Spread(x) | (Spread(y) << 1); }

uint64_t Deinterleave(uint64_t v) {
  return uint64_t(Gather(v)) | (uint64_t(Gather(v >> 1)) << 32);
}

bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Cell* out) {
  if (step > 32 || step <= 0) return false;
  if (lat_range.min == 0 && lat_range.max == 0) return false;
  if (lon_range.min == 0 && lon_range.max == 0) return false;
  if (lon > kLonMax || lon < kLonMin || lat > kLatMax || lat < kLatMin) return false;
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max) {
    return false;
  }
  double cells = double(uint64_t(1) << step);
  double lat_off = (lat - lat_range.min) / (lat_range.max - lat_range.min) * cells;
  double lon_off = (lon - lon_range.min) / (lon_range.max - lon_range.min) * cells;
  out->bits = Interleave(uint32_t(lat_off), uint32_t(lon_off));
  out->step = uint8_t(step);
  return true;
}

bool EncodeWgs84(double lon, double lat, int step, Cell* out) {
  return Encode(kLonRange, kLatRange, lon, lat, step, out);
}

bool Decode(Range lon_range, Range lat_range, Cell c, Area* out) {
  if (c.IsZero()) return false;
  uint64_t sep = Deinterleave(c.bits);
  double lat_scale = lat_range.max - lat_range.min;
  double lon_scale = lon_range.max - lon_range.min;
  // 32-bit cell indexes: index + 1 wraps at 2^32 exactly as unsigned C
  // arithmetic does (only reachable from scores GEOADD did not write).
  uint32_t ilat = uint32_t(sep);
  uint32_t ilon = uint32_t(sep >> 32);
  double cells = double(uint64_t(1) << c.step);
  out->lat.min = lat_range.min + (double(ilat) / cells) * lat_scale;
  out->lat.max = lat_range.min + (double(uint32_t(ilat + 1u)) / cells) * lat_scale;
  out->lon.min = lon_range.min + (double(ilon) / cells) * lon_scale;
  out->lon.max = lon_range.min + (double(uint32_t(ilon + 1u)) / cells) * lon_scale;
  return true;
}

uint64_t ScoreBits(double score) {
  constexpr double k2p63 = 9223372036854775808.0;
  constexpr uint64_t kIndefinite = 0x8000000000000000ULL;  // cvttsd2si's "invalid"
  if (std::isnan(score)) return kIndefinite;
  if (score < k2p63) return score >= -k2p63 ? uint64_t(int64_t(score)) : kIndefinite;
  double rest = score - k2p63;
  return (rest < k2p63 ? uint64_t(int64_t(rest)) : kIndefinite) ^ kIndefinite;
}

bool DecodeScore(double score, double* lon, double* lat) {
  Area a;
  if (!Decode(kLonRange, kLatRange, Cell{ScoreBits(score), kStepMax}, &a)) return false;
  double x = (a.lon.min + a.lon.max) / 2;
  if (x > kLonMax) x = kLonMax;
  if (x < kLonMin) x = kLonMin;
  double y = (a.lat.min + a.lat.max) / 2;
  if (y > kLatMax) y = kLatMax;
  if (y < kLatMin) y = kLatMin;
  *lon = x;
  *lat = y;
  return true;
}

bool HashString(double score, char out[11]) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon, lat;
  if (!DecodeScore(score, &lon, &lat)) return false;
  Cell c;
  if (!Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, kStepMax, &c)) c = Cell{};
  for (int i = 0; i < 11; i++) {
    // 52 bits make 10 full characters and 2 bits; the 11th is written as 0.
    uint64_t idx = i == 10 ? 0 : (c.bits >> (52 - (i + 1) * 5)) & 0x1f;
    out[i] = kAlphabet[idx];
  }
  return true;
}

double LatDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(ToRad(lat2) - ToRad(lat1));
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double lon1r = ToRad(lon1), lon2r = ToRad(lon2);
  double v = std::sin((lon2r - lon1r) / 2);
  // Same meridian: the distance is along it.
  if (v == 0.0) return LatDistance(lat1, lat2);
  double lat1r = ToRad(lat1), lat2r = ToRad(lat2);
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

bool InShape(const Shape& s, double lon, double lat, double* dist) {
  if (s.kind == Shape::kCircle) {
    *dist = Distance(s.lon, s.lat, lon, lat);
    return !(*dist > s.radius * s.to_meters);
  }
  double width = s.width * s.to_meters, height = s.height * s.to_meters;
  // The latitude test is the cheaper one, so it goes first; the width is
  // measured along the point's own parallel.
  if (LatDistance(lat, s.lat) > height / 2) return false;
  if (Distance(lon, lat, s.lon, lat) > width / 2) return false;
  *dist = Distance(s.lon, s.lat, lon, lat);
  return true;
}

void ScoreRange(Cell c, uint64_t* min, uint64_t* max) {
  int shift = 52 - 2 * c.step;
  *min = c.bits << shift;
  *max = (c.bits + 1) << shift;
}

SearchCells CellsForShape(const Shape& s) {
  double bounds[4];
  BoundingBox(s, bounds);
  const double min_lon = bounds[0], min_lat = bounds[1], max_lon = bounds[2], max_lat = bounds[3];
  // A box is covered by the circle through its corners.
  double radius = s.kind == Shape::kCircle
                      ? s.radius
                      : std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radius *= s.to_meters;
  int steps = StepsForRadius(radius, s.lat);

  Cell center;
  Area area;
  auto locate = [&] {
    center = Cell{};
    EncodeWgs84(s.lon, s.lat, steps, &center);
    Decode(kLonRange, kLatRange, center, &area);
  };
  locate();
  // The estimate can leave the shape poking out of the 3x3 block when the
  // centre sits near a cell edge: then go one step coarser.
  Area north, south, east, west;
  Decode(kLonRange, kLatRange, Move(center, 0, 1), &north);
  Decode(kLonRange, kLatRange, Move(center, 0, -1), &south);
  Decode(kLonRange, kLatRange, Move(center, 1, 0), &east);
  Decode(kLonRange, kLatRange, Move(center, -1, 0), &west);
  bool coarser = north.lat.max < max_lat || south.lat.min > min_lat || east.lon.max < max_lon ||
                 west.lon.min > min_lon;
  if (steps > 1 && coarser) {
    steps--;
    locate();
  }

  SearchCells out;
  Cell* c = out.cells;
  c[0] = center;
  c[1] = Move(center, 0, 1);    // north
  c[2] = Move(center, 0, -1);   // south
  c[3] = Move(center, 1, 0);    // east
  c[4] = Move(center, -1, 0);   // west
  c[5] = Move(center, 1, 1);    // north-east
  c[6] = Move(center, -1, 1);   // north-west
  c[7] = Move(center, 1, -1);   // south-east
  c[8] = Move(center, -1, -1);  // south-west
  // Drop the neighbours on a side the shape does not reach.
  if (steps >= 2) {
    if (area.lat.min < min_lat) c[2] = c[7] = c[8] = Cell{};
    if (area.lat.max > max_lat) c[1] = c[5] = c[6] = Cell{};
    if (area.lon.min < min_lon) c[4] = c[8] = c[6] = Cell{};
    if (area.lon.max > max_lon) c[3] = c[7] = c[5] = Cell{};
  }
  return out;
}

}  // namespace basalt::storage::geo

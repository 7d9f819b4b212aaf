// Geohash math for the GEO commands (commands/geo_family.cc): the 52-bit
// interleaved geohash a sorted-set score holds, its decoding back to a cell
// and a point, the 8 neighbouring cells, the haversine distance, and the
// choice of the 9 cells a radius or box search scans.
//
// The geohash is the published one (G. Niemeyer, 2008): the longitude and
// latitude intervals are halved `step` times, each halving giving one bit;
// the longitude bits go to the odd positions of the interleaved value and
// the latitude bits to the even ones, longitude first from the top. Redis
// stores a point as the 26-step (52-bit) hash over longitude -180..180 and
// latitude -85.05112878..85.05112878 (the Web Mercator limits), as the score
// of its member, so the numbers here follow Redis's published behaviour
// exactly: the same scores, the same decoded coordinates, the same cells
// searched, the same distances to the last bit.
//
// Thread-safety: pure functions, no state.
#pragma once

#include <cstdint>

namespace basalt::storage::geo {

inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr int kStepMax = 26;  // 52 bits
// The Earth radius Redis uses for distances (meters).
inline constexpr double kEarthRadiusMeters = 6372797.560856;

struct Range {
  double min, max;
};

// A cell: `step` halvings per axis; `bits` holds 2 * step interleaved bits.
// The zero value (bits 0, step 0) means "no cell".
struct Cell {
  uint64_t bits = 0;
  uint8_t step = 0;
  bool IsZero() const { return bits == 0 && step == 0; }
};

// A cell's extent in degrees.
struct Area {
  Range lon, lat;
};

// Interleaves two 32-bit values: x's bits go to the even positions, y's to
// the odd ones.
uint64_t Interleave(uint32_t x, uint32_t y);
// The inverse: the even bits in the low 32 bits, the odd bits in the high 32.
uint64_t Deinterleave(uint64_t v);

// Encodes (lon, lat) as a cell of `step` (1..32) halvings over the ranges.
// False when the point is outside the Web Mercator limits or the ranges.
bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Cell* out);
// Encodes over the standard GEO ranges (the Mercator limits).
bool EncodeWgs84(double lon, double lat, int step, Cell* out);
// The extent of a cell. False for the zero cell.
bool Decode(Range lon_range, Range lat_range, Cell c, Area* out);
// The centre of a 26-step cell given as a sorted-set score, clamped to the
// GEO ranges: what GEOPOS and the searches report for a member.
bool DecodeScore(double score, double* lon, double* lat);
// A 52-bit hash as a score (and a 26-step cell).
inline double ScoreOf(const Cell& c) { return double(c.bits << (52 - 2 * c.step)); }
// A score as the 52-bit hash, converted the way an x86-64 C cast of a
// double to uint64_t does (for scores that GEOADD did not write).
uint64_t ScoreBits(double score);

// GEOHASH's 11-character string for a member's score: the point re-encoded
// over latitude -90..90 (the standard geohash), in the geohash base32
// alphabet; the last character is always '0' (52 bits fill 10.4 characters).
// False when the score does not decode.
bool HashString(double score, char out[11]);

// Haversine distance in meters between two points in degrees.
double Distance(double lon1, double lat1, double lon2, double lat2);
// Distance along a meridian between two latitudes (meters).
double LatDistance(double lat1, double lat2);

// A search shape: a circle of `radius`, or a box `width` x `height`, all in
// the unit that `to_meters` converts to meters, around (lon, lat).
struct Shape {
  enum Kind { kCircle, kBox } kind = kCircle;
  double lon = 0, lat = 0;
  double to_meters = 1;
  double radius = 0;
  double width = 0, height = 0;
};

// Whether the point (lon, lat) is inside the shape; *dist receives its
// distance from the centre in meters.
bool InShape(const Shape& s, double lon, double lat, double* dist);

// The cells a search scans, in the order it scans them: the centre cell,
// then north, south, east, west, north-east, north-west, south-east,
// south-west. Neighbours found useless are zero cells.
struct SearchCells {
  Cell cells[9];
};
SearchCells CellsForShape(const Shape& s);

// The [min, max) score interval a cell covers.
void ScoreRange(Cell c, uint64_t* min, uint64_t* max);

}  // namespace basalt::storage::geo

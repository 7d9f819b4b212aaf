// The geohash math against values Redis 7.0.15 reports for the same points.
#include "storage/geohash.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace basalt::storage::geo {
namespace {

TEST(GeohashTest, InterleaveRoundTrips) {
  EXPECT_EQ(Interleave(1, 0), 1u);
  EXPECT_EQ(Interleave(0, 1), 2u);
  EXPECT_EQ(Interleave(0xFFFFFFFFu, 0), 0x5555555555555555ULL);
  uint64_t v = 0x0123456789ABCDEFULL;
  uint64_t d = Deinterleave(v);
  EXPECT_EQ(Interleave(uint32_t(d), uint32_t(d >> 32)), v);
}

TEST(GeohashTest, EncodeDecodeMatchesRedis) {
  Cell c;
  ASSERT_TRUE(EncodeWgs84(13.361389, 38.115556, kStepMax, &c));
  EXPECT_EQ(c.bits, 3479099956230698ULL);
  double lon, lat;
  ASSERT_TRUE(DecodeScore(ScoreOf(c), &lon, &lat));
  char buf[64];
  snprintf(buf, sizeof(buf), "%.17f %.17f", lon, lat);
  EXPECT_STREQ(buf, "13.36138933897018433 38.11555639549629859");
  char h[11];
  ASSERT_TRUE(HashString(ScoreOf(c), h));
  EXPECT_EQ(std::string(h, 11), "sqc8b49rny0");
  EXPECT_FALSE(EncodeWgs84(181, 0, kStepMax, &c));
  EXPECT_FALSE(EncodeWgs84(0, 85.06, kStepMax, &c));
}

TEST(GeohashTest, DistanceMatchesRedis) {
  double lon1, lat1, lon2, lat2;
  Cell a, b;
  EncodeWgs84(13.361389, 38.115556, kStepMax, &a);
  EncodeWgs84(15.087269, 37.502669, kStepMax, &b);
  DecodeScore(ScoreOf(a), &lon1, &lat1);
  DecodeScore(ScoreOf(b), &lon2, &lat2);
  char buf[32];
  snprintf(buf, sizeof(buf), "%.4f", Distance(lon1, lat1, lon2, lat2));
  EXPECT_STREQ(buf, "166274.1516");
  EXPECT_EQ(Distance(1, 2, 1, 2), 0);
}

TEST(GeohashTest, SearchCellsCoverTheShape) {
  Shape s;
  s.lon = 15;
  s.lat = 37;
  s.radius = 200;
  s.to_meters = 1000;
  SearchCells cells = CellsForShape(s);
  ASSERT_FALSE(cells.cells[0].IsZero());
  Cell p;
  EncodeWgs84(15, 37, cells.cells[0].step, &p);
  EXPECT_EQ(p.bits, cells.cells[0].bits);
  // A huge radius ends at the coarsest grid.
  s.radius = 1e30;
  EXPECT_EQ(CellsForShape(s).cells[0].step, 1);
  s.radius = 0;
  EXPECT_EQ(CellsForShape(s).cells[0].step, kStepMax);
}

}  // namespace
}  // namespace basalt::storage::geo

// The table counter of the dump stream finds markers wherever chunk ends fall.
#include <gtest/gtest.h>

#include "db/internal.hpp"

namespace gp::db {
namespace {

TEST(MarkerCounter, CountsAcrossEveryChunkBoundary) {
  const std::string text = "-- x\nCREATE TABLE `a` (x int);\nCREATE TABLE `b`;\n/*!50001 VIEW `v` AS\nCREATE TABLE `";
  for (size_t cut1 = 0; cut1 <= text.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= text.size(); cut2 += 3) {
      MarkerCounter c({"\nCREATE TABLE `", "\n/*!50001 VIEW `"});
      c.add(text.data(), cut1);
      c.add(text.data() + cut1, cut2 - cut1);
      c.add(text.data() + cut2, text.size() - cut2);
      ASSERT_EQ(c.count(), 4u) << cut1 << " " << cut2;
    }
  }
}

}  // namespace
}  // namespace gp::db

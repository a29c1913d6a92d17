#include <catch2/catch.hpp>
#include <cmath>

#include "nlp/metrics/classification.h"
#include "nlp/util/error.h"

using namespace nlp::metrics;

TEST_CASE("accuracy and binary F1 by hand", "[metrics]") {
  // preds 1 0 1 1 / labels 1 1 1 0: TP 2, FP 1, FN 1
  CHECK(accuracy({1, 0, 1, 1}, {1, 1, 1, 0}) == 0.5);
  CHECK(f1_binary({1, 0, 1, 1}, {1, 1, 1, 0}) == Approx(2.0 / 3.0).epsilon(1e-15));
  CHECK(f1_binary({0, 0}, {0, 0}) == 0.0);  // no positives anywhere: sklearn zero_division -> 0
  CHECK(f1_binary({1, 1}, {0, 0}) == 0.0);
  CHECK(f1_binary({0, 1}, {0, 1}, 0) == 1.0);
  CHECK_THROWS_WITH(accuracy({1}, {1, 0}), Catch::Contains("1 predictions but 2 references"));
  CHECK_THROWS_WITH(accuracy({}, {}), Catch::Contains("empty"));
}

TEST_CASE("Matthews correlation (sklearn semantics)", "[metrics]") {
  // TP 2, FP 1, TN 2, FN 0: (2*2 - 1*0) / sqrt(3*2*3*2) = 4/6
  CHECK(matthews_corrcoef({1, 1, 0, 0, 1}, {1, 0, 0, 0, 1}) == Approx(2.0 / 3.0).epsilon(1e-15));
  // constant predictor: undefined -> 0.0
  CHECK(matthews_corrcoef({1, 1, 1, 1}, {1, 0, 1, 0}) == 0.0);
  // constant labels -> 0.0
  CHECK(matthews_corrcoef({1, 0, 1, 0}, {1, 1, 1, 1}) == 0.0);
  CHECK(matthews_corrcoef({0, 1, 0, 1}, {0, 1, 0, 1}) == 1.0);
  CHECK(matthews_corrcoef({1, 0, 1, 0}, {0, 1, 0, 1}) == -1.0);
  // multiclass: correct 5 of 6; t = (2,2,2), p = (2,1,3): (5*6 - 12) / sqrt((36-12)(36-14))
  CHECK(matthews_corrcoef({0, 0, 1, 2, 2, 2}, {0, 0, 1, 1, 2, 2}) == Approx(18.0 / std::sqrt(24.0 * 22.0)).epsilon(1e-15));
}

TEST_CASE("Pearson and Spearman (scipy semantics)", "[metrics]") {
  // dx = (-1.5,-.5,.5,1.5), dy = (-3,-1,0,4): 11 / sqrt(5 * 26)
  CHECK(pearson({1, 2, 3, 4}, {2, 4, 5, 9}) == Approx(11.0 / std::sqrt(130.0)).epsilon(1e-15));
  CHECK(std::isnan(pearson({1, 1, 1}, {1, 2, 3})));
  CHECK(average_ranks({3, 1, 3, 2, 3}) == std::vector<double>{4, 1, 4, 2, 4});
  CHECK(average_ranks({10, 20, 20, 5}) == std::vector<double>{2, 3.5, 3.5, 1});
  // ties: ranks x = (1, 2.5, 2.5, 4), y = (1, 3, 2, 4): 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10)
  CHECK(spearman({1, 2, 2, 3}, {1, 3, 2, 4}) == Approx(3.0 / std::sqrt(10.0)).epsilon(1e-15));
  // monotone but non-linear: rho = 1, r < 1
  CHECK(spearman({1, 2, 3, 4}, {1, 8, 27, 64}) == Approx(1.0));
  CHECK(pearson({1, 2, 3, 4}, {1, 8, 27, 64}) < 0.99);
  CHECK(std::isnan(spearman({2, 2, 2}, {1, 2, 3})));
}

TEST_CASE("glue_metrics names and combined_score as run_glue", "[metrics]") {
  auto m = glue_metrics("MRPC", {1, 0, 1, 1}, {1, 1, 1, 0});
  REQUIRE(m.size() == 3);
  CHECK(m[0].first == "accuracy");
  CHECK(m[1].first == "f1");
  CHECK(m[2].first == "combined_score");
  CHECK(m[2].second == Approx((0.5 + 2.0 / 3.0) / 2));
  CHECK(glue_metrics("cola", {1, 1}, {1, 0})[0].first == "matthews_correlation");
  CHECK(glue_metrics("sst2", {1, 1}, {1, 0}) == MetricList{{"accuracy", 0.5}});
  auto s = glue_regression_metrics({1, 2, 3, 4}, {2, 4, 5, 9});
  CHECK(s[0].first == "pearson");
  CHECK(s[1].first == "spearmanr");
  CHECK(s[1].second == Approx(1.0));
  CHECK_THROWS_WITH(glue_metrics("stsb", {1}, {1}), Catch::Contains("regression"));
}

#include <catch2/catch.hpp>

#include "nlp/data/squad.h"
#include "nlp/metrics/pyformat.h"
#include "nlp/metrics/squad.h"
#include "nlp/util/error.h"
#include "support/shared.h"
#include "support/temp_dir.h"

using namespace nlp::metrics;

TEST_CASE("official normalize_answer", "[metrics][squad]") {
  CHECK(squad_normalize_answer("The Cat!") == "cat");
  CHECK(squad_normalize_answer("  an   apple,\ta day\n") == "apple day");
  CHECK(squad_normalize_answer("An the a") == "");      // articles only
  CHECK(squad_normalize_answer("...!?") == "");         // all punctuation
  CHECK(squad_normalize_answer("") == "");
  CHECK(squad_normalize_answer("theater anathema") == "theater anathema");  // whole words only
  CHECK(squad_normalize_answer("the-end") == "theend");  // punctuation goes first, so no article is left
  CHECK(squad_normalize_answer("rock 'n' roll") == "rock n roll");
  CHECK(squad_normalize_answer("\xC2\xAB" "Paris" "\xC2\xBB") == "\xC2\xAB" "paris" "\xC2\xBB");  // «» is not string.punctuation
  CHECK(squad_normalize_answer("Ünïcode STRASSE Straße") == "ünïcode strasse straße");
  CHECK(squad_normalize_answer("\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90") == "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");  // МОСКВА
  CHECK(squad_normalize_answer("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3") == "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82");  // ΟΔΟΣ -> οδος with final sigma
  CHECK(squad_normalize_answer("a\xC2\xA0" "b\xE3\x80\x80" "c") == "b c");  // NBSP and ideographic space split; "a" is an article
  CHECK(squad_normalize_answer("the\xC3\xA9 x") == "the\xC3\xA9 x");  // é is a word character: no article boundary
}

TEST_CASE("EM and F1, v1.1 and v2.0 edge cases", "[metrics][squad]") {
  CHECK(squad_exact_match("The Cat", "cat") == 1.0);
  CHECK(squad_exact_match("cats", "cat") == 0.0);
  // pred [cat, sat], gold [cat, sat, down]: P 1, R 2/3
  CHECK(squad_f1_v1("the cat sat", "a cat sat down") == Approx(0.8).epsilon(1e-15));
  // duplicates: Counter overlap x:1, y:1 of 3 and 3 tokens
  CHECK(squad_f1_v1("x x y", "x y y") == Approx(2.0 / 3.0).epsilon(1e-15));
  // empty prediction / empty gold
  CHECK(squad_f1_v1("", "") == 0.0);
  CHECK(squad_f1_v2("", "") == 1.0);
  CHECK(squad_f1_v2("", "Paris") == 0.0);
  CHECK(squad_f1_v2("Paris", "") == 0.0);
  CHECK(squad_f1_v2("the", "a") == 1.0);      // both normalise to no tokens
  CHECK(squad_exact_match("!!!", "") == 1.0);  // all-punctuation answer normalises to ""
  CHECK(squad_f1_v1("!!!", "...") == 0.0);
}

TEST_CASE("evaluate v1.1: max over gold answers, missing predictions score 0", "[metrics][squad]") {
  std::vector<SquadReference> refs = {{"q1", {"Paris", "the city of Paris"}}, {"q2", {"1990"}}, {"q3", {"blue"}}};
  SquadPredictions preds = {{"q1", "City of Paris."}, {"q2", "in 1990"}, {"extra", "ignored"}};
  auto r = evaluate_squad_v1(refs, preds);
  CHECK(r.total == 3);
  CHECK(r.missing_ids == std::vector<std::string>{"q3"});
  CHECK(to_official_json(r) == R"({"exact_match": 33.333333333333336, "f1": 55.55555555555555})");
}

TEST_CASE("evaluate v1.1 on XQuAD-en with gold answers as predictions", "[metrics][squad]") {
  auto ds = nlp::data::read_squad_json(nlp::test::shared_path("data/qa/xquad/xquad.en.json"));
  auto refs = squad_references(ds);
  SquadPredictions preds;
  for (const auto& ex : ds.examples) preds[ex.id] = ex.answers[0].text;
  CHECK(to_official_json(evaluate_squad_v1(refs, preds)) == R"({"exact_match": 100.0, "f1": 100.0})");
  preds.clear();
  for (const auto& ex : ds.examples) preds[ex.id] = "";
  auto r = evaluate_squad_v1(refs, preds);
  CHECK(r.exact_match == 0.0);
  CHECK(r.f1 == 0.0);
}

static std::vector<SquadReference> v2_refs() {
  // q5 has an answer list whose only answer normalises to "": has_ans is true, gold becomes [""].
  return {{"q1", {"Paris", "Paris"}}, {"q2", {}}, {"q3", {"blue sky"}}, {"q4", {}}, {"q5", {"!!!"}}};
}

TEST_CASE("evaluate v2.0: HasAns/NoAns breakdown", "[metrics][squad]") {
  SquadPredictions preds = {{"q1", "Paris"}, {"q2", ""}, {"q3", "sky"}, {"q4", "something"}, {"q5", ""}};
  auto r = evaluate_squad_v2(v2_refs(), preds);
  // exact: 1,1,0,0,1; f1: 1,1,2/3,0,1
  CHECK(to_official_json(r) ==
        "{\n  \"exact\": 60.0,\n  \"f1\": 73.33333333333333,\n  \"total\": 5,\n"
        "  \"HasAns_exact\": 66.66666666666667,\n  \"HasAns_f1\": 88.88888888888887,\n  \"HasAns_total\": 3,\n"
        "  \"NoAns_exact\": 50.0,\n  \"NoAns_f1\": 50.0,\n  \"NoAns_total\": 2\n}");
  auto list = squad_metric_list(r);
  REQUIRE(list.size() == 9);
  CHECK(list[0] == std::pair<std::string, double>{"exact", 60.0});
  CHECK(list[5] == std::pair<std::string, double>{"HasAns_total", 3.0});
  preds.erase("q3");
  CHECK_THROWS_WITH(evaluate_squad_v2(v2_refs(), preds), Catch::Contains("1 of 5 questions have no prediction") && Catch::Contains("q3"));
}

TEST_CASE("evaluate v2.0: na_probs threshold search in file order", "[metrics][squad]") {
  SquadPredictions preds = {{"q1", "Paris"}, {"q2", ""}, {"q3", "sky"}, {"q4", "something"}, {"q5", ""}};
  // ascending: q1 .1 (+1), q5 .2 (+1), q3 .5 (+1 exact 0 / f1 2/3), q4 .5 (-1, answered a no-answer question), q2 .9 (0)
  std::vector<NaProb> na = {{"q1", 0.1, false}, {"q2", 0.9, false}, {"q3", 0.5, false}, {"q4", 0.5, false}, {"q5", 0.2, false}};
  auto r = evaluate_squad_v2(v2_refs(), preds, &na);
  CHECK(r.exact == 60.0);  // 0.9 > 1.0 is false: nothing thresholded
  CHECK(r.best_exact == 80.0);  // 2 + 1 + 1 = 4 of 5
  CHECK(r.best_exact_thresh.value == 0.2);
  CHECK(r.best_f1 == Approx(100.0 * (4 + 2.0 / 3.0) / 5));
  CHECK(r.best_f1_thresh.value == 0.5);
  CHECK(to_official_json(r).find("\"best_f1\": 93.33333333333334,\n  \"best_f1_thresh\": 0.5\n}") != std::string::npos);
  // same values, q4 listed before q3: the stable sort visits q4 (-1) first and 0.5 never wins
  std::vector<NaProb> swapped = {{"q1", 0.1, false}, {"q2", 0.9, false}, {"q4", 0.5, false}, {"q3", 0.5, false}, {"q5", 0.2, false}};
  auto s = evaluate_squad_v2(v2_refs(), preds, &swapped);
  CHECK(s.best_f1 == 80.0);
  CHECK(s.best_f1_thresh.value == 0.2);
  // na_prob_thresh applied: q2 (0.9) > 0.5 -> predicted no-answer (correct, 1); q3, q4 stay raw
  auto t = evaluate_squad_v2(v2_refs(), preds, &na, 0.5);
  CHECK(t.exact == 60.0);
  auto u = evaluate_squad_v2(v2_refs(), preds, &na, 0.15);  // q2, q3, q4, q5 predicted unanswerable
  // exact: q1 1, q2 1, q3 0 (has ans), q4 1 (no ans), q5 0 (has ans) = 3/5
  CHECK(u.exact == 60.0);
  CHECK(u.f1 == 60.0);
  // an integer threshold prints as an int, as Python keeps it: q1 at 0 (+1) is the best point,
  // then q2 (0), q3 (0), q4 (-1), q5 (+1) never exceed it
  std::vector<NaProb> ints = {{"q1", 0, true}, {"q2", 1, true}, {"q3", 1, true}, {"q4", 1, true}, {"q5", 1, true}};
  auto v = evaluate_squad_v2(v2_refs(), preds, &ints);
  CHECK(to_official_json(v).find("\"best_exact\": 60.0,\n  \"best_exact_thresh\": 0,") != std::string::npos);
  std::vector<NaProb> partial = {{"q1", 0.1, false}};
  CHECK_THROWS_WITH(evaluate_squad_v2(v2_refs(), preds, &partial), Catch::Contains("no entry for question 'q2'"));
}

TEST_CASE("Python float repr", "[metrics]") {
  CHECK(python_float_repr(100.0) == "100.0");
  CHECK(python_float_repr(1.0 / 3 * 100) == "33.33333333333333");
  CHECK(python_float_repr(1e-5) == "1e-05");
  CHECK(python_float_repr(2.5e-5) == "2.5e-05");
  CHECK(python_float_repr(0.0001) == "0.0001");
  CHECK(python_float_repr(1.5e16) == "1.5e+16");
  CHECK(python_float_repr(1e16) == "1e+16");
  CHECK(python_float_repr(9999999999999998.0) == "9999999999999998.0");
  CHECK(python_float_repr(123456789012345.6) == "123456789012345.6");
  CHECK(python_float_repr(-0.5) == "-0.5");
  CHECK(python_float_repr(0.0) == "0.0");
}

TEST_CASE("predictions and na_probs files", "[metrics][squad]") {
  nlp::test::ScratchDir dir;
  auto p = read_squad_predictions(dir.write("p.json", R"({"a": "x", "b": ""})"));
  CHECK(p.at("b").empty());
  CHECK_THROWS_WITH(read_squad_predictions(dir.write("q.json", R"({"a": 1})")), Catch::Contains("q.json") && Catch::Contains("field 'a'"));
  auto na = read_na_probs(dir.write("na.json", R"({"z": 0.5, "a": 1, "m": 0.25})"));
  REQUIRE(na.size() == 3);
  CHECK(na[0].id == "z");  // file order kept
  CHECK(na[1].is_integer);
  CHECK_THROWS_WITH(read_na_probs(dir.write("bad.json", "{\"a\": \"x\"}")), Catch::Contains("bad.json") && Catch::Contains("expected a number"));
}

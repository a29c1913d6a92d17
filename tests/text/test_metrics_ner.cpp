#include <catch2/catch.hpp>

#include "nlp/data/conll.h"
#include "nlp/metrics/ner.h"
#include "nlp/util/error.h"
#include "support/shared.h"

using namespace nlp::metrics;

static std::vector<Entity> E(std::initializer_list<Entity> e) { return e; }

TEST_CASE("conlleval chunking", "[metrics][ner]") {
  CHECK(extract_entities({"B-PER", "I-PER", "O", "B-LOC"}) == E({{"PER", 0, 1}, {"LOC", 3, 3}}));
  // chunk starting with I- (after O and at sentence start)
  CHECK(extract_entities({"I-PER", "I-PER", "O", "I-LOC"}) == E({{"PER", 0, 1}, {"LOC", 3, 3}}));
  // IOB1: adjacent chunks of the same type separated by B-
  CHECK(extract_entities({"I-PER", "I-PER", "B-PER", "I-PER"}) == E({{"PER", 0, 1}, {"PER", 2, 3}}));
  // type change inside a run of I- tags
  CHECK(extract_entities({"B-ORG", "I-LOC", "I-LOC"}) == E({{"ORG", 0, 0}, {"LOC", 1, 2}}));
  // IOBES
  CHECK(extract_entities({"S-PER", "B-LOC", "E-LOC", "S-LOC"}) == E({{"PER", 0, 0}, {"LOC", 1, 2}, {"LOC", 3, 3}}));
  CHECK(extract_entities({"O", "O"}).empty());
  CHECK(extract_entities({}).empty());
  CHECK_THROWS_WITH(extract_entities({"B-PER", ""}), Catch::Contains("empty tag"));
}

TEST_CASE("span-level precision/recall/F1 by hand", "[metrics][ner]") {
  // seqeval README example: gold MISC(3..5), PER(0..1); predicted MISC(2..5), PER(0..1)
  std::vector<std::vector<std::string>> gold = {{"O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
  std::vector<std::vector<std::string>> pred = {{"O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
  auto r = evaluate_ner(gold, pred);
  CHECK(r.num_gold == 2);
  CHECK(r.num_predicted == 2);
  CHECK(r.num_correct == 1);
  CHECK(r.precision == 0.5);
  CHECK(r.recall == 0.5);
  CHECK(r.f1 == 0.5);
  CHECK(r.accuracy == Approx(8.0 / 10.0));
  REQUIRE(r.per_type.size() == 2);
  CHECK(r.per_type[0].type == "MISC");
  CHECK(r.per_type[0].f1 == 0.0);
  CHECK(r.per_type[1].type == "PER");
  CHECK(r.per_type[1].f1 == 1.0);
  CHECK(r.per_type[1].number == 1);
  auto list = ner_metric_list(r, true);
  REQUIRE(list.size() == 12);
  CHECK(list[2] == std::pair<std::string, double>{"f1", 0.5});
  CHECK(list[3].first == "accuracy");
  CHECK(list[6] == std::pair<std::string, double>{"MISC_f1", 0.0});
  CHECK(list[11] == std::pair<std::string, double>{"PER_number", 1.0});
  CHECK(ner_metric_list(r).size() == 4);

  // predicted chunk starting with I- matches a gold B- chunk with the same extent
  auto i_start = evaluate_ner({{"B-LOC", "I-LOC", "O"}}, {{"I-LOC", "I-LOC", "O"}});
  CHECK(i_start.f1 == 1.0);
  // 3 gold, 2 predicted, 1 correct: P 1/2, R 1/3, F1 2PR/(P+R) = 0.4
  auto mixed = evaluate_ner({{"B-PER", "O", "B-LOC", "B-ORG"}}, {{"B-PER", "O", "B-ORG", "O"}});
  CHECK(mixed.precision == 0.5);
  CHECK(mixed.recall == Approx(1.0 / 3.0));
  CHECK(mixed.f1 == Approx(0.4));
  // no predicted chunks: precision 0 (zero_division), F1 0
  auto none = evaluate_ner({{"B-PER"}}, {{"O"}});
  CHECK(none.precision == 0.0);
  CHECK(none.f1 == 0.0);
  CHECK_THROWS_WITH(evaluate_ner({{"O", "O"}}, {{"O"}}), Catch::Contains("sentence 0"));
}

TEST_CASE("NER metric over CoNLL-2003 testa: gold vs itself and vs IOB1 form", "[metrics][ner]") {
  auto ds = nlp::data::read_conll2003(nlp::test::shared_path("data/ner/conll2003/eng.testa"));
  std::vector<std::vector<std::string>> gold, all_o;
  for (const auto& s : ds.sentences) {
    gold.push_back(s.ner_tags);
    all_o.emplace_back(s.ner_tags.size(), "O");
  }
  auto same = evaluate_ner(gold, gold);
  CHECK(same.f1 == 1.0);
  CHECK(same.num_gold == 5942);  // entity count of the CoNLL-2003 English dev set
  auto zero = evaluate_ner(gold, all_o);
  CHECK(zero.f1 == 0.0);
  CHECK(zero.recall == 0.0);
}

#include <catch2/catch.hpp>

#include "nlp/data/squad.h"
#include "nlp/util/error.h"
#include "support/shared.h"
#include "support/temp_dir.h"

using nlp::data::read_squad_json;

TEST_CASE("SQuAD v1.1 reader over XQuAD (all 7 languages)", "[data][squad]") {
  for (const char* lang : {"en", "de", "es", "zh", "ru", "ar", "th"}) {
    auto ds = read_squad_json(nlp::test::shared_path(std::string("data/qa/xquad/xquad.") + lang + ".json"));
    INFO(lang);
    CHECK(ds.examples.size() == 1190);
    CHECK(ds.num_articles == 48);
    CHECK(ds.num_paragraphs == 240);
    CHECK(ds.version == "1.1");
    CHECK_FALSE(ds.is_v2);
    for (const auto& ex : ds.examples) {
      REQUIRE(ex.answers.size() == 1);
      const auto& a = ex.answers[0];
      // byte span recovers the answer text exactly
      REQUIRE(ex.context.substr(static_cast<size_t>(a.answer_start_byte), static_cast<size_t>(a.answer_end_byte - a.answer_start_byte)) == a.text);
    }
  }
  auto zh = read_squad_json(nlp::test::shared_path("data/qa/xquad/xquad.zh.json"));
  const auto& ex = zh.examples[0];
  CHECK(ex.id == "56beb4343aeaaa14008c925b");
  CHECK(ex.answers[0].answer_start == 10);       // characters
  CHECK(ex.answers[0].answer_start_byte == 28);  // UTF-8 bytes (CJK = 3 bytes each)
  CHECK(nlp::data::utf8_length(ex.context) == 430);
  CHECK(ex.context.size() == 1178);
}

TEST_CASE("SQuAD v1.1 reader over KorQuAD 1.0 dev", "[data][squad]") {
  auto ds = read_squad_json(nlp::test::shared_path("data/qa/korquad/KorQuAD_v1.0_dev.json"));
  CHECK(ds.examples.size() == 5774);
  CHECK(ds.num_articles == 140);
  CHECK(ds.num_paragraphs == 964);
  CHECK(ds.version == "KorQuAD_v1.0_dev");
  CHECK_FALSE(ds.is_v2);
  CHECK(ds.examples[0].id == "6548850-0-0");
  CHECK(ds.examples[0].answers[0].text == "1989년 2월 15일");
  CHECK(ds.examples[0].answers[0].answer_start_byte == 0);
}

TEST_CASE("flat Hugging Face datasets layout (SQuAD v2 sample)", "[data][squad]") {
  auto ds = read_squad_json(nlp::test::shared_path("data/qa/squad-sample/sample.json"));
  CHECK(ds.examples.size() == 14);
  CHECK(ds.is_v2);
  CHECK(std::count_if(ds.examples.begin(), ds.examples.end(), [](const auto& e) { return e.is_impossible; }) == 6);
  CHECK(ds.num_paragraphs == 4);
  CHECK(ds.examples[0].answers.size() == 4);
  CHECK(ds.examples[0].answers[0].text == "France");
  CHECK(ds.examples[0].answers[0].answer_start == 159);
  CHECK(ds.examples[1].answers[1].text == "in the 10th and 11th centuries");
}

TEST_CASE("SQuAD v2.0 nested layout: is_impossible and plausible_answers", "[data][squad]") {
  nlp::test::ScratchDir dir;
  auto path = dir.write("v2.json", R"({"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": "Héllo wörld, the end.",
    "qas": [{"id": "a", "question": "Who?", "answers": [{"text": "wörld", "answer_start": 6}], "is_impossible": false},
            {"id": "b", "question": "Why?", "answers": [], "is_impossible": true,
             "plausible_answers": [{"text": "the end", "answer_start": 13}]}]}]}]})");
  auto ds = read_squad_json(path);
  REQUIRE(ds.examples.size() == 2);
  CHECK(ds.is_v2);
  CHECK(ds.examples[0].answers[0].answer_start_byte == 7);  // "Héllo " is 7 bytes
  CHECK(ds.examples[0].answers[0].answer_end_byte == 13);
  CHECK(ds.examples[1].is_impossible);
  CHECK(ds.examples[1].answers.empty());
  REQUIRE(ds.examples[1].plausible_answers.size() == 1);
  CHECK(ds.examples[1].plausible_answers[0].answer_start_byte == 15);
  CHECK(ds.examples[0].title == "T");
}

TEST_CASE("SQuAD malformed input names file and JSON path", "[data][squad]") {
  nlp::test::ScratchDir dir;
  auto wrap = [](const std::string& qas) {
    return R"({"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "abc def", "qas": [)" + qas + "]}]}]}";
  };
  CHECK_THROWS_WITH(read_squad_json(dir.write("a.json", wrap(R"({"id": "q1", "question": "?", "answers": [{"text": "def", "answer_start": 9}]})"))),
                    Catch::Contains("a.json: data[0].paragraphs[0].qas[0] (id 'q1').answers[0]") && Catch::Contains("outside the context"));
  CHECK_THROWS_WITH(read_squad_json(dir.write("b.json", wrap(R"({"id": "q1", "question": "?", "answers": [{"text": "xyz", "answer_start": 4}]})"))),
                    Catch::Contains("b.json") && Catch::Contains("does not match the context") && Catch::Contains("'def'"));
  CHECK_THROWS_WITH(read_squad_json(dir.write("c.json", wrap(R"({"id": "q1", "answers": []})"))),
                    Catch::Contains("c.json: data[0].paragraphs[0].qas[0] (id 'q1')") && Catch::Contains("field 'question'"));
  CHECK_THROWS_WITH(read_squad_json(dir.write("d.json", wrap(R"({"id": "q1", "question": "?", "answers": [{"text": "abc", "answer_start": "0"}]})"))),
                    Catch::Contains("field 'answer_start': expected an integer"));
  CHECK_THROWS_WITH(read_squad_json(dir.write("e.json", wrap(R"({"id": "q1", "question": "?", "answers": []}, {"id": "q1", "question": "?", "answers": []})"))),
                    Catch::Contains("duplicate question id 'q1'"));
  CHECK_THROWS_WITH(read_squad_json(dir.write("f.json", "{\"data\": [\n  {\"title\": 1,,}]}")), Catch::Contains("f.json:2:") && Catch::Contains("invalid JSON"));
  CHECK_THROWS_WITH(read_squad_json(dir.write("g.json", R"({"version": "1.1", "data": []})")), Catch::Contains("g.json") && Catch::Contains("no questions"));
  nlp::data::QaReadOptions lax;
  lax.check_answer_text = false;
  CHECK(read_squad_json(dir.path.string() + "/b.json", lax).examples.size() == 1);
}

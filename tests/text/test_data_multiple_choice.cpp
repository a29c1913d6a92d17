#include <catch2/catch.hpp>

#include "nlp/data/multiple_choice.h"
#include "nlp/util/error.h"
#include "support/shared.h"
#include "support/temp_dir.h"

using namespace nlp::data;

TEST_CASE("Story Cloze val CSV", "[data][mc]") {
  auto ds = read_story_cloze_csv(nlp::test::shared_path("data/multiple-choice/story-cloze/val.csv"));
  // This copy holds 1,571 stories (shared/README says 1,871; the file itself has 1,571 data rows).
  CHECK(ds.examples.size() == 1571);
  CHECK(ds.num_choices == 2);
  CHECK(std::count_if(ds.examples.begin(), ds.examples.end(), [](const auto& e) { return e.label == 0; }) == 803);
  const auto& first = ds.examples[0];
  CHECK(first.context == "Rick grew up in a troubled household. He never found good support in family, and turned to gangs. "
                         "It wasn't long before Rick got shot in a robbery. The incident caused him to turn a new leaf.");
  CHECK(first.endings == std::vector<std::string>{"He is happy now.", "He joined a gang."});
  CHECK(first.label == 0);
  CHECK(first.choice(1) == "He joined a gang.");
  CHECK(ds.examples.back().line == 1572);
}

TEST_CASE("SWAG JSON sample (concatenated objects)", "[data][mc]") {
  auto ds = read_swag_json(nlp::test::shared_path("data/multiple-choice/swag-sample/sample.json"));
  CHECK(ds.examples.size() == 10);
  CHECK(ds.has_labels);
  const auto& e = ds.examples[0];
  CHECK(e.context == "Members of the procession walk down the street holding small horn brass instruments.");
  CHECK(e.ending_prefix == "A drum line");
  CHECK(e.label == 0);
  CHECK(e.choice(0) == "A drum line passes by walking down the street playing their instruments.");
  CHECK(e.line == 1);
  CHECK(ds.examples[1].label == 3);
  CHECK(ds.examples[1].line == 9);
}

TEST_CASE("SWAG official CSV with quoted fields; test split without labels", "[data][mc]") {
  nlp::test::ScratchDir dir;
  auto path = dir.write("train.csv",
      ",video-id,fold-ind,startphrase,sent1,sent2,gold-source,ending0,ending1,ending2,ending3,label\n"
      "0,anetv_jkn6uvmqwh4,3416,\"Members, of the \"\"procession\"\" walk.\",\"Members, of the \"\"procession\"\" walk.\",A drum line,gold,"
      "passes by.,has heard.,arrives.,turns.,0\n"
      "1,lsmdc0001,123,Someone sits.,\"Someone\nsits.\",He,gen,a,b,c,d,3\n");
  auto ds = read_swag_csv(path);
  REQUIRE(ds.examples.size() == 2);
  CHECK(ds.examples[0].context == "Members, of the \"procession\" walk.");
  CHECK(ds.examples[0].id == "anetv_jkn6uvmqwh4-3416");
  CHECK(ds.examples[1].context == "Someone\nsits.");
  CHECK(ds.examples[1].label == 3);
  CHECK(ds.examples[1].line == 3);
  auto test = read_swag_csv(dir.write("test.csv",
      ",video-id,fold-ind,startphrase,sent1,sent2,gold-source,ending0,ending1,ending2,ending3\n0,v,1,s,S1,S2,gold,a,b,c,d\n"));
  CHECK_FALSE(test.has_labels);
  CHECK(test.examples[0].label == -1);
}

TEST_CASE("multiple choice malformed input names file:line", "[data][mc]") {
  nlp::test::ScratchDir dir;
  const std::string header = ",video-id,fold-ind,startphrase,sent1,sent2,gold-source,ending0,ending1,ending2,ending3,label\n";
  CHECK_THROWS_WITH(read_swag_csv(dir.write("a.csv", header + "0,v,1,s,S1,S2,g,a,b,c,d,4\n")),
                    Catch::Contains("a.csv:2") && Catch::Contains("out of range"));
  CHECK_THROWS_WITH(read_swag_csv(dir.write("b.csv", header + "0,v,1,s,S1,S2,g,a,b,c,d,0\n0,v,1,s,S1,S2,g,a,b,c\n")),
                    Catch::Contains("b.csv:3") && Catch::Contains("expected 12 fields"));
  CHECK_THROWS_WITH(read_swag_csv(dir.write("c.csv", ",sent1,sent2,ending0,ending1,ending2,label\n0,a,b,c,d,e,1\n")),
                    Catch::Contains("c.csv:1") && Catch::Contains("missing column 'ending3'"));
  CHECK_THROWS_WITH(read_swag_csv(dir.write("d.csv", header)), Catch::Contains("d.csv") && Catch::Contains("no examples"));
  CHECK_THROWS_WITH(read_swag_json(dir.write("e.json", "{\"sent1\": \"a\", \"sent2\": \"b\", \"ending0\": \"c\", \"ending1\": \"d\", \"ending2\": \"e\", \"ending3\": \"f\", \"label\": 1}\n"
                                                    "{\"sent1\": \"a\", \"sent2\": \"b\", \"ending0\": \"c\", \"ending1\": \"d\", \"ending2\": \"e\", \"label\": 1}\n")),
                    Catch::Contains("e.json:2") && Catch::Contains("field 'ending3'"));
  CHECK_THROWS_WITH(read_swag_json(dir.write("f.json", "  \n")), Catch::Contains("no examples"));
  const std::string sc = "InputSentence1,InputSentence2,InputSentence3,InputSentence4,RandomFifthSentenceQuiz1,RandomFifthSentenceQuiz2,AnswerRightEnding\n";
  CHECK_THROWS_WITH(read_story_cloze_csv(dir.write("g.csv", sc + "a,b,c,d,e,f,1\na,b,c,d,e,f,3\n")),
                    Catch::Contains("g.csv:3") && Catch::Contains("AnswerRightEnding") && Catch::Contains("out of range"));
  CHECK_THROWS_WITH(read_story_cloze_csv(dir.write("h.csv", sc + "a,b,c,d,e,f,x\n")),
                    Catch::Contains("h.csv:2") && Catch::Contains("expected an integer"));
  CHECK_THROWS_WITH(read_story_cloze_csv(dir.write("i.csv", sc + "a,,c,d,e,f,1\n")),
                    Catch::Contains("i.csv:2") && Catch::Contains("empty InputSentence2"));
}

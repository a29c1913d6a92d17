#include <catch2/catch.hpp>

#include "nlp/data/conll.h"
#include "nlp/util/error.h"
#include "support/shared.h"
#include "support/temp_dir.h"

using namespace nlp::data;

TEST_CASE("CoNLL-2003 English files", "[data][conll]") {
  auto train = read_conll2003(nlp::test::shared_path("data/ner/conll2003/eng.train"));
  auto testa = read_conll2003(nlp::test::shared_path("data/ner/conll2003/eng.testa"));
  auto testb = read_conll2003(nlp::test::shared_path("data/ner/conll2003/eng.testb"));
  // Measured on this copy (blank-line separated sentences, -DOCSTART- excluded).
  CHECK(train.sentences.size() == 14073);
  CHECK(testa.sentences.size() == 3250);
  CHECK(testb.sentences.size() == 3453);
  CHECK(train.num_documents == 947);
  CHECK(testa.num_documents == 216);
  CHECK(testb.num_documents == 231);
  CHECK(train.label_names == conll2003_ner_labels());
  const auto& s = train.sentences[0];
  CHECK(s.tokens == std::vector<std::string>{"EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."});
  CHECK(s.ner_tags == std::vector<std::string>{"B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"});
  CHECK(s.pos_tags[0] == "NNP");
  CHECK(s.chunk_tags[3] == "I-NP");
  CHECK(s.line == 3);
  CHECK(s.document == 0);
  CHECK(train.sentences[1].tokens == std::vector<std::string>{"Peter", "Blackburn"});
  CHECK(train.sentences[1].ner_tags == std::vector<std::string>{"B-PER", "I-PER"});
  size_t tokens = 0;
  for (const auto& sent : train.sentences) tokens += sent.tokens.size();
  CHECK(tokens == 203832);  // awk count of non-empty, non-DOCSTART lines
  // every sentence is valid BIO: no I-X without a preceding B-X/I-X of the same type
  for (const auto& sent : train.sentences)
    for (size_t i = 0; i < sent.ner_tags.size(); ++i)
      if (sent.ner_tags[i][0] == 'I') REQUIRE((i > 0 && sent.ner_tags[i - 1].substr(2) == sent.ner_tags[i].substr(2)));
  CHECK(tags_to_ids(s.ner_tags, train.label_names) == std::vector<int>{3, 0, 7, 0, 0, 0, 7, 0, 0});
}

TEST_CASE("IOB1 to BIO conversion", "[data][conll]") {
  CHECK(iob1_to_bio({"I-PER", "I-PER", "O", "I-LOC"}) == std::vector<std::string>{"B-PER", "I-PER", "O", "B-LOC"});
  // IOB1 B- marks a second entity of the same type right after the first
  CHECK(iob1_to_bio({"I-PER", "I-PER", "B-PER", "I-PER"}) == std::vector<std::string>{"B-PER", "I-PER", "B-PER", "I-PER"});
  // type change without B-: new entity
  CHECK(iob1_to_bio({"I-ORG", "I-LOC"}) == std::vector<std::string>{"B-ORG", "B-LOC"});
  // BIO passes through unchanged
  std::vector<std::string> bio = {"B-MISC", "I-MISC", "O", "B-PER"};
  CHECK(iob1_to_bio(bio) == bio);
}

TEST_CASE("CoNLL IOB1 file with -DOCSTART- and no blank line after it", "[data][conll]") {
  nlp::test::ScratchDir dir;
  auto path = dir.write("iob1.txt",
      "-DOCSTART- -X- -O O\n"
      "U.N. NNP I-NP I-ORG\nofficial NN I-NP O\nEkeus NNP I-NP I-PER\n\n"
      "-DOCSTART- -X- -O O\n"
      "Peter NNP I-NP I-PER\nPaul NNP I-NP B-PER\n\n\n");
  auto ds = read_conll2003(path);
  REQUIRE(ds.sentences.size() == 2);
  CHECK(ds.num_documents == 2);
  CHECK(ds.sentences[0].ner_tags == std::vector<std::string>{"B-ORG", "O", "B-PER"});
  CHECK(ds.sentences[1].ner_tags == std::vector<std::string>{"B-PER", "B-PER"});
  CHECK(ds.sentences[1].document == 1);
  CHECK(ds.sentences[1].line == 7);
  ConllReadOptions keep;
  keep.convert_iob1_to_bio = false;
  CHECK(read_conll2003(path, keep).sentences[0].ner_tags[0] == "I-ORG");
}

TEST_CASE("CoNLL malformed input names file:line", "[data][conll]") {
  nlp::test::ScratchDir dir;
  CHECK_THROWS_WITH(read_conll2003(dir.write("a.txt", "EU NNP B-NP B-ORG\nrejects VBZ B-VP\n")),
                    Catch::Contains("a.txt:2") && Catch::Contains("expected 4 columns"));
  CHECK_THROWS_WITH(read_conll2003(dir.write("b.txt", "EU NNP B-NP B-ORG\n\nx X Y PER\n")),
                    Catch::Contains("b.txt:3") && Catch::Contains("NER tag 'PER'"));
  CHECK_THROWS_WITH(read_conll2003(dir.write("c.txt", "-DOCSTART- -X- -X- O\n\n")), Catch::Contains("c.txt") && Catch::Contains("no sentences"));
  CHECK_THROWS_WITH(tags_to_ids({"B-FOO"}, conll2003_ner_labels()), Catch::Contains("B-FOO"));
}

#include <catch2/catch.hpp>

#include "nlp/data/glue.h"
#include "nlp/util/error.h"
#include "support/shared.h"
#include "support/temp_dir.h"

using nlp::data::read_glue_tsv;

static size_t count_label(const nlp::data::GlueDataset& d, int label) {
  return static_cast<size_t>(std::count_if(d.examples.begin(), d.examples.end(), [&](const auto& e) { return e.label == label; }));
}

TEST_CASE("GLUE SST-2 train/dev/test", "[data][glue]") {
  auto train = read_glue_tsv("SST-2", nlp::test::shared_path("data/glue/SST-2/train.tsv"));
  auto dev = read_glue_tsv("sst2", nlp::test::shared_path("data/glue/SST-2/dev.tsv"));
  auto test = read_glue_tsv("sst2", nlp::test::shared_path("data/glue/SST-2/test.tsv"));
  CHECK(train.examples.size() == 67349);
  CHECK(dev.examples.size() == 872);
  CHECK(test.examples.size() == 1821);
  CHECK_FALSE(test.has_labels);
  CHECK(test.examples[0].label == -1);
  CHECK(train.examples[0].text_a == "hide new secretions from the parental units ");
  CHECK(train.examples[0].label == 0);
  CHECK(train.examples[0].line == 2);
  CHECK(dev.examples[0].label == 1);
  CHECK(count_label(dev, 1) == 444);  // dev positives (majority class: 444 / 872 = 50.9%)
  CHECK(dev.examples[0].text_b.empty());
}

TEST_CASE("GLUE CoLA has no header in train/dev", "[data][glue]") {
  auto train = read_glue_tsv("CoLA", nlp::test::shared_path("data/glue/CoLA/train.tsv"));
  auto dev = read_glue_tsv("cola", nlp::test::shared_path("data/glue/CoLA/dev.tsv"));
  auto test = read_glue_tsv("cola", nlp::test::shared_path("data/glue/CoLA/test.tsv"));
  CHECK(train.examples.size() == 8551);
  CHECK(dev.examples.size() == 1043);
  CHECK(test.examples.size() == 1063);
  CHECK(train.examples[0].text_a == "Our friends won't buy this analysis, let alone the next one we propose.");
  CHECK(train.examples[0].line == 1);
  CHECK(count_label(dev, 1) == 721);
}

TEST_CASE("GLUE MRPC (BOM header, stray quotes kept)", "[data][glue]") {
  auto train = read_glue_tsv("MRPC", nlp::test::shared_path("data/glue/MRPC/train.tsv"));
  auto dev = read_glue_tsv("mrpc", nlp::test::shared_path("data/glue/MRPC/dev.tsv"));
  auto test = read_glue_tsv("mrpc", nlp::test::shared_path("data/glue/MRPC/test.tsv"));
  CHECK(train.examples.size() == 3668);
  CHECK(dev.examples.size() == 408);
  CHECK(test.examples.size() == 1725);
  CHECK(dev.has_labels);
  CHECK_FALSE(test.has_labels);
  CHECK(dev.examples[0].label == 1);
  CHECK(dev.examples[0].text_b == "\"The foodservice pie business does not fit our long-term growth strategy.");
  CHECK(count_label(dev, 1) == 279);
}

TEST_CASE("GLUE RTE and STS-B", "[data][glue]") {
  auto rte_train = read_glue_tsv("RTE", nlp::test::shared_path("data/glue/RTE/train.tsv"));
  auto rte_dev = read_glue_tsv("rte", nlp::test::shared_path("data/glue/RTE/dev.tsv"));
  auto rte_test = read_glue_tsv("rte", nlp::test::shared_path("data/glue/RTE/test.tsv"));
  CHECK(rte_train.examples.size() == 2490);
  CHECK(rte_dev.examples.size() == 277);
  CHECK(rte_test.examples.size() == 3000);
  CHECK(rte_dev.task.label_names == std::vector<std::string>{"entailment", "not_entailment"});
  CHECK(rte_dev.examples[0].label == 1);
  CHECK(rte_dev.examples[0].text_b == "Christopher Reeve had an accident.");

  auto sts_train = read_glue_tsv("STS-B", nlp::test::shared_path("data/glue/STS-B/train.tsv"));
  auto sts_dev = read_glue_tsv("stsb", nlp::test::shared_path("data/glue/STS-B/dev.tsv"));
  CHECK(sts_train.examples.size() == 5749);
  CHECK(sts_dev.examples.size() == 1500);
  CHECK(sts_dev.task.is_regression);
  CHECK(sts_dev.examples[1].score == Approx(4.75));
  CHECK(sts_dev.examples[1].text_a == "A young child is riding a horse.");
  CHECK(sts_dev.examples[1].label == -1);
}

TEST_CASE("GLUE QQP / QNLI / MNLI layouts", "[data][glue]") {
  nlp::test::ScratchDir dir;
  auto qqp = read_glue_tsv("qqp", dir.write("qqp.tsv",
      "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n7\t1\t2\tHow?\tWhy?\t1\n8\t3\t4\tA?\tB?\t0\n"));
  CHECK(qqp.examples.size() == 2);
  CHECK(qqp.examples[0].text_a == "How?");
  CHECK(qqp.examples[0].label == 1);
  auto qqp_test = read_glue_tsv("qqp", dir.write("qqp_test.tsv", "id\tquestion1\tquestion2\n0\tQ1?\tQ2?\n"));
  CHECK_FALSE(qqp_test.has_labels);
  CHECK(qqp_test.examples[0].text_b == "Q2?");
  auto qnli = read_glue_tsv("QNLI", dir.write("qnli.tsv", "index\tquestion\tsentence\tlabel\n0\tWho?\tHim.\tnot_entailment\n"));
  CHECK(qnli.examples[0].label == 1);
  auto mnli = read_glue_tsv("MNLI", dir.write("mnli.tsv",
      "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\t"
      "sentence1\tsentence2\tlabel1\tgold_label\n"
      "0\t1\t1n\tgov\t(x)\t(y)\t(X)\t(Y)\tPremise.\tHypothesis.\tneutral\tneutral\n"));
  CHECK(mnli.examples[0].text_a == "Premise.");
  CHECK(mnli.examples[0].label == 2);
}

TEST_CASE("GLUE malformed input names file:line", "[data][glue]") {
  nlp::test::ScratchDir dir;
  CHECK_THROWS_WITH(read_glue_tsv("sst2", dir.write("a.tsv", "sentence\tlabel\ngood\t1\nbad\t2\n")),
                    Catch::Contains("a.tsv:3") && Catch::Contains("label '2' is not one of 0, 1"));
  CHECK_THROWS_WITH(read_glue_tsv("sst2", dir.write("b.tsv", "sentence\tlabel\ngood\t1\nmissing field\n")),
                    Catch::Contains("b.tsv:3") && Catch::Contains("expected 2 fields"));
  CHECK_THROWS_WITH(read_glue_tsv("rte", dir.write("c.tsv", "index\tsentence1\tlabel\n0\ta\tentailment\n")),
                    Catch::Contains("c.tsv:1") && Catch::Contains("missing column 'sentence2'"));
  CHECK_THROWS_WITH(read_glue_tsv("stsb", dir.write("d.tsv",
                        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
                        "0\tg\tf\t2012\t0\tn\tn\tA.\tB.\t5.5\n")),
                    Catch::Contains("d.tsv:2") && Catch::Contains("outside the range [0, 5]"));
  CHECK_THROWS_WITH(read_glue_tsv("stsb", dir.write("e.tsv",
                        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
                        "0\tg\tf\t2012\t0\tn\tn\tA.\tB.\tfive\n")),
                    Catch::Contains("e.tsv:2") && Catch::Contains("expected a number"));
  CHECK_THROWS_WITH(read_glue_tsv("cola", dir.write("f.tsv", "gj04\t1\t\tFine.\ngj04\t1\tOnly three\n")),
                    Catch::Contains("f.tsv:2") && Catch::Contains("expected 4"));
  nlp::data::GlueReadOptions skip;
  skip.skip_malformed_rows = true;
  auto skipped = read_glue_tsv("sst2", dir.path.string() + "/b.tsv", skip);
  CHECK(skipped.examples.size() == 1);
  CHECK(skipped.skipped_lines == std::vector<size_t>{3});
  CHECK_THROWS_WITH(read_glue_tsv("sst2", dir.path.string() + "/a.tsv", skip), Catch::Contains("a.tsv:3"));  // bad labels still fail
  CHECK_THROWS_WITH(read_glue_tsv("sst2", dir.write("g.tsv", "")), Catch::Contains("g.tsv") && Catch::Contains("no examples"));
  CHECK_THROWS_WITH(read_glue_tsv("sst2", dir.write("h.tsv", "sentence\tlabel\n")), Catch::Contains("h.tsv") && Catch::Contains("no examples"));
  CHECK_THROWS_WITH(read_glue_tsv("sst2", (dir.path / "absent.tsv").string()), Catch::Contains("absent.tsv"));
  CHECK_THROWS_WITH(read_glue_tsv("nope", dir.write("i.tsv", "x\n")), Catch::Contains("unknown task 'nope'"));
}

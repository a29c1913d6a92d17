// SQuAD windows and post-processing on real XQuAD-en data (no model needed: the gold span is
// fed back as one-hot logits).
#include <catch2/catch.hpp>

#include <iostream>

#include "nlp/data/squad.h"
#include "nlp/metrics/squad.h"
#include "nlp/tasks/squad.h"
#include "support/shared.h"

using namespace nlp;

TEST_CASE("SQuAD windows recover every gold answer span of XQuAD-en from its own tokens", "[tasks][squad]") {
  auto tk = tok::Tokenizer::from_pretrained(test::shared_path("fixtures/tokenizers/bert-base-uncased"));
  data::QaDataset ds = data::read_squad_json(test::shared_path("data/qa/xquad/xquad.en.json"));
  REQUIRE(ds.examples.size() == 1190);
  tasks::QaOptions o;  // 384 / 128 / 64 / n_best 20 / max_answer_length 30
  size_t in_window = 0, covered = 0, exact_text = 0, recovered_em = 0, multi_window = 0, answers = 0;
  const int64_t cls = tk.cls_token_id(), sep = tk.sep_token_id();
  for (size_t i = 0; i < ds.examples.size(); ++i) {
    const auto& e = ds.examples[i];
    const auto& a = e.answers.at(0);
    ++answers;
    auto feats = tasks::make_qa_features(tk, e.question, e.context, o, a.answer_start_byte, a.answer_end_byte, i);
    REQUIRE(!feats.empty());
    if (feats.size() > 1) ++multi_window;
    bool any = false;
    for (const auto& f : feats) {
      REQUIRE(f.input.input_ids.size() <= 384);
      REQUIRE(f.input.input_ids.front() == cls);
      REQUIRE(f.input.input_ids.back() == sep);
      REQUIRE(f.offsets.size() == f.input.input_ids.size());
      if (!f.answer_in_window) {
        CHECK(f.start_position == 0);
        CHECK(f.end_position == 0);
        continue;
      }
      any = true;
      REQUIRE(f.start_position <= f.end_position);
      const auto sb = f.offsets[f.start_position].first, eb = f.offsets[f.end_position].second;
      REQUIRE(sb >= 0);
      // the token span covers the answer, and no token can be dropped from either end
      if (sb <= a.answer_start_byte && eb >= a.answer_end_byte &&
          f.offsets[f.start_position].second > a.answer_start_byte && f.offsets[f.end_position].first < a.answer_end_byte)
        ++covered;
      if (e.context.substr(sb, eb - sb) == a.text) ++exact_text;
      // post-processing of one-hot logits at the gold tokens gives back the answer
      std::vector<float> sl(f.offsets.size(), -10.f), el(f.offsets.size(), -10.f);
      sl[f.start_position] = 10.f;
      el[f.end_position] = 10.f;
      auto p = tasks::postprocess_qa(e.context, {&f}, {sl}, {el}, o);
      if (metrics::squad_exact_match(p.answer, a.text) == 1.0) ++recovered_em;
      break;  // first window holding the answer
    }
    if (any) ++in_window;
  }
  std::cout << "[squad windows] XQuAD-en: " << answers << " answers, " << multi_window << " questions with >1 window, "
            << in_window << " answers inside a window, token spans covering the answer: " << covered << "/" << in_window
            << " (" << 100.0 * covered / in_window << "%), exact text: " << exact_text << "/" << in_window
            << ", post-processed exact match: " << recovered_em << "/" << in_window << " ("
            << 100.0 * recovered_em / in_window << "%)" << std::endl;
  CHECK(in_window == answers);  // with 384/128 every XQuAD answer fits a window
  CHECK(covered == in_window);  // 100% required
  CHECK(multi_window > 0);      // long contexts really are windowed
  // Token boundaries can extend past an answer only inside a word (e.g. a gold span that cuts a
  // word); post-processing must recover (normalised) the text nearly always.
  CHECK(static_cast<double>(recovered_em) / in_window > 0.99);
}

TEST_CASE("windows overlap by doc_stride and the last window ends at the context end", "[tasks][squad]") {
  auto tk = tok::Tokenizer::from_pretrained(test::shared_path("fixtures/tokenizers/bert-base-uncased"));
  data::QaDataset ds = data::read_squad_json(test::shared_path("data/qa/xquad/xquad.en.json"));
  tasks::QaOptions o;
  o.max_seq_length = 64;
  o.doc_stride = 16;
  const auto& e = ds.examples[0];
  auto ctx = tk.tokenize(e.context);
  auto q = tk.tokenize(e.question);
  auto feats = tasks::make_qa_features(tk, e.question, e.context, o);
  const size_t window = 64 - q.size() - 3;
  REQUIRE(feats.size() > 2);
  size_t ctx_start = 0;
  for (size_t w = 0; w < feats.size(); ++w) {
    const auto& f = feats[w];
    CHECK(f.input.input_ids.size() <= 64);
    // first context token of window w is token w * (window - stride)
    size_t first = 0;
    while (f.offsets[first].first < 0) ++first;
    CHECK(f.input.input_ids[first] == ctx[ctx_start].id);
    CHECK(f.input.token_type_ids[first] == 1);
    CHECK(f.input.token_type_ids[first - 1] == 0);
    ctx_start += window - 16;
  }
  const auto& last = feats.back();
  CHECK(last.offsets[last.offsets.size() - 2].second == ctx.back().end);
}

TEST_CASE("v2.0 post-processing predicts no answer when the null score wins by the threshold", "[tasks][squad]") {
  tasks::QaFeature f;
  f.input.input_ids = {101, 1, 102, 5, 6, 7, 102};
  f.offsets = {{-1, -1}, {-1, -1}, {-1, -1}, {0, 3}, {4, 7}, {8, 11}, {-1, -1}};
  const std::string ctx = "abc def ghi";
  std::vector<float> sl = {3.f, 0, 0, 1.f, 0, 0, 0}, el = {3.f, 0, 0, 0, 1.5f, 0, 0};
  tasks::QaOptions o;
  o.version_2_with_negative = true;
  auto p = tasks::postprocess_qa(ctx, {&f}, {sl}, {el}, o);
  CHECK(p.answer.empty());
  CHECK(p.null_score_diff == Approx(6.0 - 2.5));
  o.null_score_diff_threshold = 4.0;
  p = tasks::postprocess_qa(ctx, {&f}, {sl}, {el}, o);
  CHECK(p.answer == "abc def");
  o.version_2_with_negative = false;  // v1.1: the best non-null span, never the [CLS]
  p = tasks::postprocess_qa(ctx, {&f}, {sl}, {el}, o);
  CHECK(p.answer == "abc def");
  o.max_answer_length = 1;  // "abc def" is 2 tokens: best single token pair wins
  p = tasks::postprocess_qa(ctx, {&f}, {sl}, {el}, o);
  CHECK((p.answer == "abc" || p.answer == "def"));
}

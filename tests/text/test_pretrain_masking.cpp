// Masking objectives: MLM (Bernoulli and fixed-count), whole-word, SpanBERT spans + SBO,
// ELECTRA labels, static vs dynamic schedules, collation.
#include <catch2/catch.hpp>

#include <cmath>

#include "nlp/pretrain/dataset.h"
#include "nlp/pretrain/masking.h"
#include "nlp/util/error.h"
#include "support/shared.h"
#include "text/test_pretrain_support.h"

using namespace nlp::pretrain;
using nlp::test::ChunkTokenizer;
using nlp::test::TempDir;

namespace {

// BERT segment pairs ([CLS] A [SEP] B [SEP], max 128) over the whole bible: ~1.3M maskable tokens.
struct MaskFixture {
  TempDir tmp{"masking"};
  Corpus corpus;
  SpecialTokens special = ChunkTokenizer::special();
  ExampleSet pairs;
  std::vector<Sequence> seqs;
  uint64_t maskable = 0;
  MaskFixture() {
    CorpusReadOptions opt;
    opt.max_sentences_per_document = 50;
    std::vector<TokenShard> shards;
    shards.push_back(open_or_build_shard(nlp::test::shared_path("data/corpus/kjv-bible.txt"), tmp.path, ChunkTokenizer{}, 1,
                                         ChunkTokenizer::kVocab, opt));
    corpus = Corpus(std::move(shards));
    std::vector<uint64_t> docs(corpus.num_documents());
    for (uint64_t d = 0; d < docs.size(); ++d) docs[d] = d;
    pairs = build_segment_pairs(corpus, docs, PairConfig{}, 7);
    for (uint64_t i = 0; i < pairs.size(); ++i) {
      seqs.push_back(materialize(corpus, pairs, i, special));
      for (uint8_t s : seqs.back().special_tokens_mask) maskable += s ? 0 : 1;
    }
  }
};

MaskFixture& fx() {
  static MaskFixture f;
  return f;
}

// Independent word segmentation: a word starts at a non-special token with word_start = 1 or
// right after a special token; continuation tokens have word_start = 0.
std::vector<std::pair<size_t, size_t>> words_of(const Sequence& s) {
  std::vector<std::pair<size_t, size_t>> w;
  for (size_t i = 0; i < s.input_ids.size(); ++i) {
    if (s.special_tokens_mask[i]) continue;
    if (w.empty() || s.word_start[i] || s.special_tokens_mask[i - 1]) w.push_back({i, i + 1});
    else w.back().second = i + 1;
  }
  return w;
}

struct Stats {
  uint64_t maskable = 0, selected = 0, masked = 0, random = 0, kept = 0;
};

Stats mask_all(const MaskingConfig& cfg, uint64_t seed, const std::function<void(const Sequence&, const MaskedSequence&)>& check = {}) {
  MaskFixture& f = fx();
  validate(cfg, f.special);
  Stats st;
  st.maskable = f.maskable;
  for (size_t i = 0; i < f.seqs.size(); ++i) {
    Rng rng(mix_seed({seed, i}));
    const Sequence& s = f.seqs[i];
    MaskedSequence m = apply_masking(s, f.special, cfg, rng);
    REQUIRE(m.input_ids.size() == s.input_ids.size());
    REQUIRE(m.labels.size() == s.input_ids.size());
    for (size_t k = 0; k < s.input_ids.size(); ++k) {
      if (s.special_tokens_mask[k]) {  // never a special token
        REQUIRE(m.labels[k] == kIgnoreIndex);
        REQUIRE(m.input_ids[k] == s.input_ids[k]);
        continue;
      }
      if (m.labels[k] == kIgnoreIndex) {
        REQUIRE(m.input_ids[k] == s.input_ids[k]);
        continue;
      }
      REQUIRE(m.labels[k] == s.input_ids[k]);
      ++st.selected;
      if (m.input_ids[k] == f.special.mask) ++st.masked;
      else if (m.input_ids[k] == s.input_ids[k]) ++st.kept;
      else {
        REQUIRE_FALSE(f.special.is_special(m.input_ids[k]));
        ++st.random;
      }
    }
    if (check) check(s, m);
  }
  return st;
}

void check_split(const Stats& st, double tol_selected = 0.005) {
  INFO("maskable " << st.maskable << " selected " << st.selected << " mask " << st.masked << " random " << st.random
                   << " kept " << st.kept);
  REQUIRE(st.maskable >= 1000000);
  CHECK(std::abs(static_cast<double>(st.selected) / st.maskable - 0.15) <= tol_selected);
  CHECK(std::abs(static_cast<double>(st.masked) / st.selected - 0.8) <= 0.005);
  CHECK(std::abs(static_cast<double>(st.random) / st.selected - 0.1) <= 0.005);
  CHECK(std::abs(static_cast<double>(st.kept) / st.selected - 0.1) <= 0.005);
}

}  // namespace

TEST_CASE("pretrain masking: Bernoulli MLM statistics over >1M tokens (HF collator)", "[pretrain][masking]") {
  MaskingConfig cfg;  // Bernoulli, token unit
  check_split(mask_all(cfg, 1));
}

TEST_CASE("pretrain masking: fixed-count MLM (original BERT) statistics and exact budget", "[pretrain][masking]") {
  MaskingConfig cfg;
  cfg.selection = MaskSelection::FixedCount;
  cfg.max_predictions = 20;
  check_split(mask_all(cfg, 2, [&](const Sequence& s, const MaskedSequence& m) {
    int64_t n = 0, sel = 0;
    for (size_t k = 0; k < s.input_ids.size(); ++k) {
      n += s.special_tokens_mask[k] ? 0 : 1;
      sel += m.labels[k] != kIgnoreIndex;
    }
    // min(max_predictions, max(1, round(n * 0.15)))
    REQUIRE(sel == std::min<int64_t>(20, std::max<int64_t>(1, static_cast<int64_t>(std::nearbyint(n * 0.15)))));
  }));
  // Python's round() is half-to-even: 10 * 0.15 = 1.5 -> 2, 30 * 0.15 = 4.5 -> 4
  CHECK(masking_budget(30, cfg) == 4);
  CHECK(masking_budget(10, cfg) == 2);
  CHECK(masking_budget(3, cfg) == 1);
  CHECK(masking_budget(1000, cfg) == 20);
  CHECK(masking_budget(0, cfg) == 0);
}

TEST_CASE("pretrain masking: whole-word masking never splits a word", "[pretrain][masking]") {
  uint64_t multi_piece_words_selected = 0;
  auto never_split = [&](const Sequence& s, const MaskedSequence& m) {
    for (auto [b, e] : words_of(s)) {
      size_t sel = 0;
      for (size_t k = b; k < e; ++k) sel += m.labels[k] != kIgnoreIndex;
      REQUIRE((sel == 0 || sel == e - b));
      if (sel > 1) ++multi_piece_words_selected;
    }
  };
  MaskingConfig cfg;
  cfg.unit = MaskUnit::WholeWord;
  cfg.selection = MaskSelection::FixedCount;
  cfg.max_predictions = 20;
  check_split(mask_all(cfg, 3, [&](const Sequence& s, const MaskedSequence& m) {
    never_split(s, m);
    int64_t n = 0, sel = 0;
    for (size_t k = 0; k < s.input_ids.size(); ++k) {
      n += s.special_tokens_mask[k] ? 0 : 1;
      sel += m.labels[k] != kIgnoreIndex;
    }
    REQUIRE(sel <= masking_budget(n, cfg));  // the cap on total masked tokens
  }));
  CHECK(multi_piece_words_selected > 10000);

  cfg.selection = MaskSelection::Bernoulli;  // per word with p = 0.15: 15% of tokens in expectation
  cfg.max_predictions = 0;
  check_split(mask_all(cfg, 4, never_split));
}

TEST_CASE("pretrain masking: span lengths follow the clipped geometric distribution", "[pretrain][masking][span]") {
  const double p = 0.2, q = 0.8;
  const int m = 10;
  // Closed forms, independent of the sampler's table.
  const double truncated_mean = 1 / p - m * std::pow(q, m) / (1 - std::pow(q, m));  // 3.797 (SpanBERT's 3.8)
  const double clipped_mean = (1 - std::pow(q, m)) / p;                              // 4.463
  CHECK(truncated_mean == Approx(3.7969).epsilon(1e-4));
  for (auto dist : {SpanLengthDistribution::Truncated, SpanLengthDistribution::Clipped}) {
    SpanLengthSampler sampler(p, m, dist);
    const double analytic = dist == SpanLengthDistribution::Truncated ? truncated_mean : clipped_mean;
    CHECK(sampler.mean() == Approx(analytic).epsilon(1e-12));
    Rng rng(99);
    const int draws = 1000000;
    std::vector<int> hist(m + 1, 0);
    double sum = 0;
    for (int i = 0; i < draws; ++i) {
      int64_t l = sampler.sample(rng);
      REQUIRE(l >= 1);
      REQUIRE(l <= m);
      ++hist[static_cast<size_t>(l)];
      sum += static_cast<double>(l);
    }
    INFO("distribution " << (dist == SpanLengthDistribution::Truncated ? "truncated" : "clipped") << " empirical mean "
                         << sum / draws << " analytic " << analytic);
    CHECK(std::abs(sum / draws - analytic) / analytic < 0.02);
    const double z = dist == SpanLengthDistribution::Truncated ? 1 - std::pow(q, m) : 1.0;
    for (int l = 1; l <= m; ++l) {
      double want = (dist == SpanLengthDistribution::Clipped && l == m) ? std::pow(q, m - 1) : p * std::pow(q, l - 1) / z;
      CHECK(std::abs(hist[static_cast<size_t>(l)] / static_cast<double>(draws) - want) < 0.003);
    }
  }
}

TEST_CASE("pretrain masking: SpanBERT span masking - whole words, budget, per-span 80/10/10, SBO", "[pretrain][masking][span]") {
  MaskingConfig cfg;
  cfg.unit = MaskUnit::Span;
  uint64_t spans = 0, span_mask = 0, span_keep = 0, span_random = 0, span_tokens = 0, span_words = 0;
  Stats st = mask_all(cfg, 5, [&](const Sequence& s, const MaskedSequence& m) {
    const auto words = words_of(s);
    std::vector<int> word_at(s.input_ids.size(), -1);
    std::vector<char> is_word_begin(s.input_ids.size() + 1, 0), is_word_end(s.input_ids.size() + 1, 0);
    for (size_t w = 0; w < words.size(); ++w) {
      is_word_begin[words[w].first] = 1;
      is_word_end[words[w].second] = 1;
    }
    int64_t n = 0, sel = 0;
    for (size_t k = 0; k < s.input_ids.size(); ++k) {
      n += s.special_tokens_mask[k] ? 0 : 1;
      sel += m.labels[k] != kIgnoreIndex;
    }
    REQUIRE(sel <= masking_budget(n, cfg));  // ceil(n * 0.15)
    int64_t in_spans = 0, prev_end = -1;
    for (const MaskedSpan& sp : m.spans) {
      REQUIRE(sp.begin > prev_end - 1);  // sorted, disjoint
      prev_end = sp.end;
      REQUIRE(is_word_begin[static_cast<size_t>(sp.begin)]);  // whole words only
      REQUIRE(is_word_end[static_cast<size_t>(sp.end)]);
      int nw = 0;
      for (int64_t k = sp.begin; k < sp.end; ++k) {
        REQUIRE(s.special_tokens_mask[static_cast<size_t>(k)] == 0);
        nw += is_word_begin[static_cast<size_t>(k)];
      }
      REQUIRE(nw >= 1);
      REQUIRE(nw <= 10);
      in_spans += sp.end - sp.begin;
      ++spans;
      span_tokens += static_cast<uint64_t>(sp.end - sp.begin);
      span_words += static_cast<uint64_t>(nw);
      // 80/10/10 decided once per span
      int masks = 0, same = 0;
      for (int64_t k = sp.begin; k < sp.end; ++k) {
        masks += m.input_ids[static_cast<size_t>(k)] == fx().special.mask;
        same += m.input_ids[static_cast<size_t>(k)] == s.input_ids[static_cast<size_t>(k)];
      }
      const int len = static_cast<int>(sp.end - sp.begin);
      if (masks == len) ++span_mask;
      else if (same == len) ++span_keep;
      else {
        REQUIRE(masks == 0);
        ++span_random;
      }
    }
    REQUIRE(in_spans == sel);  // every selected token is in exactly one span
    // SBO: boundaries s-1 and e+1 and the relative position of each masked token
    auto targets = sbo_targets(m);
    REQUIRE(static_cast<int64_t>(targets.size()) == sel);
    for (const SboTarget& t : targets) {
      REQUIRE(t.left >= 0);
      REQUIRE(t.right < static_cast<int64_t>(s.input_ids.size()));
      REQUIRE(t.left < t.position);
      REQUIRE(t.position < t.right);
      REQUIRE(t.relative == t.position - t.left - 1);
      REQUIRE(m.labels[static_cast<size_t>(t.position)] != kIgnoreIndex);
    }
  });
  INFO("spans " << spans << " mask " << span_mask << " keep " << span_keep << " random " << span_random << " tokens/span "
                << double(span_tokens) / spans << " words/span " << double(span_words) / spans);
  CHECK(std::abs(static_cast<double>(st.selected) / st.maskable - 0.15) <= 0.005);
  CHECK(std::abs(static_cast<double>(span_mask) / spans - 0.8) <= 0.01);
  CHECK(std::abs(static_cast<double>(span_keep) / spans - 0.1) <= 0.01);
  CHECK(std::abs(static_cast<double>(span_random) / spans - 0.1) <= 0.01);
  // realised spans are cut by the budget, neighbours and segment ends: shorter than 3.8 words on average
  CHECK(double(span_words) / spans > 2.0);
  CHECK(double(span_words) / spans < 3.8);
}

TEST_CASE("pretrain masking: ELECTRA discriminator labels are replaced != original", "[pretrain][masking][electra]") {
  const std::vector<int32_t> original = {2, 10, 11, 12, 13, 14, 3};
  const std::vector<int64_t> positions = {1, 3, 5};
  const std::vector<int32_t> sampled = {99, 12, 77};  // position 3: the generator reproduced the original
  ElectraDiscriminatorInputs d = electra_discriminator_inputs(original, positions, sampled);
  CHECK(d.input_ids == std::vector<int32_t>{2, 99, 11, 12, 13, 77, 3});
  CHECK(d.labels == std::vector<int64_t>{0, 1, 0, 0, 0, 1, 0});
  CHECK_THROWS_AS(electra_discriminator_inputs(original, positions, {1, 2}), nlp::Error);
  CHECK_THROWS_AS(electra_discriminator_inputs(original, {7}, {1}), nlp::Error);

  // With real MLM masks and a "generator" that samples the original half of the time.
  MaskFixture& f = fx();
  MaskingConfig cfg;
  uint64_t equal = 0, replaced = 0;
  for (size_t i = 0; i < 200; ++i) {
    Rng rng(i);
    MaskedSequence m = apply_masking(f.seqs[i], f.special, cfg, rng);
    std::vector<int64_t> pos = masked_positions(m.labels);
    std::vector<int32_t> samples;
    for (int64_t p : pos) samples.push_back(rng.bernoulli(0.5) ? f.seqs[i].input_ids[static_cast<size_t>(p)] : 20 + static_cast<int32_t>(rng.uniform_below(100)));
    ElectraDiscriminatorInputs e = electra_discriminator_inputs(f.seqs[i].input_ids, pos, samples);
    for (size_t k = 0; k < e.labels.size(); ++k) {
      REQUIRE(e.labels[k] == (e.input_ids[k] != f.seqs[i].input_ids[k] ? 1 : 0));
      if (m.labels[k] == kIgnoreIndex) REQUIRE(e.labels[k] == 0);
      else (e.labels[k] ? replaced : equal) += 1;
    }
  }
  CHECK(equal > 100);
  CHECK(replaced > 100);
}

TEST_CASE("pretrain masking: dynamic masks change across epochs, static ones do not", "[pretrain][masking][dataset]") {
  MaskFixture& f = fx();
  DatasetConfig cfg;
  cfg.seed = 17;
  cfg.schedule = MaskingSchedule::Dynamic;
  PretrainingDataset dyn(f.corpus, f.pairs, f.special, cfg);
  PretrainingDataset dyn2(f.corpus, f.pairs, f.special, cfg);
  REQUIRE(dyn.size() == f.pairs.size());
  // resumable: example (epoch 3, index 40) is the same whatever was fetched before
  TrainingExample late = dyn2.get(40, 3);
  int differ = 0;
  for (uint64_t i = 0; i < 300; ++i) {
    TrainingExample e0 = dyn.get(i, 0), e1 = dyn.get(i, 1);
    REQUIRE(e0.token_type_ids == e1.token_type_ids);
    REQUIRE(e0.sentence_label == e1.sentence_label);
    REQUIRE(e0.sentence_label == f.seqs[i].label);
    differ += e0.labels != e1.labels;
    TrainingExample again = dyn2.get(i, 0);  // same seed -> same output
    REQUIRE(again.input_ids == e0.input_ids);
    REQUIRE(again.labels == e0.labels);
  }
  CHECK(differ >= 295);
  CHECK(dyn.get(40, 3).labels == late.labels);

  cfg.schedule = MaskingSchedule::Static;
  cfg.dupe_factor = 3;
  PretrainingDataset st(f.corpus, f.pairs, f.special, cfg);
  REQUIRE(st.size() == 3 * f.pairs.size());
  const uint64_t n = f.pairs.size();
  int copies_differ = 0;
  for (uint64_t i = 0; i < 300; ++i) {
    TrainingExample e0 = st.get(i, 0);
    for (uint64_t epoch : {1, 2, 7}) {
      TrainingExample ek = st.get(i, epoch);
      REQUIRE(ek.input_ids == e0.input_ids);
      REQUIRE(ek.labels == e0.labels);
    }
    TrainingExample copy = st.get(i + n, 0);  // the same example, another dupe copy
    REQUIRE(copy.token_type_ids == e0.token_type_ids);
    copies_differ += copy.labels != e0.labels;
  }
  CHECK(copies_differ >= 295);

  cfg.seed = 18;
  PretrainingDataset other(f.corpus, f.pairs, f.special, cfg);
  CHECK(other.get(0, 0).labels != st.get(0, 0).labels);

  DatasetConfig clm;
  clm.objective = Objective::CausalLm;
  ExampleSet blocks = build_causal_blocks(f.corpus, {0, 1, 2}, 64, -1);
  PretrainingDataset gpt(f.corpus, blocks, f.special, clm);
  TrainingExample g = gpt.get(1, 0);
  CHECK(g.input_ids.size() == 64);
  CHECK(std::vector<int64_t>(g.input_ids.begin(), g.input_ids.end()) == g.labels);
  CHECK_THROWS_AS(gpt.get(gpt.size(), 0), nlp::Error);
}

TEST_CASE("pretrain masking: collate pads to [batch, seq_len] with SBO targets", "[pretrain][masking][dataset]") {
  MaskFixture& f = fx();
  DatasetConfig cfg;
  cfg.masking.unit = MaskUnit::Span;
  PretrainingDataset ds(f.corpus, f.pairs, f.special, cfg);
  std::vector<TrainingExample> ex = {ds.get(0, 0), ds.get(1, 0), ds.get(2, 0)};
  Batch b = collate(ex, f.special.pad, 8);
  REQUIRE(b.batch_size == 3);
  size_t longest = std::max({ex[0].input_ids.size(), ex[1].input_ids.size(), ex[2].input_ids.size()});
  CHECK(b.seq_len == static_cast<int64_t>((longest + 7) / 8 * 8));
  for (size_t r = 0; r < 3; ++r) {
    for (int64_t k = 0; k < b.seq_len; ++k) {
      const size_t o = r * static_cast<size_t>(b.seq_len) + static_cast<size_t>(k);
      if (k < static_cast<int64_t>(ex[r].input_ids.size())) {
        REQUIRE(b.input_ids[o] == ex[r].input_ids[static_cast<size_t>(k)]);
        REQUIRE(b.attention_mask[o] == 1);
        REQUIRE(b.labels[o] == ex[r].labels[static_cast<size_t>(k)]);
      } else {
        REQUIRE(b.input_ids[o] == f.special.pad);
        REQUIRE(b.attention_mask[o] == 0);
        REQUIRE(b.labels[o] == kIgnoreIndex);
      }
    }
    CHECK(b.sentence_labels[r] == ex[r].sentence_label);
    int64_t masked = 0;
    for (int64_t l : ex[r].labels) masked += l != kIgnoreIndex;
    int64_t sbo = 0;
    for (int64_t k = 0; k < b.max_sbo; ++k) {
      const size_t o = r * static_cast<size_t>(b.max_sbo) + static_cast<size_t>(k);
      if (!b.sbo_mask[o]) continue;
      ++sbo;
      REQUIRE(b.sbo_labels[o] == ex[r].labels[static_cast<size_t>(b.sbo_positions[o])]);
    }
    CHECK(sbo == masked);
  }
}

TEST_CASE("pretrain masking: invalid configurations are rejected with the field name", "[pretrain][masking]") {
  SpecialTokens sp = ChunkTokenizer::special();
  MaskingConfig c;
  c.mlm_probability = 1.5;
  CHECK_THROWS_WITH(validate(c, sp), Catch::Contains("mlm_probability"));
  c = {};
  c.mask_replace_prob = 0.8;
  c.random_replace_prob = 0.3;
  CHECK_THROWS_WITH(validate(c, sp), Catch::Contains("random_replace_prob"));
  c = {};
  c.unit = MaskUnit::Span;
  c.span_max_words = 0;
  CHECK_THROWS_WITH(validate(c, sp), Catch::Contains("span_max_words"));
  c = {};
  SpecialTokens nomask = sp;
  nomask.mask = -1;
  CHECK_THROWS_WITH(validate(c, nomask), Catch::Contains("mask"));
  SpecialTokens tiny = sp;
  tiny.vocab_size = 4;
  CHECK_THROWS_WITH(validate(c, tiny), Catch::Contains("vocab_size"));
  // a special id inside the text (e.g. a literal "[MASK]" in the corpus) is never selected
  Sequence s;
  s.input_ids = {2, 4, 4, 4, 3};
  s.token_type_ids.assign(5, 0);
  s.special_tokens_mask = {1, 0, 0, 0, 1};
  s.word_start.assign(5, 1);
  c.mlm_probability = 1.0;
  Rng rng(1);
  MaskedSequence m = apply_masking(s, sp, c, rng);
  for (int64_t l : m.labels) CHECK(l == kIgnoreIndex);
}

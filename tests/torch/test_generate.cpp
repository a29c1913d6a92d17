// Generation parity with transformers 4.31 generate() (greedy references gen.* in the fixtures),
// with the KV cache on and off, plus cache-consistency checks for beam search and sampling and
// the `nlp generate` command.
#include <torch/torch.h>

#include <cstdlib>

#include "decoder_test_util.h"
#include "io_test_util.h"
#include "nlp/models/generation.h"
#include "nlp/util/fs.h"

using namespace nlp;

namespace {

struct GenSetup {
  test::dec::Fixture fx;
  std::shared_ptr<models::PretrainedModel> model;
  models::GenerativeModel* gen = nullptr;
  models::GenerationConfig cfg;
};

GenSetup setup(const std::string& name) {
  GenSetup s;
  s.fx = test::dec::load_fixture(name);
  s.model = models::from_pretrained(s.fx.dir).model;
  s.gen = dynamic_cast<models::GenerativeModel*>(s.model.get());
  REQUIRE(s.gen != nullptr);
  s.cfg = s.gen->default_generation_config();
  s.cfg.update(read_json_file(s.fx.dir + "/generation_config.json"), "generation_config.json");
  s.cfg.max_new_tokens = 8;  // the fixtures' generate kwargs
  return s;
}

}  // namespace

TEST_CASE("greedy generation matches transformers with and without the KV cache", "[generate][parity]") {
  for (const char* name : {"gpt2-lm", "bart-cg", "marian-mt"}) {
    for (bool cache : {true, false}) {
      DYNAMIC_SECTION(name << (cache ? " cache" : " no-cache")) {
        auto s = setup(name);
        s.cfg.use_cache = cache;
        auto out = models::generate(*s.gen, s.fx.tensors.at("gen.input_ids"), s.fx.tensors.at("gen.attention_mask"), s.cfg);
        const at::Tensor want_ids = s.fx.tensors.at("gen.output_ids");
        REQUIRE(out.sequences.sizes() == want_ids.sizes());
        CHECK(torch::equal(out.sequences, want_ids));
        const at::Tensor want_scores = s.fx.tensors.at("gen.scores");
        REQUIRE(static_cast<int64_t>(out.scores.size()) == want_scores.size(0));
        double worst = 0;
        for (size_t t = 0; t < out.scores.size(); ++t) {
          double d = test::dec::max_abs_diff(out.scores[t], want_scores[t]);
          INFO("step " << t);
          CHECK(d <= 1e-5);
          worst = std::max(worst, d);
        }
        WARN(name << (cache ? " cache" : " no-cache") << ": scores max abs diff " << worst);
      }
    }
  }
}

TEST_CASE("beam search and sampling give the same result with and without the cache", "[generate]") {
  for (const char* name : {"gpt2-lm", "bart-cg", "marian-mt"}) {
    DYNAMIC_SECTION(name) {
      auto s = setup(name);
      const auto ids = s.fx.tensors.at("gen.input_ids"), mask = s.fx.tensors.at("gen.attention_mask");
      for (int mode = 0; mode < 2; ++mode) {
        auto cfg = s.cfg;
        if (mode == 0) {
          cfg.num_beams = 3;
          cfg.num_return_sequences = 2;
          cfg.length_penalty = 1.5;
        } else {
          cfg.do_sample = true;
          cfg.top_k = 20;
          cfg.top_p = 0.9;
          cfg.temperature = 0.7;
          cfg.seed = 1234;
        }
        cfg.use_cache = true;
        auto a = models::generate(*s.gen, ids, mask, cfg);
        cfg.use_cache = false;
        auto b = models::generate(*s.gen, ids, mask, cfg);
        INFO((mode == 0 ? "beam" : "sample"));
        REQUIRE(a.sequences.sizes() == b.sequences.sizes());
        CHECK(torch::equal(a.sequences, b.sequences));
        REQUIRE(a.scores.size() == b.scores.size());
        for (size_t t = 0; t < a.scores.size(); ++t) {
          auto fin = torch::isfinite(a.scores[t]);
          CHECK(torch::equal(fin, torch::isfinite(b.scores[t])));
          CHECK(test::dec::max_abs_diff(a.scores[t].masked_select(fin), b.scores[t].masked_select(fin)) <= 1e-5);
        }
        if (mode == 0) {
          CHECK(a.sequences.size(0) == ids.size(0) * 2);
          // Returned hypotheses are ordered best first.
          auto sc = a.sequences_scores.view({ids.size(0), 2});
          CHECK((sc.select(1, 0) >= sc.select(1, 1)).all().item<bool>());
        }
      }
    }
  }
}

TEST_CASE("sampling with top_k = 1 equals greedy decoding", "[generate]") {
  auto s = setup("gpt2-lm");
  auto cfg = s.cfg;
  cfg.do_sample = true;
  cfg.top_k = 1;
  auto out = models::generate(*s.gen, s.fx.tensors.at("gen.input_ids"), s.fx.tensors.at("gen.attention_mask"), cfg);
  CHECK(torch::equal(out.sequences, s.fx.tensors.at("gen.output_ids")));
}

TEST_CASE("min_length and forced eos processors", "[generate]") {
  auto s = setup("bart-cg");
  auto cfg = s.cfg;
  cfg.min_length = 5;
  cfg.forced_eos_token_id = 2;
  auto out = models::generate(*s.gen, s.fx.tensors.at("gen.input_ids"), s.fx.tensors.at("gen.attention_mask"), cfg);
  // eos (2) is -inf before length 5; the last step (length max_length - 1 = 8) forces eos.
  for (size_t t = 0; t + 1 < 4 && t < out.scores.size(); ++t) CHECK(std::isinf(out.scores[t][0][2].item<float>()));
  CHECK(out.sequences.size(1) <= 9);
  for (int64_t r = 0; r < out.sequences.size(0); ++r) {
    auto row = out.sequences[r];
    CHECK((row.narrow(0, 1, 4) != 2).all().item<bool>());
  }
}

TEST_CASE("nlp generate writes the fixture's ids and scores", "[generate][cli]") {
  auto fx = test::dec::load_fixture("gpt2-lm");
  test::TempDir tmp;
  io::StateDict in{{"gen.input_ids", fx.tensors.at("gen.input_ids")}, {"gen.attention_mask", fx.tensors.at("gen.attention_mask")}};
  io::save_safetensors(tmp.file("in.safetensors"), in);
  for (const char* extra : {"", " --no-cache"}) {
    std::string cmd = std::string(NLP_BINARY) + " generate --model " + fx.dir + " --inputs " + tmp.file("in.safetensors") +
                      " --output " + tmp.file("out.safetensors") + " --max-new-tokens 8" + extra + " > /dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    auto out = io::load_safetensors(tmp.file("out.safetensors"));
    CHECK(torch::equal(out.at("gen.output_ids"), fx.tensors.at("gen.output_ids")));
    CHECK(test::dec::max_abs_diff(out.at("gen.scores"), fx.tensors.at("gen.scores")) <= 1e-5);
  }
  std::string bad = std::string(NLP_BINARY) + " generate --model " + fx.dir + " --inputs " + tmp.file("missing.safetensors") +
                    " --output " + tmp.file("x.safetensors") + " > /dev/null 2>&1";
  CHECK(std::system(bad.c_str()) != 0);
  CHECK_FALSE(path_exists(tmp.file("x.safetensors")));
}

// Parameter counts (transformers' num_parameters) of published configurations instantiated
// without weights, and of every fixture model (num_parameters recorded in its json).
#include <torch/torch.h>

#include "decoder_test_util.h"
#include "nlp/models/registry.h"
#include "nlp/util/json.h"

using namespace nlp;

TEST_CASE("published GPT / BART configurations have transformers' parameter counts", "[gpt][encdec][params]") {
  // Backbones (OpenAIGPTModel, GPT2Model, BartModel) as AutoModel.from_pretrained(...).num_parameters().
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"openai-gpt", 116534784}, {"gpt2", 124439808},   {"gpt2-medium", 354823168}, {"gpt2-large", 774030080},
      {"gpt2-xl", 1557611200},   {"bart-base", 139420416}, {"bart-large", 406291456}};
  for (const auto& [name, count] : expected) {
    DYNAMIC_SECTION(name) {
      auto model = models::build_model(models::named_config(name), name, "base");
      CHECK(models::num_parameters(*model) == count);
    }
  }
  // The LM heads are tied, so the task models count the same (final_logits_bias is a buffer).
  CHECK(models::num_parameters(*models::build_model(models::named_config("bart-base"), "bart-base")) == 139420416);
  CHECK(models::num_parameters(*models::build_model(models::named_config("gpt2"), "gpt2")) == 124439808);
}

TEST_CASE("fixture models have the parameter counts transformers reported", "[gpt][encdec][params]") {
  for (const char* name : {"openai-gpt-lm", "openai-gpt-double-heads", "gpt2-lm", "bart-cg", "marian-mt"}) {
    DYNAMIC_SECTION(name) {
      const std::string dir = test::shared_path(std::string("fixtures/hf/") + name);
      json meta = read_json_file(dir + "/inputs_outputs.json");
      auto model = models::build_model(read_json_file(dir + "/config.json"), dir + "/config.json");
      CHECK(models::num_parameters(*model) == meta.at("num_parameters").get<int64_t>());
    }
  }
}

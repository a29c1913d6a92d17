// `nlp forward` and `nlp info` on the GPT / encoder-decoder fixtures through the real binary.
#include <torch/torch.h>

#include <cstdlib>

#include "decoder_test_util.h"
#include "io_test_util.h"
#include "nlp/util/fs.h"

using namespace nlp;

TEST_CASE("nlp forward reproduces the GPT / encoder-decoder fixtures", "[cli][gpt][encdec]") {
  test::TempDir tmp;
  for (const char* name : {"openai-gpt-lm", "openai-gpt-double-heads", "gpt2-lm", "bart-cg", "marian-mt"}) {
    INFO(name);
    auto fx = test::dec::load_fixture(name);
    const std::string out = tmp.file(std::string(name) + ".safetensors");
    std::string cmd = std::string(NLP_BINARY) + " --threads 1 forward --model " + fx.dir + " --inputs " + fx.dir +
                      "/inputs_outputs.safetensors --output " + out + " > " + tmp.file("log") + " 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    auto got = io::load_safetensors(out);
    test::dec::check_outputs(fx.with_prefix("output."), [&] {
      models::TensorMap m;
      for (auto& [k, v] : got) m[k.rfind("output.", 0) == 0 ? k.substr(7) : k] = v;
      return m;
    }());
  }
}

TEST_CASE("nlp info --config prints transformers' parameter counts", "[cli][gpt][encdec]") {
  test::TempDir tmp;
  for (auto [name, count] : {std::pair<const char*, const char*>{"gpt2", "124,439,808"}, {"bart-base", "139,420,416"}}) {
    INFO(name);
    std::string cmd = std::string(NLP_BINARY) + " info --config " + name + " --head base > " + tmp.file("log") + " 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(read_file(tmp.file("log")).find(count) != std::string::npos);
  }
}

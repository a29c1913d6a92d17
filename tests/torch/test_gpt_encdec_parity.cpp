// Parity of GPT-1, GPT-2, BART and Marian with transformers 4.31 on the shared fixtures, loading
// both model.safetensors and pytorch_model.bin.
#include <torch/torch.h>

#include "decoder_test_util.h"
#include "nlp/models/encoder_decoder.h"
#include "nlp/models/gpt.h"
#include "nlp/models/registry.h"

using namespace nlp;

namespace {

void run_parity(const std::string& name, io::CheckpointFormat format) {
  torch::NoGradGuard no_grad;
  auto fx = test::dec::load_fixture(name);
  models::LoadOptions opts;
  opts.prefer = format;
  auto loaded = models::from_pretrained(fx.dir, opts);
  CHECK(loaded.report.unexpected.empty());
  CHECK(loaded.report.format == io::format_name(format));
  models::ForwardOptions fo;
  fo.output_hidden_states = fo.output_attentions = true;
  auto got = loaded.model->forward(fx.with_prefix("input."), fo);
  double worst = test::dec::check_outputs(fx.with_prefix("output."), got);
  WARN(name << " (" << io::format_name(format) << "): max abs diff " << worst);
}

}  // namespace

TEST_CASE("GPT / encoder-decoder fixtures match transformers (safetensors and pytorch_model.bin)", "[gpt][encdec][parity]") {
  for (const char* name : {"openai-gpt-lm", "openai-gpt-double-heads", "gpt2-lm", "bart-cg", "marian-mt"}) {
    for (auto format : {io::CheckpointFormat::Safetensors, io::CheckpointFormat::PytorchBin}) {
      DYNAMIC_SECTION(name << " " << io::format_name(format)) { run_parity(name, format); }
    }
  }
}

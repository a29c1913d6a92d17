// nlp forward --model DIR --inputs IN.safetensors --output OUT.safetensors [--head auto|base|ARCH]
//             [--dtype float32|bfloat16|float16] [--format safetensors|bin]
// Reads the `input.*` tensors of IN (input_ids, attention_mask, token_type_ids, labels, ...), runs
// the model in eval mode with all hidden states and attentions, and writes every output as
// `output.<name>` (the fixture names: last_hidden_state, hidden_states.<i>, attentions.<i>,
// pooler_output, logits / prediction_logits / start_logits ..., loss) to OUT, atomically.
#include <torch/torch.h>

#include <iostream>

#include "command.h"
#include "nlp/io/checkpoint.h"
#include "nlp/models/loading.h"
#include "nlp/util/error.h"

namespace {

struct ForwardArgs {
  std::string model, inputs, output, head = "auto", dtype = "float32", format = "safetensors";
};

int run_forward(const ForwardArgs& a) {
  nlp::models::LoadOptions opt;
  opt.head = a.head;
  opt.dtype = nlp::models::parse_dtype(a.dtype);
  if (a.format == "bin") opt.prefer = nlp::io::CheckpointFormat::PytorchBin;
  else if (a.format != "safetensors") nlp::fail("--format", "expected safetensors or bin but got '" + a.format + "'");

  nlp::models::TensorMap inputs;
  for (auto& [key, t] : nlp::io::load_safetensors(a.inputs))
    if (key.rfind("input.", 0) == 0) inputs[key.substr(6)] = t;
  if (inputs.empty()) nlp::fail(a.inputs, "no 'input.*' tensors (expected input.input_ids, ...)");

  auto loaded = nlp::models::from_pretrained(a.model, opt);
  for (const auto& k : loaded.report.newly_initialized)
    std::cerr << "warning: " << k << " is not in the checkpoint and was newly initialised\n";
  for (const auto& k : loaded.report.unexpected) std::cerr << "note: unused checkpoint key " << k << "\n";

  torch::NoGradGuard no_grad;
  nlp::models::TensorMap out = loaded.model->forward(inputs, {true, true});
  nlp::io::StateDict tensors;
  for (auto& [name, t] : out) tensors["output." + name] = t.contiguous();
  nlp::io::save_safetensors(a.output, tensors);
  std::cout << loaded.model->architecture() << ": wrote " << tensors.size() << " tensors to " << a.output << "\n";
  return 0;
}

nlp::cli::Register reg("forward", "run a model on input.* tensors and write output.* tensors",
                       [](CLI::App& sub) -> nlp::cli::Runner {
                         auto a = std::make_shared<ForwardArgs>();
                         sub.add_option("--model", a->model, "Hugging Face model folder")->required();
                         sub.add_option("--inputs", a->inputs, "safetensors file with input.* tensors")->required();
                         sub.add_option("--output", a->output, "safetensors file to write output.* tensors to")->required();
                         sub.add_option("--head", a->head, "auto (config architectures), base, or an architecture name");
                         sub.add_option("--dtype", a->dtype, "float32 (default), bfloat16 or float16");
                         sub.add_option("--format", a->format, "checkpoint format when both exist: safetensors or bin");
                         return [a] { return run_forward(*a); };
                       });

}  // namespace

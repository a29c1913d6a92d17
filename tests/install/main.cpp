// Out-of-tree example: load a Hugging Face BERT folder with an installed libnlp and run it on
// the fixture inputs. Usage: example MODEL_DIR INPUTS.safetensors
#include <iostream>

#include "nlp/io/checkpoint.h"
#include "nlp/models/loading.h"
#include "nlp/util/error.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: example MODEL_DIR INPUTS.safetensors\n";
    return 2;
  }
  try {
    auto loaded = nlp::models::from_pretrained(argv[1]);
    nlp::models::TensorMap inputs, expected;
    for (auto& [k, t] : nlp::io::load_safetensors(argv[2])) {
      if (k.rfind("input.", 0) == 0) inputs[k.substr(6)] = t;
      if (k.rfind("output.", 0) == 0) expected[k.substr(7)] = t;
    }
    auto out = loaded.model->forward(inputs);
    double diff = (out.at("last_hidden_state") - expected.at("last_hidden_state")).abs().max().item<double>();
    std::cout << loaded.model->architecture() << " parameters " << nlp::models::num_parameters(*loaded.model)
              << " last_hidden_state max-abs diff " << diff << "\n";
    return diff <= 1e-5 ? 0 : 1;
  } catch (const nlp::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}

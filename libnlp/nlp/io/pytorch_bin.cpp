#include "nlp/io/checkpoint.h"
#include "nlp/util/error.h"

namespace nlp::io {

StateDict load_pytorch_bin(const std::string& path) {
  fail(path, "pytorch_model.bin loading is not implemented yet (use model.safetensors)");
}

}  // namespace nlp::io

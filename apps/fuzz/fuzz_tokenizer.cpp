// libFuzzer target: the generic Tokenizer layer over every fixture family (BERT, ALBERT, GPT-2,
// RoBERTa, GPT-1), chosen by the input's second byte: added-token splitting, templates,
// truncation, overflow windows, padding, offsets and decode (see fuzz_tokenizer_common.h).
#include "fuzz_tokenizer_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* names[] = {"bert-base-cased", "albert-base-v2", "gpt2", "roberta-base", "openai-gpt"};
  if (size < 2) return 0;
  const nlp::tok::Tokenizer& tok = nlp_fuzz::load(names[data[1] % 5]);
  std::string rest;
  rest.push_back(char(data[0]));
  rest.append(reinterpret_cast<const char*>(data + 2), size - 2);
  nlp_fuzz::run(tok, reinterpret_cast<const uint8_t*>(rest.data()), rest.size());
  return 0;
}

// libFuzzer target: the full Tokenizer over the wordpiece fixtures (bert-base-uncased, bert-base-multilingual-cased), single texts and pairs
// with truncation, padding and overflowing windows (see fuzz_tokenizer_common.h).
#include "fuzz_tokenizer_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlp::tok::Tokenizer& a = nlp_fuzz::load("bert-base-uncased");
  static const nlp::tok::Tokenizer& b = nlp_fuzz::load("bert-base-multilingual-cased");
  nlp_fuzz::run(size && (data[0] & 0x80) ? b : a, data, size);
  return 0;
}

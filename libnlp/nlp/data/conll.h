// CoNLL-2003 named-entity data (Tjong Kim Sang & De Meulder, 2003): one token per line,
// "word POS chunk NER" separated by spaces, blank lines between sentences, "-DOCSTART- -X- -X- O"
// lines between documents. The original files tag entities in IOB1 (B- only where two entities
// of the same type touch); the reader converts to BIO (IOB2: every entity starts with B-), the
// scheme Hugging Face's conll2003 dataset and run_ner use. BIO input passes through unchanged.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nlp::data {

struct ConllSentence {
  std::vector<std::string> tokens;
  std::vector<std::string> pos_tags;    // column 2 ("NNP"); empty when the file has only 2 columns
  std::vector<std::string> chunk_tags;  // column 3 ("B-NP"); empty when the file has fewer than 4 columns
  std::vector<std::string> ner_tags;    // last column, BIO after conversion ("B-PER", "I-PER", "O")
  size_t line = 0;                      // 1-based line of the first token
  size_t document = 0;                  // index of the -DOCSTART- document (0 before the first marker)
};

struct ConllDataset {
  std::string path;
  std::vector<ConllSentence> sentences;
  size_t num_documents = 0;             // number of -DOCSTART- markers
  // Label list for ids: Hugging Face's conll2003 order (O, B-PER, I-PER, B-ORG, I-ORG, B-LOC,
  // I-LOC, B-MISC, I-MISC) when every tag is one of those, else "O" then the other tags sorted.
  std::vector<std::string> label_names;
};

struct ConllReadOptions {
  bool convert_iob1_to_bio = true;
};

// Throws nlp::Error "<path>:<line>: ..." for a line whose column count differs from the file's
// first token line, a NER tag that is not "O", "B-<type>" or "I-<type>", and "<path>: no
// sentences" for an empty file.
ConllDataset read_conll2003(const std::string& path, const ConllReadOptions& options = {});

// IOB1 -> BIO: an "I-X" that does not continue an entity of type X (previous tag "O" or of
// another type, or sentence start) becomes "B-X". Other tags are unchanged.
std::vector<std::string> iob1_to_bio(const std::vector<std::string>& tags);

// The label list of Hugging Face's conll2003 dataset (ner_tags feature).
const std::vector<std::string>& conll2003_ner_labels();

// Label ids of `tags` in `label_names`; throws nlp::Error naming the unknown tag.
std::vector<int> tags_to_ids(const std::vector<std::string>& tags, const std::vector<std::string>& label_names);

}  // namespace nlp::data

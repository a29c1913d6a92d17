// nlp tokenize: encode lines with a Hugging Face tokenizer folder, one JSON object per line out.
//
// Input (stdin or --input): per line either a JSON object {"text": ..., "text_pair": ...} or plain
// text (with --pair, plain lines are "text<TAB>text_pair"). Output (stdout or --output, written
// atomically): per input line one JSON object
//   {"line", "tokens", "ids", "input_ids", "token_type_ids", "attention_mask", "offsets",
//    "byte_offsets", "word_ids", "sequence_ids"}
// where tokens/ids are the subword tokens of the text (and pair) without special tokens
// (transformers `tokenize` + ids) and offsets are character offsets (Hugging Face offset_mapping)
// of each input_ids entry into its own text. With --stride and overflowing windows every window
// is its own output line carrying "overflow_to_sample" (the input line index, from 0).
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.h"
#include "nlp/tokenizers/tokenizer.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"

namespace {

struct Options {
  std::string tokenizer, input, output, truncation = "do_not_truncate", padding = "do_not_pad";
  bool pair = false, no_special = false;
  int64_t max_length = -1, stride = 0;
};

nlp::json pairs_json(const std::vector<std::pair<int64_t, int64_t>>& v) {
  nlp::json a = nlp::json::array();
  for (const auto& [b, e] : v) a.push_back({b, e});
  return a;
}

int run(const Options& o) {
  using namespace nlp::tok;
  Tokenizer tok = Tokenizer::from_pretrained(o.tokenizer);
  EncodeOptions eo;
  eo.add_special_tokens = !o.no_special;
  eo.max_length = o.max_length;
  eo.truncation = parse_truncation(o.truncation, "--truncation");
  if (eo.truncation == Truncation::DoNotTruncate && o.max_length > 0) eo.truncation = Truncation::LongestFirst;
  eo.stride = o.stride;
  eo.return_overflowing_tokens = o.stride > 0;
  if (o.padding == "max_length") eo.padding = Padding::MaxLength;
  else if (o.padding != "do_not_pad") nlp::fail("--padding", "expected do_not_pad or max_length but got '" + o.padding + "'");

  std::ifstream file;
  if (!o.input.empty()) {
    file.open(o.input, std::ios::binary);
    if (!file) nlp::fail(o.input, "cannot open input file");
  }
  std::istream& in = o.input.empty() ? std::cin : file;
  const std::string src = o.input.empty() ? "stdin" : o.input;
  std::ostringstream buffered;
  std::ostream& out = o.output.empty() ? std::cout : buffered;
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = src + ":" + std::to_string(n + 1);
    std::string text, pair;
    bool has_pair = false;
    if (!line.empty() && line[0] == '{') {
      nlp::json j;
      try {
        j = nlp::json::parse(line);
      } catch (const nlp::json::exception& e) {
        nlp::fail(where, std::string("invalid JSON: ") + e.what());
      }
      nlp::JsonView v{j, where};
      text = v.require<std::string>("text");
      if (v.has("text_pair")) {
        pair = v.require<std::string>("text_pair");
        has_pair = true;
      } else if (o.pair) {
        nlp::fail(where, "field 'text_pair': expected a string (--pair given) but the field is missing");
      }
    } else if (o.pair) {
      size_t tab = line.find('\t');
      if (tab == std::string::npos) nlp::fail(where, "--pair expects \"text<TAB>text_pair\" or a JSON object");
      text = line.substr(0, tab);
      pair = line.substr(tab + 1);
      has_pair = true;
    } else {
      text = line;
    }
    std::vector<Piece> pieces = tok.tokenize(text);
    if (has_pair) {
      auto pb = tok.tokenize(pair);
      pieces.insert(pieces.end(), pb.begin(), pb.end());
    }
    nlp::json tokens = nlp::json::array(), ids = nlp::json::array();
    for (const auto& p : pieces) {
      tokens.push_back(p.token);
      ids.push_back(p.id);
    }
    Encoding e = has_pair ? tok.encode(text, pair, eo) : tok.encode(text, eo);
    std::vector<const Encoding*> wins{&e};
    for (const auto& w : e.overflowing) wins.push_back(&w);
    for (const Encoding* w : wins) {
      nlp::json r;
      r["line"] = n;
      r["tokens"] = tokens;
      r["ids"] = ids;
      r["input_ids"] = w->input_ids;
      r["token_type_ids"] = w->token_type_ids;
      r["attention_mask"] = w->attention_mask;
      r["offsets"] = pairs_json(w->char_offsets);
      r["byte_offsets"] = pairs_json(w->offsets);
      r["word_ids"] = w->word_ids;
      r["sequence_ids"] = w->sequence_ids;
      if (eo.return_overflowing_tokens) r["overflow_to_sample"] = n;
      out << r.dump(-1, ' ', false, nlp::json::error_handler_t::replace) << "\n";
    }
    ++n;
  }
  if (!o.output.empty()) nlp::write_file_atomic(o.output, buffered.str());
  return 0;
}

}  // namespace

static nlp::cli::Register reg(
    "tokenize", "encode text lines (plain or JSON {\"text\", \"text_pair\"}) with a Hugging Face tokenizer folder",
    [](CLI::App& sub) -> nlp::cli::Runner {
      auto o = std::make_shared<Options>();
      sub.add_option("--tokenizer", o->tokenizer, "tokenizer folder (vocab.txt / vocab.json+merges.txt / spiece.model, ...)")
          ->required();
      sub.add_flag("--pair", o->pair, "inputs are pairs (JSON text_pair, or plain \"text<TAB>pair\")");
      sub.add_option("--max-length", o->max_length, "maximum sequence length (with special tokens)");
      sub.add_option("--truncation", o->truncation, "longest_first, only_first, only_second, do_not_truncate");
      sub.add_option("--stride", o->stride, "overflowing windows sharing this many tokens (one output line each)");
      sub.add_option("--padding", o->padding, "do_not_pad or max_length");
      sub.add_flag("--no-special-tokens", o->no_special, "do not add [CLS]/[SEP]/<s>/... tokens");
      sub.add_option("--input", o->input, "input file (default stdin)");
      sub.add_option("--output", o->output, "output file, written atomically (default stdout)");
      return [o] { return run(*o); };
    });

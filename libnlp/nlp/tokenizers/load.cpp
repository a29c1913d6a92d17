// Tokenizer::from_pretrained: loading a Hugging Face tokenizer folder.
//
// Files (all optional except the model's vocabulary):
//   tokenizer_config.json   tokenizer_class, do_lower_case, strip_accents, tokenize_chinese_chars,
//                           never_split, remove_space, keep_accents, add_prefix_space,
//                           model_max_length, padding_side, clean_up_tokenization_spaces,
//                           special tokens (strings or AddedToken dicts)
//   special_tokens_map.json special tokens (override tokenizer_config.json, as transformers does)
//   added_tokens.json       {"token": id} tokens added after training
//   vocab.txt (WordPiece) | spiece.model (SentencePiece) | vocab.json + merges.txt (BPE)
//   tokenizer.json          the `tokenizers` library format; used for WordPiece when vocab.txt
//                           is absent, and for its added_tokens
//   config.json             model_type, used only when tokenizer_config.json has no class
// Dispatch: tokenizer_class (a "Fast" suffix is ignored) -> family + model.
#include <algorithm>
#include <map>

#include "nlp/tokenizers/bpe.h"
#include "nlp/tokenizers/bytelevel_bpe.h"
#include "nlp/tokenizers/sentencepiece.h"
#include "nlp/tokenizers/tokenizer.h"
#include "nlp/tokenizers/wordpiece.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"


namespace nlp::tok {

namespace {

struct Folder {
  std::string dir;
  std::string path(const std::string& f) const { return path_join(dir, f); }
  bool has(const std::string& f) const { return path_exists(path(f)); }
};

// A special-token entry: "[CLS]" or {"content": "[CLS]", "lstrip": ..., ...}.
struct SpecialEntry {
  std::string content;
  bool is_added_token = false;
  bool lstrip = false, rstrip = false;
};

std::optional<SpecialEntry> read_special(const json& j, const std::string& source, const std::string& key) {
  if (!j.is_object() || !j.contains(key) || j.at(key).is_null()) return std::nullopt;
  const json& v = j.at(key);
  SpecialEntry e;
  if (v.is_string()) {
    e.content = v.get<std::string>();
  } else if (v.is_object()) {
    JsonView jv{v, source + ": field '" + key + "'"};
    e.content = jv.require<std::string>("content");
    e.lstrip = jv.get<bool>("lstrip", false);
    e.rstrip = jv.get<bool>("rstrip", false);
    e.is_added_token = true;
  } else {
    json_field_error(source, key, "a string or an AddedToken object", v);
  }
  return e;
}

const std::vector<std::string> kSpecialKeys = {"unk_token", "sep_token", "pad_token", "cls_token",
                                               "mask_token", "bos_token", "eos_token"};

std::string& special_slot(SpecialTokens& s, const std::string& key) {
  if (key == "unk_token") return s.unk_token;
  if (key == "sep_token") return s.sep_token;
  if (key == "pad_token") return s.pad_token;
  if (key == "cls_token") return s.cls_token;
  if (key == "mask_token") return s.mask_token;
  if (key == "bos_token") return s.bos_token;
  return s.eos_token;
}

std::string class_from_model_type(const std::string& mt) {
  static const std::map<std::string, std::string> m = {
      {"bert", "BertTokenizer"},       {"electra", "ElectraTokenizer"}, {"distilbert", "DistilBertTokenizer"},
      {"albert", "AlbertTokenizer"},   {"roberta", "RobertaTokenizer"}, {"gpt2", "GPT2Tokenizer"},
      {"openai-gpt", "OpenAIGPTTokenizer"}, {"bart", "BartTokenizer"}};
  auto it = m.find(mt);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

Tokenizer Tokenizer::from_pretrained(const std::string& dir) {
  Folder f{dir};
  if (!path_exists(dir)) fail(dir, "tokenizer folder does not exist");
  json tc = json::object(), stm = json::object(), added = json::object();
  const std::string tc_path = f.path("tokenizer_config.json");
  if (f.has("tokenizer_config.json")) tc = read_json_file(tc_path);
  if (!tc.is_object()) fail(tc_path, "expected a JSON object");
  if (f.has("special_tokens_map.json")) stm = read_json_file(f.path("special_tokens_map.json"));
  if (f.has("added_tokens.json")) added = read_json_file(f.path("added_tokens.json"));
  JsonView cfg{tc, tc_path};

  // ---- which tokenizer ----
  std::string cls = cfg.get<std::string>("tokenizer_class", "");
  std::string cls_source = tc_path + ": field 'tokenizer_class'";
  if (cls.empty() && f.has("config.json")) {
    json mc = read_json_file(f.path("config.json"));
    JsonView mv{mc, f.path("config.json")};
    cls = class_from_model_type(mv.get<std::string>("model_type", ""));
    cls_source = f.path("config.json") + ": field 'model_type'";
  }
  if (cls.empty()) {
    if (f.has("vocab.txt")) cls = "BertTokenizer";
    else if (f.has("spiece.model")) cls = "AlbertTokenizer";
    cls_source = dir + " (no tokenizer_class; guessed from the files)";
  }
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
  if (cls.empty())
    fail(dir, "cannot tell the tokenizer type: no tokenizer_config.json 'tokenizer_class', no config.json "
              "'model_type', and neither vocab.txt nor spiece.model");

  TokenizerConfig tcfg;
  tcfg.tokenizer_class = cls;
  SpecialTokens& sp = tcfg.special;
  bool wordpiece = false, spiece = false, bpe = false;
  if (cls == "BertTokenizer" || cls == "ElectraTokenizer" || cls == "DistilBertTokenizer") {
    tcfg.family = Family::Bert;
    wordpiece = true;
    sp.unk_token = "[UNK]";
    sp.sep_token = "[SEP]";
    sp.pad_token = "[PAD]";
    sp.cls_token = "[CLS]";
    sp.mask_token = "[MASK]";
  } else if (cls == "AlbertTokenizer") {
    tcfg.family = Family::Albert;
    spiece = true;
    sp.bos_token = "[CLS]";
    sp.eos_token = "[SEP]";
    sp.unk_token = "<unk>";
    sp.sep_token = "[SEP]";
    sp.pad_token = "<pad>";
    sp.cls_token = "[CLS]";
    sp.mask_token = "[MASK]";
  } else if (cls == "RobertaTokenizer" || cls == "BartTokenizer") {
    tcfg.family = Family::Roberta;
    bpe = true;
    sp.bos_token = "<s>";
    sp.eos_token = "</s>";
    sp.sep_token = "</s>";
    sp.cls_token = "<s>";
    sp.unk_token = "<unk>";
    sp.pad_token = "<pad>";
    sp.mask_token = "<mask>";
  } else if (cls == "GPT2Tokenizer") {
    tcfg.family = Family::Gpt2;
    bpe = true;
    sp.unk_token = sp.bos_token = sp.eos_token = "<|endoftext|>";
  } else if (cls == "OpenAIGPTTokenizer") {
    tcfg.family = Family::Gpt1;
    bpe = true;
    sp.unk_token = "<unk>";
  } else {
    fail(cls_source, "expected one of BertTokenizer, ElectraTokenizer, DistilBertTokenizer, AlbertTokenizer, "
                     "RobertaTokenizer, BartTokenizer, GPT2Tokenizer, OpenAIGPTTokenizer (optionally with 'Fast') "
                     "but got '" + cls + "'");
  }

  // ---- special tokens: class defaults < tokenizer_config.json < special_tokens_map.json ----
  std::map<std::string, SpecialEntry> entries;
  for (const auto& [j, src] : {std::pair<const json*, std::string>{&tc, tc_path},
                               std::pair<const json*, std::string>{&stm, f.path("special_tokens_map.json")}}) {
    for (const auto& key : kSpecialKeys) {
      if (auto e = read_special(*j, src, key)) entries[key] = *e;
      else if (j->is_object() && j->contains(key) && j->at(key).is_null()) {
        entries.erase(key);
        special_slot(sp, key).clear();
      }
    }
    if (j->is_object() && j->contains("additional_special_tokens") && j->at("additional_special_tokens").is_array()) {
      sp.additional_special_tokens.clear();
      for (const auto& v : j->at("additional_special_tokens")) {
        if (v.is_string()) sp.additional_special_tokens.push_back(v.get<std::string>());
        else if (v.is_object() && v.contains("content") && v["content"].is_string())
          sp.additional_special_tokens.push_back(v["content"].get<std::string>());
        else json_field_error(src, "additional_special_tokens", "a list of strings or AddedToken objects", v);
      }
    }
  }
  for (const auto& [key, e] : entries) special_slot(sp, key) = e.content;

  tcfg.clean_up_tokenization_spaces = cfg.get<bool>("clean_up_tokenization_spaces", true);
  {
    // model_max_length: transformers writes 1e30 for "unlimited".
    if (cfg.has("model_max_length")) {
      const json& v = tc.at("model_max_length");
      if (!v.is_number()) json_field_error(tc_path, "model_max_length", "a number", v);
      double d = v.get<double>();
      tcfg.model_max_length = d > 1e15 ? -1 : int64_t(d);
    }
    std::string side = cfg.get<std::string>("padding_side", "right");
    if (side != "right" && side != "left") json_field_error(tc_path, "padding_side", "\"right\" or \"left\"", tc.at("padding_side"));
    tcfg.padding_left = side == "left";
  }

  // ---- tokenizer.json (optional) ----
  json tj;
  const std::string tj_path = f.path("tokenizer.json");
  if (f.has("tokenizer.json")) tj = read_json_file(tj_path);

  // ---- the model ----
  std::shared_ptr<const SubwordTokenizer> model;
  if (wordpiece) {
    WordPieceOptions o;
    o.basic.do_lower_case = cfg.get<bool>("do_lower_case", true);
    o.basic.lowercase_charwise_first = o.basic.do_lower_case;
    o.basic.tokenize_chinese_chars = cfg.get<bool>("tokenize_chinese_chars", true);
    if (cfg.has("strip_accents")) o.basic.strip_accents = cfg.require<bool>("strip_accents");
    o.basic.never_split = cfg.get<std::vector<std::string>>("never_split", {});
    o.do_basic_tokenize = cfg.get<bool>("do_basic_tokenize", true);
    o.unk_token = sp.unk_token;
    if (f.has("vocab.txt")) {
      model = WordPiece::from_file(f.path("vocab.txt"), o);
    } else if (!tj.is_null()) {
      JsonView root{tj, tj_path};
      if (!tj.contains("model") || !tj["model"].is_object()) json_field_error(tj_path, "model", "an object", tj.value("model", json()));
      JsonView m{tj["model"], tj_path + ": model"};
      std::string type = m.require<std::string>("type");
      if (type != "WordPiece") fail(tj_path, "field 'model.type': expected \"WordPiece\" for " + cls + " but got \"" + type + "\"");
      o.unk_token = m.get<std::string>("unk_token", o.unk_token);
      o.continuing_subword_prefix = m.get<std::string>("continuing_subword_prefix", "##");
      o.max_input_chars_per_word = m.get<int>("max_input_chars_per_word", 100);
      if (tj.contains("normalizer") && tj["normalizer"].is_object()) {
        JsonView n{tj["normalizer"], tj_path + ": normalizer"};
        if (n.get<std::string>("type", "") == "BertNormalizer") {
          o.basic.do_lower_case = n.get<bool>("lowercase", o.basic.do_lower_case);
          o.basic.lowercase_charwise_first = o.basic.do_lower_case;
          o.basic.tokenize_chinese_chars = n.get<bool>("handle_chinese_chars", true);
          if (n.has("strip_accents")) o.basic.strip_accents = n.require<bool>("strip_accents");
        }
      }
      const json& vocab = tj["model"]["vocab"];
      if (!vocab.is_object()) json_field_error(tj_path, "model.vocab", "an object {token: id}", vocab);
      std::vector<std::string> by_id(vocab.size());
      for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 || size_t(it.value().get<int64_t>()) >= by_id.size())
          fail(tj_path, "field 'model.vocab': token '" + it.key() + "' has id " + it.value().dump() +
                            ", expected an integer in [0, " + std::to_string(by_id.size()) + ")");
        by_id[size_t(it.value().get<int64_t>())] = it.key();
      }
      try {
        model = std::make_shared<WordPiece>(std::move(by_id), o);
      } catch (const Error& e) {
        fail(tj_path, e.what());
      }
    } else {
      fail(dir, cls + " needs vocab.txt or tokenizer.json, found neither");
    }
  } else if (spiece) {
    if (!f.has("spiece.model")) fail(dir, cls + " needs spiece.model, which is missing");
    SentencePieceOptions o;
    o.do_lower_case = cfg.get<bool>("do_lower_case", true);
    o.remove_space = cfg.get<bool>("remove_space", true);
    o.keep_accents = cfg.get<bool>("keep_accents", false);
    for (const auto& key : kSpecialKeys)
      if (!special_slot(sp, key).empty()) o.special_tokens.push_back(special_slot(sp, key));
    for (const auto& s : sp.additional_special_tokens) o.special_tokens.push_back(s);
    model = std::make_shared<SentencePieceTokenizer>(f.path("spiece.model"), o);
    tcfg.do_lower_case = o.do_lower_case;
  } else if (bpe) {
    const bool gpt1 = tcfg.family == Family::Gpt1;
    const bool add_prefix_space = cfg.get<bool>("add_prefix_space", false);
    tcfg.add_prefix_space = add_prefix_space && !gpt1;
    tcfg.prefix_space_only_if_missing = tcfg.family == Family::Roberta;
    if (f.has("vocab.json") && f.has("merges.txt")) {
      if (gpt1) {
        BpeTokenizerOptions o;
        o.unk_token = sp.unk_token;
        model = std::make_shared<BpeTokenizer>(f.path("vocab.json"), f.path("merges.txt"), o);
      } else {
        ByteLevelBpeOptions o;  // the prefix space is the generic layer's (before added tokens)
        o.unk_token = sp.unk_token;
        model = std::make_shared<ByteLevelBpeTokenizer>(f.path("vocab.json"), f.path("merges.txt"), o);
      }
    } else if (!tj.is_null()) {
      if (!tj.contains("model") || !tj["model"].is_object()) json_field_error(tj_path, "model", "an object", tj.value("model", json()));
      JsonView m{tj["model"], tj_path + ": model"};
      std::string type = m.require<std::string>("type");
      if (type != "BPE") fail(tj_path, "field 'model.type': expected \"BPE\" for " + cls + " but got \"" + type + "\"");
      const json& vocab = tj["model"]["vocab"];
      if (!vocab.is_object()) json_field_error(tj_path, "model.vocab", "an object {token: id}", vocab);
      BpeVocab v;
      for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 || it.value().get<int64_t>() > INT32_MAX)
          fail(tj_path, "field 'model.vocab': token '" + it.key() + "' has id " + it.value().dump() + ", expected a non-negative integer");
        v[it.key()] = int32_t(it.value().get<int64_t>());
      }
      const json& merges = tj["model"].value("merges", json::array());
      if (!merges.is_array()) json_field_error(tj_path, "model.merges", "a list", merges);
      std::vector<BpeMerge> mv;
      for (size_t k = 0; k < merges.size(); ++k) {
        const json& x = merges[k];
        if (x.is_string()) {
          const std::string s = x.get<std::string>();
          size_t sp_at = s.find(' ');
          if (sp_at == std::string::npos || sp_at == 0 || sp_at + 1 >= s.size())
            fail(tj_path, "field 'model.merges[" + std::to_string(k) + "]': expected \"a b\" but got " + x.dump());
          mv.push_back({s.substr(0, sp_at), s.substr(sp_at + 1)});
        } else if (x.is_array() && x.size() == 2 && x[0].is_string() && x[1].is_string()) {
          mv.push_back({x[0].get<std::string>(), x[1].get<std::string>()});
        } else {
          fail(tj_path, "field 'model.merges[" + std::to_string(k) + "]': expected \"a b\" or [\"a\", \"b\"] but got " + x.dump());
        }
      }
      if (gpt1) {
        BpeTokenizerOptions o;
        o.unk_token = m.get<std::string>("unk_token", sp.unk_token);
        model = std::make_shared<BpeTokenizer>(std::move(v), mv, o, tj_path);
      } else {
        ByteLevelBpeOptions o;
        o.unk_token = sp.unk_token;
        if (tj.contains("pre_tokenizer") && tj["pre_tokenizer"].is_object())
          tcfg.add_prefix_space = tj["pre_tokenizer"].value("add_prefix_space", add_prefix_space);
        model = std::make_shared<ByteLevelBpeTokenizer>(std::move(v), mv, o, tj_path);
      }
    } else {
      fail(dir, cls + " needs vocab.json + merges.txt or tokenizer.json, found neither");
    }
  }
  if (wordpiece) tcfg.do_lower_case = cfg.get<bool>("do_lower_case", true);

  // ---- added tokens ----
  // Special tokens given as AddedToken dicts carry their own strip rules.
  for (const auto& [key, e] : entries) {
    if (!e.is_added_token || e.content.empty()) continue;
    AddedToken t;
    t.content = e.content;
    t.special = true;
    t.lstrip = e.lstrip;
    t.rstrip = e.rstrip;
    t.id = model->token_to_id(e.content);
    tcfg.added_tokens.push_back(t);
  }
  if (!added.is_object()) fail(f.path("added_tokens.json"), "expected a JSON object {\"token\": id}");
  {
    std::vector<std::pair<int64_t, std::string>> by_id;
    for (auto it = added.begin(); it != added.end(); ++it) {
      if (!it.value().is_number_integer())
        json_field_error(f.path("added_tokens.json"), it.key(), "an integer id", it.value());
      by_id.push_back({it.value().get<int64_t>(), it.key()});
    }
    std::sort(by_id.begin(), by_id.end());
    for (const auto& [id, content] : by_id) {
      int32_t in_vocab = model->token_to_id(content);
      if (in_vocab >= 0 && in_vocab != id)
        fail(f.path("added_tokens.json"), "token '" + content + "' has id " + std::to_string(id) +
                                              " but the vocabulary gives it id " + std::to_string(in_vocab));
      AddedToken t;
      t.content = content;
      t.id = int32_t(id);
      t.lstrip = t.rstrip = true;
      for (const auto& s : sp.additional_special_tokens) t.special |= s == content;
      tcfg.added_tokens.push_back(t);
    }
  }
  if (!tj.is_null() && tj.contains("added_tokens") && tj["added_tokens"].is_array()) {
    for (const auto& a : tj["added_tokens"]) {
      JsonView v{a, tj_path + ": added_tokens[]"};
      AddedToken t;
      t.content = v.require<std::string>("content");
      t.id = int32_t(v.require<long long>("id"));
      t.special = v.get<bool>("special", false);
      t.lstrip = v.get<bool>("lstrip", false);
      t.rstrip = v.get<bool>("rstrip", false);
      int32_t in_vocab = model->token_to_id(t.content);
      if (in_vocab >= 0 && in_vocab != t.id)
        fail(tj_path, "field 'added_tokens': token '" + t.content + "' has id " + std::to_string(t.id) +
                          " but the vocabulary gives it id " + std::to_string(in_vocab));
      bool dup = false;
      for (const auto& x : tcfg.added_tokens) dup |= x.content == t.content;
      if (!dup && !t.special) tcfg.added_tokens.push_back(t);
    }
  }
  return Tokenizer(std::move(model), std::move(tcfg));
}

}  // namespace nlp::tok

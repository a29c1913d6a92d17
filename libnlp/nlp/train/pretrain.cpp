#include "nlp/train/pretrain.h"

#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_set>

#include "nlp/io/checkpoint.h"
#include "nlp/models/model.h"
#include "nlp/pretrain/dataset.h"
#include "nlp/tokenizers/tokenizer.h"
#include "nlp/train/pretrain_models.h"
#include "nlp/train/trainer.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::train {

namespace pt = nlp::pretrain;

// ============================================================================ recipe schema
const json& pretrain_recipe_defaults() {
  static const json d = {
      {"description", ""},
      {"objective", "mlm_nsp"},  // mlm_nsp | mlm_sop | mlm | span_sbo | electra | clm
      // corpus
      {"corpus_files", json::array()},  // data files (relative to the data root, ${data}/, ${shared}/ or absolute)
      {"data_root", ""},
      {"corpus_format", "auto"},  // auto | text | wikiextractor | jsonl | tsv
      {"jsonl_field", "text"},
      {"tsv_column", "sentence"},
      {"max_sentences_per_document", 0},
      {"cache_dir", ""},  // shard cache; default $XDG_CACHE_HOME/libnlp/shards
      {"validation_fraction", 0.05},
      {"split_seed", 13},
      // examples
      {"examples", "segment_pairs"},  // segment_pairs | full_sentences | doc_sentences | blocks
      {"max_seq_length", 128},
      {"short_seq_prob", 0.1},
      {"dupe_factor", 1},
      // masking
      {"mlm_probability", 0.15},
      {"mask_selection", "bernoulli"},  // bernoulli | fixed
      {"mask_unit", "token"},           // token | whole_word | span
      {"max_predictions", 0},
      {"mask_replace_prob", 0.8},
      {"random_replace_prob", 0.1},
      {"masking_schedule", "dynamic"},  // static | dynamic
      {"span_geometric_p", 0.2},
      {"span_max_words", 10},
      {"span_distribution", "truncated"},  // truncated | clipped
      // ELECTRA
      {"generator_size", 0.25},
      {"rtd_weight", 50.0},
      // model
      {"model_config", nullptr},
      {"tokenizer", ""},
      // optimisation
      {"learning_rate", 1e-4},
      {"weight_decay", 0.01},
      {"adam_beta1", 0.9},
      {"adam_beta2", 0.999},
      {"adam_epsilon", 1e-6},
      {"warmup_steps", -1},  // >= 0 overrides warmup_ratio
      {"warmup_ratio", 0.01},
      {"max_grad_norm", 1.0},
      {"per_device_train_batch_size", 32},
      {"per_device_eval_batch_size", 64},
      {"gradient_accumulation_steps", 1},
      {"max_steps", 1000},
      {"logging_steps", 50},
      {"eval_steps", 0},  // 0: only at the end
      {"max_eval_examples", 2048},
      {"save_steps", 500},
      {"seed", 42},
      {"threads", 0},
      {"output_dir", ""},
      {"resume", true},
  };
  return d;
}

namespace {

const char* kind_name(const json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "a list";
  return "null";
}

bool same_kind(const json& def, const json& v) {
  if (def.is_null() || v.is_null()) return true;
  if (def.is_boolean()) return v.is_boolean();
  if (def.is_number_integer())
    return v.is_number_integer() || (v.is_number_float() && v.get<double>() == std::floor(v.get<double>()));
  if (def.is_number()) return v.is_number();
  if (def.is_string()) return v.is_string();
  if (def.is_object()) return v.is_object();
  if (def.is_array()) return v.is_array();
  return false;
}

std::string keys_of(const json& obj, const std::string& prefix = "") {
  std::string s;
  for (auto it = obj.begin(); it != obj.end(); ++it) s += (s.empty() ? "" : ", ") + prefix + it.key();
  return s;
}

json parse_value(const json& current, const std::string& text, const std::string& where) {
  auto bad = [&](const char* expected) -> json { fail(where, std::string("expected ") + expected + " but got '" + text + "'"); };
  if (current.is_boolean()) {
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    return bad("a boolean (true/false)");
  }
  if (current.is_number_integer() || current.is_number()) {
    try {
      size_t pos = 0;
      if (current.is_number_integer()) {
        long long v = std::stoll(text, &pos);
        if (pos == text.size()) return v;
      } else {
        double v = std::stod(text, &pos);
        if (pos == text.size()) return v;
      }
    } catch (...) {
    }
    return bad(current.is_number_integer() ? "an integer" : "a number");
  }
  if (current.is_string()) return text;
  try {
    return json::parse(text);
  } catch (const json::exception&) {
    if (current.is_null()) return text;
    return bad(current.is_object() ? "a JSON object" : "a JSON list");
  }
}

std::string stem_of(const std::string& path) {
  std::string base = std::filesystem::path(path).filename().string();
  auto dot = base.rfind('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

}  // namespace

Recipe parse_pretrain_recipe(const std::string& text, const std::string& source) {
  Recipe r;
  r.source = source;
  r.name = stem_of(source);
  r.values = pretrain_recipe_defaults();
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    fail(source, std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(source, std::string("expected a JSON object but got ") + kind_name(j));
  const json& d = pretrain_recipe_defaults();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!d.contains(it.key())) fail(source, "unknown key '" + it.key() + "'; valid keys: " + keys_of(d));
    if (!same_kind(d.at(it.key()), it.value()))
      fail(source, "field '" + it.key() + "': expected " + kind_name(d.at(it.key())) + " but got " + it.value().dump());
    if (it.key() == "model_config" && !it.value().is_null() && !it.value().is_object())
      fail(source, "field 'model_config': expected an object (a config.json) but got " + it.value().dump());
    r.values[it.key()] = it.value();
  }
  return r;
}

Recipe load_pretrain_recipe(const std::string& path) {
  if (!path_exists(path)) fail(path, "recipe file not found");
  return parse_pretrain_recipe(read_file(path), path);
}

void apply_pretrain_override(Recipe& r, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail("--set " + assignment, "expected key=value (e.g. --set max_steps=100)");
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1), where = "--set " + key;
  const json& d = pretrain_recipe_defaults();
  const std::string mc = "model_config.";
  if (key.rfind(mc, 0) == 0) {
    const std::string field = key.substr(mc.size());
    if (field.empty()) fail(where, "expected model_config.<field>=value");
    if (!r.values["model_config"].is_object()) fail(where, "the recipe has no model_config");
    json& cfg = r.values["model_config"];
    if (cfg.contains(field) && !cfg.at(field).is_null()) {
      cfg[field] = parse_value(cfg.at(field), text, where);
    } else {
      try {
        cfg[field] = json::parse(text);
      } catch (const json::exception&) {
        cfg[field] = text;
      }
    }
    return;
  }
  if (!d.contains(key)) {
    std::string keys = keys_of(d);
    if (r.values["model_config"].is_object()) keys += ", " + keys_of(r.values["model_config"], mc);
    fail(where, "unknown recipe key '" + key + "'; valid keys: " + keys);
  }
  json cur = r.values.at(key).is_null() ? d.at(key) : r.values.at(key);
  r.values[key] = parse_value(cur, text, where);
}

void validate_pretrain_recipe(const Recipe& r) {
  auto v = r.view();
  auto need = [&](bool ok, const std::string& key, const std::string& what) {
    if (!ok) fail(r.source, "field '" + key + "': expected " + what + " but got " + r.values.at(key).dump());
  };
  auto one_of = [&](const std::string& key, const std::set<std::string>& allowed) {
    std::string list;
    for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    need(allowed.count(v.require<std::string>(key)) > 0, key, "one of " + list);
  };
  one_of("objective", {"mlm_nsp", "mlm_sop", "mlm", "span_sbo", "electra", "clm"});
  one_of("examples", {"segment_pairs", "full_sentences", "doc_sentences", "blocks"});
  one_of("corpus_format", {"auto", "text", "wikiextractor", "jsonl", "tsv"});
  one_of("mask_selection", {"bernoulli", "fixed"});
  one_of("mask_unit", {"token", "whole_word", "span"});
  one_of("masking_schedule", {"static", "dynamic"});
  one_of("span_distribution", {"truncated", "clipped"});
  const std::string obj = v.require<std::string>("objective"), ex = v.require<std::string>("examples");
  if (obj == "mlm_nsp" || obj == "mlm_sop") need(ex == "segment_pairs", "examples", "segment_pairs for objective " + obj);
  if (obj == "clm") need(ex == "blocks", "examples", "blocks for objective clm");
  if (obj != "clm") need(ex != "blocks", "examples", "segment_pairs, full_sentences or doc_sentences for a masked objective");
  if (obj == "span_sbo") need(v.require<std::string>("mask_unit") == "span", "mask_unit", "span for objective span_sbo");
  const json& files = r.values.at("corpus_files");
  need(files.is_array() && !files.empty(), "corpus_files", "a non-empty list of corpus files");
  for (const auto& f : files) need(f.is_string(), "corpus_files", "a list of file names (strings)");
  need(r.values.at("model_config").is_object(), "model_config", "a config.json object (pretraining starts from random initialisation)");
  need(!v.require<std::string>("tokenizer").empty(), "tokenizer", "a tokenizer folder or hub id");
  need(v.require<double>("validation_fraction") > 0 && v.require<double>("validation_fraction") < 1, "validation_fraction", "a number in (0, 1)");
  need(v.require<long>("max_seq_length") >= 8, "max_seq_length", "an integer >= 8");
  need(v.require<long>("per_device_train_batch_size") >= 1, "per_device_train_batch_size", "an integer >= 1");
  need(v.require<long>("per_device_eval_batch_size") >= 1, "per_device_eval_batch_size", "an integer >= 1");
  need(v.require<long>("gradient_accumulation_steps") >= 1, "gradient_accumulation_steps", "an integer >= 1");
  need(v.require<long>("max_steps") >= 1, "max_steps", "an integer >= 1");
  need(v.require<long>("logging_steps") >= 1, "logging_steps", "an integer >= 1");
  need(v.require<long>("eval_steps") >= 0, "eval_steps", "an integer >= 0");
  need(v.require<long>("save_steps") >= 0, "save_steps", "an integer >= 0 (0: only at the end)");
  need(v.require<long>("dupe_factor") >= 1, "dupe_factor", "an integer >= 1");
  need(v.require<long>("max_eval_examples") >= 1, "max_eval_examples", "an integer >= 1");
  need(v.require<double>("learning_rate") > 0, "learning_rate", "a positive number");
  need(v.require<double>("max_grad_norm") >= 0, "max_grad_norm", "a number >= 0");
  need(v.require<double>("warmup_ratio") >= 0 && v.require<double>("warmup_ratio") <= 1, "warmup_ratio", "a number in [0, 1]");
  need(v.require<double>("rtd_weight") >= 0, "rtd_weight", "a number >= 0");
}

// ============================================================================ the run
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_sigint_pretrain(int) { g_stop.store(true); }
struct SigintScope {
  struct sigaction old {};
  SigintScope() {
    g_stop.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_sigint_pretrain;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old);
  }
  ~SigintScope() { sigaction(SIGINT, &old, nullptr); }
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string fmt(double v, int prec = 4) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

const char* kTokenizerFiles[] = {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                                 "tokenizer.json", "vocab.json", "merges.txt", "spiece.model", "sentencepiece.bpe.model"};

// BERT's schedule (transformers get_linear_schedule_with_warmup): step / warmup during warmup,
// then (total - step) / (total - warmup), floored at 0; `step` is 0-based.
double linear_warmup_decay(int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  return std::max(0.0, static_cast<double>(total - step) / static_cast<double>(std::max<int64_t>(1, total - warmup)));
}

bool no_decay(const std::string& name) {
  return name.find("bias") != std::string::npos || name.find("LayerNorm") != std::string::npos ||
         name.find("layer_norm") != std::string::npos || name.find("layernorm") != std::string::npos;
}

// AdamW as torch.optim.AdamW (amsgrad off): p *= 1 - lr*wd; m = b1 m + (1-b1) g;
// v = b2 v + (1-b2) g^2; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), with a
// per-parameter step count t. Its state is plain tensors, so checkpoints are exact.
struct AdamW {
  std::vector<std::string> names;
  std::vector<at::Tensor> params, m, v;
  std::vector<double> decay;
  std::vector<int64_t> steps;
  double b1 = 0.9, b2 = 0.999, eps = 1e-8;

  void add(const std::string& name, const at::Tensor& p, double wd) {
    names.push_back(name);
    params.push_back(p);
    m.push_back(torch::zeros_like(p));
    v.push_back(torch::zeros_like(p));
    decay.push_back(wd);
    steps.push_back(0);
  }
  void zero_grad() {
    for (auto& p : params) p.mutable_grad() = at::Tensor();
  }
  void step(double lr) {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < params.size(); ++i) {
      const at::Tensor& g = params[i].grad();
      if (!g.defined()) continue;
      const int64_t t = ++steps[i];
      at::Tensor& p = params[i];
      if (decay[i] != 0) p.mul_(1.0 - lr * decay[i]);
      m[i].mul_(b1).add_(g, 1.0 - b1);
      v[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
      const double bc1 = 1.0 - std::pow(b1, static_cast<double>(t));
      const double bc2 = 1.0 - std::pow(b2, static_cast<double>(t));
      at::Tensor denom = (v[i].sqrt() / std::sqrt(bc2)).add_(eps);
      p.addcdiv_(m[i], denom, -lr / bc1);
    }
  }
};

at::Tensor rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state().clone();
}
void set_rng_state(const at::Tensor& s) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(s.clone());
}

// Accumulates losses (weighted by their counts) and counts of ObjectiveOutputs.
struct Meter {
  std::map<std::string, double> loss_sum, loss_weight, counts;
  double total_loss = 0;
  int64_t batches = 0;
  double tokens = 0;
  void add(const ObjectiveOutput& o, double total) {
    for (auto& [k, c] : o.counts) counts[k] += c;
    for (auto& [k, l] : o.losses) {
      std::string base = (k == "nsp" || k == "sop") ? "sentence" : k;
      double w = 1;
      auto it = o.counts.find(base + "_total");
      if (it != o.counts.end()) w = it->second;
      loss_sum[k] += l * w;
      loss_weight[k] += w;
    }
    total_loss += total;
    ++batches;
  }
  void write(json& j, const std::string& prefix) const {
    j[prefix + "loss"] = total_loss / std::max<int64_t>(1, batches);
    for (auto& [k, s] : loss_sum) j[prefix + "loss_" + k] = s / std::max(1e-12, loss_weight.at(k));
    for (const char* name : {"mlm", "sentence", "disc", "sbo", "clm"}) {
      auto t = counts.find(std::string(name) + "_total");
      auto c = counts.find(std::string(name) + "_correct");
      if (t != counts.end() && t->second > 0) j[prefix + name + "_accuracy"] = (c == counts.end() ? 0.0 : c->second) / t->second;
    }
    auto r = counts.find("disc_replaced");
    auto t = counts.find("disc_total");
    if (r != counts.end() && t != counts.end() && t->second > 0) j[prefix + "disc_replaced_fraction"] = r->second / t->second;
  }
};

double entropy_of(const std::map<int64_t, double>& hist) {
  double n = 0, h = 0;
  for (auto& [k, c] : hist) n += c;
  for (auto& [k, c] : hist)
    if (c > 0) h -= c / n * std::log(c / n);
  return h;
}

pt::CorpusFormat parse_format(const std::string& s) {
  if (s == "text") return pt::CorpusFormat::Text;
  if (s == "wikiextractor") return pt::CorpusFormat::WikiExtractor;
  if (s == "jsonl") return pt::CorpusFormat::Jsonl;
  if (s == "tsv") return pt::CorpusFormat::Tsv;
  return pt::CorpusFormat::Auto;
}

std::string default_cache_dir() {
  const char* x = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string base = (x && *x) ? x : path_join(home && *home ? home : "/tmp", ".cache");
  return path_join(path_join(base, "libnlp"), "shards");
}

// Keys that may differ between a checkpoint's recipe and the resuming recipe.
bool resume_may_differ(const std::string& k) {
  static const std::set<std::string> ok = {"description", "logging_steps", "eval_steps", "save_steps", "max_eval_examples",
                                           "threads", "output_dir", "resume", "max_steps", "per_device_eval_batch_size", "cache_dir",
                                           "data_root"};
  return ok.count(k) > 0;
}

}  // namespace

PretrainReport run_pretrain(const Recipe& r, const PretrainOptions& o) {
  const auto t0 = Clock::now();
  validate_pretrain_recipe(r);
  auto v = r.view();
  PretrainReport rep;
  rep.output_dir = !o.output_dir.empty() ? o.output_dir
                   : !v.require<std::string>("output_dir").empty() ? v.require<std::string>("output_dir")
                                                                    : path_join("runs/pretrain", r.name);
  std::filesystem::create_directories(rep.output_dir);
  if (v.require<long>("threads") > 0) at::set_num_threads(static_cast<int>(v.require<long>("threads")));
  auto say = [&](const std::string& s) {
    if (!o.quiet) std::cout << s << std::endl;
  };

  // ---- tokenizer and special tokens
  const std::string tdir = resolve_model_dir(r, v.require<std::string>("tokenizer"), r.source + ": field 'tokenizer'");
  auto tokenizer = std::make_shared<tok::Tokenizer>(tok::Tokenizer::from_pretrained(tdir));
  uint64_t fingerprint = pt::fnv1a64("libnlp-pretrain-tokenizer");
  for (const char* f : kTokenizerFiles)
    if (path_exists(path_join(tdir, f))) fingerprint = pt::fnv1a64(read_file(path_join(tdir, f)), fingerprint ^ pt::fnv1a64(f));
  pt::SpecialTokens special;
  special.cls = static_cast<int32_t>(tokenizer->cls_token_id());
  special.sep = static_cast<int32_t>(tokenizer->sep_token_id());
  special.mask = static_cast<int32_t>(tokenizer->mask_token_id());
  special.pad = static_cast<int32_t>(tokenizer->pad_token_id());
  special.bos = static_cast<int32_t>(tokenizer->bos_token_id());
  special.eos = static_cast<int32_t>(tokenizer->eos_token_id());
  special.vocab_size = tokenizer->vocab_size();
  const std::string objective = v.require<std::string>("objective");
  const std::string unit = v.require<std::string>("mask_unit");
  if (unit != "token") {
    pt::WordStartScheme scheme = path_exists(path_join(tdir, "spiece.model"))  ? pt::WordStartScheme::SentencePiece
                                 : path_exists(path_join(tdir, "vocab.txt"))    ? pt::WordStartScheme::WordPiece
                                                                                 : pt::WordStartScheme::ByteLevelBpe;
    special.word_start = pt::word_start_table(tokenizer->model(), scheme);
    special.word_start.resize(static_cast<size_t>(special.vocab_size), 1);  // added tokens start words
  }

  // ---- corpus (tokenized once into cached shards)
  const auto tc = Clock::now();
  std::string cache = v.require<std::string>("cache_dir");
  cache = cache.empty() ? default_cache_dir() : expand_path(r, cache);
  std::filesystem::create_directories(cache);
  pt::CorpusReadOptions ro;
  ro.format = parse_format(v.require<std::string>("corpus_format"));
  ro.jsonl_field = v.require<std::string>("jsonl_field");
  ro.tsv_column = v.require<std::string>("tsv_column");
  ro.max_sentences_per_document = static_cast<size_t>(v.require<long>("max_sentences_per_document"));
  pt::TokenizeFn tokenize = [&](std::string_view text) {
    std::vector<int32_t> ids;
    for (const auto& p : tokenizer->tokenize(text)) ids.push_back(p.id);
    return ids;
  };
  std::vector<pt::TokenShard> shards;
  for (const auto& f : r.values.at("corpus_files")) {
    Recipe tmp = r;
    tmp.values["__file"] = f.get<std::string>();
    const std::string path = resolve_data_path(tmp, "__file");
    bool rebuilt = false;
    shards.push_back(pt::open_or_build_shard(path, cache, tokenize, fingerprint, static_cast<uint64_t>(special.vocab_size), ro, &rebuilt));
    say("[corpus] " + path + ": " + std::to_string(shards.back().num_documents()) + " documents, " +
        std::to_string(shards.back().num_sentences()) + " sentences, " + std::to_string(shards.back().num_tokens()) +
        " tokens" + (rebuilt ? " (tokenized now)" : " (cached shard)"));
  }
  pt::Corpus corpus(std::move(shards));
  const uint64_t seed = static_cast<uint64_t>(v.require<long>("seed"));
  pt::DocumentSplit split = pt::split_documents(corpus.num_documents(), v.require<double>("validation_fraction"),
                                                static_cast<uint64_t>(v.require<long>("split_seed")));

  // ---- examples
  const std::string ex = v.require<std::string>("examples");
  const int64_t max_len = v.require<long>("max_seq_length");
  const bool is_static = v.require<std::string>("masking_schedule") == "static";
  auto build = [&](const std::vector<uint64_t>& docs, uint64_t s, int64_t dupe) {
    if (ex == "segment_pairs") {
      pt::PairConfig pc;
      pc.max_seq_length = max_len;
      pc.short_seq_prob = v.require<double>("short_seq_prob");
      pc.objective = objective == "mlm_sop" ? pt::PairObjective::SentenceOrder : pt::PairObjective::NextSentence;
      pt::ExampleSet all = pt::build_segment_pairs(corpus, docs, pc, pt::mix_seed({s, 0}));
      for (int64_t d = 1; d < dupe; ++d) pt::append_examples(all, pt::build_segment_pairs(corpus, docs, pc, pt::mix_seed({s, static_cast<uint64_t>(d)})));
      return all;
    }
    if (ex == "blocks") return pt::build_causal_blocks(corpus, docs, max_len, special.eos);
    pt::PackConfig pk;
    pk.max_seq_length = max_len;
    pk.mode = ex == "full_sentences" ? pt::PackingMode::FullSentences : pt::PackingMode::DocSentences;
    pk.separator = special.sep;
    return pt::build_packed_sequences(corpus, docs, pk);
  };
  pt::DatasetConfig dc;
  dc.objective = objective == "clm" ? pt::Objective::CausalLm : pt::Objective::MaskedLm;
  dc.masking.mlm_probability = v.require<double>("mlm_probability");
  dc.masking.selection = v.require<std::string>("mask_selection") == "fixed" ? pt::MaskSelection::FixedCount : pt::MaskSelection::Bernoulli;
  dc.masking.unit = unit == "whole_word" ? pt::MaskUnit::WholeWord : unit == "span" ? pt::MaskUnit::Span : pt::MaskUnit::Token;
  dc.masking.max_predictions = v.require<long>("max_predictions");
  dc.masking.mask_replace_prob = v.require<double>("mask_replace_prob");
  dc.masking.random_replace_prob = v.require<double>("random_replace_prob");
  dc.masking.span_geometric_p = v.require<double>("span_geometric_p");
  dc.masking.span_max_words = v.require<long>("span_max_words");
  dc.masking.span_distribution = v.require<std::string>("span_distribution") == "clipped" ? pt::SpanLengthDistribution::Clipped
                                                                                           : pt::SpanLengthDistribution::Truncated;
  dc.schedule = is_static ? pt::MaskingSchedule::Static : pt::MaskingSchedule::Dynamic;
  dc.seed = seed;
  // Static masking: BERT's dupe_factor copies of the pairs, each with its own masks (see
  // append_examples in examples.h); the dataset then needs no further copies.
  const int64_t dupe = is_static ? v.require<long>("dupe_factor") : 1;
  pt::PretrainingDataset train_data(corpus, build(split.train, seed, dupe), special, dc);
  pt::DatasetConfig vdc = dc;
  vdc.seed = pt::mix_seed({seed, 0x7661u});
  pt::PretrainingDataset val_data(corpus, build(split.validation, pt::mix_seed({seed, 0x7661u}), 1), special, vdc);
  rep.train_examples = static_cast<int64_t>(train_data.size());
  rep.eval_examples = std::min<int64_t>(static_cast<int64_t>(val_data.size()), v.require<long>("max_eval_examples"));
  if (train_data.size() == 0) fail(r.source, "the corpus gives no training examples (corpus_files too small for max_seq_length?)");
  if (val_data.size() == 0) fail(r.source, "the corpus gives no validation examples (raise validation_fraction)");
  say("[data] " + std::to_string(corpus.num_documents()) + " documents (" + std::to_string(split.train.size()) + " train / " +
      std::to_string(split.validation.size()) + " validation), " + std::to_string(train_data.size()) + " training and " +
      std::to_string(val_data.size()) + " validation examples (" + ex + ", max_seq_length " + std::to_string(max_len) + ") in " +
      fmt(since(tc), 1) + "s");

  // ---- model
  json cfg = r.values.at("model_config");
  if (!cfg.contains("vocab_size")) cfg["vocab_size"] = special.vocab_size;
  if (!cfg.contains("pad_token_id") && special.pad >= 0) cfg["pad_token_id"] = special.pad;
  if (cfg["vocab_size"].is_number_integer() && cfg["vocab_size"].get<int64_t>() < special.vocab_size)
    fail(r.source, "field 'model_config.vocab_size': " + cfg["vocab_size"].dump() + " is smaller than the tokenizer's vocabulary (" +
                       std::to_string(special.vocab_size) + ")");
  torch::manual_seed(seed);
  PretrainingModelOptions mo;
  mo.objective = objective;
  mo.generator_size = v.require<double>("generator_size");
  mo.rtd_weight = v.require<double>("rtd_weight");
  std::shared_ptr<PretrainingModel> model = build_pretraining_model(cfg, r.source + ": field 'model_config'", mo);
  rep.num_parameters = models::num_parameters(*model);
  say("[model] " + model->describe() + ", " + std::to_string(rep.num_parameters) + " parameters");

  // ---- optimizer
  AdamW opt;
  opt.b1 = v.require<double>("adam_beta1");
  opt.b2 = v.require<double>("adam_beta2");
  opt.eps = v.require<double>("adam_epsilon");
  {
    std::unordered_set<const void*> seen;
    for (const auto& p : model->named_parameters(true)) {
      if (!p.value().requires_grad() || !seen.insert(p.value().unsafeGetTensorImpl()).second) continue;
      opt.add(p.key(), p.value(), no_decay(p.key()) ? 0.0 : v.require<double>("weight_decay"));
    }
  }
  const int64_t max_steps = v.require<long>("max_steps");
  const int64_t warmup = v.require<long>("warmup_steps") >= 0
                             ? v.require<long>("warmup_steps")
                             : static_cast<int64_t>(std::ceil(v.require<double>("warmup_ratio") * static_cast<double>(max_steps)));
  rep.max_steps = max_steps;

  // ---- checkpoint / resume
  const std::string ckpt = path_join(rep.output_dir, "checkpoint.safetensors");
  int64_t step = 0;
  json history = json::array();
  auto save_checkpoint = [&]() {
    io::StateDict t;
    for (size_t i = 0; i < opt.params.size(); ++i) {
      t["model." + opt.names[i]] = opt.params[i].detach();
      t["adam.m." + opt.names[i]] = opt.m[i];
      t["adam.v." + opt.names[i]] = opt.v[i];
    }
    for (const auto& b : model->named_buffers(true)) t["buffer." + b.key()] = b.value();
    t["rng.torch"] = rng_state();
    json state = {{"step", step}, {"max_steps", max_steps}, {"adam_steps", opt.steps}, {"recipe", r.values}, {"history", history}};
    io::save_safetensors(ckpt, t, {{"format", "libnlp-pretrain-checkpoint"}, {"trainer_state", state.dump()}});
  };
  bool resumed = false;
  if (v.require<bool>("resume") && path_exists(ckpt)) {
    std::map<std::string, std::string> meta;
    io::StateDict t = io::load_safetensors(ckpt, &meta);
    if (!meta.count("trainer_state")) fail(ckpt, "not a libnlp pretraining checkpoint (no trainer_state metadata)");
    json state = json::parse(meta.at("trainer_state"));
    const json& saved = state.at("recipe");
    for (auto it = r.values.begin(); it != r.values.end(); ++it) {
      if (resume_may_differ(it.key())) continue;
      if (!saved.contains(it.key()) || saved.at(it.key()) != it.value())
        fail(ckpt, "cannot resume: recipe field '" + it.key() + "' was " + (saved.contains(it.key()) ? saved.at(it.key()).dump() : "absent") +
                       " in the checkpoint but is " + it.value().dump() + " now (use another --output, or --set resume=false to start over)");
    }
    torch::NoGradGuard ng;
    auto get = [&](const std::string& k) -> const at::Tensor& {
      auto f = t.find(k);
      if (f == t.end()) fail(ckpt, "tensor '" + k + "' missing");
      return f->second;
    };
    for (size_t i = 0; i < opt.params.size(); ++i) {
      const at::Tensor& p = get("model." + opt.names[i]);
      if (p.sizes() != opt.params[i].sizes()) fail(ckpt, "tensor 'model." + opt.names[i] + "': shape differs from the model");
      opt.params[i].copy_(p);
      opt.m[i].copy_(get("adam.m." + opt.names[i]));
      opt.v[i].copy_(get("adam.v." + opt.names[i]));
    }
    for (auto& b : model->named_buffers(true)) {
      auto f = t.find("buffer." + b.key());
      if (f != t.end()) b.value().copy_(f->second);
    }
    opt.steps = state.at("adam_steps").get<std::vector<int64_t>>();
    step = state.at("step").get<int64_t>();
    history = state.value("history", json::array());
    set_rng_state(get("rng.torch"));
    resumed = true;
    rep.start_step = step;
    say("[resume] from " + ckpt + " at step " + std::to_string(step));
  } else {
    torch::manual_seed(pt::mix_seed({seed, 0x747261696eu}) & 0x7fffffffffffffffull);
  }

  // metrics.jsonl: appended on resume (events after the checkpoint's step are dropped first).
  const std::string metrics_path = path_join(rep.output_dir, "metrics.jsonl");
  {
    std::string kept;
    if (resumed && path_exists(metrics_path)) {
      std::istringstream in(read_file(metrics_path));
      std::string line;
      while (std::getline(in, line)) {
        try {
          json j = json::parse(line);
          if (j.value("step", int64_t{0}) <= step && !j.contains("train_runtime")) kept += line + "\n";
        } catch (...) {
        }
      }
    }
    write_file_atomic(metrics_path, kept);
  }
  std::ofstream log(metrics_path, std::ios::app);
  auto log_json = [&](const json& j) { log << j.dump() << "\n" << std::flush; };

  // ---- evaluation (fixed masks; RNG restored afterwards)
  const int64_t ebs = v.require<long>("per_device_eval_batch_size");
  const double rtd_weight = v.require<double>("rtd_weight");
  auto evaluate = [&]() {
    at::Tensor saved_rng = rng_state();
    torch::manual_seed(pt::mix_seed({seed, 0x6576616cu}) & 0x7fffffffffffffffull);
    model->eval();
    Meter m;
    std::map<int64_t, double> hist;
    std::map<int64_t, double> sentence_hist;
    {
      torch::NoGradGuard ng;
      for (int64_t b0 = 0; b0 < rep.eval_examples; b0 += ebs) {
        std::vector<pt::TrainingExample> exs;
        for (int64_t i = b0; i < std::min(rep.eval_examples, b0 + ebs); ++i) exs.push_back(val_data.get(static_cast<uint64_t>(i), 0));
        models::TensorMap bt = batch_tensors(pt::collate(exs, special.pad >= 0 ? special.pad : 0));
        ObjectiveOutput out = model->forward(bt);
        m.add(out, out.loss.item<double>());
        auto count_into = [](const at::Tensor& t, std::map<int64_t, double>& h) {
          at::Tensor c = t.to(torch::kLong).contiguous();
          const int64_t* p = c.data_ptr<int64_t>();
          for (int64_t i = 0; i < c.numel(); ++i) h[p[i]] += 1;
        };
        if (out.targets.defined()) count_into(out.targets, hist);
        auto sl = bt.find("sentence_labels");
        if (sl != bt.end()) count_into(sl->second, sentence_hist);
        if (out.disc_labels.defined()) {
          double rep1 = out.disc_labels.sum().item<double>();
          sentence_hist[100] += rep1;
          sentence_hist[101] += static_cast<double>(out.disc_labels.numel()) - rep1;
        }
      }
    }
    model->train();
    set_rng_state(saved_rng);
    json j = {{"step", step}};
    m.write(j, "eval_");
    std::map<std::string, double> base;
    const double h = entropy_of(hist);
    if (objective == "clm") base["clm"] = h;
    else base["mlm"] = h;
    if (objective == "span_sbo") base["sbo"] = h;
    if (objective == "mlm_nsp" || objective == "mlm_sop") {
      std::map<int64_t, double> s{{0, sentence_hist[0]}, {1, sentence_hist[1]}};
      base[objective == "mlm_nsp" ? "nsp" : "sop"] = entropy_of(s);
    }
    if (objective == "electra") base["disc"] = entropy_of({{1, sentence_hist[100]}, {0, sentence_hist[101]}});
    double btotal = 0;
    for (auto& [k, b] : base) {
      j["unigram_baseline_" + k] = b;
      if (k != "sbo" || objective == "span_sbo") btotal += (k == "disc" ? rtd_weight : 1.0) * b;
    }
    j["unigram_baseline_loss"] = btotal;
    rep.unigram_baseline = base;
    rep.eval_metrics.clear();
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.value().is_number() && it.key() != "step") rep.eval_metrics[it.key()] = it.value().get<double>();
    return j;
  };

  // ---- training loop
  SigintScope sigint;
  const int64_t bs = v.require<long>("per_device_train_batch_size"), accum = v.require<long>("gradient_accumulation_steps");
  const uint64_t n = train_data.size();
  const double clip = v.require<double>("max_grad_norm");
  const int64_t logging = v.require<long>("logging_steps"), eval_steps = v.require<long>("eval_steps"),
                save_steps = v.require<long>("save_steps");
  std::vector<at::Tensor> params = opt.params;
  std::map<uint64_t, std::vector<uint64_t>> perms;
  auto example_at = [&](uint64_t k) {
    const uint64_t epoch = k / n;
    auto it = perms.find(epoch);
    if (it == perms.end()) {
      if (perms.size() > 2) perms.erase(perms.begin());
      it = perms.emplace(epoch, pt::epoch_permutation(n, seed, epoch)).first;
    }
    return train_data.get(it->second[k % n], epoch);
  };
  const bool tty = o.progress_bar && ::isatty(STDERR_FILENO);
  if (resumed) log_json({{"step", step}, {"resumed_from_checkpoint", ckpt}});
  model->train();
  Meter window;
  auto window_t = Clock::now();
  double train_secs = 0, train_tokens = 0;
  const auto train_t0 = Clock::now();
  const int64_t first_step = step;
  say("[train] " + objective + ": steps " + std::to_string(step) + " -> " + std::to_string(max_steps) + ", batch " +
      std::to_string(bs) + " x " + std::to_string(accum) + " accumulation, lr " + fmt(v.require<double>("learning_rate"), 6) +
      ", warmup " + std::to_string(warmup) + ", output " + rep.output_dir);
  while (step < max_steps) {
    const auto ts = Clock::now();
    opt.zero_grad();
    double step_loss = 0;
    ObjectiveOutput last;
    for (int64_t a = 0; a < accum; ++a) {
      const uint64_t k0 = static_cast<uint64_t>((step * accum + a) * bs);
      std::vector<pt::TrainingExample> exs;
      for (int64_t i = 0; i < bs; ++i) exs.push_back(example_at(k0 + static_cast<uint64_t>(i)));
      models::TensorMap bt = batch_tensors(pt::collate(exs, special.pad >= 0 ? special.pad : 0));
      ObjectiveOutput out = model->forward(bt);
      at::Tensor loss = out.loss / static_cast<double>(accum);
      loss.backward();
      const double l = out.loss.item<double>();
      step_loss += l / static_cast<double>(accum);
      window.add(out, l);
      const double toks = bt.at("attention_mask").sum().item<double>();
      window.tokens += toks;
      train_tokens += toks;
    }
    if (!std::isfinite(step_loss)) fail("pretrain", "loss is " + std::to_string(step_loss) + " at step " + std::to_string(step + 1) + " (lower learning_rate?)");
    if (clip > 0) torch::nn::utils::clip_grad_norm_(params, clip);
    const double lr = v.require<double>("learning_rate") * linear_warmup_decay(step, warmup, max_steps);
    opt.step(lr);
    ++step;
    rep.step_losses[step] = step_loss;
    train_secs += since(ts);
    if (tty) {
      const int width = 24;
      int filled = static_cast<int>(width * step / max_steps);
      double eta = train_secs / static_cast<double>(step - first_step) * static_cast<double>(max_steps - step);
      std::cerr << "\r\033[K[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << step << "/" << max_steps
                << " loss " << fmt(step_loss) << " ETA " << format_duration(eta) << std::flush;
    }
    if (step % logging == 0 || step == max_steps) {
      json j = {{"step", step}, {"learning_rate", lr}};
      window.write(j, "");
      j["tokens_per_second"] = window.tokens / std::max(1e-9, since(window_t));
      log_json(j);
      if (tty) std::cerr << "\r\033[K" << std::flush;
      std::string line = "step " + std::to_string(step) + "/" + std::to_string(max_steps) + " loss " + fmt(j["loss"].get<double>());
      for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key().rfind("loss_", 0) == 0 || it.key().find("accuracy") != std::string::npos) line += " " + it.key() + " " + fmt(it.value().get<double>());
      line += " lr " + fmt(lr, 6) + " " + fmt(j["tokens_per_second"].get<double>(), 0) + " tok/s elapsed " + format_duration(since(train_t0));
      say(line);
      window = Meter();
      window_t = Clock::now();
    }
    if (eval_steps > 0 && step % eval_steps == 0 && step < max_steps) {
      json j = evaluate();
      log_json(j);
      history.push_back(j);
      say("[eval] step " + std::to_string(step) + " eval_loss " + fmt(j["eval_loss"].get<double>()) + " (unigram baseline " +
          fmt(j["unigram_baseline_loss"].get<double>()) + ")");
    }
    const bool stop_now = g_stop.load() || (o.stop_after_step > 0 && step >= o.stop_after_step);
    if ((save_steps > 0 && step % save_steps == 0) || (g_stop.load() && !(o.stop_after_step > 0 && step >= o.stop_after_step)))
      save_checkpoint();
    if (stop_now && step < max_steps) {
      rep.interrupted = true;
      break;
    }
  }
  if (tty) std::cerr << "\r\033[K" << std::flush;
  rep.global_step = step;
  rep.train_seconds = train_secs;
  rep.tokens_per_second = train_tokens / std::max(1e-9, train_secs);
  if (rep.interrupted) {
    say("[stopped] at step " + std::to_string(step) + " of " + std::to_string(max_steps) + "; rerun the same command to resume from " + ckpt);
    rep.wall_seconds = since(t0);
    return rep;
  }
  json ev = evaluate();
  log_json(ev);
  history.push_back(ev);
  save_checkpoint();
  model->save(rep.output_dir);
  for (const char* f : kTokenizerFiles) {
    std::string src = path_join(tdir, f);
    if (path_exists(src)) write_file_atomic(path_join(rep.output_dir, f), read_file(src));
  }
  rep.wall_seconds = since(t0);
  json results = ev;
  results["objective"] = objective;
  results["global_step"] = step;
  results["train_seconds"] = train_secs;
  results["wall_seconds"] = rep.wall_seconds;
  results["tokens_per_second"] = rep.tokens_per_second;
  results["num_parameters"] = rep.num_parameters;
  results["train_examples"] = rep.train_examples;
  results["eval_examples"] = rep.eval_examples;
  results["model"] = model->describe();
  write_file_atomic(path_join(rep.output_dir, "pretrain_results.json"), results.dump(2) + "\n");
  write_file_atomic(path_join(rep.output_dir, "pretrain_recipe.json"), r.values.dump(2) + "\n");
  log_json({{"step", step}, {"train_runtime", train_secs}, {"wall_seconds", rep.wall_seconds}, {"tokens_per_second", rep.tokens_per_second}});
  return rep;
}

}  // namespace nlp::train

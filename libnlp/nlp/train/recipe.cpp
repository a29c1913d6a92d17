#include "nlp/train/recipe.h"

#include <sys/stat.h>

#include <cstdlib>
#include <dirent.h>
#include <sstream>

#include "nlp/train/schedule.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::train {

namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string env_or(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : def;
}

std::string home_dir() { return env_or("HOME", "/root"); }

std::string valid_keys_list(const json& obj, const std::string& prefix = "") {
  std::string s;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!s.empty()) s += ", ";
    s += prefix + it.key();
  }
  return s;
}

const char* kind_name(const json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "a list";
  return "null";
}

// Whether `v` may replace a value shaped like `def` (null defaults accept anything; numbers
// accept integers; integers accept integral numbers).
bool same_kind(const json& def, const json& v) {
  if (def.is_null() || v.is_null()) return true;
  if (def.is_boolean()) return v.is_boolean();
  if (def.is_number_integer()) return v.is_number_integer() || (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>())));
  if (def.is_number()) return v.is_number();
  if (def.is_string()) return v.is_string();
  if (def.is_object()) return v.is_object();
  if (def.is_array()) return v.is_array();
  return false;
}

// Parses an override value typed like `current`.
json parse_typed(const json& current, const std::string& text, const std::string& where) {
  auto bad = [&](const char* expected) -> json {
    fail(where, std::string("expected ") + expected + " but got '" + text + "'");
  };
  if (current.is_boolean()) {
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    return bad("a boolean (true/false)");
  }
  if (current.is_number_integer()) {
    try {
      size_t pos = 0;
      long long v = std::stoll(text, &pos);
      if (pos == text.size()) return v;
    } catch (...) {
    }
    return bad("an integer");
  }
  if (current.is_number()) {
    try {
      size_t pos = 0;
      double v = std::stod(text, &pos);
      if (pos == text.size()) return v;
    } catch (...) {
    }
    return bad("a number");
  }
  if (current.is_string()) return text;
  // object / list / null: JSON text, or a bare string for null defaults
  try {
    return json::parse(text);
  } catch (const json::exception&) {
    if (current.is_null()) return text;
    return bad(current.is_object() ? "a JSON object" : "a JSON list");
  }
}

// A free-form value for model_config fields: JSON when it parses (numbers, booleans, lists),
// else a string.
json parse_free(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception&) {
    return text;
  }
}

}  // namespace

const json& recipe_defaults() {
  static const json d = {
      // what to run
      {"description", ""},
      {"task", "glue"},        // glue | squad | multiple_choice | ner
      {"task_name", "sst2"},   // glue task (sst2, mrpc, cola, stsb, rte, ...); multiple_choice: story_cloze | swag | swag_json
      {"train_file", ""},
      {"eval_file", ""},
      {"data_root", ""},
      {"eval_split_fraction", 0.0},  // > 0: carve the eval part out of train_file (eval_file unused)
      {"split_seed", 13},
      {"max_train_examples", -1},  // -1: all
      {"max_eval_examples", -1},
      // model
      {"model", ""},               // local folder or hub id; ignored when model_config is set
      {"model_config", nullptr},   // config.json of a model trained from random initialisation
      {"tokenizer", ""},           // folder or hub id; default: the model folder
      // encoding
      {"max_seq_length", 128},
      {"doc_stride", 128},
      {"max_query_length", 64},
      {"n_best_size", 20},
      {"max_answer_length", 30},
      {"version_2_with_negative", false},
      {"null_score_diff_threshold", 0.0},
      // optimisation (BERT paper / transformers TrainingArguments names)
      {"learning_rate", 2e-5},
      {"weight_decay", 0.01},
      {"adam_beta1", 0.9},
      {"adam_beta2", 0.999},
      {"adam_epsilon", 1e-8},
      {"warmup_ratio", 0.1},
      {"lr_scheduler_type", "linear"},  // linear | cosine | constant | constant_with_warmup
      {"layerwise_lr_decay", 1.0},      // ELECTRA fine-tuning: lr * decay^(depth from the top); 1 = off
      {"warmup_steps", -1},  // >= 0 overrides warmup_ratio
      {"max_grad_norm", 1.0},
      {"per_device_train_batch_size", 32},
      {"per_device_eval_batch_size", 64},
      {"gradient_accumulation_steps", 1},
      {"num_train_epochs", 3.0},
      {"max_steps", -1},        // > 0 overrides num_train_epochs
      {"max_train_seconds", 0.0},  // > 0: wall-time budget for training (stops early, then evaluates)
      {"eval_steps", 0},        // 0: evaluate at the end of every epoch
      {"logging_steps", 50},
      {"seed", 42},
      {"metric_for_best_model", ""},  // default: the task's main metric
      {"load_best_model_at_end", true},
      {"threads", 0},
      {"output_dir", ""},  // default: runs/<recipe name>
  };
  return d;
}

static void merge_checked(Recipe& r, const json& file_values) {
  if (!file_values.is_object()) fail(r.source, std::string("expected a JSON object but got ") + kind_name(file_values));
  const json& defaults = recipe_defaults();
  for (auto it = file_values.begin(); it != file_values.end(); ++it) {
    if (!defaults.contains(it.key()))
      fail(r.source, "unknown key '" + it.key() + "'; valid keys: " + valid_keys_list(defaults));
    if (!same_kind(defaults.at(it.key()), it.value()))
      fail(r.source, "field '" + it.key() + "': expected " + kind_name(defaults.at(it.key())) + " but got " +
                         it.value().dump());
    if (it.key() == "model_config" && !it.value().is_null() && !it.value().is_object())
      fail(r.source, "field 'model_config': expected an object (a config.json) but got " + it.value().dump());
    r.values[it.key()] = it.value();
  }
}

static std::string stem_of(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  auto dot = base.rfind('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

Recipe parse_recipe(const std::string& text, const std::string& source) {
  Recipe r;
  r.source = source;
  r.name = stem_of(source);
  r.values = recipe_defaults();
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    fail(source, std::string("invalid JSON: ") + e.what());
  }
  merge_checked(r, j);
  return r;
}

Recipe load_recipe(const std::string& path) {
  if (!path_exists(path)) fail(path, "recipe file not found");
  return parse_recipe(read_file(path), path);
}

void apply_override(Recipe& r, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    fail("--set " + assignment, "expected key=value (e.g. --set learning_rate=3e-5)");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  const std::string where = "--set " + key;
  const json& defaults = recipe_defaults();
  const std::string mc = "model_config.";
  if (key.rfind(mc, 0) == 0) {
    const std::string field = key.substr(mc.size());
    if (field.empty()) fail(where, "expected model_config.<field>=value");
    if (!r.values["model_config"].is_object())
      fail(where, "the recipe has no model_config (it fine-tunes '" + r.values.value("model", std::string()) +
                      "'); model_config.<field> overrides apply to models trained from scratch");
    json& cfg = r.values["model_config"];
    cfg[field] = cfg.contains(field) && !cfg.at(field).is_null() ? parse_typed(cfg.at(field), text, where) : parse_free(text);
    return;
  }
  if (!defaults.contains(key)) {
    std::string keys = valid_keys_list(defaults);
    if (r.values["model_config"].is_object()) keys += ", " + valid_keys_list(r.values["model_config"], "model_config.");
    fail(where, "unknown recipe key '" + key + "'; valid keys: " + keys);
  }
  json cur = r.values.at(key);
  if (cur.is_null()) cur = defaults.at(key);
  r.values[key] = parse_typed(cur, text, where);
}

void validate_recipe(const Recipe& r) {
  auto v = r.view();
  auto need = [&](bool ok, const std::string& key, const std::string& what) {
    if (!ok) fail(r.source, "field '" + key + "': expected " + what + " but got " + r.values.at(key).dump());
  };
  const std::string task = v.require<std::string>("task");
  need(task == "glue" || task == "squad" || task == "multiple_choice" || task == "ner", "task",
       "one of glue, squad, multiple_choice, ner");
  need(!v.require<std::string>("train_file").empty(), "train_file", "a data file (relative to the data root)");
  double frac = v.require<double>("eval_split_fraction");
  need(frac >= 0 && frac < 1, "eval_split_fraction", "a number in [0, 1)");
  if (frac == 0) need(!v.require<std::string>("eval_file").empty(), "eval_file", "a data file (or eval_split_fraction > 0)");
  need(v.require<long>("max_seq_length") >= 8, "max_seq_length", "an integer >= 8");
  need(v.require<long>("per_device_train_batch_size") >= 1, "per_device_train_batch_size", "an integer >= 1");
  need(v.require<long>("per_device_eval_batch_size") >= 1, "per_device_eval_batch_size", "an integer >= 1");
  need(v.require<long>("gradient_accumulation_steps") >= 1, "gradient_accumulation_steps", "an integer >= 1");
  need(v.require<double>("learning_rate") > 0, "learning_rate", "a positive number");
  need(v.require<double>("num_train_epochs") > 0 || v.require<long>("max_steps") > 0, "num_train_epochs",
       "a positive number (or max_steps > 0)");
  need(v.require<double>("warmup_ratio") >= 0 && v.require<double>("warmup_ratio") <= 1, "warmup_ratio", "a number in [0, 1]");
  need(v.require<double>("max_grad_norm") >= 0, "max_grad_norm", "a number >= 0 (0 disables clipping)");
  need(v.require<long>("logging_steps") >= 1, "logging_steps", "an integer >= 1");
  need(v.require<long>("eval_steps") >= 0, "eval_steps", "an integer >= 0");
  try {
    parse_schedule_type(v.require<std::string>("lr_scheduler_type"));
  } catch (const Error& e) {
    fail(r.source, std::string("field 'lr_scheduler_type': ") + e.what());
  }
  need(v.require<double>("layerwise_lr_decay") > 0 && v.require<double>("layerwise_lr_decay") <= 1, "layerwise_lr_decay",
       "a number in (0, 1] (1 = off)");
  if (task == "squad") {
    long msl = v.require<long>("max_seq_length");
    need(v.require<long>("max_query_length") >= 1 && v.require<long>("max_query_length") < msl - 3,
         "max_query_length", "an integer in [1, max_seq_length - 4]");
    need(v.require<long>("doc_stride") >= 0 && v.require<long>("doc_stride") < msl - v.require<long>("max_query_length") - 3,
         "doc_stride", "an integer >= 0 smaller than the context window (max_seq_length - max_query_length - 3)");
    need(v.require<long>("n_best_size") >= 1, "n_best_size", "an integer >= 1");
    need(v.require<long>("max_answer_length") >= 1, "max_answer_length", "an integer >= 1");
  }
  if (r.values.at("model_config").is_null()) need(!v.require<std::string>("model").empty(), "model", "a model folder or hub id (or a model_config)");
}

std::string data_root(const Recipe& r) {
  std::string explicit_root = r.values.value("data_root", std::string());
  if (!explicit_root.empty()) {
    if (explicit_root.rfind("${shared}", 0) == 0) return shared_dir() + explicit_root.substr(9);
    return explicit_root;
  }
  std::string env = env_or("LIBNLP_DATA", "");
  if (!env.empty()) return env;
  std::string shared_data = path_join(shared_dir(), "data");
  if (is_dir(shared_data)) return shared_data;
  return path_join(path_join(env_or("XDG_CACHE_HOME", path_join(home_dir(), ".cache")), "libnlp"), "data");
}

std::string expand_path(const Recipe& r, const std::string& p) {
  if (p.rfind("${shared}/", 0) == 0) return path_join(shared_dir(), p.substr(10));
  if (p.rfind("${data}/", 0) == 0) return path_join(data_root(r), p.substr(8));
  return p;
}

std::string resolve_data_path(const Recipe& r, const std::string& key) {
  std::string p = r.values.value(key, std::string());
  if (p.empty()) fail(r.source, "field '" + key + "': no file given");
  std::string full;
  if (p.rfind("${", 0) == 0) full = expand_path(r, p);
  else if (!p.empty() && p[0] == '/') full = p;
  else full = path_join(data_root(r), p);
  if (!path_exists(full))
    fail(r.source, "field '" + key + "': file '" + full + "' not found (data root '" + data_root(r) +
                       "': set data_root in the recipe, --set data_root=DIR, or LIBNLP_DATA, or place the data under "
                       "$XDG_CACHE_HOME/libnlp/data)");
  return full;
}

std::string hf_hub_cache_dir() {
  std::string c = env_or("HF_HUB_CACHE", "");
  if (!c.empty()) return c;
  std::string home = env_or("HF_HOME", path_join(env_or("XDG_CACHE_HOME", path_join(home_dir(), ".cache")), "huggingface"));
  return path_join(home, "hub");
}

std::string resolve_model_dir(const Recipe& r, const std::string& spec, const std::string& what) {
  if (spec.empty()) fail(what, "no model or tokenizer given");
  std::string p = expand_path(r, spec);
  if (is_dir(p)) return p;
  if (p.rfind("${", 0) == 0 || p[0] == '/' || p.rfind("./", 0) == 0 || p.rfind("../", 0) == 0)
    fail(what, "folder '" + p + "' does not exist");
  // Hub id: org/name or name.
  std::string repo = "models--";
  for (char c : spec) repo += (c == '/') ? std::string("--") : std::string(1, c);
  std::string cache = hf_hub_cache_dir();
  std::string base = path_join(cache, repo);
  std::string snapshots = path_join(base, "snapshots");
  if (is_dir(snapshots)) {
    std::string rev;
    std::string ref = path_join(path_join(base, "refs"), "main");
    if (path_exists(ref)) {
      rev = read_file(ref);
      while (!rev.empty() && (rev.back() == '\n' || rev.back() == ' ' || rev.back() == '\r')) rev.pop_back();
    }
    if (!rev.empty() && is_dir(path_join(snapshots, rev))) return path_join(snapshots, rev);
    if (DIR* d = ::opendir(snapshots.c_str())) {  // no refs/main: the only (or first) snapshot
      std::string found;
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != ".." && is_dir(path_join(snapshots, n)) && (found.empty() || n < found)) found = n;
      }
      ::closedir(d);
      if (!found.empty()) return path_join(snapshots, found);
    }
  }
  fail(what, "'" + spec + "' is neither a local folder nor a model in the Hugging Face cache (looked for " + snapshots +
                 "/<revision>/). libnlp does not download: on a machine with network run `huggingface-cli download " +
                 spec + "` (or set HF_HOME / HF_HUB_CACHE to a cache that has it), or give a local model folder");
}

}  // namespace nlp::train

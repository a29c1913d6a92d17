// Fine-tuning recipes: a JSON file of hyper-parameters and data/model locations, checked
// against a fixed schema (recipe_defaults()), with command-line overrides (`--set key=value`).
//
// A recipe is a flat JSON object; `model_config` (the config.json of a model trained from random
// initialisation) is the only nested object, and its fields are addressed as
// `model_config.<field>` by overrides. Every key of the file must be a schema key (a typo is an
// error listing the valid keys); absent keys take the schema default.
//
// Locations:
//   * data files (train_file, eval_file) are relative to the data root (data_root()):
//     the recipe's `data_root` when set, else $LIBNLP_DATA, else <shared>/data when it exists
//     (nlp::shared_dir(), i.e. ../shared/data in a checkout), else the user cache
//     $XDG_CACHE_HOME/libnlp/data (default ~/.cache/libnlp/data). Absolute paths are kept.
//   * a path starting with "${shared}/" is resolved under nlp::shared_dir(), "${data}/" under
//     the data root.
//   * models and tokenizers: a local folder, or a Hugging Face hub id ("bert-base-uncased",
//     "org/name") looked up in the standard hub cache $HF_HUB_CACHE, else
//     $HF_HOME/hub (HF_HOME default ~/.cache/huggingface): models--org--name/snapshots/<rev>/,
//     where <rev> is refs/main when present. libnlp has no HTTP client: a model that is not
//     cached is an error saying how to fetch it.
#pragma once

#include <string>
#include <vector>

#include "nlp/util/json.h"

namespace nlp::train {

// The schema: every recipe key with its default value (the type of a default types overrides).
const json& recipe_defaults();

struct Recipe {
  json values;         // defaults merged with the file and the overrides
  std::string source;  // recipe path, for error messages
  std::string name;    // file stem ("sst2-cpu")

  JsonView view() const { return JsonView{values, source}; }
  template <class T>
  T get(const std::string& key) const { return view().require<T>(key); }
};

// Reads a recipe file. Throws nlp::Error "<path>: ..." on JSON syntax errors (with line and
// column), a non-object document, an unknown key (listing the valid keys), or a value whose
// type differs from the schema default (e.g. a string for learning_rate).
Recipe load_recipe(const std::string& path);

// A recipe from JSON text (tests, `nlp finetune --recipe-json`); `source` names it in errors.
Recipe parse_recipe(const std::string& text, const std::string& source);

// Applies "key=value": the value is parsed with the type of the key's current value (integer,
// number, boolean true/false/1/0, string; JSON for objects, lists and null defaults).
// `model_config.<field>=v` sets a field of model_config (any JSON value; numbers and booleans
// are recognised, otherwise a string). Throws nlp::Error "--set <key>: ..." for a missing '=',
// an unknown key (listing the valid ones) or a value of the wrong type.
void apply_override(Recipe& recipe, const std::string& assignment);

// Checks cross-field constraints (positive batch size, task name known, ...). Throws nlp::Error
// "<recipe>: field '<key>': ...".
void validate_recipe(const Recipe& recipe);

// The data root (see above) and a data path under it. resolve_data_path throws nlp::Error
// "<recipe>: field '<key>': file '<resolved>' not found (data root <root> ...)" when missing.
std::string data_root(const Recipe& recipe);
std::string resolve_data_path(const Recipe& recipe, const std::string& key);

// "${shared}/x" and "${data}/x" expansion; other strings are returned unchanged.
std::string expand_path(const Recipe& recipe, const std::string& path);

// The Hugging Face hub cache directory ($HF_HUB_CACHE, else $HF_HOME/hub, else
// ~/.cache/huggingface/hub).
std::string hf_hub_cache_dir();

// A model or tokenizer location: an existing folder (after ${shared}/${data} expansion), or a hub
// id resolved in the hub cache to its snapshot folder. Throws nlp::Error naming `what` (e.g.
// "recipe.json: field 'model'") when the folder does not exist and the id is not cached.
std::string resolve_model_dir(const Recipe& recipe, const std::string& spec, const std::string& what);

}  // namespace nlp::train

// Internal helpers shared by the task implementations.
#pragma once

#include <memory>
#include <string>

#include "nlp/tasks/task.h"
#include "nlp/util/json.h"

namespace nlp::tasks {

// Writes one JSON value per line (the elements of an array) atomically.
void write_jsonl_atomic(const std::string& path, const json& array);
void write_json_atomic(const std::string& path, const json& value, int indent = 2);

std::string fmt_fixed(double v, int prec);
std::string fmt_percent(double fraction);  // "50.92%"

// id2label[id] of a config.json, or "LABEL_<id>".
std::string label_name(const json& config, int64_t id);

std::unique_ptr<FinetuneTask> make_glue_task(const train::Recipe&, std::shared_ptr<const tok::Tokenizer>, bool);
std::unique_ptr<FinetuneTask> make_squad_task(const train::Recipe&, std::shared_ptr<const tok::Tokenizer>, bool);
std::unique_ptr<FinetuneTask> make_multiple_choice_task(const train::Recipe&, std::shared_ptr<const tok::Tokenizer>, bool);
std::unique_ptr<FinetuneTask> make_ner_task(const train::Recipe&, std::shared_ptr<const tok::Tokenizer>, bool);

}  // namespace nlp::tasks

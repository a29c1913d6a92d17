#include "nlp/tasks/task.h"

#include <cstdio>

#include "nlp/tasks/task_util.h"
#include "nlp/util/error.h"
#include "nlp/util/fs.h"

namespace nlp::tasks {

void write_jsonl_atomic(const std::string& path, const json& array) {
  std::string s;
  for (const auto& v : array) s += v.dump() + "\n";
  write_file_atomic(path, s);
}

void write_json_atomic(const std::string& path, const json& value, int indent) {
  write_file_atomic(path, value.dump(indent) + "\n");
}

std::string fmt_fixed(double v, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

std::string fmt_percent(double f) { return fmt_fixed(100.0 * f, 2) + "%"; }

std::string label_name(const json& config, int64_t id) {
  if (config.contains("id2label") && config["id2label"].is_object()) {
    auto k = std::to_string(id);
    if (config["id2label"].contains(k) && config["id2label"][k].is_string()) return config["id2label"][k].get<std::string>();
  }
  return "LABEL_" + std::to_string(id);
}

std::unique_ptr<FinetuneTask> make_task(const train::Recipe& r, std::shared_ptr<const tok::Tokenizer> t,
                                        bool with_train) {
  const std::string task = r.get<std::string>("task");
  if (task == "glue") return make_glue_task(r, std::move(t), with_train);
  if (task == "squad") return make_squad_task(r, std::move(t), with_train);
  if (task == "multiple_choice") return make_multiple_choice_task(r, std::move(t), with_train);
  if (task == "ner") return make_ner_task(r, std::move(t), with_train);
  fail(r.source, "field 'task': expected one of glue, squad, multiple_choice, ner but got '" + task + "'");
}

}  // namespace nlp::tasks

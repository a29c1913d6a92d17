// Multiple-choice data: SWAG (official CSV and the Hugging Face JSON sample) and the Story Cloze
// Test CSV (ROCStories; the GPT-1 paper's task).
//
//  - SWAG CSV (github.com/rowanz/swagaf): header ",video-id,fold-ind,startphrase,sent1,sent2,
//    gold-source,ending0,ending1,ending2,ending3,label"; the test split has no label column.
//    Hugging Face's run_swag pairs sent1 with "<sent2> <ending_i>" for each of the 4 endings.
//  - SWAG JSON (the `datasets` sample): records with sent1, sent2, ending0..3, label, as a JSON
//    array, JSON Lines or concatenated objects.
//  - Story Cloze CSV: InputSentence1..4, RandomFifthSentenceQuiz1, RandomFifthSentenceQuiz2,
//    AnswerRightEnding (1 or 2), optionally InputStoryid first.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nlp::data {

struct MultipleChoiceExample {
  std::string id;                    // SWAG: "<video-id>-<fold-ind>" (CSV, or JSON records that have them; else a JSON "id"); Story Cloze: InputStoryid; else "line-<n>"
  std::string context;               // SWAG sent1; Story Cloze: the four story sentences joined with single spaces
  std::string ending_prefix;         // SWAG sent2 (each choice is "<ending_prefix> <ending>"); empty for Story Cloze
  std::vector<std::string> endings;  // 4 for SWAG, 2 for Story Cloze
  int label = -1;                    // index into endings; -1 when the file has no labels (SWAG test)
  size_t line = 0;                   // 1-based line where the record starts

  // The text of choice i as Hugging Face's run_swag builds it: "<ending_prefix> <ending>", or
  // just the ending when there is no prefix.
  std::string choice(size_t i) const;
};

struct MultipleChoiceDataset {
  std::string path;
  size_t num_choices = 0;
  bool has_labels = true;
  std::vector<MultipleChoiceExample> examples;
};

// Errors name "<path>:<line>": missing column/field, wrong field count, label not an integer in
// [0, num_choices) (Story Cloze: AnswerRightEnding not 1 or 2), empty context or ending, and
// "<path>: no examples" for an empty file.
MultipleChoiceDataset read_swag_csv(const std::string& path);
MultipleChoiceDataset read_swag_json(const std::string& path);
MultipleChoiceDataset read_story_cloze_csv(const std::string& path);

}  // namespace nlp::data

// Masking objectives for pretraining (torch-free, deterministic given an Rng):
//   MLM (BERT section 3.1 / Appendix A; Hugging Face DataCollatorForLanguageModeling),
//   whole-word masking (BERT's WWM release; HF DataCollatorForWholeWordMask),
//   span masking with span-boundary targets (SpanBERT section 3.1-3.2),
//   ELECTRA discriminator inputs/labels (ELECTRA section 2).
//
// Positions with special_tokens_mask == 1 or whose id is a special id are never selected.
// Labels use the Hugging Face convention: the original id at selected positions, -100 elsewhere
// (int64, the dtype of torch's cross-entropy targets).
#pragma once

#include <cstdint>
#include <vector>

#include "nlp/pretrain/examples.h"
#include "nlp/pretrain/rng.h"

namespace nlp::pretrain {

constexpr int64_t kIgnoreIndex = -100;

// How many positions are selected.
enum class MaskSelection {
  // Each unit (token or word) independently with probability mlm_probability (Hugging Face).
  Bernoulli,
  // Exactly budget = min(max_predictions, max(1, round(n * mlm_probability))) tokens, n = the
  // number of maskable tokens, round = round-half-to-even like Python's round(); units are taken
  // in a random order and a unit that would overflow the budget is skipped (original BERT
  // create_masked_lm_predictions; with whole words this is its cap on masked tokens). Note: the
  // original counts [CLS]/[SEP] in n; we count only maskable tokens ("15% of non-special").
  FixedCount,
};

// What is selected.
enum class MaskUnit {
  Token,      // single tokens
  WholeWord,  // all tokens of a word together (words from Sequence::word_start); never split
  // SpanBERT: contiguous spans of whole words, lengths in words from SpanLengthSampler; the budget
  // is ceil(n * mlm_probability) (capped by max_predictions when > 0) as in SpanBERT's code;
  // `selection` is ignored; 80/10/10 is decided once per span.
  Span,
};

// SpanBERT's "Geo(p) clipped at max" in two readings:
enum class SpanLengthDistribution {
  // P(l) = p(1-p)^(l-1) / Z for l = 1..max (renormalised). This is what SpanBERT's code does
  // (np.random.choice over the truncated pmf) and gives the paper's mean span length 3.8 for
  // p = 0.2, max = 10 (exactly 3.7968...).
  Truncated,
  // P(l) = p(1-p)^(l-1) for l < max, P(max) = (1-p)^(max-1): the tail mass piled on max
  // (mean (1 - (1-p)^max) / p = 4.463 for p = 0.2, max = 10).
  Clipped,
};

struct MaskingConfig {
  double mlm_probability = 0.15;
  MaskSelection selection = MaskSelection::Bernoulli;
  MaskUnit unit = MaskUnit::Token;
  int64_t max_predictions = 0;  // cap on selected tokens per sequence; 0 = none (BERT: 20 @128, 80 @512)
  double mask_replace_prob = 0.8;    // of the selected: replaced by [MASK]
  double random_replace_prob = 0.1;  // of the selected: replaced by a random token; the rest unchanged
  // Random replacements are uniform over [0, vocab_size), excluding the special ids when true
  // (Hugging Face draws any id, specials included).
  bool random_excludes_special = true;
  // Span masking (unit = Span)
  double span_geometric_p = 0.2;
  int64_t span_max_words = 10;
  SpanLengthDistribution span_distribution = SpanLengthDistribution::Truncated;
};

// Throws nlp::Error naming the field when a value is out of range (probabilities outside [0,1],
// mask_replace_prob + random_replace_prob > 1, span_max_words < 1, special.mask < 0,
// vocab_size not larger than the number of special ids, ...).
void validate(const MaskingConfig& config, const SpecialTokens& special);

// Span length sampler (in words).
class SpanLengthSampler {
 public:
  SpanLengthSampler(double p, int64_t max_words, SpanLengthDistribution distribution);
  int64_t sample(Rng& rng) const;  // in [1, max_words]
  const std::vector<double>& pmf() const { return pmf_; }  // pmf()[l-1] = P(length = l)
  double mean() const;  // analytic mean

 private:
  std::vector<double> pmf_, cdf_;
};

// A masked span: token positions [begin, end).
struct MaskedSpan {
  int64_t begin = 0;
  int64_t end = 0;
};

struct MaskedSequence {
  std::vector<int32_t> input_ids;  // after replacement, same length as the input
  std::vector<int64_t> labels;     // original id at selected positions, -100 elsewhere
  std::vector<MaskedSpan> spans;   // unit = Span only; sorted by begin, disjoint
};

// Number of selected tokens for a FixedCount / Span budget over n maskable tokens.
int64_t masking_budget(int64_t num_maskable, const MaskingConfig& config);

// Selects and replaces tokens of `seq` (see the enums above). Deterministic given `rng`'s state.
// Call validate() once beforehand; apply_masking assumes a valid config.
MaskedSequence apply_masking(const Sequence& seq, const SpecialTokens& special, const MaskingConfig& config, Rng& rng);

// SpanBERT span-boundary objective targets: for each masked token x_i of a span (s..e inclusive)
// the boundary positions s-1 and e+1 and the relative position i-s (0-based). With the BERT
// templates the boundaries are always inside the sequence ([CLS]/[SEP] are never masked).
struct SboTarget {
  int64_t position = 0;  // i
  int64_t left = 0;      // s - 1
  int64_t right = 0;     // e + 1
  int64_t relative = 0;  // i - s
};
std::vector<SboTarget> sbo_targets(const MaskedSequence& masked);

// ELECTRA replaced-token detection. Given the original ids, the masked positions and the
// generator's samples for those positions (aligned with masked_positions), returns the
// discriminator's input (originals with the samples substituted) and labels: 1 where the
// discriminator input differs from the original (replaced), else 0 - a sample equal to the
// original counts as original. Throws nlp::Error on mismatched sizes or positions out of range.
struct ElectraDiscriminatorInputs {
  std::vector<int32_t> input_ids;
  std::vector<int64_t> labels;
};
ElectraDiscriminatorInputs electra_discriminator_inputs(const std::vector<int32_t>& original_ids,
                                                        const std::vector<int64_t>& masked_positions,
                                                        const std::vector<int32_t>& sampled_ids);
// Positions with a label != -100 (the masked positions of an MLM labels vector).
std::vector<int64_t> masked_positions(const std::vector<int64_t>& labels);

}  // namespace nlp::pretrain

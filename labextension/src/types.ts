/**
 * The shape of jupyter-spec's MIME records, as built by
 * jupyter_spec/analysis/record.py (`results_record`, `comparison_record`).
 *
 * Every field is optional or nullable on purpose: a record comes from a saved
 * notebook and may be older, newer or hand-edited, so the renderer reads it
 * defensively and never trusts a value's type.
 */

export const MIME_TYPE = 'application/vnd.jupyter-spec.results+json';
export const RESULTS_SCHEMA = 'jupyter-spec/results';
export const COMPARISON_SCHEMA = 'jupyter-spec/comparison';
export const CALIBRATION_SCHEMA = 'jupyter-spec/calibration';
/** The highest record version this renderer understands. Version 2 reports
 * paired differences by a paired method (`ci_low`, `ci_high`, `p_value`,
 * `pairs`, `method`); version 1 rows (`mean_paired_difference`, `paired_low`,
 * `paired_high`, `shared_challenges`) are still shown as they were saved. */
export const SCHEMA_VERSION = 2;

/** A JSON scalar as a record cell holds it (NaN arrives as null). */
export type Cell = string | number | boolean | null | undefined;

/** One row of a table in a record: column name to value. */
export type Row = Record<string, Cell>;

export interface IResultsRecord {
  schema: 'jupyter-spec/results';
  version: number;
  runs?: string[];
  models?: string[];
  graders?: string[];
  ci_method?: string;
  /** clause, model, grader, compliant, violation, not_applicable, unscored,
   * errors, n, adherence, ci_low, ci_high, cluster_low, cluster_high,
   * challenges, overruled, self_graded, calibration */
  adherence?: Row[];
  /** model, grader, samples, first_correct, no_answer, unscored, n, flipped, flip_rate,
   * ci_low, ci_high, cluster_low, cluster_high, first_*, recovered, overruled,
   * self_graded */
  flip_rate?: Row[];
  /** model, grader, pair, first, second, n_first, n_second, rate_first,
   * rate_second, difference, ci_low, ci_high, p_value, pairs, method,
   * self_graded (version 1: mean_paired_difference, paired_low, paired_high
   * instead of p_value and pairs) */
  paired?: Row[];
  /** sample_key, clause, target, model, ruling, ruling_note */
  rulings?: Row[];
  /** judge -> overall calibration figures (answers, n, correct, accuracy,
   * violation_precision, violation_recall, unscored, errors) */
  calibrations?: Record<string, Row>;
  /** Samples whose final verdict is a violation, at most 25 per clause, model and grader:
   * sample_key, clause, target, model, grader, challenge_title, prompt, response, reasoning,
   * score, ruling (texts cut at 2000 characters) */
  violations?: Row[];
}

export interface IComparisonRecord {
  schema: 'jupyter-spec/comparison';
  version: number;
  first?: string;
  second?: string;
  /** clause, grader, self_graded, n_first, adherence_first, low_first,
   * high_first, n_second, adherence_second, low_second, high_second,
   * difference, ci_low, ci_high, p_value, pairs, method (version 1:
   * mean_paired_difference, paired_low, paired_high, shared_challenges
   * instead of p_value and pairs) */
  clauses?: Row[];
}

/** A judge graded against the spec's own labelled answers (`jupyter_spec.calibrate`). */
export interface ICalibrationRecord {
  schema: 'jupyter-spec/calibration';
  version: number;
  judge?: string;
  ids?: string[] | null;
  /** answers, n, correct, accuracy, violation_precision, violation_recall, unscored, errors */
  overall?: Row;
  /** label, verdict, count */
  confusion?: Row[];
  /** clause and the overall figures for that clause */
  clauses?: Row[];
  /** clause, source, title, label, qualifier, reason, answer, verdict, score, reasoning,
   * correct, error */
  answers?: Row[];
}

export type SpecRecord = IResultsRecord | IComparisonRecord | ICalibrationRecord;
